"""Member pages under /m/<merchant-slug>/giftcards/: the gift card centre (礼品卡中心), my gift cards, a card's
page (code, QR, balance, activation, sending), and the friend's gift page."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from cards.giftcards import errors, services
from cards.giftcards.models import GiftCard, GiftCardPurchase, GiftCardTransfer, Theme
from coupons.render import qr_svg
from loyalty import payments, ratelimit
from loyalty.errors import DomainError
from loyalty.http import client_ip
from merchants.views import ask_to_log_in, current_member, finish_after_login, login_url, member_page, member_required

# What "my gift cards" shows: a card sent on belongs to the friend now, and the sender no longer sees it.
MINE = [GiftCard.Status.NOT_ACTIVATED, GiftCard.Status.RECEIVED, GiftCard.Status.ACTIVE, GiftCard.Status.SENDING,
        GiftCard.Status.USED_UP, GiftCard.Status.EXPIRED, GiftCard.Status.MOVED]


def gift_cards_tile(request, member):
    """The gift card tile on the member home page (only where the merchant sells or the member holds any)."""
    held = GiftCard.objects.filter(holder=member, status__in=MINE[:4]).count()
    if not held and not Theme.objects.filter(merchant_id=member.merchant_id, is_active=True).exists():
        return None
    return {"title": _("My gift cards"), "value": held,
            "url": reverse("giftcards:mine", args=[member.merchant.slug])}


def _themes(merchant):
    return [(theme, [value for value in theme.face_values.all() if value.is_active])
            for theme in Theme.objects.filter(merchant=merchant, is_active=True).prefetch_related("face_values")]


@never_cache
@member_page
def centre(request, merchant):
    """礼品卡中心: every theme and the face values it shows; anyone may look, buying needs a login."""
    member = current_member(request, merchant)
    if request.method == "POST":
        if member is None:
            return redirect(login_url(merchant, request.path))
        return _buy(request, merchant, member)
    return render(request, "giftcards/centre.html", {
        "merchant": merchant, "member": member, "themes": _themes(merchant), "most": services.MOST_PER_PURCHASE,
        "login_url": login_url(merchant, request.path)})


def _buy(request, merchant, member):
    theme = Theme.objects.filter(merchant=merchant, pk=_number(request.POST.get("theme"))).first()
    face_value = theme.face_values.filter(pk=_number(request.POST.get("face_value"))).first() if theme else None
    try:
        if face_value is None:
            raise DomainError(errors.GIFT_CARD_NOT_FOR_SALE, _("This gift card is not for sale."))
        purchase, payment = services.start_gift_card_purchase(theme, face_value, member,
                                                              quantity=_number(request.POST.get("quantity")))
    except DomainError as error:
        messages.error(request, str(error.message))
        return redirect("giftcards:centre", merchant.slug)
    payment.return_url = request.build_absolute_uri(
        f"{reverse('giftcards:mine', args=[merchant.slug])}?purchase={purchase.pk}")
    payment.save(update_fields=["return_url"])
    return redirect(payments.checkout_url(payment))


def _number(value) -> int:
    return int(value) if isinstance(value, str) and value.isdigit() and len(value) < 9 else 0


@never_cache
@member_page
def centre_qr(request, merchant):
    """The centre's QR code as an SVG image, for the merchant to print (the admin links to it)."""
    url = request.build_absolute_uri(reverse("giftcards:centre", args=[merchant.slug]))
    return HttpResponse(qr_svg(url, standalone=True), content_type="image/svg+xml")


@never_cache
@member_page
def lookup(request, merchant):
    """Balance by code, for anyone holding a card: the one refusal for every bad code, limited per IP."""
    card, error = None, ""
    if request.method == "POST":
        if not ratelimit.hit(f"giftcard-lookup:ip:{client_ip(request)}", limit=settings.GIFT_CARD_LOOKUPS_PER_MINUTE,
                             window_seconds=60):
            error = _("Too many lookups; try again in a minute.")
        else:
            try:
                card = services.usable_card(merchant, request.POST.get("code", ""))
            except DomainError as refused:
                error = str(refused.message)
    return render(request, "giftcards/lookup.html", {"merchant": merchant, "card": card, "error": error})


