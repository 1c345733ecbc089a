"""Ledger primitives shared by every balance (DESIGN.md, "Ledger"): points, the wallet, and the card apps to come.

Each app keeps its own tables (no shared hot row) built on the abstract models here, and moves its balances
only through the services here:

- `post_entries`: move balances of one locked account and write their append-only entries, one UPDATE and
  one INSERT however many balances move;
- `draw_lots` / `give_back`: take an amount from value lots first-expiring-first (the caller orders them),
  and return a refund to the lots it came from, newest first, never more than each gave;
- `lots_covering` / `move_lots`: read only the lots a draw can reach (a running sum in the database), and
  write what a draw (or an earning, an expiry) changed in any number of lots in one UPDATE;
- `take_back`: take back what was given, what is already spent being the recorded shortfall;
- `lock_rows`: lock accounts in pk order, the one lock order every change takes;
- `audit_balances`: one auditor proving every balance equals the sum of its entries (and of its lots).

Apps register their auditors here too (`register_auditor`); `manage.py audit_ledgers` walks them.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, ClassVar

from django.conf import settings
from django.db import connection, models
from django.db.models import Expression, F, Q, QuerySet, Sum, Window
from django.db.models.expressions import RawSQL
from django.db.models.functions import RowNumber
from django.db.models.sql.where import WhereNode
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from loyalty import writes
from loyalty.compiled import Rewritten
from loyalty.money import ZERO, quantize
from loyalty.registry import Registry

Amount = Decimal | int


class LedgerIsAppendOnly(Exception):
    """An entry was about to be edited or deleted: corrections are new entries."""


class LedgerEntry(models.Model):
    """What every ledger entry says besides the change: the merchant, the reference, who and where.

    A concrete ledger adds its account, `delta`, `balance_after` (with `entry_constraints`) and `reason`.
    Entries are never edited or deleted (cascades of a deleted merchant aside).
    """

    merchant = models.ForeignKey("merchants.Merchant", on_delete=models.CASCADE, related_name="+",
                                 verbose_name=_("merchant"))
    reference = models.CharField(_("reference"), max_length=64, blank=True)
    store = models.ForeignKey("merchants.Store", on_delete=models.SET_NULL, null=True, blank=True, related_name="+",
                              verbose_name=_("store"))
    staff = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
                              related_name="+", verbose_name=_("staff"))
    terminal = models.ForeignKey("merchants.Terminal", on_delete=models.SET_NULL, null=True, blank=True,
                                 related_name="+", verbose_name=_("terminal"))
    created_at = models.DateTimeField(_("created at"), default=timezone.now)

    class Meta:
        abstract = True

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise LedgerIsAppendOnly(f"{type(self).__name__} {self.pk} is append-only")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise LedgerIsAppendOnly(f"{type(self).__name__} {self.pk} is append-only")


def entry_constraints(prefix: str) -> list[models.BaseConstraint]:
    """The database's half of the ledger rules: no empty entry, and no balance below zero."""
    return [
        models.CheckConstraint(condition=~Q(delta=0), name=f"{prefix}_delta_not_zero"),
        models.CheckConstraint(condition=Q(balance_after__gte=0), name=f"{prefix}_balance_not_negative"),
    ]


class ValueLot(models.Model):
    """Value of one account from one source with its own expiry (a points bucket, a cashback lot): spending
    and expiry draw on the lot that expires first, and the sum of the lots' `remaining` is the balance.

    A concrete lot adds its account, `remaining` (of its own type) and the expiry column it names.
    """

    expiry_field: ClassVar[str] = "expires_at"

    merchant = models.ForeignKey("merchants.Merchant", on_delete=models.CASCADE, related_name="+",
                                 verbose_name=_("merchant"))
    created_at = models.DateTimeField(_("created at"), default=timezone.now)

    class Meta:
        abstract = True

    @classmethod
    def first_expiring_first(cls, lots: QuerySet) -> QuerySet:
        """The order every draw takes: soonest expiry first, lots that never expire last, then oldest."""
        return lots.order_by(F(cls.expiry_field).asc(nulls_last=True), "pk")


