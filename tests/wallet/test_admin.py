"""Staff screens: the liability, cash recharges by cashiers, refunds by managers only, the stored-value switch."""

from decimal import Decimal

import pytest
from django.urls import reverse

from loyalty.errors import DomainError
from merchants.roles import sync_role_groups
from tests.conftest import staff_client
from tests.wallet.helpers import balances, enable_stored_value
from wallet import services
from wallet.models import Recharge, RechargeOffer, RedPacketCampaign, WalletSettings

D = Decimal


def _setup(tenant):
    sync_role_groups()
    enable_stored_value(tenant.merchant)
    RechargeOffer.objects.create(merchant=tenant.merchant, name="100+10", pay_amount=D("100.00"),
                                 bonus_value=D("10.00"))


def test_wallet_list_shows_the_liability_per_store_and_in_total(client, tenant_a, tenant_b):
    _setup(tenant_a)
    enable_stored_value(tenant_b.merchant)
    services.recharge(tenant_a.member, "100.00", store=tenant_a.store)
    services.recharge(tenant_a.member, "30.00", store=tenant_a.other_store)
    services.recharge(tenant_b.member, "999.00", store=tenant_b.store)
    staff_client(client, tenant_a.owner)
    page = client.get(reverse("admin:wallet_wallet_changelist"))
    liability = page.context["liability"]
    assert (liability["principal"], liability["bonus"], liability["total"]) == (D("130.00"), D("10.00"),
                                                                                D("140.00"))
    html = page.content.decode()
    assert 'id="liability"' in html and tenant_a.other_store.name in html and "999.00" not in html


def test_cashier_records_a_cash_recharge(client, tenant_a):
    _setup(tenant_a)
    staff_client(client, tenant_a.cashier)
    url = reverse("admin:wallet_recharge_record")
    assert client.get(url).status_code == 200
    response = client.post(url, {"phone": tenant_a.member.phone, "store": tenant_a.other_store.pk,
                                 "amount": "100.00"})
    assert response.status_code == 302
    recharge = Recharge.objects.get()
    assert recharge.staff == tenant_a.cashier.user and recharge.store == tenant_a.other_store
    assert balances(tenant_a.member) == (D("100.00"), D("10.00"), D("0.00"))


def test_cash_recharge_form_refuses_bad_amounts_and_other_merchants(client, tenant_a, tenant_b):
    _setup(tenant_a)
    staff_client(client, tenant_a.cashier)
    url = reverse("admin:wallet_recharge_record")
    for amount in ["-1", "0", "1.234", "abc"]:
        response = client.post(url, {"phone": tenant_a.member.phone, "store": tenant_a.store.pk, "amount": amount})
        assert response.status_code == 200 and response.context["form"].errors
    response = client.post(url, {"phone": tenant_b.member.phone, "store": tenant_a.store.pk, "amount": "10"})
    assert "phone" in response.context["form"].errors
    response = client.post(url, {"phone": tenant_a.member.phone, "store": tenant_b.store.pk, "amount": "10"})
    assert "store" in response.context["form"].errors
    assert not Recharge.objects.exists()


def test_refunds_are_for_managers_and_show_the_rules_first(client, tenant_a):
    _setup(tenant_a)
    recharge = services.recharge(tenant_a.member, "100.00", store=tenant_a.store)
    services.debit_wallet(tenant_a.member, "40.00", reference="PAY-1")
    url = reverse("admin:wallet_recharge_refund", args=[recharge.pk])
    staff_client(client, tenant_a.cashier)
    assert client.get(url).status_code == 403
    assert client.post(url).status_code == 403
    staff_client(client, tenant_a.manager)
    page = client.get(url)
    assert page.status_code == 200 and 'id="refund-rules"' in page.content.decode()
    assert (page.context["preview"].principal, page.context["preview"].bonus_taken_back) == (D("70.00"), D("0.00"))
    assert client.post(url).status_code == 302
    recharge.refresh_from_db()
    assert recharge.status == Recharge.Status.REFUNDED and recharge.refunded_principal == D("70.00")
    assert balances(tenant_a.member) == (D("0.00"), D("0.00"), D("0.00"))


