from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Count, DecimalField, Q, Sum, Value
from django.db.models.functions import Coalesce
from django.forms.models import BaseInlineFormSet
from django.http import Http404, JsonResponse
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from django.utils.safestring import mark_safe
from django.utils.translation import gettext_lazy as _

from coupons import errors, events, services
from coupons.forms import CouponTemplateForm
from coupons.models import (
    ClaimChannel,
    Coupon,
    CouponIssuance,
    CouponIssuanceBenefit,
    CouponPurchase,
    CouponRedemption,
    CouponTemplate,
)
from coupons.render import qr_svg
from loyalty import benefits, exports
from loyalty.admin import ChangeEventsAdmin, EventHistoryAdmin
from loyalty.benefit_admin import BenefitLineInline
from loyalty.errors import DomainError
from loyalty.money import money_text, parse_amount, quantize
from loyalty.tenancy import (
    MerchantScopedAdmin,
    MerchantScopedInline,
    ReadOnlyAdminMixin,
    scope_queryset,
    sees_figures,
    staff_merchant,
)
from merchants.models import Store


def _with_channel_figures(queryset):
    """Each channel's redemptions and money taken off, in the list's own statement."""
    live = Q(coupons__redemptions__reversed_at__isnull=True)
    return queryset.annotate(
        redeemed_n=Count("coupons__redemptions", filter=live),
        money_off_sum=Coalesce(Sum("coupons__redemptions__discount", filter=live), Value(0),
                               output_field=DecimalField(max_digits=14, decimal_places=2)))


class ChannelFiguresMixin:
    """The columns a channel shows (its link and QR code; views, claims, redemptions, money off for those who
    see figures), for the template page's inline and the channel list alike."""

    figure_fields = ("views", "claims", "redeemed", "money_off")

    @admin.display(description=_("short link and QR code"))
    def link(self, obj):
        if not obj.pk:
            return _("Saved with the template: then it has its link.")
        url = reverse("coupons:channel", args=[obj.template.merchant.slug, obj.token])
        return format_html('<a href="{}">{}</a><div style="width:120px">{}</div>', url, url,
                           mark_safe(qr_svg(url)))  # noqa: S308 - segno's own SVG

    @admin.display(description=_("short link"))
    def short_link(self, obj):
        url = reverse("coupons:channel", args=[obj.template.merchant.slug, obj.token])
        return format_html('<a href="{}">{}</a>', url, url)

    @admin.display(description=_("redeemed"), ordering="redeemed_n")
    def redeemed(self, obj):
        return getattr(obj, "redeemed_n", 0)

    @admin.display(description=_("money taken off bills"), ordering="money_off_sum")
    def money_off(self, obj):
        return money_text(getattr(obj, "money_off_sum", 0) or 0)


class ClaimChannelInline(ChannelFiguresMixin, MerchantScopedInline):
    """渠道 on the template's page: add a channel, print its QR code, read what it brought."""

    model = ClaimChannel
    extra = 0
    verbose_name = _("claim channel")
    verbose_name_plural = _("claim channels (each with its own link, QR code and figures)")

    def get_queryset(self, request):
        return _with_channel_figures(super().get_queryset(request).select_related("template__merchant"))

    def get_fields(self, request, obj=None):
        fields = ["name", "kind", "link"]
        return fields + list(self.figure_fields) if sees_figures(request.user) else fields

    def get_readonly_fields(self, request, obj=None):
        return ["link", *self.figure_fields]


