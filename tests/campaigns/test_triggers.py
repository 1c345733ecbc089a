"""Each trigger's schedule: who an occurrence is about and when it is due, in the merchant's days."""

from __future__ import annotations

import datetime

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.urls import reverse
from django.utils import timezone

from campaigns.models import Campaign, HolidayDate
from campaigns.services.holidays import covered_years, preload_holidays, public_holidays
from campaigns.services.occurrences import eligible_members
from campaigns.triggers import Due, triggers
from checkout.models import Payment
from merchants.models import Member
from merchants.services.members import update_member
from tests.campaigns.helpers import make_campaign
from tests.conftest import staff_client


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


# Lunar dates below were looked up with borax 4.1.3 (LunarDate.from_solar / to_solar_date, LCalendars.ndays).


def test_lunar_birthday_is_derived_from_the_birthday_and_follows_its_changes(tenant_a, django_assert_num_queries):
    new_year = _member(tenant_a.merchant, "13500000101", birthday=datetime.date(2000, 2, 5))   # 2000 正月初一
    assert (new_year.lunar_birthday_month, new_year.lunar_birthday_day, new_year.lunar_birthday_leap) == (1, 1, False)
    assert new_year.lunar_birthday == "正月初一"
    update_member(new_year, birthday=datetime.date(2023, 3, 25))                              # 2023 闰二月初四
    new_year.refresh_from_db()
    assert (new_year.lunar_birthday_month, new_year.lunar_birthday_day, new_year.lunar_birthday_leap) == (2, 4, True)
    assert new_year.lunar_birthday == "闰二月初四"
    new_year.birthday = datetime.date(1991, 2, 14)                                            # 1990 腊月三十
    new_year.save(update_fields=["birthday"])
    new_year.refresh_from_db()
    assert (new_year.lunar_birthday_month, new_year.lunar_birthday_day, new_year.lunar_birthday) == (12, 30, "腊月三十")
    update_member(new_year, birthday=None)
    new_year.refresh_from_db()
    assert (new_year.lunar_birthday_month, new_year.lunar_birthday_day, new_year.lunar_birthday) == (None, None, "")
    too_early = _member(tenant_a.merchant, "13500000102", birthday=datetime.date(1899, 12, 31))  # before 1900 正月初一
    assert too_early.lunar_birthday_month is None
    deferred = Member.objects.only("pk", "name").get(pk=new_year.pk)
    deferred.name = "新名字"
    with django_assert_num_queries(1):   # the UPDATE alone: saving other fields leaves the birthday unread
        deferred.save(update_fields=["name"])


def test_lunar_birthday_on_spring_festival_and_day_30_of_a_short_month(tenant_a, tenant_b):
    _member(tenant_a.merchant, "13500000111", birthday=datetime.date(2000, 2, 5))    # 2000 正月初一
    _member(tenant_a.merchant, "13500000112", birthday=datetime.date(1991, 2, 13))   # 1990 腊月廿九
    _member(tenant_a.merchant, "13500000113", birthday=datetime.date(1991, 2, 14))   # 1990 腊月三十
    _member(tenant_a.merchant, "13500000114")                                        # no birthday
    _member(tenant_b.merchant, "13500000111", birthday=datetime.date(2000, 2, 5))    # another merchant's
    lunar = make_campaign(tenant_a.merchant, trigger="birthday", birthday_calendar=Campaign.BirthdayCalendar.LUNAR)
    # 2026-02-17 is Spring Festival (正月初一 of lunar 2026); lunar 2025's 腊月 has 29 days, so its last day,
    # 2026-02-16 (除夕), celebrates the members born on the 29th and on the 30th.
    assert _about(lunar, datetime.date(2026, 2, 17)) == {"13500000111"}
    assert _about(lunar, datetime.date(2026, 2, 16)) == {"13500000112", "13500000113"}
    # Lunar 2029's 腊月 has 30 days: 廿九 is 2030-02-01 and 三十 is 2030-02-02, one member each.
    assert _about(lunar, datetime.date(2030, 2, 1)) == {"13500000112"}
    assert _about(lunar, datetime.date(2030, 2, 2)) == {"13500000113"}
    # One day before Spring Festival 2026: the 正月初一 member; the solar birthday (5 February) is not used.
    day_before = make_campaign(tenant_a.merchant, trigger="birthday", days=1,
                               birthday_calendar=Campaign.BirthdayCalendar.LUNAR)
    assert _about(day_before, datetime.date(2026, 2, 16)) == {"13500000111"}
    assert _about(lunar, datetime.date(2026, 2, 5)) == set()
    solar = make_campaign(tenant_a.merchant, trigger="birthday")
    assert _about(solar, datetime.date(2026, 2, 5)) == {"13500000111"}


