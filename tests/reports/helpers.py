"""Scopes for report tests: one merchant's today, in its zone."""

from __future__ import annotations

import datetime

from django.utils import timezone

from loyalty.reports import ReportResult, ReportScope, reports
from loyalty.usable_cards import merchant_zone


def today_scope(merchant, *, stores=(), days_back: int = 0) -> ReportScope:
    zone = merchant_zone(merchant)
    today = timezone.localtime(timezone.now(), zone).date()
    return ReportScope(merchant_id=merchant.pk, start=today - datetime.timedelta(days=days_back), end=today,
                       zone=zone, store_ids=tuple(store.pk for store in stores))


def run(code: str, scope: ReportScope) -> ReportResult:
    return reports.get(code).compute(scope)


def row_for(result: ReportResult, key: str, value) -> dict:
    (row,) = [row for row in result.rows if row.get(key) == value]
    return row
