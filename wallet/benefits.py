"""Cashback as a benefit: a lot in the member's cashback pocket, taken back on a refund as far as it is unspent."""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal

from django.db import models
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from loyalty.benefits import AMOUNT, Benefit, BenefitLine, Given, TakenBack, share_of
from loyalty.money import ZERO, quantize
from merchants.models import Member
from wallet.services import give_cashback, take_back_cashback


class CashbackBenefit(Benefit):
    code = "cashback"
    label = gettext_lazy("cashback")
    order = 40
    uses = frozenset({AMOUNT})
    answer_key = "cashback"

    def give(self, line: BenefitLine, member: Member, *, target: models.Model | None, occasion: str,
             reference: str, store=None, note: str = "") -> Given:
        lot = give_cashback(member, line.amount, reference=reference, store=store)
        return Given(kind=self.code, amount=lot.amount, reference=reference)

    def take_back(self, given: Given, member: Member, *, share: Decimal | None, reference: str,
                  store=None) -> TakenBack:
        wanted = share_of(given.amount, share, given.amount_left)
        done = take_back_cashback(member, wanted, lot_reference=given.reference, reference=reference, store=store)
        if done is None:
            return TakenBack()
        return TakenBack(amount=done.taken, shortfall_amount=done.shortfall)

    def describe(self, line: BenefitLine, target: models.Model | None) -> str:
        return _("¥%(amount)s cashback") % {"amount": f"{line.amount:.2f}"}

    def answer(self, lines: Sequence[tuple[BenefitLine, models.Model | None]]) -> str:
        return f"{quantize(sum((line.amount for line, _target in lines), ZERO)):.2f}"
