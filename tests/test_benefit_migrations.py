"""The data migrations carry existing rules, offers, grants, recharges and join gifts over into benefit lines."""

from decimal import Decimal

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

D = Decimal
BEFORE = [("merchants", "0001_initial"), ("coupons", "0006_gifts_pending_index"),
          ("wallet", "0002_recharge_coupons_and_cashback_take_back"), ("checkout", "0001_initial")]
AFTER = [("merchants", "0002_join_gifts"), ("coupons", "0008_join_gifts_become_lines"),
         ("wallet", "0003_offer_benefit_lines"), ("checkout", "0004_reward_benefit_lines")]


def _migrate(targets):
    executor = MigrationExecutor(connection)
    executor.migrate(targets)
    return executor.loader.project_state(targets).apps


def _old_rows(apps) -> dict:
    """A merchant as it was before lines: a rule with every column, an offer with points and a coupon row,
    a grant and a recharge that gave them, and a template given on joining."""
    merchant = apps.get_model("merchants", "Merchant").objects.create(name="Old", slug="old")
    store = apps.get_model("merchants", "Store").objects.create(merchant=merchant, name="Main")
    member = apps.get_model("merchants", "Member").objects.create(merchant=merchant, phone="13700000001")
    template_model = apps.get_model("coupons", "CouponTemplate")
    template = template_model.objects.create(merchant=merchant, name="5 off", claim_token="t1", give_on_joining=True)
    template_model.objects.create(merchant=merchant, name="not a gift", claim_token="t2")
    coupon_model = apps.get_model("coupons", "Coupon")
    rule = apps.get_model("checkout", "RewardRule").objects.create(
        merchant=merchant, name="Pay 50", min_paid=D("50.00"), points=20, experience=3, coupon_template=template,
        cashback=D("2.50"))
    apps.get_model("checkout", "RewardRule").objects.create(merchant=merchant, name="Points only", points=7)
    payment = apps.get_model("checkout", "Payment").objects.create(
        merchant=merchant, store=store, member=member, bill_amount=D("60.00"), amount_due=D("60.00"), channel="cash")
    reward_coupon = coupon_model.objects.create(merchant=merchant, template=template, member=member, code="RWD1",
                                                valid_from=payment.created_at, valid_until=payment.created_at)
    grant = apps.get_model("checkout", "RewardGrant").objects.create(
        merchant=merchant, rule=rule, payment=payment, member=member, store=store, points=20, experience=3,
        coupon=reward_coupon, cashback=D("2.50"))
    offer = apps.get_model("wallet", "RechargeOffer").objects.create(
        merchant=merchant, name="100", pay_amount=D("100.00"), points=300, experience=150)
    apps.get_model("wallet", "RechargeOfferCoupon").objects.create(merchant=merchant, offer=offer, template=template,
                                                                 quantity=2)
    wallet = apps.get_model("wallet", "Wallet").objects.create(merchant=merchant, member=member)
    recharge = apps.get_model("wallet", "Recharge").objects.create(
        merchant=merchant, wallet=wallet, member=member, offer=offer, channel="cash", amount=D("100.00"),
        status="paid", points=300, experience=150, coupons_given=1)
    recharge_coupon = coupon_model.objects.create(merchant=merchant, template=template, member=member, code="RCH1",
                                                  valid_from=payment.created_at, valid_until=payment.created_at)
    apps.get_model("wallet", "RechargeCoupon").objects.create(merchant=merchant, recharge=recharge,
                                                            coupon=recharge_coupon)
    return {"merchant": merchant.pk, "template": template.pk, "rule": rule.pk, "grant": grant.pk, "offer": offer.pk,
            "recharge": recharge.pk, "reward_coupon": reward_coupon.pk, "recharge_coupon": recharge_coupon.pk}


@pytest.fixture
def back_to_latest():
    """Whatever the test leaves, the database ends at the latest migrations for the tests after it."""
    yield
    executor = MigrationExecutor(connection)
    executor.migrate(executor.loader.graph.leaf_nodes())


@pytest.mark.django_db(transaction=True)
def test_existing_rules_offers_and_what_they_gave_become_lines_and_records(back_to_latest):
    rows = _old_rows(_migrate(BEFORE))
    apps = _migrate(AFTER)
    lines = apps.get_model("checkout", "RewardRuleBenefit").objects.order_by("rule_id", "position")
    assert [(line.rule_id == rows["rule"], line.kind, line.quantity, line.amount, line.target_id)
            for line in lines] == [
        (True, "points", 20, D("0.00"), None), (True, "experience", 3, D("0.00"), None),
        (True, "coupon", 1, D("0.00"), rows["template"]), (True, "cashback", 0, D("2.50"), None),
        (False, "points", 7, D("0.00"), None)]
    grant = apps.get_model("checkout", "RewardGrant").objects.get(pk=rows["grant"])
    reference = f"reward:{rows['grant']}"
    assert [(r["kind"], r["quantity"], r["amount"], r["reference"], r["objects"]) for r in grant.given] == [
        ("points", 20, "0.00", reference, []), ("experience", 3, "0.00", reference, []),
        ("coupon", 1, "0.00", "", [rows["reward_coupon"]]), ("cashback", 0, "2.50", reference, [])]
    offer_lines = apps.get_model("wallet", "RechargeOfferBenefit").objects.order_by("position")
    assert [(line.kind, line.quantity, line.target_id) for line in offer_lines] == [
        ("coupon", 2, rows["template"]), ("points", 300, None), ("experience", 150, None)]
    recharge = apps.get_model("wallet", "Recharge").objects.get(pk=rows["recharge"])
    assert [(r["kind"], r["quantity"], r["objects"]) for r in recharge.given] == [
        ("coupon", 1, [rows["recharge_coupon"]]), ("points", 300, []), ("experience", 150, [])]
    join_lines = apps.get_model("merchants", "JoinGiftBenefit").objects.all()
    assert [(line.gift.merchant_id, line.kind, line.quantity, line.target_id) for line in join_lines] == [
        (rows["merchant"], "coupon", 1, rows["template"])]
