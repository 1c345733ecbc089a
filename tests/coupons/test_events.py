"""Voids, gifts and template pauses are typed events, written with the change or not at all."""

import pytest
from django.db import transaction
from django.urls import reverse

from coupons import errors, events, services
from coupons.models import Coupon, CouponTemplate
from loyalty.errors import DomainError
from loyalty.models import Event
from tests.conftest import staff_client
from tests.coupons.helpers import make_members, make_template


def _kinds(obj) -> list[str]:
    return list(Event.objects.filter(object_id=obj.pk, content_type__model=obj._meta.model_name)
                .order_by("pk").values_list("kind", flat=True))


def test_voiding_a_coupon_records_who_why_and_the_state_it_left(tenant_a):
    coupon = services.claim_coupon(make_template(tenant_a.merchant), tenant_a.member)
    services.void_coupon(coupon, staff=tenant_a.manager.user, reason="issued by mistake")
    event = Event.objects.get(kind=events.COUPON_VOIDED.code)
    assert (event.object_id, event.staff, event.member, event.data) == (
        coupon.pk, tenant_a.manager.user, tenant_a.member,
        {"reason": "issued by mistake", "changes": {"state": ["available", "void"]}})


def test_a_void_rolled_back_leaves_neither_the_void_nor_its_event(tenant_a):
    coupon = services.claim_coupon(make_template(tenant_a.merchant), tenant_a.member)
    with pytest.raises(RuntimeError), transaction.atomic():
        services.void_coupon(coupon, staff=tenant_a.manager.user, reason="issued by mistake")
        raise RuntimeError("the caller's transaction fails after the void")
    assert (Coupon.objects.get(pk=coupon.pk).state, Event.objects.filter(kind=events.COUPON_VOIDED.code).count()) == (
        Coupon.State.AVAILABLE, 0)


def test_the_admins_void_action_records_the_staff_member(client, tenant_a):
    coupon = services.claim_coupon(make_template(tenant_a.merchant), tenant_a.member)
    staff_client(client, tenant_a.manager)
    client.post(reverse("admin:coupons_coupon_changelist"), {"action": "void", "_selected_action": [coupon.pk]})
    assert Event.objects.get(kind=events.COUPON_VOIDED.code).staff == tenant_a.manager.user


def test_an_accepted_gift_is_an_event_on_the_senders_coupon(tenant_a):
    coupon = services.claim_coupon(make_template(tenant_a.merchant, giftable=True), tenant_a.member)
    [friend] = make_members(tenant_a.merchant, 1)
    services.start_gift(coupon, tenant_a.member)
    received = services.accept_gift(coupon.gift_token, friend)
    event = Event.objects.get(kind=events.COUPON_GIFTED.code)
    assert (event.object_id, event.member, event.data) == (
        coupon.pk, tenant_a.member, {"to_member": friend.pk, "received_coupon": received.pk})


def test_pausing_resuming_and_ending_a_template_are_each_an_event(tenant_a):
    template = make_template(tenant_a.merchant)
    for status in (CouponTemplate.Status.PAUSED, CouponTemplate.Status.PAUSED, CouponTemplate.Status.ACTIVE,
                   CouponTemplate.Status.ENDED):
        services.set_template_status(template, status, staff=tenant_a.manager.user)
    assert _kinds(template) == ["coupon_template.paused", "coupon_template.resumed", "coupon_template.ended"]


def test_restarting_an_ended_template_is_refused_and_records_nothing(tenant_a):
    template = make_template(tenant_a.merchant, status=CouponTemplate.Status.ENDED)
    with pytest.raises(DomainError) as refused:
        services.set_template_status(template, CouponTemplate.Status.ACTIVE)
    recorded = Event.objects.filter(object_id=template.pk, kind__startswith="coupon_template.").count()
    assert (refused.value.code, recorded) == (errors.TEMPLATE_NOT_CLAIMABLE, 0)


def test_the_pause_action_in_the_admin_records_the_staff_member(client, tenant_a):
    template = make_template(tenant_a.merchant)
    staff_client(client, tenant_a.manager)
    client.post(reverse("admin:coupons_coupontemplate_changelist"),
                {"action": "pause", "_selected_action": [template.pk]})
    event = Event.objects.get(kind=events.TEMPLATE_PAUSED.code)
    assert (event.staff, event.data) == (tenant_a.manager.user, {"changes": {"status": ["active", "paused"]}})


def test_a_coupons_history_page_shows_its_events_to_managers_and_not_to_cashiers(client, tenant_a):
    coupon = services.claim_coupon(make_template(tenant_a.merchant), tenant_a.member)
    services.void_coupon(coupon, staff=tenant_a.manager.user, reason="issued by mistake")
    history = reverse("admin:coupons_coupon_history", args=[coupon.pk])
    staff_client(client, tenant_a.manager)
    response = client.get(history)
    assert [row.label for row in response.context["event_rows"]] == [str(events.COUPON_VOIDED.label),
                                                                    str(events.COUPON_ISSUED.label)]
    assert "issued by mistake" in response.content.decode()
    staff_client(client, tenant_a.cashier)
    response = client.get(history)
    assert (response.status_code, response.context["event_rows"]) == (200, None)


def test_another_merchants_staff_cannot_open_a_coupons_history(client, tenant_a, tenant_b):
    coupon = services.claim_coupon(make_template(tenant_a.merchant), tenant_a.member)
    services.void_coupon(coupon, staff=tenant_a.manager.user, reason="issued by mistake")
    staff_client(client, tenant_b.manager)
    assert client.get(reverse("admin:coupons_coupon_history", args=[coupon.pk])).status_code == 404
