"""Recharges (充值): offers, cash and online recharges, monthly bonus instalments, refunds, the switch."""

from __future__ import annotations

import calendar
from collections import defaultdict
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from django.db import transaction
from django.db.models import Q, Sum, prefetch_related_objects
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from cards.membership.benefits import ExperienceBenefit, PointsBenefit
from coupons.benefits import UNUSED_STATES, CouponBenefit
from coupons.models import Coupon
from loyalty import benefits, payments
from loyalty.benefits import Occasion
from loyalty.errors import DomainError
from loyalty.models import GatewayPayment
from loyalty.money import MAX_AMOUNT, ZERO, parse_amount, quantize
from merchants.models import Member
from wallet import errors, events
from wallet.models import (
    MAX_RECHARGE_COUPONS,
    BonusInstalment,
    Pocket,
    Recharge,
    RechargeCoupon,
    RechargeOffer,
    Wallet,
    WalletEntry,
    WalletSettings,
)
from wallet.services.accounts import record_entry, wallet_for, wallet_for_update, wallet_settings

RECHARGE_PURPOSE = "wallet_recharge"
# An online recharge still waiting for the gateway this long after it started has been abandoned.
PENDING_RECHARGE_LIFETIME = timedelta(days=1)
# Coupons a refund of the recharge can still take back; used (or gifted on) ones stay with whoever holds them.
UNUSED_COUPON_STATES = UNUSED_STATES


def settings_for_update(merchant) -> WalletSettings:
    """Lock the merchant's wallet settings: recharges and the stored-value switch take this lock first.

    Recharges are made by people at a counter or on a phone, so serialising one merchant's recharges
    costs nothing, and it means stored value can never be switched off under a recharge in flight.
    """
    wallet_settings(merchant)
    return WalletSettings.objects.select_for_update().get(merchant=merchant)


def set_stored_value_enabled(merchant, enabled: bool) -> None:
    """Turn stored value on or off; off is refused while any member still holds principal or bonus."""
    with transaction.atomic():
        settings = settings_for_update(merchant)
        if not enabled:
            check_stored_value_can_be_turned_off(merchant)
        settings.stored_value_enabled = enabled
        settings.save(update_fields=["stored_value_enabled"])


def check_stored_value_can_be_turned_off(merchant) -> None:
    """Refuse to switch stored value off while a member holds a balance or has a recharge being paid."""
    held = Wallet.objects.filter(merchant=merchant).filter(Q(principal__gt=0) | Q(bonus__gt=0)).exists()
    if held:
        raise DomainError(errors.STORED_VALUE_HELD,
                          _("Stored value cannot be turned off while members still hold a balance."),
                          field="stored_value_enabled")
    paying = Recharge.objects.filter(merchant=merchant, status=Recharge.Status.PENDING,
                                     created_at__gt=timezone.now() - PENDING_RECHARGE_LIFETIME).exists()
    if paying:
        raise DomainError(errors.STORED_VALUE_HELD,
                          _("Stored value cannot be turned off while a member's recharge is waiting for payment."),
                          field="stored_value_enabled")


def current_offers(merchant, *, at=None) -> list[RechargeOffer]:
    """The offers that apply now: special-period offers while any is live, otherwise the normal ones."""
    at = at or timezone.now()
    offers = list(RechargeOffer.objects.filter(merchant=merchant, is_active=True)
                  .filter(Q(starts_at__isnull=True) | Q(starts_at__lte=at, ends_at__gt=at)).order_by("pay_amount"))
    special = [offer for offer in offers if offer.is_special]
    return special or offers


def offer_for_amount(merchant, amount: Decimal, *, at=None) -> RechargeOffer | None:
    """The best offer a recharge of `amount` earns: the one with the highest threshold it reaches."""
    reached = [offer for offer in current_offers(merchant, at=at) if offer.pay_amount <= amount]
    return reached[-1] if reached else None


def bonus_now_for(offer: RechargeOffer | None, amount: Decimal) -> Decimal:
    if offer is None:
        return ZERO
    if offer.bonus_kind == RechargeOffer.BonusKind.PERCENT:
        return quantize(amount * offer.bonus_value / 100)
    return quantize(offer.bonus_value)


def _check_recharge(member: Member, amount) -> Decimal:
    """Refuse a bad amount or a frozen member before anything is locked; the switch is checked under the lock."""
    settings = wallet_settings(member.merchant)
    _check_enabled(settings)
    if not member.is_active:
        raise DomainError(errors.MEMBER_FROZEN, _("This membership is frozen."), field="member")
    return parse_amount(amount, maximum=min(settings.max_recharge, MAX_AMOUNT))


def _check_enabled(settings: WalletSettings) -> None:
    if not settings.stored_value_enabled:
        raise DomainError(errors.STORED_VALUE_OFF, _("This merchant does not offer stored value."))


