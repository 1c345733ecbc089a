"""The terminal's member lookup by the card page's QR code: level and points, and codes that must be refused."""

import time
from decimal import Decimal

import pytest
from django.urls import reverse

from cards.membership import services
from merchants.member_codes import member_code
from tests.membership.helpers import make_program

D = Decimal
LOOKUP = reverse("api:member-lookup")
pytestmark = pytest.mark.django_db


def _gold_member(tenant):
    make_program(tenant.merchant)
    services.earn_for_payment(tenant.member, paid_amount=D("150.00"), reference="P1")
    return tenant.member


def test_a_fresh_code_from_the_card_page_gives_level_and_points(tenant_a):
    member = _gold_member(tenant_a)
    body = tenant_a.api().get(LOOKUP, {"code": member_code(member)}).json()
    assert body["id"] == member.pk
    assert body["membership"]["points"] == 150 and body["membership"]["experience"] == 150
    assert body["membership"]["level"]["name"] == "Gold" and body["membership"]["level"]["rank"] == 2


def test_lookup_by_phone_gives_the_same_summary(tenant_a):
    member = _gold_member(tenant_a)
    body = tenant_a.api().get(LOOKUP, {"phone": member.phone}).json()
    assert body["membership"]["level"]["name"] == "Gold"


def test_a_member_without_a_card_shows_no_level_and_no_points(tenant_a):
    body = tenant_a.api().get(LOOKUP, {"phone": tenant_a.member.phone}).json()
    assert body["membership"] == {"level": None, "points": 0, "experience": 0}


def test_an_expired_code_is_refused(tenant_a):
    member = _gold_member(tenant_a)
    response = tenant_a.api().get(LOOKUP, {"code": member_code(member, now=time.time() - 150)})
    assert response.status_code == 400 and response.json()["error"]["code"] == "member_code_expired"
    assert "membership" not in response.json()


def test_a_code_still_inside_its_two_minutes_is_accepted(tenant_a):
    member = _gold_member(tenant_a)
    response = tenant_a.api().get(LOOKUP, {"code": member_code(member, now=time.time() - 90)})
    assert response.status_code == 200 and response.json()["membership"]["points"] == 150


@pytest.mark.parametrize("mangle", [
    lambda code: code[:-1] + ("A" if code[-1] != "A" else "B"),
    lambda code: code.replace("M", "M9", 1),
    lambda code: "garbage",
])
def test_a_forged_code_is_refused(tenant_a, mangle):
    member = _gold_member(tenant_a)
    response = tenant_a.api().get(LOOKUP, {"code": mangle(member_code(member))})
    assert response.status_code == 400 and response.json()["error"]["code"] == "member_code_invalid"


def test_another_merchants_terminal_gets_nothing_from_the_code(tenant_a, tenant_b):
    member = _gold_member(tenant_a)
    response = tenant_b.api().get(LOOKUP, {"code": member_code(member)})
    assert response.status_code == 400 and response.json()["error"]["code"] == "member_code_invalid"
    assert "membership" not in response.json() and str(member.phone) not in response.content.decode()


def test_another_merchants_terminal_gets_nothing_by_phone(tenant_a, tenant_b):
    member = _gold_member(tenant_a)
    response = tenant_b.api().get(LOOKUP, {"phone": member.phone})
    assert response.status_code == 404 and "membership" not in response.json()
