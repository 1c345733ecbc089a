from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import FileResponse, Http404
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from cards.timecards import events, services
from cards.timecards.models import (
    IdentityPhoto,
    TimeCard,
    TimeCardProduct,
    TimeCardProductBenefit,
    TimeCardSettings,
    TimeCardTier,
    TimeCardUse,
)
from loyalty.admin import ChangeEventsAdmin, EventHistoryAdmin
from loyalty.benefit_admin import BenefitLineInline, BenefitOwnerAdminMixin
from loyalty.card_admin import CardActionsAdmin, CardProductFiguresAdmin
from loyalty.errors import DomainError
from loyalty.tenancy import MerchantScopedAdmin, MerchantScopedInline, ReadOnlyAdminMixin, scope_queryset
from merchants.models import Member, Store


@admin.register(TimeCardSettings)
class TimeCardSettingsAdmin(ChangeEventsAdmin, MerchantScopedAdmin):
    change_event = staticmethod(events.time_card_settings_changed)
    list_display = ["__str__", "refund_policy", "identity_check", "undo_minutes", "merchant"]

    def has_delete_permission(self, request, obj=None):
        return False


class TierInline(MerchantScopedInline):
    model = TimeCardTier
    fields = ["name", "days", "price", "daily_limit", "start_rule", "start_after_days", "activate_by", "on_sale"]
    extra = 1


class ProductBenefitInline(BenefitLineInline):
    model = TimeCardProductBenefit


@admin.register(TimeCardProduct)
class TimeCardProductAdmin(CardProductFiguresAdmin, ChangeEventsAdmin, BenefitOwnerAdminMixin, MerchantScopedAdmin):
    product_figures = staticmethod(services.product_figures)
    change_event = staticmethod(events.time_card_product_changed)
    list_display = ["name", "on_sale", "sold", "revenue", "uses_made", "active_holders", "liability", "merchant"]
    list_filter = ["on_sale", "merchant"]
    search_fields = ["name"]
    filter_horizontal = ["stores"]
    readonly_fields = ["figures"]
    fields = ["merchant", "name", "cover", "description", "stores", "on_sale", "figures"]
    inlines = [TierInline, ProductBenefitInline]

    def save_formset(self, request, form, formset, change):
        if formset.model is TimeCardTier:
            for tier in formset.save(commit=False):
                tier.merchant_id = form.instance.merchant_id
                tier.save()
            for tier in formset.deleted_objects:
                tier.delete()
            return None
        return super().save_formset(request, form, formset, change)


