"""The marketing wallet (营销钱包): cashback and red packets, their expiry, and the balance-tier discount."""

from __future__ import annotations

import secrets
from datetime import timedelta
from decimal import Decimal

from django.db import IntegrityError, transaction
from django.db.models import F, Q, Sum
from django.db.models.functions import Round
from django.utils import timezone
from django.utils.translation import gettext as _

from cards.membership.models import MembershipCard
from loyalty.errors import DomainError
from loyalty.ledgers import take_back
from loyalty.money import ZERO, parse_amount, quantize
from merchants.models import Member
from wallet import errors
from wallet.models import (
    BalanceTier,
    CashbackLot,
    CashbackRule,
    CashbackTakeBack,
    Pocket,
    RedPacketCampaign,
    RedPacketClaim,
    Wallet,
    WalletEntry,
)
from wallet.services.accounts import _expire_due_lots, record_entry, wallet_for_update, wallet_settings


def _live(queryset, at):
    return queryset.filter(is_active=True).filter(Q(starts_at__isnull=True) | Q(starts_at__lte=at)).filter(
        Q(ends_at__isnull=True) | Q(ends_at__gt=at))


def is_live(row, at) -> bool:
    """`_live` for a row already read (checkout's cached configuration)."""
    return row.is_active and (row.starts_at is None or row.starts_at <= at) and (row.ends_at is None or
                                                                                 row.ends_at > at)


def balance_tier_for(member: Member, bill_amount: Decimal, *, at=None, settings=None,
                     wallet: Wallet | None = None, tiers: list[BalanceTier] | None = None
                     ) -> tuple[BalanceTier | None, str]:
    """Which balance-tier discount (储值折上折) applies to this member's bill, and why (or why none).

    Checkout passes the wallet settings, the wallet it has already read (or locked) and the merchant's tiers
    by `min_balance` (from its cached configuration).
    """
    at = at or timezone.now()
    settings = settings or wallet_settings(member.merchant)
    if not settings.stored_value_enabled:
        return None, _("The merchant does not offer stored value.")
    if tiers is None:
        tiers = list(_live(BalanceTier.objects.filter(merchant_id=member.merchant_id), at).order_by("min_balance"))
    else:
        tiers = [tier for tier in tiers if is_live(tier, at)]
    special = [tier for tier in tiers if tier.starts_at is not None]
    tiers = special or tiers
    if not tiers:
        return None, _("The merchant has no balance-tier discount.")
    if wallet is None:
        wallet = Wallet.objects.filter(member=member).first()
    balance = wallet.stored_value if wallet else ZERO
    reached = [tier for tier in tiers if balance >= tier.min_balance]
    if not reached:
        return None, _("Stored value %(balance)s is below the lowest tier (%(lowest)s).") % {
            "balance": balance, "lowest": tiers[0].min_balance}
    tier = reached[-1]
    reason = _("Stored value %(balance)s reaches the %(tier)s tier: pay %(percent)s%% of %(bill)s.") % {
        "balance": balance, "tier": tier.min_balance, "percent": tier.discount_percent, "bill": bill_amount}
    if special:
        reason += " " + _("Special-period tiers apply until %(end)s.") % {
            "end": timezone.localtime(tier.ends_at).strftime("%Y-%m-%d %H:%M")}
    return tier, reason


def balance_tier_discount(tier: BalanceTier, bill_amount: Decimal) -> Decimal:
    """What the tier takes off the bill, rounded to the cent."""
    return bill_amount - quantize(bill_amount * tier.discount_percent / 100)


def _expiry(days: int | None, default_days: int, now):
    days = default_days if days is None else days
    return now + timedelta(days=days) if days else None


def _credit_lot(wallet: Wallet, amount: Decimal, *, source: str, reason: str, reference: str, expires_at,
                store=None) -> CashbackLot:
    lot = CashbackLot.objects.create(merchant_id=wallet.merchant_id, wallet=wallet, source=source,
                                     reference=reference, amount=amount, remaining=amount, expires_at=expires_at)
    record_entry(wallet, Pocket.CASHBACK, amount, reason, reference=reference, store=store)
    return lot


def cashback_rule_for(member: Member, store, *, level_id: int | None | object = ...,
                      rules: list[CashbackRule] | None = None) -> CashbackRule | None:
    """The most specific active rule for this store and the member's level (store and level, then one, then none).

    A caller that knows the member's level passes its `level_id` (None: no level), and checkout the merchant's
    active `rules` (from its cached configuration).
    """

    if level_id is ...:
        level_id = MembershipCard.objects.filter(member=member).values_list("level_id", flat=True).first()
    if rules is None:
        rules = CashbackRule.objects.filter(merchant_id=member.merchant_id, is_active=True).filter(
            Q(store__isnull=True) | Q(store=store)).filter(Q(level__isnull=True) | Q(level_id=level_id))
    else:
        rules = [rule for rule in rules if rule.is_active and rule.store_id in (None, store.pk)
                 and rule.level_id in (None, level_id)]
    return max(rules, key=lambda rule: (rule.store_id is not None, rule.level_id is not None, -rule.pk), default=None)


