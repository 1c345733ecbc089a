"""Punch card services: selling, giving, sharing, using (核销), undoing, refunding, auditing.

Every change of a card's remaining uses locks the card row (`cards_for_update`, the one lock helper) and
writes its `PunchCardEntry` in the same transaction (loyalty.ledgers.post_entries).
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from decimal import Decimal

from django.db import transaction
from django.db.models import Count, F, Q, Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from cards.punchcards import errors, events
from cards.punchcards.models import (
    CoUser,
    PunchCard,
    PunchCardEntry,
    PunchCardHolding,
    PunchCardProduct,
    PunchCardSettings,
    PunchCardUse,
    RefundPolicy,
    Validity,
)
from loyalty import benefits, payments
from loyalty.benefits import Occasion
from loyalty.errors import DomainError
from loyalty.ledgers import BalanceCheck, LedgerReport, Move, Source, audit_balances, lock_rows, post_entries
from loyalty.models import GatewayPayment
from loyalty.money import ZERO, quantize
from loyalty.usable_cards import check_use_count, merchant_today
from merchants.models import Member

PURCHASE_PURPOSE = "punch_card_purchase"
PHONE_DIGITS = (6, 20)
PENDING_PURCHASE_LIFETIME = datetime.timedelta(days=1)


def punch_card_settings(merchant) -> PunchCardSettings:
    found, _created = PunchCardSettings.objects.get_or_create(merchant=merchant)
    return found


def cards_for_update(cards) -> list[PunchCard]:
    """Lock punch cards (a queryset) in pk order: every change of a card's uses goes through here."""
    return lock_rows(cards)


def card_for_update(card: PunchCard) -> PunchCard:
    return cards_for_update(PunchCard.objects.filter(pk=card.pk))[0]


# --- getting a card -------------------------------------------------------------------------------------


def holding_for_update(product: PunchCardProduct, member: Member) -> None:
    """Lock the member's holding of this product: every way of getting a card takes it before counting."""
    PunchCardHolding.objects.get_or_create(member=member, product=product,
                                           defaults={"merchant_id": product.merchant_id})
    lock_rows(PunchCardHolding.objects.filter(member=member, product=product))


def held_count(product: PunchCardProduct, member: Member) -> int:
    """Cards held, and bought cards still being paid for (an abandoned payment stops counting after a day)."""
    paying = Q(status=PunchCard.Status.PENDING, created_at__gt=timezone.now() - PENDING_PURCHASE_LIFETIME)
    return PunchCard.objects.filter(product=product, member=member).filter(
        Q(status=PunchCard.Status.ACTIVE) | paying).count()


def check_can_buy(product: PunchCardProduct, member: Member, *, online: bool) -> None:
    """Refuse before anything changes: not on sale (online), a frozen member, the holding limit reached."""
    if online and not product.on_sale:
        raise DomainError(errors.PRODUCT_NOT_ON_SALE, _("This card is not on sale."), field="product",
                          status_code=409)
    if not member.is_active:
        raise DomainError(errors.MEMBER_FROZEN, _("This membership is frozen."), field="member")
    if product.validity == Validity.FIXED and product.valid_until and product.valid_until < merchant_today(
            product.merchant):
        raise DomainError(errors.PRODUCT_NOT_ON_SALE, _("This card is not on sale."), field="product",
                          status_code=409)
    if product.per_member_limit and held_count(product, member) >= product.per_member_limit:
        raise DomainError(errors.HOLDING_LIMIT_REACHED, _("One member may hold at most %(limit)d of this card.")
                          % {"limit": product.per_member_limit}, field="product", status_code=409)


def _dates(product: PunchCardProduct, today: datetime.date) -> tuple[datetime.date | None, datetime.date | None]:
    """The validity a new card gets: fixed dates, N days from today, or none until its first use."""
    if product.validity == Validity.FIXED:
        return product.valid_from, product.valid_until
    if product.validity == Validity.FROM_PURCHASE:
        return today, today + datetime.timedelta(days=product.valid_days - 1)
    return None, None


