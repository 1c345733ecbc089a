"""Deliveries to a real receiver on 127.0.0.1: signatures, the retry schedule, the circuit breaker,
disabling, replay; the task functions called directly (Celery's contract is not mocked)."""

from __future__ import annotations

import datetime
import json

import pytest
from django.core import mail
from django.utils import timezone
from standardwebhooks.webhooks import Webhook, WebhookVerificationError

from loyalty.models import Event
from merchants import services as merchants
from tests.conftest import race, requires_postgres
from tests.webhooks.helpers import deliveries, subscribe
from tests.webhooks.receiver import Reply
from webhooks import services, tasks
from webhooks.models import Delivery, DeliveryAttempt, Endpoint
from webhooks.services import delivery as engine

pytestmark = pytest.mark.usefixtures("local_targets")


def join(merchant, n: int):
    return merchants.join_member(merchant, f"139{n:08d}", name=f"新会员 {n}")


def test_a_delivery_is_signed_so_the_reference_verifier_accepts_it(tenant_a, receiver):
    endpoint, secret = subscribe(tenant_a.merchant, receiver.url(), "member.joined")
    member = join(tenant_a.merchant, 1)
    run = services.deliver_due(endpoint.pk)
    assert (run.attempted, run.succeeded) == (1, 1)
    [got] = receiver.received
    payload = Webhook(secret).verify(got.body, got.headers)
    event = Event.objects.get(kind="member.joined", object_id=member.pk)
    assert got.headers["webhook-id"] == str(event.uuid)
    assert (payload["kind"], payload["subject"], payload["data"]["name"]) == (
        "member.joined", {"type": "merchants.member", "id": member.pk, "sequence": 1}, "新会员 1")
    with pytest.raises(WebhookVerificationError):
        Webhook("whsec_" + "QUJD" * 8).verify(got.body, got.headers)
    delivery = Delivery.objects.get(endpoint=endpoint)
    assert (delivery.status, delivery.attempts, delivery.body.encode()) == (
        Delivery.Status.SUCCEEDED, 1, got.body)


def test_during_a_rotation_both_secrets_sign_until_the_old_one_lapses(tenant_a, receiver):
    endpoint, old = subscribe(tenant_a.merchant, receiver.url(), "member.joined")
    new = services.rotate_secret(endpoint)
    join(tenant_a.merchant, 1)
    services.deliver_due(endpoint.pk)
    got = receiver.received[-1]
    assert len(got.headers["webhook-signature"].split(" ")) == 2
    Webhook(old).verify(got.body, got.headers)
    Webhook(new).verify(got.body, got.headers)
    later = timezone.now() + datetime.timedelta(hours=25)
    assert services.secrets_in_use(Endpoint.objects.get(pk=endpoint.pk), later) == [new]


def test_5xx_retries_on_the_schedule_with_the_same_id_and_body_and_gives_up_after_the_last(tenant_a, receiver):
    endpoint, _secret = subscribe(tenant_a.merchant, receiver.url(), "member.joined")
    join(tenant_a.merchant, 1)
    receiver.default = Reply(500, b"database down")
    now = timezone.now()
    delays = []
    for _attempt in range(len(services.RETRY_DELAYS) + 1):
        run = services.deliver_due(endpoint.pk, now=now)
        assert run.attempted == 1
        delivery = Delivery.objects.get(endpoint=endpoint)
        if delivery.next_attempt_at is None:
            break
        delays.append((delivery.next_attempt_at - now).total_seconds())
        now = delivery.next_attempt_at
        # Reset the breaker between attempts: this test is about one delivery's schedule.
        Endpoint.objects.filter(pk=endpoint.pk).update(consecutive_failures=0, circuit_open_until=None)
    for delay, planned in zip(delays, services.RETRY_DELAYS, strict=True):
        assert planned * 0.9 <= delay <= planned * 1.1
    assert (delivery.status, delivery.attempts) == (Delivery.Status.FAILED, 8)
    assert len({r.headers["webhook-id"] for r in receiver.received}) == 1
    assert len({r.body for r in receiver.received}) == 1
    attempts = list(DeliveryAttempt.objects.filter(delivery=delivery))
    assert [a.outcome for a in attempts] == ["retry"] * 7 + ["failed"]
    assert attempts[0].status_code == 500 and attempts[0].response_head == "database down"


