"""Demo saved segments of the merchants app's own filters for `manage.py seed_demo` (idempotent).

Segments over payments and stored value come with the checkout demo, which owns those filters' data.
"""

from __future__ import annotations

from loyalty.demo import DemoData
from merchants.models import MemberTag, Merchant, Segment
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


class MerchantsDemo(DemoData):
    """Registered in MerchantsConfig.ready(); seed_demo finds it in loyalty.demo.demo_data."""

    code = "merchants"
    order = 10

    @classmethod
    def seed_merchant(cls, merchant) -> None:
        seed_segments(merchant)
