import segno
from django import forms
from django.contrib import admin, messages
from django.contrib.admin.utils import flatten_fieldsets
from django.contrib.auth import get_user_model
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import PermissionDenied
from django.http import Http404, JsonResponse
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html, format_html_join
from django.utils.safestring import mark_safe
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_POST

from loyalty import benefits, exports, member_panels
from loyalty.admin import ChangeEventsAdmin, EventHistoryAdmin
from loyalty.benefit_admin import BenefitLineInline, BenefitOwnerAdminMixin
from loyalty.posters import poster_sources
from loyalty.segments import Clause
from loyalty.tenancy import (
    MerchantScopedAdmin,
    MerchantScopedInline,
    MerchantScopedStackedInline,
    ReadOnlyAdminMixin,
    is_platform_operator,
    staff_merchant,
)
from merchants import events, services
from merchants.forms import ATTRIBUTE_PREFIX, MemberAdminForm, clause_form_for
from merchants.models import (
    FrequencyCap,
    JoinGift,
    JoinGiftBenefit,
    MarketingConsentChange,
    MarketingSettings,
    Member,
    MemberField,
    MemberTag,
    Merchant,
    Segment,
    SegmentClause,
    StaffAction,
    StaffMember,
    Store,
    Terminal,
)
from merchants.services.marketing import set_marketing_consent


@admin.register(Merchant)
class MerchantAdmin(MerchantScopedAdmin):
    list_display = ["name", "slug", "currency", "is_active", "created_at"]
    search_fields = ["name", "slug"]
    def get_prepopulated_fields(self, request, obj=None):
        return {"slug": ["name"]} if is_platform_operator(request.user) else {}

    def get_readonly_fields(self, request, obj=None):
        # The slug is in every member link already printed on QR codes; only the operator changes it.
        return [] if is_platform_operator(request.user) else ["slug", "is_active"]


class JoinGiftBenefitInline(BenefitLineInline):
    model = JoinGiftBenefit


@admin.register(JoinGift)
class JoinGiftAdmin(ChangeEventsAdmin, BenefitOwnerAdminMixin, MerchantScopedAdmin):
    change_event = staticmethod(events.join_gift_changed)
    list_display = ["__str__", "benefits_summary", "is_active", "merchant"]
    list_filter = ["is_active", "merchant"]
    inlines = [JoinGiftBenefitInline]

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("merchant").prefetch_related("benefits")

    @admin.display(description=_("what it gives"))
    def benefits_summary(self, obj):
        return " · ".join(benefits.describe_lines(benefits.with_targets(obj.benefits.all()))) or "—"


def _poster_qr(url: str) -> str:
    # segno's own SVG, scaled by the poster's CSS; "q" error correction survives a scuffed print.
    return mark_safe(segno.make(url, error="q").svg_inline(border=2, dark="#111", light="#fff", omitsize=True))  # noqa: S308


@admin.register(Store)
class StoreAdmin(MerchantScopedAdmin):
    list_display = ["name", "address", "phone", "is_open", "merchant"]
    list_filter = ["is_open", "merchant"]
    search_fields = ["name", "address"]
    change_list_template = "merchants/admin/store_changelist.html"

    def get_urls(self):
        return [path("posters/", self.admin_site.admin_view(self.posters_view), name="merchants_store_posters"),
                *super().get_urls()]

    def posters_view(self, request):
        """Printable QR posters (one to a printed page): each store's self-pay page, joining and every claim
        channel, from every registered `loyalty.posters` source. The operator picks the merchant (?merchant=)."""
        if not self.has_view_permission(request):
            raise PermissionDenied
        merchant = staff_merchant(request.user)
        if merchant is None and is_platform_operator(request.user):
            merchant = Merchant.objects.filter(pk=request.GET.get("merchant") or None).first()
        if merchant is None:
            raise Http404(_("Choose the merchant first."))
        chosen = request.GET.get("kind", "")
        sources = poster_sources.all()
        posters = [(source, poster, _poster_qr(request.build_absolute_uri(poster.path)),
                    request.build_absolute_uri(poster.path))
                   for source in sources if not chosen or source.code == chosen
                   for poster in source.posters(merchant)]
        context = {**self.admin_site.each_context(request), "opts": self.model._meta, "merchant": merchant,
                   "title": gettext("QR posters"), "posters": posters, "sources": sources, "chosen": chosen}
        return TemplateResponse(request, "merchants/admin/posters.html", context)


