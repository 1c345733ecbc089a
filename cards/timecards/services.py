"""Time card services: selling, giving, placing periods end to end, using under a daily limit, refunding.

A member's cards of one product form a chain of periods. Every change locks the whole chain first
(`chain_for_update`, the one lock helper, pk order), so two purchases never place their periods on the
same days and two cashiers never both record the last use a day allows.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from decimal import Decimal

from django.db import transaction
from django.db.models import Count, Sum
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from cards.timecards import errors, events
from cards.timecards.models import (
    MAX_PHOTO_BYTES,
    PHOTO_EXTENSIONS,
    IdentityPhoto,
    RefundPolicy,
    StartRule,
    TimeCard,
    TimeCardChain,
    TimeCardProduct,
    TimeCardSettings,
    TimeCardTier,
    TimeCardUse,
)
from loyalty import benefits, payments
from loyalty.benefits import Occasion
from loyalty.errors import DomainError
from loyalty.ledgers import LedgerReport, lock_rows
from loyalty.models import GatewayPayment
from loyalty.money import ZERO, quantize
from loyalty.usable_cards import merchant_today
from merchants.models import Member

PURCHASE_PURPOSE = "time_card_purchase"
DAY = datetime.timedelta(days=1)
LIVE = [TimeCard.Status.ACTIVE]


def time_card_settings(merchant) -> TimeCardSettings:
    found, _created = TimeCardSettings.objects.get_or_create(merchant=merchant)
    return found


def read_settings(merchant_id: int) -> TimeCardSettings:
    """The settings as they are, for pages that only read them (an unsaved default where none were made)."""
    return TimeCardSettings.objects.filter(merchant_id=merchant_id).first() or TimeCardSettings(
        merchant_id=merchant_id)


def chain_for_update(member_id: int, product_id: int) -> list[TimeCard]:
    """Lock the member's chain for this product, then its live cards in pk order, and return the cards."""
    product = TimeCardProduct.objects.only("merchant_id").get(pk=product_id)
    TimeCardChain.objects.get_or_create(member_id=member_id, product_id=product_id,
                                        defaults={"merchant_id": product.merchant_id})
    lock_rows(TimeCardChain.objects.filter(member_id=member_id, product_id=product_id))
    return lock_rows(TimeCard.objects.filter(member_id=member_id, product_id=product_id, status__in=LIVE))


# --- placing periods ------------------------------------------------------------------------------------


def _last_day(start: datetime.date, days: int) -> datetime.date:
    return start + datetime.timedelta(days=days - 1)


def _first_day(tier: TimeCardTier, today: datetime.date) -> datetime.date | None:
    if tier.start_rule == StartRule.PURCHASE:
        return today
    if tier.start_rule == StartRule.DAYS_AFTER:
        return today + datetime.timedelta(days=tier.start_after_days)
    return None


def _place(card: TimeCard, chain: list[TimeCard], today: datetime.date) -> None:
    """Give a new card its period: after the last period still to come if there is one (buying again extends),
    waiting behind a card not started yet, or afresh by its tier's start rule."""
    ahead = [other for other in chain if other.pk != card.pk and (other.ends_on is None or other.ends_on >= today)]
    if any(other.ends_on is None for other in ahead):
        card.starts_on = card.ends_on = None
    elif ahead:
        card.starts_on = max(other.ends_on for other in ahead) + DAY
        card.ends_on = _last_day(card.starts_on, card.days)
    else:
        card.starts_on = _first_day(card.tier, today)
        card.ends_on = _last_day(card.starts_on, card.days) if card.starts_on else None


def _start_waiting(chain: list[TimeCard], start: datetime.date) -> None:
    """The first use (or the activation deadline) starts the waiting cards, one after another from `start`."""
    placed = [card for card in chain if card.ends_on is not None and card.ends_on >= start]
    cursor = max([card.ends_on + DAY for card in placed] + [start])
    for card in sorted((card for card in chain if card.ends_on is None), key=lambda card: card.pk):
        card.starts_on, card.ends_on = cursor, _last_day(cursor, card.days)
        card.save(update_fields=["starts_on", "ends_on"])
        cursor = card.ends_on + DAY


