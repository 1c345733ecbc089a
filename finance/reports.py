"""Finance's reports (loyalty.reports): the daily settlement, the liability roll-forward, statement matching.

Each computes a `ReportResult` (rows as dicts, columns reading them), inside `report_reads()` so its queries
go to the replica when one is configured. Finance's admin pages render them; the reports console renders
the same results generically. A row whose `flag` is true is a mismatch, shown in red.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext, pgettext, pgettext_lazy

from checkout.models import Channel
from finance.models import StatementLine
from finance.services.settlement import SettlementRow, read_settlement
from finance.services.statements import OUTCOME_LABELS, Outcome, match_statements
from loyalty.exports import Column, time_header
from loyalty.liabilities import (
    Amount,
    DayMovements,
    LiabilityInstrument,
    RolledDay,
    Unit,
    describe_adjustments,
    liability_instruments,
    roll_forward,
)
from loyalty.money import ZERO, quantize
from loyalty.pricing import pricing_steps
from loyalty.replica import report_reads
from loyalty.reports import ChartSeries, Report, ReportResult, ReportScope
from loyalty.tenders import tenders

GROUP = "finance"
UNIT_LABELS = {Unit.MONEY: gettext_lazy("money"), Unit.POINTS: gettext_lazy("points"),
               Unit.USES: pgettext_lazy("a count of punch card uses", "uses")}


@dataclass(frozen=True)
class KeyColumn(Column):
    """A column reading one key of a row dict; its key also names its total (`ReportResult.totals`)."""

    key: str = ""


def _column(header: Any, name: str) -> KeyColumn:
    return KeyColumn(str(header), lambda row, name=name: row.get(name), name)


class DailySettlement(Report):
    """日结: per day, store, till, cashier and channel."""

    code = "finance.settlement"
    label = gettext_lazy("Daily settlement")
    group = GROUP
    order = 10

    def compute(self, scope: ReportScope) -> ReportResult:
        with report_reads():
            settled = read_settlement(scope)
        steps, ways = pricing_steps.all(), tenders.all()
        columns = [_column(_("day"), "day"), _column(_("store"), "store"), _column(_("till"), "till"),
                   _column(_("cashier"), "cashier"), _column(_("outside channel"), "channel"),
                   _column(_("payments"), "payments"),
                   _column(_("bills"), "bills"),
                   *[_column(_("off by %(step)s") % {"step": step.label}, f"step:{step.code}") for step in steps],
                   _column(_("discounts"), "discounts"), _column(_("amount due"), "due"),
                   *[_column(_("paid by %(tender)s") % {"tender": tender.label}, f"tender:{tender.code}")
                     for tender in ways],
                   _column(_("covered by members' accounts"), "covered_inside"),
                   _column(_("refunded"), "refunded"),
                   *[_column(_("refunded to %(tender)s") % {"tender": tender.label}, f"refund:{tender.code}")
                     for tender in ways],
                   _column(_("the platform pays in"), "platform_pays_in")]
        names = (["payments", "bills", *[f"step:{s.code}" for s in steps], "discounts", "due",
                  *[f"tender:{t.code}" for t in ways], "covered_inside", "refunded",
                  *[f"refund:{t.code}" for t in ways], "platform_pays_in"])
        rows = [self._row(row, names) for row in settled]
        totals: dict[str, Any] = {name: sum((row[name] for row in rows), 0 if name == "payments" else ZERO)
                                  for name in names}
        per_day: dict[Any, Decimal] = defaultdict(lambda: ZERO)
        inside: dict[Any, Decimal] = defaultdict(lambda: ZERO)
        for row in settled:
            per_day[row.day] += row.platform_pays_in
            inside[row.day] += row.covered_inside
        chart = [ChartSeries(_("the platform pays in"), sorted(per_day.items())),
                 ChartSeries(_("covered by members' accounts"), sorted(inside.items()))]
        notes = [_("Payments count on the day they were made and refunds on the day they were made, so a day's "
                   "refunds may be of earlier bills."),
                 _("The till is the store terminal that took the payment; self-pay and payments the platform "
                   "reported have none."),
                 _("The cashier is the staff member the till named for the payment; self-pay is its own row, and "
                   "a refund counts under the cashier who took the payment."),
                 _("The platform pays in what the outside channel took, less what was refunded to it.")]
        return ReportResult(columns=columns, rows=rows, totals=totals, chart=chart, notes=notes)

    @staticmethod
    def _row(row: SettlementRow, names: list[str]) -> dict[str, Any]:
        values: dict[str, Any] = {"day": row.day, "store": row.store, "till": row.till or _("none"),
                                  "cashier": row.cashier, "cashier_id": row.cashier_id,
                                  "channel": row.channel_label or _("none"), "flag": False}
        values.update({name: row.figure(name) for name in names})
        return values


class LiabilityRollForward(Report):
    """负债滚动: per instrument and day, opening + issued − redeemed − expired ± adjustments = closing."""

    code = "finance.liabilities"
    label = gettext_lazy("Liability roll-forward")
    group = GROUP
    order = 20

    def compute(self, scope: ReportScope) -> ReportResult:
        first, after = scope.bounds()
        rows: list[dict[str, Any]] = []
        warnings: list[str] = []
        notes = [_("Liabilities are the merchant's as a whole: the store filter does not apply to them."),
                 _("Actual is what the accounts hold at the end of the day: their balances now, less every "
                   "ledger entry since. A difference means a balance changed without its ledger entry.")]
        owed = ZERO
        chart = []
        with report_reads():
            for instrument in liability_instruments.all():
                activity = instrument.activity(merchant_id=scope.merchant_id, first=first, after=after,
                                               zone=scope.zone)
                if not activity.days:
                    activity.days.append(DayMovements(day=scope.end, by_reason={}))
                days = roll_forward(activity, instrument.movements())
                value = instrument.valuer(merchant_id=scope.merchant_id)  # its rate read once, not per day
                rows.extend(self._row(instrument, day, value) for day in days)
                for day in days:
                    if day.mismatch:
                        warnings.append(_("%(instrument)s on %(day)s: the closing %(closing)s differs from what the "
                                          "accounts hold, %(actual)s.") % {
                            "instrument": instrument.label, "day": day.day, "closing": day.closing,
                            "actual": day.actual})
                last_value = value(days[-1].closing)
                owed += last_value or ZERO
                if instrument.valuation:
                    notes.append(str(instrument.valuation))
                if instrument.unit == Unit.MONEY:
                    chart.append(ChartSeries(str(instrument.label), [(day.day, day.closing) for day in days]))
        return ReportResult(columns=self.columns(), rows=rows, totals={"closing_value": quantize(owed)},
                            chart=chart, notes=notes, warnings=warnings)

    @staticmethod
    def columns() -> list[Column]:
        return [_column(_("instrument"), "instrument"), _column(_("counted in"), "unit"),
                _column(_("day"), "day"), _column(_("opening"), "opening"), _column(_("issued"), "issued"),
                _column(_("redeemed"), "redeemed"), _column(_("expired"), "expired"),
                _column(pgettext("a liability's other moves", "adjustments"), "adjustments"),
                _column(_("adjustments by name"), "adjustments_named"),
                _column(_("closing"), "closing"), _column(_("actual"), "actual"),
                _column(_("difference"), "mismatch"), _column(_("closing in money"), "closing_value")]

    @staticmethod
    def _row(instrument: LiabilityInstrument, day: RolledDay,
             value: Callable[[Amount], Decimal | None]) -> dict[str, Any]:
        return {"instrument": str(instrument.label), "code": instrument.code,
                "unit": str(UNIT_LABELS.get(instrument.unit, instrument.unit)), "day": day.day,
                "opening": day.opening, "issued": day.issued, "redeemed": day.redeemed, "expired": day.expired,
                "adjustments": day.adjusted, "adjustments_named": describe_adjustments(instrument, day.adjustments),
                "closing": day.closing, "actual": day.actual, "mismatch": day.mismatch,
                "closing_value": value(day.closing),
                "flag": bool(day.mismatch)}


class StatementMatching(Report):
    """对账: the uploaded statements' lines against the payments, by trade number."""

    code = "finance.statements"
    label = gettext_lazy("Statement matching")
    group = GROUP
    order = 30

    def compute(self, scope: ReportScope) -> ReportResult:
        with report_reads():
            matched = match_statements(scope)
        channels, kinds = dict(Channel.choices), dict(StatementLine.Kind.choices)
        rows = [{"outcome": str(OUTCOME_LABELS[row.outcome]), "outcome_code": row.outcome,
                 "channel": str(channels.get(row.channel, row.channel)), "trade_no": row.trade_no,
                 "kind": str(kinds.get(row.kind, row.kind)), "time": row.occurred_at, "theirs": row.theirs,
                 "ours": row.ours, "difference": row.difference, "payment": row.payment, "store": row.store,
                 "flag": row.outcome != Outcome.MATCHED} for row in matched]
        totals: dict[str, Any] = {code: sum(1 for row in matched if row.outcome == code) for code in OUTCOME_LABELS}
        totals["theirs"] = quantize(sum((row.theirs or ZERO for row in matched), ZERO))
        totals["ours"] = quantize(sum((row.ours or ZERO for row in matched), ZERO))
        unmatched = len(matched) - totals[Outcome.MATCHED]
        warnings = [ngettext("%(count)d line is not matched.", "%(count)d lines are not matched.", unmatched)
                    % {"count": unmatched}] if unmatched else []
        columns = [_column(_("outcome"), "outcome"), _column(_("outside channel"), "channel"),
                   _column(_("platform trade number"), "trade_no"), _column(_("kind"), "kind"),
                   _column(time_header(_("time")), "time"), _column(_("in the statement"), "theirs"),
                   _column(_("ours"), "ours"), _column(_("difference"), "difference"),
                   _column(_("payment"), "payment"), _column(_("store"), "store")]
        chart = [ChartSeries(_("lines"), [(str(OUTCOME_LABELS[code]), totals[code]) for code in OUTCOME_LABELS])]
        notes = [_("A payment line is checked against what the outside channel took of the payment, a refund line "
                   "against what was refunded to it."),
                 _("Ours, not in the statement: payments by the statement's channel on a day it covers.")]
        return ReportResult(columns=columns, rows=rows, totals=totals, chart=chart, notes=notes, warnings=warnings)


REPORTS = (DailySettlement(), LiabilityRollForward(), StatementMatching())
