"""The ledger primitives: append-only entries, lots drawn first-expiring-first and given back, take-backs with a
shortfall, and one lock order for a member's accounts."""

from __future__ import annotations

from decimal import Decimal

import pytest

from cards.membership.models import PointsEntry
from cards.membership.services import grant_points
from loyalty.ledgers import (
    LedgerIsAppendOnly,
    MemberAccount,
    draw_lots,
    give_back,
    lock_member_accounts,
    member_accounts,
    take_back,
)
from wallet.models import CashbackLot, Wallet
from wallet.services import debit_wallet, give_cashback

D = Decimal


class Lot:
    def __init__(self, pk: int, remaining: Decimal):
        self.pk, self.remaining, self.saved = pk, remaining, []

    def save(self, update_fields):
        self.saved.append(tuple(update_fields))


@pytest.mark.django_db
def test_a_ledger_entry_cannot_be_edited_or_deleted(tenant_a):
    entry = grant_points(tenant_a.member, 10, reason="gift")
    entry.delta = 1000
    with pytest.raises(LedgerIsAppendOnly):
        entry.save()
    with pytest.raises(LedgerIsAppendOnly):
        entry.delete()
    assert PointsEntry.objects.get(pk=entry.pk).delta == 10


def test_lots_are_drawn_in_the_order_given_and_what_is_missing_is_said():
    lots = [Lot(1, D("3.00")), Lot(2, D("5.00"))]
    drawn, short = draw_lots(lots, D("6.50"))
    assert [(lot.pk, taken) for lot, taken in drawn] == [(1, D("3.00")), (2, D("3.50"))] and short == D("0.00")
    assert [lot.remaining for lot in lots] == [D("0.00"), D("1.50")]
    _drawn, short = draw_lots([Lot(3, D("1.00"))], D("2.00"))
    assert short == D("1.00")


def test_a_refund_goes_back_to_the_newest_lot_first_and_never_more_than_it_gave():
    lots = {1: Lot(1, D("0.00")), 2: Lot(2, D("1.50"))}
    drawn = [[1, "3.00", "0.00"], [2, "3.50", "0.00"]]
    give_back(drawn, D("4.00"), lots_by_pk=lots)
    assert drawn == [[1, "3.00", "0.50"], [2, "3.50", "3.50"]]
    assert (lots[1].remaining, lots[2].remaining) == (D("0.50"), D("5.00"))


@pytest.mark.parametrize(("owed", "held", "spent", "taken", "short"), [
    (10, 25, 0, 10, 0), (10, 4, 6, 4, 6), (10, 0, 3, 0, 3), (0, 5, 5, 0, 0),
])
def test_take_back_takes_what_is_held_and_records_what_was_spent(owed, held, spent, taken, short):
    result = take_back(owed, still_held=held, spent=spent)
    assert (result.taken, result.shortfall) == (taken, short)


@pytest.mark.django_db
def test_a_members_accounts_are_locked_in_one_order_whatever_registers_them(tenant_a):
    locked = []

    class Vouchers(MemberAccount):
        code, order = "vouchers", 15

        def lock(self, member):
            locked.append(member.pk)
            return f"vouchers of {member.pk}"

        def read(self, member):
            return None

    with member_accounts.registered(Vouchers()):
        accounts = lock_member_accounts(tenant_a.member)
    assert list(accounts) == ["wallet", "vouchers", "card"]
    assert isinstance(accounts["wallet"], Wallet) and locked == [tenant_a.member.pk]


@pytest.mark.django_db
def test_a_payment_spends_expiring_cashback_before_cashback_that_never_expires(tenant_a):
    forever = give_cashback(tenant_a.member, "5.00", reference="forever", expiry_days=0)
    soon = give_cashback(tenant_a.member, "5.00", reference="soon", expiry_days=3)
    debit_wallet(tenant_a.member, "4.00", reference="PAY-1")
    assert CashbackLot.objects.get(pk=soon.pk).remaining == D("1.00")
    assert CashbackLot.objects.get(pk=forever.pk).remaining == D("5.00")
