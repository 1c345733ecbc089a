"""Writes sent together: the rows a payment inserts and updates, as one statement on Postgres.

A payment writes a dozen rows (the wallet's lots, debit, balance and entries; the coupon's redemption; the card's
earning, buckets, entries and balances; the payment and its lines) and reads nothing back in between. On Postgres
each costs a statement (and about a millisecond of Python), so inside `written_together()` the services' writes
(`insert`, `update`, and `loyalty.ledgers.move_lots`) are held and sent as one statement of data-modifying CTEs
(`WITH w1 AS (UPDATE ...), w2 AS (INSERT ... RETURNING id), ... SELECT ...`). A row that refers to a row held in
the same statement refers to it by a sub-select of that CTE (the entries name their debit, the lines their payment);
foreign keys are checked at commit.

The writes are sent, in their order, before any other statement runs on the connection (a read, a lock, a
savepoint), so nothing ever reads a row as it was before a held write, and a constraint that fails fails the
transaction as it would have. What they return is known only then: a held insert gets its pk when the writes go
(at the end of the block at the latest), so a caller must not need it before. Outside the block, and on other
databases (SQLite has no data-modifying CTEs), every write is made at once, as the ORM would.
"""

from __future__ import annotations

import contextlib
import contextvars
import datetime
import functools
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.db import DEFAULT_DB_ALIAS, connection, connections, models
from django.db.models import signals

from loyalty import prepared


@dataclass
class _Write:
    name: str
    sql: str
    params: list[Any]
    rows: list[models.Model] = field(default_factory=list)  # inserted, in order: they get their pks from RETURNING
    columns: dict[str, Any] | None = None  # an update by pk: its SET, merged with later updates of the same row


@dataclass
class _Held:
    writes: list[_Write] = field(default_factory=list)
    inserted: dict[int, tuple[_Write, int]] = field(default_factory=dict)  # id(row) -> (its insert, its position)
    touched: dict[tuple[str, Any], _Write] = field(default_factory=dict)  # (table, pk) -> the write changing it
    sending: bool = False

    def send(self) -> None:
        if not self.writes or self.sending:
            return
        self.sending = True
        try:
            _send(self.writes)
        finally:
            self.writes, self.inserted, self.touched = [], {}, {}
            self.sending = False


_held: contextvars.ContextVar[_Held | None] = contextvars.ContextVar("written_together", default=None)


def _holding(model: type[models.Model]) -> _Held | None:
    """The writes being held, if a write of `model` may join them: not a model somebody listens to saves of
    (a held write sends no signals)."""
    held = _held.get()
    if held is None or held.sending:
        return None
    if signals.pre_save.has_listeners(model) or signals.post_save.has_listeners(model):
        return None
    return held


@contextlib.contextmanager
def written_together() -> Iterator[None]:
    """Hold the block's writes and send them as one statement (Postgres) before the next other statement, and at
    the latest when the block ends. A block that fails sends nothing: its transaction is being rolled back."""
    if _held.get() is not None or connection.vendor != "postgresql":
        yield  # inside one already (the outer block sends), or a database that writes one statement at a time
        return
    held = _Held()
    token = _held.set(held)

    def send_first(execute, sql, params, many, context):
        if held.writes and not held.sending:
            held.send()
        return execute(sql, params, many, context)

    try:
        with connection.execute_wrapper(send_first):
            yield
            held.send()
    finally:
        _held.reset(token)


@functools.cache
def _quote(name: str) -> str:
    """A table or column name quoted for Postgres, the only database writes are held on (each `connection.ops` is
    a lookup of the connection, and a payment's held writes quote two dozen names)."""
    return connection.ops.quote_name(name)


# Fields whose `get_db_prep_save` on Postgres (the only database writes are held on) hands back a value of its one
# type as it is (an int, a text, a flag, a decimal, a day, an aware time): a held insert takes such a value (or None)
# straight from the row (a payment inserts some 140), any other through the field.
_PLAIN_TYPES = {models.AutoField: int, models.BigAutoField: int, models.IntegerField: int,
                models.BigIntegerField: int, models.PositiveIntegerField: int, models.PositiveSmallIntegerField: int,
                models.SmallIntegerField: int, models.BooleanField: bool, models.CharField: str,
                models.TextField: str, models.DecimalField: Decimal, models.DateField: datetime.date,
                models.DateTimeField: datetime.datetime}


