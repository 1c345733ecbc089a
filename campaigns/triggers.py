"""Triggers (when a campaign runs): a registry of kinds, one class each, like the segment filters.

A trigger says which occurrence of a campaign is due now (`due`: a key unique per campaign, and the time it
is for) and which members that occurrence is about (`condition`: a set-based Q over `merchants.Member`,
added to the campaign's segment). Days are the merchant's days (`Merchant.zone`), counted from the day the
occurrence is for, so a run resumed later picks the same people. Every trigger except the one-off runs at
most once a day, at the campaign's hour; event triggers look at what happened on the day before (joined,
first payment, level reached, stored value fell) or at what lies N days ahead (points, coupons or gift cards
expiring).

The 29 February rule: a member born on 29 February is celebrated on 28 February in years without one
(on the day, and N days before it for "N days before").

The lunar rules (a campaign with `birthday_calendar` lunar, 农历生日): the solar day the occurrence is about is
turned into its lunar month and day and members with that lunar birthday are selected. A member born on day 30
of a month that has only 29 days this year is celebrated on the 29th (the month's last day). A member born in a
leap month is celebrated in the ordinary month of the same number, every year, so nobody is celebrated on the
days of a leap month (the ordinary month came first and already had them). No birthday: no lunar birthday.
"""

from __future__ import annotations

import calendar
import datetime
from abc import ABC, abstractmethod
from dataclasses import dataclass

from django.db.models import Exists, F, OuterRef, Q
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from campaigns.models import Campaign, HolidayDate
from cards.giftcards.models import GiftCard, GiftCardUse
from cards.membership.models import MembershipCard, PointsBucket
from checkout.models import Payment
from checkout.segments import VISIT_STATUSES
from coupons.models import Coupon
from loyalty.registry import Registry
from merchants.lunar import lunar_day
from wallet.models import Wallet, WalletEntry

Label = str | Promise


@dataclass(frozen=True)
class Due:
    key: str
    at: datetime.datetime

    @property
    def day(self) -> datetime.date:
        return self.at.date()


def local_day_start(day: datetime.date, zone) -> datetime.datetime:
    return datetime.datetime.combine(day, datetime.time(), tzinfo=zone)


def day_range(day: datetime.date, zone) -> tuple[datetime.datetime, datetime.datetime]:
    """[start, end) of a merchant's day, as aware datetimes."""
    return local_day_start(day, zone), local_day_start(day + datetime.timedelta(days=1), zone)


def occurrence_day(campaign: Campaign, at: datetime.datetime) -> datetime.date:
    return timezone.localtime(at, campaign.merchant.zone).date()


class Trigger(ABC):
    """The base of every trigger kind. `needs` names the campaign fields it reads (checked when saved)."""

    code: str = ""
    label: Label = ""
    order: int = 100
    needs: tuple[str, ...] = ()

    def check(self, campaign: Campaign) -> dict[str, str]:
        """Field errors of a campaign using this trigger (an empty dict: fine)."""
        return {name: _("This trigger needs this field.") for name in self.needs
                if getattr(campaign, name) in (None, "")}

    @abstractmethod
    def due(self, campaign: Campaign, *, now: datetime.datetime) -> Due | None:
        """The occurrence due at `now` (created once per key), or None."""

    def condition(self, campaign: Campaign, due: Due) -> Q:
        """Who this occurrence is about, on top of the segment: everybody by default."""
        return Q()


class DailyTrigger(Trigger):
    """Due each day (where `runs_on` says so) once the campaign's hour has come, keyed by the day."""

    def runs_on(self, campaign: Campaign, day: datetime.date) -> bool:
        return True

    def due(self, campaign: Campaign, *, now: datetime.datetime) -> Due | None:
        zone = campaign.merchant.zone
        local = timezone.localtime(now, zone)
        if local.hour < campaign.hour or not self.runs_on(campaign, local.date()):
            return None
        return Due(key=local.date().isoformat(),
                   at=datetime.datetime.combine(local.date(), datetime.time(campaign.hour), tzinfo=zone))


