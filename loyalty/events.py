"""Typed events: the history of merchants' objects that no ledger records, and the outbox of outgoing webhooks.

An app that owns an object writes its events through small typed functions in its own `events.py`
(`coupons.events.coupon_voided(coupon, staff=..., reason=...)`), called by the service that makes the
change, in the same transaction. Those functions name an `EventKind` the app registers in
`AppConfig.ready()` (`event_kinds.register(...)`) and call `record_event` here, which knows no business.
Balances are not events: their ledgers already say who changed what, when and why.
"""

from __future__ import annotations

import contextlib
import uuid
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any

from django.contrib.auth.base_user import AbstractBaseUser
from django.contrib.contenttypes.models import ContentType
from django.db import connection, models
from django.dispatch import Signal
from django.utils.functional import Promise

from loyalty import prepared
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
    subject's last event's, counted inside the INSERT (no statement of its own); `new_subject` (the subject was
    created by this change) saves counting them. `member_id` names the member when only their id is at hand (a
    locked card), saving a read of the row. The service that changes an object holds its row lock, so one
    object's numbers do not repeat. Inside `recorded_together()` the event is written, with the block's
    others, when the block ends (its `pk` and `sequence` are set then).
    """
    if kind.code not in event_kinds:
        raise LookupError(f"event kind {kind.code!r} is not registered")
    if not connection.in_atomic_block:
        raise RuntimeError(f"record {kind.code} inside the transaction of the change it records")
    if staff is not None and not staff.is_authenticated:
        staff = None
    content_type = ContentType.objects.get_for_model(subject)
    event = Event(
        merchant_id=_merchant_id(subject), kind=kind.code, content_type=content_type, object_id=subject.pk,
        sequence=1 if new_subject else None, staff=staff, terminal=terminal, member=member,
        **({"member_id": member_id} if member is None and member_id is not None else {}), data=plain(data or {}))
    pending = _together.get()
    if pending is not None:
        pending.append(event)
        return event
    _insert([event])
    event_recorded.send(sender=Event, event=event)
    return event


# The events of the block `recorded_together()` runs, written when it ends; None outside one.
_together: ContextVar[list[Event] | None] = ContextVar("events_recorded_together", default=None)


@contextlib.contextmanager
def recorded_together():
    """Write the events recorded in the block in one INSERT when it ends, then tell `event_recorded` of each
    (in order, in the same transaction): a payment's coupon and payment events cost one statement. Nothing is
    written if the block fails (its transaction is rolled back anyway)."""
    if _together.get() is not None:
        yield  # already inside one: the outer block writes them all
        return
    token = _together.set([])
    try:
        yield
        pending = _together.get()
    finally:
        _together.reset(token)
    if pending:
        _insert(pending)
        for event in pending:
            event_recorded.send(sender=Event, event=event)


def _insert(events: list[Event]) -> None:
    """One INSERT ... RETURNING for the events; a sequence still to count is a sub-select of the subject's last
    (plus the events of the same subject before it in this INSERT, which the sub-select cannot see)."""
    fields = [f for f in Event._meta.concrete_fields if not f.primary_key]
    table = connection.ops.quote_name(Event._meta.db_table)
    columns = ", ".join(connection.ops.quote_name(f.column) for f in fields)
    known: dict[tuple[int, Any], tuple[str, int]] = {}  # subject -> ("literal" or "counted", last in this INSERT)
    rows, params = [], []
    for event in events:
        if event.uuid is None:
            event.uuid = uuid.uuid4()
        subject = (event.content_type_id, event.object_id)
        placeholders = []
        for f in fields:
            if f.attname != "sequence":
                placeholders.append("%s")
                params.append(f.get_db_prep_save(getattr(event, f.attname), connection))
                continue
            how, last = known.get(subject, ("counted" if event.sequence is None else "literal", 0))
            if event.sequence is not None and subject not in known:
                known[subject] = ("literal", event.sequence)
                placeholders.append("%s")
                params.append(event.sequence)
            elif how == "literal":
                known[subject] = ("literal", last + 1)
                event.sequence = last + 1
                placeholders.append("%s")
                params.append(last + 1)
            else:
                known[subject] = ("counted", last + 1)
                placeholders.append(f'(SELECT COALESCE(MAX("sequence"), 0) + %s FROM {table} '
                                    f'WHERE "content_type_id" = %s AND "object_id" = %s)')
                params += [last + 1, event.content_type_id, event.object_id]
        rows.append("(" + ", ".join(placeholders) + ")")
    with connection.cursor() as cursor:
        prepared.execute(cursor, f'INSERT INTO {table} ({columns}) VALUES {", ".join(rows)} RETURNING "id", "sequence"',
                         params)
        returned = cursor.fetchall()
    for event, (pk, sequence) in zip(events, returned, strict=True):
        event.pk, event.sequence = pk, sequence
        event._state.adding, event._state.db = False, connection.alias


def events_of(subject: models.Model) -> models.QuerySet[Event]:
    """The history of one object, newest first."""
    return Event.objects.filter(
        content_type=ContentType.objects.get_for_model(subject), object_id=subject.pk,
    ).select_related("staff", "terminal", "member")


def kind_label(code: str) -> str:
    return str(event_kinds.get(code).label) if code in event_kinds else code
