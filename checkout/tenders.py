"""Checkout's own way to pay (loyalty.tenders): the outside channel (WeChat Pay, Alipay, bank card, cash)
pays whatever the member's own tenders leave; the money is outside, so there is nothing to take or give back
here (the channel refunds it)."""

from __future__ import annotations

from decimal import Decimal

from django.utils.translation import gettext_lazy as _

from loyalty.tenders import Tender, TenderContext

OUTSIDE = "external"


class OutsideTender(Tender):
    code = OUTSIDE
    label = _("outside channel")
    order = 1000

    def plan(self, context: TenderContext, remaining: Decimal) -> Decimal:
        return remaining

    def counts_as_paid(self, config) -> bool:
        return True
