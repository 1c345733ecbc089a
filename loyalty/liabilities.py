"""The liability instruments registry: what the business owes its members, one registered class per instrument.

Money received for stored value, gift cards and prepaid uses, and the points and cashback given, are owed
until redeemed or expired. Finance's roll-forward proves each of them per day: opening + issued − redeemed −
expired ± named adjustments = closing, and the closing against what the accounts actually hold. An app that
keeps such a balance registers its instruments here in `AppConfig.ready()`, as it registers its ledger
auditor (loyalty.ledgers): the wallet its principal, bonus and cashback, the membership card its points,
gift cards their balances, punch cards their uses, time cards the price of their unused days. A new
instrument is one class.

Most instruments are a ledger: `LedgerInstrument` reads the day's entries grouped by reason and the
accounts' balances, in a fixed number of statements whatever the number of entries.
"""

from __future__ import annotations

import abc
import datetime
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, ClassVar

from django.db import models
from django.db.models import Sum
from django.db.models.functions import TruncDate

from loyalty.money import ZERO, quantize
from loyalty.registry import Registry

Amount = Decimal | int


class Movement(models.TextChoices):
    """How a ledger reason moves a liability; anything else is an adjustment, named by its reason."""

    ISSUED = "issued"
    REDEEMED = "redeemed"
    EXPIRED = "expired"


class Unit(models.TextChoices):
    MONEY = "money"
    POINTS = "points"
    USES = "uses"


@dataclass(frozen=True)
class DayMovements:
    """What moved an instrument on one day, signed as the ledger writes it (a redemption is negative)."""

    day: datetime.date
    by_reason: dict[str, Amount]


@dataclass(frozen=True)
class Activity:
    """An instrument's ledger over a window: the sum before it, each day's moves, the sum after it, and what the
    accounts hold now. The accounts' actual figure at the end of a day is `held_now` minus every move after it."""

    before: Amount
    days: list[DayMovements]
    after: Amount
    held_now: Amount


@dataclass
class RolledDay:
    """One day of a roll-forward: the identity's terms, the adjustments by reason, and the actual closing."""

    day: datetime.date
    opening: Amount
    issued: Amount
    redeemed: Amount
    expired: Amount
    adjustments: dict[str, Amount] = field(default_factory=dict)
    closing: Amount = 0
    actual: Amount = 0

    @property
    def adjusted(self) -> Amount:
        return sum(self.adjustments.values(), type(self.opening)(0))

    @property
    def mismatch(self) -> Amount:
        return self.actual - self.closing


def roll_forward(activity: Activity, movement_of: dict[str, Movement]) -> list[RolledDay]:
    """Each day of `activity` as opening + issued − redeemed − expired ± adjustments = closing.

    Pure arithmetic on what the ledger said (exact: sums of two-place decimals or of integers), so the next
    day's opening is this day's closing, and the last closing plus what moved after the window is the ledger's
    total. `actual` is what the accounts held at the end of the day, read back from their balances now.
    """
    rolled: list[RolledDay] = []
    opening = activity.before
    later = sum((sum(day.by_reason.values(), 0) for day in activity.days), 0) + activity.after
    for day in activity.days:
        terms: dict[str, Amount] = defaultdict(int)
        adjustments: dict[str, Amount] = {}
        for reason, amount in sorted(day.by_reason.items()):
            movement = movement_of.get(reason)
            if movement is None:
                adjustments[reason] = adjustments.get(reason, 0) + amount
            else:
                terms[movement] += amount
        issued, redeemed, expired = terms[Movement.ISSUED], -terms[Movement.REDEEMED], -terms[Movement.EXPIRED]
        moved = sum(day.by_reason.values(), 0)
        later -= moved
        closing = opening + issued - redeemed - expired + sum(adjustments.values(), 0)
        rolled.append(RolledDay(day=day.day, opening=opening, issued=issued, redeemed=redeemed, expired=expired,
                                adjustments=adjustments, closing=closing, actual=activity.held_now - later))
        opening = closing
    return rolled


class LiabilityInstrument(abc.ABC):
    """One thing the business owes (stored-value principal, points, a gift card balance ...).

    `unit` says what its figures count (money, points, uses); `valuation` says how one unit is worth money,
    where it is not money itself (the points-to-money rate, the price paid per use).
    """

    code: ClassVar[str]
    label: ClassVar[Any]
    order: ClassVar[int] = 100
    unit: ClassVar[str] = Unit.MONEY
    valuation: ClassVar[Any] = ""

    @abc.abstractmethod
    def activity(self, *, merchant_id: int | None, first: datetime.datetime, after: datetime.datetime,
                 zone: datetime.tzinfo) -> Activity:
        """The ledger's moves over [first, after), per merchant-local day and reason, and the balances now."""

    @abc.abstractmethod
    def movements(self) -> dict[str, Movement]:
        """Which of its reasons are issues, redemptions and expiries; the rest are adjustments."""

    @abc.abstractmethod
    def reason_label(self, reason: str) -> str:
        """An adjustment's name, as the reader reads it."""

    def value(self, amount: Amount, *, merchant_id: int | None) -> Decimal | None:
        """What `amount` of this instrument is worth in money; None where it cannot be said."""
        return quantize(Decimal(amount)) if self.unit == Unit.MONEY else None

    def valuer(self, *, merchant_id: int | None) -> Callable[[Amount], Decimal | None]:
        """`value` for many amounts of one merchant: an instrument whose rate is read from the database
        overrides this to read it once, so a roll-forward of a year values its 366 days in one statement."""
        return lambda amount: self.value(amount, merchant_id=merchant_id)


