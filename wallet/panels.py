"""The member 360 page's stored-value part: the three pockets and the latest money ledger entries."""

from __future__ import annotations

from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from loyalty.member_panels import MemberPanel, Panel
from loyalty.money import money_text
from wallet.models import Wallet, WalletEntry

RECENT = 10


class WalletPanel(MemberPanel):
    code = "wallet.wallet"
    order = 30
    permission = "wallet.view_wallet"

    def panel(self, member, request):
        wallet = Wallet.objects.filter(member=member).first()
        if wallet is None:
            return None
        entries = WalletEntry.objects.filter(wallet=wallet).select_related("store").order_by("-created_at", "-pk")
        rows = [[timezone.localtime(e.created_at).strftime("%Y-%m-%d %H:%M"), e.get_pocket_display(),
                 e.get_reason_display(), f"{e.delta:+.2f}", money_text(e.balance_after), e.store or "—"]
                for e in entries[:RECENT]]
        return Panel(_("Stored value"), figures=[
            (_("principal"), f"¥{money_text(wallet.principal)}"), (_("bonus"), f"¥{money_text(wallet.bonus)}"),
            (_("cashback"), f"¥{money_text(wallet.cashback)}"),
            (_("recharged in total"), f"¥{money_text(wallet.recharged_total)}")],
            headers=[_("time"), _("pocket"), _("reason"), _("change"), _("balance after"), _("store")], rows=rows,
            empty=_("No money moved yet."),
            links=[(_("The wallet"), reverse("admin:wallet_wallet_change", args=[wallet.pk]))])