@admin.register(CouponTemplate)
class CouponTemplateAdmin(ChangeEventsAdmin, MerchantScopedAdmin):
    change_event = staticmethod(events.coupon_template_changed)
    form = CouponTemplateForm
    inlines = [ClaimChannelInline]
    list_display = ["name", "kind", "status", "audience", "stock", "issued_count", "claimed", "redeemed",
                    "redemption_rate", "claim_page_views", "money_off", "merchant"]
    list_filter = ["kind", "status", "audience", "merchant"]
    search_fields = ["name"]
    filter_horizontal = ["stores", "levels"]
    readonly_fields = ["issued_count", "claimed_count", "claim_page_views", "claim_link", "figures", "daily_chart"]
    actions = ["export_csv", "pause", "resume", "end"]
    fieldsets = [
        (None, {"fields": ["merchant", "kind", "name", "description", "status"]}),
        (_("What it takes off"), {"fields": ["amount_off", "minimum_bill", "discount_percent", "discount_cap",
                                              "exchange_item", "exchange_product"]}),
        (_("Where and when it can be used"), {"fields": ["scope", "products", "categories", "stores", "weekdays",
                                                          "hours_from", "hours_until", "stackable"]}),
        (_("Validity"), {"fields": ["validity", "valid_from", "valid_until", "valid_days", "starts_after_days"]}),
        (_("Stock and audience"), {"fields": ["stock", "issued_count", "claimed_count", "per_member_limit", "audience",
                                               "new_member_days", "levels"]}),
        (_("How members get it"), {"fields": ["points_price", "price", "giftable",
                                               "fission_friends",
                                               "friend_template", "claim_link", "claim_page_views"]}),
        (_("Figures"), {"fields": ["figures", "daily_chart"],
                        "description": _("Owners and managers see these figures; cashiers do not.")}),
    ]

    # How each template performs is a figure of the business: owners, managers and the operator read it (the
    # columns, the figures table and the chart); a cashier sees what a template is, not what it earned.
    performance_columns = ["issued_count", "claimed", "redeemed", "redemption_rate", "claim_page_views", "money_off"]
    performance_fields = ["issued_count", "claimed_count", "claim_page_views", "figures", "daily_chart"]

    class Media:
        js = ["coupons/template_form.js"]
        css = {"all": ["coupons/template_form.css"]}

    def get_list_display(self, request):
        shown = super().get_list_display(request)
        return shown if sees_figures(request.user) else [n for n in shown if n not in self.performance_columns]

    def save_formset(self, request, form, formset, change):
        if formset.model is ClaimChannel:
            # A channel is the template's merchant's: staff never choose it, and the operator's template decides.
            for channel in formset.save(commit=False):
                channel.merchant_id = form.instance.merchant_id
                channel.save()
            for channel in formset.deleted_objects:
                channel.delete()
            return None
        return super().save_formset(request, form, formset, change)

    def get_fieldsets(self, request, obj=None):
        fieldsets = super().get_fieldsets(request, obj)
        if sees_figures(request.user):
            return fieldsets
        hidden = set(self.performance_fields)
        kept = [(name, {**options, "fields": [f for f in options["fields"] if f not in hidden]})
                for name, options in fieldsets]
        return [(name, options) for name, options in kept if options["fields"]]

    def get_queryset(self, request):
        live = Q(redemptions__reversed_at__isnull=True)
        return super().get_queryset(request).annotate(
            redeemed_n=Count("redemptions", filter=live),
            money_off_sum=Coalesce(Sum("redemptions__discount", filter=live), Value(0),
                                   output_field=DecimalField(max_digits=14, decimal_places=2)))

    @admin.display(description=_("claimed"), ordering="claimed_count")
    def claimed(self, obj):
        return obj.claimed_count

    @admin.display(description=_("redeemed"), ordering="redeemed_n")
    def redeemed(self, obj):
        return obj.redeemed_n

    @admin.display(description=_("redemption rate"))
    def redemption_rate(self, obj):
        return f"{obj.redeemed_n * 100 / obj.issued_count:.1f}%" if obj.issued_count else "—"

    @admin.display(description=_("money taken off bills"), ordering="money_off_sum")
    def money_off(self, obj):
        return money_text(obj.money_off_sum)

    @admin.display(description=_("claim link and QR code"))
    def claim_link(self, obj):
        if not obj.pk:
            return "—"
        url = reverse("coupons:claim", args=[obj.merchant.slug, obj.claim_token])
        return format_html('<a href="{}">{}</a><div style="width:160px">{}</div>', url, url,
                           mark_safe(qr_svg(url)))  # noqa: S308 - segno's own SVG

    @admin.display(description=_("figures"))
    def figures(self, obj):
        if not obj.pk:
            return "—"
        f = services.template_figures(obj)
        rows = [(_("issued"), f["issued"]), (_("claimed"), f["claimed"]), (_("redeemed"), f["redeemed"]),
                (_("redemption rate"), f"{f['redemption_rate']}%" if f["redemption_rate"] is not None else "—"),
                (_("claim page views"), f["claim_page_views"]),
                (_("money taken off bills"), money_text(f["money_off"]))]
        return format_html("<table>{}</table>", format_html_join("", "<tr><th>{}</th><td>{}</td></tr>", rows))

    @admin.display(description=_("last 30 days (issued / redeemed)"))
    def daily_chart(self, obj):
        if not obj.pk:
            return "—"
        days = services.daily_figures(obj)
        peak = max([max(d["issued"], d["redeemed"]) for d in days] + [1])
        bars = format_html_join("", (
            '<div style="display:flex;align-items:center;gap:6px;font-size:11px">'
            '<span style="width:44px">{}</span>'
            '<span style="background:#79aec8;height:8px;width:{}px" title="{}"></span>'
            '<span style="background:#c0392b;height:8px;width:{}px" title="{}"></span>'
            '<span>{} / {} · {}</span></div>'), (
            (d["day"].strftime("%m-%d"), round(200 * d["issued"] / peak), d["issued"],
             round(200 * d["redeemed"] / peak), d["redeemed"], d["issued"], d["redeemed"], money_text(d["money_off"]))
            for d in days))
        return bars

    def _set_status(self, request, queryset, status):
        done = 0
        for template in queryset:
            try:
                services.set_template_status(template, status, staff=request.user)
                done += 1
            except DomainError as error:
                self.message_user(request, f"{template}: {error.message}", messages.WARNING)
        self.message_user(request, _("%(count)d template(s) changed.") % {"count": done}, messages.SUCCESS)

    @admin.action(description=_("Pause the selected templates"), permissions=["change"])
    def pause(self, request, queryset):
        self._set_status(request, queryset, CouponTemplate.Status.PAUSED)

    @admin.action(description=_("Resume the selected templates"), permissions=["change"])
    def resume(self, request, queryset):
        self._set_status(request, queryset, CouponTemplate.Status.ACTIVE)

    @admin.action(description=_("End the selected templates"), permissions=["change"])
    def end(self, request, queryset):
        self._set_status(request, queryset, CouponTemplate.Status.ENDED)


