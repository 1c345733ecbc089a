"""The API contract: the schema describes every body, every endpoint declares its errors and is held to them,
unknown fields are refused, one mistake has one code, and every timestamp is in the merchant's time zone."""

from __future__ import annotations

import datetime
import json
import zoneinfo
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.utils import timezone
from hypothesis import given
from hypothesis import strategies as st
from rest_framework.test import APIClient, APIRequestFactory

from checkout.models import Payment, Refund
from checkout.services import checkout_settings
from checkout.services.webhook import sign
from coupons.models import Coupon, CouponRedemption
from loyalty import errors
from loyalty.api_contract import ContractMixin, ContractView, UndeclaredErrorCode, contract, declared_errors
from loyalty.errors import DomainError, error_codes
from loyalty.models import IdempotencyRecord
from merchants.models import Member
from tests.api.helpers import seed_api_data
from tests.checkout.helpers import fund_wallet
from wallet.models import Recharge

SCHEMA_TAGS = {"members", "checkout", "coupons", "wallet", "cards", "campaigns", "webhooks"}
MONEY_NAMES = {"amount", "bill", "discount", "amount_due", "refunded", "cashback", "cashback_earned", "principal",
               "bonus", "stored_value", "bill_amount", "bonus_now", "bonus_scheduled", "cashback_taken_back",
               "cashback_shortfall"}


@pytest.fixture(scope="module")
def schema(tmp_path_factory) -> dict:
    path = tmp_path_factory.mktemp("schema") / "schema.json"
    # --validate checks the document against the OpenAPI 3 specification; --fail-on-warn refuses any body
    # drf-spectacular had to guess.
    call_command("spectacular", "--validate", "--fail-on-warn", "--format", "openapi-json", "--file", str(path))
    return json.loads(path.read_text())


def _schemas(node, path=""):
    """Every schema object in the document, with where it is."""
    if isinstance(node, dict):
        if "type" in node or "$ref" in node or "oneOf" in node:
            yield path, node
        for key, value in node.items():
            yield from _schemas(value, f"{path}/{key}")
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield from _schemas(value, f"{path}/{index}")


def _operations(schema):
    for path, methods in schema["paths"].items():
        for method, operation in methods.items():
            yield path, method, operation


def test_no_body_is_a_free_form_object(schema):
    for where, node in _schemas(schema):
        if node.get("type") == "object":
            assert node.get("properties") or node.get("additionalProperties") not in (None, True, {}), where
            assert node.get("additionalProperties") not in (True, {}), where


def test_every_amount_is_a_decimal_string_with_its_pattern(schema):
    for where, node in _schemas(schema):
        if node.get("format") == "decimal":
            assert node["type"] == "string" and node["pattern"], where
    for name, component in schema["components"]["schemas"].items():
        for field, spec in component.get("properties", {}).items():
            if field in MONEY_NAMES:
                assert spec.get("format") == "decimal" and spec.get("pattern"), (name, field)


def test_every_operation_has_a_tag_a_typed_answer_and_its_errors_with_their_meaning(schema):
    for path, method, operation in _operations(schema):
        assert operation["tags"] and set(operation["tags"]) <= SCHEMA_TAGS, (path, method)
        success = [code for code in operation["responses"] if code.startswith("2")]
        assert len(success) == 1, (path, method)
        answer = operation["responses"][success[0]]["content"]["application/json"]["schema"]
        assert "$ref" in answer, (path, method)
        for status, response in operation["responses"].items():
            if status.startswith("4"):
                codes = response["content"]["application/json"]["schema"]["properties"]["error"]["properties"][
                    "code"]["enum"]
                for code in codes:
                    assert error_codes.get(code).status == int(status)
                    assert f"`{code}`: {error_codes.get(code).meaning}" in response["description"]


def _api_views(resolver=None, prefix="api/v1/"):
    patterns = get_resolver().url_patterns if resolver is None else resolver.url_patterns
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            yield from _api_views(pattern, prefix)
        elif isinstance(pattern, URLPattern) and hasattr(pattern.callback, "cls"):
            if pattern.callback.cls.__module__.startswith(("rest_framework", "drf_spectacular")):
                continue
            yield pattern.name, pattern.callback.cls


def test_every_api_view_declares_its_contract():
    views = dict(_api_views())
    assert len(views) >= 12
    for name, view in views.items():
        assert issubclass(view, ContractMixin), f"{name}: derive from loyalty.api_contract.ContractView"
        handlers = [method for method in ("get", "post", "put", "patch", "delete") if hasattr(view, method)]
        for method in handlers:
            declared = declared_errors(view, method)
            assert declared, f"{name}.{method}: decorate it with loyalty.api_contract.contract"
            assert all(code in error_codes for code in declared), (name, method, declared)
            assert view.tag in SCHEMA_TAGS, name


