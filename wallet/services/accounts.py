"""The wallet itself: the one lock helper, the ledger writer, paying from the wallet and refunding it."""

from __future__ import annotations

import datetime
from decimal import Decimal

from django.db import transaction
from django.db.models import Case, DecimalField, F, Q, Value, When
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from loyalty import writes
from loyalty.compiled import CompiledRead
from loyalty.errors import DomainError
from loyalty.ledgers import (
    MemberAccount,
    Move,
    draw_lots,
    give_back,
    lock_rows,
    locking,
    lots_covering,
    move_lots,
    post_entries,
)
from loyalty.money import ZERO, parse_amount, quantize
from loyalty.tenders import split_refund
from merchants.models import Member
from wallet import errors
from wallet.models import CashbackLot, DrawOrder, Pocket, Recharge, Wallet, WalletDebit, WalletEntry, WalletSettings

POCKETS = (Pocket.PRINCIPAL, Pocket.BONUS, Pocket.CASHBACK)
WALLET = "wallet"


def wallet_settings(merchant) -> WalletSettings:
    """The merchant's wallet settings, created with the defaults (stored value off) on first use."""
    found, _created = WalletSettings.objects.get_or_create(merchant_id=getattr(merchant, "pk", merchant))
    return found


def wallet_for(member: Member) -> Wallet:
    """The member's wallet, opened empty on first use."""
    found, _created = Wallet.objects.get_or_create(member=member, defaults={"merchant_id": member.merchant_id})
    return found


def wallet_for_update(member: Member) -> Wallet:
    """Lock the member's wallet row for the rest of the transaction: the one lock every balance change takes.

    One query when the wallet exists (the usual case); a first use opens it, then locks it.
    """
    return wallets_for_update(member)[0]


class WalletAccount(MemberAccount):
    """The wallet in the one lock order of a member's accounts (loyalty.ledgers.member_accounts)."""

    code = WALLET
    order = 10

    def lock(self, member: Member) -> Wallet:
        return wallet_for_update(member)

    def read(self, member: Member) -> Wallet | None:
        return Wallet.objects.filter(member=member).first()


# A payment locks its member's wallet: compiled once (loyalty.compiled).
_one_wallet_locked = CompiledRead(lambda member_id: locking(Wallet.objects.filter(member_id=member_id)), int)


def wallets_for_update(*members: Member) -> list[Wallet]:
    """Lock the members' wallets in pk order (loyalty.ledgers.lock_rows), opening any that is missing."""
    wanted = {member.pk for member in members}
    if len(wanted) == 1:
        found = _one_wallet_locked(members[0].pk)
    else:
        found = lock_rows(Wallet.objects.filter(member_id__in=wanted))
    if len(found) < len(wanted):
        opened = {wallet.member_id for wallet in found}
        for member in members:
            if member.pk not in opened:
                wallet_for(member)
        found = lock_rows(Wallet.objects.filter(member_id__in=wanted))
    return found


def record_entry(wallet: Wallet, pocket: str, delta: Decimal, reason: str, *, reference: str = "",
                 recharge: Recharge | None = None, debit: WalletDebit | None = None, store=None, staff=None,
                 terminal=None) -> WalletEntry:
    """Move one pocket of a locked wallet and write its ledger entry, in the caller's transaction."""
    [entry] = post_entries(wallet, WalletEntry, [Move(pocket, delta, {
        "wallet": wallet, "pocket": pocket, "reason": reason, "reference": reference, "recharge": recharge,
        "debit": debit, "store": store, "staff": staff, "terminal": terminal})])
    return entry


