"""The reports registry: every figure a merchant reads in the console is a registered `Report`.

Each app that has figures registers its reports in `AppConfig.ready()`, as it registers its ledger
auditor: the cards apps their sales and use, the wallet its stored value, the reports app the dashboard's
and the members' views, finance the reconciliation and the liability roll-forward. The reports console
lists them, filters them (date range in the merchant's days, stores), draws their chart and exports the
whole filtered result through `loyalty.exports`; the report benchmark runs every one of them over a year
of a busy merchant.

A report reads only: `compute` is called inside `loyalty.replica.report_reads()`, so its queries go to the
read replica when one is configured.
"""

from __future__ import annotations

import abc
import datetime
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, ClassVar

from loyalty.exports import Column
from loyalty.registry import Registry


@dataclass(frozen=True)
class ReportScope:
    """What a report is asked for: whose figures, which days (inclusive, in the merchant's zone), which stores."""

    merchant_id: int | None  # None: the operator's view over every merchant
    start: datetime.date
    end: datetime.date
    zone: datetime.tzinfo
    store_ids: tuple[int, ...] = ()  # empty: every store the reader may see

    def bounds(self) -> tuple[datetime.datetime, datetime.datetime]:
        """The aware instants [start of `start`, start of the day after `end`) in the merchant's zone."""
        first = datetime.datetime.combine(self.start, datetime.time.min, tzinfo=self.zone)
        after = datetime.datetime.combine(self.end + datetime.timedelta(days=1), datetime.time.min, tzinfo=self.zone)
        return first, after


@dataclass(frozen=True)
class ChartSeries:
    """One line or bar series: a label and a value per x (a day, a store, a class)."""

    label: str
    points: Sequence[tuple[Any, Decimal | int]]


@dataclass(frozen=True)
class RowAction:
    """Something a reader can do with one row (save a class of members as a segment): a POST to `url`."""

    label: str
    url: str
    permission: str = ""  # the Django permission the reader needs to see it; empty: everyone who sees the row


@dataclass
class ReportTable:
    """A further table under the main one (a distribution beside the classes), exported after it."""

    title: str
    columns: list[Column]
    rows: list[dict[str, Any]]


# A row may carry its actions under this key (a list of RowAction); the console shows them, exports skip them.
ROW_ACTIONS = "_actions"


def key_column(header: str, key: str) -> Column:
    """A column reading `key` of a row dict (missing: empty), so the totals row can be written with it too."""
    return Column(header, lambda row: row.get(key))


@dataclass
class ReportResult:
    """A report's answer: the table (rows as dicts read by `columns`), its totals, a chart and notes that
    state how a figure is counted (a rate's denominator, a class's thresholds)."""

    columns: list[Column]
    rows: list[dict[str, Any]]
    totals: dict[str, Any] = field(default_factory=dict)
    chart: list[ChartSeries] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)  # a mismatch or a too-small sample, shown in red
    tables: list[ReportTable] = field(default_factory=list)


class Report(abc.ABC):
    """One report. `group` places it in the console's menu; `figures` says it shows money or business
    figures, so only roles with `loyalty.view_figures` (owners, managers; not cashiers) may open it."""

    code: ClassVar[str]
    label: ClassVar[str]
    group: ClassVar[str]
    order: ClassVar[int] = 100
    figures: ClassVar[bool] = True

    @abc.abstractmethod
    def compute(self, scope: ReportScope) -> ReportResult:
        """The figures for `scope`: a fixed number of statements, whatever the number of rows behind them."""


reports: Registry[Report] = Registry("reports")
