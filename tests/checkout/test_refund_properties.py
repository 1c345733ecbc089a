"""Refunds through the tenders, over random tender mixes and random sequences of partial refunds (hypothesis):
each refund returns exactly its amount, each tender at most what it gave and never a negative share, the
wallet is whole again once all is refunded, and every ledger stays clean."""

from __future__ import annotations

import itertools
from decimal import Decimal

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from checkout import services
from checkout.models import Payment, Refund
from loyalty.ledgers import audit_all
from merchants.services import join_member
from tests.checkout.helpers import PAYMENTS, body, fund_wallet, refunds_url
from tests.wallet.helpers import balances
from wallet.models import DrawOrder, RechargeOffer
from wallet.services import give_cashback

pytestmark = pytest.mark.django_db
D = Decimal
PHONES = itertools.count(13700000000)
CENTS = st.integers(min_value=0, max_value=20_000).map(lambda cents: D(cents) / 100)


def _ledgers_clean(merchant) -> None:
    for report in audit_all(merchant.pk):
        assert report.clean, (report.name, report.problems)


@st.composite
def payments(draw):
    """A member's wallet (principal, bonus, cashback), a bill paid from it and the outside channel, and the
    partial refunds made of it in turn."""
    principal, bonus, cashback = draw(CENTS), draw(CENTS), draw(CENTS)
    bill = draw(st.integers(min_value=1, max_value=60_000).map(lambda cents: D(cents) / 100))
    order = draw(st.sampled_from(DrawOrder.values))
    due_cents = int(bill * 100)
    cuts = sorted(draw(st.lists(st.integers(min_value=1, max_value=due_cents), max_size=5)))
    if draw(st.booleans()):
        cuts.append(due_cents)
    pieces = [D(cut - before) / 100 for before, cut in zip([0, *cuts], cuts, strict=False) if cut > before]
    return principal, bonus, cashback, bill, order, pieces


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(case=payments())
def test_partial_refunds_of_any_tender_mix_add_up_exactly_and_keep_ledgers_clean(tenant_a, case):
    principal, bonus, cashback, bill, order, pieces = case
    merchant = tenant_a.merchant
    member = join_member(merchant, str(next(PHONES)), details_required=False)
    RechargeOffer.objects.filter(merchant=merchant).delete()
    if principal:
        if bonus:
            RechargeOffer.objects.create(merchant=merchant, name="bonus", pay_amount=principal, bonus_value=bonus)
        fund_wallet(member, str(principal), draw_order=order)
    if cashback:
        give_cashback(member, cashback, reference="gift")
    before = balances(member) if principal or cashback else (D("0.00"),) * 3
    payment = services.pay(services.Bill(store=tenant_a.store, amount=bill, member=member, use_wallet=True),
                           channel="cash")
    tenders = {t.kind: t.amount for t in payment.tenders.all()}
    assert sum(tenders.values()) == payment.amount_due == bill
    for piece in pieces:
        refund = services.refund_payment(payment, piece)
        lines = {line.tender.kind: line.amount for line in refund.lines.all()}
        assert sum(lines.values()) == piece
        assert all(amount > 0 for amount in lines.values())
    payment.refresh_from_db()
    for tender in payment.tenders.all():
        assert D("0.00") <= tender.refunded <= tender.amount
    assert sum(t.refunded for t in payment.tenders.all()) == payment.refunded_amount == sum(pieces, D("0.00"))
    if payment.refunded_amount == payment.amount_due:
        assert payment.status == Payment.Status.REFUNDED
        if principal or cashback:
            assert balances(member) == before
    _ledgers_clean(merchant)


def test_refunding_a_cent_of_a_bonus_and_principal_payment_returns_exactly_that(tenant_a):
    """The reported case: 1.01 of a 40.00 payment that drew 20.00 bonus and 20.00 principal, cashback empty.
    It used to give back 1.02, or fail with a 500 on the empty cashback pocket, and leave the audit dirty."""
    RechargeOffer.objects.create(merchant=tenant_a.merchant, name="20+20", pay_amount=D("20.00"),
                                 bonus_value=D("20.00"))
    fund_wallet(tenant_a.member, "20.00", draw_order=DrawOrder.PROPORTIONAL)
    paid = tenant_a.api().post(PAYMENTS, body("40.00", tenant_a.member, use_wallet=True), format="json").json()
    assert {t["kind"]: t["amount"] for t in paid["tenders"]} == {"bonus": "20.00", "principal": "20.00"}
    response = tenant_a.api().post(refunds_url(paid["id"]), {"amount": "1.01"}, format="json")
    assert response.status_code == 201, response.json()
    assert sum(D(line["amount"]) for line in response.json()["lines"]) == D("1.01")
    assert sum(balances(tenant_a.member)) == D("1.01")
    assert Refund.objects.get().amount == D("1.01")
    _ledgers_clean(tenant_a.merchant)
