"""The member's dynamic QR code: valid for two minutes, bound to one merchant, unforgeable."""

import time

import pytest

from loyalty.errors import DomainError
from merchants.member_codes import member_code, resolve_member_code


def test_a_fresh_code_resolves_to_the_member(tenant_a):
    assert resolve_member_code(tenant_a.merchant, member_code(tenant_a.member)) == tenant_a.member


def test_the_code_changes_every_thirty_seconds(tenant_a):
    now = time.time()
    assert member_code(tenant_a.member, now=now) != member_code(tenant_a.member, now=now + 30)


def test_a_code_is_accepted_for_two_minutes_then_refused(tenant_a):
    issued = 1_800_000_000.0
    code = member_code(tenant_a.member, now=issued)
    assert resolve_member_code(tenant_a.merchant, code, now=issued + 90) == tenant_a.member
    with pytest.raises(DomainError) as caught:
        resolve_member_code(tenant_a.merchant, code, now=issued + 150)
    assert caught.value.code == "member_code_expired"


def test_a_code_from_the_future_is_refused(tenant_a):
    code = member_code(tenant_a.member, now=time.time() + 600)
    with pytest.raises(DomainError) as caught:
        resolve_member_code(tenant_a.merchant, code)
    assert caught.value.code == "member_code_expired"


@pytest.mark.parametrize("mangle", [
    lambda c: c[:-1] + ("A" if c[-1] != "A" else "B"),
    lambda c: "M999999." + c.split(".", 1)[1],
    lambda c: "garbage", lambda c: "", lambda c: "M1.2", lambda c: "Mx.1.AAAA",
])
def test_forged_codes_are_refused(tenant_a, mangle):
    with pytest.raises(DomainError) as caught:
        resolve_member_code(tenant_a.merchant, mangle(member_code(tenant_a.member)))
    assert caught.value.code == "member_code_invalid"


def test_another_merchants_code_is_refused(tenant_a, tenant_b):
    with pytest.raises(DomainError) as caught:
        resolve_member_code(tenant_b.merchant, member_code(tenant_a.member))
    assert caught.value.code == "member_code_invalid"


def test_the_home_page_refreshes_the_code(client, tenant_a):
    session = client.session
    session[f"member:{tenant_a.merchant.pk}"] = tenant_a.member.pk
    session.save()
    response = client.get(f"/m/{tenant_a.merchant.slug}/code/")
    body = response.json()
    assert resolve_member_code(tenant_a.merchant, body["code"]) == tenant_a.member
    assert body["svg"].startswith("<svg") and 1 <= body["refresh_in"] <= 30
