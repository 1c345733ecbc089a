"""Cards a cashier records uses of (次卡, 时长卡): one registry, so the terminal's `POST /api/v1/cards/uses` and
the member's "my cards" page serve every kind without knowing any.

Each card app registers one `UsableCardKind` in its `AppConfig.ready()`; the kinds never import each other.
A card's dynamic QR code is signed here the same way for every kind: it names the kind and the card, changes
every `MEMBER_CODE_STEP_SECONDS` and is accepted for `MEMBER_CODE_VALID_SECONDS`, so a screenshot soon stops
working, and a code made for one merchant means nothing to another (the merchant is inside the signature).
"""

from __future__ import annotations

import abc
import base64
import datetime
import hashlib
import hmac
import time
import zoneinfo
from dataclasses import dataclass, field
from typing import Any, ClassVar

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext as _

from loyalty.errors import DomainError, ErrorCode
from loyalty.registry import Registry

CARD_CODE_INVALID = "card_code_invalid"
CARD_CODE_EXPIRED = "card_code_expired"
CARD_KIND_UNKNOWN = "card_kind_unknown"
CARD_USE_COUNT_INVALID = "card_use_count_invalid"

# The most uses one scan may record (a typo of 100 should not empty a card).
MAX_USES_AT_ONCE = 20

# What the API's schema says each code means; registered in LoyaltyConfig.ready().
API_ERRORS = (
    ErrorCode(CARD_CODE_INVALID, 400, "Not a card code of this merchant (mistyped, forged, or the card is gone)."),
    ErrorCode(CARD_CODE_EXPIRED, 400, "The card code is too old (a screenshot): ask the member to refresh it."),
    ErrorCode(CARD_USE_COUNT_INVALID, 400, f"`count` must be a whole number from 1 to {MAX_USES_AT_ONCE}."),
)


@dataclass(frozen=True)
class CardSummary:
    """What a cashier sees before confirming a use and what "my cards" lists: the same words for every kind."""

    kind: str
    card_id: int
    name: str
    member_id: int
    member_name: str
    member_phone: str
    remaining: str
    validity: str
    status: str
    usable: bool
    detail_url: str = ""
    extra: dict[str, Any] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return {"kind": self.kind, "card": self.card_id, "name": self.name, "member": self.member_id,
                "member_name": self.member_name, "member_phone": self.member_phone, "remaining": self.remaining,
                "validity": self.validity, "status": self.status, "usable": self.usable, **self.extra}


@dataclass(frozen=True)
class RecordedUse:
    """One use as the terminal is told of it: which use, how many, and the card after it."""

    kind: str
    use_id: int
    count: int
    card: CardSummary

    def as_dict(self) -> dict[str, Any]:
        return {"kind": self.kind, "use": self.use_id, "count": self.count, "card": self.card.as_dict()}


class UsableCardKind(abc.ABC):
    """One kind of card uses are recorded on. `code` is also the kind's letter group in its QR codes."""

    code: ClassVar[str]
    label: ClassVar[str]
    order: ClassVar[int] = 100
    # The permission a member of staff needs to record a use of this kind.
    permission: ClassVar[str] = ""
    # The codes `record_use` may refuse with (registered by the kind's app): the terminal's use endpoint
    # declares them, so a new kind brings its refusals into the API contract with no edit there.
    error_codes: ClassVar[tuple[str, ...]] = ()

    def answer_fields(self) -> dict[str, Any]:
        """Serializer fields typing this kind's `CardSummary.extra` in the terminal API's answers."""
        return {}

    @abc.abstractmethod
    def get(self, merchant: models.Model, card_id: int) -> models.Model | None:
        """The merchant's card with this id, or None (another merchant's card is None too)."""

    @abc.abstractmethod
    def summary(self, card: models.Model) -> CardSummary:
        """The card as the cashier and the member read it."""

    @abc.abstractmethod
    def record_use(self, card: models.Model, *, count: int, store: models.Model, staff=None,
                   terminal: models.Model | None = None, used_by_phone: str = "",
                   identity_confirmed: bool = False) -> RecordedUse:
        """Record `count` uses at `store` (race-safe), or raise DomainError and change nothing."""

    @abc.abstractmethod
    def member_cards(self, member: models.Model) -> list[CardSummary]:
        """The member's cards of this kind for "my cards", usable ones first."""

    def shelf_url(self, merchant: models.Model) -> str:
        """Where members buy cards of this kind ("" if they cannot)."""
        return ""


