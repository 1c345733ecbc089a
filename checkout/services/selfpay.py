"""Self-pay (自助买单): a member pays at a store from their phone; the rest goes through the payment gateway."""

from __future__ import annotations

from django.db import transaction
from django.db.models import F, Q, Window
from django.db.models.functions import RowNumber
from django.utils import timezone

from cards.membership.models import PointsReason
from cards.membership.services import grant_points
from checkout.models import AdjustmentKind, Channel, Payment, RandomReductionDay
from checkout.services.bills import Bill
from checkout.services.payments import Quote, complete_payment, pay, quote_best_coupon
from coupons.models import Coupon
from coupons.services import reverse_redemption
from loyalty.ledgers import lock_member_accounts
from loyalty.models import GatewayPayment
from loyalty.tenders import refund_tenders
from wallet.services import wallet_for_update

SELF_PAY_PURPOSE = "checkout_self_pay"
MOST_COUPONS_TRIED = 20
MOST_TEMPLATES_TRIED = 200


def usable_coupons(member, store, at=None):
    """The member's coupons that may be used now, soonest to expire first (a bounded number): the page's list."""

    at = at or timezone.now()
    return list(Coupon.objects.filter(member=member, state=Coupon.State.AVAILABLE, valid_from__lte=at,
                                      valid_until__gt=at)
                .filter(Q(template__stores__isnull=True) | Q(template__stores=store)).distinct()
                .select_related("template").prefetch_related("template__stores")
                .order_by("valid_until", "pk")[:MOST_COUPONS_TRIED])


def coupons_to_try(member, store, at=None) -> list[Coupon]:
    """For the best-coupon quote: of each template, the member's usable coupon that expires soonest (coupons of
    one template take the same off a bill), soonest first; two reads however many coupons the member holds."""

    at = at or timezone.now()
    first_of_template = Window(RowNumber(), partition_by=[F("template_id")], order_by=[F("valid_until").asc(),
                                                                                         F("pk").asc()])
    # The window over the coupons' pk, template and day only: the template's columns are joined to the few that
    # are tried, not to each of the member's coupons (a member with 1,000: a sort of 1,000 narrow rows).
    firsts = (Coupon.objects.filter(member=member, state=Coupon.State.AVAILABLE, valid_from__lte=at, valid_until__gt=at)
              .filter(Q(template__stores__isnull=True) | Q(template__stores=store))
              .annotate(nth_of_template=first_of_template).filter(nth_of_template=1).values("pk"))
    return list(Coupon.objects.filter(pk__in=firsts).select_related("template").prefetch_related("template__stores")
                .order_by("valid_until", "pk")[:MOST_TEMPLATES_TRIED])


def best_quote(bill: Bill, coupons: list[Coupon] | None = None) -> tuple[Quote, str]:
    """The quote with the coupon that leaves the member the least to pay (none if none helps): every template
    the member holds a usable coupon of (`coupons_to_try`), priced in one pass (`quote_best_coupon`)."""
    if coupons is None:
        coupons = coupons_to_try(bill.member, bill.store, bill.at) if bill.member is not None else []
    return quote_best_coupon(bill, coupons)


def start_self_pay(bill: Bill) -> Payment:
    """Hold the wallet, coupon and points and start the gateway payment for the rest (or finish at once)."""
    return pay(bill, channel=Channel.SANDBOX, source=Payment.Source.SELF_PAY, via_gateway=True,
               request={"amount": str(bill.amount), "coupon_code": bill.coupon_code, "points": bill.points,
                        "use_wallet": bill.use_wallet,
                        **({"tenders": sorted(bill.tender_inputs)} if bill.tender_inputs else {})})


def fulfil_self_pay(gateway_payment: GatewayPayment) -> None:
    """The gateway confirmed the rest: the payment is paid, and earns and rewards like any other."""

    payment = Payment.objects.select_related("member", "store").get(gateway_payment=gateway_payment)
    if payment.member is not None:
        wallet_for_update(payment.member)  # the fixed lock order: wallet before the payment
    payment = (Payment.objects.select_for_update(of=("self",)).select_related("member", "store", "terminal")
               .get(pk=payment.pk))
    if payment.status == Payment.Status.PENDING:
        complete_payment(payment)


def fail_self_pay(gateway_payment: GatewayPayment) -> None:
    """The member gave up or the gateway refused: everything held for the payment goes back."""
    with transaction.atomic():
        payment = Payment.objects.select_related("member", "store", "wallet_debit", "coupon").get(
            gateway_payment=gateway_payment)
        if payment.member is not None:
            lock_member_accounts(payment.member)
        payment = (Payment.objects.select_for_update(of=("self",))
                   .select_related("member", "store", "wallet_debit", "coupon").get(pk=payment.pk))
        if payment.status != Payment.Status.PENDING:
            return
        reference = f"{payment.number}:failed"
        # Everything the member's own tenders held goes back; the outside channel never took anything.
        refund_tenders(payment, {tender.kind: tender.amount - tender.refunded for tender in payment.tenders.all()},
                       reference=reference)
        if payment.points_used:
            grant_points(payment.member, payment.points_used, reason=PointsReason.POINTS_RETURNED,
                         reference=reference, store=payment.store)
        if payment.coupon_id:
            reverse_redemption(payment.coupon, reason=reference)
        random = payment.adjustments.filter(kind=AdjustmentKind.RANDOM).first()
        if random is not None:

            RandomReductionDay.objects.filter(merchant_id=payment.merchant_id,
                                              day=timezone.localdate(payment.created_at)).update(
                spent=F("spent") - random.amount)
        payment.status = Payment.Status.FAILED
        payment.save(update_fields=["status"])