class Once(Trigger):
    code, label, order, needs = "once", gettext_lazy("once, at a time"), 10, ("send_at",)

    def due(self, campaign, *, now):
        if campaign.send_at is None or now < campaign.send_at:
            return None
        return Due(key="once", at=timezone.localtime(campaign.send_at, campaign.merchant.zone))


class Recurring(DailyTrigger):
    code, label, order, needs = "recurring", gettext_lazy("every day, week or month at an hour"), 20, ("every",)

    def check(self, campaign):
        problems = super().check(campaign)
        if campaign.every == Campaign.Every.WEEK and not campaign.weekday:
            problems["weekday"] = _("Choose the weekday.")
        if campaign.every == Campaign.Every.MONTH and not campaign.day_of_month:
            problems["day_of_month"] = _("Choose the day of the month.")
        return problems

    def runs_on(self, campaign, day):
        if campaign.every == Campaign.Every.WEEK:
            return day.isoweekday() == campaign.weekday
        if campaign.every == Campaign.Every.MONTH:
            return day.day == campaign.day_of_month
        return True


def birthday_condition(target: datetime.date) -> Q:
    """Members whose birthday falls on `target`; on 28 February of a year without a 29th, those born on the 29th too."""
    on_day = Q(birthday__month=target.month, birthday__day=target.day)
    if target.month == 2 and target.day == 28 and not calendar.isleap(target.year):
        on_day |= Q(birthday__month=2, birthday__day=29)
    return on_day


def lunar_birthday_condition(target: datetime.date) -> Q:
    """Members whose lunar birthday falls on the solar day `target` (the rules are in the module docstring)."""
    lunar = lunar_day(target)
    if lunar is None or lunar.leap:
        return Q(pk__in=[])
    on_day = Q(lunar_birthday_month=lunar.month, lunar_birthday_day=lunar.day)
    if lunar.day == lunar.month_days == 29:
        on_day |= Q(lunar_birthday_month=lunar.month, lunar_birthday_day=30)
    return on_day


class Birthday(DailyTrigger):
    code, label, order = "birthday", gettext_lazy("birthday (on the day or N days before)"), 30

    def condition(self, campaign, due):
        target = due.day + datetime.timedelta(days=campaign.days or 0)
        if campaign.birthday_calendar == Campaign.BirthdayCalendar.LUNAR:
            return lunar_birthday_condition(target)
        return birthday_condition(target)


class Holiday(DailyTrigger):
    code, order = "holiday", 40
    label = gettext_lazy("holidays in the merchant's calendar (on the day or N days before)")

    def holiday_for(self, campaign: Campaign, day: datetime.date) -> HolidayDate | None:
        return HolidayDate.objects.filter(merchant_id=campaign.merchant_id, is_active=True,
                                          day=day + datetime.timedelta(days=campaign.days or 0)).first()

    def runs_on(self, campaign, day):
        return self.holiday_for(campaign, day) is not None


def _paid(since: datetime.datetime | None = None, until: datetime.datetime | None = None) -> Exists:
    payments = Payment.objects.filter(member=OuterRef("pk"), status__in=VISIT_STATUSES)
    if since is not None:
        payments = payments.filter(created_at__gte=since)
    if until is not None:
        payments = payments.filter(created_at__lt=until)
    return Exists(payments)


class EventTrigger(DailyTrigger):
    """Looks at the day before the occurrence's day: each member is caught once, the day after it happened."""

    def yesterday(self, campaign: Campaign, due: Due) -> tuple[datetime.datetime, datetime.datetime]:
        return day_range(due.day - datetime.timedelta(days=1), campaign.merchant.zone)


class Joined(EventTrigger):
    code, label, order = "joined", gettext_lazy("joined (the day after)"), 50

    def condition(self, campaign, due):
        start, end = self.yesterday(campaign, due)
        return Q(joined_at__gte=start, joined_at__lt=end)


class FirstPayment(EventTrigger):
    code, label, order = "first_payment", gettext_lazy("first payment (the day after)"), 60

    def condition(self, campaign, due):
        start, end = self.yesterday(campaign, due)
        return Q(_paid(start, end)) & ~Q(_paid(until=start))