# What a field does to a value on its way to the database: a subclass of one of those fields that changes none of
# them (`loyalty.money.MoneyField`, a payment's dozen amounts) sends its values as that field does.
_PREPARING = ("pre_save", "get_db_prep_save", "get_db_prep_value", "get_prep_value", "to_python")


def _plain_type(model_field: models.Field) -> type | None:
    if isinstance(model_field, models.ForeignKey):
        return _plain_type_of(type(model_field.target_field))
    if getattr(model_field, "auto_now", False) or getattr(model_field, "auto_now_add", False):
        return None  # `pre_save` sets it
    return _plain_type_of(type(model_field))


def _plain_type_of(kind: type[models.Field]) -> type | None:
    for base in kind.__mro__:
        plain = _PLAIN_TYPES.get(base)
        if plain is not None:
            return plain if all(getattr(kind, name) is getattr(base, name) for name in _PREPARING) else None
    return None


@dataclass(frozen=True)
class _Insertable:
    """What every held insert of a model needs of its fields, worked out once a model."""

    table: str
    pk: str
    pk_position: int
    # Each concrete field: the field, its quoted column, the name its row is cached under on the row if it is a
    # foreign key (it may name a row held in the same statement; None for any other field), and the one type a
    # value of it is sent as the row holds it (None: always through the field).
    fields: list[tuple[models.Field, str, str | None, type | None]]


_insertables: dict[type[models.Model], _Insertable] = {}


def _insertable(model: type[models.Model]) -> _Insertable:
    found = _insertables.get(model)
    if found is None:
        fields = list(model._meta.concrete_fields)
        found = _insertables[model] = _Insertable(
            table=_quote(model._meta.db_table), pk=_quote(model._meta.pk.column),
            pk_position=fields.index(model._meta.pk),
            fields=[(f, _quote(f.column), f.cache_name if isinstance(f, models.ForeignKey) else None, _plain_type(f))
                    for f in fields])
    return found


def _value(held: _Held, row: models.Model, model_field: models.Field, db=connection) -> tuple[str, list[Any]]:
    """The placeholder and parameters of one field of a row to insert; a reference to a row inserted in the same
    statement is a sub-select of its CTE."""
    if isinstance(model_field, models.ForeignKey) and model_field.is_cached(row):
        parent = model_field.get_cached_value(row)
        if parent is not None and parent.pk is None:
            if id(parent) not in held.inserted:
                raise ValueError(f"{type(row).__name__}.{model_field.name} names an unsaved row")
            write, position = held.inserted[id(parent)]
            pk = _quote(parent._meta.pk.column)
            return f"(SELECT {pk} FROM {write.name} ORDER BY {pk} LIMIT 1 OFFSET {position})", []
        if parent is not None:
            row.__dict__[model_field.attname] = parent.pk  # as `save()` would, keeping the cached parent
            if type(parent.pk) is int:
                return "%s", [parent.pk]
    value = model_field.get_db_prep_save(model_field.pre_save(row, True), db)
    if hasattr(value, "resolve_expression"):
        raise ValueError(f"{type(row).__name__}.{model_field.name}: an expression cannot be held")
    return "%s", [value]


