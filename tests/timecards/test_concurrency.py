"""Races on Postgres: the daily limit under cashiers recording at once; two purchases placing their periods."""

import pytest

from cards.timecards import services
from cards.timecards.models import TimeCard, TimeCardUse
from tests.conftest import race, requires_postgres
from tests.timecards.helpers import make_tier

pytestmark = [requires_postgres(), pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def test_the_daily_limit_holds_when_cashiers_record_at_once(tenant_a):
    card = services.sell_card(make_tier(tenant_a.merchant, daily_limit=2), tenant_a.member, store=tenant_a.store)
    results, codes = race([lambda: services.record_use(card, store=tenant_a.store) for _n in range(5)])
    assert len(results) == 2 and codes == ["time_card_daily_limit_reached"] * 3
    assert TimeCardUse.objects.filter(card=card).count() == 2


def test_purchases_at_once_are_placed_end_to_end(tenant_a):
    tier = make_tier(tenant_a.merchant, days=10)
    results, codes = race([lambda: services.sell_card(tier, tenant_a.member, store=tenant_a.store)
                           for _n in range(4)])
    assert len(results) == 4 and not codes
    cards = list(TimeCard.objects.filter(member=tenant_a.member).order_by("starts_on"))
    for before, after in zip(cards, cards[1:], strict=False):
        assert (after.starts_on - before.ends_on).days == 1
