"""Demo campaigns: each demo merchant gets a birthday (solar and lunar), a holiday and a wake-up campaign with
history (runs dated in the past, sent and held-out members, coupons redeemed on later days), so the uplift report
has figures.

It seeds after checkout (its payments are the visits and revenue the report attributes)."""

from __future__ import annotations

import datetime
import random
from decimal import Decimal

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from campaigns.models import (
    Campaign,
    CampaignChannel,
    CampaignMessage,
    Channel,
    ChannelCondition,
    ChannelRule,
    Delivery,
    HolidayDate,
    Occurrence,
)
from campaigns.services.holidays import preload_holidays
from campaigns.services.landing import claim_from_landing, record_landing_view
from campaigns.services.occurrences import run_occurrence, start_occurrence
from campaigns.triggers import Due, triggers
from coupons.demo import BIRTHDAY, WIN_BACK, backdate_redemption, template_for
from coupons.models import ClaimChannel, Coupon, CouponIssuance
from coupons.services import redeem_coupon
from loyalty.demo import DemoData
from loyalty.errors import DomainError
from merchants.models import CapPeriod, FrequencyCap, MarketingSettings, Member, Merchant, Store

HOLIDAY_NAME = "会员日"
# The holiday campaign's channels: (name, kind, views, claims) — the door poster brings more than the article.
CHANNELS = [("门口海报", ClaimChannel.Kind.POSTER, 9, 3), ("公众号推文", ClaimChannel.Kind.ARTICLE, 5, 1)]


def _campaigns(merchant: Merchant) -> list[tuple[str, dict, str, str | None]]:
    """(name, fields, SMS text, role of the coupon it gives)."""
    return [
        ("生日礼遇", {"trigger": "birthday", "days": 0, "hour": 10, "holdout_percent": Decimal("10")},
         "{name}，生日快乐！{coupon}已放入会员卡，{expiry}前有效：{link}", BIRTHDAY),
        ("农历生日礼遇", {"trigger": "birthday", "birthday_calendar": Campaign.BirthdayCalendar.LUNAR, "days": 3,
                    "hour": 10, "holdout_percent": Decimal("10")},
         "{name}，三天后是您的农历生日，{coupon}已放入会员卡，{expiry}前有效：{link}", BIRTHDAY),
        ("节日发券", {"trigger": "holiday", "days": 1, "hour": 10, "holdout_percent": Decimal("20")},
         "{name}，节日快乐！送您{coupon}，{expiry}前有效：{link}", WIN_BACK),
        ("唤醒沉默客户", {"trigger": "wake_up", "days": 30, "hour": 15, "holdout_percent": Decimal("20")},
         "{name}，好久不见！{coupon}等您来用，{expiry}前有效：{link}", WIN_BACK),
    ]


def seed_settings(merchant: Merchant) -> None:
    MarketingSettings.objects.get_or_create(merchant=merchant, defaults={"quiet_from": datetime.time(21),
                                                                         "quiet_until": datetime.time(9)})
    FrequencyCap.objects.get_or_create(merchant=merchant, channel=Channel.SMS,
                                       defaults={"limit": 2, "period": CapPeriod.WEEK})
    year = timezone.localdate(timezone.now(), merchant.zone).year
    preload_holidays(merchant, years=[year - 1, year])
    HolidayDate.objects.get_or_create(merchant=merchant, day=_member_day(merchant),
                                      defaults={"name": HOLIDAY_NAME, "source": HolidayDate.Source.OWN})


def _member_day(merchant: Merchant) -> datetime.date:
    """The merchant's own date: three weeks ago, so the holiday campaign has a run with its window behind it."""
    return timezone.localdate(timezone.now(), merchant.zone) - datetime.timedelta(days=20)


def seed_campaigns(merchant: Merchant) -> list[Campaign]:
    made = []
    for name, fields, text, role in _campaigns(merchant):
        campaign = Campaign.objects.filter(merchant=merchant, name=name).first()
        if campaign is None:
            campaign = Campaign.objects.create(merchant=merchant, name=name, status=Campaign.Status.ACTIVE,
                                               coupon_template=template_for(merchant, role), landing_title=name,
                                               landing_text="到店出示会员码即可使用。", **fields)
            CampaignMessage.objects.create(merchant=merchant, campaign=campaign, channel=Channel.SMS, body=text)
            CampaignMessage.objects.create(merchant=merchant, campaign=campaign, channel=Channel.INBOX, title=name,
                                           body=text)
            ChannelRule.objects.create(merchant=merchant, campaign=campaign, position=0,
                                       condition=ChannelCondition.HAS_PHONE, channel=Channel.SMS)
            ChannelRule.objects.create(merchant=merchant, campaign=campaign, position=1,
                                       condition=ChannelCondition.ALWAYS, channel=Channel.INBOX)
        made.append(campaign)
    return made


