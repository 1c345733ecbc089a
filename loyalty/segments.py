"""Segment filters (DESIGN.md, "Extension points"): each kind of "which members" is one registered class.

A filter adds one clause to a queryset of members. The clause must stay set-based SQL (Exists, Subquery,
plain lookups): a mass send to a million members embeds the whole segment's query in its batch reads,
so no filter may read ids into Python. A filter declares its parameters as a small spec, so the admin can
render and check any filter without knowing it, and it validates them against the merchant (a level, tag
or field of another merchant is refused). The apps register their filters in `AppConfig.ready()`:

    segment_filters.register(JoinedBetween())

This module knows no app: merchants, levels and the rest reach it only as ids and querysets.
"""

from __future__ import annotations

import datetime
from abc import ABC, abstractmethod
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from django.db.models import Exists, Q, QuerySet, TextChoices
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from loyalty.errors import SEGMENT_FILTER_UNKNOWN, SEGMENT_INVALID, DomainError
from loyalty.money import quantize
from loyalty.registry import Registry

Label = str | Promise
# A parameter's options for one merchant (its levels, tags...): (value, label) pairs.
OptionsFor = Callable[[int | None], list[tuple[str, str]]]


class ParamKind(TextChoices):
    """How a parameter is entered and stored in the clause's JSON (every stored value is JSON-native)."""

    INTEGER = "integer", gettext_lazy("whole number")
    MONEY = "money", gettext_lazy("amount (stored as a string with two places)")
    DATE = "date", gettext_lazy("date (stored as an ISO string)")
    TEXT = "text", gettext_lazy("short text")
    CHOICE = "choice", gettext_lazy("one of the merchant's options (levels, tags ...)")
    PHONES = "phones", gettext_lazy("phone numbers, one a line")


@dataclass(frozen=True)
class Param:
    """One parameter of a filter, enough for a generic form field and a generic first check."""

    name: str
    label: Label
    kind: str = ParamKind.INTEGER
    required: bool = True
    min_value: int | None = None
    max_value: int | None = None
    help_text: Label = ""
    options: OptionsFor | None = field(default=None, compare=False)


@dataclass(frozen=True)
class Clause:
    """A filter code with its cleaned parameters: one condition of a segment."""

    code: str
    params: Mapping[str, Any]


class SegmentFilter(ABC):
    """The base of every segment filter. Subclasses set `code`, `label`, `params` and write `condition`.

    `condition` returns a Q (or a boolean expression wrapped in one) over `merchants.Member`, so clauses
    can be combined with AND or OR; `apply` adds it to a queryset. `check` holds the checks the spec
    cannot express (a range's order, the merchant's own rows) and returns the cleaned parameters.
    """

    code: str = ""
    label: Label = ""
    order: int = 100
    params: tuple[Param, ...] = ()

    def validate(self, params: Mapping[str, Any] | None, *, merchant_id: int | None) -> dict[str, Any]:
        """The parameters cleaned to their stored form, or a DomainError naming the parameter at fault."""
        cleaned = clean_by_spec(self.params, params or {})
        for param in self.params:
            # The options are the merchant's own rows: another merchant's level or tag is refused here.
            if param.options is not None and param.name in cleaned and \
                    cleaned[param.name] not in {value for value, _label in param.options(merchant_id)}:
                raise invalid(_("Choose one of your options for “%(label)s”.") % {"label": param.label},
                              param=param.name)
        return self.check(cleaned, merchant_id=merchant_id)

    def check(self, params: dict[str, Any], *, merchant_id: int | None) -> dict[str, Any]:
        return params

    @abstractmethod
    def condition(self, params: Mapping[str, Any], *, merchant_id: int, at: datetime.datetime) -> Q:
        """Which members it keeps: one set-based condition on the member queryset."""

    def apply(self, members: QuerySet, params: Mapping[str, Any], *, merchant_id: int,
              at: datetime.datetime) -> QuerySet:
        return members.filter(self.condition(params, merchant_id=merchant_id, at=at))

    def describe(self, params: Mapping[str, Any]) -> str:
        return str(self.label)


segment_filters: Registry[SegmentFilter] = Registry("segment filters")


def invalid(message: Label, *, param: str | None = None) -> DomainError:
    """The refusal of a filter's parameters; `param` names the parameter at fault for the form."""
    return DomainError(SEGMENT_INVALID, message, field=param)


