"""Idempotency-Key on API calls that change things (here: joining a member at the counter)."""

import threading
from datetime import timedelta

import pytest
from django.db import connection
from django.urls import reverse
from django.utils import timezone

from loyalty.idempotency import purge_expired_records, request_fingerprint
from loyalty.models import IdempotencyRecord
from merchants.models import Member
from tests.conftest import requires_postgres

URL = reverse("api:member-join")


def test_a_retry_with_the_same_key_and_body_gets_the_first_answer(tenant_a):
    api = tenant_a.api()
    first = api.post(URL, {"phone": "13711112222", "name": "Ann"}, format="json", HTTP_IDEMPOTENCY_KEY="k1")
    second = api.post(URL, {"name": "Ann", "phone": "13711112222"}, format="json", HTTP_IDEMPOTENCY_KEY="k1")
    assert first.status_code == second.status_code == 201
    assert second.json() == first.json()
    assert second["Idempotent-Replayed"] == "true"
    assert Member.objects.filter(phone="13711112222").count() == 1


def test_without_a_key_a_second_call_is_a_new_request(tenant_a):
    api = tenant_a.api()
    assert api.post(URL, {"phone": "13711112222"}, format="json").status_code == 201
    second = api.post(URL, {"phone": "13711112222"}, format="json")
    assert second.status_code == 409
    assert second.json()["error"]["code"] == "member_exists"


def test_the_same_key_with_another_body_is_refused_and_changes_nothing(tenant_a):
    api = tenant_a.api()
    api.post(URL, {"phone": "13711112222"}, format="json", HTTP_IDEMPOTENCY_KEY="k1")
    response = api.post(URL, {"phone": "13711113333"}, format="json", HTTP_IDEMPOTENCY_KEY="k1")
    assert response.status_code == 422
    assert response.json()["error"]["code"] == "idempotency_key_reused"
    assert not Member.objects.filter(phone="13711113333").exists()


def test_a_retry_while_the_first_is_running_gets_409(tenant_a):
    body = b'{"phone":"13711112222"}'
    IdempotencyRecord.objects.create(scope=f"terminal:{tenant_a.terminal.pk}", key="busy",
                                     request_hash=request_fingerprint("POST", URL, body))
    response = tenant_a.api().post(URL, body, content_type="application/json", HTTP_IDEMPOTENCY_KEY="busy")
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "idempotency_in_flight"
    assert not Member.objects.filter(phone="13711112222").exists()


def test_an_abandoned_request_is_taken_over_by_its_retry(tenant_a):
    body = b'{"phone":"13711112222"}'
    record = IdempotencyRecord.objects.create(scope=f"terminal:{tenant_a.terminal.pk}", key="dead",
                                              request_hash=request_fingerprint("POST", URL, body))
    IdempotencyRecord.objects.filter(pk=record.pk).update(created_at=timezone.now() - timedelta(minutes=10))
    response = tenant_a.api().post(URL, body, content_type="application/json", HTTP_IDEMPOTENCY_KEY="dead")
    assert response.status_code == 201


def test_refusals_are_stored_too_so_a_retry_is_refused_the_same_way(tenant_a):
    api = tenant_a.api()
    first = api.post(URL, {"phone": "123"}, format="json", HTTP_IDEMPOTENCY_KEY="bad")
    second = api.post(URL, {"phone": "123"}, format="json", HTTP_IDEMPOTENCY_KEY="bad")
    assert first.status_code == second.status_code == 400
    assert second.json() == first.json()


def test_keys_are_per_terminal(tenant_a, tenant_b):
    a = tenant_a.api().post(URL, {"phone": "13711112222"}, format="json", HTTP_IDEMPOTENCY_KEY="same")
    b = tenant_b.api().post(URL, {"phone": "13711112222"}, format="json", HTTP_IDEMPOTENCY_KEY="same")
    assert a.status_code == b.status_code == 201
    assert a.json()["id"] != b.json()["id"]


