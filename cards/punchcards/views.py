"""Member pages for cards: "my cards" (every registered kind), the punch card shelf, a card with its code."""

from __future__ import annotations

from django.contrib import messages
from django.http import Http404, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from cards.punchcards import services
from cards.punchcards.kinds import PunchCardKind
from cards.punchcards.models import CoUser, PunchCard, PunchCardProduct
from coupons.render import qr_svg
from loyalty import payments
from loyalty.errors import DomainError
from loyalty.usable_cards import card_code, card_kinds, member_cards, seconds_until_next_code
from merchants.views import member_required

KIND = PunchCardKind()


def cards_tile(request, member):
    """The "my cards" tile on the member home page: every kind's usable cards."""
    count = sum(1 for summary in member_cards(member) if summary.usable)
    return {"title": _("My cards"), "value": count,
            "url": reverse("punchcards:my-cards", args=[member.merchant.slug])}


@never_cache
@member_required
def my_cards(request, merchant, member):
    """我的卡: every card of every registered kind, with how much is left and until when."""
    shelves = [(kind.label, url) for kind in card_kinds.all() if (url := kind.shelf_url(merchant))]
    return render(request, "punchcards/my_cards.html", {"merchant": merchant, "member": member,
                                                         "cards": member_cards(member), "shelves": shelves})


def _own_or_shared(merchant, member, card_id) -> PunchCard:
    """The member's own card, or one whose holder shares it with the member's phone; anything else is a 404."""
    card = get_object_or_404(PunchCard.objects.select_related("product", "member", "merchant"), pk=card_id,
                             merchant=merchant)
    if card.member_id != member.pk and not services.active_co_users(card).filter(phone=member.phone).exists():
        raise Http404(_("There is no such card."))
    return card


def _code_context(card: PunchCard) -> dict:
    code = card_code(KIND.code, merchant_id=card.merchant_id, card_id=card.pk)
    return {"code": code, "svg": qr_svg(code), "refresh_in": seconds_until_next_code()}


@never_cache
@member_required
def detail(request, merchant, member, card_id):
    """One card: what is left, validity, its dynamic QR code, co-users and the usage detail (消费明细)."""
    card = _own_or_shared(merchant, member, card_id)
    summary = KIND.summary(card)
    context = {"merchant": merchant, "member": member, "card": card, "summary": summary,
               "holder": card.member_id == member.pk, "co_users": list(services.active_co_users(card)),
               "uses": card.card_uses.select_related("store", "co_user")[:100]}
    if summary.usable:
        context.update(_code_context(card))
    return render(request, "punchcards/detail.html", context)


@never_cache
@member_required
def code(request, merchant, member, card_id):
    """A fresh code for the card page to swap in before the shown one stops being accepted."""
    return JsonResponse(_code_context(_own_or_shared(merchant, member, card_id)))


@require_POST
@member_required
def add_co_user(request, merchant, member, card_id):
    card = get_object_or_404(PunchCard, pk=card_id, member=member)
    try:
        services.add_co_user(card, phone=request.POST.get("phone", ""), name=request.POST.get("name", ""))
    except DomainError as error:
        messages.error(request, str(error.message))
    else:
        messages.success(request, _("They can now use the card with their phone number."))
    return redirect("punchcards:detail", merchant.slug, card.pk)


@require_POST
@member_required
def remove_co_user(request, merchant, member, card_id, co_user_id):
    co_user = get_object_or_404(CoUser, pk=co_user_id, card_id=card_id, card__member=member)
    services.remove_co_user(co_user)
    return redirect("punchcards:detail", merchant.slug, card_id)


@never_cache
@member_required
def shelf(request, merchant, member):
    """Punch cards on sale: buy one through the payment gateway."""
    products = PunchCardProduct.objects.filter(merchant=merchant, on_sale=True).order_by("price", "pk")
    if request.method == "POST":
        chosen = request.POST.get("product", "")
        product = get_object_or_404(products, pk=int(chosen) if chosen.isdigit() else 0)
        try:
            card, payment = services.start_purchase(product, member)
        except DomainError as error:
            messages.error(request, str(error.message))
        else:
            payment.return_url = request.build_absolute_uri(
                reverse("punchcards:detail", args=[merchant.slug, card.pk]))
            payment.save(update_fields=["return_url"])
            return redirect(payments.checkout_url(payment))
    return render(request, "punchcards/shelf.html", {"merchant": merchant, "member": member, "products": products})