def test_a_member_born_in_a_leap_month_is_celebrated_in_the_ordinary_month(tenant_a):
    _member(tenant_a.merchant, "13500000121", birthday=datetime.date(2023, 3, 25))   # 2023 闰二月初四
    _member(tenant_a.merchant, "13500000122", birthday=datetime.date(2023, 2, 23))   # 2023 二月初四
    _member(tenant_a.merchant, "13500000123", birthday=datetime.date(2024, 7, 15))   # 2024 六月初十
    lunar = make_campaign(tenant_a.merchant, trigger="birthday", birthday_calendar=Campaign.BirthdayCalendar.LUNAR)
    assert _about(lunar, datetime.date(2024, 3, 13)) == {"13500000121", "13500000122"}   # 2024 二月初四
    # Lunar 2025 has a leap sixth month: 六月初十 is 2025-07-04, 闰六月初十 2025-08-03 celebrates nobody.
    assert _about(lunar, datetime.date(2025, 7, 4)) == {"13500000123"}
    assert _about(lunar, datetime.date(2025, 8, 3)) == set()
    assert _about(lunar, datetime.date(2023, 3, 25)) == set()                            # 2023 闰二月初四


def test_the_campaign_form_takes_the_birthday_calendar(client, tenant_a):
    from campaigns.admin import CampaignForm

    form = CampaignForm(data={"merchant": tenant_a.merchant.pk, "name": "农历生日", "status": "draft",
                              "trigger": "birthday", "hour": 10, "days": 3, "birthday_calendar": "lunar",
                              "holdout_percent": "10", "attribution_days": 14})
    assert form.is_valid(), form.errors
    assert form.save().birthday_calendar == Campaign.BirthdayCalendar.LUNAR
    wrong = CampaignForm(data={**form.data, "birthday_calendar": "islamic"})
    assert not wrong.is_valid() and "birthday_calendar" in wrong.errors
    campaign = make_campaign(tenant_a.merchant, trigger="birthday")
    assert campaign.birthday_calendar == Campaign.BirthdayCalendar.SOLAR
    staff_client(client, tenant_a.owner)
    page = client.get(reverse("admin:campaigns_campaign_change", args=[campaign.pk])).content.decode()
    assert 'name="birthday_calendar"' in page and page.index('name="days"') < page.index('name="birthday_calendar"')
    member = _member(tenant_a.merchant, "13500000131", birthday=datetime.date(1991, 2, 14))
    page = client.get(reverse("admin:merchants_member_change", args=[member.pk])).content.decode()
    assert "腊月三十" in page and 'name="lunar_birthday' not in page


@pytest.fixture
def back_to_latest():
    """Whatever the test leaves, the database ends at the latest migrations for the tests after it."""
    yield
    executor = MigrationExecutor(connection)
    executor.migrate(executor.loader.graph.leaf_nodes())


