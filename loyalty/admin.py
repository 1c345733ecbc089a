from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from django.contrib import admin
from django.contrib.admin.utils import unquote
from django.core.exceptions import FieldDoesNotExist
from django.db import models, transaction
from django.forms import BaseFormSet, BaseModelForm, PasswordInput
from django.urls import NoReverseMatch, reverse
from django.utils.html import format_html
from django.utils.text import capfirst
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from loyalty.events import Changes, event_kinds, events_of, kind_label, plain
from loyalty.models import Event, GatewayPayment, IdempotencyRecord, OutboxMessage
from loyalty.tenancy import MerchantScopedAdmin, ReadOnlyAdminMixin, is_platform_operator

_DIGIT_RUN = re.compile(r"\d{4,8}")
HISTORY_EVENTS_SHOWN = 200


@admin.register(OutboxMessage)
class OutboxMessageAdmin(ReadOnlyAdminMixin, MerchantScopedAdmin):
    list_display = ["created_at", "recipient", "kind", "status", "attempts", "sent_at"]
    list_filter = ["status", "kind", "channel"]
    search_fields = ["recipient"]
    date_hierarchy = "created_at"
    exclude = ["body"]
    csv_fields = ["created_at", "recipient", "kind", "status", "sent_at"]

    def _body(self, request, obj) -> str:
        # Staff must not read members' login codes over their shoulder; the operator may.
        if obj.kind == OutboxMessage.Kind.LOGIN_CODE and not is_platform_operator(request.user):
            return _DIGIT_RUN.sub(lambda m: "•" * len(m.group()), obj.body)
        return obj.body

    def get_list_display(self, request):
        def body(obj):
            text = self._body(request, obj)
            return text if len(text) <= 60 else text[:57] + "…"

        body.short_description = _("body")
        return ["created_at", "recipient", "kind", "status", body, "attempts", "sent_at"]

    def get_readonly_fields(self, request, obj=None):
        def body(obj):
            return self._body(request, obj)

        body.short_description = _("body")
        return ["merchant", "channel", "kind", "recipient", body, "status", "attempts", "provider_reference",
                "error", "created_at", "sent_at"]


@admin.register(IdempotencyRecord)
class IdempotencyRecordAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """Operators only: staff hold no permission on this model."""

    list_display = ["created_at", "scope", "key", "state", "response_status"]
    list_filter = ["state"]
    search_fields = ["key", "scope"]


@admin.register(GatewayPayment)
class GatewayPaymentAdmin(ReadOnlyAdminMixin, MerchantScopedAdmin):
    """Payments through the gateway, written by loyalty.payments only."""

    list_display = ["created_at", "out_trade_no", "purpose", "amount", "status", "member", "paid_at"]
    list_filter = ["status", "purpose"]
    search_fields = ["out_trade_no", "gateway_trade_no", "reference"]
    date_hierarchy = "created_at"


# Events: the history page of an object, the changes made in the admin, and the list of all events ----------

HIDDEN_VALUE = "***"


def form_changes(form: BaseModelForm, hidden: Iterable[str] = ()) -> dict[str, list[Any]]:
    """{field: [before, after]} for what the form changed, before as the form was shown, after as cleaned.

    Secrets (`hidden`, and any password input) are said to have changed, never shown: events are read in
    the admin and sent out by webhooks.
    """
    changes = {}
    for name in form.changed_data:
        if name not in form.cleaned_data:
            continue
        if name in hidden or isinstance(form.fields[name].widget, PasswordInput):
            changes[name] = [HIDDEN_VALUE, HIDDEN_VALUE]
        else:
            changes[name] = [plain(form.get_initial_for_field(form.fields[name], name)),
                             plain(form.cleaned_data[name])]
    return changes


