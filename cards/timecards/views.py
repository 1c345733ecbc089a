"""Member pages for time cards: the shelf (tiers, buy through the gateway), a card with its code, the photo."""

from __future__ import annotations

from django.contrib import messages
from django.http import FileResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from cards.timecards import services
from cards.timecards.kinds import TimeCardKind
from cards.timecards.models import IdentityPhoto, TimeCard, TimeCardProduct, TimeCardTier, TimeCardUse
from coupons.render import qr_svg
from loyalty import payments
from loyalty.errors import DomainError
from loyalty.usable_cards import card_code, seconds_until_next_code
from merchants.views import member_required

KIND = TimeCardKind()


def _own(merchant, member, card_id) -> TimeCard:
    return get_object_or_404(TimeCard.objects.select_related("product", "tier", "member", "merchant"), pk=card_id,
                             merchant=merchant, member=member)


def _code_context(card: TimeCard) -> dict:
    code = card_code(KIND.code, merchant_id=card.merchant_id, card_id=card.pk)
    return {"code": code, "svg": qr_svg(code), "refresh_in": seconds_until_next_code()}


@never_cache
@member_required
def detail(request, merchant, member, card_id):
    """The pass: days left over every period bought, validity, the dynamic QR code, the photo, the visits."""
    card = _own(merchant, member, card_id)
    summary = KIND.summary(card)
    periods = (TimeCard.objects.filter(member=member, product=card.product)
               .exclude(status__in=[TimeCard.Status.FAILED]).select_related("tier").order_by("-pk")[:20])
    photo = IdentityPhoto.objects.filter(member=member, product=card.product).first()
    context = {"merchant": merchant, "member": member, "card": card, "summary": summary, "periods": periods,
               "photo": photo, "identity_check": summary.extra["identity_check"],
               "uses": TimeCardUse.objects.filter(member=member, product=card.product).select_related("store")[:100]}
    if summary.usable:
        context.update(_code_context(card))
    return render(request, "timecards/detail.html", context)


@never_cache
@member_required
def code(request, merchant, member, card_id):
    return JsonResponse(_code_context(_own(merchant, member, card_id)))


@require_POST
@member_required
def upload_photo(request, merchant, member, card_id):
    card = _own(merchant, member, card_id)
    try:
        services.save_photo(member, card.product, request.FILES.get("photo"))
    except DomainError as error:
        messages.error(request, str(error.message))
    else:
        messages.success(request, _("Photo saved. The cashier compares it with you at each visit."))
    return redirect("timecards:detail", merchant.slug, card.pk)


@never_cache
@member_required
def photo(request, merchant, member, photo_id):
    """The member's own photo, to nobody else (staff see it through the admin)."""
    found = get_object_or_404(IdentityPhoto, pk=photo_id, member=member)
    response = FileResponse(found.image.open("rb"))
    response["Cache-Control"] = "private, no-store"
    return response


@never_cache
@member_required
def shelf(request, merchant, member):
    """Time cards on sale, by product and tier: buy one through the payment gateway."""
    tiers = (TimeCardTier.objects.filter(merchant=merchant, on_sale=True, product__on_sale=True)
             .select_related("product").order_by("product__name", "days", "pk"))
    if request.method == "POST":
        chosen = request.POST.get("tier", "")
        tier = get_object_or_404(tiers, pk=int(chosen) if chosen.isdigit() else 0)
        try:
            card, payment = services.start_purchase(tier, member)
        except DomainError as error:
            messages.error(request, str(error.message))
        else:
            payment.return_url = request.build_absolute_uri(reverse("timecards:detail", args=[merchant.slug, card.pk]))
            payment.save(update_fields=["return_url"])
            return redirect(payments.checkout_url(payment))
    products: dict[TimeCardProduct, list[TimeCardTier]] = {}
    for tier in tiers:
        products.setdefault(tier.product, []).append(tier)
    return render(request, "timecards/shelf.html", {"merchant": merchant, "member": member,
                                                    "products": list(products.items())})
