"""Each trigger's schedule: who an occurrence is about and when it is due, in the merchant's days."""

from __future__ import annotations

import datetime

from django.utils import timezone

from campaigns.models import Campaign, HolidayDate
from campaigns.services.holidays import covered_years, preload_holidays, public_holidays
from campaigns.services.occurrences import eligible_members
from campaigns.triggers import Due, triggers
from checkout.models import Payment
from merchants.models import Member
from tests.campaigns.helpers import make_campaign


def _member(merchant, phone, **fields):
    return Member.objects.create(merchant=merchant, phone=phone, **fields)


def _about(campaign, day: datetime.date):
    """Who the occurrence of `day` is about."""
    occurrence = campaign.occurrences.create(merchant=campaign.merchant, key=day.isoformat(),
                                             due_at=datetime.datetime.combine(day, datetime.time(10),
                                                                              tzinfo=campaign.merchant.zone))
    return set(eligible_members(occurrence).values_list("phone", flat=True))


def test_birthday_on_the_day_and_n_days_before(tenant_a):
    _member(tenant_a.merchant, "13500000001", birthday=datetime.date(1990, 12, 8))
    _member(tenant_a.merchant, "13500000002", birthday=datetime.date(1985, 12, 1))
    on_day = make_campaign(tenant_a.merchant, trigger="birthday")
    before = make_campaign(tenant_a.merchant, trigger="birthday", days=7)
    assert _about(on_day, datetime.date(2026, 12, 1)) == {"13500000002"}
    assert _about(before, datetime.date(2026, 12, 1)) == {"13500000001"}


def test_29_february_members_in_leap_and_other_years(tenant_a):
    _member(tenant_a.merchant, "13500000029", birthday=datetime.date(2000, 2, 29))
    _member(tenant_a.merchant, "13500000028", birthday=datetime.date(2001, 2, 28))
    campaign = make_campaign(tenant_a.merchant, trigger="birthday")
    assert _about(campaign, datetime.date(2027, 2, 28)) == {"13500000029", "13500000028"}
    assert _about(campaign, datetime.date(2028, 2, 28)) == {"13500000028"}
    assert _about(campaign, datetime.date(2028, 2, 29)) == {"13500000029"}
    three_days_before = make_campaign(tenant_a.merchant, trigger="birthday", days=3)
    assert _about(three_days_before, datetime.date(2027, 2, 25)) == {"13500000029", "13500000028"}


def test_holiday_calendar_is_preloaded_editable_and_runs_n_days_before(tenant_a):
    first, last = covered_years()
    assert (first, last) == (2004, 2026)
    assert (datetime.date(2026, 10, 1), "国庆节") in public_holidays(2026)
    assert preload_holidays(tenant_a.merchant, years=[2026]) == len(public_holidays(2026))
    assert preload_holidays(tenant_a.merchant, years=[2026]) == 0
    HolidayDate.objects.create(merchant=tenant_a.merchant, day=datetime.date(2026, 12, 12), name="店庆")
    HolidayDate.objects.filter(merchant=tenant_a.merchant, day=datetime.date(2026, 10, 1)).update(is_active=False)
    campaign = make_campaign(tenant_a.merchant, trigger="holiday", days=2, hour=9)
    trigger = triggers.get("holiday")
    zone = tenant_a.merchant.zone
    assert trigger.due(campaign, now=datetime.datetime(2026, 12, 10, 9, 5, tzinfo=zone)) == Due(
        "2026-12-10", datetime.datetime(2026, 12, 10, 9, tzinfo=zone))
    assert trigger.due(campaign, now=datetime.datetime(2026, 12, 10, 8, 59, tzinfo=zone)) is None
    assert trigger.due(campaign, now=datetime.datetime(2026, 9, 29, 10, tzinfo=zone)) is None   # switched off


def test_wake_up_counts_from_the_last_payment(tenant_a):
    silent = _member(tenant_a.merchant, "13500000001", last_seen_at=timezone.now())   # seen, but paid 30 days ago
    recent = _member(tenant_a.merchant, "13500000002")
    older = _member(tenant_a.merchant, "13500000003")
    day = timezone.localdate(timezone.now(), tenant_a.merchant.zone)

    def paid(member, days_ago):
        at = datetime.datetime.combine(day - datetime.timedelta(days=days_ago), datetime.time(12),
                                       tzinfo=tenant_a.merchant.zone)
        Payment.objects.create(merchant=member.merchant, store=tenant_a.store, member=member, bill_amount=50,
                               amount_due=50, status=Payment.Status.PAID, created_at=at, paid_at=at)

    paid(silent, 30)
    paid(recent, 30)
    paid(recent, 3)    # paid again since: not silent
    paid(older, 31)
    campaign = make_campaign(tenant_a.merchant, trigger="wake_up", days=30)
    assert _about(campaign, day) == {"13500000001"}


def test_joined_yesterday_and_recurring_weekly(tenant_a):
    zone = tenant_a.merchant.zone
    day = datetime.date(2027, 3, 3)   # a Wednesday
    _member(tenant_a.merchant, "13500000001", joined_at=datetime.datetime(2027, 3, 2, 23, 30, tzinfo=zone))
    _member(tenant_a.merchant, "13500000002", joined_at=datetime.datetime(2027, 3, 3, 0, 30, tzinfo=zone))
    assert _about(make_campaign(tenant_a.merchant, trigger="joined"), day) == {"13500000001"}
    weekly = make_campaign(tenant_a.merchant, trigger="recurring", every=Campaign.Every.WEEK, weekday=3, hour=10)
    recurring = triggers.get("recurring")
    assert recurring.due(weekly, now=datetime.datetime(2027, 3, 3, 11, tzinfo=zone)).key == "2027-03-03"
    assert recurring.due(weekly, now=datetime.datetime(2027, 3, 4, 11, tzinfo=zone)) is None
    assert set(recurring.check(Campaign(trigger="recurring", every="week"))) == {"weekday"}


def test_coupon_expiring_in_n_days(tenant_a):
    from coupons import services
    from tests.coupons.helpers import make_template

    zone = tenant_a.merchant.zone
    today = timezone.localdate(timezone.now(), zone)
    ends = datetime.datetime.combine(today + datetime.timedelta(days=3), datetime.time(20), tzinfo=zone)
    template = make_template(tenant_a.merchant, valid_until=ends)
    services.issue_coupon(template, tenant_a.member, source="staff")
    campaign = make_campaign(tenant_a.merchant, trigger="coupon_expiring", days=3)
    assert _about(campaign, today) == {tenant_a.member.phone}
    assert _about(make_campaign(tenant_a.merchant, trigger="coupon_expiring", days=2), today) == set()