class TakeBack(models.Model):
    """Value taken back because what earned it was refunded, once per refund reference.

    What the member had already spent cannot be taken (a balance never goes below zero): the concrete
    model records it as its `shortfall`, for the merchant to settle with the refund.
    """

    merchant = models.ForeignKey("merchants.Merchant", on_delete=models.CASCADE, related_name="+",
                                 verbose_name=_("merchant"))
    reference = models.CharField(_("refund reference"), max_length=64)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)

    class Meta:
        abstract = True


# --- services -----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Move:
    """One balance of an account moving by `delta`, with the fields its entry carries besides."""

    balance: str
    delta: Amount
    entry: dict[str, Any]


def post_entries(account: models.Model, entry_model: type[LedgerEntry], moves: Sequence[Move], *,
                 money: bool = True, save: bool = True) -> list[LedgerEntry]:
    """Move balances of a locked `account` and write one entry per move, in the caller's transaction.

    The account is saved once (only the balances that moved) and the entries inserted in one statement.
    With `save=False` the account is left for the caller to save with its other changes; the entries are
    returned unwritten (the caller inserts them), so a payment's spend and earning share one INSERT.
    """
    entries, changed = [], []
    for move in moves:
        balance = getattr(account, move.balance) + move.delta
        if money:
            balance = quantize(balance)
        setattr(account, move.balance, balance)
        changed.append(move.balance)
        entries.append(entry_model(merchant_id=account.merchant_id, delta=quantize(move.delta) if money else move.delta,
                                   balance_after=balance, **move.entry))
    if not save:
        return entries
    if changed:
        writes.update(account, list(dict.fromkeys(changed)))
        writes.insert(entries)
    return entries


def draw_lots(lots: Iterable[models.Model], amount: Amount, *, field: str = "remaining") -> tuple[list, Amount]:
    """Take `amount` from `field` of lots in the order given (first-expiring first: the caller orders them).

    Pure until saved: returns [(lot, taken)] with each lot's field lowered, and what could not be taken.
    Nothing to take reads nothing (`lots` may be a queryset).
    """
    drawn = []
    if amount <= 0:
        return drawn, amount
    for lot in lots:
        if amount <= 0:
            break
        take = min(getattr(lot, field), amount)
        if take <= 0:
            continue
        setattr(lot, field, getattr(lot, field) - take)
        drawn.append((lot, take))
        amount -= take
    return drawn, amount


def lots_covering(lots: QuerySet, amount: Amount, *, order: Sequence[Any], value: str | Expression = "remaining",
                  also: Q | None = None, read: bool = True, first: int | None = None,
                  beyond: Q | None = None, within: Q | None = None) -> list[models.Model] | QuerySet | Rewritten:
    """The lots of `lots`, in `order`, that a draw of `amount` reaches: those whose running sum of `value`
    (a field, or an expression: what a lot may give) before them is still short of it, and any matching
    `also`; in one read whatever the member holds.

    A member with 5,000 lots paying 3.00 reads the handful that pay it, not the 5,000: the running sum is a
    window in the database (`SUM(...) OVER (ORDER BY ...)`), filtered around (Django wraps it in a subquery).
    With `read=False`, the queryset unread (for a `loyalty.compiled` read).

    With `first` (and `read=False`), a read for `loyalty.compiled` that sums only the first `first` lots in
    `order` (an index in that order stops there: no sort of every lot), with the lots matching `beyond`
    wherever they are, and reads them all the same way in the same statement only when those do not reach
    `amount` (see `_prefix_or_all`). The first lots are taken among those matching `within` (those with
    something left, which a partial index holds: not the emptied ones, which would have to be walked past).
    It draws exactly what the full read draws provided every lot matching `also` but not `beyond` comes
    before every lot with a value in `order` (lots past their day sort first), and every lot the full read
    gives that does not match `within` matches `beyond`.
    """
    if first is not None and not read and amount > 0:
        # The lots by pk alone (the pks come from `lots`): with `lots`' own filters too, Postgres would read
        # every lot of the member to join them.
        reached = lots.all()
        reached.query.where = WhereNode()
        reached = reached.filter(pk__in=_first_lots(lots if within is None else lots.filter(within), order, first,
                                                     None if beyond is None else lots.filter(beyond)))
        full = _covering(lots, amount, order, value, also)
        return Rewritten(_covering(reached, amount, order, value, also),
                         lambda sql, params: _prefix_or_all(sql, params, full, amount, first),
                         lambda: list(full))
    covering = _covering(lots, amount, order, value, also)
    return list(covering) if read else covering


