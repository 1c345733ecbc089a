"""Campaigns in the console: the campaign with its messages, channel rules and benefits; its runs; the holiday
calendar; short links. Figures (list columns, the uplift report, the per-day page, exports) only for the roles
that see figures (`loyalty.tenancy.sees_figures`)."""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db.models import Count, DecimalField, Q, Sum, Value
from django.db.models.functions import Coalesce
from django.http import Http404
from django.shortcuts import render
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from campaigns.models import (
    Campaign,
    CampaignBenefit,
    CampaignChannel,
    CampaignMessage,
    ChannelRule,
    HolidayDate,
    Occurrence,
    ShortLink,
)
from campaigns.services import landing, occurrences, uplift
from campaigns.services import messages as campaign_messages
from campaigns.services.holidays import preload_holidays
from campaigns.triggers import triggers
from coupons.render import qr_svg
from loyalty import exports
from loyalty.benefit_admin import BenefitLineInline
from loyalty.errors import DomainError
from loyalty.money import money_text
from loyalty.tenancy import MerchantScopedAdmin, MerchantScopedInline, ReadOnlyAdminMixin, sees_figures, staff_merchant
from merchants.models import Member

FIGURE_COLUMNS = ["figure_sent", "figure_delivered", "figure_claimed", "figure_redeemed", "figure_revenue",
                  "figure_uplift"]


class CampaignForm(forms.ModelForm):
    class Meta:
        model = Campaign
        fields = ["merchant", "name", "status", "segment", "trigger", "send_at", "every", "weekday", "day_of_month",
                  "hour", "days", "birthday_calendar", "amount", "level", "coupon_template", "times_per_member",
                  "holdout_percent", "attribution_days", "landing_title", "landing_text"]

    def clean(self):
        cleaned = super().clean()
        code = cleaned.get("trigger")
        if code in triggers:
            candidate = Campaign(**{name: cleaned.get(name) for name in
                                    ("send_at", "every", "weekday", "day_of_month", "days", "amount")})
            candidate.level = cleaned.get("level")
            for name, problem in triggers.get(code).check(candidate).items():
                self.add_error(name, problem)
        return cleaned


class CampaignMessageInline(MerchantScopedInline):
    model = CampaignMessage
    fields = ["channel", "title", "body"]
    extra = 1


class ChannelRuleInline(MerchantScopedInline):
    model = ChannelRule
    fields = ["position", "condition", "channel"]
    extra = 0


class CampaignBenefitInline(BenefitLineInline):
    model = CampaignBenefit


def with_channel_figures(queryset):
    """Each channel's redemptions and money taken off bills (of the coupons claimed through it), in the inline's
    own statement."""
    live = Q(claim_channel__coupons__redemptions__reversed_at__isnull=True)
    return queryset.annotate(
        redeemed_n=Count("claim_channel__coupons__redemptions", filter=live),
        money_off_sum=Coalesce(Sum("claim_channel__coupons__redemptions__discount", filter=live), Value(0),
                               output_field=DecimalField(max_digits=14, decimal_places=2)))


class CampaignChannelInline(MerchantScopedInline):
    """渠道 on the campaign's page: add a channel, print its QR code, read what it brought."""

    model = CampaignChannel
    extra = 0
    verbose_name = gettext_lazy("channel")
    verbose_name_plural = gettext_lazy("channels (each with its own link, QR code and figures)")
    figure_fields = ("views", "claims", "redeemed", "money_off")

    def get_queryset(self, request):
        return with_channel_figures(super().get_queryset(request).select_related("campaign__merchant"))

    def get_fields(self, request, obj=None):
        fields = ["name", "kind", "link"]
        return fields + list(self.figure_fields) if sees_figures(request.user) else fields

    def get_readonly_fields(self, request, obj=None):
        return ["link", *self.figure_fields]

    @admin.display(description=gettext_lazy("link and QR code"))
    def link(self, channel):
        if not channel.pk:
            return _("Saved with the campaign: then it has its link.")
        # The QR code holds the full address a phone opens; the column shows the path, to leave room for figures.
        path = landing.channel_path(channel)
        url = campaign_messages.absolute(path)
        return format_html('<a href="{}" target="_blank">{}</a><div style="width:120px">{}</div>', url, path,
                           mark_safe(qr_svg(url)))  # noqa: S308 - segno's own SVG

    @admin.display(description=gettext_lazy("redeemed"))
    def redeemed(self, channel):
        return getattr(channel, "redeemed_n", 0)

    @admin.display(description=gettext_lazy("money taken off bills"))
    def money_off(self, channel):
        return money_text(getattr(channel, "money_off_sum", 0) or 0)


