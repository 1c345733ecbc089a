"""Getting coupons (issue, claim, join gifts, points), sharing them (gifts, fission) and sweeping them."""

from __future__ import annotations

import datetime
import secrets

from django.conf import settings
from django.contrib.auth.base_user import AbstractBaseUser
from django.core.exceptions import ObjectDoesNotExist
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from cards.membership.services import spend_points
from coupons import codes, errors, events, states
from coupons.models import ClaimChannel, Coupon, CouponTemplate
from coupons.services.rules import effective_state, validity_for
from loyalty.errors import DomainError
from merchants.models import Member

GIFT_RETURNS_AFTER = datetime.timedelta(hours=24)


def templates_for_update(*templates: CouponTemplate) -> list[CouponTemplate]:
    """Lock templates in primary-key order: the one place a template's stock is guarded."""
    return list(CouponTemplate.objects.select_for_update().filter(pk__in=[t.pk for t in templates]).order_by("pk"))


def coupon_for_update(**lookup) -> Coupon | None:
    """Lock one coupon row (only the coupon: its template is read, not locked, so uses of one template
    do not queue behind each other; stock changes lock the template with `templates_for_update`)."""
    return Coupon.objects.select_for_update(of=("self",)).select_related("template").filter(**lookup).first()


def _new_token() -> str:
    return secrets.token_urlsafe(12)


def _create_with_fresh_code(**fields) -> Coupon:
    """Insert a coupon under a new random code, drawing again in the (astronomically rare) event of a clash."""
    for _attempt in range(5):
        code = codes.new_code()
        try:
            with transaction.atomic():
                return Coupon.objects.create(code=code, **fields)
        except IntegrityError:
            if not Coupon.objects.filter(merchant_id=fields["merchant"].pk, code=code).exists():
                raise
    raise RuntimeError("could not draw an unused coupon code")


def held_count(template: CouponTemplate, member: Member) -> int:
    """Coupons of this template the member got for themselves (gifts received do not count)."""
    return Coupon.objects.filter(template=template, member=member).exclude(source=Coupon.Source.GIFT).count()


@transaction.atomic
def issue_coupon(template: CouponTemplate, member: Member, *, source: str, at: datetime.datetime | None = None,
                 shared_via: Coupon | None = None, channel: ClaimChannel | None = None) -> Coupon:
    """Give `member` one coupon of `template`: the door of every one-at-a-time source (claims, join gifts,
    points, rewards, purchases, fission). Mass sends apply the same checks set-based (issuance.py).

    The template row is locked, so stock and the per-member limit hold however many claims race. A coupon
    claimed through one of the template's channels records it, and the channel counts the claim.
    """
    if member.merchant_id != template.merchant_id:
        raise DomainError(errors.COUPON_WRONG_MERCHANT, _("This coupon belongs to another merchant."),
                          field="template", status_code=404)
    if channel is not None and channel.template_id != template.pk:
        raise DomainError(errors.CHANNEL_NOT_OF_TEMPLATE, _("This link belongs to another coupon."),
                          field="channel", status_code=404)
    [locked] = templates_for_update(template)
    at = at or timezone.now()
    check_issuable(locked, member)
    valid_from, valid_until = validity_for(locked, at)
    if valid_until <= at:
        raise DomainError(errors.TEMPLATE_NOT_CLAIMABLE, _("This coupon's validity has ended."), field="template",
                          status_code=409)
    counters = {"issued_count": F("issued_count") + 1}
    if source == Coupon.Source.CLAIM:
        counters["claimed_count"] = F("claimed_count") + 1
    CouponTemplate.objects.filter(pk=locked.pk).update(**counters)
    if channel is not None:
        ClaimChannel.objects.filter(pk=channel.pk).update(claims=F("claims") + 1)
    fission = locked.is_fission and source != Coupon.Source.FISSION
    coupon = _create_with_fresh_code(
        merchant=member.merchant, template=locked, member=member, source=source, issued_at=at,
        valid_from=valid_from, valid_until=valid_until, shared_via=shared_via, channel=channel,
        state=Coupon.State.LOCKED if fission else Coupon.State.AVAILABLE,
        share_token=_new_token() if fission else None)
    events.coupon_issued(coupon)
    return coupon


