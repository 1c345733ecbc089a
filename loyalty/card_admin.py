"""What the card apps' admins share: a product's figures, and voiding or refunding cards.

The figures of a card product in the admin (sold, revenue, uses, active holders, remaining liability), shared by
every card app: its list columns and its "figures" table, shown only to staff who see figures (`sees_figures`).

A product admin mixes `CardProductFiguresAdmin` in and names the service that computes one product's figures
(`product_figures`, returning an object with `sold`, `revenue`, `uses`, `active_holders` and `liability`).
A card admin mixes `CardActionsAdmin` in, names its app's `services` (with `void_card` and `refund_card`) and
the permission both actions need.
"""

from __future__ import annotations

from collections.abc import Callable
from types import ModuleType
from typing import Any

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext_lazy as _

from loyalty.errors import DomainError
from loyalty.tenancy import sees_figures


class CardProductFiguresAdmin:
    FIGURE_COLUMNS = ("sold", "revenue", "uses_made", "active_holders", "liability")
    # Set by the app's admin: staticmethod(services.product_figures).
    product_figures: Callable[[Any], Any]

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


class CardActionsAdmin:
    card_services: ModuleType  # the app's services: void_card(card, staff=, reason=), refund_card(card, staff=)
    refund_permission: str  # "app.codename" both actions need

    @admin.action(description=_("Void the selected cards"))
    def void(self, request, queryset):
        if not request.user.has_perm(self.refund_permission):
            raise PermissionDenied
        done = 0
        for card in queryset:
            try:
                self.card_services.void_card(card, staff=request.user, reason=str(_("voided in the admin")))
                done += 1
            except DomainError as error:
                self.message_user(request, f"{card}: {error.message}", messages.WARNING)
        self.message_user(request, _("%(count)d card(s) voided.") % {"count": done}, messages.SUCCESS)

    @admin.action(description=_("Refund the selected cards (unused part)"))
    def refund(self, request, queryset):
        if not request.user.has_perm(self.refund_permission):
            raise PermissionDenied
        for card in queryset:
            try:
                amount = self.card_services.refund_card(card, staff=request.user)
            except DomainError as error:
                self.message_user(request, f"{card}: {error.message}", messages.WARNING)
            else:
                self.message_user(request, _("%(card)s refunded: pay back %(amount)s.") % {
                    "card": card, "amount": amount}, messages.SUCCESS)