def insert(rows: Sequence[models.Model]) -> list[models.Model]:
    """Insert new rows of one model (one INSERT for them all); held inside `written_together` on Postgres."""
    rows = list(rows)
    if not rows:
        return rows
    model = type(rows[0])
    held = _holding(model)
    if held is None:
        if len(rows) == 1:
            rows[0].save(force_insert=True)
        else:
            model.objects.bulk_create(rows)
        return rows
    plan = _insertable(model)
    db = connections[DEFAULT_DB_ALIAS]  # the connection itself: every attribute of the `connection` proxy is a lookup
    fields = plan.fields
    if getattr(rows[0], model._meta.pk.attname) is None:  # the pk only when the rows bring it
        fields = [*fields[:plan.pk_position], *fields[plan.pk_position + 1:]]
    placeholders, params = [], []
    for row in rows:
        values = []
        state = row.__dict__
        related = row._state.fields_cache
        for model_field, _column, cached_as, plain in fields:
            if plain is not None and cached_as in related:
                # A foreign key to a row at hand: a saved one's pk as `save()` takes it (a row held in the same
                # statement, or one without a pk of the plain type, as `_value` says).
                parent = related[cached_as]
                pk = parent.pk if parent is not None else None
                if type(pk) is plain:
                    state[model_field.attname] = pk
                    values.append("%s")
                    params.append(pk)
                    continue
            elif plain is not None:
                value = state[model_field.attname]
                # A naive time is made aware (with a warning) by the field.
                if value is None or (type(value) is plain and (plain is not datetime.datetime or value.tzinfo)):
                    values.append("%s")
                    params.append(value)
                    continue
                if plain is str and isinstance(value, str):
                    values.append("%s")  # a choice (`TextChoices`): the text it is
                    params.append(str.__str__(value))
                    continue
            placeholder, value = _value(held, row, model_field, db)
            values.append(placeholder)
            params += value
        placeholders.append("(" + ", ".join(values) + ")")
    write = _Write(f"w{len(held.writes) + 1}", (
        f"INSERT INTO {plan.table} ({', '.join(column for _field, column, _foreign, _plain in fields)}) "
        f"VALUES {', '.join(placeholders)} RETURNING {plan.pk}"), params, rows)
    held.writes.append(write)
    for position, row in enumerate(rows):
        held.inserted[id(row)] = (write, position)
    return rows


def update(row: models.Model, fields: Sequence[str]) -> None:
    """Write these fields of a saved row (`save(update_fields=...)`); held inside `written_together` on Postgres,
    where later updates of the same row join the first."""
    held = _holding(type(row))
    if held is None:
        row.save(update_fields=list(fields))
        return
    meta = row._meta
    key = (meta.db_table, row.pk)
    columns = {}
    db = connections[DEFAULT_DB_ALIAS]  # the connection itself, as in `insert`
    for name in fields:
        model_field = meta.get_field(name)
        columns[model_field.column] = model_field.get_db_prep_save(model_field.pre_save(row, False), db)
    earlier = held.touched.get(key)
    if earlier is not None and earlier.columns is not None:
        earlier.columns.update(columns)
        return
    if earlier is not None:
        held.send()  # the row moves in a held write already: one statement must not change a row twice
    write = _Write(f"w{len(held.writes) + 1}", f"UPDATE {_quote(meta.db_table)} SET {{set}} WHERE "
                   f"{_quote(meta.pk.column)} = %s", [row.pk], columns=columns)
    held.writes.append(write)
    held.touched[key] = write


def held_statement(model: type[models.Model], pks: Sequence[Any], sql: str, params: list[Any]) -> bool:
    """Hold a statement changing these rows of `model` (`move_lots`' UPDATE ... FROM VALUES); False when nothing
    is held (the caller runs it)."""
    held = _holding(model)
    if held is None:
        return False
    keys = [(model._meta.db_table, pk) for pk in pks]
    if any(key in held.touched for key in keys):
        held.send()
    write = _Write(f"w{len(held.writes) + 1}", sql, params)
    held.writes.append(write)
    for key in keys:
        held.touched[key] = write
    return True


def _send(writes: list[_Write]) -> None:
    parts, params, returning = [], [], []
    for write in writes:
        sql, write_params = write.sql, write.params
        if write.columns is not None:
            sql = sql.replace("{set}", ", ".join(f"{_quote(column)} = %s" for column in write.columns))
            write_params = [*write.columns.values(), *write.params]
        parts.append(f"{write.name} AS ({sql})")
        params += write_params
        if write.rows:
            pk = _quote(write.rows[0]._meta.pk.column)
            returning.append((write, f"(SELECT array_agg({pk} ORDER BY {pk}) FROM {write.name})"))
    select = ", ".join(expression for _write, expression in returning) or "1"
    with connection.cursor() as cursor:
        prepared.execute(cursor, f"WITH {', '.join(parts)} SELECT {select}", params)
        answer = cursor.fetchone()
    for (write, _expression), pks in zip(returning, answer, strict=False):
        for row, pk in zip(write.rows, pks, strict=True):
            row.pk = pk
            row._state.adding = False
            row._state.db = connection.alias
    for write, _expression in returning:
        for row in write.rows:
            for model_field in row._meta.concrete_fields:
                if isinstance(model_field, models.ForeignKey) and model_field.is_cached(row):
                    parent = model_field.get_cached_value(row)
                    if parent is not None:
                        row.__dict__[model_field.attname] = parent.pk
