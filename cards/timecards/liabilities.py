"""Time cards (时长卡) as a liability for finance's roll-forward (loyalty.liabilities), counted in money.

What the business owes for a card bought is its unused time: the price paid × the days not yet used ÷ the days
bought, rounded to the cent each day — exactly what a refund of it would return (`services.refund_due`), and what
the ledger audit reports (`services.liability`). It is recognised day by day as the period runs: a day of the
period counts as used once it has begun, and a card waiting for its first use owes its whole price. Cards given
as a benefit were not paid for and owe nothing.

Time cards keep periods, not a balance behind a ledger, so the day's moves are read from the cards themselves:
sold (the day the card became the member's: +price), days used (each day of the period: the value it lost that
day), refunded or voided (the day it ended early: what was still owed). Nothing expires unused: a card not used
by its "activate by" day starts on that day, and its days then count as used. Summed up to any day, the moves
give the card's value at the end of that day, so the closing is checked against what the cards hold by their
current periods (`services.liability`): a period edited without its card's days (or a card voided without its
day) shows as a difference.
"""

from __future__ import annotations

import datetime
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal

from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from cards.timecards.models import TimeCard
from cards.timecards.services import liability
from loyalty.liabilities import Activity, Amount, DayMovements, LiabilityInstrument, Movement, Unit
from loyalty.money import ZERO, quantize

DAY = datetime.timedelta(days=1)
SOLD, USED, REFUNDED, VOIDED = "sold", "days_used", "refunded", "voided"
REASON_LABELS = {SOLD: _("sold"), USED: _("days used"), REFUNDED: _("card refunded"), VOIDED: _("card voided")}


@dataclass(frozen=True)
class CardTerms:
    """What a card's value over time depends on: its price, days, period start, and the days it began and ended
    (merchant days). `ended_on` is the day it was refunded or voided, None while it is live."""

    price: Decimal
    days: int
    starts_on: datetime.date | None
    sold_on: datetime.date
    ended_on: datetime.date | None = None
    refunded: bool = False

    def value(self, day: datetime.date) -> Decimal:
        """What the card owes at the end of `day` while it is live: the price for the days not yet used."""
        if self.starts_on is None or self.starts_on > day:
            return self.price
        last = self.starts_on + (self.days - 1) * DAY
        return quantize(self.price * max(0, (last - day).days) / self.days)

    def owed(self, day: datetime.date) -> Decimal:
        """The sum of its moves up to the end of `day`: nothing before it was sold or once it ended."""
        if day < self.sold_on or (self.ended_on is not None and day >= self.ended_on):
            return ZERO
        return self.value(day)

    def moves(self, first: datetime.date, last: datetime.date, today: datetime.date
              ) -> list[tuple[datetime.date, str, Decimal]]:
        """Its moves on the days `first`..`last` (none after `today`), each day's in the order they happen."""
        life_end = min(today, self.ended_on) if self.ended_on is not None else today
        days = {self.sold_on, *([self.ended_on] if self.ended_on else [])}
        if self.starts_on is not None:
            period_end = self.starts_on + (self.days - 1) * DAY
            day = max(first, self.starts_on, self.sold_on)
            while day <= min(last, period_end, life_end):
                days.add(day)
                day += DAY
        moves: list[tuple[datetime.date, str, Decimal]] = []
        # A period's days come one after another: the day before's value is the one just worked out.
        previous: tuple[datetime.date, Decimal] | None = None
        for day in sorted(d for d in days if first <= d <= min(last, life_end)):
            if day == self.sold_on:
                before = self.price
            elif previous is not None and previous[0] == day - DAY:
                before = previous[1]
            else:
                before = self.value(day - DAY)
            value = self.value(day)
            if day == self.sold_on:
                moves.append((day, SOLD, self.price))
            used = before - value
            if used:
                moves.append((day, USED, -used))
            if day == self.ended_on:
                moves.append((day, REFUNDED if self.refunded else VOIDED, -value))
            previous = (day, value)
        return moves


def _local_day(moment: datetime.datetime, zone: datetime.tzinfo) -> datetime.date:
    return moment.astimezone(zone).date()


class TimeCardLiability(LiabilityInstrument):
    code = "timecards.unused_days"
    label = pgettext_lazy("a liability: what members paid for days of time cards not used yet",
                          "time cards (unused days)")
    order = 70
    unit = Unit.MONEY
    valuation = _("Time cards are valued at the price paid × the days not yet used ÷ the days bought (what a refund "
                  "would return), recognised day by day as the period runs; a card waiting for its first use owes "
                  "its whole price, and given cards owe nothing.")

    def movements(self) -> dict[str, Movement]:
        return {SOLD: Movement.ISSUED, USED: Movement.REDEEMED}

    def reason_label(self, reason: str) -> str:
        return str(REASON_LABELS.get(reason, reason))

    def activity(self, *, merchant_id: int | None, first: datetime.datetime, after: datetime.datetime,
                 zone: datetime.tzinfo) -> Activity:
        today = timezone.now().astimezone(zone).date()
        first_day, last_day = _local_day(first, zone), _local_day(after, zone) - DAY
        cards = TimeCard.objects.filter(status__in=(TimeCard.Status.ACTIVE, TimeCard.Status.VOID),
                                        activated_at__isnull=False, price_paid__gt=0)
        if merchant_id is not None:
            cards = cards.filter(merchant_id=merchant_id)
        cards = cards.only("status", "days", "price_paid", "starts_on", "ends_on", "activated_at", "voided_at",
                           "refunded_amount")
        terms, held = [], ZERO
        for card in cards.iterator(chunk_size=2000):
            terms.append(terms_of(card, zone))
            if card.status == TimeCard.Status.ACTIVE:
                held += liability(card, today)
        return card_activity(terms, first=first_day, last=last_day, today=today, held_now=held)


def card_activity(cards: Iterable[CardTerms], *, first: datetime.date, last: datetime.date, today: datetime.date,
                  held_now: Decimal) -> Activity:
    """The cards' moves over the days `first`..`last`, what they owed before and what moved after (up to today)."""
    before = later = ZERO
    per_day: dict[datetime.date, dict[str, Amount]] = defaultdict(lambda: defaultdict(lambda: ZERO))
    # Cards sold the same day on the same terms move alike: each distinct card's days are walked once (a busy
    # merchant's year of time cards is a few distinct ones per day, each a period of hundreds of days).
    for terms, alike in Counter(cards).items():
        before += terms.owed(first - DAY) * alike
        if last < today:
            later += (terms.owed(today) - terms.owed(last)) * alike
        for day, reason, amount in terms.moves(first, last, today):
            per_day[day][reason] += amount * alike
    days = [DayMovements(day=day, by_reason=dict(moves)) for day, moves in sorted(per_day.items())]
    return Activity(before=before, days=days, after=later, held_now=held_now)


def terms_of(card: TimeCard, zone: datetime.tzinfo) -> CardTerms:
    """A card's terms. A refund shortens the refunded card's period to the day it ended, so its start and days
    (which never change) say what its period was before that."""
    ended = card.status == TimeCard.Status.VOID
    ended_on = _local_day(card.voided_at or card.activated_at, zone) if ended else None
    return CardTerms(price=card.price_paid, days=card.days, starts_on=card.starts_on,
                     sold_on=_local_day(card.activated_at, zone), ended_on=ended_on,
                     refunded=ended and card.refunded_amount > 0)


INSTRUMENTS = (TimeCardLiability(),)