def _first_lots(lots: QuerySet, order: Sequence[Any], first: int, beyond: QuerySet | None) -> RawSQL:
    """The pks of the first `first` lots in `order` (a LIMIT the index in that order serves: the planner, told
    how many, walks it and stops), and of the lots `beyond` (a union: with an OR of two IN, Postgres would
    filter every lot of the member)."""
    sql, params = _sql(lots.order_by(*order).values("pk"))
    sql, params = f"({sql} LIMIT %s)", [*params, first]
    if beyond is not None:
        also_sql, also_params = _sql(beyond.order_by().values("pk"))
        sql, params = f"{sql} UNION ALL ({also_sql})", [*params, *also_params]
    return RawSQL(sql, params)


def _sql(queryset: QuerySet) -> tuple[str, list]:
    sql, params = queryset.query.get_compiler(using=queryset.db).as_sql()
    return sql, list(params)


def _covering(lots: QuerySet, amount: Amount, order: Sequence[Any], value: str | Expression,
              also: Q | None) -> QuerySet:
    given = F(value) if isinstance(value, str) else value
    through = Window(Sum(given), order_by=list(order))
    reach = Q(_lot_sum_before__lt=amount) if amount > 0 else Q(pk__in=[])
    if also is not None:
        reach |= also
    return (lots.annotate(_lot_sum_before=through - given, _lot_sum_through=through,
                          _lot_rank=Window(RowNumber(), order_by=list(order)))
            .filter(reach).order_by(*order))


def _prefix_or_all(sql: str, params: list, full: QuerySet, amount: Amount, first: int) -> tuple[str, list]:
    """One statement: the prefix's lots if they are enough, else the full read's, never both.

    The first `first` lots are enough when one of them brings the running sum to `amount`, or when there are
    fewer (they are all the lots). Short of `amount`, every one of them is in the prefix read (none has reached
    it), so counting them there tells. A lot `beyond` them ranks after them, or (past its day, worth nothing)
    before: then the count is too high and the fall back runs, never wrongly. Postgres runs the full read
    only when its one-time filter is true.
    """
    full_sql, full_params = _sql(full)
    enough = ('SELECT COALESCE(BOOL_OR(p."_lot_rank" <= %s AND p."_lot_sum_through" >= %s), FALSE) '
              'OR COUNT(*) FILTER (WHERE p."_lot_rank" <= %s) < %s AS e FROM p')
    return (f"WITH p AS ({sql}), enough AS ({enough}) SELECT * FROM p WHERE (SELECT e FROM enough) UNION ALL "
            f'SELECT * FROM ({full_sql}) AS f WHERE NOT (SELECT e FROM enough) ORDER BY "_lot_rank"',
            [*params, first, amount, first, first, *full_params])


