"""A gift card's life: the legal limits, issue, activation, lookup, paying a bill with it and refunding it,
expiry and voiding. Every balance change goes through `_post` (loyalty.ledgers.post_entries) under the card's
row lock (`cards_for_update`, the one lock helper)."""

from __future__ import annotations

import calendar
import datetime
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from cards.giftcards import errors, events, states
from cards.giftcards.models import FaceValue, GiftCard, GiftCardEntry, GiftCardSettings, GiftCardTransfer, GiftCardUse
from loyalty import codes
from loyalty.errors import DomainError
from loyalty.ledgers import Move, lock_rows, post_entries
from loyalty.money import ZERO, quantize
from loyalty.tenders import split_refund
from merchants.services import normalize_phone
from wallet.services import credit_principal_from_gift_card

S = GiftCard.Status
R = GiftCardEntry.Reason


def gift_card_settings(merchant) -> GiftCardSettings:
    found, _created = GiftCardSettings.objects.get_or_create(merchant_id=getattr(merchant, "pk", merchant))
    return found


# --- the legal limits (单用途商业预付卡管理办法) ----------------------------------------------------------


@dataclass(frozen=True)
class Limits:
    anonymous_max: Decimal
    named_max: Decimal
    anonymous_min_months: int


def legal_limits() -> Limits:
    """The platform's settings: the most an anonymous and a named card may hold, and the shortest validity
    an anonymous card may have (a named card never expires)."""
    return Limits(quantize(settings.GIFT_CARD_ANONYMOUS_MAX_BALANCE), quantize(settings.GIFT_CARD_NAMED_MAX_BALANCE),
                  int(settings.GIFT_CARD_ANONYMOUS_MIN_VALIDITY_MONTHS))


def add_months(day: datetime.date, months: int) -> datetime.date:
    month = day.month - 1 + months
    year, month = day.year + month // 12, month % 12 + 1
    return day.replace(year=year, month=month, day=min(day.day, calendar.monthrange(year, month)[1]))


def merchant_zone(merchant) -> ZoneInfo:
    """The merchant's time zone: its own where it has one, else the platform's."""
    return ZoneInfo(getattr(merchant, "time_zone", "") or settings.TIME_ZONE)


def end_of_day(day: datetime.date, zone: ZoneInfo) -> datetime.datetime:
    """The moment a card valid "until `day`" stops: the next midnight in the merchant's time zone."""
    return datetime.datetime.combine(day + datetime.timedelta(days=1), datetime.time(), tzinfo=zone)


def check_face_value(face_value: FaceValue, *, today: datetime.date | None = None) -> None:
    """Refuse a face value the legal limits do not allow (the admin form and every sale ask)."""
    limits = legal_limits()
    zone = merchant_zone(face_value.merchant) if face_value.merchant_id else ZoneInfo(settings.TIME_ZONE)
    today = today or timezone.localdate(timezone.now(), zone)
    most = limits.named_max if face_value.needs_phone else limits.anonymous_max
    if face_value.amount > most:
        message = (_("A named card may hold at most %(most)s.") if face_value.needs_phone
                   else _("A card without the holder's phone may hold at most %(most)s; ask for the phone to sell "
                          "more.")) % {"most": most}
        raise DomainError(errors.GIFT_CARD_LIMIT, message, field="amount")
    if face_value.price > face_value.amount:
        raise DomainError(errors.GIFT_CARD_LIMIT, _("The price may not be above the amount on the card."),
                          field="price")
    V = FaceValue.Validity
    if face_value.validity == V.FIXED_DATE and not face_value.valid_until:
        raise DomainError(errors.GIFT_CARD_VALIDITY, _("Choose the date the cards are valid until."),
                          field="valid_until")
    if face_value.validity == V.MONTHS and not face_value.valid_months:
        raise DomainError(errors.GIFT_CARD_VALIDITY, _("Say for how many months the cards are valid."),
                          field="valid_months")
    if face_value.needs_phone and face_value.validity != V.NEVER:
        raise DomainError(errors.GIFT_CARD_VALIDITY, _("A named card (activated with a phone) never expires."),
                          field="validity")
    months = limits.anonymous_min_months
    too_short = (face_value.validity == V.MONTHS and face_value.valid_months < months) or (
        face_value.validity == V.FIXED_DATE and face_value.valid_until < add_months(today, months))
    if too_short:
        raise DomainError(errors.GIFT_CARD_VALIDITY, _("A card without the holder's phone must be valid for at "
                                                       "least %(months)d months.") % {"months": months},
                          field="validity")


