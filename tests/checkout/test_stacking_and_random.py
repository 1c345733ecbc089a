"""Stacking through the API: a coupon that does not stack, random reduction seeded by the bill and its budget."""

from decimal import Decimal

import pytest
from django.urls import reverse

from checkout.models import RandomReductionDay, RewardRule
from checkout.pipeline import random_amount
from tests.benefit_helpers import reward_rule
from tests.checkout.helpers import (
    PAYMENTS,
    QUOTE,
    assert_ledgers_clean,
    body,
    configure,
    coupon_for,
    program_with_levels,
    set_level,
)
from tests.conftest import staff_client

pytestmark = pytest.mark.django_db
D = Decimal


def test_a_coupon_that_does_not_stack_is_priced_against_the_level_discount(tenant_a):
    """100.00 for a Diamond member (90%): the level takes 10.00. A 12-off coupon that does not stack:
    alone it takes 12.00, so the member pays 88.00 with the coupon, and the quote says why."""
    program_with_levels(tenant_a.merchant)
    set_level(tenant_a.member, 3)
    coupon = coupon_for(tenant_a.member, name="12 off alone", amount_off=D("12.00"), minimum_bill=None,
                        stackable=False)
    data = tenant_a.api().post(QUOTE, body("100.00", tenant_a.member, coupon_code=coupon.code), format="json",
                               HTTP_ACCEPT_LANGUAGE="en").json()
    assert [(a["kind"], a["amount"]) for a in data["adjustments"]] == [("coupon", "12.00")]
    assert data["amount_due"] == "88.00" and "coupon" in data["reason"]
    assert [(alt["amount_due"], alt["chosen"]) for alt in data["alternatives"]] == [("90.00", False),
                                                                                   ("88.00", True)]
    # An 8-off coupon alone is worse than the level: the level discount is kept and the coupon stays unused.
    small = coupon_for(tenant_a.member, name="8 off alone", amount_off=D("8.00"), minimum_bill=None, stackable=False)
    paid = tenant_a.api().post(PAYMENTS, body("100.00", tenant_a.member, coupon_code=small.code,
                                              external={"channel": "cash"}), format="json").json()
    assert paid["amount_due"] == "90.00" and [a["kind"] for a in paid["adjustments"]] == ["level"]
    small.refresh_from_db()
    assert small.state == "available"


def test_random_reduction_is_the_same_in_quote_and_pay_and_stays_within_the_budget(tenant_a):
    configure(tenant_a.merchant, random_reduction_enabled=True, random_reduction_min=D("0.50"),
              random_reduction_max=D("3.00"), random_reduction_daily_budget=D("4.00"))
    expected = random_amount(tenant_a.store.pk, "BILL-1", D("0.50"), D("3.00"))
    data = body("50.00", bill_id="BILL-1", external={"channel": "cash"})
    quote = tenant_a.api().post(QUOTE, data, format="json").json()
    assert quote["adjustments"] == [{"kind": "random", "amount": f"{expected:.2f}",
                                     "description": quote["adjustments"][0]["description"]}]
    paid = tenant_a.api().post(PAYMENTS, data, format="json").json()
    assert paid["amount_due"] == quote["amount_due"] == f"{D('50.00') - expected:.2f}"
    given = expected
    for n in range(2, 11):  # ten bills of at least 0.50: the 4.00 budget runs out
        paid = tenant_a.api().post(PAYMENTS, body("50.00", bill_id=f"BILL-{n}", external={"channel": "cash"}),
                                   format="json").json()
        given += sum((D(a["amount"]) for a in paid["adjustments"]), D("0"))
    day = RandomReductionDay.objects.get()
    assert day.spent == given == D("4.00")
    assert tenant_a.api().post(QUOTE, body("50.00", bill_id="BILL-99"), format="json").json()["adjustments"] == []


def test_no_bill_reference_no_random_reduction(tenant_a):
    configure(tenant_a.merchant, random_reduction_enabled=True, random_reduction_daily_budget=D("100.00"))
    assert tenant_a.api().post(QUOTE, body("50.00"), format="json").json()["adjustments"] == []


def test_copying_reward_rules_is_one_click_in_the_admin(client, tenant_a, tenant_b):
    rule = reward_rule(merchant=tenant_a.merchant, name="Pay 50", min_paid=D("50"), points=5)
    foreign = reward_rule(merchant=tenant_b.merchant, name="Theirs", min_paid=D("50"), points=5)
    staff_client(client, tenant_a.owner)
    response = client.post(reverse("admin:checkout_rewardrule_changelist"), {
        "action": "copy_rules", "_selected_action": [rule.pk, foreign.pk]})
    assert response.status_code == 302
    assert RewardRule.objects.filter(merchant=tenant_a.merchant).count() == 2
    assert RewardRule.objects.filter(merchant=tenant_b.merchant).count() == 1
    assert_ledgers_clean(tenant_a.merchant)


def test_the_day_s_budget_is_taken_as_the_payment_s_last_write_never_locked_before(tenant_a):
    """A merchant's payments would queue behind the budget row for their whole length if it were locked early."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    configure(tenant_a.merchant, random_reduction_enabled=True, random_reduction_daily_budget=D("100.00"))
    tenant_a.api().post(PAYMENTS, body("50.00", bill_id="OPENS-THE-DAY", external={"channel": "cash"}), format="json")
    with CaptureQueriesContext(connection) as captured:
        paid = tenant_a.api().post(PAYMENTS, body("50.00", bill_id="BILL-7", external={"channel": "cash"}),
                                   format="json")
    assert paid.status_code == 201 and paid.json()["adjustments"][0]["kind"] == "random"
    statements = [query["sql"] for query in captured.captured_queries]
    budget = [n for n, sql in enumerate(statements) if "checkout_randomreductionday" in sql]
    assert not any("FOR UPDATE" in statements[n] for n in budget)
    # On Postgres the payment's rows go in one statement of held writes (WITH w1 AS (INSERT ...)), elsewhere alone.
    last_insert = max(n for n, sql in enumerate(statements) if "INSERT INTO \"checkout_payment" in sql)
    assert statements[budget[-1]].startswith("UPDATE") and budget[-1] > last_insert
