"""What a coupon takes off a bill, and whether it may be used here and now. Pure arithmetic, no writes."""

from __future__ import annotations

import datetime
from decimal import Decimal

from django.db.models import BooleanField, Case, Exists, OuterRef, Value, When
from django.utils import timezone
from django.utils.translation import gettext as _

from coupons import errors
from coupons.models import Coupon, CouponTemplate
from loyalty.config_cache import cached
from loyalty.errors import DomainError
from loyalty.money import ZERO, quantize
from loyalty.pricing import coupon_kinds

FIELD = "coupon_code"


def validity_for(template: CouponTemplate, issued_at: datetime.datetime) -> tuple[datetime.datetime,
                                                                                 datetime.datetime]:
    """When a coupon issued at `issued_at` is valid: the template's dates, or N days starting M days later.

    Relative validity counts whole days in the merchant's time zone, like WeChat's fixed_begin_term /
    fixed_term: claimed at 23:30 on the 1st with M=0, N=1, it is valid until midnight after the 1st.
    """
    if template.validity == CouponTemplate.Validity.FIXED:
        return template.valid_from, template.valid_until
    local_day = timezone.localtime(issued_at).date()
    first_day = local_day + datetime.timedelta(days=template.starts_after_days)
    tz = timezone.get_current_timezone()
    start = datetime.datetime.combine(first_day, datetime.time.min, tzinfo=tz)
    end = datetime.datetime.combine(first_day + datetime.timedelta(days=template.valid_days or 1),
                                    datetime.time.min, tzinfo=tz)
    return max(start, issued_at), end


def store_allowed(store_id: int) -> dict:
    """Annotations for a coupon queryset saying, in the same query, whether the coupon's template lets it be
    used at the store `store_id` (no stores named, or this one among them): `check_usable` reads it rather than
    the stores."""
    stores = CouponTemplate.stores.through.objects.filter(coupontemplate_id=OuterRef("template_id"))
    allowed = Case(When(~Exists(stores), then=Value(True)), When(Exists(stores.filter(store_id=store_id)),
                                                                  then=Value(True)),
                   default=Value(False), output_field=BooleanField())
    return {"store_checked": Value(store_id), "store_allowed": allowed}


def effective_state(coupon: Coupon, at: datetime.datetime | None = None) -> str:
    """The state a member should see: a coupon past its end is expired even before the nightly sweep."""
    at = at or timezone.now()
    if coupon.state in (Coupon.State.AVAILABLE, Coupon.State.LOCKED, Coupon.State.GIFTING) and at >= coupon.valid_until:
        return Coupon.State.EXPIRED
    return coupon.state


def template_store_key(template_id: int) -> str:
    return f"coupon-template-stores:{template_id}"


def template_store_ids(template: CouponTemplate) -> frozenset[int]:
    """The stores a template is limited to (empty: every store): prefetched, or from the cache (every use of a
    coupon checks them; coupons.receivers forgets them when the template changes)."""
    prefetched = getattr(template, "_prefetched_objects_cache", {}).get("stores")
    if prefetched is not None:
        return frozenset(store.pk for store in prefetched)
    return cached(template_store_key(template.pk),
                  lambda: frozenset(template.stores.values_list("pk", flat=True)))


