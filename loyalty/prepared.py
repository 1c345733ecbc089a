"""The pay path's own statements prepared once per connection on Postgres (issue 16): parsed and planned once,
then sent as `EXECUTE name(values)`.

Postgres spent about three times the least Django payment's CPU on the same number of statements, and about half
of it planning them (pg_stat_statements, `track_planning`: 2.5 ms of plan a payment against 2.0 ms of
execution). psycopg2 binds values in the client and cannot prepare, so the statements that the code sends
itself (compiled reads, the held writes, the coupon's and the idempotency record's updates, the events, the
idempotency claim) go through `execute(cursor, sql, params)`: a statement seen twice on a connection is prepared
(`PREPARE ... AS ...; EXECUTE ...`, one round trip) and from then on executed by name. Everything else the ORM
sends is unchanged.

A statement is prepared for the types of its values (psycopg2's own: an int is an integer or a bigint by its
size, a decimal numeric, an aware time timestamptz, a day date, a flag boolean; a text, a JSON value and None
take the type their place in the statement gives them, as psycopg2's quoted literals do), so one SQL may be
prepared more than once; a value of another type is sent as before. In a transaction the PREPARE is made behind a
savepoint, so one Postgres refuses is rolled back alone and sent as written. Prepared statements outlive a rolled-back
transaction (`PREPARE` is not transactional), die with the connection (the backend, `loyalty.postgres`, starts
each new connection with none), and a connection keeps at most `KEPT` of them, the least recently used
deallocated in the same round trip as the next one prepared. The SQL Django records (`connection.queries`,
`CaptureQueriesContext`, the SQL log) is the statement as written, with its values, not `EXECUTE`.
"""

from __future__ import annotations

import datetime
import re
import uuid
from collections import OrderedDict
from collections.abc import Sequence
from decimal import Decimal
from typing import Any

from django.db import DatabaseError
from django.db.backends.postgresql.psycopg_any import Jsonb
from psycopg2 import errorcodes
from psycopg2.extras import Json

# A connection prepares a statement the second time it sees it: a statement made once (a shape of held writes
# that depends on how many lots a payment drew) is not worth a plan kept in the backend.
SEEN_BEFORE_PREPARED = 2
KEPT = 100
_SEEN_KEPT = 1_000

_INT4 = range(-(2**31), 2**31)
_INT8 = range(-(2**63), 2**63)
# A float is sent as written (psycopg2 quotes it as a numeric literal, which no declared type matches exactly).
_TYPES: dict[type, str | None] = {str: "unknown", type(None): "unknown", Json: "unknown", Jsonb: "jsonb",
                                  bool: "boolean", Decimal: "numeric", float: None, datetime.date: "date",
                                  datetime.timedelta: "interval", uuid.UUID: "uuid"}
# A statement Postgres could not prepare for its values' types: sent as before from then on, never prepared again.
_REFUSED_CODES = {errorcodes.INDETERMINATE_DATATYPE, errorcodes.UNDEFINED_FUNCTION, errorcodes.DATATYPE_MISMATCH,
                  errorcodes.AMBIGUOUS_FUNCTION, errorcodes.AMBIGUOUS_PARAMETER}
# A prepared statement its table changed under ("cached plan must not change result type") or that is gone.
_GONE_CODES = {errorcodes.FEATURE_NOT_SUPPORTED, errorcodes.INVALID_SQL_STATEMENT_NAME}


def _type_of(value: Any) -> str | None:
    kind = type(value)
    if kind is int:
        return "int4" if value in _INT4 else "int8" if value in _INT8 else "numeric"
    if kind is datetime.datetime:
        return "timestamp" if value.tzinfo is None else "timestamptz"
    if kind is datetime.time:
        return "time" if value.tzinfo is None else "timetz"
    found = _TYPES.get(kind, _UNSEEN)
    if found is _UNSEEN:
        found = _TYPES[kind] = _type_of_kind(kind)
    if found in ("int", "datetime"):  # a subclass (an IntegerChoices member): by its value, as above
        return _type_of(int(value) if found == "int" else datetime.datetime.fromtimestamp(0, value.tzinfo))
    return found


_UNSEEN = object()


def _type_of_kind(kind: type) -> str | None:
    """A subclass's type: a TextChoices member is a text, an IntegerChoices member an int (psycopg2 quotes them as
    their base class)."""
    if issubclass(kind, bool):
        return "boolean"
    if issubclass(kind, int):
        return "int"
    if issubclass(kind, datetime.datetime):
        return "datetime"
    for base in (str, Decimal, datetime.date, datetime.timedelta, uuid.UUID, Jsonb, Json):
        if issubclass(kind, base):
            return _TYPES[base]
    return None


_numbered: dict[str, str | None] = {}
# A psycopg2 placeholder (`%s`), a literal `%` (`%%`) or anything else after a `%` (split keeps them from the text).
PLACEHOLDER = re.compile(r"(%.)")