def test_refund_of_another_merchants_recharge_is_not_found(client, tenant_a, tenant_b):
    _setup(tenant_a)
    recharge = services.recharge(tenant_a.member, "100.00")
    staff_client(client, tenant_b.owner)
    assert client.post(reverse("admin:wallet_recharge_refund", args=[recharge.pk])).status_code == 404
    recharge.refresh_from_db()
    assert recharge.status == Recharge.Status.PAID


def test_stored_value_cannot_be_switched_off_in_the_admin_while_held(client, tenant_a):
    _setup(tenant_a)
    services.recharge(tenant_a.member, "100.00")
    settings = WalletSettings.objects.get(merchant=tenant_a.merchant)
    staff_client(client, tenant_a.owner)
    response = client.post(reverse("admin:wallet_walletsettings_change", args=[settings.pk]), {
        "merchant": tenant_a.merchant.pk, "draw_order": "bonus_first", "offers_after_payment": "never",
        "max_recharge": "50000.00", "cashback_expiry_days": "90", "balance_tier_stacks": "on"})
    assert response.status_code == 200
    assert "stored_value_enabled" in response.context["adminform"].form.errors
    assert WalletSettings.objects.get(pk=settings.pk).stored_value_enabled


def _post_add(client, model, data):
    return client.post(reverse(f"admin:wallet_{model}_add"), data)


OFFER = {"name": "Spring", "pay_amount": "100.00", "bonus_kind": "fixed", "bonus_value": "10.00",
         "monthly_bonus": "0", "monthly_bonus_months": "0", "is_active": "on",
         "benefits-TOTAL_FORMS": "0", "benefits-INITIAL_FORMS": "0", "benefits-MIN_NUM_FORMS": "0",
         "benefits-MAX_NUM_FORMS": "1000"}
PACKET = {"name": "Spring", "trigger": "link", "amount_kind": "random", "amount": "1.00", "max_amount": "5.00",
          "budget": "100.00", "per_member_limit": "1", "is_active": "on"}


@pytest.mark.parametrize(("model", "base", "changes", "field"), [
    ("rechargeoffer", OFFER, {"starts_at_0": "2026-01-01", "starts_at_1": "10:00:00"}, None),
    ("rechargeoffer", OFFER, {"starts_at_0": "2026-01-02", "starts_at_1": "10:00:00", "ends_at_0": "2026-01-01",
                              "ends_at_1": "10:00:00"}, "ends_at"),
    ("rechargeoffer", OFFER, {"bonus_kind": "percent", "bonus_value": "150"}, "bonus_value"),
    ("rechargeoffer", OFFER, {"pay_amount": "-100"}, "pay_amount"),
    ("rechargeoffer", OFFER, {"pay_amount": "0"}, "pay_amount"),
    ("rechargeoffer", OFFER, {"pay_amount": "100.001"}, "pay_amount"),
    ("rechargeoffer", OFFER, {"bonus_value": "-1"}, "bonus_value"),
    ("rechargeoffer", OFFER, {"monthly_bonus": "10.00"}, "monthly_bonus_months"),
    ("redpacketcampaign", PACKET, {"max_amount": ""}, "max_amount"),
    ("redpacketcampaign", PACKET, {"max_amount": "0.50"}, "max_amount"),
    ("redpacketcampaign", PACKET, {"budget": "0.50"}, "budget"),
    ("redpacketcampaign", PACKET, {"amount": "0"}, "amount"),
    ("redpacketcampaign", PACKET, {"budget": "1.005"}, "budget"),
    ("redpacketcampaign", PACKET, {"per_member_limit": "0"}, "per_member_limit"),
    ("balancetier", {"min_balance": "100.00", "discount_percent": "80", "is_active": "on"},
     {"ends_at_0": "2026-01-01", "ends_at_1": "10:00:00"}, None),
    ("balancetier", {"min_balance": "100.00", "discount_percent": "80", "is_active": "on"},
     {"discount_percent": "0"}, "discount_percent"),
    ("cashbackrule", {"percent": "5", "cap_per_payment": "0", "is_active": "on"}, {"percent": "100.01"}, "percent"),
    ("cashbackrule", {"percent": "5", "cap_per_payment": "0", "is_active": "on"}, {"cap_per_payment": "-1"},
     "cap_per_payment"),
])
def test_bad_configuration_is_refused_with_a_message_and_nothing_saved(client, tenant_a, model, base, changes,
                                                                      field):
    sync_role_groups()
    staff_client(client, tenant_a.owner)
    response = _post_add(client, model, {**base, **changes})
    assert response.status_code == 200
    errors = response.context["adminform"].form.errors
    assert errors and (field is None or field in errors), errors
    model_class = response.context["adminform"].form._meta.model
    assert not model_class.objects.exists()


