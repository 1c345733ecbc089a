"""Reward rules hold benefit lines of any registered kind: given after payment, taken back once on refund."""

from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import translation

from cards.membership.models import RefundTakeBack
from cards.membership.services import card_for, spend_points
from checkout.models import RewardGrant, RewardRule, RewardRuleBenefit
from checkout.services import copy_rule, withdraw_rewards
from coupons.models import Coupon
from loyalty.benefits import benefits
from merchants.roles import sync_role_groups
from merchants.services import join_member
from tests.benefit_helpers import reward_rule
from tests.checkout.helpers import PAYMENTS, QUOTE, assert_ledgers_clean, body, program_with_levels, refunds_url
from tests.conftest import staff_client
from tests.coupons.helpers import make_template
from tests.stamp_benefit import StampBenefit

pytestmark = pytest.mark.django_db
D = Decimal


@pytest.fixture
def stamps():
    with benefits.registered(StampBenefit()) as kind:
        yield kind


def _stamp_rule(t, quantity=3, **fields):
    rule = reward_rule(merchant=t.merchant, name="Stamps", min_paid=D("50.00"), **fields)
    rule.benefits.create(merchant=t.merchant, kind="test_stamp", quantity=quantity, target_id=t.store.pk, position=9)
    return rule


def _pay(t, amount="60.00", member=True):
    response = t.api().post(PAYMENTS, body(amount, t.member if member else None, external={"channel": "cash"}),
                            format="json")
    assert response.status_code == 201, response.json()
    return response.json()


def _refund(t, payment_id, amount):
    response = t.api().post(refunds_url(payment_id), {"amount": amount}, format="json")
    assert response.status_code == 201, response.json()
    return response.json()


def test_a_kind_checkout_never_heard_of_is_given_after_payment_and_taken_back_once(tenant_a, stamps):
    _stamp_rule(tenant_a)
    paid = _pay(tenant_a)
    grant = RewardGrant.objects.get()
    assert stamps.given == [(f"reward:{grant.pk}", 3)] and stamps.held[tenant_a.member.pk] == 3
    refund = _refund(tenant_a, paid["id"], "60.00")
    assert refund["rewards_withdrawn"] == 1 and stamps.held[tenant_a.member.pk] == 0
    assert withdraw_rewards(grant.payment, net_paid=D("0.00"), reference="again") == 0
    assert stamps.taken == [(f"{refund['number']}:reward:{grant.pk}:1", 3)]


def test_a_kind_is_described_in_the_quote_beside_the_long_standing_keys(tenant_a, stamps, in_english):
    program_with_levels(tenant_a.merchant)
    template = make_template(tenant_a.merchant, name="5 off", amount_off=D("5.00"), minimum_bill=None)
    _stamp_rule(tenant_a, points=20, coupon_template=template, cashback=D("1.50"))
    quote = tenant_a.api().post(QUOTE, body("60.00", tenant_a.member), format="json").json()
    offered = quote["rewards"][0]
    assert {key: offered[key] for key in ("points", "experience", "coupon", "cashback", "benefits")} == {
        "points": 20, "experience": 0, "coupon": "5 off", "cashback": "1.50",
        "benefits": ["20 points", "5 off ×1", "¥1.50 cashback", f"3 stamps at {tenant_a.store.name}"]}


def test_what_the_member_already_spent_is_the_recorded_shortfall(tenant_a, stamps):
    _stamp_rule(tenant_a)
    paid = _pay(tenant_a)
    stamps.held[tenant_a.member.pk] -= 2  # the member used two stamps
    _refund(tenant_a, paid["id"], "60.00")
    [record] = RewardGrant.objects.get().given
    assert (record["taken_quantity"], record["shortfall_quantity"]) == (1, 2)
    assert stamps.held[tenant_a.member.pk] == 0


