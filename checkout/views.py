"""Member pages for self-pay (自助买单): /m/<merchant>/pay/<store>/, the live quote and the result page."""

from __future__ import annotations

import secrets

from django.contrib import messages
from django.http import Http404, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache

from checkout import services
from checkout.models import Payment
from checkout.serializers import quote_body
from loyalty import payments
from loyalty.errors import DomainError
from loyalty.money import parse_amount
from loyalty.tenders import input_tenders, parse_tender_inputs
from merchants.models import Store
from merchants.views import current_member, login_url, member_page, member_required
from wallet.services import offers_to_show_after_payment


def self_pay_tile(request, member):
    """The 自助买单 tile on the member home page: straight to the store's page when there is one store."""
    stores = list(Store.objects.filter(merchant_id=member.merchant_id, is_open=True).order_by("pk")[:2])
    if not stores:
        return None
    slug = member.merchant.slug
    if len(stores) == 1:
        return {"title": _("Pay a bill"), "value": stores[0].name,
                "url": reverse("checkout:pay", args=[slug, stores[0].pk])}
    return {"title": _("Pay a bill"), "value": _("Choose the store"), "url": reverse("checkout:stores", args=[slug])}


@never_cache
@member_required
def stores(request, merchant, member):
    """Which store the member is paying at, when the merchant has several."""
    return render(request, "checkout/stores.html", {
        "merchant": merchant, "member": member,
        "stores": Store.objects.filter(merchant=merchant, is_open=True).order_by("pk")})


def _bill(request, merchant, member, store) -> services.Bill:
    source = request.POST if request.method == "POST" else request.GET
    store.merchant = merchant
    points = source.get("points") or None
    return services.Bill(store=store, amount=source.get("amount", ""), member=member, payer_phone=member.phone,
                         coupon_code=source.get("coupon_code", ""), points=services.parse_points(points),
                         use_wallet=source.get("use_wallet") in ("1", "on", "true"),
                         bill_id=(source.get("bill_id") or "")[:64],
                         tender_inputs=parse_tender_inputs({tender.request_field: source.getlist(tender.request_field)
                                                            for tender in input_tenders()}))


def _parsed(bill: services.Bill) -> services.Bill:

    bill.amount = parse_amount(bill.amount)
    return bill


@never_cache
@member_required
def self_pay(request, merchant, member, store_id):
    """The amount, the live quote (level, balance tier, points, the best coupon pre-selected) and pay."""
    store = get_object_or_404(Store, pk=store_id, merchant=merchant)
    if request.method == "POST":
        try:
            bill = _parsed(_bill(request, merchant, member, store))
            if bill.coupon_code == "best":
                bill.coupon_code = ""
                services.best_quote(bill)
            payment = services.start_self_pay(bill)
        except DomainError as error:
            messages.error(request, str(error.message))
            return redirect(reverse("checkout:pay", args=[merchant.slug, store.pk]))
        result = reverse("checkout:result", args=[merchant.slug, payment.number])
        if payment.gateway_payment_id:
            gateway_payment = payment.gateway_payment
            gateway_payment.return_url = request.build_absolute_uri(result)
            gateway_payment.save(update_fields=["return_url"])
            return redirect(payments.checkout_url(gateway_payment))
        return redirect(result)
    return render(request, "checkout/pay.html", {
        "merchant": merchant, "member": member, "store": store, "bill_id": secrets.token_hex(8),
        "coupons": services.usable_coupons(member, store), "labels": _labels(),
        # What the member may choose for the tenders that take an input (their gift cards).
        "tender_offers": [(tender.request_field, tender.label, offers) for tender in input_tenders()
                          if (offers := tender.offers(member, store))],
    })


def _labels() -> dict:
    """What the live quote calls each line, in the member's language."""
    return {"level": _("Member discount"), "balance_tier": _("Stored-value discount"), "points": _("Points"),
            "coupon": _("Coupon"), "random": _("Random reduction"), "cashback": _("Cashback"),
            "bonus": _("Wallet bonus"), "principal": _("Wallet"), "external": _("Online payment"),
            "earn": _("You earn {points} points"),
            **{tender.code: str(tender.label) for tender in input_tenders()}}


@never_cache
@member_required
def live_quote(request, merchant, member, store_id):
    """The quote the page shows as the member types: JSON; `coupon_code=best` picks the best coupon."""
    store = get_object_or_404(Store, pk=store_id, merchant=merchant)
    try:
        bill = _parsed(_bill(request, merchant, member, store))
        if bill.coupon_code == "best":
            bill.coupon_code = ""
            quoted, code = services.best_quote(bill)
        else:
            quoted, code = services.quote(bill), bill.coupon_code
    except DomainError as error:
        return JsonResponse({"error": error.as_dict()}, status=400)
    return JsonResponse(quote_body(quoted) | {"coupon_code": code})


@never_cache
@member_page
def result(request, merchant, number):
    """After paying: the payment, the rewards it brought and, where the merchant shows them, recharge offers."""

    member = current_member(request, merchant)
    payment = get_object_or_404(Payment.objects.select_related("store", "member"), merchant=merchant, number=number)
    if payment.member_id and member is None:
        return redirect(login_url(merchant, request.get_full_path()))
    if payment.member_id and member.pk != payment.member_id:
        # Logged in as somebody else: the login page would send them straight back here, forever.
        raise Http404
    grants = list(payment.rewards.select_related("rule"))
    would_get = []
    if payment.member_id is None and not grants:
        # A payer who is not a member sees what members-to-be get, and the button to join and claim it.
        would_get = services.rules_for_payment(payment.store, None, None, paid=payment.earn_basis,
                                               at=payment.created_at, phone=payment.payer_phone)
    ads = [grant.rule for grant in grants if grant.rule.ad_image]
    offers = offers_to_show_after_payment(member) if member is not None and payment.status == Payment.Status.PAID \
        else []
    if payment.status == Payment.Status.FAILED:
        messages.error(request, _("The payment failed; everything held for it was given back."))
    return render(request, "checkout/result.html", {
        "merchant": merchant, "member": member, "payment": payment, "grants": grants, "ads": ads, "offers": offers,
        "would_get": would_get,
        "adjustments": payment.adjustments.all(), "tenders": payment.tenders.all(),
    })