def plan_wallet_draw(wallet: Wallet, amount: Decimal, *, order: str, use_cashback: bool = True) -> dict[str, Decimal]:
    """How `amount` would be split over the pockets: cashback first, then stored value in the merchant's order.

    Pure: reads the balances it is given and changes nothing.
    """
    cashback = min(wallet.cashback, amount) if use_cashback else ZERO
    rest = amount - cashback
    if rest > wallet.principal + wallet.bonus:
        raise DomainError(errors.INSUFFICIENT_BALANCE, _("The wallet balance is not enough for this amount."),
                          field="amount", status_code=409)
    if order == DrawOrder.PRINCIPAL_FIRST:
        principal = min(wallet.principal, rest)
        bonus = rest - principal
    elif order == DrawOrder.PROPORTIONAL:
        held = wallet.principal + wallet.bonus
        bonus = min(wallet.bonus, quantize(rest * wallet.bonus / held)) if held else ZERO
        principal = rest - bonus
        if principal > wallet.principal:
            principal = wallet.principal
            bonus = rest - principal
    else:
        bonus = min(wallet.bonus, rest)
        principal = rest - bonus
    return {Pocket.PRINCIPAL: principal, Pocket.BONUS: bonus, Pocket.CASHBACK: cashback}


def _expire_due_lots(wallet: Wallet, now) -> None:
    """Take back expired cashback of a locked wallet before anybody spends it."""
    _expire_lots(wallet, CashbackLot.objects.select_for_update().filter(wallet=wallet, expired=False,
                                                                         expires_at__lte=now).order_by("pk"))


def _lots_to_spend(wallet: Wallet, amount: Decimal, now) -> tuple[list[CashbackLot], list[CashbackLot]]:
    """The cashback lots of a locked wallet a payment of `amount` needs, in one read however many it holds: those
    past their day (expired first, in pk order) and the live ones, soonest expiry first, that reach `amount` (at
    least what the payment will take from cashback, which is known only once the expired ones are gone).

    Only the first lots are summed (`lots_covering(first=)`), as many as lots of 0.25 on average would take."""
    if amount > 0:
        first = min(LOTS_FIRST + int(amount * 4), LOTS_MAX_FIRST)
        lots = _lots_reaching(wallet.pk, amount, now, first)
    else:
        lots = list(_lots_reach(wallet.pk, amount, now))
    past = [lot for lot in lots if lot.expires_at is not None and lot.expires_at <= now]
    return sorted(past, key=lambda lot: lot.pk), [lot for lot in lots if lot not in past and lot.remaining > 0]


# The lots summed before a draw reads every lot of the wallet (in the same statement): a few past their day and
# four a unit of the amount, at most so many.
LOTS_FIRST = 64
LOTS_MAX_FIRST = 2_000


def _lots_reach(wallet_id: int, amount: Decimal, now, first: int | None = None):
    due = Q(expires_at__lte=now)
    spendable = Case(When(due, then=Value(ZERO)), default=F("remaining"), output_field=DecimalField())
    return lots_covering(CashbackLot.objects.filter(wallet_id=wallet_id, expired=False)
                         .filter(Q(remaining__gt=0) | due).only("pk", "remaining", "expires_at", "expired"),
                         amount, order=[F("expires_at").asc(nulls_last=True), "pk"], value=spendable, also=due,
                         read=False, first=first, within=Q(remaining__gt=0), beyond=due)


# Every payment that draws cashback reads its lots (loyalty.compiled).
_lots_reaching = CompiledRead(lambda wallet_id, amount, now, first: _lots_reach(wallet_id, amount, now, first),
                              int, Decimal, datetime.datetime, int)


def _expire_lots(wallet: Wallet, due) -> None:
    for lot in due:
        if lot.remaining:
            record_entry(wallet, Pocket.CASHBACK, -lot.remaining, WalletEntry.Reason.CASHBACK_EXPIRED,
                         reference=f"lot:{lot.pk}")
        lot.remaining = ZERO
        lot.expired = True
        lot.save(update_fields=["remaining", "expired"])


def _draw(rows, field: str, amount: Decimal, moves: dict) -> list[list]:
    """Take `amount` from `field` of rows in order; return [[pk, taken, returned]] for the refund to follow.

    What each row gave is noted in `moves` ({pk: {field: -taken}}) and written by the caller with
    `move_lots`: one UPDATE for all the recharges (principal and bonus alike), one for all the cashback lots.
    """
    drawn, _short = draw_lots(rows, amount, field=field)
    for row, taken in drawn:
        moves.setdefault(row.pk, {})[field] = -taken
    return [[row.pk, str(taken), "0.00"] for row, taken in drawn]