def test_a_delivery_not_yet_due_is_not_sent(tenant_a, receiver):
    endpoint, _secret = subscribe(tenant_a.merchant, receiver.url(), "member.joined")
    join(tenant_a.merchant, 1)
    receiver.default = Reply(503)
    now = timezone.now()
    services.deliver_due(endpoint.pk, now=now)
    assert services.deliver_due(endpoint.pk, now=now + datetime.timedelta(seconds=3)).attempted == 0
    assert services.deliver_due(endpoint.pk, now=now + datetime.timedelta(seconds=6)).attempted == 1


def test_a_4xx_is_not_retried(tenant_a, receiver):
    endpoint, _secret = subscribe(tenant_a.merchant, receiver.url(), "member.joined")
    join(tenant_a.merchant, 1)
    receiver.default = Reply(400, b'{"error": "unknown member"}')
    services.deliver_due(endpoint.pk)
    delivery = Delivery.objects.get(endpoint=endpoint)
    assert (delivery.status, delivery.next_attempt_at, delivery.last_status_code) == (
        Delivery.Status.FAILED, None, 400)
    assert DeliveryAttempt.objects.get(delivery=delivery).response_head == '{"error": "unknown member"}'
    endpoint.refresh_from_db()
    assert endpoint.consecutive_failures == 0  # an answer, not a sick receiver


def test_a_timeout_and_a_refused_connection_are_retried(tenant_a, receiver, in_english):
    endpoint, _secret = subscribe(tenant_a.merchant, receiver.url(), "member.joined")
    join(tenant_a.merchant, 1)
    receiver.replies.append(Reply(200, delay=1.5))  # the test timeout is 1 s
    services.deliver_due(endpoint.pk)
    attempt = DeliveryAttempt.objects.get()
    assert (attempt.outcome, attempt.status_code) == ("retry", None)
    assert "1 s" in attempt.error and attempt.duration_ms >= 900
    closed = subscribe(tenant_a.merchant, "http://127.0.0.1:9/hook", "member.joined")[0]
    join(tenant_a.merchant, 2)
    services.deliver_due(closed.pk)
    assert DeliveryAttempt.objects.get(delivery__endpoint=closed).outcome == "retry"


def test_deliveries_keep_the_order_of_their_events_and_sequence_numbers_count_per_object(tenant_a, receiver):
    endpoint, _secret = subscribe(tenant_a.merchant, receiver.url(), "member.joined", "member.changed")
    first, second = join(tenant_a.merchant, 1), join(tenant_a.merchant, 2)
    services.deliver_due(endpoint.pk)
    ids = [json.loads(r.body)["subject"]["id"] for r in receiver.received]
    assert ids == [first.pk, second.pk]


def test_the_circuit_breaker_rests_a_failing_endpoint_without_using_its_retries(tenant_a, receiver):
    endpoint, _secret = subscribe(tenant_a.merchant, receiver.url(), "member.joined")
    for n in range(8):
        join(tenant_a.merchant, n)
    receiver.default = Reply(502)
    now = timezone.now()
    run = services.deliver_due(endpoint.pk, now=now)
    assert (run.attempted, run.skipped) == (engine.CIRCUIT_FAILURES, "resting")
    untouched = Delivery.objects.filter(endpoint=endpoint, attempts=0)
    assert untouched.count() == 8 - engine.CIRCUIT_FAILURES
    assert services.due_endpoints(now) == []
    assert services.deliver_due(endpoint.pk, now=now + datetime.timedelta(seconds=30)).attempted == 0
    # After the rest one probe goes; it fails, so the endpoint rests again at once.
    later = now + engine.CIRCUIT_COOLDOWN + datetime.timedelta(seconds=1)
    assert services.due_endpoints(later) == [endpoint.pk]
    assert services.deliver_due(endpoint.pk, now=later).attempted == 1
    receiver.default = Reply(200)
    again = later + engine.CIRCUIT_COOLDOWN + datetime.timedelta(seconds=1)
    run = services.deliver_due(endpoint.pk, now=again + datetime.timedelta(hours=1))
    assert run.succeeded == 8
    endpoint.refresh_from_db()
    assert (endpoint.consecutive_failures, endpoint.failing_since, endpoint.circuit_open_until) == (0, None, None)


