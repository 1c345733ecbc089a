"""Codes people type or scan (coupon and gift card codes): 12 Crockford base32 characters (60 random bits)
and a check character.

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
# A random byte's low 5 bits as a code character, and as a digit Python's int(..., 32) reads.
_BYTE_TO_CHARACTER = bytes(ord(ALPHABET[byte % 32]) for byte in range(256))
_BYTE_TO_DIGIT = bytes(ord("0123456789ABCDEFGHIJKLMNOPQRSTUV"[byte % 32]) for byte in range(256))


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


def new_codes(count: int) -> list[str]:
    """`count` codes at once, for mass sends: what `new_code` makes, at a fraction of its cost per code.

    One draw from `secrets`, 12 bytes a code; each byte gives one character from its low 5 bits
    (256 is a multiple of 32, so every character stays uniform: 60 random bits a code), mapped for all
    codes at once by `bytes.translate`. The check symbol comes from the same bits read as base 32.
    """
    raw = secrets.token_bytes(BODY_LENGTH * count)
    text = raw.translate(_BYTE_TO_CHARACTER).decode("ascii")
    digits = raw.translate(_BYTE_TO_DIGIT).decode("ascii")
    return [text[i:i + BODY_LENGTH] + CHECK_ALPHABET[int(digits[i:i + BODY_LENGTH], 32) % 37]
            for i in range(0, BODY_LENGTH * count, BODY_LENGTH)]
