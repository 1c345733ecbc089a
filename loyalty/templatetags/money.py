"""Money as people read it on every page: the currency sign and exactly two places, rounded half-up."""

from decimal import Decimal, InvalidOperation

from django import template

from loyalty.money import money_text

register = template.Library()


@register.filter
def money(value, sign: str = "¥") -> str:
    """`{{ amount|money }}` → "¥2338.29"; a sum read back from SQLite as 2338.290000000000 included."""
    if value is None or value == "":
        return ""
    try:
        return f"{sign}{money_text(Decimal(str(value)))}"
    except (InvalidOperation, ValueError):
        return str(value)