def test_a_resting_endpoint_does_not_hold_up_another(tenant_a, receiver):
    from tests.webhooks.receiver import Receiver

    healthy_receiver = Receiver().start()
    try:
        dead, _secret = subscribe(tenant_a.merchant, receiver.url(), "member.joined")
        healthy, _secret = subscribe(tenant_a.merchant, healthy_receiver.url(), "member.joined")
        receiver.default = Reply(500)
        for n in range(10):
            join(tenant_a.merchant, n)
        assert services.due_endpoints() == [dead.pk, healthy.pk]
        tasks.dispatch_webhooks()  # eager: each endpoint's task runs on its own
        assert len(receiver.received) == engine.CIRCUIT_FAILURES
        assert len(healthy_receiver.received) == 10
        assert Delivery.objects.filter(endpoint=healthy, status=Delivery.Status.SUCCEEDED).count() == 10
    finally:
        healthy_receiver.stop()


def test_an_endpoint_failing_for_five_days_is_disabled_and_the_owner_told(tenant_a, receiver):
    tenant_a.owner.user.email = "owner@a.example"
    tenant_a.owner.user.save()
    endpoint, _secret = subscribe(tenant_a.merchant, receiver.url(), "member.joined")
    receiver.default = Reply(500)
    join(tenant_a.merchant, 1)
    start = timezone.now()
    services.deliver_due(endpoint.pk, now=start)
    endpoint.refresh_from_db()
    assert endpoint.failing_since == start
    join(tenant_a.merchant, 2)
    four_days = start + datetime.timedelta(days=4)
    Endpoint.objects.filter(pk=endpoint.pk).update(circuit_open_until=None)
    services.deliver_due(endpoint.pk, now=four_days)
    assert Endpoint.objects.get(pk=endpoint.pk).status == Endpoint.Status.ACTIVE
    assert mail.outbox == []
    five_days = start + datetime.timedelta(days=5, seconds=1)
    Endpoint.objects.filter(pk=endpoint.pk).update(circuit_open_until=None)
    services.deliver_due(endpoint.pk, now=five_days)
    endpoint.refresh_from_db()
    assert (endpoint.status, endpoint.disabled_at) == (Endpoint.Status.DISABLED, five_days)
    assert Event.objects.filter(kind="webhook_endpoint.disabled", object_id=endpoint.pk).exists()
    # No more deliveries queue for it, and none is sent.
    join(tenant_a.merchant, 3)
    assert Delivery.objects.filter(endpoint=endpoint).count() == 2
    assert services.deliver_due(endpoint.pk, now=five_days + datetime.timedelta(days=1)).skipped == "not active"


def test_the_owner_is_mailed_when_an_endpoint_is_disabled(tenant_a, receiver, django_capture_on_commit_callbacks):
    tenant_a.owner.user.email = "owner@a.example"
    tenant_a.owner.user.save()
    endpoint, _secret = subscribe(tenant_a.merchant, receiver.url(), "member.joined")
    Endpoint.objects.filter(pk=endpoint.pk).update(failing_since=timezone.now() - datetime.timedelta(days=6))
    with django_capture_on_commit_callbacks(execute=True):
        assert services.disable_long_failing() == 1
    [message] = mail.outbox
    assert message.to == ["owner@a.example"] and endpoint.url in message.body