def _payment_moves(plan: dict[str, Decimal], reason: str, *, sign: int, debit: WalletDebit, reference: str,
                   wallet: Wallet, store=None, staff=None, terminal=None) -> list[Move]:
    return [Move(pocket, sign * plan[pocket], {
        "wallet": wallet, "pocket": pocket, "reason": reason, "reference": reference, "debit": debit,
        "store": store, "staff": staff, "terminal": terminal}) for pocket in POCKETS if plan.get(pocket)]


_recharges_with_value_left = CompiledRead(
    lambda wallet_id: Recharge.objects.filter(wallet_id=wallet_id).filter(
        Q(principal_left__gt=0) | Q(bonus_left__gt=0)).only("pk", "principal_left", "bonus_left").order_by("pk"),
    int)


def debit_wallet(member: Member, amount, *, reference: str, use_cashback: bool = True, store=None, terminal=None,
                 staff=None, locked: Wallet | None = None, draw_order: str | None = None) -> WalletDebit:
    """Pay `amount` from the member's wallet (cashback, then stored value in the merchant's draw order).

    Once per reference: checkout passes its payment number, so a retried payment never pays twice.
    A caller that already holds the wallet's lock in its own transaction (checkout's `pay`) passes it as
    `locked` (and the merchant's `draw_order`): nothing is read again, and a failure aborts the caller's
    transaction (no savepoint); the unique (wallet, reference) constraint still says "once".
    """
    amount = parse_amount(amount)
    if not reference:
        raise DomainError(errors.DEBIT_REFERENCE_USED, _("A payment reference is required."), field="reference")
    order = draw_order or wallet_settings(member.merchant).draw_order
    with transaction.atomic(savepoint=locked is None):
        wallet = locked if locked is not None else wallet_for_update(member)
        if locked is None and WalletDebit.objects.filter(wallet=wallet, reference=reference).exists():
            raise DomainError(errors.DEBIT_REFERENCE_USED, _("This payment has already been taken from the wallet."),
                              field="reference", status_code=409)
        now = timezone.now()
        lots = []
        if wallet.cashback > 0:
            # An empty cashback pocket has no expired cashback left to take back.
            due, lots = _lots_to_spend(wallet, min(wallet.cashback, amount) if use_cashback else ZERO, now)
            _expire_lots(wallet, due)
        plan = plan_wallet_draw(wallet, amount, order=order, use_cashback=use_cashback)
        recharges = []
        if plan[Pocket.PRINCIPAL] > 0 or plan[Pocket.BONUS] > 0:
            recharges = _recharges_with_value_left(wallet.pk)
        recharge_moves: dict = {}
        lot_moves: dict = {}
        sources = {
            Pocket.PRINCIPAL: _draw(recharges, "principal_left", plan[Pocket.PRINCIPAL], recharge_moves),
            Pocket.BONUS: _draw(recharges, "bonus_left", plan[Pocket.BONUS], recharge_moves),
            Pocket.CASHBACK: _draw(lots, "remaining", plan[Pocket.CASHBACK], lot_moves),
        }
        move_lots(Recharge, recharge_moves)
        move_lots(CashbackLot, lot_moves)
        [debit] = writes.insert([WalletDebit(
            merchant_id=wallet.merchant_id, wallet=wallet, reference=reference, amount=amount,
            principal=plan[Pocket.PRINCIPAL], bonus=plan[Pocket.BONUS], cashback=plan[Pocket.CASHBACK],
            sources={str(k): v for k, v in sources.items()}, store=store, terminal=terminal,
        )])
        post_entries(wallet, WalletEntry, _payment_moves(
            plan, WalletEntry.Reason.PAYMENT, sign=-1, debit=debit, reference=reference, wallet=wallet, store=store,
            staff=staff, terminal=terminal))
        return debit


