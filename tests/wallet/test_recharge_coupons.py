"""Coupons given with a recharge (充值送券): five at most, given when the money is in, voided on refund."""

from decimal import Decimal

import pytest
from django.urls import reverse

from coupons import services as coupons
from coupons.models import Coupon
from loyalty import payments
from merchants.roles import sync_role_groups
from tests.conftest import staff_client
from tests.coupons.helpers import make_template
from tests.wallet.helpers import assert_audit_clean, enable_stored_value, log_in_member
from wallet import services
from wallet.models import RechargeCoupon, RechargeOffer, RechargeOfferCoupon

D = Decimal


def _offer_with_coupons(merchant, *lines, pay="100.00"):
    offer = RechargeOffer.objects.create(merchant=merchant, name="100 + coupons", pay_amount=D(pay),
                                         bonus_value=D("10.00"))
    for template, quantity in lines:
        RechargeOfferCoupon.objects.create(merchant=merchant, offer=offer, template=template, quantity=quantity)
    return offer


def _held(member):
    return Coupon.objects.filter(member=member)


@pytest.fixture
def two_templates(tenant_a):
    enable_stored_value(tenant_a.merchant)
    return (make_template(tenant_a.merchant, name="10 off", per_member_limit=0),
            make_template(tenant_a.merchant, name="free coffee", per_member_limit=0, kind="exchange",
                          amount_off=None, exchange_item="coffee"))


def test_cash_recharge_gives_the_offers_coupons(tenant_a, two_templates):
    ten_off, coffee = two_templates
    _offer_with_coupons(tenant_a.merchant, (ten_off, 2), (coffee, 1))
    recharge = services.recharge(tenant_a.member, "100.00", store=tenant_a.store)
    assert recharge.coupons_given == 3
    assert sorted(_held(tenant_a.member).values_list("template__name", flat=True)) == ["10 off", "10 off",
                                                                                        "free coffee"]
    assert set(_held(tenant_a.member).values_list("state", flat=True)) == {Coupon.State.AVAILABLE}
    assert RechargeCoupon.objects.filter(recharge=recharge).count() == 3
    ten_off.refresh_from_db()
    assert ten_off.issued_count == 2


def test_a_recharge_below_the_offer_gets_no_coupons(tenant_a, two_templates):
    _offer_with_coupons(tenant_a.merchant, (two_templates[0], 1))
    assert services.recharge(tenant_a.member, "99.99").coupons_given == 0
    assert not _held(tenant_a.member).exists()


def test_online_recharge_gives_coupons_once_when_the_payment_is_confirmed(tenant_a, two_templates):
    _offer_with_coupons(tenant_a.merchant, (two_templates[0], 1))
    recharge, payment = services.start_online_recharge(tenant_a.member, "100.00")
    assert not _held(tenant_a.member).exists()
    gateway = payments.SandboxGateway()
    for _ in range(2):
        payments.handle_callback(gateway, gateway.callback_params(payment, paid=True))
    recharge.refresh_from_db()
    assert recharge.coupons_given == 1 and _held(tenant_a.member).count() == 1


def test_a_failed_online_recharge_gives_no_coupons(tenant_a, two_templates):
    _offer_with_coupons(tenant_a.merchant, (two_templates[0], 1))
    _recharge, payment = services.start_online_recharge(tenant_a.member, "100.00")
    gateway = payments.SandboxGateway()
    payments.handle_callback(gateway, gateway.callback_params(payment, paid=False))
    assert not _held(tenant_a.member).exists()


def test_a_coupon_that_cannot_be_given_is_skipped_and_the_recharge_goes_on(tenant_a, two_templates):
    ten_off, coffee = two_templates
    coupons.set_template_stock(ten_off, 1)
    coupons.set_template_status(coffee, "paused")
    _offer_with_coupons(tenant_a.merchant, (ten_off, 3), (coffee, 1))
    recharge = services.recharge(tenant_a.member, "100.00")
    assert recharge.coupons_given == 1 and recharge.bonus_now == D("10.00")
    assert services.wallet_summary(tenant_a.member)["principal"] == D("100.00")
    assert_audit_clean(tenant_a.merchant)


def test_never_more_than_five_coupons_even_if_the_rows_say_more(tenant_a, two_templates):
    ten_off, coffee = two_templates
    _offer_with_coupons(tenant_a.merchant, (ten_off, 4), (coffee, 4))
    assert services.recharge(tenant_a.member, "100.00").coupons_given == 5
    assert _held(tenant_a.member).count() == 5


def test_refund_voids_the_unused_coupons_and_leaves_used_ones_used(tenant_a, two_templates):
    ten_off, coffee = two_templates
    _offer_with_coupons(tenant_a.merchant, (ten_off, 2), (coffee, 1))
    recharge = services.recharge(tenant_a.member, "100.00", store=tenant_a.store)
    used = _held(tenant_a.member).filter(template=ten_off).first()
    coupons.redeem_coupon(used, bill_amount=D("120.00"), store=tenant_a.store)
    preview = services.refund_preview(recharge)
    assert (preview.coupons_voided, preview.coupons_kept) == (2, 1)
    done = services.refund_recharge(recharge)
    assert done.coupons_voided == 2
    states = dict(_held(tenant_a.member).values_list("pk", "state"))
    assert states.pop(used.pk) == Coupon.State.USED
    assert set(states.values()) == {Coupon.State.VOID}
    assert services.refund_preview(recharge).coupons_voided == 0


