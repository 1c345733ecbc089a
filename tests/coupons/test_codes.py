"""Coupon codes: unguessable, typeable, and a typo is told apart from an unknown code."""

import pytest

from coupons import codes, services
from loyalty.errors import DomainError
from tests.coupons.helpers import make_template


def test_codes_are_12_crockford_characters_and_a_check_symbol():
    code = codes.new_code()
    assert len(code) == 13 and all(char in codes.ALPHABET for char in code[:12])
    assert code[12] in codes.CHECK_ALPHABET and codes.is_well_formed(code)
    assert codes.RANDOM_BITS >= 60


def test_codes_do_not_repeat_in_a_large_draw():
    drawn = {codes.new_code() for _ in range(20000)}
    assert len(drawn) == 20000


def test_every_single_character_typo_and_neighbour_swap_fails_the_check():
    code = codes.encode(0x0ABCDEF123456789 & ((1 << 60) - 1))
    for position in range(12):
        for char in codes.ALPHABET:
            if char != code[position]:
                typo = code[:position] + char + code[position + 1:]
                assert not codes.is_well_formed(typo), typo
    for position in range(11):
        swapped = code[:position] + code[position + 1] + code[position] + code[position + 2:]
        if swapped != code:
            assert not codes.is_well_formed(swapped), swapped


def test_typed_codes_are_normalised():
    code = codes.encode(123456789)
    typed = "-".join([code[:4], code[4:8], code[8:]]).lower().replace("0", "o")
    assert codes.normalize(f"  {typed} ") == code


def test_mistyped_and_unknown_codes_are_told_apart(tenant_a):
    coupon = services.issue_coupon(make_template(tenant_a.merchant), tenant_a.member, source="claim")
    wrong_char = "Z" if coupon.code[3] != "Z" else "Y"
    with pytest.raises(DomainError) as mistyped:
        services.find_coupon_by_code(tenant_a.merchant, coupon.code[:3] + wrong_char + coupon.code[4:])
    assert mistyped.value.code == "coupon_code_mistyped"
    with pytest.raises(DomainError) as unknown:
        services.find_coupon_by_code(tenant_a.merchant, codes.new_code())
    assert unknown.value.code == "coupon_not_found" and unknown.value.status_code == 404
    assert services.find_coupon_by_code(tenant_a.merchant, coupon.display_code.lower()) == coupon


def test_another_merchants_code_is_unknown(tenant_a, tenant_b):
    coupon = services.issue_coupon(make_template(tenant_a.merchant), tenant_a.member, source="claim")
    with pytest.raises(DomainError) as refused:
        services.find_coupon_by_code(tenant_b.merchant, coupon.code)
    assert refused.value.code == "coupon_not_found"