def move_lots(model: type[models.Model], moves: dict[Any, dict[str, Amount]], *, money: bool = True) -> int:
    """Add each lot's deltas (negative: taken) to its fields in one UPDATE for any number of lots.

    `moves` is {lot pk: {field: delta}}; a lot without a field's delta keeps that field. One statement on every
    database: `UPDATE ... FROM (VALUES (pk, delta, ...), ...)`, relative to what the row holds (the caller holds
    the account's lock, so the lots do not move under it). Money is rounded to the cent in the statement
    (SQLite adds decimals in floating point).
    """
    if not moves:
        return 0
    fields = sorted({name for deltas in moves.values() for name in deltas})
    table = connection.ops.quote_name(model._meta.db_table)
    pk = connection.ops.quote_name(model._meta.pk.column)
    columns = {name: connection.ops.quote_name(model._meta.get_field(name).column) for name in fields}
    assignments = []
    for position, name in enumerate(fields, start=2):
        value = f"{table}.{columns[name]} + v.column{position}"
        assignments.append(f"{columns[name]} = {f'ROUND({value}, 2)' if money else value}")
    zero = ZERO if money else 0
    params = []
    for lot_pk, deltas in moves.items():
        params.append(lot_pk)
        params += [deltas.get(name, zero) for name in fields]
    row = "(" + ", ".join(["%s"] * (len(fields) + 1)) + ")"
    sql = (f"UPDATE {table} SET {', '.join(assignments)} FROM (VALUES {', '.join([row] * len(moves))}) AS v "
           f"WHERE {table}.{pk} = v.column1")
    if writes.held_statement(model, list(moves), sql, params):
        return len(moves)  # sent with the payment's other writes (loyalty.writes); the caller holds the lots' lock
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.rowcount


def give_back(drawn: list[list], amount: Amount, *, lots_by_pk: dict, field: str = "remaining",
              on_return: Callable[[models.Model], list[str]] | None = None,
              moves: dict[Any, dict[str, Amount]] | None = None) -> None:
    """Return `amount` to the lots a draw took from, newest first, never more than each gave.

    `drawn` is the draw as remembered: [[lot pk, taken, returned so far]] (strings in JSON), updated in place.
    `on_return` may change more of a lot it returns to and says which fields it changed. With `moves`, what
    each lot gets back is added there for the caller to write with `move_lots` (one UPDATE); only a lot that
    `on_return` changed more of is saved on its own.
    """
    for item in reversed(drawn):
        if amount <= 0:
            break
        pk, taken, returned = item[0], Decimal(str(item[1])), Decimal(str(item[2]))
        back = min(taken - returned, amount)
        if back <= 0:
            continue
        lot = lots_by_pk[pk]
        setattr(lot, field, getattr(lot, field) + back)
        update = [field, *(on_return(lot) if on_return else [])]
        if moves is not None and len(update) == 1:
            row = moves.setdefault(pk, {})
            row[field] = row.get(field, 0) + back
        else:
            lot.save(update_fields=update)
        item[2] = str(returned + back)
        amount -= back


@dataclass(frozen=True)
class Taken:
    taken: Amount
    shortfall: Amount


def take_back(owed: Amount, *, still_held: Amount, spent: Amount) -> Taken:
    """Of `owed`, what can come back out of what is still held; the rest, up to what was spent, is short."""
    owed = max(owed, 0)
    taken = min(owed, max(still_held, 0))
    return Taken(taken, min(owed - taken, max(spent, 0)))


def lock_rows(queryset: QuerySet) -> list[models.Model]:
    """Lock rows for the rest of the transaction in pk order: every lock helper goes through here, so two
    transactions locking the same accounts never wait on each other in a circle."""
    return list(locking(queryset))


def locking(queryset: QuerySet) -> QuerySet:
    """The rows of `queryset` locked in pk order, as `lock_rows` locks them (for a `loyalty.compiled` read)."""
    return queryset.select_for_update().order_by("pk")


