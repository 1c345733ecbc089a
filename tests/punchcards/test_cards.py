"""Punch cards: sold, bought through the gateway, given as a benefit, shared, used, undone, refunded, audited."""

import datetime
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone
from hypothesis import given, settings
from hypothesis import strategies as st

from cards.punchcards import services
from cards.punchcards.models import PunchCard, PunchCardEntry, RefundPolicy, Validity
from loyalty import payments
from loyalty.errors import DomainError
from loyalty.ledgers import audit_all
from loyalty.money import quantize
from loyalty.usable_cards import card_code, find_card, merchant_today
from merchants import services as merchant_services
from tests.punchcards.helpers import make_product

D = Decimal
pytestmark = pytest.mark.django_db


def _codes(call):
    with pytest.raises(DomainError) as raised:
        call()
    return raised.value.code


def test_a_cash_sale_puts_the_uses_on_the_ledger(tenant_a):
    card = services.sell_card(make_product(tenant_a.merchant), tenant_a.member, store=tenant_a.store,
                              staff=tenant_a.cashier.user)
    assert (card.status, card.uses_left, card.uses_total, card.price_paid) == ("active", 10, 10, D("300.00"))
    entry = PunchCardEntry.objects.get(card=card)
    assert (entry.delta, entry.balance_after, entry.reason) == (10, 10, "issue")
    today = timezone.localdate()
    assert (card.valid_from, card.valid_until) == (today, today + datetime.timedelta(days=89))


def test_a_use_takes_one_and_the_last_use_then_refuses(tenant_a):
    card = services.sell_card(make_product(tenant_a.merchant, uses=2), tenant_a.member, store=tenant_a.store)
    services.record_use(card, store=tenant_a.store)
    services.record_use(card, store=tenant_a.store)
    card.refresh_from_db()
    assert (card.uses_left, card.uses_count) == (0, 2)
    assert _codes(lambda: services.record_use(card, store=tenant_a.store)) == "punch_card_not_enough_uses"
    assert PunchCardEntry.objects.filter(card=card).count() == 3


def test_k_uses_at_once_and_more_than_left_is_refused_whole(tenant_a):
    card = services.sell_card(make_product(tenant_a.merchant, uses=5), tenant_a.member, store=tenant_a.store)
    services.record_use(card, store=tenant_a.store, count=3)
    assert _codes(lambda: services.record_use(card, store=tenant_a.store, count=3)) == "punch_card_not_enough_uses"
    card.refresh_from_db()
    assert card.uses_left == 2


def test_a_store_not_on_the_card_is_refused(tenant_a):
    product = make_product(tenant_a.merchant)
    product.stores.set([tenant_a.store])
    card = services.sell_card(product, tenant_a.member, store=tenant_a.store)
    assert _codes(lambda: services.record_use(card, store=tenant_a.other_store)) == "punch_card_wrong_store"


def test_validity_from_the_first_use_starts_on_that_day(tenant_a):
    product = make_product(tenant_a.merchant, validity=Validity.FROM_FIRST_USE, valid_days=7)
    card = services.sell_card(product, tenant_a.member, store=tenant_a.store)
    assert card.valid_from is None
    services.record_use(card, store=tenant_a.store)
    card.refresh_from_db()
    today = timezone.localdate()
    assert (card.valid_from, card.valid_until) == (today, today + datetime.timedelta(days=6))


def test_an_expired_card_is_refused(tenant_a):
    product = make_product(tenant_a.merchant)
    card = services.sell_card(product, tenant_a.member, store=tenant_a.store)
    PunchCard.objects.filter(pk=card.pk).update(valid_until=timezone.localdate() - datetime.timedelta(days=1))
    card.refresh_from_db()
    assert _codes(lambda: services.record_use(card, store=tenant_a.store)) == "punch_card_expired"


def test_the_holding_limit_is_kept(tenant_a):
    product = make_product(tenant_a.merchant, per_member_limit=1)
    services.sell_card(product, tenant_a.member, store=tenant_a.store)
    assert _codes(lambda: services.sell_card(product, tenant_a.member, store=tenant_a.store)) == (
        "punch_card_limit_reached")