class WakeUp(DailyTrigger):
    """唤醒沉默客户: the last payment was exactly N days ago (counted from the payment, not a visit or a login)."""

    code, label, order, needs = "wake_up", gettext_lazy("N days since the last payment (wake-up)"), 70, ("days",)

    def condition(self, campaign, due):
        start, end = day_range(due.day - datetime.timedelta(days=campaign.days), campaign.merchant.zone)
        return Q(_paid(start, end)) & ~Q(_paid(since=end))


class PointsExpiring(DailyTrigger):
    code, label, order, needs = "points_expiring", gettext_lazy("points expire in N days"), 80, ("days",)

    def condition(self, campaign, due):
        expires = due.day + datetime.timedelta(days=campaign.days)
        buckets = PointsBucket.objects.filter(card__member=OuterRef("pk"), remaining__gt=0, expires_on=expires)
        return Q(Exists(buckets))


class LevelReached(EventTrigger):
    code, label, order = "level_reached", gettext_lazy("reached a level (the day after)"), 90

    def condition(self, campaign, due):
        start, end = self.yesterday(campaign, due)
        cards = MembershipCard.objects.filter(member=OuterRef("pk"), level_since__gte=start, level_since__lt=end)
        if campaign.level_id:
            cards = cards.filter(level_id=campaign.level_id)
        return Q(Exists(cards))


class StoredValueBelow(EventTrigger):
    """The stored value moved yesterday and is now below the amount (so each fall is caught once)."""

    code, order, needs = "stored_value_below", 100, ("amount",)
    label = gettext_lazy("stored value fell below an amount")

    def condition(self, campaign, due):
        start, end = self.yesterday(campaign, due)
        low = Wallet.objects.annotate(held=F("principal") + F("bonus")).filter(member=OuterRef("pk"),
                                                                                held__lt=campaign.amount)
        moved = WalletEntry.objects.filter(wallet__member=OuterRef("pk"), created_at__gte=start, created_at__lt=end,
                                           pocket__in=["principal", "bonus"])
        return Q(Exists(low)) & Q(Exists(moved))


class CouponExpiring(DailyTrigger):
    code, order, needs = "coupon_expiring", 110, ("days",)
    label = gettext_lazy("a coupon unused N days before it expires")

    def condition(self, campaign, due):
        start, end = day_range(due.day + datetime.timedelta(days=campaign.days), campaign.merchant.zone)
        return Q(Exists(Coupon.objects.filter(member=OuterRef("pk"), state=Coupon.State.AVAILABLE,
                                              valid_until__gte=start, valid_until__lt=end)))


class GiftCardUnused(DailyTrigger):
    """A gift card the member holds and has never used, N days before it expires (礼品卡到期提醒).

    Unused: the card has never paid a bill (no `GiftCardUse`, so its balance is still what it was issued with) and
    can still be spent or activated (active, received, not yet activated). Its expiry day is the last day it can
    be spent: a card expiring at midnight (`expires_at` 2030-02-01 00:00, "valid until 31 January") expires on
    31 January, so the window is (start, end] of that day. A card expires on one day only, so it is about one
    occurrence only, and the occurrence's once-per-member key gives its holder that occurrence once (two cards
    expiring the same day: one send)."""

    code, order, needs = "gift_card_unused", 120, ("days",)
    label = gettext_lazy("a gift card unused N days before it expires")
    spendable = (GiftCard.Status.ACTIVE, GiftCard.Status.RECEIVED, GiftCard.Status.NOT_ACTIVATED)

    def condition(self, campaign, due):
        start, end = day_range(due.day + datetime.timedelta(days=campaign.days), campaign.merchant.zone)
        cards = GiftCard.objects.filter(holder=OuterRef("pk"), status__in=self.spendable, balance__gt=0,
                                        expires_at__gt=start, expires_at__lte=end).filter(
            ~Exists(GiftCardUse.objects.filter(card=OuterRef("pk"))))
        return Q(Exists(cards))


triggers: Registry[Trigger] = Registry("campaign triggers")


def register() -> None:
    for trigger in (Once(), Recurring(), Birthday(), Holiday(), Joined(), FirstPayment(), WakeUp(), PointsExpiring(),
                    LevelReached(), StoredValueBelow(), CouponExpiring(), GiftCardUnused()):
        triggers.register(trigger)
