"""Small builders for membership tests."""

from __future__ import annotations

from decimal import Decimal

from cards.membership import services
from cards.membership.models import Level, MembershipProgram

D = Decimal


def make_program(merchant, *, levels=((1, "Silver", "0"), (2, "Gold", "100"), (3, "Diamond", "1000")),
                 multipliers=None, **settings) -> MembershipProgram:
    """A programme with levels given as (rank, name, threshold); multipliers by rank."""
    program = MembershipProgram.objects.create(merchant=merchant, card_name=f"{merchant.name} card", **settings)
    for rank, name, threshold in levels:
        Level.objects.create(merchant=merchant, program=program, name=name, rank=rank, threshold=D(threshold),
                             points_multiplier=D((multipliers or {}).get(rank, "1")))
    return program


def points_of(member) -> int:
    return services.card_for(member).points


def assert_audit_clean(merchant=None):
    report = services.audit_points(merchant.pk if merchant else None)
    assert report.clean, report.problems
    return report
