"""Terminal API: cash recharges (idempotent) and balances, scoped to the terminal's merchant."""

from decimal import Decimal

import pytest
from django.urls import reverse

from tests.wallet.helpers import balances, enable_stored_value
from wallet.models import Recharge, RechargeOffer, WalletEntry

D = Decimal
RECHARGES = reverse("api:wallet-recharge")


@pytest.fixture
def enabled(tenant_a):
    enable_stored_value(tenant_a.merchant, max_recharge=D("5000.00"))
    RechargeOffer.objects.create(merchant=tenant_a.merchant, name="500+50", pay_amount=D("500.00"),
                                 bonus_value=D("50.00"))
    return tenant_a


def test_cash_recharge_through_the_api(enabled):
    response = enabled.api().post(RECHARGES, {"member": enabled.member.pk, "amount": "500.00"}, format="json")
    assert response.status_code == 201, response.json()
    body = response.json()
    assert (body["amount"], body["bonus_now"], body["offer"], body["channel"]) == ("500.00", "50.00", "500+50",
                                                                                 "cash")
    assert body["wallet"]["principal"] == "500.00" and body["wallet"]["bonus"] == "50.00"
    assert body["coupons_given"] == 0
    recharge = Recharge.objects.get()
    assert recharge.terminal == enabled.terminal and recharge.store == enabled.store


def test_a_retry_with_the_same_idempotency_key_recharges_once(enabled):
    api = enabled.api()
    payload = {"member": enabled.member.pk, "amount": "100.00"}
    first = api.post(RECHARGES, payload, format="json", HTTP_IDEMPOTENCY_KEY="r-1")
    again = api.post(RECHARGES, payload, format="json", HTTP_IDEMPOTENCY_KEY="r-1")
    assert first.status_code == again.status_code == 201 and first.json() == again.json()
    assert again.headers["Idempotent-Replayed"] == "true"
    assert Recharge.objects.count() == 1 and balances(enabled.member)[0] == D("100.00")
    changed = api.post(RECHARGES, {**payload, "amount": "200.00"}, format="json", HTTP_IDEMPOTENCY_KEY="r-1")
    assert changed.status_code == 422


@pytest.mark.parametrize(("amount", "code"), [
    ("-1", "amount_not_positive"), ("0", "amount_not_positive"), ("1.001", "amount_too_precise"),
    ("abc", "amount_invalid"), ("5000.01", "amount_too_large"), (12.5, None),
])
def test_bad_amounts_are_refused_and_nothing_changes(enabled, amount, code):
    response = enabled.api().post(RECHARGES, {"member": enabled.member.pk, "amount": amount}, format="json")
    if code is None:
        # A JSON number is accepted when it is exact (12.5 is 12.50).
        assert response.status_code == 201
        return
    assert response.status_code == 400 and response.json()["error"]["code"] == code, response.json()
    assert response.json()["error"]["field"] == "amount"
    assert not Recharge.objects.exists() and not WalletEntry.objects.exists()


def test_recharge_refused_while_stored_value_is_off(tenant_a):
    response = tenant_a.api().post(RECHARGES, {"member": tenant_a.member.pk, "amount": "10.00"}, format="json")
    assert response.status_code == 400 and response.json()["error"]["code"] == "stored_value_off"


def test_another_merchants_terminal_gets_nothing(enabled, tenant_b):
    enable_stored_value(tenant_b.merchant)
    response = tenant_b.api().post(RECHARGES, {"member": enabled.member.pk, "amount": "10.00"}, format="json")
    assert response.status_code == 404
    assert not Recharge.objects.exists()
    balance = tenant_b.api().get(reverse("api:wallet-balance", args=[enabled.member.pk]))
    assert balance.status_code == 404


def test_balance_and_member_lookup_show_the_wallet(enabled):
    enabled.api().post(RECHARGES, {"member": enabled.member.pk, "amount": "500.00"}, format="json")
    balance = enabled.api().get(reverse("api:wallet-balance", args=[enabled.member.pk])).json()
    assert balance == {"principal": "500.00", "bonus": "50.00", "cashback": "0.00", "stored_value": "550.00"}
    lookup = enabled.api().get(reverse("api:member-lookup"), {"phone": enabled.member.phone})
    assert lookup.json()["wallet"]["stored_value"] == "550.00"


def test_without_a_terminal_key_nothing_happens(enabled, client):
    response = client.post(RECHARGES, {"member": enabled.member.pk, "amount": "10.00"},
                           content_type="application/json")
    assert response.status_code in (401, 403)
    assert not Recharge.objects.exists()