class SellForm(forms.Form):
    phone = forms.CharField(label=_("member's phone"), max_length=20)
    tier = forms.ModelChoiceField(label=_("time card tier"), queryset=TimeCardTier.objects.none())
    store = forms.ModelChoiceField(label=_("store"), queryset=Store.objects.none())

    def __init__(self, *args, user=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["tier"].queryset = scope_queryset(TimeCardTier.objects.select_related("product"), user)
        self.fields["store"].queryset = scope_queryset(Store.objects.all(), user)


@admin.register(TimeCard)
class TimeCardAdmin(CardActionsAdmin, EventHistoryAdmin, MerchantScopedAdmin):
    card_services = services
    refund_permission = "timecards.refund_timecard"
    list_display = ["pk", "product", "tier", "member", "status", "source", "days", "starts_on", "ends_on",
                    "price_paid", "store", "created_at", "merchant"]
    list_filter = ["status", "source", "product", "store", "merchant"]
    search_fields = ["member__phone", "member__name"]
    list_select_related = ["product", "tier", "member", "store"]
    date_hierarchy = "created_at"
    actions = ["export_csv", "void", "refund"]
    change_list_template = "timecards/admin/card_changelist.html"
    ordering = ["-pk"]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def get_readonly_fields(self, request, obj=None):
        return [f.name for f in self.model._meta.fields]

    def get_urls(self):
        return [path("sell/", self.admin_site.admin_view(self.sell_view), name="timecards_timecard_sell"),
                *super().get_urls()]

    def sell_view(self, request):
        """A cash sale at the counter: the period is placed after the member's running one."""
        if not request.user.has_perm("timecards.add_timecard"):
            raise PermissionDenied
        form = SellForm(request.POST or None, user=request.user)
        if request.method == "POST" and form.is_valid():
            tier, store = form.cleaned_data["tier"], form.cleaned_data["store"]
            member = Member.objects.filter(merchant_id=tier.merchant_id,
                                           phone=form.cleaned_data["phone"].strip()).first()
            if member is None:
                form.add_error("phone", _("There is no member with this phone."))
            else:
                try:
                    card = services.sell_card(tier, member, store=store, staff=request.user)
                except DomainError as error:
                    form.add_error(None, str(error.message))
                else:
                    self.message_user(request, _("%(card)s sold to %(member)s.") % {"card": card, "member": member},
                                      messages.SUCCESS)
                    return redirect("admin:timecards_timecard_change", card.pk)
        context = {**self.admin_site.each_context(request), "form": form, "title": _("Sell a time card"),
                   "opts": self.model._meta}
        return TemplateResponse(request, "timecards/admin/sell.html", context)


USE_COLUMNS = ["used_at", "used_on", "card", "product", "member", "store", "identity_confirmed", "staff",
               "terminal", "undone_at", "undone_by"]


@admin.register(TimeCardUse)
class TimeCardUseAdmin(ReadOnlyAdminMixin, MerchantScopedAdmin):
    """Usage detail (消费明细), exported as CSV or Excel."""

    list_display = USE_COLUMNS + ["merchant"]
    list_filter = ["product", "store", "identity_confirmed", "merchant"]
    search_fields = ["member__phone"]
    list_select_related = ["card__tier__product", "product", "member", "store", "staff", "terminal", "undone_by"]
    date_hierarchy = "used_at"
    csv_fields = USE_COLUMNS
    actions = ["export_csv", "undo"]  # Excel comes with the CSV export

    @admin.action(description=_("Undo the selected uses"))
    def undo(self, request, queryset):
        if not request.user.has_perm("timecards.undo_timecarduse"):
            raise PermissionDenied
        done = 0
        for use in queryset.select_related("card"):
            try:
                services.undo_use(use, staff=request.user)
                done += 1
            except DomainError as error:
                self.message_user(request, f"{use}: {error.message}", messages.WARNING)
        self.message_user(request, _("%(count)d use(s) undone.") % {"count": done}, messages.SUCCESS)


class PhotoForm(forms.ModelForm):
    class Meta:
        model = IdentityPhoto
        fields = ["merchant", "member", "product", "image"]


@admin.register(IdentityPhoto)
class IdentityPhotoAdmin(MerchantScopedAdmin):
    """Identity photos: a cashier adds one for a member who has none; staff see them, nobody else."""

    form = PhotoForm
    list_display = ["member", "product", "uploaded_by", "uploaded_at", "merchant"]
    search_fields = ["member__phone"]
    list_select_related = ["member", "product", "uploaded_by"]
    autocomplete_fields = ["member"]
    readonly_fields = ["preview"]

    def get_fields(self, request, obj=None):
        return ["merchant", "member", "product", "image"] if obj is None else ["member", "product", "preview"]

    def get_readonly_fields(self, request, obj=None):
        return [] if obj is None else ["member", "product", "preview"]

    def has_change_permission(self, request, obj=None):
        return obj is None and super().has_change_permission(request, obj)

    def save_model(self, request, obj, form, change):
        data = form.cleaned_data
        saved = services.save_photo(data["member"], data["product"], data["image"], staff=request.user)
        obj.pk, obj._state.adding = saved.pk, False

    @admin.display(description=_("photo"))
    def preview(self, obj):
        return format_html('<img src="{}" style="max-width:320px">', self._image_url(obj))

    @staticmethod
    def _image_url(obj):
        return reverse("admin:timecards_identityphoto_image", args=[obj.pk])

    def get_urls(self):
        return [path("<path:object_id>/image/", self.admin_site.admin_view(self.image_view),
                     name="timecards_identityphoto_image"), *super().get_urls()]

    def image_view(self, request, object_id):
        photo = self.get_object(request, object_id)
        if photo is None or not self.has_view_permission(request, photo):
            raise Http404
        response = FileResponse(photo.image.open("rb"))
        response["Cache-Control"] = "private, no-store"
        return response