def cashback_for_payment(member: Member, *, paid_amount: Decimal, store, reference: str,
                         level_id: int | None | object = ..., rules: list[CashbackRule] | None = None) -> Decimal:
    """Return a share of a payment to the cashback pocket (消费返现), once per payment reference."""
    rule = cashback_rule_for(member, store, level_id=level_id, rules=rules)
    if rule is None or paid_amount <= 0:
        return ZERO
    amount = quantize(paid_amount * rule.percent / 100)
    if rule.cap_per_payment:
        amount = min(amount, rule.cap_per_payment)
    if amount <= 0:
        return ZERO
    return give_cashback(member, amount, reference=reference, store=store, expiry_days=rule.expiry_days).amount


def give_cashback(member: Member, amount, *, reference: str, store=None, expiry_days: int | None = None) -> CashbackLot:
    """Put cashback in the member's cashback pocket, once per reference (a retry returns the first lot).

    It expires after `expiry_days` (None: the merchant's default; 0: never). Rewards after payment
    with a fixed cashback use this too, under their own reference.
    """
    amount = parse_amount(amount)
    with transaction.atomic():
        wallet = wallet_for_update(member)
        existing = CashbackLot.objects.filter(wallet=wallet, source=CashbackLot.Source.CASHBACK,
                                              reference=reference).first()
        if existing is not None:
            return existing
        expires_at = _expiry(expiry_days, wallet_settings(member.merchant).cashback_expiry_days, timezone.now())
        return _credit_lot(wallet, amount, source=CashbackLot.Source.CASHBACK, reason=WalletEntry.Reason.CASHBACK,
                           reference=reference, store=store, expires_at=expires_at)


def take_back_cashback(member: Member, amount=None, *, lot_reference: str, reference: str, store=None,
                       terminal=None, staff=None) -> CashbackTakeBack | None:
    """Take back cashback a refunded payment earned: `lot_reference` is the reference it was given under
    (`cashback_for_payment` / `give_cashback`), `reference` the refund's.

    `amount` is the part to take back (a partial refund takes back its share); None takes back all
    that is still owed. What is still in the lot leaves the cashback pocket; what the member has
    already spent is recorded as the shortfall, never a negative balance; what expired meanwhile is
    gone already and owed by nobody. Once per refund `reference`: a retry returns the first answer.
    None if nothing was given under `lot_reference`.
    """
    if amount is not None:
        amount = parse_amount(amount, allow_zero=True)
    with transaction.atomic():
        wallet = wallet_for_update(member)
        lot = (CashbackLot.objects.select_for_update()
               .filter(wallet=wallet, source=CashbackLot.Source.CASHBACK, reference=lot_reference).first())
        if lot is None:
            return None
        done = CashbackTakeBack.objects.filter(lot=lot, reference=reference).first()
        if done is not None:
            return done
        _expire_due_lots(wallet, timezone.now())
        lot.refresh_from_db()
        before = lot.take_backs.aggregate(taken=Sum("taken"), shortfall=Sum("shortfall"))
        settled = (before["taken"] or ZERO) + (before["shortfall"] or ZERO)
        expired = -(WalletEntry.objects.filter(wallet=wallet, reason=WalletEntry.Reason.CASHBACK_EXPIRED,
                                               reference=f"lot:{lot.pk}").aggregate(total=Sum("delta"))["total"]
                    or ZERO)
        owed = lot.amount - settled - expired
        owed = max(ZERO, owed if amount is None else min(amount, owed))
        back = take_back(owed, still_held=lot.remaining, spent=lot.amount - lot.remaining - expired - settled)
        taken, shortfall = back.taken, back.shortfall
        if taken:
            lot.remaining -= taken
            lot.save(update_fields=["remaining"])
            record_entry(wallet, Pocket.CASHBACK, -taken, WalletEntry.Reason.CASHBACK_TAKEN_BACK,
                         reference=reference, store=store, staff=staff, terminal=terminal)
        return CashbackTakeBack.objects.create(merchant_id=wallet.merchant_id, wallet=wallet, lot=lot,
                                               reference=reference, taken=taken, shortfall=shortfall)


def _random_amount(campaign: RedPacketCampaign) -> Decimal:
    if campaign.amount_kind == RedPacketCampaign.AmountKind.FIXED or not campaign.max_amount:
        return campaign.amount
    low, high = int(campaign.amount * 100), int(campaign.max_amount * 100)
    return Decimal(low + secrets.randbelow(high - low + 1)) / 100