def _activate(card: PunchCard, *, new: bool, store=None, staff=None, terminal=None) -> None:
    """A card becomes usable: its uses go on the ledger and the gifts of a bought card are given."""
    product = card.product
    card.status = PunchCard.Status.ACTIVE
    card.activated_at = timezone.now()
    card.valid_from, card.valid_until = _dates(product, merchant_today(product.merchant))
    card.unlimited = product.uses is None
    update = ["status", "activated_at", "valid_from", "valid_until", "unlimited"]
    if card.unlimited:
        card.save(update_fields=update)
    else:
        card.uses_total = product.uses
        card.save(update_fields=[*update, "uses_total"])
        post_entries(card, PunchCardEntry, [Move("uses_left", product.uses, {
            "card": card, "reason": PunchCardEntry.Reason.ISSUE, "reference": f"punch:{card.pk}", "store": store,
            "staff": staff, "terminal": terminal})], money=False)
    if card.source != PunchCard.Source.BENEFIT:
        lines = benefits.with_targets(product.benefits.order_by("position", "pk"))
        given = benefits.give_lines(lines, card.member, occasion=Occasion.REWARD, reference=f"punch:{card.pk}",
                                    store=store)
        card.given = benefits.as_records(given)
        card.save(update_fields=["given"])
    events.card_sold(card, new=new)


def sell_card(product: PunchCardProduct, member: Member, *, store, staff=None, terminal=None) -> PunchCard:
    """A cashier records a cash sale at the counter (in the admin or from a terminal): active at once."""
    if product.merchant_id != member.merchant_id or (store is not None and store.merchant_id != member.merchant_id):
        raise DomainError(errors.PRODUCT_NOT_FOUND, _("No punch card product with this id."), field="product",
                          status_code=404)
    check_can_buy(product, member, online=False)
    with transaction.atomic():
        holding_for_update(product, member)
        check_can_buy(product, member, online=False)
        card = PunchCard.objects.create(merchant_id=product.merchant_id, product=product, member=member, store=store,
                                        source=PunchCard.Source.CASH_SALE, price_paid=product.price, staff=staff)
        _activate(card, new=True, store=store, staff=staff, terminal=terminal)
        return card


def start_purchase(product: PunchCardProduct, member: Member, *,
                   return_url: str = "") -> tuple[PunchCard, GatewayPayment]:
    """The member buys a card on the member pages: it waits for the gateway; send them to `checkout_url`."""
    check_can_buy(product, member, online=True)
    with transaction.atomic():
        holding_for_update(product, member)
        check_can_buy(product, member, online=True)
        card = PunchCard.objects.create(merchant_id=product.merchant_id, product=product, member=member,
                                        source=PunchCard.Source.PURCHASE, price_paid=product.price)
        payment = payments.start_payment(member.merchant, amount=product.price, purpose=PURCHASE_PURPOSE,
                                         reference=str(card.pk), member=member, subject=product.name,
                                         return_url=return_url)
        card.payment = payment
        card.save(update_fields=["payment"])
    return card, payment


def fulfil_purchase(payment: GatewayPayment) -> None:
    """The gateway confirmed the payment (inside loyalty.payments' transaction, once): the card is the member's."""
    card = cards_for_update(PunchCard.objects.filter(payment=payment))[0]
    if card.status != PunchCard.Status.PENDING:
        return
    card.reference = payment.out_trade_no
    card.save(update_fields=["reference"])
    _activate(card, new=False)


def fail_purchase(payment: GatewayPayment) -> None:
    PunchCard.objects.filter(payment=payment, status=PunchCard.Status.PENDING).update(status=PunchCard.Status.FAILED)


