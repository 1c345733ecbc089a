"""The stored-value report (门店充值统计): recharges and spend per store and day, the bonus given at once and in
monthly instalments, and the principal and bonus members still hold.

Recharges count when paid (a recharge refunded since still counts on its day; its refund is a ledger entry of
its own). Spend is what payments drew from principal and bonus, net of what refunds put back, from the wallet
ledger. The outstanding figures are as they stand now, for the whole merchant: a wallet belongs to no store.
"""

from __future__ import annotations

from django.db.models import Count, Q, Sum
from django.db.models.functions import TruncDate
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from loyalty.money import ZERO, money_text
from loyalty.reports import ChartSeries, Report, ReportResult, ReportScope, key_column
from merchants.models import Store
from wallet.models import BonusInstalment, Pocket, Recharge, Wallet, WalletEntry, WalletSettings

COUNTED = [Recharge.Status.PAID, Recharge.Status.REFUNDED]
SPEND_REASONS = [WalletEntry.Reason.PAYMENT, WalletEntry.Reason.PAYMENT_REFUND]
MONEY_KEYS = ("recharged", "bonus_now", "bonus_scheduled", "instalments_paid", "spent_principal", "spent_bonus")


class StoredValueReport(Report):
    code = "stored_value"
    label = gettext_lazy("Stored value: recharges and spend per store and day")
    group = gettext_lazy("Stored value and cards")
    order = 10

    def compute(self, scope: ReportScope) -> ReportResult:
        first, after = scope.bounds()
        merchant = Q() if scope.merchant_id is None else Q(merchant_id=scope.merchant_id)
        stores = Q(store_id__in=scope.store_ids) if scope.store_ids else Q()
        rows: dict[tuple, dict] = {}

        def row(day, store_id) -> dict:
            return rows.setdefault((day, store_id), {"day": day, "store_id": store_id, "recharges": 0,
                                                     **{key: ZERO for key in MONEY_KEYS}})

        for r in (Recharge.objects.filter(merchant, stores, status__in=COUNTED, created_at__gte=first,
                                          created_at__lt=after)
                  .annotate(day=TruncDate("created_at", tzinfo=scope.zone)).order_by().values("day", "store_id")
                  .annotate(n=Count("pk"), amount=Sum("amount"), bonus_now=Sum("bonus_now"),
                            bonus_scheduled=Sum("bonus_scheduled"))):
            target = row(r["day"], r["store_id"])
            target.update(recharges=r["n"], recharged=r["amount"], bonus_now=r["bonus_now"],
                          bonus_scheduled=r["bonus_scheduled"])
        entries = (WalletEntry.objects.filter(merchant, stores, created_at__gte=first, created_at__lt=after)
                   .filter(Q(reason__in=SPEND_REASONS, pocket__in=[Pocket.PRINCIPAL, Pocket.BONUS])
                           | Q(reason=WalletEntry.Reason.BONUS_INSTALMENT))
                   .annotate(day=TruncDate("created_at", tzinfo=scope.zone)).order_by()
                   .values("day", "store_id", "pocket", "reason").annotate(total=Sum("delta")))
        for e in entries:
            target = row(e["day"], e["store_id"])
            if e["reason"] == WalletEntry.Reason.BONUS_INSTALMENT:
                target["instalments_paid"] += e["total"]
            else:
                target["spent_principal" if e["pocket"] == Pocket.PRINCIPAL else "spent_bonus"] -= e["total"]
        names = dict(Store.objects.filter(pk__in={k[1] for k in rows if k[1]}).values_list("pk", "name"))
        table = sorted(rows.values(), key=lambda r: (r["day"], names.get(r["store_id"], "")))
        for r in table:
            r["store"] = names.get(r["store_id"]) or _("online")
        held = Wallet.objects.filter(merchant).aggregate(principal=Sum("principal"), bonus=Sum("bonus"))
        to_come = BonusInstalment.objects.filter(merchant, status=BonusInstalment.Status.SCHEDULED).aggregate(
            total=Sum("amount"))
        totals = {"day": _("total"), "recharges": sum(r["recharges"] for r in table)}
        for key in MONEY_KEYS:
            totals[key] = sum((r[key] for r in table), ZERO)
        by_day: dict = {}
        for r in table:
            day = by_day.setdefault(r["day"], [ZERO, ZERO])
            day[0] += r["recharged"]
            day[1] += r["spent_principal"] + r["spent_bonus"]
        warnings = []
        if scope.merchant_id is not None and not WalletSettings.objects.filter(
                merchant_id=scope.merchant_id, stored_value_enabled=True).exists():
            warnings.append(_("Stored value is switched off for this merchant (wallet settings): members cannot "
                              "recharge, so this report stays empty."))
        columns = [key_column(_("day"), "day"), key_column(_("store"), "store"),
                   key_column(_("recharges"), "recharges"), key_column(_("recharged"), "recharged"),
                   key_column(_("bonus given at once"), "bonus_now"),
                   key_column(_("bonus in instalments (promised)"), "bonus_scheduled"),
                   key_column(_("instalments paid"), "instalments_paid"),
                   key_column(_("spent from principal"), "spent_principal"),
                   key_column(_("spent from bonus"), "spent_bonus")]
        return ReportResult(
            columns=columns, rows=table, totals=totals, warnings=warnings,
            chart=[ChartSeries(_("recharged"), [(d, v[0]) for d, v in sorted(by_day.items())]),
                   ChartSeries(_("stored value spent"), [(d, v[1]) for d, v in sorted(by_day.items())])],
            notes=[_("Outstanding now, for the whole merchant: principal %(principal)s, bonus %(bonus)s; bonus "
                     "instalments still to be paid %(to_come)s.") % {
                       "principal": money_text(held["principal"] or ZERO), "bonus": money_text(held["bonus"] or ZERO),
                       "to_come": money_text(to_come["total"] or ZERO)},
                   _("Spend is what payments drew, net of what their refunds put back; a recharge counts on the "
                     "day it was made.")])