def _take_from_budget(campaign: RedPacketCampaign, amount: Decimal) -> Decimal:
    """Reserve `amount` of the budget with one conditional UPDATE, so concurrent claims never overspend.

    A random packet larger than what is left shrinks to the rest, if the rest is still its smallest amount.
    """
    while True:
        # Rounded to the cent in SQL: SQLite does this arithmetic in floating point, where 7.00 - 1.78 < 5.22.
        if RedPacketCampaign.objects.filter(pk=campaign.pk, spent__lte=Round(F("budget") - amount, 2)).update(
                spent=Round(F("spent") + amount, 2)):
            return amount
        left = RedPacketCampaign.objects.filter(pk=campaign.pk).values_list("budget", "spent").get()
        rest = left[0] - left[1]
        if campaign.amount_kind != RedPacketCampaign.AmountKind.RANDOM or rest < campaign.amount or rest >= amount:
            raise DomainError(errors.RED_PACKET_BUDGET_EXHAUSTED, _("All the red packets have been given out."),
                              status_code=409)
        amount = rest


def claim_red_packet(campaign: RedPacketCampaign, member: Member, *, at=None) -> RedPacketClaim:
    """Give a member a red packet (红包) of a campaign: within its window, budget and per-member limit."""
    at = at or timezone.now()
    if campaign.merchant_id != member.merchant_id:
        raise DomainError(errors.RED_PACKET_NOT_AVAILABLE, _("This red packet is not available."), status_code=404)
    if not _live(RedPacketCampaign.objects.filter(pk=campaign.pk), at).exists():
        raise DomainError(errors.RED_PACKET_NOT_AVAILABLE, _("This red packet campaign is not running."))
    limit = 1 if campaign.trigger != RedPacketCampaign.Trigger.LINK else campaign.per_member_limit
    try:
        with transaction.atomic():
            # The wallet lock serialises one member's claims; the budget is shared, guarded by the UPDATE.
            wallet = wallet_for_update(member)
            claimed = RedPacketClaim.objects.filter(campaign=campaign, member=member).count()
            if claimed >= limit:
                raise DomainError(errors.RED_PACKET_LIMIT_REACHED,
                                  _("You have already received this red packet."), status_code=409)
            amount = _take_from_budget(campaign, _random_amount(campaign))
            lot = _credit_lot(wallet, amount, source=CashbackLot.Source.RED_PACKET,
                              reason=WalletEntry.Reason.RED_PACKET,
                              reference=f"red_packet:{campaign.pk}:{member.pk}:{claimed + 1}",
                              expires_at=_expiry(campaign.expiry_days,
                                                 wallet_settings(member.merchant).cashback_expiry_days, at))
            return RedPacketClaim.objects.create(merchant_id=member.merchant_id, campaign=campaign, member=member,
                                                 sequence=claimed + 1, amount=amount, lot=lot, claimed_at=at)
    except IntegrityError:
        raise DomainError(errors.RED_PACKET_LIMIT_REACHED, _("You have already received this red packet."),
                          status_code=409) from None


def give_red_packets(member: Member, trigger: str) -> list[RedPacketClaim]:
    """Red packets a member earns by an event (joining, a first payment); campaigns that say no are skipped."""
    given = []
    for campaign in _live(RedPacketCampaign.objects.filter(merchant_id=member.merchant_id, trigger=trigger),
                          timezone.now()):
        try:
            given.append(claim_red_packet(campaign, member))
        except DomainError:
            continue
    return given


def expire_cashback(now=None) -> int:
    """Take back cashback and red packets past their expiry; returns how many wallets changed."""
    now = now or timezone.now()
    wallet_ids = (CashbackLot.objects.filter(expired=False, expires_at__lte=now).values_list("wallet_id", flat=True)
                  .distinct().order_by("wallet_id"))
    changed = 0
    for wallet_id in list(wallet_ids):
        with transaction.atomic():
            wallet = Wallet.objects.select_for_update().get(pk=wallet_id)
            _expire_due_lots(wallet, now)
        changed += 1
    return changed


def cashback_lots(member: Member):
    """The member's cashback and red packets still to spend, soonest to expire first."""
    now = timezone.now()
    return CashbackLot.first_expiring_first(
        CashbackLot.objects.filter(wallet__member=member, expired=False, remaining__gt=0)
        .filter(Q(expires_at__isnull=True) | Q(expires_at__gt=now)).select_related("red_packet__campaign"))


def wallet_summary(member: Member) -> dict:
    """Balances as terminals and the home page show them."""
    wallet = Wallet.objects.filter(member=member).first() or Wallet(member=member)
    return {"principal": wallet.principal, "bonus": wallet.bonus, "cashback": wallet.cashback,
            "stored_value": wallet.stored_value}