def give_card(product: PunchCardProduct, member: Member, *, reference: str, store=None) -> PunchCard | None:
    """A card as a benefit (a reward after payment, a recharge offer, the join gift, a mass send): once per
    reference; a card that cannot be given (the member holds the most allowed) is skipped."""
    existing = PunchCard.objects.filter(member=member, reference=reference, source=PunchCard.Source.BENEFIT).first()
    if existing is not None:
        return existing
    with transaction.atomic():
        holding_for_update(product, member)
        if product.per_member_limit and held_count(product, member) >= product.per_member_limit:
            return None
        card = PunchCard.objects.create(merchant_id=product.merchant_id, product=product, member=member, store=store,
                                        source=PunchCard.Source.BENEFIT, reference=reference)
        _activate(card, new=True, store=store)
        return card


# --- co-users -------------------------------------------------------------------------------------------


def normalise_phone(phone: str) -> str:
    digits = "".join(ch for ch in str(phone or "") if ch.isdigit())
    if not PHONE_DIGITS[0] <= len(digits) <= PHONE_DIGITS[1]:
        raise DomainError(errors.CO_USER_PHONE_INVALID, _("Enter a phone number."), field="phone")
    return digits


def add_co_user(card: PunchCard, *, phone: str, name: str = "") -> CoUser:
    """The holder shares the card with a family member or friend (一卡共享), up to the product's limit."""
    phone = normalise_phone(phone)
    with transaction.atomic():
        card = card_for_update(card)
        limit = card.product.co_user_limit
        if not limit:
            raise DomainError(errors.CO_USERS_FULL, _("This card cannot be shared."), field="phone")
        if phone == card.member.phone or card.co_users.filter(phone=phone).exists():
            raise DomainError(errors.CO_USER_EXISTS, _("This person already uses the card."), field="phone")
        if card.co_users.count() >= limit:
            raise DomainError(errors.CO_USERS_FULL, _("This card is shared with the most people allowed (%(n)d).")
                              % {"n": limit}, field="phone")
        co_user = CoUser.objects.create(merchant_id=card.merchant_id, card=card, phone=phone, name=name[:40])
        events.co_user_added(card, co_user=co_user)
        return co_user


def remove_co_user(co_user: CoUser) -> None:
    with transaction.atomic():
        card = card_for_update(co_user.card)
        events.co_user_removed(card, phone=co_user.phone)
        if co_user.card_uses.exists():
            # Their uses stay on record under their name: the row stays, the card no longer lists them.
            CoUser.objects.filter(pk=co_user.pk).update(phone=f"-{co_user.pk}-{co_user.phone}"[:20])
        else:
            co_user.delete()


def active_co_users(card: PunchCard):
    return card.co_users.exclude(phone__startswith="-")


# --- using ----------------------------------------------------------------------------------------------


def check_usable(card: PunchCard, *, store, today: datetime.date, count: int = 1) -> None:
    """Every reason a card cannot be used here today, as the refusal a cashier reads; changes nothing."""
    if card.status != PunchCard.Status.ACTIVE:
        raise DomainError(errors.CARD_NOT_ACTIVE, _("This card cannot be used: it is not active."), field="code",
                          status_code=409)
    if not card.member.is_active:
        raise DomainError(errors.MEMBER_FROZEN, _("This membership is frozen."), field="code")
    if card.valid_from and today < card.valid_from:
        raise DomainError(errors.CARD_NOT_STARTED, _("This card is valid from %(day)s.") % {"day": card.valid_from},
                          field="code", status_code=409)
    if card.valid_until and today > card.valid_until:
        raise DomainError(errors.CARD_EXPIRED, _("This card expired on %(day)s.") % {"day": card.valid_until},
                          field="code", status_code=409)
    stores = list(card.product.stores.values_list("pk", flat=True))
    if stores and store.pk not in stores:
        raise DomainError(errors.WRONG_STORE, _("This card cannot be used at this store."), field="store",
                          status_code=409)
    if not card.unlimited and card.uses_left < count:
        raise DomainError(errors.NOT_ENOUGH_USES, _("Not enough uses left: %(left)d.") % {"left": card.uses_left},
                          field="count", status_code=409)