def _new_recharge(member: Member, amount: Decimal, *, channel: str, store=None, staff=None, terminal=None,
                  at=None) -> Recharge:
    offer = offer_for_amount(member.merchant, amount, at=at)
    return Recharge.objects.create(
        merchant_id=member.merchant_id, wallet=wallet_for(member), member=member, store=store, offer=offer,
        channel=channel, amount=amount, bonus_now=bonus_now_for(offer, amount),
        bonus_scheduled=quantize(offer.monthly_bonus * offer.monthly_bonus_months) if offer else ZERO,
        staff=staff, terminal=terminal,
    )


def add_months(day: date, months: int) -> date:
    """The same day `months` later, or the month's last day when it has no such day (31 Jan → 28 Feb)."""
    month_index = day.month - 1 + months
    year, month = day.year + month_index // 12, month_index % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def _give_benefits(recharge: Recharge) -> None:
    """The offer's lines, given as the recharge is credited and remembered on it for a refund.

    Coupons are five at most in all; one that cannot be given (out of stock, paused, the member holds the
    most allowed) is skipped: the member's money is in, and the recharge goes on without it.
    """
    if recharge.offer_id is None:
        return
    lines = benefits.with_targets(recharge.offer.benefits.order_by("position", "pk"))
    given = benefits.give_lines(lines, recharge.member, occasion=Occasion.RECHARGE, reference=f"recharge:{recharge.pk}",
                                store=recharge.store, most_counted=MAX_RECHARGE_COUPONS)
    RechargeCoupon.objects.bulk_create([
        RechargeCoupon(merchant_id=recharge.merchant_id, recharge=recharge, coupon_id=coupon_id)
        for record in given if record.kind == CouponBenefit.code for coupon_id in record.objects])
    recharge.given = benefits.as_records(given)
    recharge.points = benefits.total_quantity(given, PointsBenefit.code)
    recharge.experience = benefits.total_quantity(given, ExperienceBenefit.code)
    recharge.coupons_given = benefits.total_quantity(given, CouponBenefit.code)
    recharge.save(update_fields=["given", "points", "experience", "coupons_given"])


def _credit_recharge(wallet: Wallet, recharge: Recharge) -> None:
    """Put a paid recharge into a locked wallet: principal, bonus now, the later bonus scheduled."""
    now = timezone.now()
    reference = f"recharge:{recharge.pk}"
    who = {"store": recharge.store, "staff": recharge.staff, "terminal": recharge.terminal}
    record_entry(wallet, Pocket.PRINCIPAL, recharge.amount, WalletEntry.Reason.RECHARGE, reference=reference,
                 recharge=recharge, **who)
    if recharge.bonus_now:
        record_entry(wallet, Pocket.BONUS, recharge.bonus_now, WalletEntry.Reason.RECHARGE_BONUS,
                     reference=reference, recharge=recharge, **who)
    wallet.recharged_total += recharge.amount
    wallet.save(update_fields=["recharged_total"])
    recharge.status = Recharge.Status.PAID
    recharge.paid_at = now
    recharge.principal_left = recharge.amount
    recharge.bonus_left = recharge.bonus_now
    recharge.save(update_fields=["status", "paid_at", "principal_left", "bonus_left"])
    offer = recharge.offer
    if recharge.bonus_scheduled and offer is not None and offer.monthly_bonus_months:
        paid_on = timezone.localdate(now)
        BonusInstalment.objects.bulk_create([
            BonusInstalment(merchant_id=recharge.merchant_id, recharge=recharge, sequence=n,
                            due_date=add_months(paid_on, n), amount=offer.monthly_bonus)
            for n in range(1, offer.monthly_bonus_months + 1)
        ])
    _give_benefits(recharge)
    events.recharge_paid(recharge)


def recharge(member: Member, amount, *, store=None, staff=None, terminal=None, at=None) -> Recharge:
    """Record a cash recharge at the counter (by a cashier in the admin or a terminal): paid at once."""
    amount = _check_recharge(member, amount)
    with transaction.atomic():
        _check_enabled(settings_for_update(member.merchant))
        wallet = wallet_for_update(member)
        created = _new_recharge(member, amount, channel=Recharge.Channel.CASH, store=store, staff=staff,
                                terminal=terminal, at=at)
        _credit_recharge(wallet, created)
        return created


def credit_principal_from_gift_card(member: Member, amount: Decimal, *, store=None) -> Recharge:
    """A gift card's balance moved into stored value (已充值), as principal: no offer, no bonus, and, like the
    gift card sale it came from, not refundable. The caller (the gift card app) has locked nothing yet: the
    wallet is locked here first, the member's accounts' place in the one lock order."""
    amount = _check_recharge(member, amount)
    _check_enabled(settings_for_update(member.merchant))
    wallet = wallet_for_update(member)
    created = Recharge.objects.create(merchant_id=member.merchant_id, wallet=wallet, member=member, store=store,
                                      channel=Recharge.Channel.GIFT_CARD, amount=amount)
    _credit_recharge(wallet, created)
    return created