@admin.register(Campaign)
class CampaignAdmin(MerchantScopedAdmin):
    form = CampaignForm
    list_display = ["name", "status", "trigger_label", "holdout_percent", *FIGURE_COLUMNS]
    list_filter = ["status", "trigger"]
    search_fields = ["name"]
    inlines = [CampaignMessageInline, ChannelRuleInline, CampaignBenefitInline, CampaignChannelInline]
    actions = ["activate", "pause", "end", "export_csv"]
    csv_fields = ["name", "status", "trigger_label", "holdout_percent", "figure_sent", "figure_held_out",
                  "figure_delivered", "figure_claimed", "figure_redeemed", "figure_revenue", "uplift_shown",
                  "uplift_measured_at"]
    readonly_fields = ["landing_link", "landing_views", "landing_claims"]
    fieldsets = [
        (None, {"fields": ["merchant", "name", "status", "segment"]}),
        (gettext_lazy("When"), {"fields": ["trigger", "send_at", "every", "weekday", "day_of_month", "hour", "days",
                                           "birthday_calendar", "amount", "level"]}),
        (gettext_lazy("What"), {"fields": ["coupon_template"]}),
        (gettext_lazy("Limits and measurement"), {"fields": ["times_per_member", "holdout_percent",
                                                             "attribution_days"]}),
        (gettext_lazy("Landing page"), {"fields": ["landing_title", "landing_text", "landing_link", "landing_views",
                                                   "landing_claims"]}),
    ]

    def get_list_display(self, request):
        shown = super().get_list_display(request)
        return shown if sees_figures(request.user) else [name for name in shown if name not in FIGURE_COLUMNS]

    def get_readonly_fields(self, request, obj=None):
        shown = super().get_readonly_fields(request, obj)
        return shown if sees_figures(request.user) else [name for name in shown if name not in
                                                         ("landing_views", "landing_claims")]

    def get_fieldsets(self, request, obj=None):
        if sees_figures(request.user):
            return self.fieldsets
        return [(name, {"fields": [field for field in options["fields"]
                                   if field not in ("landing_views", "landing_claims")]})
                for name, options in self.fieldsets]

    @admin.display(description=gettext_lazy("trigger"))
    def trigger_label(self, campaign):
        return triggers.get(campaign.trigger).label if campaign.trigger in triggers else campaign.trigger

    def _figures(self, campaign) -> uplift.Figures:
        cached = getattr(campaign, "_figures", None)
        if cached is None:
            cached = campaign._figures = uplift.campaign_figures(campaign)
        return cached

    @admin.display(description=gettext_lazy("sent"))
    def figure_sent(self, campaign):
        return self._figures(campaign).sent

    @admin.display(description=gettext_lazy("held out"))
    def figure_held_out(self, campaign):
        return self._figures(campaign).held_out

    @admin.display(description=gettext_lazy("delivered"))
    def figure_delivered(self, campaign):
        return self._figures(campaign).delivered

    @admin.display(description=gettext_lazy("claimed"))
    def figure_claimed(self, campaign):
        return self._figures(campaign).claimed

    @admin.display(description=gettext_lazy("redeemed"))
    def figure_redeemed(self, campaign):
        return self._figures(campaign).redeemed

    @admin.display(description=gettext_lazy("revenue"))
    def figure_revenue(self, campaign):
        return self._figures(campaign).revenue

    @admin.display(description=gettext_lazy("revenue uplift per member"))
    def uplift_shown(self, campaign):
        return uplift.uplift_text(campaign)

    @admin.display(description=gettext_lazy("uplift"))
    def figure_uplift(self, campaign):
        # The figure kept by the last measurement (services/uplift.measure_uplift): no statement per row.
        return format_html('{} · <a href="{}">{}</a>', uplift.uplift_text(campaign),
                           reverse("admin:campaigns_campaign_report", args=[campaign.pk]), _("report"))

    def save_formset(self, request, form, formset, change):
        if formset.model is CampaignChannel:
            # A channel is the campaign's merchant's: staff never choose it, and the operator's campaign decides.
            for channel in formset.save(commit=False):
                channel.merchant_id = form.instance.merchant_id
                channel.save()
            for channel in formset.deleted_objects:
                channel.delete()
            return
        super().save_formset(request, form, formset, change)

    @admin.display(description=gettext_lazy("landing page"))
    def landing_link(self, campaign):
        if not campaign.pk:
            return "-"
        link = campaign_messages.short_link_for(campaign)
        return format_html('<a href="{0}" target="_blank">{0}</a> · <a href="{1}" target="_blank">{1}</a>',
                           campaign_messages.landing_path(campaign), campaign_messages.short_url(link))

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        if not change:
            obj.created_by = request.user
            obj.save(update_fields=["created_by"])
        if obj.trigger == "holiday" and not HolidayDate.objects.filter(merchant=obj.merchant,
                                                                       source=HolidayDate.Source.PUBLIC).exists():
            year = timezone.localdate().year
            preload_holidays(obj.merchant, years=[year, year + 1])

    def _move(self, request, queryset, status: str) -> None:
        changed = queryset.update(status=status)
        self.message_user(request, _("%(count)d campaigns changed.") % {"count": changed}, messages.SUCCESS)

    @admin.action(description=gettext_lazy("Activate the selected campaigns"), permissions=["change"])
    def activate(self, request, queryset):
        self._move(request, queryset, Campaign.Status.ACTIVE)

    @admin.action(description=gettext_lazy("Pause the selected campaigns"), permissions=["change"])
    def pause(self, request, queryset):
        self._move(request, queryset, Campaign.Status.PAUSED)

    @admin.action(description=gettext_lazy("End the selected campaigns"), permissions=["change"])
    def end(self, request, queryset):
        self._move(request, queryset, Campaign.Status.ENDED)

    def get_urls(self):
        view = self.admin_site.admin_view
        return [path("<path:object_id>/report/", view(self.report_view), name="campaigns_campaign_report"),
                path("<path:object_id>/days.csv", view(self.days_export), name="campaigns_campaign_days"),
                path("<path:object_id>/days.xlsx", view(self.days_export), {"kind": "xlsx"},
                     name="campaigns_campaign_days_xlsx"),
                path("<path:object_id>/preview/", view(self.preview_view), name="campaigns_campaign_preview"),
                *super().get_urls()]

    def _campaign(self, request, object_id) -> Campaign:
        campaign = self.get_object(request, object_id)
        if campaign is None or not self.has_view_permission(request, campaign):
            raise Http404
        return campaign

    def report_view(self, request, object_id):
        """The uplift report and the per-day figures: owners and managers only."""
        campaign = self._campaign(request, object_id)
        if not sees_figures(request.user):
            raise PermissionDenied
        result = uplift.measure_uplift(campaign)
        warnings = {"group_too_small": _("A group has fewer than %(n)d members: too small to tell.")
                    % {"n": uplift.MIN_GROUP},
                    "too_few_payers": _("Fewer than %(n)d members paid (or did not) in a group: the share of "
                                        "paying members is too uncertain to tell.") % {"n": uplift.MIN_EVENTS}}
        measures = [(_("visits per member"), result.visits, 2), (_("paying members (share)"), result.paying, 3),
                    (_("revenue per member"), result.revenue, 2), (_("redemptions per member"), result.redemptions, 3)]
        return TemplateResponse(request, "campaigns/admin/report.html", {
            **self.admin_site.each_context(request), "opts": self.model._meta, "campaign": campaign,
            "title": _("Effect of %(name)s") % {"name": campaign.name}, "uplift": result, "measures": measures,
            "warnings": [warnings[code] for code in result.warnings], "days": uplift.per_day(campaign)})

    def days_export(self, request, object_id, kind: str = "csv"):
        campaign = self._campaign(request, object_id)
        if not sees_figures(request.user):
            raise PermissionDenied
        columns = [exports.Column(_("day"), lambda day: day.day), exports.Column(_("sent"), lambda day: day.sent),
                   exports.Column(_("held out"), lambda day: day.held_out),
                   exports.Column(_("stopped by a frequency cap"), lambda day: day.capped),
                   exports.Column(_("messages"), lambda day: day.messages),
                   exports.Column(_("redeemed"), lambda day: day.redeemed),
                   exports.Column(_("money off taken"), lambda day: day.discount)]
        if kind == "xlsx":
            return exports.xlsx_response(f"campaign-{campaign.pk}-days", columns, uplift.per_day(campaign),
                                         title=campaign.name)
        return exports.csv_response(f"campaign-{campaign.pk}-days", columns, uplift.per_day(campaign))

    def preview_view(self, request, object_id):
        """Each channel's message for a real member (by phone), with the SMS length and its parts."""
        campaign = self._campaign(request, object_id)
        phone = request.GET.get("phone", "").strip()
        member = None
        if phone:
            member = Member.objects.filter(merchant_id=campaign.merchant_id, phone=phone).first()
        if member is None:
            member = Member.objects.filter(merchant_id=campaign.merchant_id).order_by("pk").first()
        shown = campaign_messages.preview(campaign, member) if member is not None else []
        return render(request, "campaigns/admin/preview.html", {
            **self.admin_site.each_context(request), "opts": self.model._meta, "campaign": campaign,
            "title": _("Preview of %(name)s") % {"name": campaign.name}, "member": member, "previews": shown,
            "phone": phone})


