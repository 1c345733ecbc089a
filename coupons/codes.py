"""Coupon codes are the platform's codes (loyalty.codes), shared with gift cards; this name is kept for the
coupons app's own imports."""

from loyalty.codes import (  # noqa: F401
    ALPHABET,
    BODY_LENGTH,
    CHECK_ALPHABET,
    CODE_LENGTH,
    RANDOM_BITS,
    display,
    encode,
    is_well_formed,
    new_code,
    new_codes,
    normalize,
)