def test_co_users_use_the_card_and_each_use_says_who(tenant_a):
    product = make_product(tenant_a.merchant, co_user_limit=1, per_co_user_uses=1)
    card = services.sell_card(product, tenant_a.member, store=tenant_a.store)
    services.add_co_user(card, phone="137 1234 5678", name="kid")
    assert _codes(lambda: services.add_co_user(card, phone="13712340000")) == "punch_card_co_users_full"
    use = services.record_use(card, store=tenant_a.store, used_by_phone="13712345678")
    assert use.co_user.name == "kid" and use.used_by == "kid"
    assert _codes(lambda: services.record_use(card, store=tenant_a.store, used_by_phone="13712345678")) == (
        "punch_card_co_user_limit_reached")
    assert _codes(lambda: services.record_use(card, store=tenant_a.store, used_by_phone="13700001111")) == (
        "punch_card_co_user_unknown")
    assert services.record_use(card, store=tenant_a.store).co_user is None


def test_an_undo_gives_the_uses_back_once(tenant_a):
    card = services.sell_card(make_product(tenant_a.merchant), tenant_a.member, store=tenant_a.store)
    use = services.record_use(card, store=tenant_a.store, count=2)
    services.undo_use(use, staff=tenant_a.manager.user)
    assert _codes(lambda: services.undo_use(use, staff=tenant_a.manager.user)) == "punch_card_use_already_undone"
    card.refresh_from_db()
    assert (card.uses_left, card.uses_count) == (10, 0)


def test_an_undo_after_the_time_limit_is_refused(tenant_a):
    card = services.sell_card(make_product(tenant_a.merchant), tenant_a.member, store=tenant_a.store)
    use = services.record_use(card, store=tenant_a.store)
    late = use.used_at + datetime.timedelta(minutes=31)
    assert _codes(lambda: services.undo_use(use, staff=tenant_a.manager.user, now=late)) == "punch_card_undo_too_late"


def test_a_purchase_through_the_gateway_is_fulfilled_once(client, tenant_a):
    card, payment = services.start_purchase(make_product(tenant_a.merchant), tenant_a.member)
    assert (card.status, payment.amount, payment.purpose) == ("pending", D("300.00"), "punch_card_purchase")
    params = payments.SandboxGateway().callback_params(payment, paid=True)
    for _replay in range(2):
        assert client.post(reverse("payments:callback"), params).status_code == 200
    card.refresh_from_db()
    assert (card.status, card.uses_left) == ("active", 10)
    assert PunchCardEntry.objects.filter(card=card).count() == 1


def test_a_failed_payment_leaves_no_card(tenant_a):
    card, payment = services.start_purchase(make_product(tenant_a.merchant), tenant_a.member)
    payments.fail_payment(payment.out_trade_no)
    card.refresh_from_db()
    assert card.status == "failed" and card.uses_left == 0


def test_a_card_off_sale_cannot_be_bought_online(tenant_a):
    product = make_product(tenant_a.merchant, on_sale=False)
    assert _codes(lambda: services.start_purchase(product, tenant_a.member)) == "punch_card_not_on_sale"


def test_refund_pays_back_the_unused_part_and_takes_the_gifts_back(tenant_a):
    product = make_product(tenant_a.merchant)
    product.benefits.create(merchant=tenant_a.merchant, kind="points", quantity=50)
    card = services.sell_card(product, tenant_a.member, store=tenant_a.store)
    tenant_a.member.membership_card.refresh_from_db()
    assert tenant_a.member.membership_card.points == 50
    services.record_use(card, store=tenant_a.store, count=3)
    assert services.refund_card(card) == D("210.00")
    card.refresh_from_db()
    assert (card.status, card.uses_left, card.refunded_amount) == ("void", 0, D("210.00"))
    tenant_a.member.membership_card.refresh_from_db()
    assert tenant_a.member.membership_card.points == 0
    assert _codes(lambda: services.record_use(card, store=tenant_a.store)) == "punch_card_not_active"


def test_no_refund_when_the_merchant_says_so(tenant_a):
    settings_ = services.punch_card_settings(tenant_a.merchant)
    settings_.refund_policy = RefundPolicy.NONE
    settings_.save()
    card = services.sell_card(make_product(tenant_a.merchant), tenant_a.member, store=tenant_a.store)
    assert _codes(lambda: services.refund_card(card)) == "punch_card_not_refundable"
    card.refresh_from_db()
    assert card.status == "active"


