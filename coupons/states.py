"""The coupon state machine: every allowed move in one place.

    locked ──(N friends claimed)──> available ──(redeemed)──> used ──(reversed)──> available | expired
    available ──(gift link sent)──> gifting ──(friend accepted)──> gifted
                                    gifting ──(24 h unclaimed, or cancelled)──> available | expired
    locked | available | gifting ──(past valid_until)──> expired
    any state but gifted ──(staff voids it)──> void
"""

from __future__ import annotations

from django.utils.translation import gettext as _

from coupons import errors
from coupons.models import Coupon
from loyalty.compiled import update_rows
from loyalty.errors import DomainError

S = Coupon.State

ALLOWED: dict[str, set[str]] = {
    S.LOCKED: {S.AVAILABLE, S.EXPIRED, S.VOID},
    S.AVAILABLE: {S.USED, S.GIFTING, S.EXPIRED, S.VOID},
    S.USED: {S.AVAILABLE, S.EXPIRED, S.VOID},
    S.GIFTING: {S.GIFTED, S.AVAILABLE, S.EXPIRED, S.VOID},
    S.EXPIRED: {S.VOID},
    S.GIFTED: set(),
    S.VOID: set(),
}


def can_move(current: str, target: str) -> bool:
    return target in ALLOWED.get(current, set())


def move(coupon: Coupon, target: str, **fields) -> None:
    """Change a coupon's state (and the given fields) if the machine allows it, else refuse.

    The update is conditional on the state the caller read, so a concurrent change is never overwritten.
    """
    if not can_move(coupon.state, target):
        raise DomainError(errors.COUPON_STATE_CHANGE,
                          _("A coupon that is %(current)s cannot become %(target)s.") % {
                              "current": Coupon.State(coupon.state).label, "target": Coupon.State(target).label},
                          field="state", status_code=409)
    changed = update_rows(Coupon, {"pk": coupon.pk, "state": coupon.state}, {"state": target, **fields})
    if not changed:
        raise DomainError(errors.COUPON_STATE_CHANGE, _("The coupon changed meanwhile; try again."),
                          field="state", status_code=409)
    coupon.state = target
    for name, value in fields.items():
        setattr(coupon, name, value)


def move_many(queryset, source: str, target: str, **fields) -> int:
    """Move every coupon of `queryset` that is in `source` to `target` in one statement (sweeps)."""
    if not can_move(source, target):
        raise ValueError(f"coupons cannot move from {source} to {target}")
    return queryset.filter(state=source).update(state=target, **fields)
