"""The registry of demo data `manage.py seed_demo` loads: each app with something to show registers its seeder.

seed_demo (in merchants) makes the demo merchants, their stores, staff and members; it then asks every
registered seeder, in `order`, to set up each merchant's configuration (before any member joins, so a join
gift is there to be given), to give each new member some history, and, once all of a merchant's new members
are in, to do what needs them all (a mass send to a segment). So the command names no app above merchants,
and a new app's demo is one registered class.
"""

from __future__ import annotations

from typing import ClassVar

from django.db import models

from loyalty.registry import Registry


class DemoData:
    """One app's demo data. Every step runs inside seed_demo's transaction.

    `seed_merchant` runs for every demo merchant on every run, before its members are made, so it must
    leave what exists as it is; `seed_member` runs once for each member seed_demo creates, after the
    member has joined; `seed_members_done` runs once for a merchant whose members seed_demo has just
    created, after every seeder's `seed_member`.
    """

    code: ClassVar[str]
    # Apps lower in the layer order seed first (a recharge may give points, so the programme comes first).
    order: ClassVar[int] = 100

    @classmethod
    def seed_merchant(cls, merchant: models.Model) -> None:
        """The merchant's configuration: programmes, offers, rules. Nothing by default."""

    @classmethod
    def seed_member(cls, member: models.Model) -> None:
        """A new demo member's history: payments, recharges. Nothing by default."""

    @classmethod
    def seed_members_done(cls, merchant: models.Model) -> None:
        """What needs all the merchant's members and their history (a mass send, a sweep). Nothing by default."""


demo_data: Registry[type[DemoData]] = Registry("demo data")
