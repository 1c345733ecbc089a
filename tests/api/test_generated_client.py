"""A Python client generated from the schema (openapi-python-client, at test time into a temporary folder, so
nothing generated is committed or drifts) takes a member through quote, pay and refund on a live server.

The client parses every answer with the models the schema describes: a field the server leaves out, a
type it changes, an undeclared status, would fail here."""

from __future__ import annotations

import datetime
import importlib
import json
import subprocess
import sys
from pathlib import Path

import pytest

from checkout.models import Payment
from loyalty.api_contract import openapi_schema
from tests.checkout.helpers import coupon_for, fund_wallet, program_with_levels

GENERATOR = Path(sys.executable).parent / "openapi-python-client"
PACKAGE = "loyalty_terminal_client"


@pytest.fixture(scope="module")
def generated_client(tmp_path_factory):
    folder = tmp_path_factory.mktemp("generated")
    schema = folder / "schema.json"
    schema.write_text(json.dumps(openapi_schema()))
    config = folder / "config.json"
    config.write_text(json.dumps({"post_hooks": [], "package_name_override": PACKAGE}))
    done = subprocess.run([str(GENERATOR), "generate", "--path", str(schema), "--config", str(config), "--meta",
                           "none", "--output-path", str(folder / PACKAGE)], capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "Warning" not in done.stdout + done.stderr, done.stdout + done.stderr
    sys.path.insert(0, str(folder))
    try:
        yield importlib.import_module(PACKAGE)
    finally:
        sys.path.remove(str(folder))
        for name in [name for name in sys.modules if name.split(".")[0] == PACKAGE]:
            del sys.modules[name]


def test_quote_pay_and_refund_through_the_generated_client(generated_client, transactional_db, live_server,
                                                           tenant_a):
    program_with_levels(tenant_a.merchant)
    fund_wallet(tenant_a.member, "200.00")
    coupon = coupon_for(tenant_a.member)
    members = importlib.import_module(f"{PACKAGE}.api.members.members_lookup")
    quote_api = importlib.import_module(f"{PACKAGE}.api.checkout.checkout_quote")
    pay_api = importlib.import_module(f"{PACKAGE}.api.checkout.checkout_pay")
    refund_api = importlib.import_module(f"{PACKAGE}.api.checkout.checkout_refund")
    payment_api = importlib.import_module(f"{PACKAGE}.api.checkout.checkout_payment")
    models = importlib.import_module(f"{PACKAGE}.models")
    api = generated_client.AuthenticatedClient(base_url=live_server.url, token=tenant_a.terminal_key,
                                               prefix="Terminal", raise_on_unexpected_status=True)

    member = members.sync(client=api, phone=tenant_a.member.phone)
    assert isinstance(member, models.MemberSummary)
    assert (member.id, member.wallet.stored_value) == (tenant_a.member.pk, "200.00")

    bill = models.BillInputRequest(amount="150.00", member=models.MemberReferenceRequest(phone=member.phone),
                                   coupon_code=coupon.code, use_wallet=True, bill_id="POS-1-0042")
    quote = quote_api.sync(client=api, body=bill)
    assert isinstance(quote, models.QuoteAnswer)
    assert (quote.bill, quote.discount, quote.amount_due) == ("150.00", "10.00", "140.00")

    paid = pay_api.sync(client=api, body=bill, idempotency_key="pos-1-0042")
    assert isinstance(paid, models.PaymentAnswer)
    assert (paid.amount_due, paid.status) == (quote.amount_due, models.PaymentStatus.PAID)
    replayed = pay_api.sync(client=api, body=bill, idempotency_key="pos-1-0042")
    assert replayed.number == paid.number and Payment.objects.count() == 1

    refund = refund_api.sync(paid.id, client=api, body=models.RefundInputRequest(amount="40.00", reason="returned"),
                             idempotency_key="pos-1-0042-refund")
    assert isinstance(refund, models.RefundAnswer)
    assert (refund.amount, refund.is_full, refund.payment) == ("40.00", False, paid.number)

    too_much = refund_api.sync(paid.id, client=api, body=models.RefundInputRequest(amount="500.00"))
    assert isinstance(too_much, models.CheckoutRefundResponse409)
    assert too_much.error.code == models.CheckoutRefundResponse409ErrorCode.REFUND_TOO_LARGE

    again = payment_api.sync(paid.id, client=api)
    assert (again.refunded, again.status) == ("40.00", models.PaymentStatus.PARTLY_REFUNDED)
    assert again.created_at.utcoffset() == datetime.timedelta(hours=8)   # Asia/Shanghai, the merchant's zone
