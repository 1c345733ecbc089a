"""Punch and time cards as benefits of a reward rule after payment (支付后营销) and of a recharge offer."""

from decimal import Decimal

import pytest

from cards.punchcards.models import PunchCard
from cards.timecards.models import TimeCard
from tests.benefit_helpers import reward_rule
from tests.checkout.helpers import PAYMENTS, body, refunds_url
from tests.punchcards.helpers import make_product
from tests.timecards.helpers import make_tier
from tests.wallet.helpers import enable_stored_value
from wallet import services as wallet
from wallet.models import RechargeOffer

pytestmark = pytest.mark.django_db
D = Decimal


def test_a_reward_rule_gives_cards_after_payment_and_a_refund_takes_them_back(tenant_a):
    product, tier = make_product(tenant_a.merchant), make_tier(tenant_a.merchant)
    rule = reward_rule(merchant=tenant_a.merchant, name="买单送卡", min_paid=D("50.00"))
    rule.benefits.create(merchant=tenant_a.merchant, kind="punch_card", quantity=1, target_id=product.pk)
    rule.benefits.create(merchant=tenant_a.merchant, kind="time_card", quantity=1, target_id=tier.pk, position=1)
    api = tenant_a.api()
    paid = api.post(PAYMENTS, body("60.00", tenant_a.member, external={"channel": "cash"}), format="json")
    assert paid.status_code == 201, paid.json()
    card = PunchCard.objects.get(member=tenant_a.member)
    pass_ = TimeCard.objects.get(member=tenant_a.member)
    assert (card.source, card.uses_left, pass_.source, pass_.status) == ("benefit", 10, "benefit", "active")
    refund = api.post(refunds_url(paid.json()["id"]), {"amount": "60.00"}, format="json")
    assert refund.status_code == 201, refund.json()
    card.refresh_from_db()
    pass_.refresh_from_db()
    assert (card.status, card.uses_left, pass_.status) == ("void", 0, "void")


def test_a_recharge_offer_gives_a_punch_card(tenant_a):
    enable_stored_value(tenant_a.merchant)
    product = make_product(tenant_a.merchant)
    offer = RechargeOffer.objects.create(merchant=tenant_a.merchant, name="充300送次卡", pay_amount=D("300.00"),
                                         bonus_value=D("0.00"))
    offer.benefits.create(merchant=tenant_a.merchant, kind="punch_card", quantity=1, target_id=product.pk)
    wallet.recharge(tenant_a.member, "300.00", store=tenant_a.store)
    assert PunchCard.objects.get(member=tenant_a.member).uses_left == 10