def start_online_recharge(member: Member, amount, *, store=None,
                          return_url: str = "") -> tuple[Recharge, GatewayPayment]:
    """A member recharges on their wallet page: the recharge waits for the gateway to confirm the payment."""
    amount = _check_recharge(member, amount)
    with transaction.atomic():
        _check_enabled(settings_for_update(member.merchant))
        created = _new_recharge(member, amount, channel=Recharge.Channel.GATEWAY, store=store)
        payment = payments.start_payment(
            member.merchant, amount=amount, purpose=RECHARGE_PURPOSE, reference=str(created.pk), member=member,
            store=store, subject=str(_("Stored value recharge")), return_url=return_url)
        created.gateway_payment = payment
        created.save(update_fields=["gateway_payment"])
        return created, payment


def fulfil_recharge_payment(payment: GatewayPayment) -> None:
    """The gateway confirmed a recharge payment (called inside loyalty.payments' transaction)."""
    found = Recharge.objects.select_related("member").get(gateway_payment=payment)
    wallet = wallet_for_update(found.member)
    found = Recharge.objects.select_for_update().get(pk=found.pk)
    if found.status == Recharge.Status.PENDING:
        _credit_recharge(wallet, found)


def fail_recharge_payment(payment: GatewayPayment) -> None:
    Recharge.objects.filter(gateway_payment=payment, status=Recharge.Status.PENDING).update(
        status=Recharge.Status.FAILED)


@dataclass(frozen=True)
class RefundPreview:
    """What refunding a recharge would do, shown to staff before they confirm."""

    principal: Decimal
    bonus_taken_back: Decimal
    instalments_cancelled: int
    spent_principal: Decimal
    coupons_voided: int = 0
    coupons_kept: int = 0
    points_taken_back: int = 0
    experience_taken_back: int = 0


def refund_preview(recharge: Recharge) -> RefundPreview:
    """What `refund_recharge` would do now: staff read it before they confirm."""
    scheduled = recharge.instalments.filter(status=BonusInstalment.Status.SCHEDULED).count()
    states = list(recharge.coupons.values_list("coupon__state", flat=True))
    unused = sum(1 for state in states if state in UNUSED_COUPON_STATES)
    first_refund = recharge.status != Recharge.Status.REFUNDED
    return RefundPreview(principal=recharge.principal_left, bonus_taken_back=recharge.bonus_left,
                         instalments_cancelled=scheduled,
                         spent_principal=recharge.amount - recharge.principal_left - recharge.refunded_principal,
                         coupons_voided=unused,
                         coupons_kept=sum(1 for state in states if state not in UNUSED_COUPON_STATES
                                          and state != Coupon.State.VOID),
                         points_taken_back=recharge.points if first_refund else 0,
                         experience_taken_back=recharge.experience if first_refund else 0)


def refund_recharge(recharge: Recharge, *, staff=None, store=None) -> RefundPreview:
    """Refund a recharge: only its unspent principal goes back, and its unspent bonus is taken back.

    Monthly bonus instalments not yet paid are cancelled and, on the first refund, what its offer gave is
    taken back (coupons still unused are voided; points already spent are the member's recorded shortfall,
    never a negative balance). Staff pay the principal out themselves.
    """
    with transaction.atomic():
        wallet = wallet_for_update(recharge.member)
        recharge = Recharge.objects.select_for_update().get(pk=recharge.pk)
        if recharge.channel == Recharge.Channel.GIFT_CARD:
            raise DomainError(errors.RECHARGE_NOT_REFUNDABLE, _("Stored value moved from a gift card cannot be "
                                                                "refunded: gift card sales are final."))
        if recharge.status not in (Recharge.Status.PAID, Recharge.Status.REFUNDED) or not (
                recharge.principal_left or recharge.bonus_left):
            raise DomainError(errors.RECHARGE_NOT_REFUNDABLE, _("Nothing of this recharge is left to refund."))
        done = refund_preview(recharge)
        reference = f"recharge:{recharge.pk}"
        who = {"store": store, "staff": staff}
        if done.principal:
            record_entry(wallet, Pocket.PRINCIPAL, -done.principal, WalletEntry.Reason.RECHARGE_REFUND,
                         reference=reference, recharge=recharge, **who)
        if done.bonus_taken_back:
            record_entry(wallet, Pocket.BONUS, -done.bonus_taken_back, WalletEntry.Reason.BONUS_TAKEN_BACK,
                         reference=reference, recharge=recharge, **who)
        recharge.instalments.filter(status=BonusInstalment.Status.SCHEDULED).update(
            status=BonusInstalment.Status.CANCELLED)
        if recharge.status != Recharge.Status.REFUNDED:
            recharge.given = benefits.as_records(benefits.take_back(
                benefits.from_records(recharge.given), recharge.member, reference=f"recharge-refund:{recharge.pk}",
                store=recharge.store))
        recharge.refunded_principal += done.principal
        recharge.bonus_taken_back += done.bonus_taken_back
        recharge.principal_left = recharge.bonus_left = ZERO
        recharge.status = Recharge.Status.REFUNDED
        recharge.refunded_at = timezone.now()
        recharge.save(update_fields=["refunded_principal", "bonus_taken_back", "principal_left", "bonus_left",
                                     "status", "refunded_at", "given"])
        return done