def test_a_refund_that_fails_voids_nothing(tenant_a, two_templates):
    _offer_with_coupons(tenant_a.merchant, (two_templates[0], 1))
    recharge = services.recharge(tenant_a.member, "100.00")
    services.debit_wallet(tenant_a.member, "110.00", reference="ALL")
    with pytest.raises(Exception):  # noqa: B017 - nothing of the recharge is left to refund
        services.refund_recharge(recharge)
    assert _held(tenant_a.member).get().state == Coupon.State.AVAILABLE


def _offer_form(merchant, lines, **extra):
    data = {"name": "Coupons", "pay_amount": "100.00", "bonus_kind": "fixed", "bonus_value": "0",
            "monthly_bonus": "0", "monthly_bonus_months": "0",
            "is_active": "on", "merchant": merchant.pk,
            "benefits-TOTAL_FORMS": str(len(lines)), "benefits-INITIAL_FORMS": "0",
            "benefits-MIN_NUM_FORMS": "0", "benefits-MAX_NUM_FORMS": "1000"}
    for n, (template, quantity) in enumerate(lines):
        data[f"benefits-{n}-kind"] = "coupon"
        data[f"benefits-{n}-template"] = template.pk
        data[f"benefits-{n}-quantity"] = str(quantity)
        data[f"benefits-{n}-amount"] = "0"
        data[f"benefits-{n}-position"] = str(n)
    data.update(extra)
    return data


def test_offer_admin_takes_up_to_five_coupons(client, tenant_a, two_templates):
    sync_role_groups()
    ten_off, coffee = two_templates
    staff_client(client, tenant_a.owner)
    url = reverse("admin:wallet_rechargeoffer_add")
    response = client.post(url, _offer_form(tenant_a.merchant, [(ten_off, 3), (coffee, 3)]))
    assert response.status_code == 200 and not RechargeOffer.objects.exists()
    assert "5" in str(response.context["inline_admin_formsets"][0].formset.non_form_errors())
    response = client.post(url, _offer_form(tenant_a.merchant, [(ten_off, 3), (coffee, 2)]))
    assert response.status_code == 302, response.context and response.context["errors"]
    offer = RechargeOffer.objects.get()
    assert offer.merchant == tenant_a.merchant
    assert sorted(offer.coupons.values_list("quantity", "merchant_id")) == [(2, tenant_a.merchant.pk),
                                                                           (3, tenant_a.merchant.pk)]


def test_offer_admin_refuses_another_merchants_coupon_and_more_than_the_member_may_hold(client, tenant_a, tenant_b,
                                                                                       two_templates):
    sync_role_groups()
    foreign = make_template(tenant_b.merchant, name="theirs")
    limited = make_template(tenant_a.merchant, name="one each", per_member_limit=1)
    staff_client(client, tenant_a.owner)
    url = reverse("admin:wallet_rechargeoffer_add")
    response = client.post(url, _offer_form(tenant_a.merchant, [(foreign, 1)]))
    assert response.status_code == 200
    choices = response.context["inline_admin_formsets"][0].formset.forms[0].fields["template"].queryset
    assert foreign not in choices and two_templates[0] in choices
    response = client.post(url, _offer_form(tenant_a.merchant, [(limited, 2)]))
    assert response.status_code == 200 and not RechargeOffer.objects.exists()
    assert "quantity" in response.context["inline_admin_formsets"][0].formset.forms[0].errors


def test_wallet_page_lists_the_coupons_an_offer_gives(client, tenant_a, two_templates):
    _offer_with_coupons(tenant_a.merchant, (two_templates[1], 2))
    log_in_member(client, tenant_a.member)
    html = client.get(reverse("wallet:home", args=[tenant_a.merchant.slug])).content.decode()
    assert "free coffee ×2" in html


def test_the_operator_cannot_mix_merchants_in_an_offer(client, operator, tenant_a, tenant_b, two_templates):
    foreign = make_template(tenant_b.merchant, name="theirs")
    client.force_login(operator)
    response = client.post(reverse("admin:wallet_rechargeoffer_add"), _offer_form(tenant_a.merchant, [(foreign, 1)]))
    assert response.status_code == 200 and not RechargeOffer.objects.exists()
    assert "template" in response.context["inline_admin_formsets"][0].formset.forms[0].errors
    response = client.post(reverse("admin:wallet_rechargeoffer_add"),
                           _offer_form(tenant_a.merchant, [(two_templates[0], 1)]))
    assert response.status_code == 302
    assert RechargeOfferCoupon.objects.get().merchant == tenant_a.merchant
