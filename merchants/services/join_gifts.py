"""Join gifts (入会礼): what every new member of a merchant is given, whatever kinds of benefit it holds."""

from __future__ import annotations

from loyalty.benefits import Given, Occasion, give_lines, with_targets
from merchants.models import JoinGiftBenefit, Member


def give_join_gifts(member: Member) -> list[Given]:
    """Give the merchant's join gift to a member who has just joined (inside the joining transaction).

    A line that cannot be given whole (a coupon out of stock) gives what it can; joining goes on.
    """
    lines = (JoinGiftBenefit.objects.filter(merchant_id=member.merchant_id, gift__is_active=True)
             .order_by("position", "pk"))
    return give_lines(with_targets(lines), member, occasion=Occasion.JOIN, reference=f"join:{member.pk}")
