"""The coupons app's events (loyalty.events): what happens to coupons and templates that no ledger records."""

from __future__ import annotations

from django.contrib.auth.base_user import AbstractBaseUser
from django.utils.translation import gettext_lazy as _

from coupons.models import Coupon, CouponRedemption, CouponTemplate
from loyalty.events import Changes, EventKind, record_event
from loyalty.models import Event
from merchants.models import Member

COUPON_VOIDED = EventKind("coupon.voided", _("coupon voided"))
COUPON_GIFTED = EventKind("coupon.gifted", _("coupon given to a friend"))
TEMPLATE_PAUSED = EventKind("coupon_template.paused", _("coupon template paused"))
TEMPLATE_RESUMED = EventKind("coupon_template.resumed", _("coupon template resumed"))
TEMPLATE_ENDED = EventKind("coupon_template.ended", _("coupon template ended"))
TEMPLATE_CHANGED = EventKind("coupon_template.changed", _("coupon template changed"))
COUPON_ISSUED = EventKind("coupon.issued", _("coupon issued"))
COUPON_REDEEMED = EventKind("coupon.redeemed", _("coupon redeemed"))

KINDS = [COUPON_ISSUED, COUPON_REDEEMED, COUPON_VOIDED, COUPON_GIFTED, TEMPLATE_PAUSED, TEMPLATE_RESUMED,
         TEMPLATE_ENDED, TEMPLATE_CHANGED]


def coupon_voided(coupon: Coupon, *, staff: AbstractBaseUser | None, reason: str, state_before: str) -> Event:
    """Staff (or a refund taking back what the coupon came with) withdrew a coupon for good."""
    return record_event(COUPON_VOIDED, coupon, staff=staff, member=coupon.member,
                        data={"reason": reason, "changes": {"state": [state_before, coupon.state]}})


def coupon_gifted(coupon: Coupon, *, from_member: Member, to_member: Member, received: Coupon) -> Event:
    """A friend accepted the holder's gift: the holder's coupon is spent, the friend holds `received`."""
    return record_event(COUPON_GIFTED, coupon, member=from_member,
                        data={"to_member": to_member.pk, "received_coupon": received.pk})


def _template_status(kind: EventKind, template: CouponTemplate, staff: AbstractBaseUser | None,
                     before: str) -> Event:
    return record_event(kind, template, staff=staff, data={"changes": {"status": [before, template.status]}})


def coupon_template_paused(template: CouponTemplate, *, staff: AbstractBaseUser | None, before: str) -> Event:
    return _template_status(TEMPLATE_PAUSED, template, staff, before)


def coupon_template_resumed(template: CouponTemplate, *, staff: AbstractBaseUser | None, before: str) -> Event:
    return _template_status(TEMPLATE_RESUMED, template, staff, before)


def coupon_template_ended(template: CouponTemplate, *, staff: AbstractBaseUser | None, before: str) -> Event:
    """Ended for good: no more coupons are given out, and it cannot be restarted."""
    return _template_status(TEMPLATE_ENDED, template, staff, before)


def coupon_template_changed(template: CouponTemplate, *, staff: AbstractBaseUser | None, changes: Changes) -> Event:
    """Staff added, edited or deleted a template in the admin."""
    return record_event(TEMPLATE_CHANGED, template, staff=staff, data=changes.as_data())


def coupon_issued(coupon: Coupon) -> Event:
    """One coupon given to one member (a claim, a join gift, points, a reward, a purchase, a share).
    Mass sends write none per coupon: a million rows of history would cost more than the send itself."""
    return record_event(COUPON_ISSUED, coupon, member_id=coupon.member_id, new_subject=True,
                        data={"template": coupon.template_id, "source": coupon.source,
                              "valid_until": coupon.valid_until})


def coupon_redeemed(coupon: Coupon, redemption: CouponRedemption) -> Event:
    return record_event(COUPON_REDEEMED, coupon, staff=redemption.staff, terminal=redemption.terminal,
                        member_id=coupon.member_id,
                        data={"template": coupon.template_id, "store": redemption.store_id,
                              "bill_amount": redemption.bill_amount, "discount": redemption.discount,
                              "payment_reference": redemption.payment_reference})