class LedgerInstrument(LiabilityInstrument):
    """An instrument kept by an append-only ledger (loyalty.ledgers.LedgerEntry) beside a balance column.

    `entry_filter` picks its entries (the wallet's ledger holds three pockets), `reasons` classifies them.
    """

    entry_model: ClassVar[type[models.Model]]
    entry_filter: ClassVar[dict[str, Any]] = {}
    balance_model: ClassVar[type[models.Model]]
    balance_field: ClassVar[str]
    reasons: ClassVar[dict[str, Movement]]

    def movements(self) -> dict[str, Movement]:
        return dict(self.reasons)

    def reason_label(self, reason: str) -> str:
        return str(dict(self.entry_model._meta.get_field("reason").flatchoices).get(reason, reason))

    def _entries(self, merchant_id: int | None) -> models.QuerySet:
        entries = self.entry_model.objects.filter(**self.entry_filter)
        return entries if merchant_id is None else entries.filter(merchant_id=merchant_id)

    def activity(self, *, merchant_id: int | None, first: datetime.datetime, after: datetime.datetime,
                 zone: datetime.tzinfo) -> Activity:
        """The window's days from the instrument's kept days where it keeps them and the window is whole local
        days, else from the entries. The sums before and after the window and the balances are always read from
        the entries and the accounts, so a balance changed without its entry is still flagged."""
        entries = self._entries(merchant_id)
        zero = self._zero()
        before = entries.filter(created_at__lt=first).aggregate(total=Sum("delta"))["total"] or zero
        later = entries.filter(created_at__gte=after).aggregate(total=Sum("delta"))["total"] or zero
        balances = self.balance_model.objects.all()
        if merchant_id is not None:
            balances = balances.filter(merchant_id=merchant_id)
        held = balances.aggregate(total=Sum(self.balance_field))["total"] or zero
        days = whole_days(first, after, zone)
        kept = None if days is None else self.kept_moves(merchant_id=merchant_id, start=days[0], end=days[1],
                                                         zone=zone)
        per_day: dict[datetime.date, dict[str, Amount]] = defaultdict(dict)
        if kept is None:
            rows = (entries.filter(created_at__gte=first, created_at__lt=after)
                    .annotate(day=TruncDate("created_at", tzinfo=zone)).values("day", "reason")
                    .annotate(total=Sum("delta")).order_by("day", "reason"))
            kept = {(row["day"], row["reason"]): row["total"] for row in rows}
        for (day, reason), total in sorted(kept.items()):
            per_day[day][reason] = self._exact(total)
        moved = [DayMovements(day=day, by_reason=moves) for day, moves in sorted(per_day.items())]
        return Activity(before=self._exact(before), days=moved, after=self._exact(later), held_now=self._exact(held))

    def kept_moves(self, *, merchant_id: int | None, start: datetime.date, end: datetime.date,
                   zone: datetime.tzinfo) -> dict[tuple[datetime.date, str], Amount] | None:
        """What moved on each local day of `start`..`end` by reason, read from a kept-days table (past days
        summed once, today live) with the entries' own figures; None for an instrument that keeps no days, which
        is then read from its entries."""
        return None

    def _zero(self) -> Amount:
        return ZERO if self.unit == Unit.MONEY else 0

    def _exact(self, amount: Amount) -> Amount:
        # SQLite hands a money sum back with float noise; the entries themselves have two places.
        return quantize(Decimal(amount)) if self.unit == Unit.MONEY else int(amount)


def whole_days(first: datetime.datetime, after: datetime.datetime,
               zone: datetime.tzinfo) -> tuple[datetime.date, datetime.date] | None:
    """The local days (first, last) that [first, after) covers exactly, or None where it starts or ends within a
    day: kept days are whole days of `zone`."""
    start, end = first.astimezone(zone).date(), (after.astimezone(zone) - datetime.timedelta(days=1)).date()
    if end < start or (first, after) != (datetime.datetime.combine(start, datetime.time.min, tzinfo=zone),
                                         datetime.datetime.combine(end + datetime.timedelta(days=1),
                                                                   datetime.time.min, tzinfo=zone)):
        return None
    return start, end


liability_instruments: Registry[LiabilityInstrument] = Registry("liability instruments")


def describe_adjustments(instrument: LiabilityInstrument, adjustments: dict[str, Amount]) -> str:
    """"payment refunded +12.00; adjusted by staff −3" — every adjustment by its name."""
    return "; ".join(f"{instrument.reason_label(reason)} {amount:+}" for reason, amount in adjustments.items())


def total_of(days: Sequence[RolledDay] | Iterable[RolledDay], attribute: str) -> Amount:
    return sum((getattr(day, attribute) for day in days), 0)
