from decimal import Decimal

import pytest

from loyalty import errors
from loyalty.errors import DomainError
from loyalty.money import parse_amount, quantize


@pytest.mark.parametrize("raw, expected", [("12.5", "12.50"), ("0.01", "0.01"), (" 3 ", "3.00"), (7, "7.00"),
                                           ("9999999.99", "9999999.99"), ("1.10", "1.10")])
def test_parse_amount_accepts_plain_amounts(raw, expected):
    assert parse_amount(raw) == Decimal(expected)


@pytest.mark.parametrize("raw, code", [
    ("-1", errors.AMOUNT_NOT_POSITIVE), ("0", errors.AMOUNT_NOT_POSITIVE), ("0.00", errors.AMOUNT_NOT_POSITIVE),
    ("1.001", errors.AMOUNT_TOO_PRECISE), ("10000000", errors.AMOUNT_TOO_LARGE), ("abc", errors.AMOUNT_INVALID),
    ("", errors.AMOUNT_INVALID), (None, errors.AMOUNT_INVALID), ("NaN", errors.AMOUNT_INVALID),
    ("Infinity", errors.AMOUNT_INVALID), (True, errors.AMOUNT_INVALID), ("1e3000", errors.AMOUNT_TOO_LARGE),
])
def test_parse_amount_refuses_bad_input_with_a_stable_code(raw, code):
    with pytest.raises(DomainError) as caught:
        parse_amount(raw, field="amount")
    assert caught.value.code == code
    assert caught.value.field == "amount"


def test_zero_is_allowed_only_when_asked():
    assert parse_amount("0", allow_zero=True) == Decimal("0.00")


def test_a_float_is_read_as_written_not_as_its_binary_value():
    assert parse_amount(0.1) == Decimal("0.10")


def test_quantize_rounds_half_up():
    assert quantize(Decimal("0.005")) == Decimal("0.01")
    assert quantize(Decimal("2.675")) == Decimal("2.68")
    assert quantize(Decimal("-0.005")) == Decimal("-0.01")


@pytest.mark.parametrize(("value", "shown"), [("90.00", "90"), ("95.50", "95.5"), ("100", "100"), ("8.75", "8.75")])
def test_percentages_are_shown_as_people_write_them(value, shown):
    from loyalty.money import format_percent

    assert format_percent(Decimal(value)) == shown
