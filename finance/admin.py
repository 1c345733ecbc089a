"""Finance in the console: statements (upload, lines) and the three report pages over `finance.reports`.

The pages are thin: a filter form (days in the merchant's zone, stores), `Report.compute` inside the replica
context, the same result as a table, totals, a chart, and CSV or Excel of the whole filtered result through
`loyalty.exports`. Only roles that see figures (`loyalty.view_figures`: owners, managers, the operator) open
them; another merchant's staff see their own merchant's figures only.
"""

from __future__ import annotations

import datetime
from decimal import Decimal
from typing import Any

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from checkout.models import Channel
from finance.charts import line_chart
from finance.models import Statement, StatementLine
from finance.reports import DailySettlement, LiabilityRollForward, StatementMatching
from finance.services.statements import upload_statement
from loyalty.errors import DomainError
from loyalty.exports import csv_response, xlsx_response
from loyalty.reports import Report, ReportResult, ReportScope
from loyalty.tenancy import (
    MerchantScopedAdmin,
    MerchantScopedInline,
    ReadOnlyAdminMixin,
    is_platform_operator,
    sees_figures,
    staff_merchant,
)
from loyalty.usable_cards import merchant_today, merchant_zone
from merchants.models import Merchant, Store

MAX_DAYS = 366


class ReportFilter(forms.Form):
    start = forms.DateField(label=gettext_lazy("from"), widget=forms.DateInput(attrs={"type": "date"}))
    end = forms.DateField(label=gettext_lazy("to"), widget=forms.DateInput(attrs={"type": "date"}))
    stores = forms.ModelMultipleChoiceField(label=gettext_lazy("stores"), queryset=Store.objects.none(),
                                            required=False, widget=forms.CheckboxSelectMultiple)

    def __init__(self, *args, stores, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["stores"].queryset = stores

    def clean(self):
        cleaned = super().clean()
        start, end = cleaned.get("start"), cleaned.get("end")
        if start and end and end < start:
            raise forms.ValidationError(_("The last day comes before the first."))
        if start and end and (end - start).days >= MAX_DAYS:
            raise forms.ValidationError(_("Choose at most %(days)d days.") % {"days": MAX_DAYS})
        return cleaned


class UploadForm(forms.Form):
    channel = forms.ChoiceField(label=gettext_lazy("outside channel"), choices=Channel.choices,
                                help_text=gettext_lazy("For a generic file; WeChat Pay and Alipay bills name theirs."))
    file = forms.FileField(label=gettext_lazy("statement (CSV)"))


class StatementLineInline(ReadOnlyAdminMixin, MerchantScopedInline):
    model = StatementLine
    fields = ["row", "trade_no", "kind", "amount", "occurred_at"]
    readonly_fields = fields
    extra = 0
    max_num = 0
    can_delete = False


@admin.register(Statement)
class StatementAdmin(MerchantScopedAdmin):
    list_display = ["__str__", "layout", "line_count", "file_name", "uploaded_at", "uploaded_by", "merchant"]
    list_filter = ["channel", "layout", "merchant"]
    readonly_fields = ["merchant", "channel", "layout", "file_name", "first_day", "last_day", "line_count",
                       "uploaded_by", "uploaded_at"]
    fields = readonly_fields
    inlines = [StatementLineInline]
    change_list_template = "finance/admin/statement_changelist.html"

    def has_add_permission(self, request, obj=None):
        return False  # statements come in through the upload page, read and checked whole

    def has_change_permission(self, request, obj=None):
        return False

    def get_urls(self):
        pages = [("settlement/", self.settlement_view, "finance_settlement"),
                 ("liabilities/", self.liabilities_view, "finance_liabilities"),
                 ("matching/", self.matching_view, "finance_matching"),
                 ("upload/", self.upload_view, "finance_statement_upload")]
        return [path(route, self.admin_site.admin_view(view), name=name) for route, view, name in pages] + \
            super().get_urls()

    def settlement_view(self, request):
        return self._report_page(request, DailySettlement())

    def liabilities_view(self, request):
        return self._report_page(request, LiabilityRollForward(), stores=False)

    def matching_view(self, request):
        return self._report_page(request, StatementMatching(), extra={"upload_url": reverse(
            "admin:finance_statement_upload")})

    def upload_view(self, request):
        """Upload a payment platform statement; a bad file is refused whole with its reason, nothing saved."""
        merchant = self._merchant(request)
        if not self.has_view_permission(request) or not sees_figures(request.user) or merchant is None:
            raise PermissionDenied
        form = UploadForm(request.POST or None, request.FILES or None)
        if request.method == "POST" and form.is_valid():
            upload = form.cleaned_data["file"]
            try:
                statement = upload_statement(merchant, data=upload.read(), file_name=upload.name,
                                             channel=form.cleaned_data["channel"], staff=request.user,
                                             zone=merchant_zone(merchant))
            except DomainError as error:
                form.add_error("file" if error.field == "file" else "channel", error.message)
            else:
                messages.success(request, _("Statement read: %(count)d lines.") % {"count": statement.line_count})
                query = f"?start={statement.first_day}&end={statement.last_day}"
                if is_platform_operator(request.user):
                    query += f"&merchant={merchant.pk}"
                return HttpResponseRedirect(reverse("admin:finance_matching") + query)
        context = {**self.admin_site.each_context(request), "opts": self.model._meta, "form": form,
                   "title": _("Upload a payment platform statement"), "merchant": merchant}
        return TemplateResponse(request, "finance/admin/upload.html", context)

    def _merchant(self, request: HttpRequest) -> Merchant | None:
        merchant = staff_merchant(request.user)
        if merchant is None and is_platform_operator(request.user):
            merchant = Merchant.objects.filter(pk=request.GET.get("merchant") or None).first()
        return merchant

    def _report_page(self, request: HttpRequest, report: Report, *, stores: bool = True,
                     extra: dict[str, Any] | None = None) -> HttpResponse:
        if not self.has_view_permission(request) or not sees_figures(request.user):
            raise PermissionDenied
        merchant = self._merchant(request)
        if merchant is None and not is_platform_operator(request.user):
            raise PermissionDenied
        today = merchant_today(merchant) if merchant else timezone.localdate()
        shops = Store.objects.filter(merchant=merchant) if merchant else Store.objects.none()
        held_to = _held_to_store(request)
        if held_to is not None:
            shops = shops.filter(pk=held_to)
        data = request.GET.copy()
        data.setdefault("start", str(today - datetime.timedelta(days=6)))
        data.setdefault("end", str(today))
        form = ReportFilter(data, stores=shops)
        result: ReportResult | None = None
        if form.is_valid():
            scope = ReportScope(merchant_id=merchant.pk if merchant else None, start=form.cleaned_data["start"],
                                end=form.cleaned_data["end"],
                                zone=merchant_zone(merchant) if merchant else timezone.get_default_timezone(),
                                store_ids=_store_ids(form.cleaned_data["stores"], held_to) if stores else ())
            result = report.compute(scope)
            wanted = request.GET.get("format")
            if wanted in ("csv", "xlsx"):
                return self._export(report, result, scope, wanted)
        query = request.GET.copy()
        query.pop("format", None)
        context = {**self.admin_site.each_context(request), "opts": self.model._meta, "title": str(report.label),
                   "report": report, "form": form, "result": result, "merchant": merchant,
                   "show_stores": stores, "query": query.urlencode(),
                   "table": _table(result) if result else None,
                   "chart": line_chart(result.chart) if result and result.chart else "",
                   "pages": _pages(), **(extra or {})}
        return TemplateResponse(request, "finance/admin/report.html", context)

    @staticmethod
    def _export(report: Report, result: ReportResult, scope: ReportScope, wanted: str) -> HttpResponse:
        """The whole filtered result, then its totals row, as CSV or Excel (formula-safe, via loyalty.exports)."""
        name = f"{report.code.replace('.', '-')}-{scope.start}-{scope.end}"
        rows = list(result.rows)
        if result.totals:
            rows.append({**result.totals, result.columns[0].key: _("total")})
        if wanted == "csv":
            return csv_response(name, result.columns, rows)
        return xlsx_response(name, result.columns, rows, title=str(report.label))


def _held_to_store(request: HttpRequest) -> int | None:
    """A staff member who works at one store (StaffMember.store) reads that store's settlement only."""
    profile = getattr(request.user, "staff_profile", None)
    return profile.store_id if profile is not None else None


def _store_ids(chosen, held_to: int | None) -> tuple[int, ...]:
    return (held_to,) if held_to is not None else tuple(store.pk for store in chosen)


def _pages() -> list[tuple[str, str]]:
    return [(str(DailySettlement.label), reverse("admin:finance_settlement")),
            (str(LiabilityRollForward.label), reverse("admin:finance_liabilities")),
            (str(StatementMatching.label), reverse("admin:finance_matching"))]


def _table(result: ReportResult) -> dict[str, Any]:
    """Headers, cells and the totals line, for the template (numbers right-aligned, mismatches flagged)."""
    def is_number(value: Any) -> bool:
        return isinstance(value, int | Decimal) and not isinstance(value, bool)

    body = [{"flag": row.get("flag", False),
             "cells": [(column.value(row), is_number(column.value(row))) for column in result.columns]}
            for row in result.rows]
    totals = None
    if result.totals:
        first = result.columns[0]
        totals = [(_("total"), False) if column is first else
                  (result.totals[column.key], True) if column.key in result.totals else ("", False)
                  for column in result.columns]
    return {"headers": [column.header for column in result.columns], "rows": body, "totals": totals}
