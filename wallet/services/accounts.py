"""The wallet itself: the one lock helper, the ledger writer, paying from the wallet and refunding it."""

from __future__ import annotations

from decimal import Decimal

from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from loyalty.errors import DomainError
from loyalty.money import ZERO, parse_amount, quantize
from merchants.models import Member
from wallet import errors
from wallet.models import CashbackLot, DrawOrder, Pocket, Recharge, Wallet, WalletDebit, WalletEntry, WalletSettings

POCKETS = (Pocket.PRINCIPAL, Pocket.BONUS, Pocket.CASHBACK)


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
    found = Wallet.objects.select_for_update().filter(member=member).order_by().first()
    if found is None:
        wallet_for(member)
        found = Wallet.objects.select_for_update().get(member=member)
    return found


def record_entry(wallet: Wallet, pocket: str, delta: Decimal, reason: str, *, reference: str = "",
                 recharge: Recharge | None = None, debit: WalletDebit | None = None, store=None, staff=None,
                 terminal=None) -> WalletEntry:
    """Move one pocket of a locked wallet and write its ledger entry, in the caller's transaction."""
    balance = quantize(getattr(wallet, pocket) + delta)
    setattr(wallet, pocket, balance)
    wallet.save(update_fields=[pocket])
    return WalletEntry.objects.create(
        merchant_id=wallet.merchant_id, wallet=wallet, pocket=pocket, delta=quantize(delta), balance_after=balance,
        reason=reason, reference=reference, recharge=recharge, debit=debit, store=store, staff=staff,
        terminal=terminal,
    )


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
    due = CashbackLot.objects.select_for_update().filter(wallet=wallet, expired=False, expires_at__lte=now)
    for lot in due.order_by("pk"):
        if lot.remaining:
            record_entry(wallet, Pocket.CASHBACK, -lot.remaining, WalletEntry.Reason.CASHBACK_EXPIRED,
                         reference=f"lot:{lot.pk}")
        lot.remaining = ZERO
        lot.expired = True
        lot.save(update_fields=["remaining", "expired"])


def _draw(rows, field: str, amount: Decimal, changed: dict) -> list[list]:
    """Take `amount` from `field` of rows in order; return [[pk, taken, returned]] for the refund to follow.

    Nothing to take reads nothing (`rows` may be a queryset). The rows taken from are noted in `changed`
    (row -> fields) and saved once by the caller, so a recharge giving principal and bonus is one UPDATE.
    """
    drawn = []
    if amount <= 0:
        return drawn
    for row in rows:
        if amount <= 0:
            break
        take = min(getattr(row, field), amount)
        if take <= 0:
            continue
        setattr(row, field, getattr(row, field) - take)
        changed.setdefault(row, []).append(field)
        drawn.append([row.pk, str(take), "0.00"])
        amount -= take
    return drawn


def _record_payment_entries(wallet: Wallet, plan: dict[str, Decimal], *, debit: WalletDebit, reference: str,
                            store=None, staff=None, terminal=None) -> None:
    """`record_entry` for every pocket a payment drew on, with one UPDATE of the wallet and one INSERT."""
    pockets = [pocket for pocket in POCKETS if plan[pocket]]
    entries = []
    for pocket in pockets:
        balance = quantize(getattr(wallet, pocket) - plan[pocket])
        setattr(wallet, pocket, balance)
        entries.append(WalletEntry(
            merchant_id=wallet.merchant_id, wallet=wallet, pocket=pocket, delta=quantize(-plan[pocket]),
            balance_after=balance, reason=WalletEntry.Reason.PAYMENT, reference=reference, debit=debit, store=store,
            staff=staff, terminal=terminal))
    if pockets:
        wallet.save(update_fields=pockets)
        WalletEntry.objects.bulk_create(entries)


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
        if wallet.cashback > 0:
            # An empty cashback pocket has no expired cashback left to take back.
            _expire_due_lots(wallet, now)
        plan = plan_wallet_draw(wallet, amount, order=order, use_cashback=use_cashback)
        recharges = []
        if plan[Pocket.PRINCIPAL] > 0 or plan[Pocket.BONUS] > 0:
            recharges = list(Recharge.objects.filter(wallet=wallet).filter(
                Q(principal_left__gt=0) | Q(bonus_left__gt=0)).order_by("pk"))
        lots = (CashbackLot.objects.filter(wallet=wallet, expired=False, remaining__gt=0)
                .filter(Q(expires_at__isnull=True) | Q(expires_at__gt=now)).order_by("expires_at", "pk"))
        changed: dict = {}
        sources = {
            Pocket.PRINCIPAL: _draw(recharges, "principal_left", plan[Pocket.PRINCIPAL], changed),
            Pocket.BONUS: _draw(recharges, "bonus_left", plan[Pocket.BONUS], changed),
            Pocket.CASHBACK: _draw(lots, "remaining", plan[Pocket.CASHBACK], changed),
        }
        for row, fields in changed.items():
            row.save(update_fields=fields)
        debit = WalletDebit.objects.create(
            merchant_id=wallet.merchant_id, wallet=wallet, reference=reference, amount=amount,
            principal=plan[Pocket.PRINCIPAL], bonus=plan[Pocket.BONUS], cashback=plan[Pocket.CASHBACK],
            sources={str(k): v for k, v in sources.items()}, store=store, terminal=terminal,
        )
        _record_payment_entries(wallet, plan, debit=debit, reference=reference, store=store, staff=staff,
                                terminal=terminal)
        return debit