def _activation_due(chain: list[TimeCard], today: datetime.date) -> None:
    """A waiting card whose "activate by" day has passed started on that day."""
    waiting = [card for card in chain if card.ends_on is None]
    if waiting:
        deadline = waiting[0].tier.activate_by
        if deadline is not None and deadline < today:
            _start_waiting(chain, deadline)


def _activate(card: TimeCard, *, new: bool, store=None) -> None:
    today = merchant_today(card.merchant)
    chain = chain_for_update(card.member_id, card.product_id)
    _activation_due(chain, today)
    card.status = TimeCard.Status.ACTIVE
    card.activated_at = timezone.now()
    _place(card, chain, today)
    card.save(update_fields=["status", "activated_at", "starts_on", "ends_on"])
    if card.source != TimeCard.Source.BENEFIT:
        lines = benefits.with_targets(card.product.benefits.order_by("position", "pk"))
        card.given = benefits.as_records(benefits.give_lines(lines, card.member, occasion=Occasion.REWARD,
                                                             reference=f"time:{card.pk}", store=store))
        card.save(update_fields=["given"])
    events.card_sold(card, new=new)


# --- getting a card -------------------------------------------------------------------------------------


def check_can_buy(tier: TimeCardTier, member: Member, *, online: bool) -> None:
    if online and not (tier.on_sale and tier.product.on_sale):
        raise DomainError(errors.NOT_ON_SALE, _("This card is not on sale."), field="tier", status_code=409)
    if not member.is_active:
        raise DomainError(errors.MEMBER_FROZEN, _("This membership is frozen."), field="member")
    if tier.merchant_id != member.merchant_id:
        raise DomainError(errors.TIER_NOT_FOUND, _("No time card with this id."), field="tier", status_code=404)


def _new_card(tier: TimeCardTier, member: Member, *, source: str, price, store=None, staff=None,
              reference: str = "") -> TimeCard:
    return TimeCard.objects.create(merchant_id=tier.merchant_id, product_id=tier.product_id, tier=tier, member=member,
                                   store=store, source=source, days=tier.days, price_paid=price, staff=staff,
                                   reference=reference)


def sell_card(tier: TimeCardTier, member: Member, *, store, staff=None, terminal=None) -> TimeCard:
    """A cash sale at the counter: the card is the member's at once (its period placed after any running)."""
    check_can_buy(tier, member, online=False)
    with transaction.atomic():
        card = _new_card(tier, member, source=TimeCard.Source.CASH_SALE, price=tier.price, store=store, staff=staff)
        _activate(card, new=True, store=store)
        return card


def start_purchase(tier: TimeCardTier, member: Member, *, return_url: str = "") -> tuple[TimeCard, GatewayPayment]:
    check_can_buy(tier, member, online=True)
    with transaction.atomic():
        card = _new_card(tier, member, source=TimeCard.Source.PURCHASE, price=tier.price)
        payment = payments.start_payment(member.merchant, amount=tier.price, purpose=PURCHASE_PURPOSE,
                                         reference=str(card.pk), member=member, subject=str(tier),
                                         return_url=return_url)
        card.payment = payment
        card.save(update_fields=["payment"])
    return card, payment


def fulfil_purchase(payment: GatewayPayment) -> None:
    """The gateway confirmed the payment (inside loyalty.payments' transaction, once)."""
    card = lock_rows(TimeCard.objects.filter(payment=payment))[0]
    if card.status != TimeCard.Status.PENDING:
        return
    card.reference = payment.out_trade_no
    card.save(update_fields=["reference"])
    _activate(card, new=False)


def fail_purchase(payment: GatewayPayment) -> None:
    TimeCard.objects.filter(payment=payment, status=TimeCard.Status.PENDING).update(status=TimeCard.Status.FAILED)


def give_card(tier: TimeCardTier, member: Member, *, reference: str, store=None) -> TimeCard:
    """A card as a benefit (reward, recharge offer, join gift, mass send), once per reference."""
    existing = TimeCard.objects.filter(member=member, reference=reference, source=TimeCard.Source.BENEFIT).first()
    if existing is not None:
        return existing
    with transaction.atomic():
        card = _new_card(tier, member, source=TimeCard.Source.BENEFIT, price=ZERO, store=store, reference=reference)
        _activate(card, new=True, store=store)
        return card


# --- using ----------------------------------------------------------------------------------------------


