"""The dashboard's tiles: each app that has a figure for the console's home page registers a `DashboardTile`.

The dashboard (the reports app) asks every tile for its figures over the same windows (today, this week and
this month, each beside the period before it) for one merchant or the whole platform, and for the stores the
reader may see. A tile answers in ONE aggregate statement whatever the number of rows behind it: every window
is a filtered aggregate of the same query (`in_windows`). The registry lives here, below every app, so an app
of the top layer that the reports app may not import (campaigns, with its active campaigns) adds its tile in
its own `AppConfig.ready()`:

    dashboard_tiles.register(ActiveCampaignsTile())

A tile's reads run inside `loyalty.replica.report_reads()`, like a report's.
"""

from __future__ import annotations

import abc
import datetime
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import ClassVar

from django.db.models import Aggregate, Q

from loyalty.registry import Registry


@dataclass(frozen=True)
class Window:
    """A span of time the dashboard compares: [start, end) as aware instants in the merchant's zone."""

    code: str
    label: str
    start: datetime.datetime
    end: datetime.datetime


@dataclass(frozen=True)
class DashboardScope:
    """Whose figures (None: every merchant), which stores (empty: all the reader may see), which windows."""

    merchant_id: int | None
    store_ids: tuple[int, ...]
    windows: tuple[Window, ...]

    def merchant_q(self, field: str = "merchant_id") -> Q:
        return Q() if self.merchant_id is None else Q(**{field: self.merchant_id})

    def stores_q(self, field: str = "store_id") -> Q:
        return Q(**{f"{field}__in": self.store_ids}) if self.store_ids else Q()

    def span_q(self, at: str) -> Q:
        """Rows inside any window: the one range every tile's statement reads."""
        return Q(**{f"{at}__gte": min(w.start for w in self.windows), f"{at}__lt": max(w.end for w in self.windows)})


@dataclass(frozen=True)
class TileFigure:
    """One figure of a tile, a value per window in the scope's order. `money` figures are hidden from readers
    who may not see money (cashiers); counts are shown to them."""

    label: str
    values: tuple[Decimal | int, ...]
    money: bool = False


class DashboardTile(abc.ABC):
    """One tile of the dashboard. `stores` says whether its figures can be narrowed to stores (a tile of
    members joining online cannot); a tile that cannot shows the merchant's figure with the store filter on."""

    code: ClassVar[str]
    label: ClassVar[str]
    order: ClassVar[int] = 100
    stores: ClassVar[bool] = True

    @abc.abstractmethod
    def measure(self, scope: DashboardScope) -> list[TileFigure]:
        """The tile's figures for every window of `scope`, in one aggregate statement."""


dashboard_tiles: Registry[DashboardTile] = Registry("dashboard tiles")


def in_windows(name: str, make: Callable[[Q], Aggregate], *, at: str,
               windows: Sequence[Window]) -> dict[str, Aggregate]:
    """One filtered aggregate per window, named `<name>_<i>`: `make(Q(at in window))` builds each."""
    return {f"{name}_{i}": make(Q(**{f"{at}__gte": w.start, f"{at}__lt": w.end})) for i, w in enumerate(windows)}


def window_values(row: dict, name: str, windows: Sequence[Window], *, zero: Decimal | int = 0) -> tuple:
    """The values `in_windows` named, read back from an aggregate's row in window order (None as zero)."""
    return tuple(row.get(f"{name}_{i}") or zero for i in range(len(windows)))
