"""The gift card part of `manage.py audit_ledgers`, and the figures the admin shows."""

from __future__ import annotations

from collections import defaultdict
from decimal import Decimal

from django.db.models import Count, Q, Sum

from cards.giftcards.models import FaceValue, GiftCard, GiftCardEntry, GiftCardPurchase
from loyalty.ledgers import BalanceCheck, LedgerReport, Source, audit_balances
from loyalty.money import ZERO, quantize


def audit_gift_cards(merchant_id: int | None = None) -> LedgerReport:
    """Every card's balance equals the sum of its entries; what holders can still spend is a prepaid
    liability, in total and per the stores where it can be spent."""
    report = LedgerReport(name="giftcards")
    totals = audit_balances(report, GiftCard.objects.all(), [BalanceCheck("balance", (
        Source("ledger", GiftCardEntry.objects.all(), "card_id", "delta"),))], label="gift card",
        merchant_id=merchant_id)
    report.liabilities = {"gift card balances total": quantize(totals["balance"])}
    report.liabilities.update(owed_per_store(merchant_id))
    return report


def owed_per_store(merchant_id: int | None) -> dict[str, Decimal]:
    """Gift card balances owed, per merchant and the stores the cards can be spent at (all: "every store")."""
    scope = Q(merchant_id=merchant_id) if merchant_id is not None else Q()
    rows = (GiftCard.objects.filter(scope, balance__gt=0).values("merchant__slug", "face_value_id")
            .annotate(owed=Sum("balance")).order_by())
    stores = defaultdict(list)
    for face_value_id, name in FaceValue.stores.through.objects.filter(
            facevalue_id__in={row["face_value_id"] for row in rows}).values_list("facevalue_id", "store__name"):
        stores[face_value_id].append(name)
    owed: dict[str, Decimal] = defaultdict(lambda: ZERO)
    for row in rows:
        where = ", ".join(sorted(stores[row["face_value_id"]])) or "every store"
        owed[f"gift cards owed {row['merchant__slug']} / {where}"] += quantize(row["owed"])
    return dict(sorted(owed.items()))


def gift_card_figures(merchant_id: int | None) -> dict[str, Decimal | int]:
    """Sold, revenue, redeemed, outstanding, expired: for the admin's figures (one aggregate each)."""
    scope = Q(merchant_id=merchant_id) if merchant_id is not None else Q()
    sold = GiftCardPurchase.objects.filter(scope, status=GiftCardPurchase.Status.PAID).aggregate(
        cards=Sum("quantity"), revenue=Sum("total"), purchases=Count("pk"))
    moved = {row["reason"]: row["total"] for row in GiftCardEntry.objects.filter(scope).values("reason")
             .annotate(total=Sum("delta")).order_by()}
    R = GiftCardEntry.Reason

    def money(value) -> Decimal:
        return quantize(value or 0)

    return {
        "purchases": sold["purchases"] or 0, "cards_sold": sold["cards"] or 0, "revenue": money(sold["revenue"]),
        "face_value_sold": money(moved.get(R.ISSUED)),
        "redeemed": money(-(moved.get(R.PAYMENT) or 0) - (moved.get(R.PAYMENT_REFUND) or 0)),
        "outstanding": money(GiftCard.objects.filter(scope).aggregate(total=Sum("balance"))["total"]),
        "expired": money(-(moved.get(R.EXPIRED) or 0)),
        "voided": money(-(moved.get(R.VOIDED) or 0)),
    }