def expiry_on_activation(face_value: FaceValue, at: datetime.datetime) -> datetime.datetime | None:
    zone = merchant_zone(face_value.merchant)
    if face_value.validity == FaceValue.Validity.FIXED_DATE:
        return end_of_day(face_value.valid_until, zone)
    if face_value.validity == FaceValue.Validity.MONTHS:
        return end_of_day(add_months(timezone.localdate(at, zone), face_value.valid_months), zone)
    return None


# --- the ledger -------------------------------------------------------------------------------------------


def cards_for_update(pks: Iterable[int]) -> dict[int, GiftCard]:
    """Lock gift cards in pk order (loyalty.ledgers.lock_rows): the one lock every balance change takes."""
    return {card.pk: card for card in lock_rows(GiftCard.objects.filter(pk__in=set(pks)))}


def _entry(card: GiftCard, delta: Decimal, reason: str, *, reference: str = "", store=None, staff=None,
           terminal=None) -> Move:
    return Move("balance", delta, {"card": card, "reason": reason, "reference": reference[:64], "store": store,
                                   "staff": staff, "terminal": terminal})


def post(card: GiftCard, moves: Sequence[Move], *, fields: Sequence[str] = ()) -> list[GiftCardEntry]:
    """Move a locked card's balance and write its entries; `fields` are the card's other changed columns."""
    entries = post_entries(card, GiftCardEntry, moves, save=False)
    card.save(update_fields=["balance", *fields])
    if len(entries) == 1:
        entries[0].save()
        return entries
    return GiftCardEntry.objects.bulk_create(entries)


# --- activation and lookup ------------------------------------------------------------------------------


def activate_card(card: GiftCard, *, phone: str = "", member=None) -> GiftCard:
    """激活: with the holder's phone when the face value asks for it (a named card, which never expires)."""
    with transaction.atomic():
        card = cards_for_update([card.pk])[card.pk]
        if member is not None and card.holder_id != member.pk:
            raise DomainError(errors.GIFT_CARD_NOT_YOURS, _("This gift card is not yours."), status_code=404)
        named = card.face_value.needs_phone
        if named:
            if not phone:
                raise DomainError(errors.GIFT_CARD_PHONE_REQUIRED,
                                  _("Enter the holder's mobile number to activate this card."), field="phone")
            card.holder_phone = normalize_phone(phone)
        now = timezone.now()
        before = states.move(card, S.ACTIVE)
        card.activated_at = now
        if named:
            card.expires_at = None
        elif card.expires_at is None:
            card.expires_at = expiry_on_activation(card.face_value, now)
        card.save(update_fields=["status", "holder_phone", "activated_at", "expires_at"])
        events.gift_card_activated(card, before=before, named=named)
        return card


def _unusable() -> DomainError:
    return DomainError(errors.GIFT_CARD_UNUSABLE, _("This gift card cannot be used."), field="gift_cards",
                       status_code=404)


def is_usable(card: GiftCard, at: datetime.datetime) -> bool:
    return card.status == S.ACTIVE and card.balance > 0 and (card.expires_at is None or card.expires_at > at)


def check_code(typed: str) -> str:
    """A typed code, normalised; anything that cannot be a code gets the one refusal."""
    code = codes.normalize(typed) if isinstance(typed, str) else ""
    if not codes.is_well_formed(code):
        raise _unusable()
    return code


def usable_card(merchant, typed: str, *, at: datetime.datetime | None = None) -> GiftCard:
    """The balance lookup (terminal and the card's page): unknown, foreign, expired, inactive and empty codes
    all get the same refusal."""
    code = check_code(typed)
    card = GiftCard.objects.filter(merchant_id=getattr(merchant, "pk", merchant), code=code).select_related(
        "face_value", "theme").first()
    if card is None or not is_usable(card, at or timezone.now()):
        raise _unusable()
    return card


# --- paying with gift cards -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Wanted:
    """A card the payer named for a bill, and the amount it must pay if the payer pinned it (as quoted)."""

    code: str
    amount: Decimal | None = None