class _CouponView(ContractView):
    authentication_classes: list = []
    permission_classes: list = []

    @contract(responses={200: None}, errors=[errors.AMOUNT_INVALID], authenticated=False)
    def get(self, request):
        raise DomainError(request.GET["code"], "refused", status_code=int(request.GET.get("status", 400)))


@pytest.mark.parametrize(("code", "status", "problem"), [
    ("coupon_used", 409, "does not declare"),
    (errors.AMOUNT_INVALID, 409, "registered with 400"),
])
def test_an_answer_outside_the_contract_fails_the_test_that_provoked_it(code, status, problem):
    request = APIRequestFactory().get("/", {"code": code, "status": status})
    with pytest.raises(UndeclaredErrorCode, match=problem):
        _CouponView.as_view()(request)


def test_a_declared_code_passes():
    response = _CouponView.as_view()(APIRequestFactory().get("/", {"code": errors.AMOUNT_INVALID}))
    assert (response.status_code, response.data["error"]["code"]) == (400, errors.AMOUNT_INVALID)


# Unknown fields, and one code for one mistake.

def _bodies(t) -> dict[str, tuple[str, dict]]:
    payment = Payment.objects.filter(merchant=t.merchant).first()
    coupon = Coupon.objects.filter(member=t.member).first()
    return {
        "members_join": (reverse("api:member-join"), {"phone": "13900000009"}),
        "coupons_redeem": (reverse("api:coupon-redeem"), {"code": coupon.code, "bill_amount": "150.00"}),
        "wallet_recharge": (reverse("api:wallet-recharge"), {"member": t.member.pk, "amount": "100.00"}),
        "checkout_quote": (reverse("api:checkout-quote"), {"amount": "150.00"}),
        "checkout_pay": (reverse("api:checkout-payments"), {"amount": "150.00", "member": {"phone": t.member.phone},
                                                            "use_wallet": True}),
        "checkout_refund": (reverse("api:checkout-refund", args=[payment.pk]), {"amount": "10.00"}),
    }


def _state() -> tuple:
    return (Payment.objects.count(), Refund.objects.count(), Recharge.objects.count(), Member.objects.count(),
            CouponRedemption.objects.count(), IdempotencyRecord.objects.count())


def test_every_body_that_was_accepted_becomes_refused_with_one_unknown_field(tenant_a):
    seed_api_data(tenant_a)
    api = tenant_a.api()
    for operation, (url, body) in _bodies(tenant_a).items():
        before = _state()
        response = api.post(url, {**body, "colour": "red"}, HTTP_IDEMPOTENCY_KEY=f"unknown-{operation}")
        assert response.status_code == 400, (operation, response.json())
        assert response.json()["error"]["code"] == errors.UNKNOWN_FIELD and response.json()["error"]["field"] == \
            "colour", operation
        assert _state() == before, operation


@pytest.mark.parametrize("extra", [{"use_wallet": True}, {"tenders": [{"kind": "principal", "amount": "100.00"}]}])
def test_a_recharge_paid_otherwise_than_in_cash_is_refused_not_recorded_as_cash(tenant_a, extra):
    fund_wallet(tenant_a.member, "50.00")
    response = tenant_a.api().post(reverse("api:wallet-recharge"),
                                   {"member": tenant_a.member.pk, "amount": "100.00", **extra})
    assert response.status_code == 400
    assert response.json()["error"]["code"] == errors.UNKNOWN_FIELD
    assert response.json()["error"]["field"] == next(iter(extra))
    assert Recharge.objects.filter(member=tenant_a.member).count() == 1


@pytest.mark.parametrize(("body", "field"), [
    ({"lines": [{"sku": "A", "amount": "150.00", "colour": "red"}]}, "lines.0.colour"),
    ({"member": {"phone": "13800000001", "name": "x"}}, "member.name"),
    ({"external": {"channel": "cash", "amount": "150.00", "tip": "1.00"}}, "external.tip"),
])
def test_an_unknown_field_inside_the_bill_is_named_by_its_path(tenant_a, body, field):
    response = tenant_a.api().post(reverse("api:checkout-payments"), {"amount": "150.00", **body})
    assert (response.status_code, response.json()["error"]["code"], response.json()["error"]["field"]) == (
        400, errors.UNKNOWN_FIELD, field)
    assert Payment.objects.count() == 0


def _signed_webhook(t, data: dict):
    raw = json.dumps(data).encode()
    stamp = str(int(timezone.now().timestamp()))
    return APIClient().post(reverse("api:payments-webhook"), raw, content_type="application/json",
                            HTTP_X_TIMESTAMP=stamp,
                            HTTP_X_SIGNATURE=sign(checkout_settings(t.merchant).webhook_secret, stamp, raw))