def check_issuable(template: CouponTemplate, member: Member) -> None:
    """Refuse a coupon the template cannot give now: not active, out of stock, or the member at the limit.

    `issue_coupon` calls it on the locked template; before a payment it is a preview without a lock.
    """
    if template.status != CouponTemplate.Status.ACTIVE:
        raise DomainError(errors.TEMPLATE_NOT_CLAIMABLE, _("This coupon is not being given out now."),
                          field="template", status_code=409)
    if template.stock is not None and template.issued_count >= template.stock:
        raise DomainError(errors.TEMPLATE_OUT_OF_STOCK, _("Sorry, all of these coupons have been given out."),
                          field="template", status_code=409)
    if template.per_member_limit and held_count(template, member) >= template.per_member_limit:
        raise DomainError(errors.CLAIM_LIMIT_REACHED,
                          _("You already have as many of these coupons as one member may hold."),
                          field="template", status_code=409)


def _level_id(member: Member) -> int | None:
    try:
        return member.membership_card.level_id
    except ObjectDoesNotExist:
        return None


def check_audience(template: CouponTemplate, member: Member, *, at: datetime.datetime | None = None) -> None:
    """Refuse a member the template is not for (new members only, certain levels)."""
    at = at or timezone.now()
    audience = template.audience
    if audience == CouponTemplate.Audience.NEW_MEMBERS:
        if at - member.joined_at > datetime.timedelta(days=template.new_member_days):
            raise DomainError(errors.AUDIENCE_REFUSED, _("This coupon is for new members only."), field="template",
                              status_code=403)
    elif audience == CouponTemplate.Audience.LEVELS:
        level_ids = {level.pk for level in template.levels.all()}
        if _level_id(member) not in level_ids:
            raise DomainError(errors.AUDIENCE_REFUSED, _("This coupon is for members of certain levels only."),
                              field="template", status_code=403)


def claim_coupon(template: CouponTemplate, member: Member, *, source: str = Coupon.Source.CLAIM,
                 channel: ClaimChannel | None = None) -> Coupon:
    """A member takes a coupon from a claim link or QR code (领券), the template's own or one of its channels';
    a coupon with a price is bought instead."""
    if template.price is not None and source == Coupon.Source.CLAIM:
        raise DomainError(errors.TEMPLATE_FOR_SALE, _("This coupon is sold: buy it on its page."),
                          field="template", status_code=409)
    check_audience(template, member)
    return issue_coupon(template, member, source=source, channel=channel)


def record_claim_page_view(template: CouponTemplate, *, channel: ClaimChannel | None = None) -> None:
    """One open of the claim page: the template counts every open, a channel those of its own link. One
    UPDATE each with F(), so opens at the same moment never overwrite each other."""
    CouponTemplate.objects.filter(pk=template.pk).update(claim_page_views=F("claim_page_views") + 1)
    if channel is not None:
        ClaimChannel.objects.filter(pk=channel.pk).update(views=F("views") + 1)


@transaction.atomic
def exchange_points_for_coupon(template: CouponTemplate, member: Member) -> Coupon:
    """积分兑换: the member pays the template's price in points; both happen or neither."""
    if not template.points_price or template.audience == CouponTemplate.Audience.HIDDEN:
        raise DomainError(errors.NOT_ON_POINTS_SHELF, _("This coupon cannot be exchanged for points."),
                          field="template", status_code=409)
    check_audience(template, member)
    coupon = issue_coupon(template, member, source=Coupon.Source.POINTS)
    spend_points(member, template.points_price, reason="coupon_exchange", reference=f"coupon:{coupon.pk}")
    return coupon