def formset_changes(formset: BaseFormSet) -> dict[str, list[Any]]:
    """An inline's lines added (their values), changed (id and fields) and deleted (ids); read before the
    formset is saved, while deleted lines still have their ids."""
    added, changed, deleted = [], [], []
    deleted_forms = formset.deleted_forms if formset.can_delete else []
    for index, line in enumerate(formset.forms):
        existing = index < formset.initial_form_count()
        if line in deleted_forms:
            if existing:
                deleted.append(plain(line.instance.pk))
        elif line.has_changed() and existing:
            changed.append({"id": plain(line.instance.pk), "changes": form_changes(line)})
        elif line.has_changed():
            added.append({name: after for name, (_before, after) in form_changes(line).items()})
    kept = {"added": added, "changed": changed, "deleted": deleted}
    return {what: rows for what, rows in kept.items() if rows}


@dataclass
class EventRow:
    """One event as the history page shows it."""

    event: Event
    label: str
    who: str
    details: list[str]


def _field_value(field: models.Field | None, value: Any) -> str:
    if value is None or value == "" or value == []:
        return "—"
    if field is not None and field.is_relation and field.related_model is not None:
        ids = value if isinstance(value, list) else [value]
        names = {obj.pk: str(obj) for obj in field.related_model._default_manager.filter(pk__in=ids)}
        return ", ".join(names.get(pk, f"#{pk}") for pk in ids)
    if field is not None and field.flatchoices:
        return str(dict(field.flatchoices).get(value, value))
    if isinstance(value, bool):
        return gettext("yes") if value else gettext("no")
    return value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)


def _describe_line(model: type[models.Model] | None, entry: Any) -> str:
    """One inline line of an event in words: its values when added, its changes when changed, its id when deleted."""
    def labelled(name: str, value: Any) -> str:
        found = _model_field(model, name)
        label = capfirst(found.verbose_name) if found is not None else name
        return f"{label} {_field_value(found, value)}"

    if isinstance(entry, dict) and "changes" in entry:
        changes = ", ".join(f"{labelled(name, before)} → {_field_value(_model_field(model, name), after)}"
                            for name, (before, after) in entry["changes"].items())
        return f"#{entry.get('id')} {changes}"
    if isinstance(entry, dict):
        return ", ".join(labelled(name, value) for name, value in entry.items())
    return f"#{entry}"


def _model_field(model: type[models.Model] | None, name: str) -> models.Field | None:
    if model is None:
        return None
    try:
        return model._meta.get_field(name)
    except FieldDoesNotExist:
        return None


def describe_event(event: Event, model: type[models.Model]) -> list[str]:
    """The event's details in words: each changed field with its label, before → after."""
    def field(name: str) -> models.Field | None:
        try:
            return model._meta.get_field(name)
        except FieldDoesNotExist:
            return None

    lines = []
    data = dict(event.data)
    for name, (before, after) in data.pop("changes", {}).items():
        found = field(name)
        label = capfirst(found.verbose_name) if found is not None else name
        lines.append(f"{label}: {_field_value(found, before)} → {_field_value(found, after)}")
    said = {"added": gettext("added"), "changed": gettext("changed"), "deleted": gettext("deleted")}
    for inline, rows in data.pop("lines", {}).items():
        relation = field(inline)  # an inline's prefix is the name of the reverse relation to its lines
        line_model = relation.related_model if relation is not None else None
        name = capfirst(line_model._meta.verbose_name_plural) if line_model is not None else inline
        for what, entries in rows.items():
            for entry in entries:
                lines.append(f"{name} ({said.get(what, what)}): {_describe_line(line_model, entry)}")
    if data.pop("created", False):
        lines.append(said["added"])
    if data.pop("deleted", False):
        lines.append(said["deleted"])
    lines.extend(f"{key}: {_field_value(None, value)}" for key, value in data.items())
    return lines


def _who(event: Event) -> str:
    if event.staff is not None:
        return event.staff.get_full_name() or event.staff.get_username()
    if event.terminal is not None:
        return str(event.terminal)
    if event.member is not None:
        return str(event.member)
    return "—"


