"""Coupon codes: 12 Crockford base32 characters (60 random bits) and a check character.

The check character is Crockford's mod-37 check symbol, so a cashier's typo (one wrong character,
two swapped neighbours) is told apart from a code that simply does not exist. Codes are stored
without separators and shown in groups of four.
"""

from __future__ import annotations

import secrets

ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
CHECK_ALPHABET = ALPHABET + "*~$=U"
BODY_LENGTH = 12
CODE_LENGTH = BODY_LENGTH + 1
RANDOM_BITS = 5 * BODY_LENGTH
# What people type for what they mean (Crockford: I and L read as 1, O as 0).
_TYPED = str.maketrans({"O": "0", "I": "1", "L": "1"})
_DECODE = {char: value for value, char in enumerate(ALPHABET)}


def encode(value: int) -> str:
    """The code for a 60-bit number: its base32 digits, then the check symbol of the number."""
    digits = []
    for shift in range(RANDOM_BITS - 5, -1, -5):
        digits.append(ALPHABET[(value >> shift) & 31])
    return "".join(digits) + CHECK_ALPHABET[value % 37]


def new_code() -> str:
    """An unguessable code: 60 bits from the operating system's CSPRNG."""
    return encode(secrets.randbits(RANDOM_BITS))


def normalize(typed: str) -> str:
    """What a person typed, without spaces and dashes, in upper case, with look-alikes mapped."""
    cleaned = "".join(str(typed or "").split()).replace("-", "").upper()
    body, check = cleaned[:-1], cleaned[-1:]
    return body.translate(_TYPED) + check


def is_well_formed(code: str) -> bool:
    """True when the code has the right length, alphabet and check symbol (it may still not exist)."""
    if len(code) != CODE_LENGTH or any(char not in _DECODE for char in code[:-1]):
        return False
    value = 0
    for char in code[:-1]:
        value = value * 32 + _DECODE[char]
    return CHECK_ALPHABET[value % 37] == code[-1]


def display(code: str) -> str:
    """ABCD-EFGH-JKMN-P: easier to read aloud and to type."""
    return "-".join(code[i:i + 4] for i in range(0, len(code), 4))


# The same encoding in SQL, for mass issuance on Postgres (INSERT ... SELECT makes codes in the
# database); the 60 bits come from pgcrypto's gen_random_bytes, the server's CSPRNG.
POSTGRES_FUNCTIONS = f"""
CREATE EXTENSION IF NOT EXISTS pgcrypto;
CREATE OR REPLACE FUNCTION coupons_encode_code(v bigint) RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $fn$
  SELECT substr('{ALPHABET}', ((v >> 55) & 31)::int + 1, 1) ||
         substr('{ALPHABET}', ((v >> 50) & 31)::int + 1, 1) ||
         substr('{ALPHABET}', ((v >> 45) & 31)::int + 1, 1) ||
         substr('{ALPHABET}', ((v >> 40) & 31)::int + 1, 1) ||
         substr('{ALPHABET}', ((v >> 35) & 31)::int + 1, 1) ||
         substr('{ALPHABET}', ((v >> 30) & 31)::int + 1, 1) ||
         substr('{ALPHABET}', ((v >> 25) & 31)::int + 1, 1) ||
         substr('{ALPHABET}', ((v >> 20) & 31)::int + 1, 1) ||
         substr('{ALPHABET}', ((v >> 15) & 31)::int + 1, 1) ||
         substr('{ALPHABET}', ((v >> 10) & 31)::int + 1, 1) ||
         substr('{ALPHABET}', ((v >> 5) & 31)::int + 1, 1) ||
         substr('{ALPHABET}', (v & 31)::int + 1, 1) ||
         substr('{CHECK_ALPHABET}', (v % 37)::int + 1, 1)
$fn$;
"""

# 60 random bits as a bigint, for set-based inserts that then call coupons_encode_code(v).
POSTGRES_RANDOM_60_BITS = "(('x' || encode(gen_random_bytes(8), 'hex'))::bit(64)::bigint & 1152921504606846975)"

POSTGRES_DROP_FUNCTIONS = """
DROP FUNCTION IF EXISTS coupons_encode_code(bigint);
"""