def refund_shares(debit: WalletDebit, amount: Decimal) -> dict[str, Decimal]:
    """Each pocket's share of refunding `amount` of `debit`: in proportion, never more than it gave.

    Shares are computed on the running total refunded, so refunding a payment in parts returns each
    pocket exactly what it gave once the whole has been refunded.
    """
    after = debit.refunded + amount
    shares = {}
    for pocket in (Pocket.PRINCIPAL, Pocket.BONUS):
        taken, done = getattr(debit, pocket), getattr(debit, f"refunded_{pocket}")
        target = min(taken, quantize(after * taken / debit.amount))
        shares[pocket] = max(ZERO, target - done)
    shares[Pocket.CASHBACK] = amount - shares[Pocket.PRINCIPAL] - shares[Pocket.BONUS]
    # Rounding may leave a cent with a pocket that has none left to take back; give it to one that has.
    for pocket in POCKETS:
        room = getattr(debit, pocket) - getattr(debit, f"refunded_{pocket}")
        excess = shares[pocket] - room
        if excess > 0:
            shares[pocket] -= excess
            for other in POCKETS:
                other_room = getattr(debit, other) - getattr(debit, f"refunded_{other}") - shares[other]
                move = min(excess, max(other_room, ZERO))
                shares[other] += move
                excess -= move
    return shares


def _give_back(rows_by_pk: dict, drawn: list[list], field: str, amount: Decimal) -> None:
    """Return `amount` to the rows a pocket drew on, newest first, never more than each gave."""
    for item in reversed(drawn):
        if amount <= 0:
            break
        pk, taken, returned = item[0], Decimal(item[1]), Decimal(item[2])
        back = min(taken - returned, amount)
        if back <= 0:
            continue
        row = rows_by_pk[pk]
        setattr(row, field, getattr(row, field) + back)
        update = [field]
        if isinstance(row, CashbackLot) and row.expired:
            # Returned to a lot that has expired: the next expiry pass takes it back again.
            row.expired = False
            update.append("expired")
        row.save(update_fields=update)
        item[2] = str(returned + back)
        amount -= back


def refund_wallet_debit(debit: WalletDebit, amount, *, reference: str = "", store=None, terminal=None,
                        staff=None) -> dict[str, Decimal]:
    """Give back `amount` of a wallet payment, each pocket its share; returns what each pocket got."""
    amount = parse_amount(amount)
    with transaction.atomic():
        wallet = wallet_for_update(debit.wallet.member)
        debit = WalletDebit.objects.select_for_update().get(pk=debit.pk)
        if amount > debit.amount - debit.refunded:
            raise DomainError(errors.REFUND_TOO_LARGE,
                              _("At most %(amount)s of this payment can still be refunded.")
                              % {"amount": debit.amount - debit.refunded}, field="amount")
        shares = refund_shares(debit, amount)
        recharge_pks = {item[0] for pocket in (Pocket.PRINCIPAL, Pocket.BONUS) for item in debit.sources[pocket]}
        recharges = Recharge.objects.in_bulk(recharge_pks)
        lots = CashbackLot.objects.select_for_update().in_bulk([item[0] for item in debit.sources[Pocket.CASHBACK]])
        _give_back(recharges, debit.sources[Pocket.PRINCIPAL], "principal_left", shares[Pocket.PRINCIPAL])
        _give_back(recharges, debit.sources[Pocket.BONUS], "bonus_left", shares[Pocket.BONUS])
        _give_back(lots, debit.sources[Pocket.CASHBACK], "remaining", shares[Pocket.CASHBACK])
        for pocket in POCKETS:
            setattr(debit, f"refunded_{pocket}", getattr(debit, f"refunded_{pocket}") + shares[pocket])
        debit.save(update_fields=["refunded_principal", "refunded_bonus", "refunded_cashback", "sources"])
        for pocket in POCKETS:
            if shares[pocket]:
                record_entry(wallet, pocket, shares[pocket], WalletEntry.Reason.PAYMENT_REFUND,
                             reference=reference or debit.reference, debit=debit, store=store, staff=staff,
                             terminal=terminal)
        return shares
