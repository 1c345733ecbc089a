"""Gift card balances as a liability for finance's roll-forward (loyalty.liabilities)."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from cards.giftcards.models import GiftCard, GiftCardEntry
from loyalty.liabilities import LedgerInstrument, Movement

Reason = GiftCardEntry.Reason


class GiftCardLiability(LedgerInstrument):
    code = "giftcards.balance"
    label = _("gift cards")
    order = 50
    entry_model = GiftCardEntry
    balance_model = GiftCard
    balance_field = "balance"
    # Sending on and receiving move a balance from one card to a friend's: adjustments that cancel out.
    reasons = {Reason.ISSUED: Movement.ISSUED, Reason.PAYMENT: Movement.REDEEMED,
               Reason.MOVED: Movement.REDEEMED, Reason.EXPIRED: Movement.EXPIRED}


INSTRUMENTS = (GiftCardLiability(),)
