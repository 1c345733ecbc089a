"""Money: Decimal with two places, rounded half-up at every step, parsed strictly at the edge."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from django.db import models
from django.utils.translation import gettext_lazy as _

from loyalty import errors

CENT = Decimal("0.01")
ZERO = Decimal("0.00")
# The largest amount anybody may type: far above any bill, far below the column's 14 digits.
MAX_AMOUNT = Decimal("9999999.99")


def quantize(value) -> Decimal:
    """Round to the cent, half up (the rounding rule of every step in the money path)."""
    return Decimal(value).quantize(CENT, rounding=ROUND_HALF_UP)


def money_text(value) -> str:
    """An amount as every API answer writes it: a string with exactly two places ("12.50")."""
    return f"{quantize(value):.2f}"


def format_percent(value) -> str:
    """A percentage as people write it: 90, 95.5 (never 9E+1, which Decimal.normalize gives for 90.00)."""
    return format(Decimal(value).normalize(), "f")


def parse_amount(value, *, field: str = "amount", maximum: Decimal = MAX_AMOUNT, allow_zero: bool = False) -> Decimal:
    """Parse an amount a person or terminal typed; refuse rather than round anything they meant."""
    if isinstance(value, float):
        # A float has already lost the amount the sender meant; make them send a string.
        value = repr(value)
    if isinstance(value, bool) or value is None or (isinstance(value, str) and not value.strip()):
        raise errors.DomainError(errors.AMOUNT_INVALID, _("Enter an amount such as 12.50."), field=field)
    try:
        amount = Decimal(str(value).strip())
    except (InvalidOperation, ValueError):
        raise errors.DomainError(errors.AMOUNT_INVALID, _("Enter an amount such as 12.50."), field=field) from None
    if not amount.is_finite():
        raise errors.DomainError(errors.AMOUNT_INVALID, _("Enter an amount such as 12.50."), field=field)
    if amount < 0 or (amount == 0 and not allow_zero):
        raise errors.DomainError(errors.AMOUNT_NOT_POSITIVE, _("The amount must be greater than zero."), field=field)
    # The size check comes first: quantizing 1e3000 to the cent overflows the decimal context.
    if amount > maximum:
        raise errors.DomainError(
            errors.AMOUNT_TOO_LARGE, _("The amount may be at most %(maximum)s.") % {"maximum": maximum}, field=field
        )
    if amount != amount.quantize(CENT, rounding=ROUND_HALF_UP):
        raise errors.DomainError(errors.AMOUNT_TOO_PRECISE, _("Amounts have at most two decimal places."), field=field)
    # abs(): "-0" is zero, not a negative zero that would be written back as "-0.00".
    return abs(amount).quantize(CENT)


class MoneyField(models.DecimalField):
    """A money column: 14 digits, 2 places (DESIGN.md)."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("max_digits", 14)
        kwargs.setdefault("decimal_places", 2)
        super().__init__(*args, **kwargs)

    def deconstruct(self):
        name, _path, args, kwargs = super().deconstruct()
        return name, "loyalty.money.MoneyField", args, kwargs

