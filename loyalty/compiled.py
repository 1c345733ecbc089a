"""Reads made on every payment, compiled by the ORM once per process and then sent again with new values.

Building a queryset and compiling it costs about as much Python as the rest of a read (issue 16: a quarter of a
payment's CPU was the compile of a few hot reads). A `CompiledRead` keeps the queryset as the one statement of
what is read, and so its SQL, its row locks and the model instances it gives back are the ORM's own: the
first call builds it with stand-in values, compiles it and notes where each value lands among the parameters;
later calls send that SQL with the new values and make the instances the way `QuerySet.__iter__` does.

On Postgres only: there the ORM passes these values to the driver as they are. Elsewhere (SQLite adapts dates
and decimals to text) each call simply evaluates the queryset, so both paths give the same rows
(`tests/loyalty/test_compiled_reads.py`).
"""

from __future__ import annotations

import datetime
from collections.abc import Callable, Hashable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db import DEFAULT_DB_ALIAS, connections
from django.db.models import Model, QuerySet
from django.db.models.base import ModelState
from django.db.models.fields.related_descriptors import ForeignKeyDeferredAttribute
from django.db.models.query import get_related_populators
from django.db.models.query_utils import DeferredAttribute
from django.db.models.signals import post_init, pre_init
from django.db.transaction import TransactionManagementError

from loyalty import prepared

# Stand-in values, one a parameter, that no constant of a read equals (inside an integer column's range: the
# ORM refuses a lookup past it).
_FIRST_STAND_IN = 1_987_654_300


def _stand_in(kind: type, position: int) -> Any:
    if kind is int:
        return _FIRST_STAND_IN + position
    if kind is str:
        return f"\x1fstand-in {position}\x1f"
    if kind is Decimal:
        return Decimal(_FIRST_STAND_IN + position) / 100
    if kind is datetime.date:
        return datetime.date(1901, 1, 1) + datetime.timedelta(days=position)
    if kind is datetime.datetime:
        return datetime.datetime(1901, 1, 1, tzinfo=datetime.UTC) + datetime.timedelta(seconds=position)
    raise TypeError(f"a compiled read takes int, str, Decimal, date or datetime values, not {kind.__name__}")


@dataclass(frozen=True)
class Rewritten:
    """A read sent as other SQL than its queryset's own, with the same columns (`rewrite(sql, params)` makes it
    of the queryset's); where reads are not compiled (not Postgres), `elsewhere()` gives the rows."""

    queryset: QuerySet
    rewrite: Callable[[str, list], tuple[str, list]]
    elsewhere: Callable[[], list[Model]]


@dataclass(frozen=True)
class _Constant:
    value: Any


@dataclass
class _Compiled:
    sql: str
    slots: list[int | _Constant]  # each parameter: the position of the caller's value, or a constant of the read
    compiler: Any
    converters: dict  # the compiler's, per column (worked out once: `results_iter` would each time)
    model: type[Model]
    fields: tuple[int, int]
    init_list: list[str]
    populators: list
    annotations: dict[str, int]
    locks: bool
    plain: bool  # its instances can be made by filling their attributes (`_plain_instances`)

    def run(self, alias: str, values: Sequence[Any]) -> list[Model]:
        connection = connections[alias]
        if self.locks and connection.get_autocommit():
            raise TransactionManagementError("select_for_update cannot be used outside of a transaction.")
        params = [values[slot] if isinstance(slot, int) else slot.value for slot in self.slots]
        with connection.cursor() as cursor:
            prepared.execute(cursor, self.sql, params)
            rows = cursor.fetchall()
        if self.compiler.has_extra_select:
            rows = [row[:self.compiler.col_count] for row in rows]
        if self.converters:
            rows = self.compiler.apply_converters(rows, self.converters)
        start, end = self.fields
        if self.plain and not self.populators and not (pre_init.has_listeners(self.model)
                                                       or post_init.has_listeners(self.model)):
            return self._filled(alias, rows)
        found = []
        for row in rows:
            instance = self.model.from_db(alias, self.init_list, row[start:end])
            for populator in self.populators:
                populator.populate(row, instance)
            for name, position in self.annotations.items():
                setattr(instance, name, row[position])
            found.append(instance)
        return found

    def _filled(self, alias: str, rows: list) -> list[Model]:
        """The instances `from_db` would make, their attributes filled at once: a draw reads dozens of lots, and
        `Model.__init__` (its two signals, a `setattr` a field) was most of what each cost."""
        start, end = self.fields
        columns = [*zip(self.init_list, range(start, end), strict=True), *self.annotations.items()]
        new, model = object.__new__, self.model
        found = []
        for row in rows:
            instance = new(model)
            state = instance._state = ModelState()
            state.adding, state.db = False, alias
            instance.__dict__.update({name: row[position] for name, position in columns})
            found.append(instance)
        return found


def update_rows(model: type[Model], where: dict[str, Any], values: dict[str, Any]) -> int:
    """`model.objects.filter(**where).update(**values)` for equal-to filters and plain values, written without the
    ORM's compile (a payment's coupon and idempotency record); the rows changed. Like `QuerySet.update`, no signals.
    An expression among the values goes through the ORM."""
    if any(hasattr(value, "resolve_expression") for value in (*where.values(), *values.values())):
        return model.objects.filter(**where).update(**values)
    connection = connections[DEFAULT_DB_ALIAS]
    quote, meta = connection.ops.quote_name, model._meta
    assignments, conditions, params = [], [], []
    for name, value in values.items():
        field = meta.get_field(name)
        if field.remote_field is not None and hasattr(value, "prepare_database_save"):
            value = value.prepare_database_save(field)  # a row named by a foreign key: its pk
        assignments.append(f"{quote(field.column)} = %s")
        params.append(field.get_db_prep_save(value, connection))
    for name, value in where.items():
        field = meta.pk if name == "pk" else meta.get_field(name)
        conditions.append(f"{quote(field.column)} = %s")
        params.append(field.get_db_prep_value(field.get_prep_value(value), connection))
    sql = f"UPDATE {quote(meta.db_table)} SET {', '.join(assignments)} WHERE {' AND '.join(conditions)}"
    with connection.cursor() as cursor:
        prepared.execute(cursor, sql, params)
        return cursor.rowcount


