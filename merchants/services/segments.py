"""Saved segments (会员分群): save one from clauses, and find the members in it, as a query or a count."""

from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import Any

from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone

from loyalty.segments import Clause, combine, segment_filters, validate_clauses
from merchants.models import Member, Merchant, Segment, SegmentClause

PREVIEW_SIZE = 20


def merchant_members(merchant_id: int) -> QuerySet:
    """Whom any segment picks from: the merchant's members who are not frozen."""
    return Member.objects.filter(merchant_id=merchant_id, status=Member.Status.ACTIVE)


def members_matching(merchant_id: int, clauses: list[Clause], *, match_any: bool = False,
                     at: datetime.datetime | None = None) -> QuerySet:
    """The members the (already cleaned) clauses keep, as one query: mass sends embed it in their batches."""
    members = merchant_members(merchant_id)
    if not clauses:
        return members
    return members.filter(combine(clauses, merchant_id=merchant_id, at=at or timezone.now(), match_any=match_any))


def segment_clauses(segment: Segment) -> list[Clause]:
    return [Clause(clause.filter, clause.params) for clause in segment.clauses.all()]


def members_in_segment(segment: Segment, *, at: datetime.datetime | None = None) -> QuerySet:
    """Who is in a saved segment at `at` (now by default): decided when it is used, never stored."""
    return members_matching(segment.merchant_id, segment_clauses(segment), at=at,
                            match_any=segment.match == Segment.Match.ANY)


def count_members(merchant: Merchant, clauses: list[tuple[str, Mapping[str, Any] | None]], *,
                  match_any: bool = False, at: datetime.datetime | None = None) -> int:
    """The live count shown while a segment is edited: the clauses are validated first (DomainError)."""
    cleaned = validate_clauses(clauses, merchant_id=merchant.pk)
    return members_matching(merchant.pk, cleaned, match_any=match_any, at=at).count()


def preview_members(segment: Segment, *, size: int = PREVIEW_SIZE) -> list[Member]:
    """A few members of the segment, newest first, for staff to see whom it picks."""
    return list(members_in_segment(segment).order_by("-joined_at", "-pk")[:size])


def describe_segment(segment: Segment) -> list[str]:
    return [segment_filters.get(clause.code).describe(clause.params) if clause.code in segment_filters
            else clause.code for clause in segment_clauses(segment)]


@transaction.atomic
def create_segment(merchant: Merchant, *, name: str, clauses: list[tuple[str, Mapping[str, Any] | None]],
                   match: str = Segment.Match.ALL, description: str = "", created_by=None) -> Segment:
    """Save a named segment; every clause is validated against the merchant first."""
    cleaned = validate_clauses(clauses, merchant_id=merchant.pk)
    segment = Segment.objects.create(merchant=merchant, name=name, description=description, match=match,
                                     created_by=created_by)
    SegmentClause.objects.bulk_create([
        SegmentClause(merchant=merchant, segment=segment, position=position, filter=clause.code,
                      params=dict(clause.params))
        for position, clause in enumerate(cleaned)])
    return segment