@pytest.mark.parametrize("key", ["", " ", "x" * 256, "tab\there"])
def test_a_malformed_key_is_refused(tenant_a, key):
    response = tenant_a.api().post(URL, {"phone": "13711112222"}, format="json", HTTP_IDEMPOTENCY_KEY=key)
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "idempotency_key_invalid"
    assert not Member.objects.filter(phone="13711112222").exists()


def test_records_older_than_the_retention_are_purged(tenant_a):
    old = IdempotencyRecord.objects.create(scope="terminal:1", key="old", request_hash="0" * 64)
    IdempotencyRecord.objects.filter(pk=old.pk).update(created_at=timezone.now() - timedelta(hours=49))
    IdempotencyRecord.objects.create(scope="terminal:1", key="new", request_hash="0" * 64)
    assert purge_expired_records() == 1
    assert list(IdempotencyRecord.objects.values_list("key", flat=True)) == ["new"]


@requires_postgres()
@pytest.mark.django_db(transaction=True)
def test_concurrent_retries_make_one_member(tenant_a):
    results = []
    barrier = threading.Barrier(6)

    def call():
        try:
            barrier.wait()
            response = tenant_a.api().post(URL, {"phone": "13711112222"}, format="json",
                                           HTTP_IDEMPOTENCY_KEY="race")
            results.append(response.status_code)
        finally:
            connection.close()

    threads = [threading.Thread(target=call) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert Member.objects.filter(phone="13711112222").count() == 1
    assert set(results) <= {201, 409} and 201 in results


class WorkerKilled(BaseException):
    """What a worker dying mid-request looks like from inside: nothing catches it."""


def test_a_worker_killed_after_the_change_leaves_no_change_for_its_retry_to_repeat(tenant_a):
    from rest_framework.response import Response
    from rest_framework.test import APIRequestFactory, force_authenticate
    from rest_framework.views import APIView

    from loyalty.idempotency import idempotent
    from merchants.services import join_member

    worker_dies = [True]

    class JoinThenMaybeDie(APIView):
        @idempotent
        def post(self, request):
            member = join_member(tenant_a.merchant, request.data["phone"])
            if worker_dies[0]:
                raise WorkerKilled
            return Response({"member": member.pk}, status=201)

    def call():
        request = APIRequestFactory().post("/join", {"phone": "13711114444"}, format="json",
                                           HTTP_IDEMPOTENCY_KEY="k-die")
        force_authenticate(request, token=tenant_a.terminal)
        return JoinThenMaybeDie.as_view()(request)

    with pytest.raises(WorkerKilled):
        call()
    # The member and the record of the answer go together: the dead worker left neither.
    assert not Member.objects.filter(phone="13711114444").exists()
    record = IdempotencyRecord.objects.get(key="k-die")
    assert record.state == IdempotencyRecord.State.IN_FLIGHT
    IdempotencyRecord.objects.filter(pk=record.pk).update(created_at=timezone.now() - timedelta(minutes=10))
    worker_dies[0] = False
    retry = call()
    assert retry.status_code == 201
    assert Member.objects.filter(phone="13711114444").count() == 1
    assert call().data == retry.data


def test_a_request_whose_worker_died_after_its_claim_is_taken_over_after_five_minutes(tenant_a, monkeypatch):
    """The claim is the one statement a dead worker left behind (not a row made by the test's ORM)."""
    from loyalty.idempotency import _claim

    body = b'{"phone":"13711112222"}'
    _claim(f"terminal:{tenant_a.terminal.pk}", "died", request_fingerprint("POST", URL, body))
    api = tenant_a.api()
    assert api.post(URL, body, content_type="application/json", HTTP_IDEMPOTENCY_KEY="died").status_code == 409
    later = timezone.now() + timedelta(minutes=6)
    monkeypatch.setattr(timezone, "now", lambda: later)
    response = api.post(URL, body, content_type="application/json", HTTP_IDEMPOTENCY_KEY="died")
    assert response.status_code == 201 and Member.objects.filter(phone="13711112222").exists()
