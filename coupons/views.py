"""Member pages under /m/<merchant-slug>/coupons/: 券包, claiming, gifts, fission shares, the points shelf."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ObjectDoesNotExist
from django.core.paginator import Paginator
from django.db.models import Q
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from coupons import services
from coupons.models import ClaimChannel, Coupon, CouponPurchase, CouponTemplate
from coupons.render import barcode_svg, qr_svg
from loyalty import payments
from loyalty.errors import DomainError
from merchants.views import ask_to_log_in, current_member, finish_after_login, login_url, member_page, member_required

PAGE_SIZE = 20
OPEN_STATES = [Coupon.State.AVAILABLE, Coupon.State.LOCKED, Coupon.State.GIFTING]
TABS = {
    "available": lambda now: Q(state__in=OPEN_STATES, valid_until__gt=now),
    "used": lambda now: Q(state__in=[Coupon.State.USED, Coupon.State.GIFTED]),
    "expired": lambda now: Q(state__in=[Coupon.State.EXPIRED, Coupon.State.VOID])
    | Q(state__in=OPEN_STATES, valid_until__lte=now),
}


def coupons_tile(request, member):
    """The 券包 tile on the member home page."""
    count = Coupon.objects.filter(member=member).filter(TABS["available"](timezone.now())).count()
    return {"title": _("My coupons"), "value": count,
            "url": reverse("coupons:wallet", args=[member.merchant.slug])}


@never_cache
@member_required
def wallet(request, merchant, member):
    """券包: the member's coupons by tab, with the code and QR code of each usable one."""
    tab = request.GET.get("tab") if request.GET.get("tab") in TABS else "available"
    _say_how_the_purchase_went(request, member)
    coupons = (Coupon.objects.filter(member=member).filter(TABS[tab](timezone.now()))
               .select_related("template").order_by("valid_until", "pk"))
    page = Paginator(coupons, PAGE_SIZE).get_page(request.GET.get("page"))
    # Each usable coupon's QR code is its own image (qr_image): the list costs no QR drawing, and the
    # browser fetches the pictures lazily and keeps them, since a code never changes.
    items = [{"coupon": coupon, "state": services.effective_state(coupon),
              "qr": tab == "available" and coupon.state == Coupon.State.AVAILABLE}
             for coupon in page]
    return render(request, "coupons/wallet.html", {"merchant": merchant, "member": member, "tab": tab,
                                                   "page": page, "items": items})


def _say_how_the_purchase_went(request, member) -> None:
    """Back from the gateway: say whether the coupon bought is in the wallet (the callback may still be on its way)."""
    chosen = request.GET.get("purchase", "")
    purchase = CouponPurchase.objects.filter(pk=chosen, member=member).first() if chosen.isdigit() else None
    if purchase is None:
        return
    if purchase.status == CouponPurchase.Status.PAID:
        messages.success(request, _("Paid: the coupon is in your wallet."))
    elif purchase.status == CouponPurchase.Status.REFUND_DUE:
        messages.error(request, _("Paid, but the coupon could no longer be issued; the shop will refund you."))
    elif purchase.status == CouponPurchase.Status.FAILED:
        messages.error(request, _("The payment did not go through."))
    else:
        messages.info(request, _("Waiting for the payment to be confirmed; refresh in a moment."))


@member_required
def qr_image(request, merchant, member, code):
    """The QR code of one of the member's coupons, as an SVG image the browser may keep (codes never change)."""
    coupon = get_object_or_404(Coupon.objects.only("code"), member=member, code=code)
    response = HttpResponse(qr_svg(coupon.code, standalone=True), content_type="image/svg+xml")
    response["Cache-Control"] = "private, max-age=86400"
    return response


@never_cache
@member_required
def detail(request, merchant, member, code):
    coupon = get_object_or_404(Coupon.objects.select_related("template"), member=member, code=code)
    state = services.effective_state(coupon)
    context = {"merchant": merchant, "member": member, "coupon": coupon, "state": state,
               "template": coupon.template}
    if state == Coupon.State.AVAILABLE:
        context.update(qr=qr_svg(coupon.code), barcode=barcode_svg(coupon.code))
    if coupon.share_token:
        context.update(friends=services.friends_helped(coupon), share_url=request.build_absolute_uri(
            reverse("coupons:share", args=[merchant.slug, coupon.share_token])))
    if coupon.gift_token and services.gift_is_open(coupon):
        context["gift_url"] = request.build_absolute_uri(
            reverse("coupons:gift", args=[merchant.slug, coupon.gift_token]))
    context["can_gift"] = (state == Coupon.State.AVAILABLE and coupon.template.giftable
                           and coupon.gifted_from_id is None)
    return render(request, "coupons/detail.html", context)


@require_POST
@member_required
def gift_start(request, merchant, member, code):
    coupon = get_object_or_404(Coupon, member=member, code=code)
    try:
        services.start_gift(coupon, member)
    except DomainError as error:
        messages.error(request, str(error.message))
    else:
        messages.success(request, _("Send the link below to a friend. If nobody takes it within 24 hours, "
                                    "the coupon comes back to you."))
    return redirect("coupons:detail", merchant.slug, code)