def _current(chain: list[TimeCard], today: datetime.date) -> TimeCard | None:
    return next((card for card in chain if card.starts_on and card.starts_on <= today <= card.ends_on), None)


def has_photo(member_id: int, product_id: int) -> bool:
    return IdentityPhoto.objects.filter(member_id=member_id, product_id=product_id).exists()


def record_use(card: TimeCard, *, store, staff=None, terminal=None, identity_confirmed: bool = False) -> TimeCardUse:
    """核销 one visit today: the card valid today (a waiting one starts now), at a store it covers, within the
    daily limit counted on the merchant's day. The chain is locked first, so of two cashiers recording the
    last visit a day allows exactly one succeeds."""
    if store is None or store.merchant_id != card.merchant_id:
        raise DomainError(errors.WRONG_STORE, _("This card cannot be used at this store."), field="store",
                          status_code=409)
    stores = list(card.product.stores.values_list("pk", flat=True))
    if stores and store.pk not in stores:
        raise DomainError(errors.WRONG_STORE, _("This card cannot be used at this store."), field="store",
                          status_code=409)
    if not card.member.is_active:
        raise DomainError(errors.MEMBER_FROZEN, _("This membership is frozen."), field="code")
    with transaction.atomic():
        chain = chain_for_update(card.member_id, card.product_id)
        today = merchant_today(card.merchant)
        _activation_due(chain, today)
        current = _current(chain, today)
        if current is None and any(other.ends_on is None for other in chain):
            _start_waiting(chain, today)
            current = _current(chain, today)
        if current is None:
            upcoming = sorted(other.starts_on for other in chain if other.starts_on and other.starts_on > today)
            if upcoming:
                raise DomainError(errors.NOT_STARTED, _("This card is valid from %(day)s.") % {"day": upcoming[0]},
                                  field="code", status_code=409)
            raise DomainError(errors.EXPIRED, _("This card has expired."), field="code", status_code=409)
        limit = current.tier.daily_limit
        if limit is not None:
            used = TimeCardUse.objects.filter(member_id=card.member_id, product_id=card.product_id, used_on=today,
                                              undone_at__isnull=True).count()
            if used >= limit:
                raise DomainError(errors.DAILY_LIMIT_REACHED, daily_limit_message(limit), field="code", status_code=409)
        if time_card_settings(card.merchant).identity_check:
            if not has_photo(card.member_id, card.product_id):
                raise DomainError(errors.PHOTO_MISSING, _("This card needs the member's photo: add one first."),
                                  field="code", status_code=409)
            if not identity_confirmed:
                raise DomainError(errors.IDENTITY_NOT_CONFIRMED,
                                  _("Compare the person with the card's photo and confirm they match."),
                                  field="identity_confirmed", status_code=409)
        use = TimeCardUse.objects.create(
            merchant_id=card.merchant_id, card=current, product_id=card.product_id, member_id=card.member_id,
            store=store, used_on=today, staff=staff, terminal=terminal, identity_confirmed=identity_confirmed)
        events.card_used(current, use=use)
        return use


def daily_limit_message(limit: int) -> str:
    return ngettext("This card may be used once a day; it has been used today.",
                    "This card may be used %(n)d times a day; it has been used that often today.", limit) % {
        "n": limit}


def undo_use(use: TimeCardUse, *, staff, now: datetime.datetime | None = None) -> TimeCardUse:
    now = now or timezone.now()
    limit = time_card_settings(use.card.merchant).undo_minutes
    if now - use.used_at > datetime.timedelta(minutes=limit):
        raise DomainError(errors.UNDO_TOO_LATE, _("A use can only be undone within %(n)d minutes.") % {"n": limit},
                          status_code=409)
    with transaction.atomic():
        chain_for_update(use.member_id, use.product_id)
        if not TimeCardUse.objects.filter(pk=use.pk, undone_at__isnull=True).update(undone_at=now, undone_by=staff):
            raise DomainError(errors.USE_ALREADY_UNDONE, _("This use has already been undone."), status_code=409)
        use.refresh_from_db()
        events.use_undone(use.card, use=use, staff=staff)
        return use


# --- photos ---------------------------------------------------------------------------------------------