def _co_user_for(card: PunchCard, phone: str, count: int) -> CoUser | None:
    if not phone:
        return None
    digits = normalise_phone(phone)
    if digits == card.member.phone:
        return None
    co_user = active_co_users(card).filter(phone=digits).first()
    if co_user is None:
        raise DomainError(errors.CO_USER_UNKNOWN, _("This phone is not a co-user of the card."), field="used_by_phone")
    limit = card.product.per_co_user_uses
    if limit and co_user.uses_count + count > limit:
        raise DomainError(errors.CO_USER_LIMIT_REACHED, _("This co-user may use the card at most %(n)d times.")
                          % {"n": limit}, field="used_by_phone", status_code=409)
    return co_user


def record_use(card: PunchCard, *, store, count: int = 1, staff=None, terminal=None,
               used_by_phone: str = "") -> PunchCardUse:
    """核销: `count` uses of the card at `store`. The card row is locked first, so of two cashiers scanning the
    last use at the same moment exactly one succeeds; the other is refused and nothing changes."""
    count = check_use_count(count)
    if store is None or store.merchant_id != card.merchant_id:
        raise DomainError(errors.WRONG_STORE, _("This card cannot be used at this store."), field="store",
                          status_code=409)
    with transaction.atomic():
        card = card_for_update(card)
        today = merchant_today(card.merchant)
        check_usable(card, store=store, today=today, count=count)
        co_user = _co_user_for(card, used_by_phone, count)
        now = timezone.now()
        update = ["uses_count"]
        if card.first_used_at is None:
            card.first_used_at = now
            update.append("first_used_at")
            if card.product.validity == Validity.FROM_FIRST_USE:
                card.valid_from, card.valid_until = today, today + datetime.timedelta(
                    days=card.product.valid_days - 1)
                update += ["valid_from", "valid_until"]
        card.uses_count += count
        card.save(update_fields=update)
        use = PunchCardUse.objects.create(merchant_id=card.merchant_id, card=card, product_id=card.product_id,
                                          member_id=card.member_id, co_user=co_user, count=count, store=store,
                                          staff=staff, terminal=terminal, used_at=now)
        if co_user is not None:
            CoUser.objects.filter(pk=co_user.pk).update(uses_count=F("uses_count") + count)
        if not card.unlimited:
            post_entries(card, PunchCardEntry, [Move("uses_left", -count, {
                "card": card, "reason": PunchCardEntry.Reason.USE, "reference": f"use:{use.pk}", "use": use,
                "store": store, "staff": staff, "terminal": terminal})], money=False)
        events.card_used(card, use=use, co_user=co_user)
        return use


def undo_use(use: PunchCardUse, *, staff, now: datetime.datetime | None = None) -> PunchCardUse:
    """A manager undoes a use within the merchant's time limit: the uses come back exactly once."""
    now = now or timezone.now()
    limit = punch_card_settings(use.card.merchant).undo_minutes
    if now - use.used_at > datetime.timedelta(minutes=limit):
        raise DomainError(errors.UNDO_TOO_LATE, _("A use can only be undone within %(n)d minutes.") % {"n": limit},
                          status_code=409)
    with transaction.atomic():
        card = card_for_update(use.card)
        # Under the card's lock: two managers undoing at once, the second sees it done.
        if not PunchCardUse.objects.filter(pk=use.pk, undone_at__isnull=True).update(undone_at=now, undone_by=staff):
            raise DomainError(errors.USE_ALREADY_UNDONE, _("This use has already been undone."), status_code=409)
        use.refresh_from_db()
        PunchCard.objects.filter(pk=card.pk).update(uses_count=F("uses_count") - use.count)
        if use.co_user_id:
            CoUser.objects.filter(pk=use.co_user_id).update(uses_count=F("uses_count") - use.count)
        if not card.unlimited:
            post_entries(card, PunchCardEntry, [Move("uses_left", use.count, {
                "card": card, "reason": PunchCardEntry.Reason.UNDO, "reference": f"undo:{use.pk}", "use": use,
                "store": use.store, "staff": staff})], money=False)
        events.use_undone(card, use=use, staff=staff)
        return use