@never_cache
@member_required
def mine(request, merchant, member):
    """我的礼品卡: the member's cards (a card sent on to a friend is no longer theirs)."""
    chosen = request.GET.get("purchase", "")
    purchase = GiftCardPurchase.objects.filter(pk=chosen, buyer=member).first() if chosen.isdigit() else None
    if purchase is not None:
        if purchase.status == GiftCardPurchase.Status.PAID:
            messages.success(request, _("Paid: your gift cards are below."))
        elif purchase.status == GiftCardPurchase.Status.FAILED:
            messages.error(request, _("The payment did not go through."))
        else:
            messages.info(request, _("Waiting for the payment to be confirmed; refresh in a moment."))
    cards = (GiftCard.objects.filter(holder=member, status__in=MINE).select_related("theme", "face_value")
             .order_by("-created_at", "-pk"))
    return render(request, "giftcards/mine.html", {"merchant": merchant, "member": member, "cards": cards})


def _own(member, pk) -> GiftCard:
    return get_object_or_404(GiftCard.objects.select_related("theme", "face_value"), holder=member, pk=pk,
                             status__in=MINE)


@never_cache
@member_required
def card(request, merchant, member, pk):
    """One card: its code and QR code for the counter while usable, balance, activation, sending."""
    found = _own(member, pk)
    transfer = GiftCardTransfer.objects.filter(card=found, status=GiftCardTransfer.Status.OPEN).first()
    card_settings = services.gift_card_settings(merchant)
    context = {"merchant": merchant, "member": member, "card": found, "transfer": transfer,
               "can_send": found.status in (GiftCard.Status.NOT_ACTIVATED, GiftCard.Status.RECEIVED,
                                            GiftCard.Status.ACTIVE)
               and found.transfers < card_settings.transfers_allowed,
               "can_move": found.status == GiftCard.Status.ACTIVE and card_settings.move_to_stored_value}
    if found.status == GiftCard.Status.ACTIVE:
        context["qr"] = qr_svg(found.code)
    if transfer is not None:
        context["gift_url"] = request.build_absolute_uri(reverse("giftcards:gift", args=[merchant.slug,
                                                                                         transfer.token]))
    return render(request, "giftcards/card.html", context)


@require_POST
@member_required
def activate(request, merchant, member, pk):
    try:
        services.activate_card(_own(member, pk), phone=request.POST.get("phone", ""), member=member)
    except DomainError as error:
        messages.error(request, str(error.message))
    else:
        messages.success(request, _("The card is active."))
    return redirect("giftcards:card", merchant.slug, pk)


@require_POST
@member_required
def send(request, merchant, member, pk):
    try:
        services.send_card(_own(member, pk), member, greeting=request.POST.get("greeting", ""))
    except DomainError as error:
        messages.error(request, str(error.message))
    else:
        messages.success(request, _("Send the link below to your friend. Until they claim it you can take it back."))
    return redirect("giftcards:card", merchant.slug, pk)


@require_POST
@member_required
def move(request, merchant, member, pk):
    try:
        moved = services.move_to_stored_value(_own(member, pk), member)
    except DomainError as error:
        messages.error(request, str(error.message))
        return redirect("giftcards:card", merchant.slug, pk)
    messages.success(request, _("The balance is in your stored value now."))
    return redirect("giftcards:card", merchant.slug, moved.pk)


@require_POST
@member_required
def take_back(request, merchant, member, pk):
    transfer = get_object_or_404(GiftCardTransfer, card=_own(member, pk), status=GiftCardTransfer.Status.OPEN)
    try:
        services.take_back(transfer, member)
    except DomainError as error:
        messages.error(request, str(error.message))
    else:
        messages.success(request, _("The gift is taken back; the card is yours again."))
    return redirect("giftcards:card", merchant.slug, pk)


@never_cache
@member_page
def gift(request, merchant, token):
    """A friend's gift card: the theme, the greeting, and claiming it (with a login)."""
    transfer = services.open_gift(merchant, token)
    if transfer is None:
        raise Http404(_("There is no such gift."))
    member = current_member(request, merchant)
    # Pressed "accept" before logging in: back as a member, the gift is taken as asked.
    if request.method == "POST" or finish_after_login(request, merchant):
        if member is None:
            return ask_to_log_in(request, merchant)
        try:
            received = services.claim_gift(transfer, member)
        except DomainError as error:
            messages.error(request, str(error.message))
        else:
            messages.success(request, _("The gift card is yours."))
            return redirect("giftcards:card", merchant.slug, received.pk)
    return render(request, "giftcards/gift.html", {
        "merchant": merchant, "member": member, "transfer": transfer, "card": transfer.card,
        "open": transfer.status == GiftCardTransfer.Status.OPEN})