def load_cards(merchant_id: int, wanted: Sequence[Wanted], *, store, at: datetime.datetime,
               for_update: bool) -> list[tuple[GiftCard, Wanted]]:
    """The named cards in the payer's order, each usable at this store (locked in pk order for a payment).

    One query for the cards (locked in the same statement) and one for where they may be spent.
    """
    cards = GiftCard.objects.filter(merchant_id=merchant_id, code__in=[item.code for item in wanted])
    found = {card.code: card for card in (lock_rows(cards) if for_update else cards)}
    if len(found) != len(wanted) or not all(is_usable(card, at) for card in found.values()):
        raise _unusable()
    limited = set(FaceValue.stores.through.objects.filter(
        facevalue_id__in={card.face_value_id for card in found.values()}).values_list("facevalue_id", "store_id"))
    for card in found.values():
        kept_to = {store_id for face_value_id, store_id in limited if face_value_id == card.face_value_id}
        if kept_to and store.pk not in kept_to:
            raise DomainError(errors.GIFT_CARD_NOT_HERE, _("Gift card %(card)s cannot be used at this store.") % {
                "card": card.masked_code}, field="gift_cards", status_code=409)
    return [(found[item.code], item) for item in wanted]


def plan_cards(loaded: Sequence[tuple[GiftCard, Wanted]], wanted: Decimal) -> list[tuple[GiftCard, Decimal]]:
    """Each card's share of `wanted`, in the payer's order: what it holds, or the pinned amount exactly.

    A pinned amount the card no longer holds (or the bill no longer needs) is refused, so a payment draws
    each card exactly as quoted or not at all.
    """
    shares, left = [], wanted
    for card, item in loaded:
        share = min(card.balance, left) if item.amount is None else item.amount
        if item.amount is not None and (item.amount > card.balance or item.amount > left):
            raise DomainError(errors.GIFT_CARD_SHARE_CHANGED,
                              _("Gift card %(card)s can no longer pay %(amount)s of this bill; quote it again.") % {
                                  "card": card.masked_code, "amount": item.amount},
                              field="gift_cards", status_code=409)
        shares.append((card, share))
        left -= share
    return shares


def draw_cards(shares: Sequence[tuple[GiftCard, Decimal]], *, reference: str, store=None,
               terminal=None) -> Decimal:
    """Take each locked card's share for the payment `reference` (once: a unique constraint says so)."""
    now = timezone.now()
    uses = []
    for card, share in shares:
        if share <= 0:
            continue
        fields = ["last_used_at"]
        card.last_used_at = now
        before = card.status
        if share == card.balance:
            states.move(card, S.USED_UP)
            fields.append("status")
        post(card, [_entry(card, -share, R.PAYMENT, reference=reference, store=store, terminal=terminal)],
             fields=fields)
        events.gift_card_spent(card, before=before, amount=share, payment=reference,
                               store_id=getattr(store, "pk", None), terminal=terminal)
        uses.append(GiftCardUse(merchant_id=card.merchant_id, card=card, reference=reference, store=store,
                                amount=share))
    GiftCardUse.objects.bulk_create(uses)
    return sum((use.amount for use in uses), ZERO)


def _live_card(card: GiftCard) -> GiftCard:
    """Where a card's value is now: a card sent on lives on in the friend's card."""
    while card.status == S.SENT:
        card = GiftCard.objects.get(previous=card)
    return card


def give_back_to_cards(payment_reference: str, merchant_id: int, amount: Decimal, *, reference: str, store=None,
                       staff=None, terminal=None) -> None:
    """Refund `amount` of a payment to the cards that paid it, each at most what it gave (the one refund
    splitter), to whichever card now holds each one's value (a card sent on: the friend's).

    A card that expired or was voided since gets its share back and loses it again in the same breath, so
    the ledger shows both and the liability stays what the holder can still spend; a card whose balance was
    moved into stored value is active again with what came back.
    """
    uses = list(GiftCardUse.objects.filter(merchant_id=merchant_id, reference=payment_reference)
                .select_related("card").order_by("pk"))
    targets = {use.pk: _live_card(use.card).pk for use in uses}
    locked = cards_for_update(targets.values())
    uses = list(GiftCardUse.objects.select_for_update().filter(pk__in=[use.pk for use in uses]).order_by("pk"))
    shares = split_refund({use.pk: (use.amount, use.refunded) for use in uses}, amount)
    for use in uses:
        share = shares[use.pk]
        if not share:
            continue
        use.refunded += share
        use.save(update_fields=["refunded"])
        card = locked[targets[use.pk]]
        who = {"reference": reference, "store": store, "staff": staff, "terminal": terminal}
        moves = [_entry(card, share, R.PAYMENT_REFUND, **who)]
        fields = []
        before = card.status
        if card.status in (S.USED_UP, S.MOVED):
            states.move(card, S.ACTIVE)  # the value is back on the card: the holder spends or moves it again
            fields.append("status")
        elif card.status in (S.EXPIRED, S.VOID):
            moves.append(_entry(card, -share, R.VOIDED if card.status == S.VOID else R.EXPIRED, **who))
        post(card, moves, fields=fields)
        events.gift_card_refunded(card, before=before, amount=share, payment=payment_reference, reference=reference,
                                  staff=staff, terminal=terminal)


