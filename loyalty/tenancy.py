"""Tenancy for the admin: staff see and touch only their merchant's rows; a superuser sees all.

Every admin class derives from `MerchantScopedAdmin` (inlines from `MerchantScopedInline`). It knows
one convention and no business: a staff user's merchant is `user.staff_profile.merchant`, and a
merchant-owned model has a `merchant` foreign key (or names its path in `merchant_lookup`).
"""

from __future__ import annotations

import csv

from django.contrib import admin
from django.contrib.admin.filters import RelatedFieldListFilter
from django.db import models
from django.http import Http404, StreamingHttpResponse
from django.utils import timezone
from django.utils.text import slugify
from django.utils.translation import gettext_lazy as _

MERCHANT_MODEL_LABEL = "merchants.Merchant"


def staff_merchant(user):
    """The merchant this user works for, or None for superusers and for users with no merchant."""
    if user is None or not user.is_authenticated:
        return None
    profile = getattr(user, "staff_profile", None)
    return profile.merchant if profile is not None else None


def is_platform_operator(user) -> bool:
    return bool(user and user.is_active and user.is_superuser)


def scope_queryset(queryset, user, lookup: str | None = None):
    """Limit `queryset` to what `user` may see: all for an operator, their merchant's rows, or nothing."""
    if is_platform_operator(user):
        return queryset
    merchant = staff_merchant(user)
    if merchant is None:
        return queryset.none()
    if lookup is None:
        lookup = _merchant_lookup(queryset.model)
        if lookup is None:
            return queryset.none()
    return queryset.filter(**{lookup: merchant.pk if lookup == "pk" else merchant})


def _merchant_lookup(model) -> str | None:
    if model._meta.label == MERCHANT_MODEL_LABEL:
        return "pk"
    explicit = getattr(model, "merchant_lookup", None)
    if explicit:
        return explicit
    try:
        model._meta.get_field("merchant")
    except Exception:  # noqa: BLE001 - FieldDoesNotExist: not a merchant-owned model
        return None
    return "merchant"


class ScopedRelatedFieldListFilter(RelatedFieldListFilter):
    """A list filter whose choices are the staff member's own merchant's rows only."""

    def field_choices(self, field, request, model_admin):
        related = scope_queryset(field.related_model._default_manager.all(), request.user)
        return [(obj.pk, str(obj)) for obj in related]


class _MerchantScopedMixin:
    merchant_lookup: str | None = None

    def _lookup(self):
        return self.merchant_lookup or _merchant_lookup(self.model)

    def get_queryset(self, request):
        return scope_queryset(super().get_queryset(request), request.user, self._lookup())

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        formfield = super().formfield_for_foreignkey(db_field, request, **kwargs)
        return self._scope_formfield(db_field, request, formfield)

    def formfield_for_manytomany(self, db_field, request, **kwargs):
        formfield = super().formfield_for_manytomany(db_field, request, **kwargs)
        return self._scope_formfield(db_field, request, formfield)

    def _scope_formfield(self, db_field, request, formfield):
        if formfield is None or is_platform_operator(request.user):
            return formfield
        formfield.queryset = scope_queryset(formfield.queryset, request.user)
        if db_field.related_model._meta.label == MERCHANT_MODEL_LABEL:
            # Staff never choose the merchant: it is theirs, shown but not editable, and kept in the
            # form so the database's unique constraints are checked as form errors, not crashes.
            formfield.initial = staff_merchant(request.user)
            formfield.disabled = True
        return formfield


class MerchantScopedAdmin(_MerchantScopedMixin, admin.ModelAdmin):
    """The base of every admin class. Subclasses may set `csv_fields` for the CSV export action."""

    actions = ["export_csv"]
    csv_fields: list[str] | None = None

    def save_model(self, request, obj, form, change):
        merchant = staff_merchant(request.user)
        if merchant is not None and hasattr(obj, "merchant_id") and self._lookup() == "merchant":
            obj.merchant = merchant
        super().save_model(request, obj, form, change)

    def get_list_display(self, request):
        shown = super().get_list_display(request)
        return shown if is_platform_operator(request.user) else [name for name in shown if name != "merchant"]

    def get_list_filter(self, request):
        filters = []
        for entry in super().get_list_filter(request):
            if entry == "merchant" and not is_platform_operator(request.user):
                continue
            if isinstance(entry, str) and "__" not in entry:
                field = self.model._meta.get_field(entry)
                if field.is_relation and field.related_model is not None:
                    entry = (entry, ScopedRelatedFieldListFilter)
            filters.append(entry)
        return filters

    def _get_obj_does_not_exist_redirect(self, request, opts, object_id):
        # Django redirects to the index for a missing object; another merchant's object must look
        # exactly like one that does not exist, and a 404 says so plainly.
        raise Http404(_("There is no such object."))

    def get_csv_fields(self) -> list[str]:
        if self.csv_fields:
            return list(self.csv_fields)
        names = {f.name for f in self.model._meta.concrete_fields}
        return [name for name in self.list_display if name in names] or ["pk"]

    @admin.action(description=_("Export selected to CSV"))
    def export_csv(self, request, queryset):
        fields = self.get_csv_fields()
        headers = []
        for name in fields:
            try:
                headers.append(str(self.model._meta.get_field(name).verbose_name))
            except Exception:  # noqa: BLE001 - a method column: use its own description or name
                headers.append(str(getattr(getattr(self, name, None), "short_description", name)))

        class Echo:
            def write(self, value):
                return value

        writer = csv.writer(Echo())

        def cell(obj, name):
            attr = getattr(self, name, None)
            value = attr(obj) if callable(attr) else getattr(obj, name)
            if isinstance(value, models.Model):
                return str(value)
            display = getattr(obj, f"get_{name}_display", None)
            return display() if callable(display) else ("" if value is None else value)

        def rows():
            yield "\ufeff"  # so spreadsheet programs read the Chinese text as UTF-8
            yield writer.writerow(headers)
            for obj in queryset.iterator(chunk_size=2000):
                yield writer.writerow([cell(obj, name) for name in fields])

        response = StreamingHttpResponse(rows(), content_type="text/csv; charset=utf-8")
        filename = f"{slugify(self.model._meta.model_name)}-{timezone.localdate():%Y%m%d}.csv"
        response["Content-Disposition"] = f'attachment; filename="{filename}"'
        return response


class MerchantScopedInline(_MerchantScopedMixin, admin.TabularInline):
    """Inlines are scoped like their parent admin."""


class MerchantScopedStackedInline(_MerchantScopedMixin, admin.StackedInline):
    """The same, for inline rows with more fields than a table row holds."""


class ReadOnlyAdminMixin:
    """For logs and ledgers: rows are written by services, never by hand."""

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False



class MerchantTimeZoneMiddleware:
    """Staff read the admin (its pages and CSV exports) in their merchant's time zone, the zone the API writes
    its timestamps in; operators and everyone else read the platform's `TIME_ZONE`. Only admin addresses: the
    user is loaded where the admin would load it anyway, so no other page pays a query for it."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        zone = None
        if request.path.startswith("/admin/"):
            zone = getattr(staff_merchant(getattr(request, "user", None)), "zone", None)
        if zone is None:
            return self.get_response(request)
        with timezone.override(zone):
            return self.get_response(request)
