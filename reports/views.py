"""The console's pages: the dashboard (the admin's home), the list of reports and one page per report, with its
filter, totals, chart, table and the export of the whole filtered result (CSV and Excel, loyalty.exports).

Who sees what: staff see their merchant only; a report with `figures` needs `loyalty.view_figures` (owners,
managers, the operator), so a cashier gets 403 and does not find it listed; a cashier's dashboard is their own
store's, with counts and no money. The operator sees every merchant, or one picked with ?merchant=.
"""

from __future__ import annotations

import datetime
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from loyalty import exports
from loyalty.errors import DomainError
from loyalty.replica import report_reads
from loyalty.reports import ROW_ACTIONS, Report, ReportResult, ReportScope, reports
from loyalty.tenancy import is_platform_operator, sees_figures, staff_merchant
from merchants.models import Merchant, Store
from reports import dashboard as dashboards
from reports.charts import svg_chart
from reports.forms import ReportFilterForm
from reports.members import save_class_as_segment


def _merchant(request: HttpRequest) -> Merchant | None:
    """The reader's merchant; the operator's pick (?merchant=) or None for the whole platform."""
    merchant = staff_merchant(request.user)
    if merchant is None and is_platform_operator(request.user):
        merchant = Merchant.objects.filter(pk=request.GET.get("merchant") or None).first()
    return merchant


def _own_store_id(request: HttpRequest) -> int | None:
    """A reader who may not see figures is held to their own store (a cashier's); others choose."""
    profile = getattr(request.user, "staff_profile", None)
    if profile is not None and profile.store_id and not sees_figures(request.user):
        return profile.store_id
    return None


def _zone(merchant: Merchant | None) -> datetime.tzinfo:
    return merchant.zone if merchant is not None else ZoneInfo(timezone.get_default_timezone_name())


def may_open(user, report: Report) -> bool:
    if is_platform_operator(user):
        return True
    if staff_merchant(user) is None:
        return False
    return sees_figures(user) or not report.figures


def visible_reports(user) -> list[Report]:
    return [report for report in reports.all() if may_open(user, report)]


def display(value: Any) -> Any:
    """A cell as the page shows it: numbers as the export writes them, text as it is (the template escapes it)."""
    if isinstance(value, Decimal | datetime.datetime | datetime.date | bool) or value is None:
        return exports.cell(value)
    return value


def _cells(columns, row: dict) -> list[tuple[Any, bool]]:
    """Each cell as shown, with whether it is a number (right-aligned)."""
    values = [display(c.value(row)) for c in columns]
    return [(v, isinstance(v, int | Decimal) and not isinstance(v, bool)) for v in values]


def _table(columns, rows, user) -> tuple[list[str], list[tuple[list[tuple[Any, bool]], list]]]:
    return ([str(c.header) for c in columns],
            [(_cells(columns, row), [a for a in row.get(ROW_ACTIONS, []) if not a.permission
                                     or user.has_perm(a.permission)]) for row in rows])


def dashboard(request: HttpRequest) -> TemplateResponse:
    """The admin's home page: the dashboard above the list of what the reader may open."""
    merchant = _merchant(request)
    operator = is_platform_operator(request.user)
    context = {**admin.site.each_context(request), "title": admin.site.index_title,
               "app_list": admin.site.get_app_list(request), "reports_list": visible_reports(request.user)}
    if merchant is None and not operator:
        return TemplateResponse(request, "reports/dashboard.html", context)
    stores = Store.objects.filter(merchant=merchant) if merchant is not None else Store.objects.none()
    own = _own_store_id(request)
    chosen = request.GET.get("store", "")
    store_ids: tuple[int, ...] = ()
    if own is not None:
        store_ids = (own,)
    elif chosen.isdigit() and stores.filter(pk=int(chosen)).exists():
        store_ids = (int(chosen),)
    days = int(request.GET["days"]) if request.GET.get("days") in {str(d) for d in dashboards.TREND_DAYS} else 30
    money = sees_figures(request.user)
    board = dashboards.build_dashboard(merchant=merchant, store_ids=store_ids, money=money, trend_days=days)
    context.update(board=board, money=money, merchant=merchant, stores=stores if own is None else (),
                   chosen_store=store_ids[0] if store_ids else None, trend_days_choices=dashboards.TREND_DAYS,
                   charts=[(series.label, svg_chart([series], title=series.label, element_id=f"trend-{n}"))
                           for n, series in enumerate(board.trend)],
                   operator=operator and merchant is None)
    return TemplateResponse(request, "reports/dashboard.html", context)


def report_list(request: HttpRequest) -> TemplateResponse:
    shown = visible_reports(request.user)
    if not shown:
        raise PermissionDenied
    groups: dict[str, list[Report]] = {}
    for report in shown:
        groups.setdefault(str(report.group), []).append(report)
    context = {**admin.site.each_context(request), "title": _("Reports"), "groups": groups}
    return TemplateResponse(request, "reports/report_list.html", context)


