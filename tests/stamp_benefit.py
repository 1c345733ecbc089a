"""A test-only kind of benefit: stamps at one of the merchant's stores, kept in memory.

It proves that rules, offers and join gifts give and take back a kind that checkout, the wallet and
merchants have never heard of: it is registered with `benefits.registered(...)` for one test only.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from decimal import Decimal

from django.db import models
from django.db.models import QuerySet

from loyalty.benefits import QUANTITY, TARGET, Benefit, BenefitLine, Given, TakenBack, share_of
from merchants.models import Store


class StampBenefit(Benefit):
    code = "test_stamp"
    label = "stamps"
    order = 999
    uses = frozenset({QUANTITY, TARGET})
    target_field = "stamp_store"
    target_label = "store"

    def __init__(self):
        self.held: Counter = Counter()  # stamps per member pk
        self.given: list[tuple[str, int]] = []  # (reference, stamps)
        self.taken: list[tuple[str, int]] = []

    def targets(self, merchant_id: int | None) -> QuerySet:
        stores = Store.objects.order_by("pk")
        return stores if merchant_id is None else stores.filter(merchant_id=merchant_id)

    def give(self, line: BenefitLine, member, *, target: models.Model | None, occasion: str, reference: str,
             store=None, note: str = "") -> Given:
        self.held[member.pk] += line.quantity
        self.given.append((reference, line.quantity))
        return Given(kind=self.code, quantity=line.quantity, target_id=target.pk, reference=reference)

    def take_back(self, given: Given, member, *, share: Decimal | None, reference: str, store=None) -> TakenBack:
        wanted = share_of(given.quantity, share, given.quantity_left)
        taken = min(wanted, self.held[member.pk])
        self.held[member.pk] -= taken
        self.taken.append((reference, taken))
        return TakenBack(quantity=taken, shortfall_quantity=wanted - taken)

    def describe(self, line: BenefitLine, target: models.Model | None) -> str:
        return f"{line.quantity} stamps at {target.name if target else '?'}"

    def answer(self, lines: Sequence[tuple[BenefitLine, models.Model | None]]):
        return None