@admin.register(ClaimChannel)
class ClaimChannelAdmin(ChannelFiguresMixin, MerchantScopedAdmin):
    """Every claim channel with its figures, to compare and export (CSV, Excel); channels are added and
    renamed on their template's page."""

    # The list stays a table to compare channels by: each QR code is on the channel's own page.
    list_display = ["name", "template", "kind", "short_link", "views", "claims", "redeemed", "money_off",
                    "merchant"]
    list_filter = ["kind", "template", "merchant"]
    search_fields = ["name", "template__name"]
    list_select_related = ["template__merchant"]
    fields = ["template", "name", "kind", "link", "views", "claims", "redeemed", "money_off"]
    readonly_fields = ["template", "link", "views", "claims", "redeemed", "money_off"]
    csv_fields = ["name", "template", "kind", "token", "views", "claims", "redeemed", "money_off", "created_at"]

    def has_add_permission(self, request):
        return False

    def get_queryset(self, request):
        return _with_channel_figures(super().get_queryset(request))

    def get_list_display(self, request):
        shown = super().get_list_display(request)
        return shown if sees_figures(request.user) else [n for n in shown if n not in self.figure_fields]

    def get_fields(self, request, obj=None):
        fields = super().get_fields(request, obj)
        return fields if sees_figures(request.user) else [n for n in fields if n not in self.figure_fields]

    def get_export_columns(self, request):
        columns = super().get_export_columns(request)
        money = str(_("money taken off bills"))
        # The file holds the money as a number a spreadsheet adds up, not as the "¥12.00" the list shows.
        return [exports.Column(money, lambda obj: quantize(obj.money_off_sum)) if column.header == money else column
                for column in columns]