def check_usable(coupon: Coupon, *, store, at: datetime.datetime | None = None) -> None:
    """Refuse, with the reason a cashier can act on, a coupon that cannot be used at `store` at `at`."""
    at = at or timezone.now()
    template = coupon.template
    if store is None or store.merchant_id != coupon.merchant_id:
        raise DomainError(errors.COUPON_WRONG_MERCHANT, _("This coupon belongs to another merchant."), field=FIELD,
                          status_code=404)
    state = effective_state(coupon, at)
    if state == Coupon.State.USED:
        raise DomainError(errors.COUPON_USED, _("This coupon has already been used."), field=FIELD, status_code=409)
    if state == Coupon.State.EXPIRED:
        raise DomainError(errors.COUPON_EXPIRED, _("This coupon has expired."), field=FIELD)
    if state == Coupon.State.LOCKED:
        raise DomainError(errors.COUPON_LOCKED, _("This coupon unlocks when enough friends have claimed theirs."),
                          field=FIELD)
    if state != Coupon.State.AVAILABLE:
        raise DomainError(errors.COUPON_NOT_USABLE, _("This coupon cannot be used (%(state)s).") % {
            "state": Coupon.State(state).label}, field=FIELD, status_code=409)
    if at < coupon.valid_from:
        raise DomainError(errors.COUPON_NOT_YET_VALID, _("This coupon is valid from %(date)s.") % {
            "date": timezone.localtime(coupon.valid_from).strftime("%Y-%m-%d %H:%M")}, field=FIELD)
    if getattr(coupon, "store_checked", None) == store.pk:
        allowed = coupon.store_allowed
    else:
        store_ids = template_store_ids(template)
        allowed = not store_ids or store.pk in store_ids
    if not allowed:
        raise DomainError(errors.COUPON_WRONG_STORE, _("This coupon cannot be used at this store."), field=FIELD)
    local = timezone.localtime(at)
    if template.weekdays and local.isoweekday() not in template.weekdays:
        raise DomainError(errors.COUPON_OUTSIDE_HOURS, _("This coupon cannot be used on this day of the week."),
                          field=FIELD)
    if template.hours_from is not None and template.hours_until is not None:
        now, start, end = local.time(), template.hours_from, template.hours_until
        inside = start <= now < end if start <= end else (now >= start or now < end)
        if not inside:
            raise DomainError(errors.COUPON_OUTSIDE_HOURS,
                              _("This coupon can be used between %(start)s and %(end)s.") % {
                                  "start": start.strftime("%H:%M"), "end": end.strftime("%H:%M")}, field=FIELD)


def _matches(template: CouponTemplate, line: dict) -> bool:
    return (str(line.get("product", "")) in template.products) or (str(line.get("category", "")) in
                                                                   template.categories)


def line_amount(line: dict) -> Decimal:
    return quantize(Decimal(str(line.get("amount", "0"))))


def eligible_amount(template: CouponTemplate, bill_amount: Decimal, lines: list[dict] | None) -> Decimal:
    """The part of the bill the coupon works on: the whole bill, or the listed products' lines."""
    if template.scope == CouponTemplate.Scope.BILL:
        return bill_amount
    if not lines:
        raise DomainError(errors.COUPON_NOT_APPLICABLE,
                          _("This coupon is for certain products only; the bill must list its items."), field="lines")
    return min(quantize(sum((line_amount(line) for line in lines if _matches(template, line)), ZERO)), bill_amount)


def coupon_discount(coupon: Coupon, *, bill_amount: Decimal, lines: list[dict] | None = None, store,
                    at: datetime.datetime | None = None) -> tuple[Decimal, str]:
    """How much `coupon` takes off this bill at this store and time, and a short why; refuses if it can't.

    The checks are the same for every kind; what it takes off is the template's kind's rule (coupons.kinds:
    cash off, percentage discount, free item).
    """
    check_usable(coupon, store=store, at=at)
    template = coupon.template
    bill_amount = quantize(bill_amount)
    base = eligible_amount(template, bill_amount, lines)
    if template.minimum_bill is not None and base < template.minimum_bill:
        raise DomainError(errors.COUPON_BELOW_MINIMUM, _("This coupon needs a bill of at least %(minimum)s.") % {
            "minimum": template.minimum_bill}, field="bill_amount")
    if template.scope == CouponTemplate.Scope.PRODUCTS and base <= ZERO:
        raise DomainError(errors.COUPON_NOT_APPLICABLE, _("None of the bill's items is covered by this coupon."),
                          field="lines")
    kind = coupon_kinds.get(template.kind)
    amount = kind.discount(template, eligible=base, bill_amount=bill_amount, lines=lines)
    return amount, kind.describe(template, amount)
