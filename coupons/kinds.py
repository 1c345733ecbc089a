"""The coupon kinds (WeChat's card types): 代金券 cash off, 折扣券 percentage discount, 兑换券 free item.

Each kind is a registered `loyalty.pricing.CouponKind`: what it takes off the eligible amount, what a
template of the kind must fill in, and how it reads on an adjustment line and on the coupon's face.
Where and when a coupon may be used, its scope and minimum bill are the same for every kind
(`coupons.services.rules.coupon_discount`).
"""

from __future__ import annotations

from decimal import Decimal

from django.template.defaultfilters import floatformat
from django.utils.formats import localize
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from coupons.models import CouponTemplate
from coupons.services.rules import line_amount
from loyalty.money import ZERO, format_percent, quantize
from loyalty.pricing import CouponKind, Label


class CashOff(CouponKind):
    """The amount off, never more than the eligible amount (with a minimum bill: 满减)."""

    code = CouponTemplate.Kind.CASH
    form_fields = ("amount_off",)
    label = gettext_lazy("cash off")
    order = 10

    def check(self, template: CouponTemplate) -> dict[str, Label]:
        if not template.amount_off:
            return {"amount_off": _("A cash coupon needs the amount it takes off.")}
        return {}

    def discount(self, template: CouponTemplate, *, eligible: Decimal, bill_amount: Decimal,
                 lines: list[dict] | None) -> Decimal:
        return min(template.amount_off, eligible)

    def describe(self, template: CouponTemplate, amount: Decimal) -> str:
        return _("%(name)s: %(amount)s off") % {"name": template.name, "amount": amount}

    def face_value(self, template: CouponTemplate) -> str:
        return f"¥{localize(template.amount_off)}"


class PercentageDiscount(CouponKind):
    """(100 − pays%) of the eligible amount, rounded half up, at most the cap."""

    code = CouponTemplate.Kind.DISCOUNT
    form_fields = ("discount_percent", "discount_cap")
    label = gettext_lazy("percentage discount")
    order = 20

    def check(self, template: CouponTemplate) -> dict[str, Label]:
        if not template.discount_percent:
            return {"discount_percent": _("A discount coupon needs the percentage the member pays.")}
        return {}

    def discount(self, template: CouponTemplate, *, eligible: Decimal, bill_amount: Decimal,
                 lines: list[dict] | None) -> Decimal:
        amount = quantize(eligible * (Decimal("100") - template.discount_percent) / Decimal("100"))
        if template.discount_cap is not None:
            amount = min(amount, template.discount_cap)
        return amount

    def describe(self, template: CouponTemplate, amount: Decimal) -> str:
        return _("%(name)s: pay %(percent)s%%") % {"name": template.name,
                                                    "percent": format_percent(template.discount_percent)}

    def face_value(self, template: CouponTemplate) -> str:
        return _("pay %(p)s%%") % {"p": floatformat(template.discount_percent, "-2")}


class FreeItem(CouponKind):
    """The price of one unit of the free item on the bill's lines (zero when the bill has no lines: the item
    is handed over outside the bill), never more than what is left of the bill."""

    code = CouponTemplate.Kind.EXCHANGE
    form_fields = ("exchange_item", "exchange_product")
    label = gettext_lazy("free item")
    order = 30

    def check(self, template: CouponTemplate) -> dict[str, Label]:
        if not template.exchange_item:
            return {"exchange_item": _("An exchange coupon needs the item it is exchanged for.")}
        return {}

    def discount(self, template: CouponTemplate, *, eligible: Decimal, bill_amount: Decimal,
                 lines: list[dict] | None) -> Decimal:
        price = ZERO
        for line in lines or []:
            if template.exchange_product and str(line.get("product", "")) == template.exchange_product:
                quantity = max(int(line.get("quantity") or 1), 1)
                price = quantize(line_amount(line) / quantity)
                break
        return min(price, bill_amount)

    def describe(self, template: CouponTemplate, amount: Decimal) -> str:
        return _("%(name)s: free %(item)s") % {"name": template.name, "item": template.exchange_item}

    def face_value(self, template: CouponTemplate) -> str:
        return template.exchange_item
