"""Punch card uses as a liability for finance's roll-forward (loyalty.liabilities), counted in uses.

Sold (the uses a card is issued with) − used (± undone) − expired ± refunds and voids = the uses still owed. A
card's uses left stop being owed at the end of its last valid day (`valid_until`): they expire on that day, with
no ledger entry of their own (the balance stays on the card, unusable), so the roll-forward reads them from the
cards: what the card held at the end of that day. An entry written on an expired card afterwards (voiding or
refunding it) moves uses that had already expired, so it is not counted again. What is actually held is the
uses left of the cards still valid today.

Counted in uses, which are exact; the ledger audit values each paid card's uses left at the price paid per use
(see `services.liability`), and shows that money figure beside them.
"""

from __future__ import annotations

import datetime
from collections import defaultdict

from django.db.models import F, IntegerField, OuterRef, Q, Subquery, Sum
from django.db.models.functions import Coalesce, TruncDate
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from cards.punchcards.models import PunchCard, PunchCardEntry
from loyalty.liabilities import Activity, Amount, DayMovements, LedgerInstrument, Movement, Unit

Reason = PunchCardEntry.Reason
EXPIRED = "expired"


class PunchCardUsesLiability(LedgerInstrument):
    code = "punchcards.uses"
    label = pgettext_lazy("a liability: the uses members hold", "punch card uses")
    order = 60
    unit = Unit.USES
    valuation = _("Punch card uses are counted in uses; the ledger audit values each paid card's uses left at "
                  "the price paid per use. Uses left on a card expire at the end of its last valid day.")
    entry_model = PunchCardEntry
    balance_model = PunchCard
    balance_field = "uses_left"
    reasons = {Reason.ISSUE: Movement.ISSUED, Reason.USE: Movement.REDEEMED, EXPIRED: Movement.EXPIRED}

    def activity(self, *, merchant_id: int | None, first: datetime.datetime, after: datetime.datetime,
                 zone: datetime.tzinfo) -> Activity:
        """Three grouped statements whatever the number of cards: the entries counted per day and reason, the
        expiries per day, and the uses held by valid cards."""
        today = timezone.now().astimezone(zone).date()
        first_day = first.astimezone(zone).date()
        after_day = after.astimezone(zone).date()
        per_day: dict[datetime.date, dict[str, Amount]] = defaultdict(lambda: defaultdict(int))
        # Entries up to the end of their card's last valid day (an expired card's later entries move nothing owed).
        entries = self._entries(merchant_id).annotate(day=TruncDate("created_at", tzinfo=zone)).filter(
            Q(card__valid_until__isnull=True) | Q(card__valid_until__gte=today) | Q(day__lte=F("card__valid_until")))
        for row in entries.values("day", "reason").annotate(total=Sum("delta")).order_by():
            per_day[row["day"]][row["reason"]] += int(row["total"])
        # Expired cards: what each held at the end of its last day is its uses left now less its entries since.
        since = (PunchCardEntry.objects.filter(card=OuterRef("pk")).annotate(day=TruncDate("created_at", tzinfo=zone))
                 .filter(day__gt=OuterRef("valid_until")).values("card").annotate(total=Sum("delta")).values("total"))
        expired = PunchCard.objects.filter(valid_until__lt=today).exclude(
            status__in=(PunchCard.Status.PENDING, PunchCard.Status.FAILED))
        if merchant_id is not None:
            expired = expired.filter(merchant_id=merchant_id)
        expired = (expired.annotate(held=F("uses_left") - Coalesce(Subquery(since, output_field=IntegerField()), 0))
                   .values("valid_until").annotate(total=Sum("held")).order_by())
        for row in expired:
            if row["total"]:
                per_day[row["valid_until"]][EXPIRED] -= int(row["total"])
        valid = PunchCard.objects.filter(Q(valid_until__isnull=True) | Q(valid_until__gte=today))
        if merchant_id is not None:
            valid = valid.filter(merchant_id=merchant_id)
        held = valid.aggregate(total=Sum("uses_left"))["total"] or 0
        before = later = 0
        days: list[DayMovements] = []
        for day, moves in sorted(per_day.items()):
            moved = sum(moves.values(), 0)
            if day < first_day:
                before += moved
            elif day >= after_day:
                later += moved
            else:
                days.append(DayMovements(day=day, by_reason=dict(moves)))
        return Activity(before=before, days=days, after=later, held_now=int(held))

    def reason_label(self, reason: str) -> str:
        if reason == EXPIRED:
            return str(_("expired"))
        return super().reason_label(reason)


INSTRUMENTS = (PunchCardUsesLiability(),)
