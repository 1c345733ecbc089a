"""Finding a coupon by its code and using it on a bill (核销), and undoing that."""

from __future__ import annotations

from decimal import Decimal

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from coupons import codes, errors, events, states
from coupons.models import Coupon, CouponRedemption
from coupons.services.lifecycle import coupon_for_update, reversal_window
from coupons.services.rules import FIELD, coupon_discount, store_allowed
from loyalty import writes
from loyalty.compiled import CompiledRead
from loyalty.errors import DomainError
from loyalty.money import quantize


def _coupons_by_code(merchant_id: int, code: str, *, for_update: bool, store_id: int | None):
    if for_update:
        coupons = Coupon.objects.select_for_update(of=("self",)).select_related("template")
    else:
        coupons = Coupon.objects.select_related("template", "member")
    coupons = coupons.filter(merchant_id=merchant_id, code=code)
    if store_id is not None:
        coupons = coupons.annotate(**store_allowed(store_id))
    return coupons.order_by()[:1]


# A payment with a coupon locks it so (loyalty.compiled).
_coupon_locked_for_store = CompiledRead(
    lambda merchant_id, code, store_id: _coupons_by_code(merchant_id, code, for_update=True, store_id=store_id),
    int, str, int)


def find_coupon_by_code(merchant, code: str, *, for_update: bool = False, store=None) -> Coupon:
    """The merchant's coupon with this code. A typo fails the check symbol and is told apart from an unknown code.

    `for_update` locks the coupon row (only it) in the caller's transaction, in the same query; the caller
    (checkout's `pay`) knows the member already, so the member is not read with it. With `store`, whether the
    template lets the coupon be used there comes in the same query (`rules.check_usable` reads it instead of
    the template's stores).
    """
    normalized = codes.normalize(code)
    if not codes.is_well_formed(normalized):
        raise DomainError(errors.COUPON_CODE_MISTYPED,
                          _("This code looks mistyped: check the characters and type it again."), field=FIELD)
    if for_update and store is not None:
        coupon = next(iter(_coupon_locked_for_store(merchant.pk, normalized, store.pk)), None)
    else:
        coupon = _coupons_by_code(merchant.pk, normalized, for_update=for_update,
                                  store_id=store.pk if store is not None else None)
        coupon = coupon[0] if coupon else None
    if coupon is None:
        raise DomainError(errors.COUPON_NOT_FOUND, _("There is no coupon with this code."), field=FIELD,
                          status_code=404)
    return coupon


@transaction.atomic
def redeem_coupon(coupon: Coupon, *, bill_amount: Decimal, store, terminal=None, staff=None,
                  payment_reference: str = "", lines: list[dict] | None = None) -> CouponRedemption:
    """Use the coupon on a bill, once: the row is locked, re-checked, marked used and the use recorded.

    Two cashiers scanning the same code at the same moment queue on the lock; the second sees "used".
    """
    locked = coupon_for_update(pk=coupon.pk)
    redemption = redeem_locked_coupon(locked, bill_amount=bill_amount, store=store, terminal=terminal, staff=staff,
                                      payment_reference=payment_reference, lines=lines)
    coupon.state, coupon.used_at = locked.state, locked.used_at
    return redemption


def redeem_locked_coupon(locked: Coupon, *, bill_amount: Decimal, store, terminal=None, staff=None,
                         payment_reference: str = "", lines: list[dict] | None = None) -> CouponRedemption:
    """Use a coupon the caller has locked (`coupon_for_update`) in its own transaction: checkout's `pay`
    locks it with the wallet and card, so it is not read again. Re-checked, marked used, the use recorded."""
    now = timezone.now()
    discount, _reason = coupon_discount(locked, bill_amount=bill_amount, lines=lines, store=store, at=now)
    states.move(locked, Coupon.State.USED, used_at=now)
    [redemption] = writes.insert([CouponRedemption(
        merchant_id=locked.merchant_id, coupon=locked, template_id=locked.template_id, store=store,
        terminal=terminal, staff=staff, bill_amount=quantize(bill_amount), discount=discount,
        payment_reference=payment_reference[:64], redeemed_at=now)])
    events.coupon_redeemed(locked, redemption)
    return redemption


@transaction.atomic
def reverse_redemption(coupon: Coupon, *, staff=None, reason: str) -> CouponRedemption:
    """Undo a redemption within the time limit (a manager, or a checkout refund): the coupon comes back
    if it is still valid, and expires otherwise."""
    locked = coupon_for_update(pk=coupon.pk)
    redemption = (CouponRedemption.objects.select_for_update().filter(coupon=locked, reversed_at__isnull=True)
                  .first())
    if redemption is None or locked.state != Coupon.State.USED:
        raise DomainError(errors.COUPON_NOT_REDEEMED, _("This coupon has not been used."), field=FIELD,
                          status_code=409)
    now = timezone.now()
    if now - redemption.redeemed_at > reversal_window():
        raise DomainError(errors.COUPON_REVERSAL_TOO_LATE, _("This redemption is too old to be reversed."),
                          field=FIELD, status_code=409)
    redemption.reversed_at, redemption.reversed_by, redemption.reversal_reason = now, staff, (reason or "")[:200]
    redemption.save(update_fields=["reversed_at", "reversed_by", "reversal_reason"])
    target = Coupon.State.AVAILABLE if now < locked.valid_until else Coupon.State.EXPIRED
    states.move(locked, target, used_at=None)
    coupon.state, coupon.used_at = locked.state, None
    return redemption
