"""A coupon as a benefit: issued to the member when given, voided on a refund if the member has not used it."""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal

from django.db import models, transaction
from django.db.models import QuerySet
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from coupons import services
from coupons.models import Coupon, CouponTemplate
from loyalty.benefits import QUANTITY, TARGET, Benefit, BenefitLine, Given, Occasion, TakenBack, share_of
from loyalty.errors import DomainError
from merchants.models import Member

# Coupons a take-back can still void; used (or gifted on) ones stay with whoever holds them.
UNUSED_STATES = (Coupon.State.AVAILABLE, Coupon.State.LOCKED, Coupon.State.GIFTING)
BENEFIT_COUPON_LIMIT = "benefit_coupon_over_member_limit"


class CouponBenefit(Benefit):
    code = "coupon"
    label = gettext_lazy("coupon")
    order = 30
    uses = frozenset({QUANTITY, TARGET})
    target_field = "template"
    target_label = gettext_lazy("coupon")
    answer_key = "coupon"
    counted = True
    foreign_target_message = gettext_lazy("Choose a coupon of this merchant.")

    def targets(self, merchant_id: int | None) -> QuerySet:
        templates = CouponTemplate.objects.order_by("name", "pk")
        return templates if merchant_id is None else templates.filter(merchant_id=merchant_id)

    def validate(self, *, merchant_id: int | None, quantity: int, amount: Decimal,
                 target: models.Model | None) -> None:
        super().validate(merchant_id=merchant_id, quantity=quantity, amount=amount, target=target)
        if target.per_member_limit and quantity > target.per_member_limit:
            raise DomainError(BENEFIT_COUPON_LIMIT, _("One member may hold at most %(limit)s of this coupon.")
                              % {"limit": target.per_member_limit}, field=QUANTITY)

    def give(self, line: BenefitLine, member: Member, *, target: models.Model | None, occasion: str,
             reference: str, store=None, note: str = "") -> Given:
        """Issue the coupons one by one; one that cannot be given (out of stock, paused, over the member's limit)
        ends the line, and the rest of the giving goes on without it."""
        source = {Occasion.JOIN: Coupon.Source.JOIN_GIFT, Occasion.MASS_SEND: Coupon.Source.MASS_SEND}.get(
            occasion, Coupon.Source.REWARD)
        issued: list[Coupon] = []
        for _n in range(line.quantity if target is not None else 0):
            try:
                with transaction.atomic():
                    issued.append(services.issue_coupon(target, member, source=source))
            except DomainError:
                break
        return Given(kind=self.code, quantity=len(issued), target_id=line.target_id,
                     objects=tuple(coupon.pk for coupon in issued), codes=tuple(coupon.code for coupon in issued))

    def take_back(self, given: Given, member: Member, *, share: Decimal | None, reference: str,
                  store=None) -> TakenBack:
        wanted = share_of(given.quantity, share, given.quantity_left)
        if not wanted:
            return TakenBack()
        held = list(Coupon.objects.select_for_update().filter(pk__in=given.objects).exclude(state=Coupon.State.VOID)
                    .order_by("pk"))
        unused = [coupon for coupon in held if coupon.state in UNUSED_STATES]
        for coupon in unused[:wanted]:
            services.void_coupon(coupon)
        voided = min(wanted, len(unused))
        return TakenBack(quantity=voided, shortfall_quantity=wanted - voided)

    def describe(self, line: BenefitLine, target: models.Model | None) -> str:
        name = target.name if target is not None else _("a coupon no longer offered")
        return f"{name} ×{line.quantity}"

    def answer(self, lines: Sequence[tuple[BenefitLine, models.Model | None]]) -> str | None:
        """The first coupon's name, as quotes have always shown it."""
        return next((target.name for _line, target in lines if target is not None), None)
