"""A pricing step or a coupon kind registered by some app is priced by quote and pay with no edit to checkout."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_FLOOR, Decimal

import pytest
from django.core.exceptions import ValidationError
from django.utils import translation

from checkout.models import Payment
from coupons.models import Coupon, CouponRedemption, CouponTemplate
from loyalty.pricing import Adjustment, CouponKind, LoadedBill, PricingInput, PricingStep, coupon_kinds, pricing_steps
from tests.checkout.helpers import PAYMENTS, QUOTE, body, coupon_for, program_with_levels, set_level
from tests.coupons.helpers import make_template

pytestmark = pytest.mark.django_db
D = Decimal


@dataclass(frozen=True)
class HappyHourFacts:
    amount_off: Decimal
    stacks: bool = True


class HappyHour(PricingStep[HappyHourFacts]):
    """A test-only step between points (30) and coupons (40): a fixed amount off bills of at least 20.00."""

    code = "happy_hour"
    label = "happy hour"
    order = 35

    def __init__(self, amount_off: str = "3.00", *, stacks: bool = True):
        self.amount_off, self.stacks_with_others = D(amount_off), stacks
        self.used: list[tuple[str, Decimal, Decimal]] = []

    def facts(self, loaded: LoadedBill) -> HappyHourFacts | None:
        if loaded.bill.amount < D("20.00"):
            return None
        return HappyHourFacts(self.amount_off, stacks=self.stacks_with_others)

    def price(self, remaining: Decimal, given: PricingInput) -> Adjustment | None:
        facts = given.facts[self.code]
        return self.adjustment(facts.amount_off, remaining, f"Happy hour: {facts.amount_off} off")

    def use(self, adjustment, facts, *, bill_amount, lines, reference, store, terminal) -> None:
        self.used.append((reference, bill_amount, adjustment.amount))


class EveryFull(CouponKind):
    """A test-only coupon kind (每满减): `amount_off` for every full `minimum_bill` of the eligible amount."""

    code = "every_full"
    label = "every full amount off"
    order = 40

    def check(self, template: CouponTemplate) -> dict[str, str]:
        if not (template.amount_off and template.minimum_bill):
            return {"minimum_bill": "An every-full coupon needs the amount off and the step."}
        return {}

    def discount(self, template, *, eligible, bill_amount, lines) -> Decimal:
        steps = (eligible / template.minimum_bill).to_integral_value(rounding=ROUND_FLOOR)
        return min(steps * template.amount_off, eligible)

    def describe(self, template, amount) -> str:
        return f"{template.name}: {amount} off"

    def face_value(self, template) -> str:
        return f"¥{template.amount_off} per {template.minimum_bill}"


def test_a_registered_step_prices_the_quote_and_the_payment_records_its_line(tenant_a):
    """100.00 for a Gold member (95%): level 5.00 → 95.00; happy hour 3.00 → 92.00; a 10-off coupon → 82.00.
    The step runs in its order, between points and the coupon, which is redeemed on what the step left."""
    program_with_levels(tenant_a.merchant)
    set_level(tenant_a.member, 2)
    coupon = coupon_for(tenant_a.member, name="10 off", amount_off=D("10.00"), minimum_bill=None)
    data = body("100.00", tenant_a.member, coupon_code=coupon.code, external={"channel": "cash"})
    with pricing_steps.registered(HappyHour()) as step:
        quote = tenant_a.api().post(QUOTE, data, format="json").json()
        paid = tenant_a.api().post(PAYMENTS, data, format="json").json()
    lines = [("level", "5.00"), ("happy_hour", "3.00"), ("coupon", "10.00")]
    assert [(a["kind"], a["amount"]) for a in quote["adjustments"]] == lines
    assert quote["amount_due"] == paid["amount_due"] == "82.00"
    payment = Payment.objects.get(pk=paid["id"])
    assert [(a.kind, f"{a.amount:.2f}") for a in payment.adjustments.all()] == lines
    assert step.used == [(payment.number, D("95.00"), D("3.00"))]
    assert CouponRedemption.objects.get(coupon=coupon).bill_amount == D("92.00")


def test_a_registered_step_s_line_reads_its_label_and_the_built_in_labels_stay(tenant_a):
    program_with_levels(tenant_a.merchant)
    set_level(tenant_a.member, 2)
    with pricing_steps.registered(HappyHour()):
        paid = tenant_a.api().post(PAYMENTS, body("50.00", tenant_a.member, external={"channel": "cash"}),
                                   format="json").json()
        lines = Payment.objects.get(pk=paid["id"]).adjustments.all()
        with translation.override("en"):
            assert [(line.kind, line.get_kind_display()) for line in lines] == [
                ("level", "member level discount"), ("happy_hour", "happy hour")]


def test_a_registered_step_that_does_not_stack_is_kept_only_when_cheaper(tenant_a):
    """100.00 for a Diamond member (90%): the level takes 10.00. A happy hour that does not stack: 8.00 alone
    loses (the level is kept, and nothing of the step is used); 12.00 alone wins, due 88.00, and the reason
    names the step."""
    program_with_levels(tenant_a.merchant)
    set_level(tenant_a.member, 3)
    data = body("100.00", tenant_a.member, external={"channel": "cash"})
    with pricing_steps.registered(HappyHour("8.00", stacks=False)) as small:
        paid = tenant_a.api().post(PAYMENTS, data, format="json").json()
    assert [(a["kind"], a["amount"]) for a in paid["adjustments"]] == [("level", "10.00")]
    assert small.used == []
    with pricing_steps.registered(HappyHour("12.00", stacks=False)) as big:
        quote = tenant_a.api().post(QUOTE, data, format="json", HTTP_ACCEPT_LANGUAGE="en").json()
        paid = tenant_a.api().post(PAYMENTS, data, format="json").json()
    assert [(a["kind"], a["amount"]) for a in quote["adjustments"]] == [("happy_hour", "12.00")]
    assert quote["amount_due"] == paid["amount_due"] == "88.00"
    assert quote["reason"].startswith("happy hour does not stack with other discounts")
    assert [(alt["label"], alt["amount_due"], alt["chosen"]) for alt in quote["alternatives"]] == [
        ("stacked discounts", "90.00", False), ("happy hour", "88.00", True)]
    assert [line.kind for line in Payment.objects.get(pk=paid["id"]).adjustments.all()] == ["happy_hour"]
    assert len(big.used) == 1


def test_a_registered_coupon_kind_prices_the_quote_and_the_payment_redeems_it(tenant_a):
    """5.00 off every full 50.00: a 180.00 bill holds three, so 15.00 off and 165.00 due."""
    with coupon_kinds.registered(EveryFull()):
        coupon = coupon_for(tenant_a.member, name="5 per 50", kind="every_full", amount_off=D("5.00"),
                            minimum_bill=D("50.00"))
        data = body("180.00", tenant_a.member, coupon_code=coupon.code, external={"channel": "cash"})
        quote = tenant_a.api().post(QUOTE, data, format="json").json()
        paid = tenant_a.api().post(PAYMENTS, data, format="json").json()
        assert coupon.template.face_value == "¥5.00 per 50.00"
    assert [(a["kind"], a["amount"], a["description"]) for a in quote["adjustments"]] == [
        ("coupon", "15.00", "5 per 50: 15.00 off")]
    assert quote["amount_due"] == paid["amount_due"] == "165.00"
    coupon.refresh_from_db()
    assert coupon.state == Coupon.State.USED
    assert CouponRedemption.objects.get(coupon=coupon).discount == D("15.00")


def test_a_registered_coupon_kind_is_a_template_choice_with_its_own_checks(tenant_a):
    with coupon_kinds.registered(EveryFull()):
        with pytest.raises(ValidationError) as invalid:
            make_template(tenant_a.merchant, kind="every_full", minimum_bill=None)
        assert "minimum_bill" in invalid.value.message_dict
        form_field = CouponTemplate._meta.get_field("kind").formfield()
        assert ("every_full", "every full amount off") in list(form_field.choices)
    with pytest.raises(ValidationError) as unknown:
        make_template(tenant_a.merchant, kind="every_full")
    assert "kind" in unknown.value.message_dict