def test_points_spent_before_the_refund_are_a_shortfall_not_a_negative_balance(tenant_a):
    reward_rule(merchant=tenant_a.merchant, name="20 points", min_paid=D("50.00"), points=20, experience=5)
    paid = _pay(tenant_a)
    spend_points(tenant_a.member, 15, reason="adjustment", reference="spent")
    _refund(tenant_a, paid["id"], "60.00")
    points, experience = RewardGrant.objects.get().given
    assert (points["taken_quantity"], points["shortfall_quantity"]) == (5, 15)
    assert (experience["taken_quantity"], experience["shortfall_quantity"]) == (5, 0)
    assert card_for(tenant_a.member).points == 0
    assert RefundTakeBack.objects.filter(card__member=tenant_a.member, reference__contains=":reward:").count() == 2
    assert_ledgers_clean(tenant_a.merchant)


def test_a_held_reward_gives_the_rules_lines_when_the_payer_joins(tenant_a, stamps):
    _stamp_rule(tenant_a, for_non_members=True)
    paid = tenant_a.api().post(PAYMENTS, {"amount": "60.00", "member": {"phone": "13912345678"},
                                          "external": {"channel": "cash"}}, format="json")
    assert paid.status_code == 201 and paid.json()["rewards"][0]["status"] == "pending"
    assert stamps.given == []
    member = join_member(tenant_a.merchant, "13912345678")
    assert stamps.held[member.pk] == 3 and RewardGrant.objects.get().status == "given"


def test_copying_a_rule_copies_its_lines(tenant_a, stamps):
    original = _stamp_rule(tenant_a, points=20)
    copied = copy_rule(RewardRule.objects.get(pk=original.pk))
    assert list(copied.benefits.values_list("kind", "quantity", "target_id")) == [
        ("points", 20, None), ("test_stamp", 3, tenant_a.store.pk)]
    assert original.benefits.count() == 2


def _rule_form(merchant, lines):
    data = {"name": "Lines", "min_paid": "50.00", "for_members": "on", "limit_per_store": "0", "limit_total": "0",
            "is_active": "on", "merchant": merchant.pk,
            "benefits-TOTAL_FORMS": str(len(lines)), "benefits-INITIAL_FORMS": "0",
            "benefits-MIN_NUM_FORMS": "0", "benefits-MAX_NUM_FORMS": "1000"}
    for n, line in enumerate(lines):
        data.update({f"benefits-{n}-{name}": value for name, value in
                     {"quantity": "0", "amount": "0", "position": str(n), **line}.items()})
    return data


def test_the_rule_admin_adds_lines_of_any_registered_kind(client, tenant_a, stamps):
    sync_role_groups()
    template = make_template(tenant_a.merchant, name="Next time")
    staff_client(client, tenant_a.owner)
    response = client.post(reverse("admin:checkout_rewardrule_add"), _rule_form(tenant_a.merchant, [
        {"kind": "points", "quantity": "20"}, {"kind": "coupon", "template": str(template.pk), "quantity": "1"},
        {"kind": "cashback", "amount": "2.50"}, {"kind": "test_stamp", "stamp_store": str(tenant_a.store.pk),
                                                 "quantity": "4"}]))
    assert response.status_code == 302, response.context and response.context["errors"]
    assert list(RewardRuleBenefit.objects.order_by("position").values_list(
        "merchant_id", "kind", "quantity", "amount", "target_id")) == [
        (tenant_a.merchant.pk, "points", 20, D("0.00"), None),
        (tenant_a.merchant.pk, "coupon", 1, D("0.00"), template.pk),
        (tenant_a.merchant.pk, "cashback", 0, D("2.50"), None),
        (tenant_a.merchant.pk, "test_stamp", 4, D("0.00"), tenant_a.store.pk)]