class StaffMemberForm(forms.ModelForm):
    """Adds the login (username and password) when a staff member is created."""

    username = forms.CharField(label=_("username"), max_length=150, required=False)
    password = forms.CharField(label=_("password"), widget=forms.PasswordInput, required=False)
    first_name = forms.CharField(label=_("name"), max_length=150, required=False)

    class Meta:
        model = StaffMember
        fields = ["merchant", "role", "store"]

    def clean(self):
        cleaned = super().clean()
        if self.instance.pk is None:
            username = cleaned.get("username")
            if not username:
                self.add_error("username", _("This field is required."))
            elif get_user_model().objects.filter(username=username).exists():
                self.add_error("username", _("This username is taken."))
            password = cleaned.get("password")
            if not password:
                self.add_error("password", _("This field is required."))
            else:
                try:
                    validate_password(password, get_user_model()(username=username or ""))
                except forms.ValidationError as error:
                    self.add_error("password", error)
        store, merchant = cleaned.get("store"), cleaned.get("merchant")
        if store is not None and merchant is not None and store.merchant_id != merchant.pk:
            self.add_error("store", _("That store belongs to another merchant."))
        return cleaned


@admin.register(StaffMember)
class StaffMemberAdmin(EventHistoryAdmin, MerchantScopedAdmin):
    form = StaffMemberForm
    list_display = ["user", "role", "store", "merchant", "created_at"]
    list_filter = ["role", "store", "merchant"]
    search_fields = ["user__username", "user__first_name"]

    def get_fields(self, request, obj=None):
        fields = ["merchant", "role", "store"]
        return fields + ["username", "first_name", "password"] if obj is None else fields

    def save_model(self, request, obj, form, change):
        merchant = staff_merchant(request.user) or form.cleaned_data["merchant"]
        if change:
            obj.merchant = merchant
            # The role is saved by set_staff_role, which compares it with the stored one for its event.
            obj.save(update_fields=["merchant", "store"])
            services.set_staff_role(obj, obj.role, by=request.user)
            return
        created = services.add_staff(merchant, username=form.cleaned_data["username"],
                                     password=form.cleaned_data["password"], role=form.cleaned_data["role"],
                                     first_name=form.cleaned_data.get("first_name", ""),
                                     store=form.cleaned_data.get("store"), check_password=False)
        obj.pk, obj.user, obj.merchant, obj.created_at = created.pk, created.user, created.merchant, created.created_at
        obj._state.adding = False


class TerminalForm(forms.ModelForm):
    class Meta:
        model = Terminal
        fields = ["merchant", "store", "name"]

    def clean(self):
        cleaned = super().clean()
        store, merchant = cleaned.get("store"), cleaned.get("merchant")
        if store is not None and merchant is not None and store.merchant_id != merchant.pk:
            self.add_error("store", _("That store belongs to another merchant."))
        return cleaned


@admin.register(Terminal)
class TerminalAdmin(EventHistoryAdmin, MerchantScopedAdmin):
    form = TerminalForm
    list_display = ["name", "store", "key_prefix", "status", "last_used_at", "created_at"]
    list_filter = ["store", "merchant"]
    search_fields = ["name", "key_prefix"]
    readonly_fields = ["key_prefix", "created_by", "created_at", "last_used_at", "revoked_at"]
    actions = ["export_csv", "revoke"]

    @admin.display(description=_("status"))
    def status(self, obj):
        return _("active") if obj.is_active else _("revoked")

    def get_readonly_fields(self, request, obj=None):
        return self.readonly_fields + (["merchant", "store"] if obj else [])

    def save_model(self, request, obj, form, change):
        if change:
            return super().save_model(request, obj, form, change)
        merchant = staff_merchant(request.user) or form.cleaned_data["merchant"]
        store = form.cleaned_data["store"]
        terminal, key = services.create_terminal(store, name=form.cleaned_data["name"], created_by=request.user)
        obj.pk, obj.key_prefix, obj.merchant, obj.store = terminal.pk, terminal.key_prefix, merchant, store
        obj._state.adding = False
        messages.warning(request, format_html(
            _("The key of terminal “{}” is <code>{}</code>. Copy it now: it will not be shown again."),
            terminal.name, key))

    @admin.action(description=_("Revoke the selected terminals' keys"), permissions=["change"])
    def revoke(self, request, queryset):
        count = 0
        for terminal in queryset.filter(revoked_at__isnull=True):
            services.revoke_terminal(terminal, staff=request.user)
            count += 1
        self.message_user(request, _("%(count)d terminal(s) revoked.") % {"count": count}, messages.SUCCESS)


