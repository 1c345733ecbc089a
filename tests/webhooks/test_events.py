"""The event types an integrator subscribes to are written on their change, in its transaction: none for a
change rolled back, and a delivery queued for every subscribed endpoint exactly when the event exists."""

from __future__ import annotations

import json
from decimal import Decimal

import pytest
from django.db import transaction

from cards.membership import services as membership
from coupons.models import Coupon
from coupons.services import issue_coupon, redeem_coupon
from loyalty.models import Event
from merchants import services as merchants
from tests.checkout.helpers import PAYMENTS, body, refunds_url
from tests.coupons.helpers import make_template
from tests.membership.helpers import make_program
from tests.wallet.helpers import enable_stored_value
from tests.webhooks.helpers import subscribe
from wallet import services as wallet
from webhooks import services
from webhooks.models import Delivery

D = Decimal


def kinds_of(subject) -> list[str]:
    return list(Event.objects.filter(object_id=subject.pk, content_type__model=subject._meta.model_name)
                .order_by("sequence").values_list("kind", flat=True))


def test_a_member_joining_is_an_event(tenant_a):
    member = merchants.join_member(tenant_a.merchant, "13900000001", name="王芳")
    event = Event.objects.get(kind="member.joined", object_id=member.pk)
    assert (event.member, event.sequence, event.data["name"]) == (member, 1, "王芳")


def test_a_payment_made_and_refunded_are_events_of_the_payment_in_order(tenant_a):
    paid = tenant_a.api().post(PAYMENTS, body("80.00", tenant_a.member, external={"channel": "cash"}),
                               format="json")
    assert paid.status_code == 201, paid.json()
    refund = tenant_a.api().post(refunds_url(paid.json()["id"]), {"amount": "30.00"}, format="json")
    assert refund.status_code == 201, refund.json()
    made, refunded = Event.objects.filter(kind__startswith="payment.").order_by("sequence")
    assert (made.kind, made.sequence, made.data["amount_due"], made.terminal) == (
        "payment.made", 1, "80.00", tenant_a.terminal)
    assert (refunded.kind, refunded.sequence, refunded.data["amount"], refunded.data["full"]) == (
        "payment.refunded", 2, "30.00", False)
    assert made.object_id == refunded.object_id == paid.json()["id"]


def test_a_level_reached_by_a_payment_is_an_event_of_the_card(tenant_a):
    make_program(tenant_a.merchant)
    membership.card_for(tenant_a.member)
    tenant_a.api().post(PAYMENTS, body("150.00", tenant_a.member, external={"channel": "cash"}), format="json")
    event = Event.objects.get(kind="membership_card.level_changed")
    assert (event.member, event.data["level_name"]) == (tenant_a.member, "Gold")


def test_a_recharge_is_an_event(tenant_a):
    enable_stored_value(tenant_a.merchant)
    recharge = wallet.recharge(tenant_a.member, "100.00", store=tenant_a.store)
    assert kinds_of(recharge) == ["recharge.paid"]
    assert Event.objects.get(kind="recharge.paid").data["amount"] == "100.00"


def test_a_coupon_issued_and_redeemed_are_events_of_the_coupon(tenant_a):
    template = make_template(tenant_a.merchant)
    coupon = issue_coupon(template, tenant_a.member, source=Coupon.Source.STAFF)
    redeem_coupon(coupon, bill_amount=D("100.00"), store=tenant_a.store)
    assert kinds_of(coupon) == ["coupon.issued", "coupon.redeemed"]
    assert list(Event.objects.filter(kind__startswith="coupon.").values_list("sequence", flat=True)) == [2, 1]


def test_a_change_rolled_back_leaves_no_event_and_no_delivery(tenant_a):
    endpoint, _secret = subscribe(tenant_a.merchant, "https://93.184.215.14/hooks", "member.joined",
                                  "recharge.paid")
    enable_stored_value(tenant_a.merchant)
    before = Event.objects.count()
    with pytest.raises(RuntimeError), transaction.atomic():
        merchants.join_member(tenant_a.merchant, "13900000002")
        wallet.recharge(tenant_a.member, "50.00")
        raise RuntimeError("the cashier's screen froze")
    assert Event.objects.count() == before
    assert not Delivery.objects.filter(endpoint=endpoint).exists()


def test_a_committed_change_queues_one_delivery_per_subscribed_endpoint(tenant_a, tenant_b):
    joined, _secret = subscribe(tenant_a.merchant, "https://93.184.215.14/joins", "member.joined")
    paid, _secret = subscribe(tenant_a.merchant, "https://93.184.215.14/pay", "payment.made")
    elsewhere, _secret = subscribe(tenant_b.merchant, "https://93.184.215.14/b", "member.joined")
    member = merchants.join_member(tenant_a.merchant, "13900000003")
    [delivery] = Delivery.objects.filter(endpoint=joined)
    event = Event.objects.get(kind="member.joined", object_id=member.pk)
    # The same content (Postgres hands JSON back with its keys sorted; the body keeps the order it was sent in).
    assert (delivery.event, json.loads(delivery.body)) == (event, json.loads(services.encode_payload(event)))
    assert not Delivery.objects.filter(endpoint__in=[paid, elsewhere]).exists()


def test_the_event_types_offered_come_from_the_registry(tenant_a):
    offered = {code for code, _label in services.subscribable_kinds()}
    assert {"member.joined", "membership_card.level_changed", "payment.made", "payment.refunded", "recharge.paid",
            "coupon.issued", "coupon.redeemed"} <= offered
    assert "webhook.test" not in offered
