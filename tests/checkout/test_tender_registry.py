"""A way to pay that checkout has never heard of: registered for the test, planned, taken and refunded
through the tenders registry with no edit to checkout."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.utils.translation import gettext_lazy as _

from checkout import services
from checkout.models import PaymentTender
from loyalty.ledgers import MemberAccount, member_accounts
from loyalty.money import ZERO
from loyalty.tenders import Drawer, Tender, TenderContext, tenders
from tests.checkout.helpers import PAYMENTS, QUOTE, assert_ledgers_clean, body, refunds_url

pytestmark = pytest.mark.django_db
D = Decimal


class VoucherBook(Drawer):
    """A member's prepaid vouchers, kept in memory: what was taken and given back, by payment."""

    def __init__(self):
        self.balance: dict[int, Decimal] = {}
        self.taken: dict[str, Decimal] = {}
        self.refunded: list[tuple[str, Decimal]] = []

    def take(self, payment, context: TenderContext, shares: dict[str, Decimal]) -> dict[str, Decimal]:
        self.balance[context.member.pk] -= shares["voucher"]
        self.taken[payment.number] = shares["voucher"]
        return shares

    def refund(self, payment, shares: dict[str, Decimal], *, reference: str, staff=None, terminal=None) -> None:
        self.balance[payment.member_id] += shares["voucher"]
        self.refunded.append((reference, shares["voucher"]))


class VoucherAccount(MemberAccount):
    """The member's voucher balance as an account: read for a quote, "locked" for a payment."""

    code = "vouchers"
    order = 15

    def __init__(self, book: VoucherBook):
        self.book, self.locked = book, []

    def lock(self, member) -> Decimal:
        self.locked.append(member.pk)
        return self.book.balance.get(member.pk, ZERO)

    def read(self, member) -> Decimal:
        return self.book.balance.get(member.pk, ZERO)


class VoucherTender(Tender):
    code = "voucher"
    label = _("voucher")
    order = 50

    def __init__(self, book: VoucherBook):
        self.drawer = book

    def plan(self, context: TenderContext, remaining: Decimal) -> Decimal:
        return min(context.accounts.get("vouchers", ZERO), remaining)


@pytest.fixture
def vouchers(tenant_a):
    book = VoucherBook()
    book.balance[tenant_a.member.pk] = D("12.00")
    account = VoucherAccount(book)
    with tenders.registered(VoucherTender(book)), member_accounts.registered(account):
        book.account = account
        yield book


def test_a_registered_tender_is_quoted_taken_and_recorded(tenant_a, vouchers):
    quoted = tenant_a.api().post(QUOTE, body("50.00", tenant_a.member), format="json").json()
    assert {t["kind"]: t["amount"] for t in quoted["tenders"]} == {"voucher": "12.00", "external": "38.00"}
    response = tenant_a.api().post(PAYMENTS, body("50.00", tenant_a.member, external={"channel": "cash"}),
                                   format="json")
    assert response.status_code == 201, response.json()
    paid = response.json()
    assert {t["kind"]: t["amount"] for t in paid["tenders"]} == {"voucher": "12.00", "external": "38.00"}
    assert vouchers.taken == {paid["number"]: D("12.00")} and vouchers.balance[tenant_a.member.pk] == D("0.00")
    assert vouchers.account.locked == [tenant_a.member.pk]  # the payment locked it with the member's accounts
    assert PaymentTender.objects.get(kind="voucher").get_kind_display() == str(VoucherTender.label)


def test_a_registered_tender_does_not_count_as_paid_unless_it_says_so(tenant_a, vouchers):
    payment = services.pay(services.Bill(store=tenant_a.store, amount=D("50.00"), member=tenant_a.member),
                           channel="cash")
    assert payment.earn_basis == D("38.00")


def test_a_refund_gives_a_registered_tender_back_its_share_through_its_drawer(tenant_a, vouchers):
    paid = tenant_a.api().post(PAYMENTS, body("50.00", tenant_a.member, external={"channel": "cash"}),
                               format="json").json()
    first = tenant_a.api().post(refunds_url(paid["id"]), {"amount": "25.00"}, format="json").json()
    assert {line["kind"]: line["amount"] for line in first["lines"]} == {"voucher": "6.00", "external": "19.00"}
    tenant_a.api().post(refunds_url(paid["id"]), {"amount": "25.00"}, format="json")
    assert [amount for _reference, amount in vouchers.refunded] == [D("6.00"), D("6.00")]
    assert vouchers.balance[tenant_a.member.pk] == D("12.00")
    assert_ledgers_clean(tenant_a.merchant)