@transaction.atomic
def set_template_stock(template: CouponTemplate, stock: int | None) -> CouponTemplate:
    """Raise (or lower) the stock, never below what is already issued: a conditional update, race-free."""
    query = CouponTemplate.objects.filter(pk=template.pk)
    if stock is not None:
        query = query.filter(issued_count__lte=stock)
    if not query.update(stock=stock):
        template.refresh_from_db()
        raise DomainError(errors.STOCK_BELOW_ISSUED, _("The stock cannot go below the %(issued)d already issued.") % {
            "issued": template.issued_count}, field="stock")
    template.refresh_from_db()
    return template


_STATUS_EVENTS = {
    CouponTemplate.Status.PAUSED: events.coupon_template_paused,
    CouponTemplate.Status.ACTIVE: events.coupon_template_resumed,
    CouponTemplate.Status.ENDED: events.coupon_template_ended,
}


@transaction.atomic
def set_template_status(template: CouponTemplate, status: str, *, staff: AbstractBaseUser | None = None
                        ) -> CouponTemplate:
    """Pause, resume or end a template; an ended template stays ended. Each change is an event."""
    [locked] = templates_for_update(template)
    if status not in CouponTemplate.Status.values or locked.status == CouponTemplate.Status.ENDED:
        raise DomainError(errors.TEMPLATE_NOT_CLAIMABLE, _("An ended coupon cannot be restarted."), field="status")
    before = locked.status
    template.status = status
    if before != status:
        CouponTemplate.objects.filter(pk=locked.pk).update(status=status)
        _STATUS_EVENTS[status](template, staff=staff, before=before)
    return template


# Gifts (朋友的券) -------------------------------------------------------------------------------

@transaction.atomic
def start_gift(coupon: Coupon, member: Member) -> Coupon:
    """The holder makes a gift link. Until a friend accepts (or 24 hours pass) nobody can use the coupon."""
    locked = coupon_for_update(pk=coupon.pk, member=member)
    if locked is None:
        raise DomainError(errors.COUPON_NOT_FOUND, _("No such coupon."), field="coupon", status_code=404)
    if not locked.template.giftable or locked.gifted_from_id is not None:
        raise DomainError(errors.NOT_GIFTABLE, _("This coupon cannot be given to a friend."), field="coupon",
                          status_code=409)
    if effective_state(locked) != Coupon.State.AVAILABLE:
        raise DomainError(errors.NOT_GIFTABLE, _("Only an available coupon can be given to a friend."),
                          field="coupon", status_code=409)
    states.move(locked, Coupon.State.GIFTING, gift_token=_new_token(), gift_started_at=timezone.now())
    coupon.state, coupon.gift_token, coupon.gift_started_at = locked.state, locked.gift_token, locked.gift_started_at
    return locked


@transaction.atomic
def cancel_gift(coupon: Coupon, member: Member) -> Coupon:
    locked = coupon_for_update(pk=coupon.pk, member=member, state=Coupon.State.GIFTING)
    if locked is None:
        raise DomainError(errors.GIFT_NOT_AVAILABLE, _("This gift is no longer pending."), field="coupon",
                          status_code=409)
    states.move(locked, Coupon.State.AVAILABLE, gift_token=None, gift_started_at=None)
    coupon.state, coupon.gift_token, coupon.gift_started_at = locked.state, None, None
    return locked


def gift_is_open(coupon: Coupon, at: datetime.datetime | None = None) -> bool:
    at = at or timezone.now()
    return (coupon.state == Coupon.State.GIFTING and coupon.gift_started_at is not None
            and at < coupon.gift_started_at + GIFT_RETURNS_AFTER and at < coupon.valid_until)


@transaction.atomic
def accept_gift(gift_token: str, friend: Member) -> Coupon:
    """The friend takes the gift: the sender's coupon becomes "gifted", the friend gets one of their own."""
    locked = coupon_for_update(gift_token=gift_token, merchant_id=friend.merchant_id)
    if locked is None or not gift_is_open(locked):
        raise DomainError(errors.GIFT_NOT_AVAILABLE, _("This gift has already been taken or has expired."),
                          field="coupon", status_code=409)
    if locked.member_id == friend.pk:
        raise DomainError(errors.GIFT_TO_SELF, _("You cannot accept your own gift."), field="coupon",
                          status_code=409)
    states.move(locked, Coupon.State.GIFTED, gift_token=None)
    received = _create_with_fresh_code(
        merchant=locked.merchant, template=locked.template, member=friend, source=Coupon.Source.GIFT,
        valid_from=locked.valid_from, valid_until=locked.valid_until, gifted_from=locked)
    events.coupon_gifted(locked, from_member=locked.member, to_member=friend, received=received)
    return received