@admin.register(Occurrence)
class OccurrenceAdmin(ReadOnlyAdminMixin, MerchantScopedAdmin):
    list_display = ["campaign", "key", "due_at", "status", "progress_percent", "eligible", "treated", "held_out",
                    "capped", "messaged"]
    list_filter = ["status", "campaign"]
    actions = ["cancel", "resume", "export_csv"]

    @admin.display(description=gettext_lazy("progress"))
    def progress_percent(self, occurrence):
        return f"{occurrences.progress(occurrence)} %"

    @admin.action(description=gettext_lazy("Cancel the selected runs"), permissions=["view"])
    def cancel(self, request, queryset):
        if not request.user.has_perm("campaigns.change_campaign"):
            raise PermissionDenied
        count = sum(occurrences.cancel_occurrence(occurrence) for occurrence in queryset)
        self.message_user(request, _("%(count)d runs cancelled.") % {"count": count}, messages.SUCCESS)

    @admin.action(description=gettext_lazy("Resume the selected runs"), permissions=["view"])
    def resume(self, request, queryset):
        if not request.user.has_perm("campaigns.change_campaign"):
            raise PermissionDenied
        for occurrence in queryset:
            try:
                occurrences.resume_occurrence(occurrence)
            except DomainError as refused:
                self.message_user(request, f"{occurrence}: {refused.message}", messages.ERROR)


@admin.register(HolidayDate)
class HolidayDateAdmin(MerchantScopedAdmin):
    list_display = ["day", "name", "source", "is_active"]
    list_filter = ["source", "is_active"]
    list_editable = ["is_active"]
    search_fields = ["name"]


@admin.register(ShortLink)
class ShortLinkAdmin(ReadOnlyAdminMixin, MerchantScopedAdmin):
    list_display = ["code", "target", "campaign", "clicks_shown"]

    @admin.display(description=gettext_lazy("clicks"))
    def clicks_shown(self, link):
        return link.clicks

    def get_list_display(self, request):
        shown = super().get_list_display(request)
        return shown if sees_figures(request.user) else [name for name in shown if name != "clicks_shown"]

    def changelist_view(self, request, extra_context=None):
        if staff_merchant(request.user) is None and not request.user.is_superuser:
            raise PermissionDenied
        return super().changelist_view(request, extra_context)