@require_POST
@member_required
def gift_cancel(request, merchant, member, code):
    coupon = get_object_or_404(Coupon, member=member, code=code)
    try:
        services.cancel_gift(coupon, member)
    except DomainError as error:
        messages.error(request, str(error.message))
    return redirect("coupons:detail", merchant.slug, code)


@never_cache
@member_page
def claim(request, merchant, token):
    """领券: the page behind a template's claim link or QR code. Anyone may look; claiming needs a member."""
    template = get_object_or_404(CouponTemplate, merchant=merchant, claim_token=token)
    return _claim_page(request, merchant, template, channel=None)


@never_cache
@member_page
def channel_claim(request, merchant, token):
    """The same page behind one channel's short link (a poster, an SMS, an article): it counts for the channel."""
    channel = get_object_or_404(ClaimChannel.objects.select_related("template"), merchant=merchant, token=token)
    return _claim_page(request, merchant, channel.template, channel=channel)


def _claim_page(request, merchant, template: CouponTemplate, *, channel: ClaimChannel | None):
    member = current_member(request, merchant)
    # A visitor who pressed "claim" before logging in comes back here a member: the free coupon is taken as they
    # asked (a coupon with a price waits for them to press "buy" again: money is never taken on a redirect).
    finishing = request.method == "GET" and finish_after_login(request, merchant) and template.price is None
    if request.method == "POST" or finishing:
        if member is None:
            return ask_to_log_in(request, merchant)
        if template.price is not None:
            return _buy(request, merchant, member, template)
        try:
            coupon = services.claim_coupon(template, member, channel=channel)
        except DomainError as error:
            messages.error(request, str(error.message))
        else:
            messages.success(request, _("The coupon is in your wallet."))
            return redirect("coupons:detail", merchant.slug, coupon.code)
    else:
        services.record_claim_page_view(template, channel=channel)
    return render(request, "coupons/claim.html", {"merchant": merchant, "member": member, "template": template,
                                                  "login_url": login_url(merchant, request.path)})


def _buy(request, merchant, member, template):
    """A coupon with a price: start the purchase and send the member to the payment gateway."""
    try:
        purchase, payment = services.start_coupon_purchase(template, member)
    except DomainError as error:
        messages.error(request, str(error.message))
        return redirect(request.path)
    payment.return_url = request.build_absolute_uri(
        f"{reverse('coupons:wallet', args=[merchant.slug])}?purchase={purchase.pk}")
    payment.save(update_fields=["return_url"])
    return redirect(payments.checkout_url(payment))


@never_cache
@member_page
def gift(request, merchant, token):
    """A friend's gift (朋友的券): see it, log in, take it."""
    coupon = Coupon.objects.select_related("template", "member").filter(merchant=merchant, gift_token=token).first()
    if coupon is None:
        raise Http404(_("This gift has already been taken or has expired."))
    member = current_member(request, merchant)
    if request.method == "POST" or finish_after_login(request, merchant):
        if member is None:
            return ask_to_log_in(request, merchant)
        try:
            received = services.accept_gift(token, member)
        except DomainError as error:
            messages.error(request, str(error.message))
        else:
            messages.success(request, _("The gift is in your wallet."))
            return redirect("coupons:detail", merchant.slug, received.code)
    return render(request, "coupons/gift.html", {"merchant": merchant, "member": member, "coupon": coupon,
                                                 "open": services.gift_is_open(coupon),
                                                 "login_url": login_url(merchant, request.path)})


@never_cache
@member_page
def share(request, merchant, token):
    """A fission share link (裂变券): the friend gets their coupon at once and helps unlock the sharer's."""
    sharer = get_object_or_404(Coupon.objects.select_related("template__friend_template"), merchant=merchant,
                               share_token=token)
    member = current_member(request, merchant)
    if request.method == "POST" or finish_after_login(request, merchant):
        if member is None:
            return ask_to_log_in(request, merchant)
        try:
            received = services.claim_through_share(token, member)
        except DomainError as error:
            messages.error(request, str(error.message))
        else:
            messages.success(request, _("The coupon is in your wallet, and your friend is one step closer."))
            return redirect("coupons:detail", merchant.slug, received.code)
    return render(request, "coupons/share.html", {
        "merchant": merchant, "member": member, "sharer": sharer, "template": sharer.template.friend_template,
        "friends": services.friends_helped(sharer), "login_url": login_url(merchant, request.path)})


@never_cache
@member_required
def shelf(request, merchant, member):
    """积分兑换: coupons a member can buy with points."""
    templates = (CouponTemplate.objects.filter(merchant=merchant, status=CouponTemplate.Status.ACTIVE,
                                               points_price__gt=0)
                 .exclude(audience=CouponTemplate.Audience.HIDDEN).order_by("points_price", "pk"))
    if request.method == "POST":
        chosen = request.POST.get("template", "")
        template = get_object_or_404(templates, pk=int(chosen) if chosen.isdigit() else 0)
        try:
            coupon = services.exchange_points_for_coupon(template, member)
        except DomainError as error:
            messages.error(request, str(error.message))
        else:
            messages.success(request, _("The coupon is in your wallet."))
            return redirect("coupons:detail", merchant.slug, coupon.code)
    try:
        points = member.membership_card.points
    except ObjectDoesNotExist:
        points = 0
    return render(request, "coupons/shelf.html", {"merchant": merchant, "member": member, "templates": templates,
                                                  "points": points})