def _scope(form: ReportFilterForm, merchant: Merchant | None, stores) -> ReportScope:
    chosen = tuple(sorted(store.pk for store in form.cleaned_data["stores"]))
    return ReportScope(merchant_id=merchant.pk if merchant else None, start=form.cleaned_data["start"],
                       end=form.cleaned_data["end"], zone=_zone(merchant), store_ids=chosen)


def compute(report: Report, scope: ReportScope) -> ReportResult:
    with report_reads():
        return report.compute(scope)


def _export(report: Report, result: ReportResult, scope: ReportScope, kind: str) -> HttpResponse:
    filename = f"{report.code}-{scope.start:%Y%m%d}-{scope.end:%Y%m%d}"
    rows: list[dict] = list(result.rows)
    if result.totals:
        rows.append(result.totals)
    columns = result.columns
    for table in result.tables:
        # Further tables follow the main one, each after a line naming it, in the main table's columns' width.
        rows.append({})
        rows.append({"__cells__": [table.title]})
        rows.append({"__cells__": [c.header for c in table.columns]})
        rows.extend({"__cells__": [c.value(r) for c in table.columns]} for r in table.rows)
    flat = [exports.Column(c.header, _flat_reader(c, i)) for i, c in enumerate(columns)]
    with timezone.override(scope.zone):
        if kind == "xlsx":
            return exports.xlsx_response(filename, flat, rows, title=str(report.label))
        return exports.csv_response(filename, flat, rows)


def _flat_reader(column: exports.Column, index: int):
    def read(row: dict) -> Any:
        if "__cells__" in row:
            cells = row["__cells__"]
            return cells[index] if index < len(cells) else None
        return column.value(row) if row else None
    return read


def report_page(request: HttpRequest, code: str) -> HttpResponse:
    try:
        report = reports.get(code)
    except LookupError:
        raise Http404(_("There is no such report.")) from None
    if not may_open(request.user, report):
        raise PermissionDenied
    merchant = _merchant(request)
    stores = Store.objects.filter(merchant=merchant) if merchant is not None else Store.objects.none()
    today = timezone.localtime(timezone.now(), _zone(merchant)).date()
    data = request.GET if "start" in request.GET else None
    form = ReportFilterForm(data, stores=stores, today=today)
    if data is None:
        form = ReportFilterForm({"start": form.fields["start"].initial, "end": today}, stores=stores, today=today)
    context = {**admin.site.each_context(request), "title": str(report.label), "report": report, "form": form,
               "merchant": merchant, "operator": is_platform_operator(request.user),
               "merchants": Merchant.objects.order_by("name") if is_platform_operator(request.user) else ()}
    if form.is_valid():
        scope = _scope(form, merchant, stores)
        result = compute(report, scope)
        kind = request.GET.get("export", "")
        if kind in exports.EXPORT_FORMATS:
            return _export(report, result, scope, kind)
        headers, rows = _table(result.columns, result.rows, request.user)
        totals = _cells(result.columns, result.totals) if result.totals else []
        tables = [(t.title, *_table(t.columns, t.rows, request.user)) for t in result.tables]
        query = request.GET.copy()
        query.pop("export", None)
        context.update(result=result, headers=headers, rows=rows, totals=totals, tables=tables, scope=scope,
                       chart=svg_chart(result.chart, title=str(report.label), days=(scope.start, scope.end)),
                       export_links=[(label, f"?{query.urlencode()}&export={kind}")
                                     for kind, label in exports.EXPORT_FORMATS.items()])
    return TemplateResponse(request, "reports/report.html", context)


@require_POST
def save_segment(request: HttpRequest) -> HttpResponse:
    """Save one RFM class of the members report as a segment a mass send or a campaign targets in one click."""
    merchant = staff_merchant(request.user)
    if merchant is None or not sees_figures(request.user) or not request.user.has_perm("merchants.add_segment"):
        raise PermissionDenied
    try:
        chosen = request.POST.get("rfm_class") or request.GET.get("rfm_class", "")
        segment = save_class_as_segment(merchant, rfm_class=chosen, staff=request.user)
    except DomainError as error:
        messages.error(request, error.message)
        return redirect(reverse("reports:report", args=["members"]))
    messages.success(request, _("Saved the segment “%(name)s”.") % {"name": segment.name})
    return redirect(reverse("admin:merchants_segment_change", args=[segment.pk]))


def admin_views():
    """The console's views behind the admin's login and staff check."""
    return {"dashboard": admin.site.admin_view(dashboard), "report_list": admin.site.admin_view(report_list),
            "report": admin.site.admin_view(report_page), "save_segment": admin.site.admin_view(save_segment)}
