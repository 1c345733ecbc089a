"""The figures of a card product in the admin (sold, revenue, uses, active holders, remaining liability), shared by
every card app: its list columns and its "figures" table, shown only to staff who see figures (`sees_figures`).

A product admin mixes `CardProductFiguresAdmin` in and names the service that computes one product's figures
(`product_figures`, returning an object with `sold`, `revenue`, `uses`, `active_holders` and `liability`).
"""

from __future__ import annotations

from django.contrib import admin
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext_lazy as _

from loyalty.tenancy import sees_figures


class CardProductFiguresAdmin:
    FIGURE_COLUMNS = ("sold", "revenue", "uses_made", "active_holders", "liability")

    @staticmethod
    def product_figures(product):
        raise NotImplementedError

    def get_list_display(self, request):
        shown = super().get_list_display(request)
        return shown if sees_figures(request.user) else [name for name in shown if name not in self.FIGURE_COLUMNS]

    def get_fields(self, request, obj=None):
        fields = super().get_fields(request, obj)
        return fields if sees_figures(request.user) else [name for name in fields if name != "figures"]

    def get_fieldsets(self, request, obj=None):
        fieldsets = super().get_fieldsets(request, obj)
        if sees_figures(request.user):
            return fieldsets
        return [(name, {**options, "fields": [f for f in options["fields"] if f != "figures"]})
                for name, options in fieldsets if [f for f in options["fields"] if f != "figures"]]

    def _figures(self, obj):
        # Kept on the row, not on the admin: one admin instance serves every request, so figures kept there
        # would be another request's (or a stale) answer.
        if not hasattr(obj, "_figures"):
            obj._figures = self.product_figures(obj)
        return obj._figures

    @admin.display(description=_("sold"))
    def sold(self, obj):
        return self._figures(obj).sold

    @admin.display(description=_("revenue"))
    def revenue(self, obj):
        return self._figures(obj).revenue

    @admin.display(description=_("uses"))
    def uses_made(self, obj):
        return self._figures(obj).uses

    @admin.display(description=_("active holders"))
    def active_holders(self, obj):
        return self._figures(obj).active_holders

    @admin.display(description=_("remaining liability"))
    def liability(self, obj):
        return self._figures(obj).liability

    @admin.display(description=_("figures"))
    def figures(self, obj):
        if not obj.pk:
            return "—"
        f = self._figures(obj)
        rows = [(_("sold"), f.sold), (_("revenue"), f.revenue), (_("uses"), f.uses),
                (_("active holders"), f.active_holders), (_("remaining liability"), f.liability)]
        return format_html("<table>{}</table>", format_html_join("", "<tr><th>{}</th><td>{}</td></tr>", rows))