# --- expiry and voiding -----------------------------------------------------------------------------------


def _close(card: GiftCard, target: str, reason: str, *, staff=None) -> tuple[str, str]:
    """End a locked card: what it holds leaves its ledger, an open gift link closes with it; returns the
    status before and the amount it took away."""
    amount = card.balance
    before = states.move(card, target)
    if amount:
        post(card, [_entry(card, -amount, reason, staff=staff)], fields=["status"])
    else:
        card.save(update_fields=["status"])
    GiftCardTransfer.objects.filter(card=card, status=GiftCardTransfer.Status.OPEN).update(
        status=GiftCardTransfer.Status.ENDED, ended_at=timezone.now())
    return before, str(amount)


def move_to_stored_value(card: GiftCard, member) -> GiftCard:
    """已充值: the holder moves what an active card holds into their stored value, as principal, where the
    merchant allows it. The wallet is locked first (the member's accounts' place in the lock order), then
    the card; both ledgers move in one transaction."""
    if not gift_card_settings(card.merchant_id).move_to_stored_value:
        raise DomainError(errors.GIFT_CARD_STATE_CHANGE, _("This merchant does not let gift cards become stored "
                                                           "value."), status_code=409)
    with transaction.atomic():
        recharge = credit_principal_from_gift_card(member, _locked_balance(card, member))
        card = cards_for_update([card.pk])[card.pk]
        if card.balance != recharge.amount or not is_usable(card, timezone.now()):
            raise _unusable()  # changed between the two reads: the transaction (and the credit) rolls back
        before = states.move(card, S.MOVED)
        post(card, [_entry(card, -card.balance, R.MOVED, reference=f"recharge:{recharge.pk}")], fields=["status"])
        events.gift_card_moved(card, before=before, amount=str(recharge.amount))
        return card


def _locked_balance(card: GiftCard, member) -> Decimal:
    """What the card holds, read before the wallet is locked (the lock order); checked again under the lock."""
    card.refresh_from_db(fields=["balance", "status", "expires_at", "holder"])
    if card.holder_id != member.pk:
        raise DomainError(errors.GIFT_CARD_NOT_YOURS, _("This gift card is not yours."), status_code=404)
    if not is_usable(card, timezone.now()):
        raise _unusable()
    return card.balance


def expire_cards(*, now: datetime.datetime | None = None, batch: int = 500) -> int:
    """Expire every open card past its expiry: its balance leaves the liability (breakage), recorded."""
    now = now or timezone.now()
    due = list(GiftCard.objects.filter(status__in=states.OPEN, expires_at__lte=now).values_list("pk", flat=True)
               .order_by("pk")[:batch])
    done = 0
    for pk in due:
        with transaction.atomic():
            card = cards_for_update([pk]).get(pk)
            if card is None or card.status not in states.OPEN or card.expires_at is None or card.expires_at > now:
                continue
            before, amount = _close(card, S.EXPIRED, R.EXPIRED)
            events.gift_card_expired(card, before=before, amount=amount)
            done += 1
    return done


def void_card(card: GiftCard, *, staff=None, reason: str = "") -> GiftCard:
    with transaction.atomic():
        card = cards_for_update([card.pk])[card.pk]
        before, amount = _close(card, S.VOID, R.VOIDED, staff=staff)
        events.gift_card_voided(card, before=before, staff=staff, reason=reason[:200], amount=amount)
        return card
