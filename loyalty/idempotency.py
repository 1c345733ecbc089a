"""Idempotency-Key support for API calls that move money or value (DESIGN.md, Idempotency).

The first request with a key stores its response with a hash of the request; a retry with the same
key and body gets the stored response, the same key with another body is a 422, and a retry while
the first is still running is a 409. Server errors are not stored, so the client may retry them.
"""

from __future__ import annotations

import hashlib
import json
from contextvars import ContextVar
from datetime import timedelta
from functools import wraps

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import IntegrityError, connection, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from rest_framework.response import Response

from loyalty import errors, prepared
from loyalty.compiled import update_rows
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


# The first key of the advisory locks a claim in the request's transaction takes (the second: its scope and key).
CLAIM_LOCK_SPACE = 7202


def _claim_in_transaction(scope: str, key: str, fingerprint: str):
    """Insert the in-flight record inside the request's transaction, or say why not: (record, True) when this
    request claimed the key, (the stored record, False) when an earlier one finished with it, (None, False)
    when another request holding the key is still running.

    One statement. The record is not visible to others until the request commits, so uniqueness alone would
    make a concurrent retry wait for the first to finish; the claim also takes a transaction-level advisory lock
    on the key, with `pg_try_advisory_xact_lock`, which never waits: a retry that cannot take it inserts
    nothing, finds no committed record and is told the first is still running (409). (Two different keys of
    one hash are told so too, 1 in 2³² of the time, and may retry.) SQLite runs one writing transaction at a
    time: a retry waits for the first and gets its stored answer.
    """
    if connection.vendor != "postgresql":
        record, created = _claim(scope, key, fingerprint)
        return record, created
    table = connection.ops.quote_name(IdempotencyRecord._meta.db_table)
    now = timezone.now()
    with connection.cursor() as cursor:
        prepared.execute(
            cursor,
            f'INSERT INTO {table} ("scope", "key", "request_hash", "state", "created_at") '
            'SELECT %s, %s, %s, %s, %s WHERE pg_try_advisory_xact_lock(%s, hashtext(%s)) '
            'ON CONFLICT ("scope", "key") DO NOTHING RETURNING "id"',
            [scope, key, fingerprint, IdempotencyRecord.State.IN_FLIGHT, now, CLAIM_LOCK_SPACE, f"{scope}\n{key}"])
        row = cursor.fetchone()
    if row is not None:
        return IdempotencyRecord(pk=row[0], scope=scope, key=key, request_hash=fingerprint, created_at=now), True
    return IdempotencyRecord.objects.filter(scope=scope, key=key).first(), False


def _take_over_if_abandoned(record: IdempotencyRecord) -> bool:
    if record.created_at > timezone.now() - ABANDONED_AFTER:
        return False
    return bool(
        IdempotencyRecord.objects.filter(pk=record.pk, state=IdempotencyRecord.State.IN_FLIGHT,
                                         created_at=record.created_at).update(created_at=timezone.now())
    )


_request_transaction: ContextVar[bool] = ContextVar("idempotent_request_transaction", default=False)


def in_request_transaction() -> bool:
    """Whether the code runs inside the transaction an idempotent request is made in, which any error rolls back
    whole: a service may then skip a savepoint of its own (nothing goes on after its failure)."""
    return _request_transaction.get()


def idempotent(view_method=None, *, one_transaction: bool = False):
    """Decorate a DRF view handler (post/put/patch/delete) to honour the Idempotency-Key header.

    The view may define `idempotency_scope(request)`; by default the scope is the terminal.

    By default the claim commits on its own before the handler runs. With `one_transaction=True` (checkout's
    payments: one commit a payment) the claim, the handler's changes and the stored answer are one
    transaction, and a concurrent retry is still told 409 (`_claim_in_transaction`); a refusal is stored after
    the rollback, so a retry is refused the same way.
    """
    if view_method is None:
        return lambda method: idempotent(method, one_transaction=one_transaction)

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
        if one_transaction:
            return _in_one_transaction(view_method, view, request, args, kwargs, scope=scope, key=key,
                                       fingerprint=fingerprint)
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


def _answer_stored(record: IdempotencyRecord | None, fingerprint: str):
    """What a request that did not claim its key gets: the stored answer, or why there is none to give."""
    if record is not None and record.request_hash != fingerprint:
        raise errors.DomainError(errors.IDEMPOTENCY_KEY_REUSED,
                                 _("This Idempotency-Key was already used for a different request."),
                                 field=HEADER, status_code=422)
    if record is not None and record.state == IdempotencyRecord.State.COMPLETED:
        return Response(record.response_body, status=record.response_status, headers={REPLAY_HEADER: "true"})
    if record is not None and _take_over_if_abandoned(record):
        return None
    raise errors.DomainError(errors.IDEMPOTENCY_IN_FLIGHT,
                             _("A request with this Idempotency-Key is still being processed."),
                             field=HEADER, status_code=409)


def _in_one_transaction(view_method, view, request, args, kwargs, *, scope: str, key: str, fingerprint: str):
    completed = False
    token = _request_transaction.set(True)
    try:
        with transaction.atomic():
            record, created = _claim_in_transaction(scope, key, fingerprint)
            if not created:
                stored = _answer_stored(record, fingerprint)
                if stored is not None:
                    return stored
            response = view_method(view, request, *args, **kwargs)
            if response.status_code < 400:
                _complete(record, response)
                completed = True
    except Exception as exc:  # noqa: BLE001 - DRF's handler decides; unhandled errors re-raise
        if isinstance(exc, errors.DomainError) and exc.code in (errors.IDEMPOTENCY_IN_FLIGHT,
                                                                 errors.IDEMPOTENCY_KEY_REUSED):
            raise
        response = view.handle_exception(exc)
    finally:
        _request_transaction.reset(token)
    if completed or response.status_code >= 500:
        return response  # a server error is not stored: the client may retry it
    # A refusal: the claim went with the rollback; store the answer now, so a retry is refused the same way.
    record, created = _claim(scope, key, fingerprint)
    if created or record.state != IdempotencyRecord.State.COMPLETED:
        _complete(record, response)
    return response


def _complete(record: IdempotencyRecord, response) -> None:
    body = json.loads(json.dumps(response.data, cls=DjangoJSONEncoder))
    update_rows(IdempotencyRecord, {"pk": record.pk}, {
        "state": IdempotencyRecord.State.COMPLETED, "response_status": response.status_code,
        "response_body": body, "completed_at": timezone.now()})


def purge_expired_records() -> int:
    cutoff = timezone.now() - timedelta(hours=settings.IDEMPOTENCY_TTL_HOURS)
    deleted, _ = IdempotencyRecord.objects.filter(created_at__lt=cutoff).delete()
    return deleted