@admin.register(MemberTag)
class MemberTagAdmin(MerchantScopedAdmin):
    list_display = ["name", "merchant"]
    list_filter = ["merchant"]
    search_fields = ["name"]


class MemberFieldForm(forms.ModelForm):
    class Meta:
        model = MemberField
        fields = ["merchant", "key", "label", "kind", "choices", "required", "position", "is_active"]

    def clean(self):
        cleaned = super().clean()
        kind, choices = cleaned.get("kind"), cleaned.get("choices")
        if kind in (MemberField.Kind.CHOICE, MemberField.Kind.MULTIPLE_CHOICE):
            if not isinstance(choices, list) or not choices or not all(isinstance(c, str) and c for c in choices):
                self.add_error("choices", _('List the options as a JSON list of strings, e.g. ["A", "B"].'))
            elif len(set(choices)) != len(choices):
                self.add_error("choices", _("Each option may appear only once."))
        elif choices:
            cleaned["choices"] = []
        return cleaned


@admin.register(MemberField)
class MemberFieldAdmin(MerchantScopedAdmin):
    form = MemberFieldForm
    list_display = ["label", "key", "kind", "required", "position", "is_active", "merchant"]
    list_filter = ["kind", "required", "is_active", "merchant"]
    list_editable = ["position"]
    search_fields = ["label", "key"]


def _attribute_reader(definition: MemberField):
    def read(member):
        return (member.custom_fields or {}).get(definition.key)

    return read


class MarketingConsentChangeInline(ReadOnlyAdminMixin, MerchantScopedInline):
    """The record of consent: when, which way and how (link, page, staff)."""

    model = MarketingConsentChange
    fields = ["created_at", "opted_in", "how", "staff"]
    extra = 0


@admin.register(MarketingSettings)
class MarketingSettingsAdmin(MerchantScopedAdmin):
    list_display = ["merchant", "quiet_from", "quiet_until"]


@admin.register(FrequencyCap)
class FrequencyCapAdmin(MerchantScopedAdmin):
    list_display = ["channel", "limit", "period"]


