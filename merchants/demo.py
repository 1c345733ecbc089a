"""Demo saved segments of the merchants app's own filters for `manage.py seed_demo` (idempotent), and each
demo member's inbox (站内信) over the weeks since joining.

Segments over payments and stored value come with the checkout demo, which owns those filters' data.
"""

from __future__ import annotations

import datetime
import random

from django.utils import timezone

from loyalty.demo import DemoData
from loyalty.models import OutboxMessage
from merchants.models import Member, MemberTag, Merchant, Segment
from merchants.services import create_segment

BIRTHDAY_SEGMENT = "生日在本月"
# The tag each demo merchant's regulars carry (seed_demo's tags), saved as a segment of its own.
TAGGED = {"chacha": ("VIP 会员", "VIP"), "irongym": ("私教学员", "私教")}


def seed_segments(merchant: Merchant) -> None:
    """This month's birthdays (for the birthday mass send) and the merchant's tagged regulars, saved once."""
    if not Segment.objects.filter(merchant=merchant, name=BIRTHDAY_SEGMENT).exists():
        create_segment(merchant, name=BIRTHDAY_SEGMENT, clauses=[("birthday_month", {})],
                       description="每月初给本月过生日的会员送生日券。")
    if merchant.slug not in TAGGED:
        return
    name, tag_name = TAGGED[merchant.slug]
    tag = MemberTag.objects.filter(merchant=merchant, name=tag_name).first()
    if tag is not None and not Segment.objects.filter(merchant=merchant, name=name).exists():
        create_segment(merchant, name=name, clauses=[("tag", {"tag": str(tag.pk)})])


# The inbox messages a demo merchant sent its members, one a fortnight: (title, body, link under /m/<slug>/).
INBOX = {
    "chacha": [("欢迎入会", "欢迎成为茶茶会员！到店出示会员码即可积分，积分可兑换招牌奶茶。", "coupons/shelf/"),
               ("会员日", "每周六会员日：全场饮品第二杯半价，到店出示会员码即可。", ""),
               ("新品上市", "冬季限定「桂花酒酿奶茶」上市，会员首杯立减 3 元。", "coupons/"),
               ("积分提醒", "您的积分可兑换招牌奶茶一杯，别让它们过期哦。", "coupons/shelf/")],
    "irongym": [("欢迎加入", "欢迎加入铁馆！首次到店可预约一次免费体测。", "coupons/shelf/"),
                ("课程更新", "本月新增燃脂团课：周二、周四 19:30，会员免费预约。", ""),
                ("私教体验", "私教课 9 折券已上架，领取后 45 天内有效。", "coupons/")],
}


def seed_inbox(member: Member) -> None:
    """A message a fortnight since the member joined (welcome first), delivered then; older ones read."""
    lines = INBOX.get(member.merchant.slug)
    if not lines or OutboxMessage.objects.filter(member=member, channel=OutboxMessage.Channel.INBOX).exists():
        return
    rng = random.Random(f"inbox-{member.phone}")
    now = timezone.now()
    messages = []
    for index, (title, body, link) in enumerate(lines):
        sent = member.joined_at + datetime.timedelta(days=14 * index, hours=rng.randint(0, 8))
        if sent > now:
            break
        read = sent + datetime.timedelta(hours=rng.randint(1, 48)) if rng.random() < 0.6 else None
        messages.append(OutboxMessage(
            merchant=member.merchant, member=member, channel=OutboxMessage.Channel.INBOX,
            kind=OutboxMessage.Kind.NOTICE if index == 0 else OutboxMessage.Kind.MARKETING, recipient=str(member.pk),
            title=title, body=body, link=f"/m/{member.merchant.slug}/{link}" if link else "",
            status=OutboxMessage.Status.SENT, attempts=1, provider_reference="inbox", sent_at=sent,
            read_at=read if read and read < now else None))
    created = OutboxMessage.objects.bulk_create(messages)
    # created_at is stamped on insert; the history is dated when each message went out.
    for message in created:
        OutboxMessage.objects.filter(pk=message.pk).update(created_at=message.sent_at)


class MerchantsDemo(DemoData):
    """Registered in MerchantsConfig.ready(); seed_demo finds it in loyalty.demo.demo_data."""

    code = "merchants"
    order = 10

    @classmethod
    def seed_merchant(cls, merchant) -> None:
        seed_segments(merchant)

    @classmethod
    def seed_member(cls, member) -> None:
        seed_inbox(member)
