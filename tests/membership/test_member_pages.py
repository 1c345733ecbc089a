"""The member's card page: card face, the dynamic QR code, expiry, level rules; the points history; the home tile."""

import datetime
import re
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from cards.membership import services
from merchants.member_codes import resolve_member_code
from tests.membership.helpers import make_program
from tests.wallet.helpers import log_in_member

D = Decimal
pytestmark = pytest.mark.django_db


def _card_url(tenant):
    return reverse("membership:card", args=[tenant.merchant.slug])


def test_card_page_needs_a_logged_in_member(client, tenant_a):
    response = client.get(_card_url(tenant_a))
    assert response.status_code == 302 and "/login/" in response["Location"]


def test_card_page_shows_level_points_progress_and_a_qr_code_for_this_member(client, tenant_a):
    make_program(tenant_a.merchant, points_expiry="months", points_expiry_period=1, notice="Welcome")
    services.earn_for_payment(tenant_a.member, paid_amount=D("60.00"), reference="P1")
    log_in_member(client, tenant_a.member)
    html = client.get(_card_url(tenant_a)).content.decode()
    assert re.search(r'id="card-level">\s*Silver', html) and 'id="card-points">60<' in html
    assert 'id="card-experience">60<' in html and "Gold" in html and "40" in html  # 40 more to Gold
    assert "<svg" in html and "Welcome" in html and 'id="card-expiry"' in html
    code = re.search(r'id="member-code"[^>]*>([^<]+)<', html).group(1)
    assert resolve_member_code(tenant_a.merchant, code) == tenant_a.member


def test_card_page_works_for_a_merchant_without_a_programme(client, tenant_a):
    log_in_member(client, tenant_a.member)
    response = client.get(_card_url(tenant_a))
    assert response.status_code == 200 and 'id="card-points">0<' in response.content.decode()


def test_a_bad_colour_never_reaches_the_page(client, tenant_a):
    make_program(tenant_a.merchant, colour='"><b>')
    log_in_member(client, tenant_a.member)
    html = client.get(_card_url(tenant_a)).content.decode()
    assert "<b>" not in html and "background: #C0392B" in html


def test_points_history_is_paginated_with_reasons_in_words(client, tenant_a):
    make_program(tenant_a.merchant)
    for n in range(25):
        services.grant_points(tenant_a.member, n + 1, reason="gift", reference=f"G{n}")
    services.adjust_points(tenant_a.member, -3, reason_text="Typo fixed", staff=tenant_a.owner.user)
    log_in_member(client, tenant_a.member)
    url = reverse("membership:points", args=[tenant_a.merchant.slug])
    first = client.get(url).content.decode()
    assert "Typo fixed" in first and first.count("<li>") == 20 and 'id="next-page"' in first
    second = client.get(url + "?page=2").content.decode()
    assert second.count("<li>") == 6


def test_a_member_sees_only_their_own_points(client, tenant_a, tenant_b):
    make_program(tenant_b.merchant)
    services.grant_points(tenant_b.member, 777, reason="gift")
    log_in_member(client, tenant_a.member)
    html = client.get(reverse("membership:points", args=[tenant_a.merchant.slug])).content.decode()
    assert "777" not in html
    # Logged in at A only: B's card page asks B's login.
    assert client.get(_card_url(tenant_b)).status_code == 302


def test_the_home_page_shows_the_card_tile(client, tenant_a):
    make_program(tenant_a.merchant, opening_points=0)
    services.grant_points(tenant_a.member, 42, reason="gift")
    log_in_member(client, tenant_a.member)
    html = client.get(reverse("member:home", args=[tenant_a.merchant.slug])).content.decode()
    assert _card_url(tenant_a) in html and "42" in html


def test_upcoming_expiry_is_on_the_card_page(client, tenant_a):
    program = make_program(tenant_a.merchant, points_expiry="months", points_expiry_period=1)
    services.grant_points(tenant_a.member, 15, reason="gift")
    log_in_member(client, tenant_a.member)
    html = client.get(_card_url(tenant_a)).content.decode()
    last_day = services.points_expiry_date(program, timezone.localdate())
    assert isinstance(last_day, datetime.date) and last_day.strftime("%Y-%m-%d") in html


def test_card_and_history_pages_cost_the_same_queries_whatever_the_history(client, tenant_a):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    make_program(tenant_a.merchant, points_expiry="months", points_expiry_period=1)
    log_in_member(client, tenant_a.member)
    urls = [_card_url(tenant_a), reverse("membership:points", args=[tenant_a.merchant.slug])]

    def counts():
        found = []
        for url in urls:
            with CaptureQueriesContext(connection) as queries:
                assert client.get(url).status_code == 200
            found.append(len(queries))
        return found

    services.grant_points(tenant_a.member, 5, reason="gift")
    few = counts()
    for n in range(60):
        services.earn_for_payment(tenant_a.member, paid_amount=D("3.00"), reference=f"P{n}")
    assert counts() == few


@pytest.mark.parametrize("asks_for_details", [True, False])
def test_joining_asks_for_the_member_details_only_when_the_programme_says_so(client, tenant_a, asks_for_details):
    from merchants.models import Member, MemberField
    from tests.merchants.test_login import _send, _verify, last_code

    make_program(tenant_a.merchant, join_requires_fields=asks_for_details, opening_points=5)
    MemberField.objects.create(merchant=tenant_a.merchant, key="size", label="Size", kind="choice",
                               choices=["S", "M"], required=True)
    join = reverse("member:join", args=[tenant_a.merchant.slug])
    _send(client, tenant_a.merchant, "13700000008")
    _verify(client, tenant_a.merchant, "13700000008", last_code("13700000008"))
    page = client.get(join)
    assert ("cf_size" in page.content.decode()) is asks_for_details
    response = client.post(join, {})
    joined = Member.objects.filter(merchant=tenant_a.merchant, phone="13700000008").first()
    if asks_for_details:
        assert response.status_code == 200 and "cf_size" in response.context["form"].errors and joined is None
    else:
        assert response.status_code == 302 and joined is not None and joined.custom_fields == {}
        assert services.card_for(joined).points == 5
