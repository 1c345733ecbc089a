"""Typed events: the history of merchants' objects that no ledger records, and the outbox of outgoing webhooks.

An app that owns an object writes its events through small typed functions in its own `events.py`
(`coupons.events.coupon_voided(coupon, staff=..., reason=...)`), called by the service that makes the
change, in the same transaction. Those functions name an `EventKind` the app registers in
`AppConfig.ready()` (`event_kinds.register(...)`) and call `record_event` here, which knows no business.
Balances are not events: their ledgers already say who changed what, when and why.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.contrib.auth.base_user import AbstractBaseUser
from django.contrib.contenttypes.models import ContentType
from django.db import connection, models
from django.db.models import Max
from django.dispatch import Signal
from django.utils.functional import Promise

from loyalty.models import Event
from loyalty.registry import Registry
from loyalty.tenancy import MERCHANT_MODEL_LABEL


@dataclass(frozen=True)
class EventKind:
    """One kind of event: its stable code (what a webhook receiver switches on) and its label in the admin."""

    code: str
    label: str | Promise
    order: int = 0


event_kinds: Registry[EventKind] = Registry("event kinds")

# Sent with `event=` for each event recorded, inside its transaction: the webhooks app queues its
# deliveries on it, so a delivery exists exactly when its event does.
event_recorded = Signal()


@dataclass
class Changes:
    """What an edit changed: fields as {name: [before, after]} and inline lines as {lines: {added, changed,
    deleted}}; values are plain JSON (a related row is its id, several are a sorted list of ids)."""

    fields: dict[str, list[Any]] = field(default_factory=dict)
    lines: dict[str, dict[str, list[Any]]] = field(default_factory=dict)
    created: bool = False
    deleted: bool = False

    def __bool__(self) -> bool:
        return bool(self.fields or self.lines or self.created or self.deleted)

    def as_data(self) -> dict[str, Any]:
        data: dict[str, Any] = {"changes": self.fields}
        if self.lines:
            data["lines"] = self.lines
        if self.created:
            data["created"] = True
        if self.deleted:
            data["deleted"] = True
        return data


def plain(value: Any) -> Any:
    """A form or model value as JSON: a row as its id, rows as their sorted ids, files as their names."""
    if value is None or isinstance(value, bool | int | float | str):
        return value
    if isinstance(value, models.Model):
        return value.pk
    if isinstance(value, models.QuerySet | set | frozenset) or (
            isinstance(value, list | tuple) and value and all(isinstance(item, models.Model) for item in value)):
        # Related rows (a many-to-many field's value) are a set: the same rows in any order are no change.
        return sorted(plain(item) for item in value)
    if isinstance(value, list | tuple):
        return [plain(item) for item in value]
    if isinstance(value, dict):
        return {str(key): plain(item) for key, item in value.items()}
    if hasattr(value, "isoformat"):
        return value.isoformat()
    if hasattr(value, "name") and hasattr(value, "read"):  # an uploaded or stored file
        return value.name or ""
    return str(value)


def _merchant_id(subject: models.Model) -> int:
    if subject._meta.label == MERCHANT_MODEL_LABEL:
        return subject.pk
    return subject.merchant_id


def record_event(kind: EventKind, subject: models.Model, *, staff: AbstractBaseUser | None = None,
                 terminal: models.Model | None = None, member: models.Model | None = None,
                 data: dict[str, Any] | None = None, new_subject: bool = False,
                 member_id: int | None = None) -> Event:
    """Append one event about `subject` (a merchant-owned row, or the merchant itself).

    It must be written in the transaction of the change it records, so that a change rolled back leaves
    no event behind and a webhook never announces what did not happen. Its `sequence` is one more than the
    subject's last event's; `new_subject` (the subject was created by this change) saves counting them.
    `member_id` names the member when only their id is at hand (a locked card), saving a read of the row.
    The service that changes an object holds its row lock, so one object's numbers do not repeat.
    """
    if kind.code not in event_kinds:
        raise LookupError(f"event kind {kind.code!r} is not registered")
    if not connection.in_atomic_block:
        raise RuntimeError(f"record {kind.code} inside the transaction of the change it records")
    if staff is not None and not staff.is_authenticated:
        staff = None
    content_type = ContentType.objects.get_for_model(subject)
    sequence = 1
    if not new_subject:
        last = (Event.objects.filter(content_type=content_type, object_id=subject.pk)
                .aggregate(last=Max("sequence"))["last"])
        sequence = (last or 0) + 1
    event = Event.objects.create(
        merchant_id=_merchant_id(subject), kind=kind.code, content_type=content_type, object_id=subject.pk,
        sequence=sequence, staff=staff, terminal=terminal, member=member,
        **({"member_id": member_id} if member is None and member_id is not None else {}), data=plain(data or {}))
    event_recorded.send(sender=Event, event=event)
    return event


def events_of(subject: models.Model) -> models.QuerySet[Event]:
    """The history of one object, newest first."""
    return Event.objects.filter(
        content_type=ContentType.objects.get_for_model(subject), object_id=subject.pk,
    ).select_related("staff", "terminal", "member")


def kind_label(code: str) -> str:
    return str(event_kinds.get(code).label) if code in event_kinds else code