@admin.register(Member)
class MemberAdmin(ChangeEventsAdmin, MerchantScopedAdmin):
    change_event = staticmethod(events.member_changed)
    form = MemberAdminForm
    list_display = ["phone", "name", "gender", "status", "joined_at", "source_store", "merchant"]
    list_filter = ["status", "gender", "source_store", "tags", "joined_at", "merchant"]
    search_fields = ["phone", "name"]
    date_hierarchy = "joined_at"
    autocomplete_fields = ["referrer"]
    filter_horizontal = ["tags"]
    readonly_fields = ["lunar_birthday", "last_seen_at", "marketing_opt_out_at"]
    csv_fields = ["phone", "name", "gender", "birthday", "status", "joined_at", "source_store"]
    change_form_template = "merchants/admin/member_change_form.html"
    inlines = [MarketingConsentChangeInline]
    actions = ["export_csv", "opt_out_of_marketing", "opt_in_to_marketing"]

    @admin.display(description=_("lunar birthday"))
    def lunar_birthday(self, obj):
        return obj.lunar_birthday or "-"

    def _consent(self, request, queryset, *, accepts: bool) -> None:
        changed = sum(set_marketing_consent(member, accepts=accepts, how=MarketingConsentChange.How.STAFF,
                                            staff=request.user) for member in queryset)
        self.message_user(request, ngettext("%(count)d member changed.", "%(count)d members changed.", changed)
                          % {"count": changed}, messages.SUCCESS)

    @admin.action(description=_("Opt the selected members out of marketing (at their request)"),
                  permissions=["change"])
    def opt_out_of_marketing(self, request, queryset):
        self._consent(request, queryset, accepts=False)

    @admin.action(description=_("Opt the selected members in to marketing again (at their request)"),
                  permissions=["change"])
    def opt_in_to_marketing(self, request, queryset):
        self._consent(request, queryset, accepts=True)

    def get_list_display(self, request):
        return [*super().get_list_display(request), "overview_link"]

    @admin.display(description=_("member 360"))
    def overview_link(self, obj):
        return format_html('<a href="{}">{}</a>', reverse("admin:merchants_member_overview", args=[obj.pk]),
                           gettext("open"))

    def get_urls(self):
        overview = self.admin_site.admin_view(self.overview_view)
        return [path("<path:object_id>/overview/", overview, name="merchants_member_overview"), *super().get_urls()]

    def overview_view(self, request, object_id):
        """Member 360: level, points, balances, coupons, visits and messages in one place, each part a panel its
        app registered (`loyalty.member_panels`), shown to staff who may see that app's rows."""
        member = self.get_object(request, object_id)
        if member is None:
            raise Http404(_("There is no such object."))
        if not self.has_view_or_change_permission(request, member):
            raise PermissionDenied
        context = {**self.admin_site.each_context(request), "opts": self.model._meta, "member": member,
                   "title": gettext("Member 360: %(member)s") % {"member": member},
                   "panels": member_panels.panels_for(member, request)}
        return TemplateResponse(request, "merchants/admin/member_overview.html", context)

    def get_export_columns(self, request):
        # Each attribute the merchant defined is a column of its own, after what other apps add (level, points,
        # balances), so the file reads like the member page and not like a Python dict.
        merchant = staff_merchant(request.user)
        definitions = MemberField.objects.order_by("position", "pk")
        definitions = definitions.filter(merchant=merchant) if merchant else definitions.select_related("merchant")
        columns = super().get_export_columns(request)
        seen = set()
        for definition in definitions:
            if definition.key in seen:
                continue
            seen.add(definition.key)
            columns.append(exports.Column(str(definition.label), _attribute_reader(definition)))
        return columns

    def get_form(self, request, obj=None, change=False, **kwargs):
        # Attribute fields belong to the form, not the model: keep them out of the factory's list.
        fields = kwargs.get("fields")
        if fields is None and "fields" not in kwargs:
            fields = flatten_fieldsets(self.get_fieldsets(request, obj))
        if fields is not None:
            kwargs["fields"] = [name for name in fields if not name.startswith(ATTRIBUTE_PREFIX)]
        form_class = super().get_form(request, obj, change=change, **kwargs)
        merchant = staff_merchant(request.user)

        class MerchantMemberForm(form_class):
            def __init__(self, *args, **inner):
                inner.setdefault("merchant", merchant)
                super().__init__(*args, **inner)

        return MerchantMemberForm

    def get_fieldsets(self, request, obj=None):
        fieldsets = super().get_fieldsets(request, obj)
        # Attribute fields are added by the form at run time; Django's admin only shows declared ones.
        merchant = staff_merchant(request.user) or (obj.merchant if obj else None)
        extra = [ATTRIBUTE_PREFIX + d.key for d in MemberField.objects.filter(merchant=merchant, is_active=True)] \
            if merchant else []
        if extra:
            fieldsets = list(fieldsets) + [(_("Member attributes"), {"fields": extra})]
        return fieldsets


@admin.register(StaffAction)
class StaffActionAdmin(ReadOnlyAdminMixin, MerchantScopedAdmin):
    """The audit trail of staff changes (Django's admin log), each merchant seeing its own."""

    list_display = ["action_time", "user", "action", "content_type", "object_repr", "change_message_text"]
    list_filter = ["action_flag", "content_type"]
    search_fields = ["object_repr", "user__username"]
    date_hierarchy = "action_time"
    csv_fields = ["action_time", "user", "action", "content_type", "object_repr", "change_message_text"]

    @admin.display(description=_("action"))
    def action(self, obj):
        return {1: _("added"), 2: _("changed"), 3: _("deleted")}.get(obj.action_flag, "")

    @admin.display(description=_("change"))
    def change_message_text(self, obj):
        return obj.get_change_message()

    def get_list_filter(self, request):
        # content_type is shared, not merchant-owned: keep Django's plain filter for it.
        return ["action_flag", "content_type"]


def _segment_merchant_id(request, obj: Segment | None) -> int | None:
    merchant = staff_merchant(request.user)
    if merchant is not None:
        return merchant.pk
    return obj.merchant_id if obj is not None else None


class SegmentClauseInline(MerchantScopedStackedInline):
    """The conditions of a segment: a filter and the parameters its spec asks for (rendered generically)."""

    model = SegmentClause
    extra = 1
    verbose_name = _("condition")
    verbose_name_plural = _("conditions")

    def get_formset(self, request, obj=None, **kwargs):
        kwargs["form"] = clause_form_for(_segment_merchant_id(request, obj))
        return super().get_formset(request, obj, **kwargs)


