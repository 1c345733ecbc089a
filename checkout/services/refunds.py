"""Refunds (退款): whole or in part, each tender back where it came from, earnings and rewards taken back."""

from __future__ import annotations

import secrets
from decimal import ROUND_FLOOR, Decimal

from django.db import transaction
from django.db.models import Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from cards.membership.models import PointsReason
from cards.membership.services import grant_points, take_back_for_refund
from checkout import errors, events
from checkout.models import Payment, PaymentTender, Refund, RefundLine
from checkout.services.rewards import withdraw_rewards
from coupons.models import Coupon
from coupons.services import reverse_redemption
from loyalty import errors as loyalty_errors
from loyalty.errors import DomainError
from loyalty.ledgers import lock_member_accounts
from loyalty.money import parse_amount, quantize
from loyalty.tenders import refund_tenders
from loyalty.tenders import split_refund as split_shares
from wallet.services import take_back_cashback


def _share(total, after: Decimal, due: Decimal, *, whole: bool = False):
    """How much of `total` belongs to the first `after` of `due`: running totals, so parts add up exactly."""
    if after >= due:
        return total
    value = Decimal(total) * after / due
    return int(value.to_integral_value(rounding=ROUND_FLOOR)) if whole else quantize(value)


def split_refund(tenders: list[PaymentTender], amount: Decimal) -> dict[str, Decimal]:
    """Each tender's part of refunding `amount`, by the one refund splitter (loyalty.tenders.split_refund):
    exactly `amount` in all, each tender between nothing and what it has left, the whole back once all is."""
    return {kind: share for kind, share in split_shares(
        {tender.kind: (tender.amount, tender.refunded) for tender in tenders}, amount).items() if share}


def _number() -> str:
    return f"R{timezone.now():%y%m%d}{secrets.token_hex(6).upper()}"


def _done(payment: Payment) -> dict:
    return Refund.objects.filter(payment=payment).aggregate(
        points_returned=Sum("points_returned"), points_taken=Sum("points_taken_back"),
        points_short=Sum("points_shortfall"), experience=Sum("experience_taken_back"), spend=Sum("spend_taken_back"),
        cashback_taken=Sum("cashback_taken_back"), cashback_short=Sum("cashback_shortfall"))


def refund_payment(payment: Payment, amount, *, terminal=None, staff=None, reason: str = "") -> Refund:
    """Give back `amount` of a payment (all of what is left, or part; 0.00 for a bill points and coupon paid
    in full): tenders in proportion, points used
    returned, points, experience and cashback earned taken back (a shortfall where already spent), the coupon
    restored on a full refund if still valid, and rewards withdrawn when the payment no longer earns them."""

    amount = parse_amount(amount, allow_zero=True)
    with transaction.atomic():
        member = payment.member
        if member is not None:
            lock_member_accounts(member)
        payment = Payment.objects.select_for_update(of=("self",)).select_related("store", "member").get(pk=payment.pk)
        if payment.status not in (Payment.Status.PAID, Payment.Status.PARTLY_REFUNDED):
            raise DomainError(errors.PAYMENT_NOT_REFUNDABLE, _("This payment cannot be refunded (%(status)s).") % {
                "status": payment.get_status_display()}, status_code=409)
        if amount == 0 and payment.amount_due > 0:
            raise DomainError(loyalty_errors.AMOUNT_NOT_POSITIVE, _("The amount must be greater than zero."),
                              field="amount")
        if amount > payment.refundable:
            raise DomainError(errors.REFUND_TOO_LARGE, _("At most %(amount)s of this payment can still be refunded.")
                              % {"amount": payment.refundable}, field="amount", status_code=409)
        tenders = list(PaymentTender.objects.select_for_update().filter(payment=payment).order_by("pk"))
        due, before = payment.amount_due, payment.refunded_amount
        after = before + amount
        full = after == due
        refund = Refund.objects.create(merchant_id=payment.merchant_id, payment=payment, number=_number(),
                                       amount=amount, is_full=full, terminal=terminal, staff=staff,
                                       reason=(reason or "")[:200])
        who = {"store": payment.store, "terminal": terminal}
        shares = split_refund(tenders, amount)
        refund_tenders(payment, shares, reference=refund.number, staff=staff, terminal=terminal)
        by_kind = {tender.kind: tender for tender in tenders}
        for kind, share in shares.items():
            tender = by_kind[kind]
            tender.refunded += share
            tender.save(update_fields=["refunded"])
            RefundLine.objects.create(merchant_id=payment.merchant_id, refund=refund, tender=tender, amount=share)
        if member is not None:
            done = {key: value or 0 for key, value in _done(payment).items()}
            refund.points_returned = _share(payment.points_used, after, due, whole=True) - done["points_returned"]
            if refund.points_returned:
                grant_points(member, refund.points_returned, reason=PointsReason.POINTS_RETURNED,
                             reference=refund.number, **who)
            points = (_share(payment.points_earned, after, due, whole=True) - done["points_taken"]
                      - done["points_short"])
            experience = _share(payment.experience_earned, after, due, whole=True) - done["experience"]
            spend = _share(payment.earn_basis, after, due) - done["spend"]
            if points or experience or spend:
                shortfall = take_back_for_refund(member, points=points, experience=experience, spend=spend,
                                                 reference=refund.number, **who)
                refund.points_taken_back, refund.points_shortfall = points - shortfall.points, shortfall.points
                refund.experience_taken_back, refund.spend_taken_back = experience, spend
            cashback = (_share(payment.cashback_earned, after, due) - done["cashback_taken"]
                        - done["cashback_short"])
            if cashback > 0:
                done = take_back_cashback(member, cashback, lot_reference=payment.number, reference=refund.number,
                                          store=payment.store, terminal=terminal, staff=staff)
                if done is not None:
                    refund.cashback_taken_back, refund.cashback_shortfall = done.taken, done.shortfall
        if full and payment.coupon_id:
            try:
                with transaction.atomic():
                    reverse_redemption(payment.coupon, staff=staff, reason=_("refund %(number)s") % {
                        "number": refund.number})
                refund.coupon_restored = payment.coupon.state == Coupon.State.AVAILABLE
            except DomainError:
                refund.coupon_restored = False  # too late to reverse: the coupon stays used
        refund.rewards_withdrawn = withdraw_rewards(payment, net_paid=payment.earn_basis - _share(
            payment.earn_basis, after, due), reference=refund.number)
        refund.save()
        payment.refunded_amount = after
        payment.status = Payment.Status.REFUNDED if full else Payment.Status.PARTLY_REFUNDED
        payment.save(update_fields=["refunded_amount", "status"])
        events.payment_refunded(payment, refund)
        return refund
