"""Terminal API: authentication by key, member lookup, joining at the counter, stores; all scoped."""

import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from merchants.member_codes import member_code
from merchants.services import revoke_terminal

LOOKUP = reverse("api:member-lookup")
JOIN = reverse("api:member-join")
STORES = reverse("api:store-list")


def test_lookup_by_phone(tenant_a):
    response = tenant_a.api().get(LOOKUP, {"phone": "138-0000-0001"})
    assert response.status_code == 200
    assert response.json()["id"] == tenant_a.member.pk


def test_lookup_by_scanned_member_code(tenant_a):
    response = tenant_a.api().get(LOOKUP, {"code": member_code(tenant_a.member)})
    assert response.status_code == 200 and response.json()["id"] == tenant_a.member.pk


def test_another_merchants_member_is_not_found_by_phone_or_code(tenant_a, tenant_b):
    by_phone = tenant_b.api().get(LOOKUP, {"phone": tenant_a.member.phone})
    assert by_phone.status_code == 404 and by_phone.json()["error"]["code"] == "member_not_found"
    by_code = tenant_b.api().get(LOOKUP, {"code": member_code(tenant_a.member)})
    assert by_code.status_code == 400 and by_code.json()["error"]["code"] == "member_code_invalid"


def test_lookup_needs_a_phone_or_code(tenant_a):
    response = tenant_a.api().get(LOOKUP)
    assert response.status_code == 400
    error = response.json()["error"]
    assert (error["code"], error["field"]) == ("lookup_required", "phone") and error["message"]


def test_errors_are_translated_by_accept_language(tenant_a):
    response = tenant_a.api().get(LOOKUP, {"phone": "123"}, HTTP_ACCEPT_LANGUAGE="en")
    assert response.json()["error"]["code"] == "phone_invalid"
    assert response.json()["error"]["message"].startswith("Enter a mobile number")
    chinese = tenant_a.api().get(LOOKUP, {"phone": "123"}, HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert chinese.json()["error"]["message"] != response.json()["error"]["message"]


@pytest.mark.parametrize("header", ["Terminal nonsense", "Terminal tk_abc_def", "Terminal", "Bearer xyz"])
def test_bad_keys_are_refused(tenant_a, header):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=header)
    response = client.get(LOOKUP, {"phone": tenant_a.member.phone})
    assert response.status_code == 401
    assert response.json()["error"]["code"] in ("terminal_key_invalid", "not_authenticated")


def test_a_key_with_a_right_prefix_and_wrong_secret_is_refused(tenant_a):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Terminal {tenant_a.terminal_key[:-3]}xyz")
    assert client.get(LOOKUP, {"phone": tenant_a.member.phone}).status_code == 401


def test_a_revoked_terminal_is_refused_at_once(tenant_a):
    api = tenant_a.api()
    for _call in range(2):  # the second call authenticates with the terminal the first one cached
        assert api.get(LOOKUP, {"phone": tenant_a.member.phone}).status_code == 200
    revoke_terminal(tenant_a.terminal)
    response = api.get(LOOKUP, {"phone": tenant_a.member.phone})
    assert response.status_code == 401 and response.json()["error"]["code"] == "terminal_revoked"


def test_no_key_at_all_is_401_with_a_challenge(db):
    response = APIClient().get(LOOKUP, {"phone": "13800000001"})
    assert response.status_code == 401 and response["WWW-Authenticate"] == "Terminal"


def test_joining_at_the_counter_records_the_store(tenant_a):
    response = tenant_a.api().post(JOIN, {"phone": "13711112222", "name": "Zhou", "gender": "male",
                                          "birthday": "1990-05-01"}, format="json")
    assert response.status_code == 201
    assert response.json()["source_store"] == tenant_a.store.pk


@pytest.mark.parametrize("body, field", [
    ({"phone": "123"}, "phone"), ({}, "phone"), ({"phone": "13711112222", "gender": "robot"}, "gender"),
    ({"phone": "13711112222", "birthday": "yesterday"}, "birthday"),
    ({"phone": "13711112222", "custom_fields": {"unknown": 1}}, "custom_fields.unknown"),
])
def test_joining_with_bad_input_is_refused_and_creates_nobody(tenant_a, body, field):
    before = tenant_a.merchant.members.count()
    response = tenant_a.api().post(JOIN, body, format="json")
    assert response.status_code == 400
    assert response.json()["error"]["field"] == field
    assert tenant_a.merchant.members.count() == before


def test_malformed_json_is_a_clear_400(tenant_a):
    response = tenant_a.api().post(JOIN, "{not json", content_type="application/json")
    assert response.status_code == 400 and response.json()["error"]["code"] == "malformed_request"


def test_stores_are_the_terminals_merchants_only_and_paginated(tenant_a, tenant_b):
    response = tenant_a.api().get(STORES, {"page_size": 1})
    body = response.json()
    assert body["count"] == 2 and len(body["results"]) == 1 and body["next"]
    names = {store["name"] for store in tenant_a.api().get(STORES).json()["results"]}
    assert names == {tenant_a.store.name, tenant_a.other_store.name}


def test_the_schema_and_docs_are_served_without_the_internet(client, db):
    schema = client.get("/api/schema/")
    assert schema.status_code == 200 and b"/api/v1/members/lookup" in schema.content
    docs = client.get("/api/docs/").content.decode()
    assert "/static/drf_spectacular_sidecar/" in docs and "cdn" not in docs.lower()
