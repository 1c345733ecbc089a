"""The payment platform's webhook: signature, freshness, dedup by trade number, rewards once."""

import json
import time
from decimal import Decimal

import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from cards.membership.services import card_for
from checkout.models import Payment, RewardGrant, RewardRule
from checkout.services import checkout_settings
from checkout.services.webhook import sign
from tests.benefit_helpers import reward_rule

pytestmark = pytest.mark.django_db
URL = reverse("api:payments-webhook")
D = Decimal


def report(t, *, trade_no="T-1", amount="88.00", phone=None, **extra):
    data = {"merchant": t.merchant.slug, "store": t.store.pk, "amount": amount, "trade_no": trade_no,
            "paid_at": "2026-11-23T10:00:00+08:00", "channel": "alipay", **extra}
    if phone:
        data["payer"] = {"phone": phone}
    return json.dumps(data).encode()


def post(t, raw: bytes, *, timestamp=None, secret=None, signature=None):
    timestamp = str(int(time.time()) if timestamp is None else timestamp)
    secret = secret or checkout_settings(t.merchant).webhook_secret
    return APIClient().post(URL, raw, content_type="application/json", HTTP_X_TIMESTAMP=timestamp,
                            HTTP_X_SIGNATURE=signature or sign(secret, timestamp, raw))


def test_signed_report_records_the_payment_and_gives_rewards_once(tenant_a):
    reward_rule(merchant=tenant_a.merchant, name="Scan and earn", min_paid=D("50"), points=30)
    raw = report(tenant_a, phone=tenant_a.member.phone)
    first = post(tenant_a, raw)
    assert first.status_code == 200, first.json()
    payment = Payment.objects.get()
    assert payment.source == "webhook" and payment.member == tenant_a.member and payment.amount_due == D("88.00")
    assert first.json()["rewards"] == [{"rule": RewardRule.objects.get().pk, "status": "given"}]
    replay = post(tenant_a, raw)
    assert replay.status_code == 200 and replay.json() == first.json()
    assert replay.headers["Webhook-Replayed"] == "true"
    assert Payment.objects.count() == 1 and RewardGrant.objects.count() == 1
    assert card_for(tenant_a.member).points == 30


def test_same_trade_number_with_another_body_returns_the_first_answer(tenant_a):
    first = post(tenant_a, report(tenant_a, amount="10.00")).json()
    again = post(tenant_a, report(tenant_a, amount="99.00")).json()
    assert again == first and Payment.objects.get().amount_due == D("10.00")


def test_wrong_signature_is_refused(tenant_a, tenant_b):
    raw = report(tenant_a)
    assert post(tenant_a, raw, signature="0" * 64).status_code == 403
    # Signed with another merchant's secret: refused too.
    response = post(tenant_a, raw, secret=checkout_settings(tenant_b.merchant).webhook_secret)
    assert response.status_code == 403 and response.json()["error"]["code"] == "webhook_signature_invalid"
    assert not Payment.objects.exists()


def test_tampered_body_is_refused(tenant_a):
    timestamp = str(int(time.time()))
    signature = sign(checkout_settings(tenant_a.merchant).webhook_secret, timestamp, report(tenant_a))
    response = post(tenant_a, report(tenant_a, amount="1.00"), timestamp=timestamp, signature=signature)
    assert response.status_code == 403 and not Payment.objects.exists()


def test_reports_older_than_five_minutes_are_refused(tenant_a):
    response = post(tenant_a, report(tenant_a), timestamp=int(time.time()) - 301)
    assert response.status_code == 403 and response.json()["error"]["code"] == "webhook_too_old"
    assert post(tenant_a, report(tenant_a), timestamp=int(time.time()) - 290).status_code == 200


def test_another_merchants_store_is_unknown(tenant_a, tenant_b):
    raw = report(tenant_a, store=tenant_b.store.pk)
    response = post(tenant_a, raw)
    assert response.status_code == 404 and response.json()["error"]["code"] == "webhook_store_unknown"
    assert not Payment.objects.exists()


def test_malformed_reports_are_refused(tenant_a):
    assert post(tenant_a, b"not json").status_code == 400
    assert post(tenant_a, report(tenant_a, amount="-3")).status_code == 400
    assert post(tenant_a, report(tenant_a, trade_no="")).status_code == 400


def test_reported_amount_is_recorded_as_paid_without_discounts_again(tenant_a):
    from tests.checkout.helpers import program_with_levels, set_level
    program_with_levels(tenant_a.merchant)
    set_level(tenant_a.member, 3)  # Diamond pays 90% at the counter; the platform already priced this order
    assert post(tenant_a, report(tenant_a, amount="50.00", phone=tenant_a.member.phone)).status_code == 200
    payment = Payment.objects.get()
    assert payment.amount_due == D("50.00") and not payment.adjustments.exists()
    assert payment.points_earned == 50
