"""Staff screens: the liability, cash recharges by cashiers, refunds by managers only, the stored-value switch."""

from decimal import Decimal

from django.urls import reverse

from merchants.roles import sync_role_groups
from tests.conftest import staff_client
from tests.wallet.helpers import balances, enable_stored_value
from wallet import services
from wallet.models import Recharge, RechargeOffer, WalletSettings

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
