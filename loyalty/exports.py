"""Every CSV and Excel file the platform hands out goes through here, so each one is safe to open and reads alike.

Safe: a member who joins as `=HYPERLINK("…","open")` must not become a live formula in the owner's
spreadsheet. Text starting with `=`, `+`, `-`, `@`, a tab or a carriage return is written with a leading
apostrophe, as OWASP's "CSV injection" page says; numbers stay numbers (a negative delta is a number, not
text, so it is not touched).

Alike: times are written in the zone that is active (the merchant's, set by `MerchantTimeZoneMiddleware` in
the admin), without seconds' fractions and with the zone named in the column's header; money with two places;
choices by their label; yes/no in the reader's language.

More columns for another app's model (a member's level and points, from the apps above merchants) are an
`ExportColumns` entry in `export_columns`, registered in that app's `ready()`: it annotates the queryset once,
so a million-row export still runs a fixed number of statements.
"""

from __future__ import annotations

import abc
import csv
import datetime
import io
import re
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, ClassVar

import xlsxwriter
from django.db import models
from django.http import HttpResponse, StreamingHttpResponse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from loyalty.money import money_text
from loyalty.registry import Registry

# OWASP, "CSV Injection": cells a spreadsheet reads as a formula (or that hide one behind a tab or CR).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
TIME_FORMAT = "%Y-%m-%d %H:%M:%S"
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def safe_text(text: str) -> str:
    """Text a spreadsheet shows as text, never runs: a formula-like start is escaped with an apostrophe."""
    return f"'{text}" if text.startswith(FORMULA_STARTS) else text


def cell(value: Any) -> str | int | Decimal:
    """One value as a cell: numbers as numbers, everything else as safe text in the reader's zone and language."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return _("yes") if value else _("no")
    if isinstance(value, int):
        return value
    if isinstance(value, Decimal):
        # As stored (money has two places), except a sum SQLite hands back as 2338.290000000000.
        return Decimal(money_text(value)) if value.as_tuple().exponent < -2 else value
    if isinstance(value, datetime.datetime):
        if timezone.is_aware(value):
            value = timezone.localtime(value)
        return value.strftime(TIME_FORMAT)
    if isinstance(value, datetime.date):
        return value.isoformat()
    if isinstance(value, list | tuple | set):
        return safe_text("、".join(str(item) for item in value))
    return safe_text(str(value))


@dataclass(frozen=True)
class Column:
    """A column: its header and how to read its value from one row."""

    header: str
    value: Callable[[Any], Any]


def time_header(label: str) -> str:
    """A time column's header names the zone its times are written in: "joined at (Asia/Shanghai)"."""
    return f"{label} ({timezone.get_current_timezone_name()})"


class ExportColumns(abc.ABC):
    """More columns for exports of one model, given by an app that knows them (see the module docstring)."""

    code: ClassVar[str]
    model: ClassVar[str]  # the model's label, "merchants.Member"
    order: ClassVar[int] = 100

    def annotate(self, queryset: models.QuerySet) -> models.QuerySet:
        """What the columns read, added to the exported queryset in the same statement."""
        return queryset

    @abc.abstractmethod
    def columns(self, merchant: models.Model | None) -> list[Column]:
        """The columns, in order, for this merchant's export (None: the operator's, every merchant)."""


export_columns: Registry[ExportColumns] = Registry("export columns")


def extra_columns_for(model: type[models.Model]) -> list[ExportColumns]:
    return [entry for entry in export_columns.all() if entry.model == model._meta.label]


def rows(columns: Sequence[Column], objects: Iterable[Any]) -> Iterator[list]:
    yield [safe_text(str(column.header)) for column in columns]
    for obj in objects:
        yield [cell(column.value(obj)) for column in columns]


class _Echo:
    def write(self, value: str) -> str:
        return value


def csv_response(filename: str, columns: Sequence[Column], objects: Iterable[Any]) -> StreamingHttpResponse:
    """A streamed CSV (UTF-8 with a byte-order mark, so spreadsheet programs read Chinese text right)."""
    writer = csv.writer(_Echo())
    # The rows are written after the view has returned, outside the middleware that set the merchant's zone
    # and the reader's language: keep both for them.
    zone, language = timezone.get_current_timezone(), translation.get_language()

    def lines() -> Iterator[str]:
        yield "\ufeff"
        with timezone.override(zone), translation.override(language):
            for row in rows(columns, objects):
                yield writer.writerow(row)

    response = StreamingHttpResponse(lines(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}.csv"'
    return response


def xlsx_bytes(columns: Sequence[Column], objects: Iterable[Any], *, title: str = "") -> bytes:
    """The rows as one sheet, written by XlsxWriter.

    Not tablib's Dataset nor openpyxl: both keep an object per cell and cost about 25 µs a cell to write out, which
    made a year's settlement (1,460 rows × 26 columns) 7× its CSV; XlsxWriter streams each row to the sheet's XML
    (about 2.5× faster on the same cells). Its guesses are switched off: text that looks like a formula, a number
    or a link stays the text `cell()` made it. The widths come from the values already in hand; the header is the
    only styled row and stays frozen above the rest.
    """
    produced = list(rows(columns, objects))
    widths = [0] * len(columns)
    for row in produced:
        for index, value in enumerate(row):
            widths[index] = max(widths[index], _width(value))
    stream = io.BytesIO()
    workbook = xlsxwriter.Workbook(stream, {"constant_memory": True, "strings_to_formulas": False,
                                            "strings_to_numbers": False, "strings_to_urls": False})
    sheet = workbook.add_worksheet(_sheet_title(title))
    for index, width in enumerate(widths):
        # Wide enough for the longest value, within what a screen shows (Excel's own limit is 255).
        sheet.set_column(index, index, min(max(width, 4) + 2, 60))
    sheet.freeze_panes(1, 0)
    bold = workbook.add_format({"bold": True})
    for index, text in enumerate(produced[0]):
        sheet.write_string(0, index, text, bold)
    for number, row in enumerate(produced[1:], 1):
        for index, value in enumerate(row):
            if isinstance(value, str):
                if value:
                    sheet.write_string(number, index, value)
            else:
                sheet.write_number(number, index, value)
    workbook.close()
    return stream.getvalue()


def _sheet_title(title: str) -> str:
    # Excel refuses these characters in a sheet's name and names longer than 31.
    return (re.sub(r"[\\*?:/\[\]]", "-", title) or "export")[:31]


def _width(value: Any) -> int:
    """How many columns a value takes on screen: a Chinese character is two."""
    text = str(value)
    return len(text) + sum(1 for char in text if ord(char) > 0x2E7F)


def xlsx_response(filename: str, columns: Sequence[Column], objects: Iterable[Any], *,
                  title: str = "") -> HttpResponse:
    """An Excel workbook of the same rows and cells as the CSV (XlsxWriter)."""
    response = HttpResponse(xlsx_bytes(columns, objects, title=title), content_type=XLSX_TYPE)
    response["Content-Disposition"] = f'attachment; filename="{filename}.xlsx"'
    return response


EXPORT_FORMATS = {"csv": gettext_lazy("CSV"), "xlsx": gettext_lazy("Excel")}
