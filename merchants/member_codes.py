"""The member's dynamic QR code: a signed token that changes every 30 s and is accepted for 2 min.

A screenshot stops working soon after it was taken, and a code made for one merchant means nothing
to another (the merchant is inside the signature).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import time

from django.conf import settings
from django.utils.translation import gettext as _

from loyalty.errors import DomainError
from merchants import errors
from merchants.models import Member, Merchant


def _signature(merchant_id: int, member_id: int, step: int) -> str:
    message = f"member-code|{merchant_id}|{member_id}|{step}".encode()
    digest = hmac.new(settings.SECRET_KEY.encode(), message, hashlib.sha256).digest()[:10]
    return base64.b32encode(digest).decode()


def member_code(member: Member, *, now: float | None = None) -> str:
    """The code to show now, e.g. `M1234.5871234.ABCDEFGHIJKLMNOP`."""
    step = int((now if now is not None else time.time()) // settings.MEMBER_CODE_STEP_SECONDS)
    return f"M{member.pk}.{step}.{_signature(member.merchant_id, member.pk, step)}"


def seconds_until_next_code(*, now: float | None = None) -> int:
    now = now if now is not None else time.time()
    return int(settings.MEMBER_CODE_STEP_SECONDS - now % settings.MEMBER_CODE_STEP_SECONDS) or 1


def resolve_member_code(merchant: Merchant, code: str, *, now: float | None = None,
                        field: str = "code") -> Member:
    """The member a scanned code stands for, or a DomainError: forged, expired or another merchant's."""
    invalid = DomainError(errors.MEMBER_CODE_INVALID, _("This is not a valid member code."), field=field)
    parts = (code or "").strip().upper().split(".")
    if len(parts) != 3 or not parts[0].startswith("M"):
        raise invalid
    try:
        member_id, step = int(parts[0][1:]), int(parts[1])
    except ValueError:
        raise invalid from None
    if not hmac.compare_digest(parts[2], _signature(merchant.pk, member_id, step)):
        raise invalid
    current = int((now if now is not None else time.time()) // settings.MEMBER_CODE_STEP_SECONDS)
    oldest = current - settings.MEMBER_CODE_VALID_SECONDS // settings.MEMBER_CODE_STEP_SECONDS
    # One step of grace forwards for a phone whose clock runs a little fast.
    if not oldest < step <= current + 1:
        raise DomainError(errors.MEMBER_CODE_EXPIRED,
                          _("This member code has expired. Ask the member to refresh it."), field=field)
    member = Member.objects.filter(merchant=merchant, pk=member_id).first()
    if member is None:
        raise invalid
    return member