def test_given_as_a_join_gift_and_taken_back(tenant_a):
    from merchants.models import JoinGift

    product = make_product(tenant_a.merchant)
    gift = JoinGift.objects.create(merchant=tenant_a.merchant, is_active=True)
    gift.benefits.create(merchant=tenant_a.merchant, kind="punch_card", quantity=1, target_id=product.pk)
    member = merchant_services.join_member(tenant_a.merchant, "13755550000")
    card = PunchCard.objects.get(member=member)
    assert (card.source, card.uses_left, card.price_paid) == ("benefit", 10, D("0.00"))
    from loyalty import benefits

    given = [benefits.Given(kind="punch_card", quantity=1, target_id=product.pk, objects=(card.pk,))]
    taken = benefits.take_back(given, member, reference="refund-1")
    assert taken[0].taken_quantity == 1
    card.refresh_from_db()
    assert (card.status, card.uses_left) == ("void", 0)


def test_liability_is_price_per_use_for_each_use_left_per_store(tenant_a):
    product = make_product(tenant_a.merchant, uses=3, price=D("100.00"))
    card = services.sell_card(product, tenant_a.member, store=tenant_a.store)
    services.record_use(card, store=tenant_a.store)
    report = next(r for r in audit_all(tenant_a.merchant.pk) if r.name == "punchcards")
    assert report.clean
    assert report.liabilities["punch card uses"] == D("66.67")
    assert report.liabilities[f"punch card uses owed alpha / {tenant_a.store.name}"] == D("66.67")
    figures = services.product_figures(product)
    assert (figures.sold, figures.revenue, figures.uses, figures.active_holders, figures.liability) == (
        1, D("100.00"), 1, 1, D("66.67"))


@settings(max_examples=40, deadline=None)
@given(price=st.decimals(min_value=D("0.01"), max_value=D("99999.99"), places=2),
       uses=st.integers(min_value=1, max_value=200), used=st.integers(min_value=0, max_value=200))
def test_refund_plus_value_used_never_exceeds_the_price(price, uses, used):
    used = min(used, uses)
    card = PunchCard(price_paid=price, uses_total=uses, uses_left=uses - used, unlimited=False, status="active")
    refund = services.refund_due(card)
    assert D("0.00") <= refund <= price
    assert refund == quantize(price * (uses - used) / uses)
    if used == 0:
        assert refund == price


def test_the_dynamic_code_finds_the_card_and_refuses_another_merchant(tenant_a, tenant_b):
    card = services.sell_card(make_product(tenant_a.merchant), tenant_a.member, store=tenant_a.store)
    code = card_code("punch", merchant_id=tenant_a.merchant.pk, card_id=card.pk)
    kind, found = find_card(tenant_a.merchant, code)
    assert (kind.code, found.pk) == ("punch", card.pk)
    with pytest.raises(DomainError) as raised:
        find_card(tenant_b.merchant, code)
    assert raised.value.code == "card_code_invalid"
    old = card_code("punch", merchant_id=tenant_a.merchant.pk, card_id=card.pk, now=0)
    with pytest.raises(DomainError) as raised:
        find_card(tenant_a.merchant, old)
    assert raised.value.code == "card_code_expired"


def test_a_card_past_its_last_valid_day_owes_nothing_in_the_audit_and_the_figures(tenant_a):
    """Its uses expired at the end of its last valid day, as the roll-forward counts them: the audit's liability
    and the product's figures agree with it."""
    product = make_product(tenant_a.merchant, uses=4, price=D("100.00"))
    valid = services.sell_card(product, tenant_a.member, store=tenant_a.store)
    expired = services.sell_card(product, tenant_a.member, store=tenant_a.store)
    today = merchant_today(tenant_a.merchant)
    PunchCard.objects.filter(pk=valid.pk).update(valid_until=today)  # its last day is today: still owed
    PunchCard.objects.filter(pk=expired.pk).update(valid_until=today - datetime.timedelta(days=1))
    report = next(r for r in audit_all(tenant_a.merchant.pk) if r.name == "punchcards")
    assert report.clean
    assert report.liabilities["punch card uses"] == D("100.00")
    assert services.product_figures(product).liability == D("100.00")