@admin.register(Segment)
class SegmentAdmin(ChangeEventsAdmin, MerchantScopedAdmin):
    """Saved segments (会员分群) with the live count of the members matching the form as it is edited."""

    change_event = staticmethod(events.segment_changed)

    list_display = ["name", "conditions", "match", "created_by", "updated_at", "merchant"]
    list_filter = ["match", "merchant"]
    search_fields = ["name", "description"]
    readonly_fields = ["live_count", "preview", "created_by", "created_at", "updated_at"]
    inlines = [SegmentClauseInline]

    class Media:
        js = ["merchants/segment_count.js"]
        css = {"all": ["merchants/segments.css"]}

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related("clauses")

    def get_fieldsets(self, request, obj=None):
        # The count sits right above the conditions it counts.
        fieldsets = [(None, {"fields": ["merchant", "name", "description", "match", "live_count"]})]
        if obj is not None:
            fieldsets.append((_("Some of its members"), {"fields": ["preview"]}))
            fieldsets.append((_("History"), {"fields": ["created_by", "created_at", "updated_at"],
                                             "classes": ["collapse"]}))
        return fieldsets

    @admin.display(description=_("conditions"))
    def conditions(self, obj):
        return "; ".join(services.describe_segment(obj)) or gettext("all members")

    @admin.display(description=_("members now"))
    def live_count(self, obj):
        url = reverse("admin:merchants_segment_count_object", args=[obj.pk]) if obj and obj.pk \
            else reverse("admin:merchants_segment_count")
        return format_html('<output id="segment-count" class="segment-count" data-url="{}" aria-live="polite">'
                           '<span data-count>…</span> <span data-errors></span></output>', url)

    @admin.display(description=_("newest members in it (as saved)"))
    def preview(self, obj):
        members = services.preview_members(obj, size=10)
        if not members:
            return gettext("nobody")
        return format_html_join(", ", "{} {}", ((m.masked_phone, m.name) for m in members))

    def save_model(self, request, obj, form, change):
        if not change:
            obj.created_by = request.user
        super().save_model(request, obj, form, change)

    def save_formset(self, request, form, formset, change):
        # The clauses take the segment's merchant and their order on the page.
        formset.save(commit=False)
        for clause in formset.deleted_objects:
            clause.delete()
        deleted = set(formset.deleted_forms)
        kept = [f.instance for f in formset.forms
                if f not in deleted and getattr(f, "cleaned_data", {}).get("filter")]
        for position, clause in enumerate(kept):
            clause.segment, clause.merchant_id, clause.position = form.instance, form.instance.merchant_id, position
            clause.save()

    def get_urls(self):
        count = self.admin_site.admin_view(require_POST(self.count_view))
        return [path("count/", count, name="merchants_segment_count"),
                path("<path:object_id>/count/", count, name="merchants_segment_count_object"),
                *super().get_urls()]

    def count_view(self, request, object_id=None):
        """The number of members matching the submitted form's conditions, or why they are not valid.

        Staff only, tenant-checked: another merchant's segment is a 404, their levels and tags are not
        among the choices, and whoever may not add or change segments (a cashier) is refused.
        """
        obj = None
        if object_id is not None:
            obj = self.get_object(request, object_id)
            if obj is None:
                raise Http404
            if not self.has_change_permission(request, obj):
                raise PermissionDenied
        elif not self.has_add_permission(request):
            raise PermissionDenied
        merchant_id = _segment_merchant_id(request, obj)
        if merchant_id is None:  # the operator adding a segment: the merchant picked in the form
            merchant_id = Merchant.objects.filter(pk=request.POST.get("merchant") or None) \
                .values_list("pk", flat=True).first()
        if merchant_id is None:
            return JsonResponse({"count": None, "errors": [gettext("Choose the merchant first.")]}, status=400)
        inline = SegmentClauseInline(self.model, self.admin_site)
        formset_class = inline.get_formset(request, obj or Segment(merchant_id=merchant_id))
        formset = formset_class(request.POST, instance=obj or Segment(merchant_id=merchant_id),
                                prefix=formset_class.get_default_prefix())
        if not formset.is_valid():
            errors = [str(message) for form in formset.forms for field_errors in form.errors.values()
                      for message in field_errors]
            errors += [str(message) for message in formset.non_form_errors()]
            return JsonResponse({"count": None, "errors": errors}, status=400)
        clauses = [Clause(form.cleaned_data["filter"], form.cleaned_params) for form in formset.forms
                   if form.cleaned_data.get("filter") and not form.cleaned_data.get("DELETE")]
        members = services.members_matching(merchant_id, clauses,
                                            match_any=request.POST.get("match") == Segment.Match.ANY)
        count = members.count()
        text = ngettext("%(count)s member", "%(count)s members", count) % {"count": f"{count:,}"}
        return JsonResponse({"count": count, "text": text, "errors": []})


admin.site.empty_value_display = "—"
