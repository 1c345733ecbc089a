"""Staff screens for the membership card: the programme and its levels, members' cards, points and their ledgers."""

from __future__ import annotations

import re

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext_lazy as _

from cards.membership import events, services
from cards.membership.models import ExperienceEntry, Level, MembershipCard, MembershipProgram, PointsBucket, PointsEntry
from loyalty.admin import ChangeEventsAdmin
from loyalty.errors import DomainError
from loyalty.tenancy import MerchantScopedAdmin, ReadOnlyAdminMixin, staff_merchant
from merchants.member_codes import resolve_member_code

COLOUR = re.compile(r"^#[0-9A-Fa-f]{6}$")
# What a scanned member code looks like (merchants.member_codes): M<member>.<step>.<signature>
SCANNED_CODE = re.compile(r"^M\d+\.\d+\.[A-Z2-7]+$", re.IGNORECASE)
RECENT_ENTRIES = 20


class MembershipProgramForm(forms.ModelForm):
    class Meta:
        model = MembershipProgram
        fields = ["merchant", "card_name", "colour", "logo", "notice", "service_phone", "join_requires_fields",
                  "opening_points", "level_basis", "retention", "retention_days", "drop_warning_days",
                  "cost_money_unit", "increase_bonus", "max_increase_bonus", "experience_per_unit",
                  "points_deduction_enabled", "cost_bonus_unit", "reduce_money", "least_money_to_use_bonus",
                  "max_reduce_bonus", "points_expiry", "points_expiry_period", "expiry_warning_days"]

    def clean_colour(self):
        colour = self.cleaned_data["colour"]
        if not COLOUR.match(colour or ""):
            raise forms.ValidationError(_("Enter a colour as #RRGGBB, e.g. #C0392B."))
        return colour


@admin.register(MembershipProgram)
class MembershipProgramAdmin(ChangeEventsAdmin, MerchantScopedAdmin):
    change_event = staticmethod(events.programme_changed)
    form = MembershipProgramForm
    list_display = ["card_name", "level_basis", "retention", "points_expiry", "opening_points", "merchant"]
    fieldsets = [
        (_("Card"), {"fields": ["merchant", "card_name", "colour", "logo", "notice", "service_phone",
                                "join_requires_fields", "opening_points"]}),
        (_("Levels"), {"fields": ["level_basis", "retention", "retention_days", "drop_warning_days"]}),
        (_("Earning points"), {"fields": ["cost_money_unit", "increase_bonus", "max_increase_bonus",
                                          "experience_per_unit"]}),
        (_("Paying with points"), {"fields": ["points_deduction_enabled", "cost_bonus_unit", "reduce_money",
                                              "least_money_to_use_bonus", "max_reduce_bonus"]}),
        (_("Points expiry"), {"fields": ["points_expiry", "points_expiry_period", "expiry_warning_days"]}),
    ]

    def has_delete_permission(self, request, obj=None):
        # Cards hold levels of the programme: it is changed, never deleted.
        return False


class LevelForm(forms.ModelForm):
    class Meta:
        model = Level
        fields = ["merchant", "program", "name", "rank", "threshold", "discount_percent", "points_multiplier",
                  "benefits"]

    def clean(self):
        cleaned = super().clean()
        program, merchant = cleaned.get("program"), cleaned.get("merchant")
        if program is not None and merchant is not None and program.merchant_id != merchant.pk:
            self.add_error("program", _("Choose this merchant's programme."))
        return cleaned


@admin.register(Level)
class LevelAdmin(ChangeEventsAdmin, MerchantScopedAdmin):
    change_event = staticmethod(events.level_changed)
    form = LevelForm
    list_display = ["name", "rank", "threshold", "discount_percent", "points_multiplier", "program", "merchant"]
    list_filter = ["merchant"]
    ordering = ["merchant", "rank"]


class ReadOnlyScopedAdmin(ReadOnlyAdminMixin, MerchantScopedAdmin):
    """Rows written by the membership services only."""


class AdjustPointsForm(forms.Form):
    delta = forms.IntegerField(label=_("points to add (negative to take off)"))
    reason_text = forms.CharField(label=_("reason"), max_length=200)


