"""Member pages under /m/<merchant-slug>/wallet/: balances, history, recharge offers, recharging, red packets."""

from __future__ import annotations

from django.contrib import messages
from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from loyalty import payments
from loyalty.errors import DomainError
from merchants.views import member_required
from wallet import services
from wallet.models import BonusInstalment, Recharge, RechargeOffer, RedPacketCampaign, WalletEntry

PAGE_SIZE = 20


def wallet_tile(request, member):
    """The 钱包 tile on the member home page: what the member can spend."""
    summary = services.wallet_summary(member)
    if not services.wallet_settings(member.merchant).stored_value_enabled and not summary["cashback"]:
        return None
    return {"title": _("My wallet"), "value": f"¥{summary['stored_value'] + summary['cashback']}",
            "url": reverse("wallet:home", args=[member.merchant.slug])}


@never_cache
@member_required
def home(request, merchant, member):
    """钱包: principal, bonus and cashback (with what expires when), offers, recharging and the history."""
    settings = services.wallet_settings(merchant)
    wallet = services.wallet_for(member)
    entries = WalletEntry.objects.filter(wallet=wallet).order_by("-created_at", "-pk")
    page = Paginator(entries, PAGE_SIZE).get_page(request.GET.get("page"))
    recharge_id = request.GET.get("recharge")
    finished = None
    if recharge_id and recharge_id.isdigit():
        finished = Recharge.objects.filter(pk=recharge_id, member=member).first()
    offers = services.current_offers(merchant) if settings.stored_value_enabled else []
    services.describe_offers(offers)
    return render(request, "wallet/home.html", {
        "merchant": merchant, "member": member, "wallet": wallet, "settings": settings, "page": page,
        "lots": services.cashback_lots(member)[:20], "offers": offers, "finished": finished,
        "instalments": BonusInstalment.objects.filter(recharge__member=member,
                                                      status=BonusInstalment.Status.SCHEDULED).order_by("due_date")[:12],
    })


@require_POST
@member_required
def start_recharge(request, merchant, member):
    """Start a recharge through the payment gateway and send the member there to pay."""
    amount = request.POST.get("amount", "")
    offer_id = request.POST.get("offer", "")
    if offer_id:
        offer = get_object_or_404(RechargeOffer, pk=offer_id if offer_id.isdigit() else 0, merchant=merchant)
        amount = offer.pay_amount
    home_url = reverse("wallet:home", args=[merchant.slug])
    try:
        created, payment = services.start_online_recharge(member, amount)
    except DomainError as error:
        messages.error(request, str(error.message))
        return redirect(home_url)
    payment.return_url = request.build_absolute_uri(f"{home_url}?recharge={created.pk}")
    payment.save(update_fields=["return_url"])
    return redirect(payments.checkout_url(payment))


@never_cache
@member_required
def red_packet(request, merchant, member, token):
    """A campaign link: the member opens it and takes the red packet (红包)."""
    campaign = get_object_or_404(RedPacketCampaign, link_token=token, merchant=merchant,
                                 trigger=RedPacketCampaign.Trigger.LINK)
    if request.method == "POST":
        try:
            claim = services.claim_red_packet(campaign, member)
        except DomainError as error:
            messages.error(request, str(error.message))
        else:
            messages.success(request, _("You received a red packet of ¥%(amount)s.") % {"amount": claim.amount})
            return redirect(reverse("wallet:home", args=[merchant.slug]))
    return render(request, "wallet/red_packet.html", {"merchant": merchant, "member": member,
                                                      "campaign": campaign})
