"""The segment filter over the wallet: stored value held (principal and bonus, not cashback)."""

from __future__ import annotations

from decimal import Decimal

from django.db.models import ExpressionWrapper, F, OuterRef
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from loyalty.money import MoneyField
from loyalty.segments import Param, ParamKind, SegmentFilter, check_range, held_in_range, segment_filters
from wallet.models import Wallet


class StoredValueHeld(SegmentFilter):
    """Stored value held now (储值余额: principal + bonus); a member without a wallet holds none."""

    code = "stored_value_held"
    label = gettext_lazy("stored value held")
    order = 80
    params = (Param("at_least", gettext_lazy("at least"), ParamKind.MONEY, required=False),
              Param("at_most", gettext_lazy("at most"), ParamKind.MONEY, required=False))

    def check(self, params, *, merchant_id):
        return check_range(params, convert=Decimal)

    def condition(self, params, *, merchant_id, at):
        wallets = Wallet.objects.filter(member=OuterRef("pk")).annotate(
            held=ExpressionWrapper(F("principal") + F("bonus"), output_field=MoneyField()))
        return held_in_range(wallets, "held", params, convert=Decimal)

    def describe(self, params):
        return _("stored value held from %(low)s to %(high)s") % {"low": params.get("at_least", "0.00"),
                                                                  "high": params.get("at_most", "∞")}


def register() -> None:
    segment_filters.register(StoredValueHeld())
