"""Buying a coupon through the payment gateway (the purpose "coupon_purchase"), and coupons given as rewards."""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from coupons import errors
from coupons.models import Coupon, CouponPurchase, CouponTemplate
from coupons.services.lifecycle import check_audience, check_issuable, issue_coupon
from loyalty import payments
from loyalty.errors import DomainError
from loyalty.models import GatewayPayment
from merchants.models import Member

COUPON_PURCHASE_PURPOSE = "coupon_purchase"


def start_coupon_purchase(template: CouponTemplate, member: Member, *,
                          return_url: str = "") -> tuple[CouponPurchase, GatewayPayment]:
    """The member buys a coupon: a purchase waits for the gateway; send the member to `checkout_url(payment)`.

    What can be checked before paying is checked now (for sale, audience, stock, the member's limit);
    the coupon itself is issued by `fulfil_coupon_purchase` once the payment is confirmed.
    """
    if template.price is None:
        raise DomainError(errors.TEMPLATE_NOT_FOR_SALE, _("This coupon is not for sale."), field="template",
                          status_code=409)
    check_audience(template, member)
    check_issuable(template, member)
    with transaction.atomic():
        purchase = CouponPurchase.objects.create(merchant_id=template.merchant_id, template=template, member=member,
                                                 price=template.price)
        payment = payments.start_payment(member.merchant, amount=template.price, purpose=COUPON_PURCHASE_PURPOSE,
                                         reference=str(purchase.pk), member=member, subject=template.name,
                                         return_url=return_url)
        purchase.payment = payment
        purchase.save(update_fields=["payment"])
    return purchase, payment


def fulfil_coupon_purchase(payment: GatewayPayment) -> None:
    """The gateway confirmed the payment (inside loyalty.payments' transaction, once): issue the coupon.

    If it can no longer be issued, the money was still taken: the purchase is marked "refund due".
    """
    purchase = CouponPurchase.objects.select_for_update().select_related("template", "member").get(payment=payment)
    if purchase.status != CouponPurchase.Status.PENDING:
        return
    purchase.paid_at = timezone.now()
    try:
        with transaction.atomic():
            purchase.coupon = issue_coupon(purchase.template, purchase.member, source=Coupon.Source.PURCHASE)
    except DomainError as error:
        purchase.status, purchase.note = CouponPurchase.Status.REFUND_DUE, str(error.message)[:200]
    else:
        purchase.status = CouponPurchase.Status.PAID
    purchase.save(update_fields=["paid_at", "coupon", "status", "note"])


def fail_coupon_purchase(payment: GatewayPayment) -> None:
    CouponPurchase.objects.filter(payment=payment, status=CouponPurchase.Status.PENDING).update(
        status=CouponPurchase.Status.FAILED)


def give_reward_coupon(template: CouponTemplate, member: Member) -> Coupon | None:
    """A coupon as a reward after a payment (支付后营销), for the checkout: stock and limits hold, and a
    reward that cannot be given (out of stock, ended, limit reached) is skipped instead of failing the payment.

    The checkout records the coupon it got against the payment (once per payment) and voids it on refund.
    """
    try:
        with transaction.atomic():
            return issue_coupon(template, member, source=Coupon.Source.REWARD)
    except DomainError:
        return None