def _plain_instances(model: type[Model], attnames: list[str]) -> bool:
    """Whether `model.from_db` amounts to setting these attributes on a new instance: the model makes its
    instances as Django does (no `from_db` or `__init__` of its own) and no field's attribute does more when set
    (a foreign key's id clears a cached row, which a new instance has not). Signal receivers are checked on each
    read."""
    if model.from_db.__func__ is not Model.from_db.__func__ or model.__init__ is not Model.__init__:
        return False
    for name in attnames:
        attribute = model.__dict__.get(name, getattr(model, name, None))
        if attribute is not None and type(attribute) not in (DeferredAttribute, ForeignKeyDeferredAttribute):
            return False
    return True


# Constants written into a compiled read's SQL (psycopg2 quotes them as it would have sent them).
_WRITTEN_IN = (bool, int, str, Decimal, datetime.date, datetime.datetime, type(None))


def _constants_written_in(sql: str, slots: list[int | _Constant], alias: str) -> tuple[str, list[int | _Constant]]:
    """The read's SQL with its own constants (`remaining > 0`, a state, a flag) written in and only the caller's
    values left as parameters. A read is prepared (loyalty.prepared) and planned once for any values: the planner
    then sees the constants, and so a partial index whose condition is one (`WHERE remaining > 0`) still serves
    it, which it could not prove of a parameter."""
    parts, kept, slot_of = [], [], iter(slots)
    with connections[alias].cursor() as cursor:
        for part in prepared.PLACEHOLDER.split(sql):
            if part != "%s":
                parts.append(part)
                continue
            slot = next(slot_of)
            if isinstance(slot, _Constant) and isinstance(slot.value, _WRITTEN_IN):
                parts.append(cursor.mogrify("%s", [slot.value]).decode().replace("%", "%%"))
            else:
                parts.append("%s")
                kept.append(slot)
    return "".join(parts), kept


class CompiledRead:
    """A read of model instances written as a queryset of some values (`build(*values)`), compiled once.

    `kinds` are the values' types (int, str, Decimal, date, datetime); `build` may give a `Rewritten` read. A
    value must reach the SQL as it is given (a filter's or an annotation's value, not something made of it):
    the first compile checks that each one is found among the parameters. When the queryset's shape depends
    on something else than the values (which filters it has), the caller names that `shape`; each shape is
    compiled once.
    """

    def __init__(self, build: Callable[..., QuerySet | Rewritten], *kinds: type):
        self.build = build
        self.kinds = kinds
        self._compiled: dict[tuple[str, Hashable], _Compiled] = {}

    def __call__(self, *values: Any, shape: Hashable = None) -> list[Model]:
        if len(values) != len(self.kinds):
            raise TypeError(f"this read takes {len(self.kinds)} values, not {len(values)}")
        queryset = None
        alias = "default"
        compiled = self._compiled.get((alias, shape))
        if compiled is None:
            built = self.build(*values)
            queryset = built.queryset if isinstance(built, Rewritten) else built
            alias = queryset.db
            if connections[alias].vendor != "postgresql":
                return built.elsewhere() if isinstance(built, Rewritten) else list(queryset)
            compiled = self._compiled[(alias, shape)] = self._compile(shape)
        return compiled.run(alias, values)

    def _compile(self, shape: Hashable) -> _Compiled:
        stand_ins = [_stand_in(kind, position) for position, kind in enumerate(self.kinds)]
        built = self.build(*stand_ins)
        queryset = built.queryset if isinstance(built, Rewritten) else built
        compiler = queryset.query.get_compiler(using=queryset.db)
        sql, params = compiler.as_sql()
        if isinstance(built, Rewritten):
            sql, params = built.rewrite(sql, list(params))
        slots: list[int | _Constant] = []
        for param in params:
            position = next((position for position, stand_in in enumerate(stand_ins)
                             if type(param) is type(stand_in) and param == stand_in), None)
            slots.append(_Constant(param) if position is None else position)
        missing = set(range(len(stand_ins))) - {slot for slot in slots if isinstance(slot, int)}
        if missing:
            raise TypeError(f"values {sorted(missing)} of the read {self.build.__qualname__} (shape {shape!r}) do not "
                            "reach its SQL as they are given")
        sql, slots = _constants_written_in(sql, slots, queryset.db)
        klass_info = compiler.klass_info
        first, last = klass_info["select_fields"][0], klass_info["select_fields"][-1] + 1
        return _Compiled(
            sql=sql, slots=slots, compiler=compiler, model=klass_info["model"], fields=(first, last),
            converters=compiler.get_converters([column[0] for column in compiler.select[:compiler.col_count]]),
            init_list=[column[0].target.attname for column in compiler.select[first:last]],
            populators=get_related_populators(klass_info, compiler.select, queryset.db),
            annotations=dict(compiler.annotation_col_map or {}), locks=bool(queryset.query.select_for_update),
            plain=_plain_instances(klass_info["model"], [column[0].target.attname
                                                         for column in compiler.select[first:last]]))