class EventHistoryAdmin:
    """An object's history page in the admin shows its events (above Django's own log of admin edits).

    Who may see events at all is the `loyalty.view_event` permission (owners and managers; not cashiers).
    """

    object_history_template = "admin/events/object_history.html"

    def history_view(self, request, object_id, extra_context=None):
        obj = self.get_object(request, unquote(object_id))
        rows = None
        if obj is not None and request.user.has_perm("loyalty.view_event"):
            rows = [EventRow(event, kind_label(event.kind), _who(event), describe_event(event, self.model))
                    for event in events_of(obj)[:HISTORY_EVENTS_SHOWN]]
        return super().history_view(request, object_id, {**(extra_context or {}), "event_rows": rows})


class ChangeEventsAdmin(EventHistoryAdmin):
    """For settings and rules edited in the admin: every save, add and delete writes the owning app's typed
    event with what changed (fields and inline lines, before and after), in the admin's transaction.

    Set `change_event` to the typed function, e.g. `staticmethod(checkout.events.reward_rule_changed)`.
    """

    change_event: Callable[..., Event]
    # Fields whose values never go into an event (secrets): the event says only that they changed.
    event_hidden_fields: tuple[str, ...] = ()

    def save_related(self, request, form, formsets, change):
        changes = Changes(fields=form_changes(form, self.event_hidden_fields), created=not change)
        for formset in formsets:
            lines = formset_changes(formset)
            if lines:
                changes.lines[formset.prefix] = lines
        super().save_related(request, form, formsets, change)
        if changes:
            self.change_event(form.instance, staff=request.user, changes=changes)

    def delete_model(self, request, obj):
        with transaction.atomic():
            self.change_event(obj, staff=request.user, changes=Changes(deleted=True))
            super().delete_model(request, obj)

    def delete_queryset(self, request, queryset):
        with transaction.atomic():
            for obj in queryset:
                self.change_event(obj, staff=request.user, changes=Changes(deleted=True))
            super().delete_queryset(request, queryset)


class EventKindFilter(admin.SimpleListFilter):
    title = _("kind")
    parameter_name = "kind"

    def lookups(self, request, model_admin):
        return event_kinds.choices()

    def queryset(self, request, queryset):
        return queryset.filter(kind=self.value()) if self.value() else queryset


@admin.register(Event)
class EventAdmin(ReadOnlyAdminMixin, MerchantScopedAdmin):
    """Every event of the merchant, newest first: written by the apps' services and admin saves only."""

    list_display = ["created_at", "kind_label", "content_type", "subject_link", "staff", "terminal", "member",
                    "merchant"]
    list_select_related = ["content_type", "staff", "terminal", "member", "merchant"]
    date_hierarchy = "created_at"
    search_fields = ["=uuid"]
    fields = ["uuid", "created_at", "merchant", "kind_label", "content_type", "subject_link", "staff", "terminal",
              "member", "details"]
    readonly_fields = ["kind_label", "subject_link", "details"]
    csv_fields = ["uuid", "created_at", "kind", "content_type", "object_id", "staff", "terminal", "member", "data"]

    def get_list_filter(self, request):
        # content_type is shared, not merchant-owned: Django's plain filter, not the merchant-scoped one.
        return [EventKindFilter, "content_type"] + (["merchant"] if is_platform_operator(request.user) else [])

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related("subject")

    @admin.display(description=_("kind"), ordering="kind")
    def kind_label(self, obj):
        return kind_label(obj.kind)

    @admin.display(description=_("object"))
    def subject_link(self, obj):
        shown = str(obj.subject) if obj.subject is not None else f"#{obj.object_id}"
        try:
            url = reverse(f"admin:{obj.content_type.app_label}_{obj.content_type.model}_history",
                          args=[obj.object_id])
        except NoReverseMatch:
            return shown
        return format_html('<a href="{}">{}</a>', url, shown)

    @admin.display(description=_("details"))
    def details(self, obj):
        model = obj.content_type.model_class()
        lines = describe_event(obj, model) if model is not None else []
        return format_html("<br>".join(["{}"] * len(lines)), *lines) if lines else "—"
