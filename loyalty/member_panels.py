"""The member 360 page in the admin: everything about one member in one place, each part given by its app.

The page (merchants' `MemberAdmin.overview_view`) knows no app above merchants: the membership card, stored
value, coupons, visits and any card app still to come each register a `MemberPanel` in `member_panels` in their
`ready()`. A panel answers a `Panel` (figures as label/value pairs, a short table, links to its full lists) or
None when it has nothing for this member. Panels read only; every change stays on its own page and service.
"""

from __future__ import annotations

import abc
from dataclasses import dataclass, field
from typing import ClassVar

from django.db import models
from django.http import HttpRequest

from loyalty.registry import Registry


@dataclass
class Panel:
    title: str
    figures: list[tuple[str, object]] = field(default_factory=list)
    headers: list[str] = field(default_factory=list)
    rows: list[list[object]] = field(default_factory=list)
    empty: str = ""
    links: list[tuple[str, str]] = field(default_factory=list)


class MemberPanel(abc.ABC):
    """One part of the member 360 page. `permission` (an app.codename) hides it from staff who lack it."""

    code: ClassVar[str]
    order: ClassVar[int] = 100
    permission: ClassVar[str] = ""

    @abc.abstractmethod
    def panel(self, member: models.Model, request: HttpRequest) -> Panel | None:
        """The panel for this member, or None to show nothing."""


member_panels: Registry[MemberPanel] = Registry("member panels")


def panels_for(member: models.Model, request: HttpRequest) -> list[Panel]:
    shown = []
    for entry in member_panels.all():
        if entry.permission and not request.user.has_perm(entry.permission):
            continue
        panel = entry.panel(member, request)
        if panel is not None:
            shown.append(panel)
    return shown