def test_the_rule_admin_offers_and_accepts_only_the_merchants_own_targets(client, tenant_a, tenant_b):
    sync_role_groups()
    theirs = make_template(tenant_b.merchant, name="theirs")
    ours = make_template(tenant_a.merchant, name="ours")
    staff_client(client, tenant_a.owner)
    url = reverse("admin:checkout_rewardrule_add")
    response = client.post(url, _rule_form(tenant_a.merchant, [{"kind": "coupon", "template": str(theirs.pk),
                                                                "quantity": "1"}]))
    assert response.status_code == 200 and not RewardRule.objects.exists()
    form = response.context["inline_admin_formsets"][0].formset.forms[0]
    assert list(form.fields["template"].queryset) == [ours]
    assert "template" in form.errors


def test_the_operator_cannot_give_another_merchants_coupon_in_a_rule(client, operator, tenant_a, tenant_b):
    theirs = make_template(tenant_b.merchant, name="theirs")
    client.force_login(operator)
    response = client.post(reverse("admin:checkout_rewardrule_add"), _rule_form(
        tenant_a.merchant, [{"kind": "coupon", "template": str(theirs.pk), "quantity": "1"}]))
    assert response.status_code == 200 and not RewardRule.objects.exists()
    with translation.override("zh-hans"):
        refused = translation.gettext("Choose a coupon of this merchant.")
    assert response.context["inline_admin_formsets"][0].formset.forms[0].errors["template"] == [refused]


@pytest.mark.parametrize(("line", "field"), [
    ({"kind": "points", "quantity": "0"}, "quantity"),
    ({"kind": "cashback", "amount": "0"}, "amount"),
    ({"kind": "coupon", "quantity": "1"}, "template"),
    ({"kind": "no_such_kind", "quantity": "1"}, "kind"),
])
def test_the_rule_admin_refuses_a_line_missing_what_its_kind_uses(client, tenant_a, line, field):
    sync_role_groups()
    staff_client(client, tenant_a.owner)
    response = client.post(reverse("admin:checkout_rewardrule_add"), _rule_form(tenant_a.merchant, [line]))
    assert response.status_code == 200 and not RewardRule.objects.exists()
    assert field in response.context["inline_admin_formsets"][0].formset.forms[0].errors


def test_a_cashier_sees_no_reward_rules(client, tenant_a):
    sync_role_groups()
    reward_rule(merchant=tenant_a.merchant, name="A reward", points=5)
    staff_client(client, tenant_a.cashier)
    assert client.get(reverse("admin:checkout_rewardrule_changelist")).status_code == 403


def test_a_reward_coupon_that_cannot_be_issued_leaves_the_other_lines_given(tenant_a):
    program_with_levels(tenant_a.merchant)
    template = make_template(tenant_a.merchant, name="Gone", stock=0, minimum_bill=None)
    reward_rule(merchant=tenant_a.merchant, name="Both", min_paid=D("50.00"), points=20, coupon_template=template)
    paid = _pay(tenant_a)
    assert (paid["rewards"][0]["points"], paid["rewards"][0]["coupon"]) == (20, None)
    assert not Coupon.objects.filter(template=template).exists()


def test_the_rule_admin_shows_a_saved_line_with_its_target_and_saves_a_change(client, tenant_a):
    sync_role_groups()
    template = make_template(tenant_a.merchant, name="Next time", per_member_limit=3)
    rule = reward_rule(merchant=tenant_a.merchant, name="Lines", min_paid=D("50.00"), coupon_template=template)
    line = rule.benefits.get()
    staff_client(client, tenant_a.owner)
    url = reverse("admin:checkout_rewardrule_change", args=[rule.pk])
    form = client.get(url).context["inline_admin_formsets"][0].formset.forms[0]
    assert (form["kind"].value(), form["template"].value(), form["quantity"].value()) == ("coupon", template.pk, 1)
    data = _rule_form(tenant_a.merchant, [{"id": str(line.pk), "rule": str(rule.pk), "kind": "coupon",
                                           "template": str(template.pk), "quantity": "3"}])
    data["benefits-INITIAL_FORMS"] = "1"
    response = client.post(url, data)
    assert response.status_code == 302, response.context and response.context["errors"]
    assert list(rule.benefits.values_list("kind", "quantity", "target_id")) == [("coupon", 3, template.pk)]