def pay_instalment(instalment: BonusInstalment) -> bool:
    """Pay one monthly bonus if it is still due; False if it was paid or cancelled meanwhile."""
    with transaction.atomic():
        wallet = wallet_for_update(instalment.recharge.member)
        recharge = Recharge.objects.select_for_update().get(pk=instalment.recharge_id)
        scheduled = BonusInstalment.objects.filter(pk=instalment.pk, status=BonusInstalment.Status.SCHEDULED)
        if recharge.status != Recharge.Status.PAID:
            scheduled.update(status=BonusInstalment.Status.CANCELLED)
            return False
        # The status flip is the "once": a second run, or a run racing this one, updates no row.
        if not scheduled.update(status=BonusInstalment.Status.PAID, paid_at=timezone.now()):
            return False
        record_entry(wallet, Pocket.BONUS, instalment.amount, WalletEntry.Reason.BONUS_INSTALMENT,
                     reference=f"instalment:{instalment.pk}", recharge=recharge)
        recharge.bonus_left += instalment.amount
        recharge.save(update_fields=["bonus_left"])
        return True


def pay_due_instalments(today: date | None = None) -> int:
    """Pay every monthly bonus due by `today`, including any missed while the task was not running."""
    today = today or timezone.localdate()
    due = (BonusInstalment.objects.filter(status=BonusInstalment.Status.SCHEDULED, due_date__lte=today)
           .select_related("recharge__member").order_by("due_date", "pk"))
    return sum(1 for instalment in due.iterator(chunk_size=500) if pay_instalment(instalment))


def describe_offers(offers: list[RechargeOffer]) -> list[RechargeOffer]:
    """Give each offer `benefit_texts`, a description of each of its lines for member pages; a statement for
    the lines and one per kind with targets, however many offers there are."""
    prefetch_related_objects(offers, "benefits")
    texts = defaultdict(list)
    for line, target in benefits.with_targets(line for offer in offers for line in offer.benefits.all()):
        texts[line.offer_id].append(line.describe(target))
    for offer in offers:
        offer.benefit_texts = texts[offer.pk]
    return offers


def offers_to_show_after_payment(member: Member) -> list[RechargeOffer]:
    """Recharge offers to show a member who never recharged, after a payment, as the merchant chose."""
    settings = wallet_settings(member.merchant)
    mode = settings.OffersAfterPayment
    if not settings.stored_value_enabled or settings.offers_after_payment == mode.NEVER:
        return []
    wallet = wallet_for(member)
    if wallet.recharged_total > 0:
        return []
    if settings.offers_after_payment == mode.ONCE:
        if not Wallet.objects.filter(pk=wallet.pk, offers_shown_at__isnull=True).update(
                offers_shown_at=timezone.now()):
            return []
    else:
        Wallet.objects.filter(pk=wallet.pk).update(offers_shown_at=timezone.now())
    return current_offers(member.merchant)


def liability(merchant=None) -> dict:
    """What a merchant owes its members in stored value: unspent principal and bonus, per store and in total.

    Without a merchant (the platform operator), every merchant's, each store named with its merchant.
    """
    scope = Q(merchant=merchant) if merchant is not None else Q()
    rows = (Recharge.objects.filter(scope).filter(Q(principal_left__gt=0) | Q(bonus_left__gt=0))
            .values("merchant__name", "store", "store__name")
            .annotate(principal=Sum("principal_left"), bonus=Sum("bonus_left"))
            .order_by("merchant__name", "store__name"))
    by_store = []
    for row in rows:
        store = row["store__name"] or str(_("online"))
        by_store.append({"store": store if merchant is not None else f"{row['merchant__name']} / {store}",
                         "principal": quantize(row["principal"]), "bonus": quantize(row["bonus"]),
                         "total": quantize(row["principal"] + row["bonus"])})
    totals = Wallet.objects.filter(scope).aggregate(principal=Sum("principal"), bonus=Sum("bonus"))
    principal, bonus = quantize(totals["principal"] or ZERO), quantize(totals["bonus"] or ZERO)
    return {"by_store": by_store, "principal": principal, "bonus": bonus, "total": principal + bonus}
