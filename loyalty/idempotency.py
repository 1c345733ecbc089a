"""Idempotency-Key support for API calls that move money or value (DESIGN.md, Idempotency).

The first request with a key stores its response with a hash of the request; a retry with the same
key and body gets the stored response, the same key with another body is a 422, and a retry while
the first is still running is a 409. Server errors are not stored, so the client may retry them.
"""

from __future__ import annotations

import hashlib
import json
from datetime import timedelta
from functools import wraps

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import IntegrityError, connection, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from rest_framework.response import Response

from loyalty import errors
from loyalty.models import IdempotencyRecord

HEADER = "Idempotency-Key"
REPLAY_HEADER = "Idempotent-Replayed"
# A request still "in flight" after this long died with its worker; a retry may take it over.
ABANDONED_AFTER = timedelta(minutes=5)


def request_fingerprint(method: str, path: str, body: bytes) -> str:
    """Hash of what the request asks for; JSON bodies are compared by content, not by spacing."""
    try:
        canonical = json.dumps(json.loads(body or b"{}"), sort_keys=True, separators=(",", ":")).encode()
    except (ValueError, UnicodeDecodeError):
        canonical = body
    return hashlib.sha256(method.encode() + b" " + path.encode() + b"\n" + canonical).hexdigest()


def _claim(scope: str, key: str, fingerprint: str):
    """Insert the in-flight record, or return the existing one.

    One statement, committed at once outside a transaction (a retry sees it and gets its 409): `ON CONFLICT
    DO NOTHING` rather than a caught IntegrityError, which needs a transaction and a savepoint around it
    (still the way on an SQLite too old for RETURNING).
    """
    if not connection.features.can_return_columns_from_insert:
        try:
            with transaction.atomic():
                return IdempotencyRecord.objects.create(scope=scope, key=key, request_hash=fingerprint), True
        except IntegrityError:
            return IdempotencyRecord.objects.get(scope=scope, key=key), False
    table = connection.ops.quote_name(IdempotencyRecord._meta.db_table)
    now = timezone.now()
    with connection.cursor() as cursor:
        cursor.execute(
            f'INSERT INTO {table} ("scope", "key", "request_hash", "state", "created_at") '
            'VALUES (%s, %s, %s, %s, %s) ON CONFLICT ("scope", "key") DO NOTHING RETURNING "id"',
            # Stored as the ORM stores it: `_take_over_if_abandoned` matches on it.
            [scope, key, fingerprint, IdempotencyRecord.State.IN_FLIGHT,
             connection.ops.adapt_datetimefield_value(now)])
        row = cursor.fetchone()
    if row is None:
        return IdempotencyRecord.objects.get(scope=scope, key=key), False
    return IdempotencyRecord(pk=row[0], scope=scope, key=key, request_hash=fingerprint, created_at=now), True


def _take_over_if_abandoned(record: IdempotencyRecord) -> bool:
    if record.created_at > timezone.now() - ABANDONED_AFTER:
        return False
    return bool(
        IdempotencyRecord.objects.filter(pk=record.pk, state=IdempotencyRecord.State.IN_FLIGHT,
                                         created_at=record.created_at).update(created_at=timezone.now())
    )


def idempotent(view_method):
    """Decorate a DRF view handler (post/put/patch/delete) to honour the Idempotency-Key header.

    The view may define `idempotency_scope(request)`; by default the scope is the terminal.
    """

    @wraps(view_method)
    def wrapper(view, request, *args, **kwargs):
        key = request.headers.get(HEADER)
        if key is None:
            return view_method(view, request, *args, **kwargs)
        if not key.strip() or len(key) > 255 or not key.isprintable():
            raise errors.DomainError(errors.IDEMPOTENCY_KEY_INVALID,
                                     _("The Idempotency-Key must be 1 to 255 printable characters."),
                                     field=HEADER)
        scope_of = getattr(view, "idempotency_scope", None)
        scope = scope_of(request) if scope_of else f"terminal:{request.auth.pk}"
        fingerprint = request_fingerprint(request.method, request.path, request.body)
        record, created = _claim(scope, key, fingerprint)
        if not created:
            if record.request_hash != fingerprint:
                raise errors.DomainError(errors.IDEMPOTENCY_KEY_REUSED,
                                         _("This Idempotency-Key was already used for a different request."),
                                         field=HEADER, status_code=422)
            if record.state == IdempotencyRecord.State.COMPLETED:
                return Response(record.response_body, status=record.response_status, headers={REPLAY_HEADER: "true"})
            if not _take_over_if_abandoned(record):
                raise errors.DomainError(errors.IDEMPOTENCY_IN_FLIGHT,
                                         _("A request with this Idempotency-Key is still being processed."),
                                         field=HEADER, status_code=409)
        # A success is recorded in the same transaction as the changes it reports: a worker that dies
        # between the two leaves neither, so the retry that takes the record over cannot act twice.
        completed = False
        try:
            with transaction.atomic():
                response = view_method(view, request, *args, **kwargs)
                if response.status_code < 400:
                    _complete(record, response)
                    completed = True
        except Exception as exc:  # noqa: BLE001 - DRF's handler decides; unhandled errors re-raise below
            try:
                response = view.handle_exception(exc)
            except Exception:
                IdempotencyRecord.objects.filter(pk=record.pk).delete()
                raise
        if completed:
            return response
        if response.status_code >= 500:
            IdempotencyRecord.objects.filter(pk=record.pk).delete()
            return response
        _complete(record, response)
        return response

    return wrapper


def _complete(record: IdempotencyRecord, response) -> None:
    body = json.loads(json.dumps(response.data, cls=DjangoJSONEncoder))
    IdempotencyRecord.objects.filter(pk=record.pk).update(
        state=IdempotencyRecord.State.COMPLETED, response_status=response.status_code,
        response_body=body, completed_at=timezone.now(),
    )


def purge_expired_records() -> int:
    cutoff = timezone.now() - timedelta(hours=settings.IDEMPOTENCY_TTL_HOURS)
    deleted, _ = IdempotencyRecord.objects.filter(created_at__lt=cutoff).delete()
    return deleted
