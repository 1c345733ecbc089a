"""Printable QR posters for the counter, the door and the table: one per page a member scans to land on.

The poster page (merchants' `StoreAdmin.posters_view`) asks every registered `PosterSource` for the merchant's
posters: each store's self-pay page (checkout), joining (merchants), every claim link of a coupon template
(coupons), every red packet link (wallet) and every campaign page and channel (campaigns). A card app adds its
own posters with one registered source.
"""

from __future__ import annotations

import abc
from dataclasses import dataclass
from typing import ClassVar

from django.db import models

from loyalty.registry import Registry


@dataclass(frozen=True)
class Poster:
    heading: str  # the big words: "扫码买单"
    caption: str  # what it is for, or which store
    path: str  # the address it points to, made absolute by the page


class PosterSource(abc.ABC):
    code: ClassVar[str]
    label: ClassVar[str]
    order: ClassVar[int] = 100

    @abc.abstractmethod
    def posters(self, merchant: models.Model) -> list[Poster]:
        """The posters this source prints for the merchant."""


poster_sources: Registry[PosterSource] = Registry("poster sources")
