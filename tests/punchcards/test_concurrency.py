"""Races on Postgres: two cashiers scanning the last use; two managers undoing the same use."""

import pytest

from cards.punchcards import services
from cards.punchcards.models import PunchCard, PunchCardEntry
from tests.conftest import race, requires_postgres
from tests.punchcards.helpers import make_product

pytestmark = [requires_postgres(), pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def test_two_cashiers_scanning_the_last_use_exactly_one_succeeds(tenant_a):
    card = services.sell_card(make_product(tenant_a.merchant, uses=1), tenant_a.member, store=tenant_a.store)
    results, codes = race([lambda: services.record_use(card, store=tenant_a.store) for _n in range(4)])
    assert len(results) == 1 and codes == ["punch_card_not_enough_uses"] * 3
    card.refresh_from_db()
    assert (card.uses_left, card.uses_count) == (0, 1)
    assert PunchCardEntry.objects.filter(card=card, reason="use").count() == 1


def test_many_uses_at_once_never_overdraw(tenant_a):
    card = services.sell_card(make_product(tenant_a.merchant, uses=5), tenant_a.member, store=tenant_a.store)
    results, codes = race([lambda: services.record_use(card, store=tenant_a.store, count=2) for _n in range(5)])
    assert len(results) == 2 and set(codes) == {"punch_card_not_enough_uses"}
    assert PunchCard.objects.get(pk=card.pk).uses_left == 1


def test_an_undo_raced_gives_the_uses_back_exactly_once(tenant_a):
    card = services.sell_card(make_product(tenant_a.merchant), tenant_a.member, store=tenant_a.store)
    use = services.record_use(card, store=tenant_a.store, count=3)
    results, codes = race([lambda: services.undo_use(use, staff=tenant_a.manager.user) for _n in range(3)])
    assert len(results) == 1 and codes == ["punch_card_use_already_undone"] * 2
    assert PunchCard.objects.get(pk=card.pk).uses_left == 10


def test_purchases_at_once_keep_the_holding_limit(tenant_a):
    product = make_product(tenant_a.merchant, per_member_limit=1)
    results, codes = race([lambda: services.sell_card(product, tenant_a.member, store=tenant_a.store)
                           for _n in range(4)])
    assert len(results) == 1 and codes == ["punch_card_limit_reached"] * 3
    assert PunchCard.objects.filter(member=tenant_a.member).count() == 1