def refund_shares(debit: WalletDebit, amount: Decimal) -> dict[str, Decimal]:
    """Each pocket's share of refunding `amount` of `debit`, by the one refund splitter (loyalty.tenders)."""
    return split_refund({pocket: (getattr(debit, pocket), getattr(debit, f"refunded_{pocket}"))
                         for pocket in POCKETS}, amount)


def _reopen_expired(row) -> list[str]:
    if isinstance(row, CashbackLot) and row.expired:
        # Returned to a lot that has expired: the next expiry pass takes it back again.
        row.expired = False
        return ["expired"]
    return []


def refund_wallet_debit(debit: WalletDebit, amount, *, reference: str = "", store=None, terminal=None,
                        staff=None, shares: dict[str, Decimal] | None = None) -> dict[str, Decimal]:
    """Give back `amount` of a wallet payment, each pocket its share; returns what each pocket got.

    Checkout passes the `shares` its refund splitter gave each pocket (they add up to `amount`); otherwise
    the wallet splits `amount` over the pockets by the same splitter.
    """
    amount = parse_amount(amount)
    with transaction.atomic():
        wallet = wallet_for_update(debit.wallet.member)
        debit = WalletDebit.objects.select_for_update().get(pk=debit.pk)
        if amount > debit.amount - debit.refunded:
            raise DomainError(errors.REFUND_TOO_LARGE,
                              _("At most %(amount)s of this payment can still be refunded.")
                              % {"amount": debit.amount - debit.refunded}, field="amount")
        shares = {pocket: ZERO for pocket in POCKETS} | (shares if shares is not None else refund_shares(debit, amount))
        if sum(shares.values(), ZERO) != amount or any(
                share < 0 or share > getattr(debit, pocket) - getattr(debit, f"refunded_{pocket}")
                for pocket, share in shares.items()):
            raise ValueError(f"refund shares {shares} do not fit {amount} of wallet payment {debit.pk}")
        recharge_pks = {item[0] for pocket in (Pocket.PRINCIPAL, Pocket.BONUS) for item in debit.sources[pocket]}
        # One read each, however many lots the debit drew on (in_bulk would batch the ids on SQLite).
        recharges = {row.pk: row for row in Recharge.objects.only("pk", "principal_left", "bonus_left").filter(
            pk__in=recharge_pks)} if recharge_pks else {}
        lots = {lot.pk: lot for lot in CashbackLot.objects.select_for_update().only("pk", "remaining", "expired")
                .filter(pk__in=[item[0] for item in debit.sources[Pocket.CASHBACK]])} if shares[Pocket.CASHBACK] else {}
        # What goes back to the recharges is one UPDATE, and to the cashback lots another, however many.
        recharge_moves: dict = {}
        lot_moves: dict = {}
        give_back(debit.sources[Pocket.PRINCIPAL], shares[Pocket.PRINCIPAL], lots_by_pk=recharges,
                  field="principal_left", moves=recharge_moves)
        give_back(debit.sources[Pocket.BONUS], shares[Pocket.BONUS], lots_by_pk=recharges, field="bonus_left",
                  moves=recharge_moves)
        give_back(debit.sources[Pocket.CASHBACK], shares[Pocket.CASHBACK], lots_by_pk=lots, on_return=_reopen_expired,
                  moves=lot_moves)
        move_lots(Recharge, recharge_moves)
        move_lots(CashbackLot, lot_moves)
        for pocket in POCKETS:
            setattr(debit, f"refunded_{pocket}", getattr(debit, f"refunded_{pocket}") + shares[pocket])
        debit.save(update_fields=["refunded_principal", "refunded_bonus", "refunded_cashback", "sources"])
        post_entries(wallet, WalletEntry, _payment_moves(
            shares, WalletEntry.Reason.PAYMENT_REFUND, sign=1, debit=debit, reference=reference or debit.reference,
            wallet=wallet, store=store, staff=staff, terminal=terminal))
        return shares
