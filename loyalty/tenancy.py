"""Tenancy for the admin: staff see and touch only their merchant's rows; a superuser sees all.

Every admin class derives from `MerchantScopedAdmin` (inlines from `MerchantScopedInline`). It knows
one convention and no business: a staff user's merchant is `user.staff_profile.merchant`, and a
merchant-owned model has a `merchant` foreign key (or names its path in `merchant_lookup`).
"""

from __future__ import annotations

from django.contrib import admin
from django.contrib.admin.filters import RelatedFieldListFilter
from django.core.exceptions import PermissionDenied
from django.db import models
from django.http import Http404
from django.utils import timezone
from django.utils.text import slugify
from django.utils.translation import gettext_lazy as _

from loyalty import exports

MERCHANT_MODEL_LABEL = "merchants.Merchant"
# Who reads the business's figures (totals, rates, liabilities, performance columns, charts) and exports lists:
# owners and managers hold it, cashiers do not (loyalty.models.Event's Meta declares it).
FIGURES_PERMISSION = "loyalty.view_figures"


def staff_merchant(user):
    """The merchant this user works for, or None for superusers and for users with no merchant."""
    if user is None or not user.is_authenticated:
        return None
    profile = getattr(user, "staff_profile", None)
    return profile.merchant if profile is not None else None


def sees_figures(user) -> bool:
    """Whether `user` may see money figures and reports and take lists home as files."""
    return bool(user and user.is_active and user.has_perm(FIGURES_PERMISSION))


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

    def get_actions(self, request):
        actions = super().get_actions(request)
        if "export_csv" in actions and "export_xlsx" not in actions:
            actions["export_xlsx"] = self.get_action("export_xlsx")
        return actions

    def has_export_permission(self, request) -> bool:
        return sees_figures(request.user)

    def get_export_columns(self, request) -> list[exports.Column]:
        """The columns of this list's files: `csv_fields` (times in the merchant's zone), then every column other
        apps give this model (`loyalty.exports.export_columns`)."""
        columns = [self._export_column(name) for name in self.get_csv_fields()]
        merchant = staff_merchant(request.user)
        for entry in exports.extra_columns_for(self.model):
            columns += entry.columns(merchant)
        return columns

    def get_export_queryset(self, request, queryset):
        relations = [name for name in self.get_csv_fields() if self._is_relation(name)]
        if isinstance(self.list_select_related, list | tuple):
            relations += list(self.list_select_related)
        queryset = queryset.select_related(*relations) if relations else queryset
        for entry in exports.extra_columns_for(self.model):
            queryset = entry.annotate(queryset)
        return queryset

    def _is_relation(self, name: str) -> bool:
        try:
            field = self.model._meta.get_field(name)
        except Exception:  # noqa: BLE001 - a method column
            return False
        return field.many_to_one or field.one_to_one

    def _export_column(self, name: str) -> exports.Column:
        try:
            field = self.model._meta.pk if name == "pk" else self.model._meta.get_field(name)
        except Exception:  # noqa: BLE001 - a method column: use its own description or name
            attr = getattr(self, name)
            return exports.Column(str(getattr(attr, "short_description", name)), attr)
        header = str(field.verbose_name)
        if isinstance(field, models.DateTimeField):
            header = exports.time_header(header)
        display = f"get_{name}_display"

        def value(obj):
            if getattr(field, "choices", None) and hasattr(obj, display):
                return getattr(obj, display)()
            got = getattr(obj, name)
            return str(got) if isinstance(got, models.Model) else got

        return exports.Column(header, value)

    def _export(self, request, queryset, kind: str):
        if not self.has_export_permission(request):
            raise PermissionDenied
        columns = self.get_export_columns(request)
        objects = self.get_export_queryset(request, queryset).iterator(chunk_size=2000)
        filename = f"{slugify(self.model._meta.model_name)}-{timezone.localdate():%Y%m%d}"
        if kind == "xlsx":
            return exports.xlsx_response(filename, columns, objects, title=str(self.model._meta.verbose_name_plural))
        return exports.csv_response(filename, columns, objects)

    @admin.action(description=_("Export selected to CSV"), permissions=["export"])
    def export_csv(self, request, queryset):
        return self._export(request, queryset, "csv")

    @admin.action(description=_("Export selected to Excel"), permissions=["export"])
    def export_xlsx(self, request, queryset):
        return self._export(request, queryset, "xlsx")


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