# --- refunds and voiding ----------------------------------------------------------------------------------


def refund_due(card: PunchCard, *, today: datetime.date | None = None) -> Decimal:
    """What a refund now pays back: the unused part of the price, pro rata (uses left, or days left if unlimited)."""
    if card.unlimited:
        if card.valid_from is None or card.valid_until is None:
            return quantize(card.price_paid)
        today = today or merchant_today(card.merchant)
        total = (card.valid_until - card.valid_from).days + 1
        left = max(0, min(total, (card.valid_until - max(today, card.valid_from)).days + 1))
        return quantize(card.price_paid * left / total)
    if not card.uses_total:
        return ZERO
    return quantize(card.price_paid * card.uses_left / card.uses_total)


def _take_back_gifts(card: PunchCard, reference: str) -> None:
    if card.given:
        taken = benefits.take_back(benefits.from_records(card.given), card.member, reference=reference)
        card.given = benefits.as_records(taken)
        card.save(update_fields=["given"])


def _end(card: PunchCard, *, reason: str, staff, reference: str) -> None:
    if card.uses_left:
        post_entries(card, PunchCardEntry, [Move("uses_left", -card.uses_left, {
            "card": card, "reason": reason, "reference": reference, "staff": staff})], money=False)
    card.status, card.voided_at = PunchCard.Status.VOID, timezone.now()
    card.save(update_fields=["status", "voided_at", "refunded_amount"])


def refund_card(card: PunchCard, *, staff=None) -> Decimal:
    """Refund a card bought, per the merchant's setting: the card becomes void, its gifts are taken back, and
    the amount returned (what staff pay back) is the unused part pro rata."""
    if punch_card_settings(card.merchant).refund_policy == RefundPolicy.NONE:
        raise DomainError(errors.NOT_REFUNDABLE, _("This merchant does not refund cards."), status_code=409)
    with transaction.atomic():
        card = card_for_update(card)
        if card.status != PunchCard.Status.ACTIVE or card.source == PunchCard.Source.BENEFIT:
            raise DomainError(errors.NOT_REFUNDABLE, _("Only an active card that was bought can be refunded."),
                              status_code=409)
        amount = refund_due(card)
        card.refunded_amount = amount
        _end(card, reason=PunchCardEntry.Reason.REFUND, staff=staff, reference=f"refund:{card.pk}")
        _take_back_gifts(card, f"punch-refund:{card.pk}")
        events.card_refunded(card, staff=staff, amount=amount)
        return amount


def void_card(card: PunchCard, *, staff=None, reason: str = "") -> PunchCard:
    """Withdraw a card for good (its uses left are removed on the ledger)."""
    with transaction.atomic():
        card = card_for_update(card)
        if card.status != PunchCard.Status.ACTIVE:
            raise DomainError(errors.CARD_NOT_ACTIVE, _("This card cannot be used: it is not active."),
                              status_code=409)
        _end(card, reason=PunchCardEntry.Reason.VOID, staff=staff, reference=f"void:{card.pk}")
        events.card_voided(card, staff=staff, reason=reason)
        return card


def take_back_given(card_ids, *, wanted: int, reference: str) -> tuple[int, int]:
    """A benefit's refund takes back cards it gave: each still-usable one is voided (its uses left removed);
    a card already used up is the shortfall. Returns (taken, short)."""
    taken = short = 0
    with transaction.atomic():
        for card in cards_for_update(PunchCard.objects.filter(pk__in=list(card_ids)).exclude(
                status=PunchCard.Status.VOID)):
            if taken + short >= wanted:
                break
            if card.unlimited or card.uses_left:
                _end(card, reason=PunchCardEntry.Reason.TAKE_BACK, staff=None, reference=reference)
                taken += 1
            else:
                short += 1
    return taken, wanted - taken


# --- reading ----------------------------------------------------------------------------------------------


