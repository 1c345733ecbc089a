"""The wallet's ways to pay (loyalty.tenders): cashback, then stored value (bonus and principal) in the
merchant's draw order. The three are one wallet payment, taken and refunded together by `WalletDrawer`."""

from __future__ import annotations

from decimal import Decimal

from django.db import models
from django.utils.translation import gettext_lazy as _

from loyalty.errors import DomainError
from loyalty.money import ZERO
from loyalty.tenders import Drawer, Tender, TenderContext
from wallet import errors
from wallet.models import DrawOrder, Pocket, Wallet
from wallet.services import debit_wallet, plan_wallet_draw, refund_wallet_debit
from wallet.services.accounts import WALLET


def _wallet_in_use(context: TenderContext) -> Wallet | None:
    """The wallet when the payer asked to pay from it and it can pay (stored value on, or cashback held)."""
    wallet = context.accounts.get(WALLET)
    if context.member is None or wallet is None or not context.requested.get("use_wallet"):
        return None
    if not context.config.wallet.stored_value_enabled and not wallet.cashback:
        return None
    return wallet


def _left_for_wallet(context: TenderContext, remaining: Decimal) -> Decimal:
    """What is left for the tenders before the outside channel: all of it, or what the outside did not cover."""
    outside = context.requested.get("external_amount")
    return remaining if outside is None else max(remaining - outside, ZERO)


class WalletDrawer(Drawer):
    payment_field = "wallet_debit"

    def take(self, payment: models.Model, context: TenderContext, shares: dict[str, Decimal]) -> dict[str, Decimal]:
        debit = debit_wallet(context.member, sum(shares.values(), ZERO), reference=payment.number,
                             locked=context.accounts[WALLET], draw_order=context.config.wallet.draw_order,
                             store=payment.store, terminal=payment.terminal)
        setattr(payment, self.payment_field, debit)
        return {Pocket.CASHBACK: debit.cashback, Pocket.BONUS: debit.bonus, Pocket.PRINCIPAL: debit.principal}

    def refund(self, payment: models.Model, shares: dict[str, Decimal], *, reference: str, staff=None,
               terminal=None) -> None:
        refund_wallet_debit(getattr(payment, self.payment_field), sum(shares.values(), ZERO), shares=shares,
                            reference=reference, store=payment.store, terminal=terminal, staff=staff)


WALLET_DRAWER = WalletDrawer()


class CashbackTender(Tender):
    """营销钱包: cashback and red packets are spent first, before any stored value."""

    code = Pocket.CASHBACK
    label = _("cashback")
    order = 10
    drawer = WALLET_DRAWER

    def plan(self, context: TenderContext, remaining: Decimal) -> Decimal:
        wallet = _wallet_in_use(context)
        return min(wallet.cashback, _left_for_wallet(context, remaining)) if wallet is not None else ZERO


class StoredValueTender(Tender):
    """储值: bonus and principal, in the merchant's draw order; the first of the two plans the pair's split."""

    drawer = WALLET_DRAWER  # the tender's code is the pocket it draws on

    def position(self, context: TenderContext) -> int:
        first = Pocket.PRINCIPAL if context.config.wallet.draw_order == DrawOrder.PRINCIPAL_FIRST else Pocket.BONUS
        return 20 if self.code == first else 30

    def plan(self, context: TenderContext, remaining: Decimal) -> Decimal:
        wallet = _wallet_in_use(context)
        if wallet is None:
            return ZERO
        wanted = _left_for_wallet(context, remaining)
        if context.requested.get("external_amount") is None:
            wanted = min(wanted, wallet.stored_value)
        elif wanted > wallet.stored_value:
            raise DomainError(errors.INSUFFICIENT_BALANCE, _("The wallet balance is not enough for this amount."),
                              field="amount", status_code=409)
        if self.position(context) == 30:
            return min(getattr(wallet, self.code), wanted)  # the second takes the rest of the pair's part
        return plan_wallet_draw(wallet, wanted, order=context.config.wallet.draw_order, use_cashback=False)[
            self.code]


class BonusTender(StoredValueTender):
    code = Pocket.BONUS
    label = _("stored value bonus")
    order = 20

    def counts_as_paid(self, config) -> bool:
        return config.checkout.bonus_counts_for_points


class PrincipalTender(StoredValueTender):
    code = Pocket.PRINCIPAL
    label = _("stored value principal")
    order = 30

    def counts_as_paid(self, config) -> bool:
        return True