def save_photo(member: Member, product: TimeCardProduct, upload, *, staff=None) -> IdentityPhoto:
    """The member's photo for this product (the member after buying, or a cashier for a member with none)."""
    name = getattr(upload, "name", "") or ""
    if upload is None or name.rsplit(".", 1)[-1].lower() not in PHOTO_EXTENSIONS:
        raise DomainError(errors.PHOTO_INVALID, _("Upload a photo (JPEG, PNG or WebP)."), field="photo")
    if upload.size > MAX_PHOTO_BYTES:
        raise DomainError(errors.PHOTO_INVALID, _("The photo is too large (5 MB at most)."), field="photo")
    with transaction.atomic():
        photo = IdentityPhoto.objects.filter(member=member, product=product).select_for_update().first()
        if photo is not None and staff is not None:
            raise DomainError(errors.PHOTO_EXISTS, _("This member already has a photo."), field="photo")
        photo = photo or IdentityPhoto(merchant_id=member.merchant_id, member=member, product=product)
        photo.image.save(name, upload, save=False)
        photo.uploaded_by, photo.uploaded_at = staff, timezone.now()
        photo.save()
        return photo


# --- refunds --------------------------------------------------------------------------------------------


def unused_days(card: TimeCard, today: datetime.date) -> int:
    """Days of the period not yet begun: all of it before it starts; after today once it runs (today is used)."""
    if card.starts_on is None or card.starts_on > today:
        return card.days
    return max(0, (card.ends_on - today).days)


def refund_due(card: TimeCard, today: datetime.date) -> Decimal:
    return quantize(card.price_paid * unused_days(card, today) / card.days)


def refund_card(card: TimeCard, *, staff=None) -> Decimal:
    """Refund a card bought, per the merchant's setting: void, its gifts taken back, the unused days pro rata
    returned; the periods after it move forward by the days it gave back, so no day is left empty."""
    if time_card_settings(card.merchant).refund_policy == RefundPolicy.NONE:
        raise DomainError(errors.NOT_REFUNDABLE, _("This merchant does not refund cards."), status_code=409)
    with transaction.atomic():
        chain = chain_for_update(card.member_id, card.product_id)
        locked = next((other for other in chain if other.pk == card.pk), None)
        if locked is None or locked.source == TimeCard.Source.BENEFIT:
            raise DomainError(errors.NOT_REFUNDABLE, _("Only an active card that was bought can be refunded."),
                              status_code=409)
        today = merchant_today(card.merchant)
        unused = unused_days(locked, today)
        amount = refund_due(locked, today)
        if locked.ends_on is not None:
            for later in chain:
                if later.starts_on is not None and later.starts_on > locked.ends_on:
                    later.starts_on -= datetime.timedelta(days=unused)
                    later.ends_on -= datetime.timedelta(days=unused)
                    later.save(update_fields=["starts_on", "ends_on"])
            if unused and unused < locked.days:
                locked.ends_on = today
            elif unused == locked.days:
                locked.starts_on = locked.ends_on = None
        locked.status, locked.voided_at, locked.refunded_amount = TimeCard.Status.VOID, timezone.now(), amount
        locked.save(update_fields=["status", "voided_at", "refunded_amount", "starts_on", "ends_on"])
        if locked.given:
            taken = benefits.take_back(benefits.from_records(locked.given), locked.member,
                                       reference=f"time-refund:{locked.pk}")
            locked.given = benefits.as_records(taken)
            locked.save(update_fields=["given"])
        events.card_refunded(locked, staff=staff, amount=amount)
        return amount


def void_card(card: TimeCard, *, staff=None, reason: str = "") -> TimeCard:
    with transaction.atomic():
        chain_for_update(card.member_id, card.product_id)
        if not TimeCard.objects.filter(pk=card.pk, status=TimeCard.Status.ACTIVE).update(
                status=TimeCard.Status.VOID, voided_at=timezone.now()):
            raise DomainError(errors.NOT_ACTIVE, _("This card is not active."), status_code=409)
        card.refresh_from_db()
        events.card_voided(card, staff=staff, reason=reason)
        return card


def take_back_given(card_ids, *, wanted: int) -> tuple[int, int]:
    """A benefit's refund takes back cards it gave: one not begun or still running is voided; a lapsed one is
    the shortfall."""
    taken = 0
    with transaction.atomic():
        for card in lock_rows(TimeCard.objects.filter(pk__in=list(card_ids), status=TimeCard.Status.ACTIVE)):
            if taken >= wanted:
                break
            if card.ends_on is None or card.ends_on >= merchant_today(card.merchant):
                TimeCard.objects.filter(pk=card.pk).update(status=TimeCard.Status.VOID, voided_at=timezone.now())
                taken += 1
    return taken, wanted - taken


