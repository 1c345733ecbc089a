"""The one refund splitter (loyalty.tenders.split_refund), proven over random tender mixes and refund sequences."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from loyalty.tenders import split_refund

D = Decimal
CENTS = st.integers(min_value=0, max_value=5_000_000).map(lambda cents: D(cents) / 100)


@st.composite
def tender_mixes(draw):
    """1 to 5 tenders, some possibly zero (an empty cashback pocket), adding up to more than nothing."""
    amounts = draw(st.lists(CENTS, min_size=1, max_size=5).filter(lambda values: sum(values) > 0))
    return {f"tender{index}": amount for index, amount in enumerate(amounts)}


@st.composite
def refund_sequences(draw):
    """A tender mix and the partial refunds made of it in turn, ending (or not) with all of it refunded."""
    mix = draw(tender_mixes())
    total_cents = int(sum(mix.values()) * 100)
    cuts = sorted(draw(st.lists(st.integers(min_value=0, max_value=total_cents), max_size=8)))
    if draw(st.booleans()):
        cuts.append(total_cents)
    pieces, before = [], 0
    for cut in cuts:
        pieces.append(D(cut - before) / 100)
        before = cut
    return mix, pieces


def test_a_cent_of_rounding_is_not_refunded_twice():
    """1.01 of a 40.00 payment that drew 20.00 bonus and 20.00 principal (and an empty cashback pocket)."""
    shares = split_refund({"cashback": (D("0.00"), D("0.00")), "bonus": (D("20.00"), D("0.00")),
                           "principal": (D("20.00"), D("0.00"))}, D("1.01"))
    assert sum(shares.values()) == D("1.01") and shares["cashback"] == D("0.00")
    assert sorted(shares.values()) == [D("0.00"), D("0.50"), D("0.51")]


@given(refund_sequences())
def test_every_refund_sums_exactly_and_no_tender_gets_more_than_it_gave(case):
    mix, pieces = case
    back = {code: D("0.00") for code in mix}
    for piece in pieces:
        shares = split_refund({code: (mix[code], back[code]) for code in mix}, piece)
        assert sum(shares.values()) == piece
        for code, share in shares.items():
            assert share >= 0 and share == share.quantize(D("0.01"))
            back[code] += share
            assert back[code] <= mix[code]
    if sum(pieces) == sum(mix.values()):
        assert back == mix


@given(tender_mixes(), st.integers(min_value=0, max_value=10_000))
def test_a_single_refund_is_within_a_cent_of_each_tenders_proportion(mix, permille):
    total = sum(mix.values())
    amount = (total * permille / 10_000).quantize(D("0.01"))
    shares = split_refund({code: (value, D("0.00")) for code, value in mix.items()}, amount)
    for code, value in mix.items():
        assert abs(shares[code] - value * amount / total) < D("0.01")


@pytest.mark.parametrize("amount", [D("-0.01"), D("40.01")])
def test_a_refund_outside_what_is_left_is_refused(amount):
    with pytest.raises(ValueError):
        split_refund({"bonus": (D("20.00"), D("0.00")), "principal": (D("20.00"), D("0.00"))}, amount)