def test_good_configuration_is_saved_for_the_staff_members_merchant(client, tenant_a):
    sync_role_groups()
    staff_client(client, tenant_a.owner)
    assert _post_add(client, "redpacketcampaign", PACKET).status_code == 302
    assert _post_add(client, "rechargeoffer", {**OFFER, "starts_at_0": "2026-01-01", "starts_at_1": "10:00:00",
                                               "ends_at_0": "2026-01-02", "ends_at_1": "10:00:00"}).status_code == 302
    assert RechargeOffer.objects.get().merchant == tenant_a.merchant


def test_the_stored_value_switch_shows_the_services_message(client, tenant_a):
    _setup(tenant_a)
    services.recharge(tenant_a.member, "100.00")
    settings = WalletSettings.objects.get(merchant=tenant_a.merchant)
    staff_client(client, tenant_a.owner)
    data = {"merchant": tenant_a.merchant.pk, "draw_order": "bonus_first", "offers_after_payment": "never",
            "max_recharge": "50000.00", "cashback_expiry_days": "90"}
    response = client.post(reverse("admin:wallet_walletsettings_change", args=[settings.pk]), data,
                           HTTP_ACCEPT_LANGUAGE="en")
    with pytest.raises(DomainError) as error:
        services.check_stored_value_can_be_turned_off(tenant_a.merchant)
    assert response.context["adminform"].form.errors["stored_value_enabled"] == [str(error.value.message)]
    assert str(error.value.message) in response.content.decode()


def test_cash_recharge_above_the_configured_maximum_is_refused(client, tenant_a):
    _setup(tenant_a)
    settings = WalletSettings.objects.get(merchant=tenant_a.merchant)
    settings.max_recharge = D("1000.00")
    settings.save()
    staff_client(client, tenant_a.cashier)
    response = client.post(reverse("admin:wallet_recharge_record"), {
        "phone": tenant_a.member.phone, "store": tenant_a.store.pk, "amount": "1000.01"})
    assert response.status_code == 200 and "1000.00" in str(response.context["form"].errors["amount"])
    assert not Recharge.objects.exists()


def test_the_operator_sees_the_liability_of_every_merchant(client, operator, tenant_a, tenant_b):
    _setup(tenant_a)
    enable_stored_value(tenant_b.merchant)
    services.recharge(tenant_a.member, "100.00", store=tenant_a.store)
    services.recharge(tenant_b.member, "999.00", store=tenant_b.store)
    client.force_login(operator)
    liability = client.get(reverse("admin:wallet_wallet_changelist")).context["liability"]
    assert liability["total"] == D("1109.00")
    assert {row["store"] for row in liability["by_store"]} == {
        f"{tenant_a.merchant.name} / {tenant_a.store.name}", f"{tenant_b.merchant.name} / {tenant_b.store.name}"}


def test_a_red_packet_budget_cannot_go_below_what_was_given(client, tenant_a):
    sync_role_groups()
    campaign = RedPacketCampaign.objects.create(merchant=tenant_a.merchant, name="Spring", trigger="link",
                                                amount=D("1.00"), budget=D("10.00"), per_member_limit=3)
    for _ in range(3):
        services.claim_red_packet(campaign, tenant_a.member)
    staff_client(client, tenant_a.owner)
    data = {**PACKET, "amount_kind": "fixed", "amount": "1.00", "max_amount": "", "budget": "2.00",
            "per_member_limit": "3"}
    response = client.post(reverse("admin:wallet_redpacketcampaign_change", args=[campaign.pk]), data)
    assert response.status_code == 200 and "budget" in response.context["adminform"].form.errors
    campaign.refresh_from_db()
    assert campaign.budget == D("10.00")
