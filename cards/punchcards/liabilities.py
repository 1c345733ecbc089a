"""Punch card uses as a liability for finance's roll-forward (loyalty.liabilities), counted in uses.

The ledger audit values the uses left of each paid card at the price paid ÷ uses (see `services.liability`);
the roll-forward proves the uses themselves, which are exact, and shows the audit's money figure beside them.
"""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from cards.punchcards.models import PunchCard, PunchCardEntry
from loyalty.liabilities import LedgerInstrument, Movement, Unit

Reason = PunchCardEntry.Reason


class PunchCardUsesLiability(LedgerInstrument):
    code = "punchcards.uses"
    label = pgettext_lazy("a liability: the uses members hold", "punch card uses")
    order = 60
    unit = Unit.USES
    valuation = _("Punch card uses are counted in uses; the ledger audit values each paid card's uses left at "
                  "the price paid per use.")
    entry_model = PunchCardEntry
    balance_model = PunchCard
    balance_field = "uses_left"
    reasons = {Reason.ISSUE: Movement.ISSUED, Reason.USE: Movement.REDEEMED}


INSTRUMENTS = (PunchCardUsesLiability(),)