@pytest.mark.django_db(transaction=True)
def test_the_backfill_fills_existing_members_lunar_birthdays(back_to_latest):
    executor = MigrationExecutor(connection)
    executor.migrate([("merchants", "0007_member_lunar_birthday")])
    apps = executor.loader.project_state([("merchants", "0007_member_lunar_birthday")]).apps
    merchant = apps.get_model("merchants", "Merchant").objects.create(name="Old", slug="old-lunar")
    members = apps.get_model("merchants", "Member").objects
    born = members.create(merchant=merchant, phone="13700000101", birthday=datetime.date(2023, 3, 25))
    unknown = members.create(merchant=merchant, phone="13700000102")
    assert members.get(pk=born.pk).lunar_birthday_month is None
    executor = MigrationExecutor(connection)
    executor.migrate([("merchants", "0008_backfill_lunar_birthdays")])
    apps = executor.loader.project_state([("merchants", "0008_backfill_lunar_birthdays")]).apps
    members = apps.get_model("merchants", "Member").objects
    assert members.filter(pk=born.pk).values_list("lunar_birthday_month", "lunar_birthday_day",
                                                   "lunar_birthday_leap").get() == (2, 4, True)
    assert members.filter(pk=unknown.pk).values_list("lunar_birthday_month", "lunar_birthday_leap").get() == (None,
                                                                                                               False)


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


def test_gift_card_unused_n_days_before_the_last_day_it_can_be_spent(tenant_a):
    from cards.giftcards.models import FaceValue
    from tests.giftcards.helpers import buy

    # "valid until 31 January" stops at midnight on 1 February: 31 January is its expiry day.
    [untouched] = buy(tenant_a.member, validity=FaceValue.Validity.FIXED_DATE, valid_until=datetime.date(2030, 1, 31))
    other = _member(tenant_a.merchant, "13500000301")
    buy(other, validity=FaceValue.Validity.FIXED_DATE, valid_until=datetime.date(2030, 2, 1))
    campaign = make_campaign(tenant_a.merchant, trigger="gift_card_unused", days=7)
    assert _about(campaign, datetime.date(2030, 1, 24)) == {tenant_a.member.phone}
    assert _about(campaign, datetime.date(2030, 1, 25)) == {"13500000301"}
    assert _about(campaign, datetime.date(2030, 1, 23)) == set()
    on_the_day = make_campaign(tenant_a.merchant, trigger="gift_card_unused", days=0)
    assert _about(on_the_day, datetime.date(2030, 1, 31)) == {tenant_a.member.phone}
    assert untouched.expires_at == datetime.datetime(2030, 2, 1, tzinfo=tenant_a.merchant.zone)


def test_a_gift_card_that_paid_a_bill_or_never_expires_is_not_unused(tenant_a):
    from cards.giftcards.models import FaceValue
    from tests.checkout.helpers import PAYMENTS, body
    from tests.giftcards.helpers import buy

    [used] = buy(tenant_a.member, validity=FaceValue.Validity.FIXED_DATE, valid_until=datetime.date(2030, 1, 31))
    forever = _member(tenant_a.merchant, "13500000302")
    buy(forever)
    paid = tenant_a.api().post(PAYMENTS, body("10.00", tenant_a.member, gift_cards=[used.code]), format="json")
    assert paid.status_code == 201, paid.content
    campaign = make_campaign(tenant_a.merchant, trigger="gift_card_unused", days=7)
    assert _about(campaign, datetime.date(2030, 1, 24)) == set()


def test_gift_card_unused_gives_each_holder_its_occurrence_once(tenant_a):
    from campaigns.models import Delivery
    from campaigns.services.occurrences import run_occurrence, start_occurrence
    from cards.giftcards.models import FaceValue
    from tests.giftcards.helpers import buy

    buy(tenant_a.member, quantity=2, validity=FaceValue.Validity.FIXED_DATE, valid_until=datetime.date(2030, 1, 31))
    campaign = make_campaign(tenant_a.merchant, trigger="gift_card_unused", days=7)
    at = datetime.datetime(2030, 1, 24, 10, tzinfo=tenant_a.merchant.zone)
    assert triggers.get("gift_card_unused").due(campaign, now=at) == Due(key="2030-01-24", at=at)
    first = start_occurrence(campaign, key="2030-01-24", at=at)
    again = start_occurrence(campaign, key="2030-01-24", at=at)
    run_occurrence(first.pk)
    run_occurrence(again.pk)
    assert list(Delivery.objects.filter(campaign=campaign).values_list("member__phone", flat=True)) == [
        tenant_a.member.phone]


def test_gift_card_unused_needs_the_days(tenant_a):
    assert set(triggers.get("gift_card_unused").check(Campaign(trigger="gift_card_unused"))) == {"days"}
