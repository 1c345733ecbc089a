"""The terminal API: card lookup, use (idempotent), cash sale; another merchant's cards are unknown."""

from decimal import Decimal

import pytest
from django.urls import reverse

from cards.punchcards import services
from cards.punchcards.models import PunchCard, PunchCardUse
from loyalty.usable_cards import card_code
from tests.punchcards.helpers import make_product

pytestmark = pytest.mark.django_db
USES = reverse("api:card-uses")


@pytest.fixture
def card(tenant_a):
    return services.sell_card(make_product(tenant_a.merchant), tenant_a.member, store=tenant_a.store)


def _code(card):
    return card_code("punch", merchant_id=card.merchant_id, card_id=card.pk)


def test_lookup_shows_the_card_and_the_member(tenant_a, card):
    response = tenant_a.api().get(reverse("api:card-lookup"), {"code": _code(card)})
    assert response.status_code == 200
    body = response.json()
    assert (body["kind"], body["card"], body["member"], body["uses_left"], body["usable"]) == (
        "punch", card.pk, tenant_a.member.pk, 10, True)


def test_a_use_through_the_api_is_idempotent(tenant_a, card):
    api = tenant_a.api()
    body = {"code": _code(card), "count": 2}
    first = api.post(USES, body, format="json", HTTP_IDEMPOTENCY_KEY="use-1")
    again = api.post(USES, body, format="json", HTTP_IDEMPOTENCY_KEY="use-1")
    assert first.status_code == again.status_code == 201
    assert first.json() == again.json() and first.json()["card"]["uses_left"] == 8
    assert PunchCardUse.objects.filter(card=card).count() == 1
    use = PunchCardUse.objects.get(card=card)
    assert (use.store, use.terminal) == (tenant_a.store, tenant_a.terminal)


def test_a_refused_use_changes_nothing_and_says_why(tenant_a, in_english):
    card = services.sell_card(make_product(tenant_a.merchant, uses=1), tenant_a.member, store=tenant_a.store)
    api = tenant_a.api()
    response = api.post(USES, {"code": _code(card), "count": 2}, format="json")
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "punch_card_not_enough_uses"
    assert "Not enough uses left" in response.json()["error"]["message"]
    card.refresh_from_db()
    assert card.uses_left == 1


@pytest.mark.parametrize("count", [0, -1, 21, "two", 1.5])
def test_a_bad_count_is_refused(tenant_a, card, count):
    response = tenant_a.api().post(USES, {"code": _code(card), "count": count}, format="json")
    assert response.status_code == 400
    card.refresh_from_db()
    assert card.uses_left == 10


def test_another_merchants_card_is_unknown(tenant_a, tenant_b, card):
    response = tenant_b.api().post(USES, {"code": _code(card)}, format="json")
    assert response.status_code == 400 and response.json()["error"]["code"] == "card_code_invalid"
    response = tenant_b.api().get(reverse("api:card-lookup"), {"code": _code(card)})
    assert response.status_code == 400
    card.refresh_from_db()
    assert card.uses_left == 10


def test_a_cash_sale_through_the_api(tenant_a, tenant_b):
    product = make_product(tenant_a.merchant)
    response = tenant_a.api().post(reverse("api:punch-card-sale"), {"member": tenant_a.member.pk,
                                                                    "product": product.pk},
                                   format="json", HTTP_IDEMPOTENCY_KEY="sale-1")
    assert response.status_code == 201 and response.json()["uses_left"] == 10
    assert PunchCard.objects.get(pk=response.json()["id"]).price_paid == Decimal("300.00")
    foreign = tenant_b.api().post(reverse("api:punch-card-sale"), {"member": tenant_b.member.pk,
                                                                   "product": product.pk}, format="json")
    assert foreign.status_code == 404
    assert not PunchCard.objects.filter(member=tenant_b.member).exists()