def filter_for(code: str) -> SegmentFilter:
    try:
        return segment_filters.get(code)
    except LookupError:
        raise DomainError(SEGMENT_FILTER_UNKNOWN, _("Choose a kind of condition."), field="filter") from None


def validate_clauses(clauses: list[tuple[str, Mapping[str, Any] | None]], *,
                     merchant_id: int | None) -> list[Clause]:
    """Every clause cleaned by its filter; the first refusal is raised as it is."""
    return [Clause(code, filter_for(code).validate(params, merchant_id=merchant_id)) for code, params in clauses]


def combine(clauses: list[Clause], *, merchant_id: int, at: datetime.datetime | None = None,
            match_any: bool = False) -> Q:
    """One condition for all the clauses (AND), or for any of them (OR); no clause keeps everybody."""
    at = at or timezone.now()
    combined = Q()
    for clause in clauses:
        condition = filter_for(clause.code).condition(clause.params, merchant_id=merchant_id, at=at)
        combined = (combined | condition) if match_any and combined else (combined & condition)
    return combined


def held_in_range(rows: QuerySet, column: str, params: Mapping[str, Any], *,
                  convert: Callable[[Any], Any] = int) -> Q:
    """Members whose one row in `rows` (correlated to the member with OuterRef("pk")) holds `column` within
    the optional bounds `at_least` and `at_most`; a member without a row holds zero.

    Written as EXISTS / NOT EXISTS so the database runs a semi- or anti-join over the whole segment
    instead of one scalar subquery per member.
    """
    low = convert(params["at_least"]) if params.get("at_least") is not None else None
    high = convert(params["at_most"]) if params.get("at_most") is not None else None
    inside = Q()
    if low is not None:
        inside &= Q(**{f"{column}__gte": low})
    if high is not None:
        inside &= Q(**{f"{column}__lte": high})
    if low is None or low <= 0:
        # Zero is inside the bounds, so members without a row are in: keep whoever holds nothing outside.
        return ~Q(Exists(rows.exclude(inside)))
    return Q(Exists(rows.filter(inside)))


def check_range(params: dict[str, Any], *, convert: Callable[[Any], Any] = int) -> dict[str, Any]:
    """At least one bound given, and not upside down."""
    if params.get("at_least") is None and params.get("at_most") is None:
        raise invalid(_("Give at least one bound."), param="at_least")
    if params.get("at_least") is not None and params.get("at_most") is not None and \
            convert(params["at_most"]) < convert(params["at_least"]):
        raise invalid(_("The upper bound is below the lower one."), param="at_most")
    return params


def clean_by_spec(spec: tuple[Param, ...], params: Mapping[str, Any]) -> dict[str, Any]:
    """The generic first check: required parameters present, each converted to its JSON form and bounds."""
    cleaned: dict[str, Any] = {}
    for param in spec:
        value = params.get(param.name)
        if value is None or value == "" or value == []:
            if param.required:
                raise invalid(_("“%(label)s” is required.") % {"label": param.label}, param=param.name)
            continue
        cleaned[param.name] = _clean_value(param, value)
    return cleaned


def _clean_value(param: Param, value: Any) -> Any:
    bad = invalid(_("“%(label)s” is not valid.") % {"label": param.label}, param=param.name)
    if param.kind == ParamKind.INTEGER:
        try:
            number = int(str(value).strip())
        except (TypeError, ValueError):
            raise bad from None
        if (param.min_value is not None and number < param.min_value) or \
                (param.max_value is not None and number > param.max_value):
            raise bad
        return number
    if param.kind == ParamKind.MONEY:
        try:
            amount = Decimal(str(value).strip())
        except (InvalidOperation, TypeError, ValueError):
            raise bad from None
        if not amount.is_finite() or amount < 0 or amount >= Decimal("1e12"):
            raise bad
        return str(quantize(amount))
    if param.kind == ParamKind.DATE:
        if isinstance(value, datetime.date):
            return value.isoformat()
        try:
            return datetime.date.fromisoformat(str(value).strip()).isoformat()
        except ValueError:
            raise bad from None
    if param.kind == ParamKind.PHONES:
        lines = value if isinstance(value, list) else str(value).replace(",", "\n").splitlines()
        phones = [str(line).strip() for line in lines if str(line).strip()]
        if not phones:
            raise bad
        return phones
    text = str(value).strip()
    if len(text) > 200:
        raise bad
    return text