@pytest.mark.parametrize("amount", [None, "missing", "", "abc"])
def test_a_null_missing_or_unreadable_amount_is_amount_invalid_on_every_endpoint(tenant_a, amount):
    seed_api_data(tenant_a)
    api = tenant_a.api()
    bodies = {name: (url, dict(body)) for name, (url, body) in _bodies(tenant_a).items() if name != "members_join"}
    bodies["coupons_redeem"][1].pop("bill_amount")
    amount_field = {"coupons_redeem": "bill_amount"}
    before = _state()
    for operation, (url, body) in bodies.items():
        field = amount_field.get(operation, "amount")
        body.pop(field, None)
        if amount != "missing":
            body[field] = amount
        response = api.post(url, body)
        assert (response.status_code, response.json()["error"]["code"]) == (400, errors.AMOUNT_INVALID), (
            operation, response.json())
        assert response.json()["error"]["field"] == field, operation
    report = {"merchant": tenant_a.merchant.slug, "store": tenant_a.store.pk, "trade_no": "T-null"}
    if amount != "missing":
        report["amount"] = amount
    response = _signed_webhook(tenant_a, report)
    assert (response.status_code, response.json()["error"]["code"]) == (400, errors.AMOUNT_INVALID)
    assert _state() == before


def test_a_body_that_is_not_an_object_is_malformed_everywhere(tenant_a):
    seed_api_data(tenant_a)
    for operation, (url, _body) in _bodies(tenant_a).items():
        response = tenant_a.api().post(url, [1, 2], format="json")
        assert (response.status_code, response.json()["error"]["code"]) == (400, errors.MALFORMED_REQUEST), operation


def test_a_form_encoded_body_is_refused_with_415(tenant_a):
    response = tenant_a.api().post(reverse("api:checkout-quote"), {"amount": "10.00"}, format="multipart")
    assert (response.status_code, response.json()["error"]["code"]) == (415, errors.UNSUPPORTED_MEDIA_TYPE)


def test_an_unknown_member_or_payment_is_named_as_such(tenant_a, tenant_b):
    seed_api_data(tenant_a)
    other = tenant_b.member.pk
    recharge = tenant_a.api().post(reverse("api:wallet-recharge"), {"member": other, "amount": "10.00"})
    balance = tenant_a.api().get(reverse("api:wallet-balance", args=[other]))
    payment = Payment.objects.get(merchant=tenant_a.merchant)
    refund = tenant_b.api().post(reverse("api:checkout-refund", args=[payment.pk]), {"amount": "1.00"})
    detail = tenant_b.api().get(reverse("api:checkout-payment", args=[payment.pk]))
    assert [(r.status_code, r.json()["error"]["code"]) for r in (recharge, balance, refund, detail)] == [
        (404, "member_not_found"), (404, "member_not_found"), (404, "payment_not_found"), (404, "payment_not_found")]


def test_an_address_the_api_does_not_have_answers_its_json_404(tenant_a):
    response = tenant_a.api().post("/api/v1/checkout/payments/abc/refunds", {"amount": "1.00"})
    assert (response.status_code, response.json()["error"]["code"]) == (404, errors.NOT_FOUND)


# One time zone.

@pytest.mark.parametrize("zone", ["Asia/Shanghai", "America/New_York"])
def test_every_timestamp_is_in_the_merchants_time_zone_with_its_offset(tenant_a, zone):
    tenant_a.merchant.time_zone = zone
    tenant_a.merchant.save()
    seed_api_data(tenant_a)
    api = tenant_a.api()
    offset = zoneinfo.ZoneInfo(zone).utcoffset(datetime.datetime.now())
    payment = Payment.objects.get(merchant=tenant_a.merchant)
    coupon = Coupon.objects.get(member=tenant_a.member)
    stamps = [
        api.get(reverse("api:checkout-payment", args=[payment.pk])).json()["created_at"],
        api.get(reverse("api:checkout-payments")).json()["results"][0]["created_at"],
        api.post(reverse("api:checkout-refund", args=[payment.pk]), {"amount": "1.00"}).json()["created_at"],
        api.post(reverse("api:wallet-recharge"), {"member": tenant_a.member.pk, "amount": "10.00"}).json()[
            "created_at"],
        api.get(reverse("api:coupon-detail", args=[coupon.code])).json()["valid_until"],
        api.get(reverse("api:member-lookup"), {"phone": tenant_a.member.phone}).json()["joined_at"],
    ]
    for stamp in stamps:
        assert datetime.datetime.fromisoformat(stamp).utcoffset() == offset, stamp
    assert timezone.get_current_timezone_name() == "Asia/Shanghai"   # the request's zone does not leak


