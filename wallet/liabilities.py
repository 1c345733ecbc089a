"""The wallet's liabilities for finance's roll-forward (loyalty.liabilities): principal, bonus and cashback.

Principal is money members paid in; bonus and cashback were given, and are owed at face value until spent
or expired (cashback lots expire; bonus is taken back only on a refund).
"""

from __future__ import annotations

import datetime

from django.utils.translation import gettext_lazy as _

from loyalty.liabilities import Amount, LedgerInstrument, Movement
from wallet.models import Pocket, Wallet, WalletEntry
from wallet.services.wallet_days import wallet_by_day

Reason = WalletEntry.Reason


class _Pocket(LedgerInstrument):
    entry_model = WalletEntry
    balance_model = Wallet

    def kept_moves(self, *, merchant_id: int | None, start: datetime.date, end: datetime.date,
                   zone: datetime.tzinfo) -> dict[tuple[datetime.date, str], Amount]:
        """From the kept daily sums (wallet.WalletDay): a busy year of one pocket is a few thousand kept figures
        instead of a grouping of its hundreds of thousands of entries."""
        return dict(wallet_by_day(merchant_id=merchant_id, pocket=self.entry_filter["pocket"], start=start, end=end,
                                  zone=zone))


class PrincipalLiability(_Pocket):
    code = "wallet.principal"
    label = _("stored value principal")
    order = 10
    entry_filter = {"pocket": Pocket.PRINCIPAL}
    balance_field = "principal"
    reasons = {Reason.RECHARGE: Movement.ISSUED, Reason.PAYMENT: Movement.REDEEMED}


class BonusLiability(_Pocket):
    code = "wallet.bonus"
    label = _("stored value bonus")
    order = 20
    entry_filter = {"pocket": Pocket.BONUS}
    balance_field = "bonus"
    reasons = {Reason.RECHARGE_BONUS: Movement.ISSUED, Reason.BONUS_INSTALMENT: Movement.ISSUED,
               Reason.PAYMENT: Movement.REDEEMED}


class CashbackLiability(_Pocket):
    code = "wallet.cashback"
    label = _("cashback and red packets")
    order = 30
    entry_filter = {"pocket": Pocket.CASHBACK}
    balance_field = "cashback"
    reasons = {Reason.CASHBACK: Movement.ISSUED, Reason.RED_PACKET: Movement.ISSUED,
               Reason.PAYMENT: Movement.REDEEMED, Reason.CASHBACK_EXPIRED: Movement.EXPIRED}


INSTRUMENTS = (PrincipalLiability(), BonusLiability(), CashbackLiability())
