"""Webhooks in the admin, for owners: endpoints (the secret shown once, rotation, a test event) and the
delivery log with every attempt, where one delivery or all failed ones of a period are replayed."""

from __future__ import annotations

import json

from django import forms
from django.contrib import admin, messages
from django.utils import timezone
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from loyalty.errors import DomainError
from loyalty.events import kind_label
from loyalty.tenancy import MerchantScopedAdmin, MerchantScopedInline, ReadOnlyAdminMixin, staff_merchant
from webhooks import services
from webhooks.models import Delivery, DeliveryAttempt, Endpoint


class EndpointForm(forms.ModelForm):
    url = forms.URLField(label=_("URL"), max_length=500, assume_scheme="https",
                         help_text=_("A public http(s) address of your system."))
    event_types = forms.MultipleChoiceField(label=_("event types"), widget=forms.CheckboxSelectMultiple,
                                            choices=services.subscribable_kinds)

    class Meta:
        model = Endpoint
        fields = ["merchant", "url", "description", "event_types", "status"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if "status" in self.fields and self.instance.status != Endpoint.Status.DISABLED:
            # Disabled is what failing does to an endpoint, not a choice.
            self.fields["status"].choices = [(value, label) for value, label in Endpoint.Status.choices
                                             if value != Endpoint.Status.DISABLED]

    def clean(self):
        cleaned = super().clean()
        if "url" in cleaned and "event_types" in cleaned:
            try:
                services.check_endpoint(cleaned["url"], cleaned["event_types"])
            except DomainError as error:
                self.add_error(error.field if error.field in self.fields else None, str(error.message))
        return cleaned


@admin.register(Endpoint)
class EndpointAdmin(MerchantScopedAdmin):
    form = EndpointForm
    list_display = ["__str__", "url", "status", "event_count", "failing_since", "circuit_open_until", "created_at"]
    list_filter = ["status", "merchant"]
    search_fields = ["url", "description"]
    readonly_fields = ["secret_hint", "previous_secret_until", "failing_since", "consecutive_failures",
                       "circuit_open_until", "disabled_at", "created_at"]
    actions = ["export_csv", "send_test", "rotate"]
    csv_fields = ["url", "description", "status", "failing_since", "created_at"]

    @admin.display(description=_("event types"))
    def event_count(self, obj):
        return ", ".join(kind_label(code) for code in obj.event_types)

    @admin.display(description=_("signing secret"))
    def secret_hint(self, obj):
        # The whole secret is shown once, when made; afterwards its start tells which one a receiver holds.
        return f"{obj.secret[:10]}…" if obj.secret else "—"

    def has_delete_permission(self, request, obj=None):
        # Deliveries refer to endpoints and are queued from a cached list: staff pause, operators delete.
        return request.user.is_superuser and super().has_delete_permission(request, obj)

    def save_model(self, request, obj, form, change):
        data = form.cleaned_data
        if change:
            services.update_endpoint(obj, url=data["url"], event_types=data["event_types"],
                                     description=data["description"], status=data["status"])
            return
        merchant = staff_merchant(request.user) or data["merchant"]
        endpoint, secret = services.create_endpoint(merchant, url=data["url"], event_types=data["event_types"],
                                                    description=data["description"], status=data["status"])
        obj.pk, obj.merchant, obj.secret, obj.created_at = endpoint.pk, merchant, endpoint.secret, endpoint.created_at
        obj._state.adding = False
        messages.warning(request, format_html(
            _("The signing secret of “{}” is <code>{}</code>. Copy it to your receiver now: it will not be "
              "shown again."), endpoint, secret))

    @admin.action(description=_("Send a test event"), permissions=["change"])
    def send_test(self, request, queryset):
        sent = 0
        for endpoint in queryset:
            try:
                services.send_test_event(endpoint, staff=request.user)
                sent += 1
            except DomainError as error:
                self.message_user(request, f"{endpoint}: {error.message}", messages.ERROR)
        if sent:
            self.message_user(request, ngettext("A test event is on its way to %(count)d endpoint; see the "
                                                "delivery log.", "A test event is on its way to %(count)d "
                                                "endpoints; see the delivery log.", sent) % {"count": sent},
                              messages.SUCCESS)

    @admin.action(description=_("Rotate the signing secret (the old one signs for 24 more hours)"),
                  permissions=["change"])
    def rotate(self, request, queryset):
        for endpoint in queryset:
            secret = services.rotate_secret(endpoint)
            until = timezone.localtime(endpoint.previous_secret_until).strftime("%Y-%m-%d %H:%M")
            messages.warning(request, format_html(
                _("The new signing secret of “{}” is <code>{}</code>. Copy it now: it will not be shown again. "
                  "The old one also signs until {}."), endpoint, secret, until))


class AttemptInline(MerchantScopedInline):
    model = DeliveryAttempt
    extra = 0
    can_delete = False
    fields = ["started_at", "outcome", "status_code", "duration_ms", "error", "response_head"]
    readonly_fields = fields

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


class KindFilter(admin.SimpleListFilter):
    """The kinds this merchant's deliveries carry, by their names."""

    title = _("kind")
    parameter_name = "kind"

    def lookups(self, request, model_admin):
        kinds = model_admin.get_queryset(request).order_by().values_list("kind", flat=True).distinct()
        return sorted(((kind, kind_label(kind)) for kind in kinds), key=lambda pair: pair[1])

    def queryset(self, request, queryset):
        return queryset.filter(kind=self.value()) if self.value() else queryset


@admin.register(Delivery)
class DeliveryAdmin(ReadOnlyAdminMixin, MerchantScopedAdmin):
    list_display = ["created_at", "kind_name", "endpoint", "status", "attempts", "last_status_code",
                    "next_attempt_at", "delivered_at"]
    list_filter = ["status", "endpoint", KindFilter, "merchant"]
    date_hierarchy = "created_at"
    search_fields = ["event__uuid", "kind"]
    fields = ["endpoint", "event_id_shown", "kind_name", "status", "attempts", "retries_used", "next_attempt_at",
              "last_status_code", "last_error", "created_at", "delivered_at", "body_shown"]
    readonly_fields = fields
    inlines = [AttemptInline]
    actions = ["export_csv", "replay_selected"]
    list_select_related = ["endpoint"]
    csv_fields = ["created_at", "kind", "status", "attempts", "last_status_code", "delivered_at"]

    @admin.display(description=_("kind"), ordering="kind")
    def kind_name(self, obj):
        return kind_label(obj.kind)

    @admin.display(description=_("event id"))
    def event_id_shown(self, obj):
        return str(obj.event.uuid)

    @admin.display(description=_("body"))
    def body_shown(self, obj):
        return format_html("<pre style='white-space:pre-wrap'>{}</pre>",
                           json.dumps(json.loads(obj.body), ensure_ascii=False, indent=2))

    def has_replay_permission(self, request):
        return request.user.has_perm("webhooks.change_delivery")

    @admin.action(description=_("Replay the selected deliveries (filter by status and date for a period)"),
                  permissions=["replay"])
    def replay_selected(self, request, queryset):
        count = services.replay(queryset)
        self.message_user(request, ngettext("%(count)d delivery queued again.", "%(count)d deliveries queued again.",
                                            count) % {"count": count}, messages.SUCCESS)