def test_a_merchant_time_zone_must_exist(tenant_a):
    from django.core.exceptions import ValidationError

    tenant_a.merchant.time_zone = "Mars/Olympus"
    with pytest.raises(ValidationError):
        tenant_a.merchant.full_clean()


def test_staff_read_the_admin_in_their_merchants_time_zone(tenant_a, operator):
    from django.test import RequestFactory

    from loyalty.tenancy import MerchantTimeZoneMiddleware

    tenant_a.merchant.time_zone = "America/New_York"
    tenant_a.merchant.save()
    seen = MerchantTimeZoneMiddleware(lambda request: timezone.get_current_timezone_name())
    zones = []
    for user, path in ((tenant_a.owner.user, "/admin/checkout/payment/"), (operator, "/admin/checkout/payment/"),
                       (tenant_a.owner.user, "/m/alpha/")):
        request = RequestFactory().get(path)
        request.user = user
        zones.append(seen(request))
    assert zones == ["America/New_York", "Asia/Shanghai", "Asia/Shanghai"]


def test_a_tender_that_reads_its_own_field_from_the_bill_is_neither_refused_nor_undocumented():
    from types import SimpleNamespace

    from rest_framework import serializers

    from checkout.api import PaymentListView, QuoteView, RefundView
    from checkout.serializers import BillInputSerializer
    from loyalty.serializers import find_unknown_field
    from loyalty.tenders import tenders

    body = {"amount": "10.00", "vouchers": ["V-1"]}
    assert find_unknown_field(BillInputSerializer(), body) == "vouchers"
    voucher = SimpleNamespace(code="voucher", order=99, request_field="vouchers", error_codes=("voucher_spent",),
                              request_schema=lambda: serializers.ListField(child=serializers.CharField(),
                                                                           required=False))
    with tenders.registered(voucher):
        assert find_unknown_field(BillInputSerializer(), body) is None
        assert isinstance(BillInputSerializer().fields["vouchers"], serializers.ListField)
        for view in (QuoteView, PaymentListView, RefundView):
            assert "voucher_spent" in declared_errors(view, "post"), view
    assert "voucher_spent" not in declared_errors(PaymentListView, "post")


# The schema's amount patterns say exactly what the server reads and writes.

@given(st.decimals(min_value=Decimal("0.01"), max_value=Decimal("9999999.99"), places=2))
def test_every_amount_the_pattern_admits_is_read_as_written_and_answered_in_the_answer_pattern(amount):
    import re

    from loyalty.money import money_text, parse_amount
    from loyalty.serializers import AMOUNT_INPUT_PATTERN, AMOUNT_PATTERN

    for written in (f"{amount:.2f}", format(amount.normalize(), "f")):
        assert re.fullmatch(AMOUNT_INPUT_PATTERN, written)
        assert parse_amount(written) == amount
    assert re.fullmatch(AMOUNT_PATTERN, money_text(amount))


@given(st.from_regex(r"\A-?\d{1,9}(\.\d{1,4})?\Z"))
def test_what_the_input_pattern_admits_is_read_and_what_is_read_has_a_writing_it_admits(text):
    """The server may be kinder than the pattern ("-0", "0.000"), never stricter."""
    import re

    from loyalty.money import parse_amount
    from loyalty.serializers import AMOUNT_INPUT_PATTERN

    try:
        value = parse_amount(text, allow_zero=True)
    except DomainError:
        value = None
    if re.fullmatch(AMOUNT_INPUT_PATTERN, text):
        assert value is not None
    if value is not None:
        assert re.fullmatch(AMOUNT_INPUT_PATTERN, f"{value:.2f}")


def test_the_unknown_field_check_keeps_one_request_serializer_and_makes_a_new_one_for_a_new_tender():
    """`loyalty.serializers.checking`: the fields are copied once, not on every call, and a tender registered later
    is read from the body at once (the bill's fields are made from the tenders)."""
    from types import SimpleNamespace

    from checkout.serializers import BillInputSerializer, MemberReference
    from loyalty.serializers import checking, find_unknown_field
    from loyalty.tenders import tenders

    assert checking(BillInputSerializer) is checking(BillInputSerializer)
    assert checking(MemberReference) is checking(MemberReference)
    body = {"amount": "10.00", "vouchers": ["V-1"]}
    assert find_unknown_field(checking(BillInputSerializer), body) == "vouchers"
    with tenders.registered(SimpleNamespace(code="voucher", order=99, request_field="vouchers")):
        assert find_unknown_field(checking(BillInputSerializer), body) is None
    assert find_unknown_field(checking(BillInputSerializer), body) == "vouchers"