card_kinds: Registry[UsableCardKind] = Registry("usable card kinds")


def _signature(kind: str, merchant_id: int, card_id: int, step: int) -> str:
    message = f"card-code|{kind}|{merchant_id}|{card_id}|{step}".encode()
    return base64.b32encode(hmac.new(settings.SECRET_KEY.encode(), message, hashlib.sha256).digest()[:10]).decode()


def _step(now: float | None) -> int:
    return int((now if now is not None else time.time()) // settings.MEMBER_CODE_STEP_SECONDS)


def card_code(kind: str, *, merchant_id: int, card_id: int, now: float | None = None) -> str:
    """The code the member's card shows now, e.g. `CPUNCH-12.5871234.ABCDEFGHIJKLMNOP`."""
    step = _step(now)
    return f"C{kind.upper()}-{card_id}.{step}.{_signature(kind, merchant_id, card_id, step)}"


def parse_card_code(merchant: models.Model, code: str, *, now: float | None = None,
                    field_name: str = "code") -> tuple[UsableCardKind, int]:
    """The kind and card id a scanned code stands for, or a DomainError: forged, expired or another merchant's."""
    invalid = DomainError(CARD_CODE_INVALID, _("This is not a valid card code."), field=field_name)
    parts = (code or "").strip().upper().split(".")
    if len(parts) != 3 or not parts[0].startswith("C") or "-" not in parts[0]:
        raise invalid
    kind_code, _dash, card_id = parts[0][1:].partition("-")
    kind_code = kind_code.lower()
    try:
        card_id, step = int(card_id), int(parts[1])
    except ValueError:
        raise invalid from None
    if kind_code not in card_kinds or not hmac.compare_digest(parts[2], _signature(kind_code, merchant.pk,
                                                                                    card_id, step)):
        raise invalid
    current = _step(now)
    oldest = current - settings.MEMBER_CODE_VALID_SECONDS // settings.MEMBER_CODE_STEP_SECONDS
    # One step of grace forwards for a phone whose clock runs a little fast.
    if not oldest < step <= current + 1:
        raise DomainError(CARD_CODE_EXPIRED, _("This card code has expired. Ask the member to refresh it."),
                          field=field_name)
    return card_kinds.get(kind_code), card_id


def find_card(merchant: models.Model, code: str, *, field_name: str = "code") -> tuple[UsableCardKind,
                                                                                         models.Model]:
    """The card behind a scanned code, with its kind."""
    kind, card_id = parse_card_code(merchant, code, field_name=field_name)
    card = kind.get(merchant, card_id)
    if card is None:
        raise DomainError(CARD_CODE_INVALID, _("This is not a valid card code."), field=field_name)
    return kind, card


def seconds_until_next_code(*, now: float | None = None) -> int:
    now = now if now is not None else time.time()
    return int(settings.MEMBER_CODE_STEP_SECONDS - now % settings.MEMBER_CODE_STEP_SECONDS) or 1


def check_use_count(count: Any) -> int:
    if isinstance(count, bool) or not isinstance(count, int) or not 1 <= count <= MAX_USES_AT_ONCE:
        raise DomainError(CARD_USE_COUNT_INVALID, _("Enter a whole number of uses from 1 to %(most)d.")
                          % {"most": MAX_USES_AT_ONCE}, field="count")
    return count


def member_cards(member: models.Model) -> list[CardSummary]:
    """Every card of the member, of every registered kind."""
    return [summary for kind in card_kinds.all() for summary in kind.member_cards(member)]


def merchant_zone(merchant: models.Model) -> zoneinfo.ZoneInfo:
    """The merchant's time zone (a `time_zone` of the merchant where it has one, else the platform's): the
    day a card is valid on and the day a daily limit counts are the merchant's days."""
    name = getattr(merchant, "time_zone", "") or settings.TIME_ZONE
    return zoneinfo.ZoneInfo(str(name))


def merchant_today(merchant: models.Model, *, now: datetime.datetime | None = None) -> datetime.date:
    return timezone.localtime(now or timezone.now(), merchant_zone(merchant)).date()