@admin.register(MembershipCard)
class MembershipCardAdmin(ReadOnlyScopedAdmin):
    list_display = ["member", "phone", "level", "points", "experience", "total_spend", "joined_at", "merchant"]
    list_filter = ["level", "member__joined_at", "merchant"]
    search_fields = ["member__phone", "member__name"]
    search_help_text = _("Phone, name, or scan the member's QR code.")
    list_select_related = ["member", "level"]
    csv_fields = ["member", "phone", "level", "points", "experience", "total_spend", "joined_at"]
    readonly_fields = ["member", "level", "points", "experience", "total_spend", "level_since", "adjust_link",
                       "recent_points"]
    exclude = ["drop_warned_at"]

    def get_readonly_fields(self, request, obj=None):
        shown = list(super().get_readonly_fields(request, obj))
        if not request.user.has_perm("membership.adjust_points"):
            shown.remove("adjust_link")
        return shown

    @admin.display(description=_("phone"), ordering="member__phone")
    def phone(self, obj):
        return obj.member.phone

    @admin.display(description=_("joined"), ordering="member__joined_at")
    def joined_at(self, obj):
        return obj.member.joined_at

    def get_search_results(self, request, queryset, search_term):
        term = search_term.strip()
        merchant = staff_merchant(request.user)
        if merchant is not None and SCANNED_CODE.match(term):
            # A cashier scanned the member's card page: find exactly that member, or nobody.
            try:
                member = resolve_member_code(merchant, term)
            except DomainError as error:
                self.message_user(request, str(error.message), messages.WARNING)
                return queryset.none(), False
            return queryset.filter(member=member), False
        return super().get_search_results(request, queryset, search_term)

    @admin.display(description=_("adjust points"))
    def adjust_link(self, obj):
        return format_html('<a class="button" href="{}">{}</a>',
                           reverse("admin:membership_membershipcard_adjust", args=[obj.pk]), _("Adjust points…"))

    @admin.display(description=_("points history"))
    def recent_points(self, obj):
        entries = obj.points_entries.order_by("-created_at", "-pk")[:RECENT_ENTRIES]
        rows = format_html_join("", "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>", (
            (entry.created_at.strftime("%Y-%m-%d %H:%M"), entry.get_reason_display(), f"{entry.delta:+d}",
             entry.balance_after, entry.note or entry.reference) for entry in entries))
        more = reverse("admin:membership_pointsentry_changelist") + f"?card__id__exact={obj.pk}"
        return format_html('<table id="recent-points">{}</table><p><a href="{}">{}</a></p>', rows, more,
                           _("All entries"))

    def get_urls(self):
        return [path("<int:pk>/adjust/", self.admin_site.admin_view(self.adjust_view),
                     name="membership_membershipcard_adjust"), *super().get_urls()]

    def adjust_view(self, request, pk):
        """加减积分: staff add or take off points, saying why; the reason stays on the ledger entry."""
        if not request.user.has_perm("membership.adjust_points"):
            raise PermissionDenied
        card = get_object_or_404(self.get_queryset(request), pk=pk)
        form = AdjustPointsForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            try:
                entry = services.adjust_points(card.member, form.cleaned_data["delta"],
                                               reason_text=form.cleaned_data["reason_text"], staff=request.user)
            except DomainError as error:
                field = "delta" if error.field in ("points", "delta") else error.field
                form.add_error(field if field in form.fields else None, str(error.message))
            else:
                self.message_user(request, _("Points adjusted by %(delta)+d; the balance is now %(balance)d.") % {
                    "delta": entry.delta, "balance": entry.balance_after}, messages.SUCCESS)
                return redirect("admin:membership_membershipcard_change", card.pk)
        context = {**self.admin_site.each_context(request), "form": form, "card": card,
                   "title": _("Adjust points of %(member)s") % {"member": card.member}, "opts": self.model._meta}
        return TemplateResponse(request, "membership/admin/adjust_points.html", context)


@admin.register(PointsEntry)
class PointsEntryAdmin(ReadOnlyScopedAdmin):
    list_display = ["created_at", "card", "delta", "balance_after", "reason", "note", "reference", "store", "staff",
                    "merchant"]
    list_filter = ["reason", "store", "merchant"]
    search_fields = ["reference", "card__member__phone"]
    list_select_related = ["card__member", "card__level", "store", "staff"]
    date_hierarchy = "created_at"


@admin.register(ExperienceEntry)
class ExperienceEntryAdmin(ReadOnlyScopedAdmin):
    list_display = ["created_at", "card", "delta", "balance_after", "spend", "reason", "reference", "store",
                    "merchant"]
    list_filter = ["reason", "store", "merchant"]
    search_fields = ["reference", "card__member__phone"]
    list_select_related = ["card__member", "card__level", "store"]


@admin.register(PointsBucket)
class PointsBucketAdmin(ReadOnlyScopedAdmin):
    list_display = ["card", "expires_on", "earned", "remaining", "expired", "warned_at", "merchant"]
    list_filter = ["expires_on", "merchant"]
    search_fields = ["card__member__phone"]
    list_select_related = ["card__member", "card__level"]