def liability(card: PunchCard, *, today: datetime.date) -> Decimal:
    """What the merchant still owes on a card: the price paid ÷ uses, for each use left (unlimited: 0 here). A card
    past its last valid day owes nothing: its uses expired then, as the roll-forward counts them."""
    if card.unlimited or not card.uses_total or card.status != PunchCard.Status.ACTIVE:
        return ZERO
    if card.valid_until is not None and card.valid_until < today:
        return ZERO
    return quantize(card.price_paid * card.uses_left / card.uses_total)


def liability_per_store(merchant_id: int | None = None) -> dict[tuple[str, str], Decimal]:
    """Unused uses of paid cards still valid on the merchant's today, at the price paid per use, per merchant and
    store sold at."""
    cards = PunchCard.objects.filter(status=PunchCard.Status.ACTIVE, uses_left__gt=0, price_paid__gt=0,
                                     unlimited=False).select_related("merchant", "store")
    if merchant_id is not None:
        cards = cards.filter(merchant_id=merchant_id)
    owed: dict[tuple[str, str], Decimal] = {}
    today: dict[int, datetime.date] = {}
    for card in cards.only("merchant__slug", "merchant__time_zone", "store__name", "price_paid", "uses_left",
                           "uses_total", "unlimited", "status", "valid_until").iterator(chunk_size=2000):
        if card.merchant_id not in today:
            today[card.merchant_id] = merchant_today(card.merchant)
        key = (card.merchant.slug, card.store.name if card.store else "online")
        owed[key] = owed.get(key, ZERO) + liability(card, today=today[card.merchant_id])
    return owed


def audit_punch_cards(merchant_id: int | None = None) -> LedgerReport:
    """Every card's uses left equal the sum of its entries; the prepaid liability per store."""
    report = LedgerReport(name="punchcards")
    audit_balances(report, PunchCard.objects.all(), [BalanceCheck("uses_left", (
        Source("ledger", PunchCardEntry.objects.all(), "card_id", "delta"),))], label="punch card",
        merchant_id=merchant_id)
    per_store = liability_per_store(merchant_id)
    report.liabilities = {"punch card uses": sum(per_store.values(), ZERO)}
    report.liabilities.update({f"punch card uses owed {slug} / {store}": amount
                               for (slug, store), amount in sorted(per_store.items())})
    return report


@dataclass(frozen=True)
class ProductFigures:
    sold: int
    revenue: Decimal
    uses: int
    active_holders: int
    liability: Decimal


def product_figures(product: PunchCardProduct) -> ProductFigures:
    sold_cards = PunchCard.objects.filter(product=product).exclude(
        status__in=[PunchCard.Status.PENDING, PunchCard.Status.FAILED]).exclude(source=PunchCard.Source.BENEFIT)
    sold = sold_cards.aggregate(n=Count("pk"), revenue=Sum("price_paid"), refunded=Sum("refunded_amount"))
    uses = PunchCardUse.objects.filter(product=product, undone_at__isnull=True).aggregate(n=Sum("count"))["n"] or 0
    active = PunchCard.objects.filter(product=product, status=PunchCard.Status.ACTIVE).filter(
        Q(unlimited=True) | Q(uses_left__gt=0))
    today = merchant_today(product.merchant)
    owed = sum((liability(card, today=today) for card in active.only(
        "price_paid", "uses_left", "uses_total", "unlimited", "status", "valid_until")), ZERO)
    return ProductFigures(sold=sold["n"], revenue=quantize((sold["revenue"] or 0) - (sold["refunded"] or 0)),
                          uses=uses, active_holders=active.values("member").distinct().count(), liability=owed)


def cards_of(member: Member):
    return (PunchCard.objects.filter(member=member, status__in=[PunchCard.Status.ACTIVE, PunchCard.Status.VOID])
            .select_related("product").order_by("status", "-pk"))


def shared_with(member: Member):
    """Cards of other members this member's phone is a co-user of."""
    return (PunchCard.objects.filter(merchant_id=member.merchant_id, status=PunchCard.Status.ACTIVE,
                                     co_users__phone=member.phone).select_related("product", "member"))