def test_replay_sends_the_same_event_again_with_a_fresh_schedule(tenant_a, receiver):
    endpoint, _secret = subscribe(tenant_a.merchant, receiver.url(), "member.joined")
    join(tenant_a.merchant, 1)
    receiver.default = Reply(410)
    services.deliver_due(endpoint.pk)
    receiver.default = Reply(200)
    assert services.replay(Delivery.objects.filter(endpoint=endpoint)) == 1
    services.deliver_due(endpoint.pk)
    delivery = Delivery.objects.get(endpoint=endpoint)
    assert (delivery.status, delivery.attempts, delivery.retries_used) == (Delivery.Status.SUCCEEDED, 2, 0)
    first, second = receiver.received
    assert (first.headers["webhook-id"], first.body) == (second.headers["webhook-id"], second.body)


def test_replaying_the_failed_deliveries_of_a_period_leaves_other_periods_and_pending_ones(tenant_a, receiver):
    endpoint, _secret = subscribe(tenant_a.merchant, receiver.url(), "member.joined")
    for n in range(3):
        join(tenant_a.merchant, n)
    receiver.default = Reply(404)
    services.deliver_due(endpoint.pk)
    old = deliveries(endpoint)[0]
    Delivery.objects.filter(pk=old.pk).update(created_at=timezone.now() - datetime.timedelta(days=10))
    today = timezone.now() - datetime.timedelta(days=1)
    assert services.replay(Delivery.objects.filter(endpoint=endpoint, status=Delivery.Status.FAILED,
                                                   created_at__gte=today)) == 2
    assert Delivery.objects.get(pk=old.pk).status == Delivery.Status.FAILED


def test_a_test_event_goes_to_the_chosen_endpoint_only(tenant_a, receiver, django_capture_on_commit_callbacks):
    endpoint, secret = subscribe(tenant_a.merchant, receiver.url(), "member.joined")
    other, _other_secret = subscribe(tenant_a.merchant, receiver.url("/other"), "member.joined")
    with django_capture_on_commit_callbacks(execute=True):
        services.send_test_event(endpoint, staff=tenant_a.owner.user)
    [got] = receiver.received
    assert got.path == "/hook" and Webhook(secret).verify(got.body, got.headers)["kind"] == "webhook.test"
    assert not Delivery.objects.filter(endpoint=other).exists()


def test_a_paused_endpoint_keeps_its_events_and_gets_them_when_resumed(tenant_a, receiver):
    endpoint, _secret = subscribe(tenant_a.merchant, receiver.url(), "member.joined", status=Endpoint.Status.PAUSED)
    join(tenant_a.merchant, 1)
    assert services.deliver_due(endpoint.pk).skipped == "not active"
    services.update_endpoint(endpoint, url=endpoint.url, event_types=endpoint.event_types, description="",
                             status=Endpoint.Status.ACTIVE)
    assert services.deliver_due(endpoint.pk).succeeded == 1


def test_a_run_leaves_an_endpoint_another_run_holds(tenant_a, receiver):
    endpoint, _secret = subscribe(tenant_a.merchant, receiver.url(), "member.joined")
    join(tenant_a.merchant, 1)
    Endpoint.objects.filter(pk=endpoint.pk).update(locked_until=timezone.now() + datetime.timedelta(minutes=1))
    assert services.deliver_due(endpoint.pk).skipped == "leased"
    assert receiver.received == []


@requires_postgres()
@pytest.mark.django_db(transaction=True)
def test_two_workers_on_one_endpoint_never_send_a_delivery_twice(receiver, local_targets):
    from tests.conftest import make_tenant

    tenant = make_tenant("race")
    endpoint, _secret = subscribe(tenant.merchant, receiver.url(), "member.joined")
    for n in range(20):
        join(tenant.merchant, n)
    receiver.default = Reply(200, delay=0.02)
    runs, _codes = race([lambda: services.deliver_due(endpoint.pk)] * 2)
    assert sum(run.attempted for run in runs) == 20  # the second run found the endpoint leased, or nothing due
    assert len(receiver.received) == 20
    assert Delivery.objects.filter(endpoint=endpoint, status=Delivery.Status.SUCCEEDED, attempts=1).count() == 20
