"""Spreadsheet exports for the admin: the same rows as the CSV export, as an Excel workbook (.xlsx).

tablib (with openpyxl) writes the workbook: a real .xlsx that spreadsheet programs open with their types,
which a hand-written format could not promise.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable, Sequence
from decimal import Decimal

import tablib
from django.http import HttpResponse
from django.utils import timezone

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _cell(value):
    if value is None:
        return ""
    if isinstance(value, datetime.datetime):
        # Spreadsheets have no time zones: the time as people read it in the admin.
        return timezone.localtime(value).replace(tzinfo=None) if timezone.is_aware(value) else value
    if isinstance(value, bool):
        return str(value)
    return value if isinstance(value, int | float | Decimal | str | datetime.date) else str(value)


def xlsx_response(headers: Sequence[str], rows: Iterable[Sequence], *, name: str) -> HttpResponse:
    data = tablib.Dataset(headers=[str(header) for header in headers], title=name[:31])
    for row in rows:
        data.append([_cell(value) for value in row])
    response = HttpResponse(data.export("xlsx"), content_type=XLSX)
    response["Content-Disposition"] = f'attachment; filename="{name}-{timezone.localdate():%Y%m%d}.xlsx"'
    return response
