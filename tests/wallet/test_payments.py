"""Recharges through the payment gateway: a signed callback credits the wallet exactly once, a forged one nothing.

The gateway itself (purposes, signatures, the sandbox page) is tested in tests/loyalty/test_payments.py.
"""

from decimal import Decimal

import pytest
from django.urls import reverse

from loyalty import payments
from loyalty.models import GatewayPayment
from tests.wallet.helpers import balances, enable_stored_value
from wallet import services
from wallet.models import Recharge, RechargeOffer, WalletEntry

D = Decimal


@pytest.fixture
def pending(tenant_a):
    enable_stored_value(tenant_a.merchant)
    RechargeOffer.objects.create(merchant=tenant_a.merchant, name="100+20", pay_amount=D("100.00"),
                                 bonus_value=D("20.00"))
    recharge, payment = services.start_online_recharge(tenant_a.member, "100.00")
    return recharge, payment


def _signed(payment, **changes):
    params = payments.SandboxGateway().callback_params(payment, paid=True)
    params.update(changes)
    return params


def test_signed_callback_marks_paid_and_fulfils_the_recharge(client, pending, tenant_a):
    recharge, payment = pending
    assert recharge.status == Recharge.Status.PENDING and balances(tenant_a.member) == (0, 0, 0)
    response = client.post(reverse("payments:callback"), _signed(payment))
    assert response.status_code == 200 and response.content == b"success"
    payment.refresh_from_db()
    recharge.refresh_from_db()
    assert payment.status == GatewayPayment.Status.PAID and payment.gateway_trade_no
    assert recharge.status == Recharge.Status.PAID
    assert balances(tenant_a.member) == (D("100.00"), D("20.00"), D("0.00"))


def test_replayed_callback_pays_once(client, pending, tenant_a):
    _recharge, payment = pending
    for _ in range(3):
        assert client.post(reverse("payments:callback"), _signed(payment)).status_code == 200
    assert balances(tenant_a.member) == (D("100.00"), D("20.00"), D("0.00"))
    assert WalletEntry.objects.filter(reason="recharge").count() == 1


def test_json_callbacks_are_read_too(client, pending, tenant_a):
    _recharge, payment = pending
    response = client.post(reverse("payments:callback"), _signed(payment), content_type="application/json")
    assert response.status_code == 200
    assert balances(tenant_a.member)[0] == D("100.00")


@pytest.mark.parametrize(("changes", "status", "code"), [
    ({"sign": "0" * 64}, 403, "payment_signature_invalid"),
    ({"amount": "1.00"}, 403, "payment_signature_invalid"),
    ({"sign": ""}, 403, "payment_signature_invalid"),
])
def test_forged_callbacks_are_refused_and_nothing_changes(client, pending, tenant_a, changes, status, code):
    _recharge, payment = pending
    response = client.post(reverse("payments:callback"), _signed(payment, **changes))
    assert response.status_code == status and response.json()["error"]["code"] == code
    payment.refresh_from_db()
    assert payment.status == GatewayPayment.Status.PENDING and not WalletEntry.objects.exists()


def test_a_correctly_signed_wrong_amount_is_refused(client, pending):
    _recharge, payment = pending
    params = {"out_trade_no": payment.out_trade_no, "trade_no": "T1", "status": "SUCCESS", "amount": "99.00"}
    params["sign"] = payments.SandboxGateway.sign(params)
    response = client.post(reverse("payments:callback"), params)
    assert response.status_code == 409 and response.json()["error"]["code"] == "payment_amount_mismatch"
    assert not WalletEntry.objects.exists()


def test_a_failed_payment_fails_the_recharge_and_cannot_be_paid_later(client, pending, tenant_a):
    recharge, payment = pending
    failed = payments.SandboxGateway().callback_params(payment, paid=False)
    assert client.post(reverse("payments:callback"), failed).status_code == 200
    recharge.refresh_from_db()
    assert recharge.status == Recharge.Status.FAILED
    response = client.post(reverse("payments:callback"), _signed(payment))
    assert response.status_code == 409
    assert balances(tenant_a.member) == (0, 0, 0)


def test_sandbox_page_pays_and_returns_to_the_merchant(client, pending, tenant_a):
    _recharge, payment = pending
    payment.return_url = "/m/alpha/wallet/?recharge=1"
    payment.save()
    page = client.get(payments.checkout_url(payment))
    assert page.status_code == 200 and "100.00" in page.content.decode()
    response = client.post(payments.checkout_url(payment), {"outcome": "pay"})
    assert response.status_code == 302 and response["Location"] == payment.return_url
    assert balances(tenant_a.member)[0] == D("100.00")