def return_unclaimed_gifts(now: datetime.datetime | None = None) -> int:
    """Gifts nobody accepted within 24 hours go back to the sender (or expire if their time is up)."""
    now = now or timezone.now()
    stale = Coupon.objects.filter(state=Coupon.State.GIFTING, gift_started_at__lte=now - GIFT_RETURNS_AFTER)
    with transaction.atomic():
        expired = states.move_many(stale.filter(valid_until__lte=now), Coupon.State.GIFTING, Coupon.State.EXPIRED,
                                   gift_token=None, gift_started_at=None)
        returned = states.move_many(stale, Coupon.State.GIFTING, Coupon.State.AVAILABLE, gift_token=None,
                                    gift_started_at=None)
    return returned + expired


# Fission (裂变券) ------------------------------------------------------------------------------

@transaction.atomic
def claim_through_share(share_token: str, friend: Member) -> Coupon:
    """A friend claims the friends' coupon through a sharer's link; the N-th distinct friend unlocks the sharer's.

    The sharer's coupon row is locked, and a unique constraint (share, friend) makes a second claim by
    the same friend impossible, so the unlock happens at exactly N distinct friends.
    """
    sharer = coupon_for_update(share_token=share_token, merchant_id=friend.merchant_id)
    if sharer is None or effective_state(sharer) not in (Coupon.State.LOCKED, Coupon.State.AVAILABLE):
        raise DomainError(errors.FISSION_NOT_AVAILABLE, _("This share link is no longer valid."), field="share",
                          status_code=404)
    if sharer.member_id == friend.pk:
        raise DomainError(errors.FISSION_OWN_LINK, _("Send this link to your friends: they claim through it."),
                          field="share", status_code=409)
    if Coupon.objects.filter(shared_via=sharer, member=friend).exists():
        raise DomainError(errors.FISSION_ALREADY_HELPED, _("You have already claimed through this link."),
                          field="share", status_code=409)
    template = sharer.template
    check_audience(template.friend_template, friend)
    friend_coupon = issue_coupon(template.friend_template, friend, source=Coupon.Source.FISSION, shared_via=sharer)
    friends = Coupon.objects.filter(shared_via=sharer).values("member").distinct().count()
    if sharer.state == Coupon.State.LOCKED and friends >= template.fission_friends:
        states.move(sharer, Coupon.State.AVAILABLE)
    return friend_coupon


def friends_helped(coupon: Coupon) -> int:
    return Coupon.objects.filter(shared_via=coupon).values("member").distinct().count()


def expire_coupons(now: datetime.datetime | None = None) -> int:
    """The nightly sweep: coupons past their end become expired (pages already show them so)."""
    now = now or timezone.now()
    due = Coupon.objects.filter(valid_until__lte=now)
    with transaction.atomic():
        count = 0
        for state in (Coupon.State.LOCKED, Coupon.State.AVAILABLE, Coupon.State.GIFTING):
            count += states.move_many(due, state, Coupon.State.EXPIRED, gift_token=None)
    return count


@transaction.atomic
def void_coupon(coupon: Coupon, *, staff: AbstractBaseUser | None = None, reason: str = "") -> Coupon:
    """Staff withdraw a coupon (issued by mistake, or misused); it can never be used again."""
    locked = coupon_for_update(pk=coupon.pk)
    before = locked.state
    states.move(locked, Coupon.State.VOID, gift_token=None)
    coupon.state = locked.state
    events.coupon_voided(locked, staff=staff, reason=reason, state_before=before)
    return locked


def reversal_window() -> datetime.timedelta:
    return datetime.timedelta(hours=getattr(settings, "COUPON_REVERSAL_WINDOW_HOURS", 24))
