"""The payment gateway interface and its sandbox, with a purpose of the test's own (no business app)."""

from decimal import Decimal

import pytest
from django.urls import reverse

from loyalty import payments
from loyalty.errors import DomainError
from loyalty.models import GatewayPayment

D = Decimal
PURPOSE = "test_purchase"
FULFILLED: list[int] = []
FAILED: list[int] = []
payments.register_purpose(PURPOSE, lambda payment: FULFILLED.append(payment.pk),
                          lambda payment: FAILED.append(payment.pk))


@pytest.fixture
def payment(tenant_a):
    FULFILLED.clear()
    FAILED.clear()
    return payments.start_payment(tenant_a.merchant, amount=D("8.80"), purpose=PURPOSE, reference="x1",
                                  member=tenant_a.member, return_url="/back/")


def _callback(payment, *, paid=True, **changes):
    params = payments.SandboxGateway().callback_params(payment, paid=paid)
    params.update(changes)
    return params


def _signed(**params):
    params["sign"] = payments.SandboxGateway.sign(params)
    return params


def test_a_signed_callback_pays_and_fulfils_the_purpose_once(client, payment):
    for _ in range(3):
        response = client.post(reverse("payments:callback"), _callback(payment))
        assert response.status_code == 200 and response.content == b"success"
    payment.refresh_from_db()
    assert payment.status == GatewayPayment.Status.PAID and payment.paid_at is not None
    assert payment.gateway_trade_no == f"SBX{payment.out_trade_no}"
    assert FULFILLED == [payment.pk]


def test_a_callback_signed_with_another_secret_is_refused(client, payment, settings):
    settings.PAYMENT_SANDBOX_SECRET = "someone-elses-secret"
    forged = _callback(payment)
    settings.PAYMENT_SANDBOX_SECRET = "the-real-secret"
    response = client.post(reverse("payments:callback"), forged)
    assert response.status_code == 403 and response.json()["error"]["code"] == "payment_signature_invalid"
    payment.refresh_from_db()
    assert payment.status == GatewayPayment.Status.PENDING and not FULFILLED


@pytest.mark.parametrize("changes", [{"status": "SUCCESS", "amount": "0.01"}, {"trade_no": "OTHER"},
                                     {"out_trade_no": "SOMEONE-ELSES"}])
def test_a_tampered_callback_is_refused(client, payment, changes):
    response = client.post(reverse("payments:callback"), _callback(payment, **changes))
    assert response.status_code == 403
    assert not FULFILLED


def test_a_callback_missing_fields_is_refused(client, payment):
    response = client.post(reverse("payments:callback"), {"out_trade_no": payment.out_trade_no})
    assert response.status_code == 400 and response.json()["error"]["code"] == "payment_signature_invalid"


def test_malformed_json_is_refused(client, payment):
    for body in ["{not json", "[1, 2]"]:
        response = client.post(reverse("payments:callback"), body, content_type="application/json")
        assert response.status_code == 400 and response.json()["error"]["code"] == "malformed_request"


def test_a_correctly_signed_wrong_amount_is_refused(client, payment):
    params = _signed(out_trade_no=payment.out_trade_no, trade_no="T1", status="SUCCESS", amount="8.81")
    response = client.post(reverse("payments:callback"), params)
    assert response.status_code == 409 and response.json()["error"]["code"] == "payment_amount_mismatch"
    payment.refresh_from_db()
    assert payment.status == GatewayPayment.Status.PENDING and not FULFILLED


def test_a_signed_callback_for_an_unknown_payment_is_not_found(client, payment):
    params = _signed(out_trade_no="NOPE", trade_no="T1", status="SUCCESS", amount="8.80")
    response = client.post(reverse("payments:callback"), params)
    assert response.status_code == 404 and response.json()["error"]["code"] == "payment_not_found"