class MemberAccount(ABC):
    """A kind of account every member has at a merchant (the wallet, the membership card): registered by the
    app that owns it, so whoever changes several of a member's balances locks them in one fixed order."""

    code: str
    order: int

    @abstractmethod
    def lock(self, member: models.Model) -> models.Model:
        """Lock (opening it if need be) the member's account of this kind, through the app's one lock helper."""

    @abstractmethod
    def read(self, member: models.Model) -> models.Model | None:
        """The member's account of this kind as it is, without a lock (a quote); None if there is none yet."""


member_accounts: Registry[MemberAccount] = Registry("member accounts")


def lock_member_accounts(member: models.Model) -> dict[str, models.Model]:
    """Lock every account of the member, in the registry's order (wallet before card): the one lock order."""
    return {account.code: account.lock(member) for account in member_accounts.all()}


def read_member_accounts(member: models.Model, *, known: dict[str, Any]) -> dict[str, Any]:
    """Every account of the member: those the caller already holds (`known`, e.g. locked), the rest read."""
    return {account.code: known[account.code] if account.code in known else account.read(member)
            for account in member_accounts.all()}


# --- the audit ----------------------------------------------------------------------------------------


@dataclass
class LedgerReport:
    name: str
    accounts_checked: int = 0
    problems: list[str] = field(default_factory=list)
    # e.g. {"stored value principal": Decimal("1200.00")}, per merchant where a merchant was given
    liabilities: dict[str, Decimal] = field(default_factory=dict)

    @property
    def clean(self) -> bool:
        return not self.problems


@dataclass(frozen=True)
class Source:
    """Rows whose `amount` column, summed per account (`account` column), must equal a balance."""

    label: str
    rows: QuerySet
    account: str
    amount: str


@dataclass(frozen=True)
class BalanceCheck:
    """One balance column of the accounts and what it must equal: its entries, and its lots if it has any."""

    balance: str
    sources: tuple[Source, ...]


def _sums(source: Source, scope: Q) -> dict[int, Decimal]:
    rows = source.rows.filter(scope).values(source.account).annotate(total=Sum(source.amount))
    # Rounded to the cent: SQLite adds decimals as floats, and 0.1 + 0.2 is not 0.3 there.
    return defaultdict(int, {row[source.account]: _exact(row["total"]) for row in rows})


def _exact(total):
    if total is None:
        return 0
    return total if isinstance(total, int) else quantize(total)


def audit_balances(report: LedgerReport, accounts: QuerySet, checks: Sequence[BalanceCheck], *, label: str,
                   merchant_id: int | None) -> dict[str, Decimal]:
    """Prove every balance of every account equals each of its sources; returns the balances' totals.

    One aggregate query per source and one pass over the accounts, whatever their number.
    """
    scope = Q(merchant_id=merchant_id) if merchant_id is not None else Q()
    sums = {(check.balance, source.label): _sums(source, scope) for check in checks for source in check.sources}
    totals = {check.balance: ZERO for check in checks}
    columns = ["pk", *(check.balance for check in checks)]
    for account in accounts.filter(scope).only(*columns).iterator(chunk_size=2000):
        report.accounts_checked += 1
        for check in checks:
            balance = getattr(account, check.balance)
            totals[check.balance] += balance
            for source in check.sources:
                expected = sums[(check.balance, source.label)][account.pk]
                if balance != expected:
                    report.problems.append(f"{label} {account.pk} {check.balance}: balance {balance} "
                                           f"!= {source.label} {expected}")
    return totals


_AUDITORS: dict[str, Callable[[int | None], LedgerReport]] = {}


def register_auditor(name: str, auditor: Callable[[int | None], LedgerReport]) -> None:
    """An app that keeps balances registers the callable `(merchant_id | None) -> LedgerReport` proving them."""
    _AUDITORS[name] = auditor


def audit_all(merchant_id: int | None = None) -> list[LedgerReport]:
    return [auditor(merchant_id) for _name, auditor in sorted(_AUDITORS.items())]