class RedeemForm(forms.Form):
    code = forms.CharField(label=_("coupon code"), max_length=40)
    store = forms.ModelChoiceField(label=_("store"), queryset=Store.objects.none())
    bill_amount = forms.CharField(label=_("bill amount"), max_length=20)
    payment_reference = forms.CharField(label=_("payment reference"), max_length=64, required=False)

    def __init__(self, *args, user=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["store"].queryset = scope_queryset(Store.objects.all(), user)
        profile = getattr(user, "staff_profile", None)
        if profile is not None and profile.store_id:
            self.fields["store"].initial = profile.store_id


def _member_level(member) -> str:
    # Read through the reverse relation the membership app declares; coupons sit beside it and may read levels.
    card = getattr(member, "membership_card", None) if member is not None else None
    return card.level.name if card is not None and card.level_id else ""


@admin.register(Coupon)
class CouponAdmin(EventHistoryAdmin, MerchantScopedAdmin):
    list_display = ["code", "template", "member", "state", "source", "issued_at", "valid_until", "used_at",
                    "merchant"]
    list_filter = ["state", "source", "template", "merchant"]
    search_fields = ["code", "member__phone"]
    list_select_related = ["template", "member"]
    date_hierarchy = "issued_at"
    csv_fields = ["code", "template", "member", "state", "source", "issued_at", "valid_from", "valid_until",
                  "used_at"]
    actions = ["export_csv", "reverse_redemptions", "void"]
    change_list_template = "coupons/admin/coupon_changelist.html"
    # A merchant holds millions of coupons after a few mass sends: newest first by the primary key's
    # index, and no second count of the whole table under the filters.
    ordering = ["-pk"]
    show_full_result_count = False

    def has_add_permission(self, request):
        return False

    def get_readonly_fields(self, request, obj=None):
        return [f.name for f in self.model._meta.fields]

    def has_delete_permission(self, request, obj=None):
        return False

    def get_urls(self):
        return [path("redeem/", self.admin_site.admin_view(self.redeem_view), name="coupons_coupon_redeem"),
                *super().get_urls()]

    def redeem_view(self, request):
        """核销 at the counter in two steps: type or scan the code and the bill, see the coupon, its member and what
        it takes off; then confirm, and only then is it marked used. The store starts as the cashier's own."""
        if not request.user.has_perm("coupons.redeem_coupon"):
            raise PermissionDenied
        form = RedeemForm(request.POST or None, user=request.user)
        merchant = staff_merchant(request.user)
        preview = None
        if request.method == "POST" and form.is_valid():
            store = form.cleaned_data["store"]
            try:
                amount = parse_amount(form.cleaned_data["bill_amount"], field="bill_amount")
                coupon = services.find_coupon_by_code(merchant or store.merchant, form.cleaned_data["code"])
                if request.POST.get("step") != "confirm":
                    discount, _reason = services.coupon_discount(coupon, bill_amount=amount, store=store,
                                                                 at=timezone.now())
                    preview = {"coupon": coupon, "template": coupon.template, "member": coupon.member,
                               "store": store, "bill_amount": amount, "discount": discount,
                               "level": _member_level(coupon.member)}
                else:
                    redemption = services.redeem_coupon(coupon, bill_amount=amount, store=store, staff=request.user,
                                                        payment_reference=form.cleaned_data["payment_reference"])
            except DomainError as error:
                form.add_error("bill_amount" if error.field == "bill_amount" else "code", str(error.message))
            else:
                if preview is None:
                    self.message_user(request, _("Coupon %(code)s redeemed: %(amount)s off.") % {
                        "code": coupon.display_code, "amount": redemption.discount}, messages.SUCCESS)
                    return redirect("admin:coupons_coupon_redeem")
        context = {**self.admin_site.each_context(request), "form": form, "title": _("Redeem a coupon"),
                   "opts": self.model._meta, "preview": preview}
        return TemplateResponse(request, "coupons/admin/redeem.html", context)

    @admin.action(description=_("Reverse the redemption of the selected coupons"))
    def reverse_redemptions(self, request, queryset):
        if not request.user.has_perm("coupons.reverse_redemption"):
            raise PermissionDenied
        done = 0
        for coupon in queryset.filter(state=Coupon.State.USED):
            try:
                services.reverse_redemption(coupon, staff=request.user, reason=str(_("reversed in the admin")))
                done += 1
            except DomainError as error:
                self.message_user(request, f"{coupon}: {error.message}", messages.WARNING)
        self.message_user(request, _("%(count)d redemption(s) reversed.") % {"count": done}, messages.SUCCESS)


    @admin.action(description=_("Void the selected coupons"))
    def void(self, request, queryset):
        if not request.user.has_perm("coupons.reverse_redemption"):
            raise PermissionDenied
        done = 0
        for coupon in queryset:
            try:
                services.void_coupon(coupon, staff=request.user, reason=str(_("voided in the admin")))
                done += 1
            except DomainError as error:
                self.message_user(request, f"{coupon}: {error.message}", messages.WARNING)
        self.message_user(request, _("%(count)d coupon(s) voided.") % {"count": done}, messages.SUCCESS)


@admin.register(CouponRedemption)
class CouponRedemptionAdmin(ReadOnlyAdminMixin, MerchantScopedAdmin):
    list_display = ["coupon", "template", "store", "bill_amount", "discount", "payment_reference", "staff",
                    "terminal", "redeemed_at", "reversed_at", "merchant"]
    list_filter = ["store", "template", "merchant"]
    search_fields = ["coupon__code", "payment_reference"]
    list_select_related = ["coupon__template", "template", "store", "staff", "terminal"]
    date_hierarchy = "redeemed_at"


@admin.register(CouponPurchase)
class CouponPurchaseAdmin(ReadOnlyAdminMixin, MerchantScopedAdmin):
    """Coupons members bought through the payment gateway; "refund due" ones need staff to pay back."""

    list_display = ["template", "member", "price", "status", "payment", "coupon", "note", "created_at", "paid_at",
                    "merchant"]
    list_filter = ["status", "template", "merchant"]
    search_fields = ["member__phone", "payment__out_trade_no"]
    list_select_related = ["template", "member", "payment", "coupon__template"]
    date_hierarchy = "created_at"
    actions = ["export_csv"]


class IssuanceForm(forms.ModelForm):
    phones_file = forms.FileField(label=_("CSV of phones"), required=False,
                                  help_text=_("For the “uploaded list of phones” segment: one phone per line."))

    class Meta:
        model = CouponIssuance
        fields = ["merchant", "template", "segment", "saved_segment", "level", "joined_from", "joined_until",
                  "inactive_days", "tag", "notify_members"]

    def clean(self):
        cleaned = super().clean()
        upload = cleaned.get("phones_file")
        cleaned["phones"] = services.parse_phone_list(upload.read()) if upload else []
        template, merchant = cleaned.get("template"), cleaned.get("merchant")
        if template is not None and merchant is not None and template.merchant_id != merchant.pk:
            self.add_error("template", _("That template belongs to another merchant."))
        elif template is not None or merchant is not None:
            try:
                services.validate_segment(template or merchant, segment=cleaned.get("segment"),
                                          level=cleaned.get("level"),
                                          joined_from=cleaned.get("joined_from"),
                                          joined_until=cleaned.get("joined_until"),
                                          inactive_days=cleaned.get("inactive_days"), tag=cleaned.get("tag"),
                                          phones=cleaned["phones"], saved_segment=cleaned.get("saved_segment"))
            except DomainError as error:
                self.add_error("saved_segment" if error.field == "saved_segment" else "segment", str(error.message))
        return cleaned


class IssuanceBenefitFormSet(BaseInlineFormSet):
    """The lines of a new send; with no coupon template either, the send would give nothing and is refused."""

    def clean(self):
        super().clean()
        if self.instance.pk is not None or self.instance.template_id is not None:
            return
        if not any(form.cleaned_data.get("kind") and not form.cleaned_data.get("DELETE")
                   for form in self.forms if form.is_valid() and form.has_changed()):
            raise ValidationError(services.empty_send_message(), code=errors.ISSUANCE_EMPTY)


class CouponIssuanceBenefitInline(BenefitLineInline):
    """What the send gives each member besides its coupon: the reward rules' inline, any registered kind.
    Fixed once the send is planned, like the rest of it."""

    model = CouponIssuanceBenefit
    formset = IssuanceBenefitFormSet
    verbose_name_plural = _("benefits it gives each member")

    # No blank line offered: the kind select has no empty choice, so an untouched line would post "points"
    # and refuse a coupon-only send; "add another" brings one.
    extra = 0

    def get_formset(self, request, obj=None, **kwargs):
        if obj is not None:  # shown, never edited: the plain form of the description alone
            return super(BenefitLineInline, self).get_formset(request, obj, **kwargs)
        return super().get_formset(request, obj, **kwargs)

    def get_fields(self, request, obj=None):
        return ["description"] if obj is not None else super().get_fields(request, obj)

    def get_readonly_fields(self, request, obj=None):
        return ["description"] if obj is not None else []

    @admin.display(description=_("what it gives"))
    def description(self, line):
        return str(line)

    def has_add_permission(self, request, obj=None):
        return obj is None and super().has_add_permission(request, obj)

    def has_change_permission(self, request, obj=None):
        return obj is None and super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        return obj is None and super().has_delete_permission(request, obj)


@admin.register(CouponIssuance)
class CouponIssuanceAdmin(MerchantScopedAdmin):
    form = IssuanceForm
    inlines = [CouponIssuanceBenefitInline]
    list_display = ["template", "benefits_summary", "segment", "saved_segment", "status", "progress", "rate", "eta",
                    "created_at", "merchant"]
    list_filter = ["status", "segment", "merchant"]
    list_select_related = ["template", "saved_segment"]
    actions = ["export_csv", "cancel", "resume"]
    progress_fields = ["status", "progress", "total", "processed", "issued", "benefits_given", "last_member_id",
                       "rate", "eta",
                       "stopped_reason", "started_at", "updated_at", "finished_at", "created_by"]

    def get_fields(self, request, obj=None):
        fields = ["merchant", "template", "segment", "saved_segment", "level", "joined_from", "joined_until",
                  "inactive_days", "tag", "notify_members"]
        return fields + ["phones_file"] if obj is None else fields + self.progress_fields

    def get_readonly_fields(self, request, obj=None):
        if obj is None:
            return []
        return ["merchant", "template", "segment", "saved_segment", "level", "joined_from", "joined_until",
                "inactive_days", "tag", "notify_members", *self.progress_fields]

    def has_delete_permission(self, request, obj=None):
        return False

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related("benefits")

    @admin.display(description=_("benefits it gives"))
    def benefits_summary(self, obj):
        return "; ".join(benefits.describe_lines(benefits.with_targets(obj.benefits.all()))) or "—"

    @admin.display(description=_("progress"))
    def progress(self, obj):
        figures = self._figures(obj)
        url = reverse("admin:coupons_couponissuance_progress", args=[obj.pk]) if obj.pk else ""
        return format_html(
            '<span class="issuance-progress" data-url="{}" data-running="{}">'
            '<progress max="{}" value="{}"></progress> <span data-figure="issued">{}</span> / '
            '<span data-figure="total">{}</span></span>',
            url, "1" if figures["status"] in ("pending", "running") else "", max(obj.total, 1), obj.processed,
            figures["issued"], figures["total"])

    @admin.display(description=_("rate (members/s)"))
    def rate(self, obj):
        return format_html('<span data-figure="rate">{}</span>', self._figures(obj)["rate"])

    @admin.display(description=_("time left"))
    def eta(self, obj):
        return format_html('<span data-figure="eta">{}</span>', self._figures(obj)["eta"])

    @staticmethod
    def _figures(obj) -> dict:
        rate, eta = obj.rate_per_second, obj.eta_seconds
        return {"status": obj.status, "status_label": obj.get_status_display(), "total": obj.total,
                "processed": obj.processed, "issued": obj.issued if obj.template_id else obj.benefits_given,
                "coupons_issued": obj.issued, "benefits_given": obj.benefits_given,
                "rate": f"{rate:,.0f}" if rate else "—",
                "eta": f"{eta:,.0f} s" if eta is not None else "—", "stopped_reason": obj.stopped_reason}

    def get_urls(self):
        return [path("<path:object_id>/progress/", self.admin_site.admin_view(self.progress_view),
                     name="coupons_couponissuance_progress"), *super().get_urls()]

    def progress_view(self, request, object_id):
        """The figures of a mass send as JSON, polled by the progress bar while the job runs."""
        issuance = self.get_object(request, object_id)
        if issuance is None or not self.has_view_permission(request, issuance):
            raise Http404
        return JsonResponse(self._figures(issuance))

    class Media:
        js = ["coupons/issuance_progress.js"]

    def save_model(self, request, obj, form, change):
        """Nothing here: a new send is planned with its lines in `save_related`, by the one service."""

    def save_related(self, request, form, formsets, change):
        if change:
            return
        data = form.cleaned_data
        lines = [line_form.save(commit=False) for formset in formsets
                 if formset.model is CouponIssuanceBenefit for line_form in formset.forms
                 if line_form.has_changed() and not line_form.cleaned_data.get("DELETE")
                 and line_form.cleaned_data.get("kind")]
        created = services.create_issuance(
            data.get("template"), merchant=staff_merchant(request.user) or data.get("merchant"), lines=lines,
            segment=data["segment"], created_by=request.user,
            notify_members=data["notify_members"], level=data.get("level"), joined_from=data.get("joined_from"),
            joined_until=data.get("joined_until"), inactive_days=data.get("inactive_days"), tag=data.get("tag"),
            phones=data.get("phones"), saved_segment=data.get("saved_segment") if data["segment"] == "saved" else None)
        for formset in formsets:  # what the admin's history message reads of a saved formset
            formset.new_objects, formset.changed_objects, formset.deleted_objects = (
                lines if formset.model is CouponIssuanceBenefit else []), [], []
        form.instance.pk, form.instance.merchant_id = created.pk, created.merchant_id
        form.instance.created_at = created.created_at
        form.instance._state.adding = False

    @admin.action(description=_("Cancel the selected mass sends"), permissions=["change"])
    def cancel(self, request, queryset):
        done = sum(services.cancel_issuance(issuance) for issuance in queryset)
        self.message_user(request, _("%(count)d mass send(s) cancelled.") % {"count": done}, messages.SUCCESS)

    @admin.action(description=_("Resume the selected mass sends (after a worker stopped)"), permissions=["change"])
    def resume(self, request, queryset):
        for issuance in queryset.filter(status__in=[CouponIssuance.Status.PENDING, CouponIssuance.Status.RUNNING]):
            services.resume_issuance(issuance)
        self.message_user(request, _("The mass sends continue after their checkpoints."), messages.SUCCESS)