def test_one_gateway_trade_number_pays_one_payment(client, payment, tenant_a):
    other = payments.start_payment(tenant_a.merchant, amount=D("8.80"), purpose=PURPOSE)
    first = _signed(out_trade_no=payment.out_trade_no, trade_no="T-SAME", status="SUCCESS", amount="8.80")
    again = _signed(out_trade_no=other.out_trade_no, trade_no="T-SAME", status="SUCCESS", amount="8.80")
    assert client.post(reverse("payments:callback"), first).status_code == 200
    response = client.post(reverse("payments:callback"), again)
    assert response.status_code == 409 and response.json()["error"]["code"] == "payment_trade_number_used"
    other.refresh_from_db()
    assert other.status == GatewayPayment.Status.PENDING and FULFILLED == [payment.pk]


def test_a_failed_payment_stays_failed_and_a_paid_one_stays_paid(client, payment, tenant_a):
    assert client.post(reverse("payments:callback"), _callback(payment, paid=False)).status_code == 200
    assert FAILED == [payment.pk]
    response = client.post(reverse("payments:callback"), _callback(payment))
    assert response.status_code == 409 and response.json()["error"]["code"] == "payment_already_failed"
    paid = payments.start_payment(tenant_a.merchant, amount=D("1.00"), purpose=PURPOSE)
    client.post(reverse("payments:callback"), _callback(paid))
    assert client.post(reverse("payments:callback"), _callback(paid, paid=False)).status_code == 200
    paid.refresh_from_db()
    assert paid.status == GatewayPayment.Status.PAID and FULFILLED == [paid.pk]


def test_the_sandbox_page_pays_or_fails_and_returns(client, payment, tenant_a):
    url = payments.checkout_url(payment)
    page = client.get(url)
    assert page.status_code == 200 and "8.80" in page.content.decode()
    response = client.post(url, {"outcome": "pay"})
    assert response.status_code == 302 and response["Location"] == "/back/"
    assert client.post(url, {"outcome": "pay"}).status_code == 200  # already paid: shown, not paid again
    assert FULFILLED == [payment.pk]
    failing = payments.start_payment(tenant_a.merchant, amount=D("2.00"), purpose=PURPOSE)
    client.post(payments.checkout_url(failing), {"outcome": "fail"})
    failing.refresh_from_db()
    assert failing.status == GatewayPayment.Status.FAILED and FAILED == [failing.pk]


def test_the_sandbox_page_of_an_unknown_payment_is_not_found(client, db):
    assert client.get(reverse("payments:sandbox", args=["NOPE"])).status_code == 404


class ElsewhereGateway(payments.PaymentGateway):
    """A gateway whose payers pay on its own site, as a real one does."""

    name = "elsewhere"

    def checkout_url(self, payment):
        return f"https://pay.invalid/{payment.out_trade_no}"

    def parse_callback(self, params):
        raise DomainError("payment_callback_invalid", "not used here")


def test_the_sandbox_page_is_gone_when_a_real_gateway_is_configured(client, payment, settings):
    settings.PAYMENT_GATEWAY = "tests.loyalty.test_payments.ElsewhereGateway"
    assert client.get(reverse("payments:sandbox", args=[payment.out_trade_no])).status_code == 404
    assert client.post(reverse("payments:sandbox", args=[payment.out_trade_no]), {"outcome": "pay"}).status_code == 404


@pytest.mark.parametrize("amount", [D("0.00"), D("-1.00")])
def test_a_payment_must_be_for_something(tenant_a, amount):
    with pytest.raises(DomainError) as error:
        payments.start_payment(tenant_a.merchant, amount=amount, purpose=PURPOSE)
    assert error.value.code == "amount_not_positive"
    assert not GatewayPayment.objects.exists()


def test_unknown_purposes_are_refused(tenant_a):
    with pytest.raises(DomainError) as error:
        payments.start_payment(tenant_a.merchant, amount=D("1.00"), purpose="nobody_owns_this")
    assert error.value.code == "payment_purpose_unknown"


def test_trade_numbers_are_unique_and_unguessable(tenant_a):
    numbers = {payments.new_trade_number() for _ in range(200)}
    assert len(numbers) == 200 and all(len(number) == 30 for number in numbers)