def _numbered_sql(sql: str) -> str | None:
    """The statement with `$1, $2 ...` for psycopg2's `%s` (a literal `%` stays `%%`: the `EXECUTE` sent with it
    is formatted by psycopg2), or None when it has anything else a prepared statement could misread."""
    found = _numbered.get(sql, _UNSEEN)  # one lookup: another thread may clear it between two
    if found is not _UNSEEN:
        return found
    if len(_numbered) >= _SEEN_KEPT:
        _numbered.clear()
    numbered: str | None = None
    if "$" not in sql and ";" not in sql:
        count = 0

        def number(match: re.Match) -> str:
            nonlocal count
            if match.group() == "%%":
                return "%%"
            if match.group() != "%s":
                raise ValueError(match.group())
            count += 1
            return f"${count}"

        try:
            numbered = PLACEHOLDER.sub(number, sql)
        except ValueError:
            numbered = None
    _numbered[sql] = numbered
    return numbered


class PreparedStatements:
    """What one Postgres connection has prepared: (SQL, types) → the `EXECUTE` to send."""

    def __init__(self) -> None:
        self.executes: OrderedDict[tuple[str, tuple[str, ...]], str] = OrderedDict()
        self.seen: dict[tuple[str, tuple[str, ...]], int] = {}
        self.refused: set[str] = set()
        self.written_as: dict[str, str] = {}  # an EXECUTE (or the PREPARE sent with one) → the statement as written
        self.made = 0
        self.calls = 0  # statements sent through it: one sent meanwhile is the held writes' (loyalty.writes)

    def execute(self, cursor, sql: str, params: Sequence[Any]):
        self.calls += 1
        types = tuple(map(_type_of, params))
        key = (sql, types)
        sent = self.executes.get(key)
        if sent is not None:
            self.executes.move_to_end(key)
            try:
                return cursor.execute(sent, params)
            except DatabaseError as error:
                if _code_of(error) in _GONE_CODES:  # prepared again the next time it is seen twice
                    self.executes.pop(key, None)
                    self.written_as.pop(sent, None)
                raise
        seen = self.seen.get(key, 0) + 1
        numbered = _numbered_sql(sql) if seen >= SEEN_BEFORE_PREPARED and sql not in self.refused else None
        if numbered is None or None in types:
            if len(self.seen) >= _SEEN_KEPT:  # the oldest half: what is seen now stays counted
                for old in list(self.seen)[:_SEEN_KEPT // 2]:
                    del self.seen[old]
            self.seen[key] = seen
            return cursor.execute(sql, params)
        self.seen.pop(key, None)
        self.made += 1
        name = f"loyalty_{self.made}"
        execute = f"EXECUTE {name}({', '.join(['%s'] * len(params))})" if params else f"EXECUTE {name}"
        deallocate = ""
        while len(self.executes) >= KEPT:
            _key, oldest = self.executes.popitem(last=False)
            self.written_as.pop(oldest, None)
            deallocate += f"DEALLOCATE {oldest.split()[1].split('(')[0]}; "
        declared = f" ({', '.join(types)})" if types else ""
        prepare = f"{deallocate}PREPARE {name}{declared} AS {numbered}"
        # In a transaction, a PREPARE that Postgres refuses would fail it: behind a savepoint it fails alone.
        in_transaction = not cursor.db.get_autocommit()
        if in_transaction:
            prepare = f"SAVEPOINT loyalty_prepare; {prepare}; RELEASE SAVEPOINT loyalty_prepare"
        prepare = f"{prepare}; {execute}"
        self.written_as[prepare] = sql
        calls = self.calls
        try:
            result = cursor.execute(prepare, params)
        except DatabaseError as error:
            # Whether PREPARE ran before another failure is unknown: the next try takes a new name. A failure of
            # the held writes sent first (an execute made meanwhile) is theirs, not this statement's.
            if _code_of(error) not in _REFUSED_CODES or self.calls != calls:
                raise
            self.refused.add(sql)
            if in_transaction:
                cursor.execute("ROLLBACK TO SAVEPOINT loyalty_prepare; RELEASE SAVEPOINT loyalty_prepare")
            return cursor.execute(sql, params)
        finally:
            self.written_as.pop(prepare, None)
        self.executes[key] = execute
        self.written_as[execute] = sql
        return result

    def as_written(self, sent: str) -> str | None:
        return self.written_as.get(sent)


def _code_of(error: Exception) -> str | None:
    return getattr(error.__cause__, "pgcode", None)


def execute(cursor, sql: str, params: Sequence[Any]):
    """`cursor.execute(sql, params)`, prepared on a connection of `loyalty.postgres` (see the module's docstring)."""
    statements: PreparedStatements | None = getattr(cursor.db, "prepared_statements", None)
    if statements is None:
        return cursor.execute(sql, params)
    return statements.execute(cursor, sql, params)