def _history_days(merchant: Merchant, campaign: Campaign) -> list[datetime.date]:
    today = timezone.localdate(timezone.now(), merchant.zone)
    if campaign.trigger == "holiday":
        return [_member_day(merchant) - datetime.timedelta(days=campaign.days or 0)]
    if campaign.birthday_calendar == Campaign.BirthdayCalendar.LUNAR:
        return _lunar_birthday_days(merchant, campaign, today) or _weekly(today)
    return _weekly(today)


def _weekly(today: datetime.date) -> list[datetime.date]:
    return [today - datetime.timedelta(days=days) for days in (28, 21, 14, 7)]


def _lunar_birthday_days(merchant: Merchant, campaign: Campaign, today: datetime.date) -> list[datetime.date]:
    """The last four days of the past year whose run reached somebody: with a few dozen demo members most lunar
    days have no birthday, and the campaign's daily runs on those days would have sent nothing."""
    birthday = triggers.get("birthday")
    found = []
    for back in range(1, 366):
        day = today - datetime.timedelta(days=back)
        due = Due(key=day.isoformat(), at=datetime.datetime.combine(day, datetime.time(campaign.hour),
                                                                     tzinfo=merchant.zone))
        if Member.objects.filter(Q(merchant=merchant) & birthday.condition(campaign, due)).exists():
            found.append(day)
        if len(found) == 4:
            break
    return sorted(found)


@transaction.atomic
def _backdate(occurrence: Occurrence, at: datetime.datetime) -> None:
    Occurrence.objects.filter(pk=occurrence.pk).update(created_at=at, finished_at=at)
    Delivery.objects.filter(occurrence=occurrence).update(created_at=at)
    if occurrence.issuance_id:
        CouponIssuance.objects.filter(pk=occurrence.issuance_id).update(created_at=at, started_at=at, finished_at=at)
        Coupon.objects.filter(issuance_id=occurrence.issuance_id).update(issued_at=at, valid_from=at)


def _redeem_some(occurrence: Occurrence, at: datetime.datetime, rng: random.Random) -> None:
    """A third of the campaign's coupons used at the counter within the attribution window."""
    store = Store.objects.filter(merchant_id=occurrence.merchant_id).order_by("pk").first()
    coupons = Coupon.objects.filter(issuance_id=occurrence.issuance_id, state=Coupon.State.AVAILABLE).order_by("pk")
    for index, coupon in enumerate(coupons):
        if index and rng.random() > 0.33:   # the first always, then about a third
            continue
        bill = (coupon.template.minimum_bill or Decimal("0")) + Decimal(rng.randint(5, 60))
        redeem_coupon(coupon, bill_amount=bill, store=store)
        backdate_redemption(coupon, at + datetime.timedelta(days=rng.randint(1, 10), hours=rng.randint(0, 8)))


def seed_history(merchant: Merchant) -> None:
    rng = random.Random(f"campaigns:{merchant.slug}")
    for campaign in seed_campaigns(merchant):
        for day in _history_days(merchant, campaign):
            key = day.isoformat()
            if Occurrence.objects.filter(campaign=campaign, key=key).exists():
                continue
            at = datetime.datetime.combine(day, datetime.time(campaign.hour), tzinfo=merchant.zone)
            occurrence = run_occurrence(start_occurrence(campaign, key=key, at=at, start=False).pk)
            _backdate(occurrence, at)
            if occurrence.issuance_id:
                _redeem_some(occurrence, at, rng)
    seed_channels(merchant, rng)


def seed_channels(merchant: Merchant, rng: random.Random) -> None:
    """The holiday campaign handed out through a door poster and an article: views, claims by members, and one
    coupon of each channel used at the counter, so the campaign's page has figures per channel."""
    campaign = Campaign.objects.filter(merchant=merchant, trigger="holiday").first()
    if campaign is None or campaign.coupon_template is None or campaign.channels.exists():
        return
    store = Store.objects.filter(merchant=merchant).order_by("pk").first()
    members = list(Member.objects.filter(merchant=merchant).order_by("-pk")[:8])
    for name, kind, views, claims in CHANNELS:
        channel = CampaignChannel.objects.create(merchant=merchant, campaign=campaign, name=name, kind=kind)
        for _view in range(views):
            record_landing_view(campaign, channel=channel)
        taken = []
        for member in members[:claims]:
            try:
                taken.append(claim_from_landing(campaign, member, channel=channel))
            except DomainError:
                continue  # at its limit already (a member holding the coupon from a run): the next one claims
        members = members[claims:]
        if taken and store is not None:
            coupon = taken[0]
            bill = (coupon.template.minimum_bill or Decimal("0")) + Decimal(rng.randint(5, 60))
            redeem_coupon(coupon, bill_amount=bill, store=store)


class CampaignsDemo(DemoData):
    code = "campaigns"
    order = 80

    @classmethod
    def seed_merchant(cls, merchant) -> None:
        seed_settings(merchant)
        seed_campaigns(merchant)

    @classmethod
    def seed_members_done(cls, merchant) -> None:
        seed_history(merchant)