# --- reading --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Standing:
    """A member's pass for one product as the member reads it: days left over the whole chain."""

    current: TimeCard | None
    days_left: int
    waiting_days: int
    starts_on: datetime.date | None
    ends_on: datetime.date | None


def standing(cards: list[TimeCard], today: datetime.date) -> Standing:
    live = [card for card in cards if card.status == TimeCard.Status.ACTIVE]
    placed = [card for card in live if card.ends_on is not None and card.ends_on >= today]
    waiting = sum(card.days for card in live if card.ends_on is None)
    ends = max((card.ends_on for card in placed), default=None)
    starts = min((card.starts_on for card in placed), default=None)
    left = (ends - max(today, starts)).days + 1 if ends else 0
    return Standing(current=_current(live, today), days_left=left, waiting_days=waiting, starts_on=starts,
                    ends_on=ends)


def liability(card: TimeCard, today: datetime.date) -> Decimal:
    if card.status != TimeCard.Status.ACTIVE or not card.price_paid:
        return ZERO
    return refund_due(card, today)


def liability_per_store(merchant_id: int | None = None) -> dict[tuple[str, str], Decimal]:
    cards = TimeCard.objects.filter(status=TimeCard.Status.ACTIVE, price_paid__gt=0).select_related("merchant",
                                                                                                  "store")
    if merchant_id is not None:
        cards = cards.filter(merchant_id=merchant_id)
    owed: dict[tuple[str, str], Decimal] = {}
    for card in cards.iterator(chunk_size=2000):
        key = (card.merchant.slug, card.store.name if card.store else "online")
        owed[key] = owed.get(key, ZERO) + liability(card, merchant_today(card.merchant))
    return owed


def audit_time_cards(merchant_id: int | None = None) -> LedgerReport:
    """Time cards keep days, not a balance: the audit proves no live period overlaps another of the same chain,
    and reports the prepaid liability of the days not yet begun."""
    report = LedgerReport(name="timecards")
    cards = TimeCard.objects.filter(status=TimeCard.Status.ACTIVE, starts_on__isnull=False)
    if merchant_id is not None:
        cards = cards.filter(merchant_id=merchant_id)
    last: dict[tuple[int, int], TimeCard] = {}
    for card in cards.order_by("member_id", "product_id", "starts_on", "pk").iterator(chunk_size=2000):
        report.accounts_checked += 1
        before = last.get((card.member_id, card.product_id))
        if before is not None and card.starts_on <= before.ends_on:
            report.problems.append(f"time card {card.pk} overlaps time card {before.pk}")
        last[(card.member_id, card.product_id)] = card
    per_store = liability_per_store(merchant_id)
    report.liabilities = {"time card days": sum(per_store.values(), ZERO)}
    report.liabilities.update({f"time card days owed {slug} / {store}": amount
                               for (slug, store), amount in sorted(per_store.items())})
    return report


@dataclass(frozen=True)
class ProductFigures:
    sold: int
    revenue: Decimal
    uses: int
    active_holders: int
    liability: Decimal


def product_figures(product: TimeCardProduct) -> ProductFigures:
    sold = (TimeCard.objects.filter(product=product, status__in=[TimeCard.Status.ACTIVE, TimeCard.Status.VOID])
            .exclude(source=TimeCard.Source.BENEFIT)
            .aggregate(n=Count("pk"), revenue=Sum("price_paid"), refunded=Sum("refunded_amount")))
    uses = TimeCardUse.objects.filter(product=product, undone_at__isnull=True).count()
    today = merchant_today(product.merchant)
    live = list(TimeCard.objects.filter(product=product, status=TimeCard.Status.ACTIVE))
    running = {card.member_id for card in live if card.ends_on is None or card.ends_on >= today}
    owed = sum((liability(card, today) for card in live), ZERO)
    return ProductFigures(sold=sold["n"], revenue=quantize((sold["revenue"] or 0) - (sold["refunded"] or 0)),
                          uses=uses, active_holders=len(running), liability=owed)
