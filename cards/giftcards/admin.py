"""Staff screens for gift cards: settings, face values, themes (with the centre's link and QR code), purchases
(获取明细, exported as CSV or Excel by the shared export actions), cards with their history and figures, the ledger."""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from cards.giftcards import events, services
from cards.giftcards.models import (
    FaceValue,
    GiftCard,
    GiftCardEntry,
    GiftCardPurchase,
    GiftCardSettings,
    GiftCardTransfer,
    GiftCardUse,
    Theme,
)
from loyalty.admin import ChangeEventsAdmin, EventHistoryAdmin
from loyalty.errors import DomainError
from loyalty.tenancy import (
    MerchantScopedAdmin,
    MerchantScopedInline,
    ReadOnlyAdminMixin,
    scope_queryset,
    sees_figures,
    staff_merchant,
)


def _centre_links(merchant) -> str:
    url = reverse("giftcards:centre", args=[merchant.slug])
    return format_html('<a href="{}" target="_blank">{}</a> · <a href="{}" target="_blank">{}</a>', url, url,
                       reverse("giftcards:centre-qr", args=[merchant.slug]), _("printable QR code"))


@admin.register(GiftCardSettings)
class GiftCardSettingsAdmin(ChangeEventsAdmin, MerchantScopedAdmin):
    change_event = staticmethod(events.gift_card_settings_changed)
    list_display = ["merchant", "transfers_allowed", "centre"]
    readonly_fields = ["centre", "legal_limits"]

    @admin.display(description=_("gift card centre"))
    def centre(self, obj):
        return _centre_links(obj.merchant) if obj.merchant_id else "—"

    @admin.display(description=_("legal limits"))
    def legal_limits(self, obj):
        limits = services.legal_limits()
        return _("anonymous cards at most %(anonymous)s and valid at least %(months)d months; named cards at most "
                 "%(named)s and never expire") % {"anonymous": limits.anonymous_max, "named": limits.named_max,
                                                  "months": limits.anonymous_min_months}

    def has_delete_permission(self, request, obj=None):
        return False


class FaceValueForm(forms.ModelForm):
    class Meta:
        model = FaceValue
        fields = ["merchant", "name", "amount", "price", "validity", "valid_until", "valid_months", "stores",
                  "needs_phone", "is_active"]

    def clean(self):
        cleaned = super().clean()
        if self.errors:
            return cleaned
        merchant = cleaned.get("merchant") or (self.instance.merchant if self.instance.merchant_id else None)
        names = ("name", "amount", "price", "validity", "valid_until", "valid_months", "needs_phone")
        candidate = FaceValue(merchant=merchant, **{name: cleaned.get(name) for name in names})
        try:
            services.check_face_value(candidate)
        except DomainError as error:
            self.add_error(error.field if error.field in self.fields else None, str(error.message))
        return cleaned


@admin.register(FaceValue)
class FaceValueAdmin(ChangeEventsAdmin, MerchantScopedAdmin):
    change_event = staticmethod(events.face_value_changed)
    form = FaceValueForm
    list_display = ["name", "merchant", "amount", "price", "validity", "needs_phone", "is_active"]
    list_filter = ["merchant", "validity", "needs_phone", "is_active"]
    filter_horizontal = ["stores"]


@admin.register(Theme)
class ThemeAdmin(ChangeEventsAdmin, MerchantScopedAdmin):
    change_event = staticmethod(events.theme_changed)
    list_display = ["name", "merchant", "position", "is_active", "centre"]
    list_filter = ["merchant", "is_active"]
    filter_horizontal = ["face_values"]
    readonly_fields = ["centre"]

    @admin.display(description=_("gift card centre"))
    def centre(self, obj):
        return _centre_links(obj.merchant) if obj.merchant_id else "—"


@admin.register(GiftCardPurchase)
class GiftCardPurchaseAdmin(ReadOnlyAdminMixin, MerchantScopedAdmin):
    """获取明细: who bought what, when, for how much; the cards each purchase made and where they stand."""

    list_display = ["pk", "created_at", "merchant", "buyer", "buyer_phone", "theme", "face_value", "quantity",
                    "unit_price", "total", "status", "paid_at", "card_statuses"]
    list_filter = ["merchant", "status", "theme", "face_value", ("created_at", admin.DateFieldListFilter)]
    search_fields = ["buyer__phone", "buyer__name"]
    csv_fields = ["pk", "created_at", "buyer", "buyer_phone", "theme", "face_value", "quantity", "unit_price", "total",
                  "status", "paid_at", "card_statuses"]
    list_select_related = ["buyer", "theme", "face_value"]

    @admin.display(description=_("buyer's phone"))
    def buyer_phone(self, obj):
        return obj.buyer.phone

    @admin.display(description=_("cards"))
    def card_statuses(self, obj):
        return ", ".join(f"{card.masked_code} {card.get_status_display()}" for card in obj.cards.all())

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related("cards")


class EntryInline(ReadOnlyAdminMixin, MerchantScopedInline):
    model = GiftCardEntry
    fields = ["created_at", "reason", "delta", "balance_after", "reference", "store", "staff", "terminal"]
    readonly_fields = fields
    extra = 0
    ordering = ["created_at", "pk"]
    verbose_name_plural = _("history of the balance")


class UseInline(ReadOnlyAdminMixin, MerchantScopedInline):
    model = GiftCardUse
    fields = ["created_at", "reference", "store", "amount", "refunded"]
    readonly_fields = fields
    extra = 0


class BuyerFilter(admin.SimpleListFilter):
    """Cards by who bought them: the merchant's buyers only, the most recent first."""

    title = _("buyer")
    parameter_name = "buyer"

    def lookups(self, request, model_admin):
        purchases = scope_queryset(GiftCardPurchase.objects.all(), request.user).order_by("-created_at")
        seen = {}
        for buyer_id, name, phone in purchases.values_list("buyer_id", "buyer__name", "buyer__phone")[:500]:
            seen.setdefault(buyer_id, f"{name or phone} ({phone})")
        return list(seen.items())[:50]

    def queryset(self, request, queryset):
        value = self.value()
        return queryset.filter(purchase__buyer_id=value) if value and value.isdigit() else queryset


@admin.register(GiftCard)
class GiftCardAdmin(EventHistoryAdmin, ReadOnlyAdminMixin, MerchantScopedAdmin):
    """Cards by status, theme and buyer; a card's page shows its ledger and uses, its history page the events
    (bought, sent, claimed, activated, expired, voided)."""

    list_display = ["masked", "merchant", "theme", "face_value", "status", "balance", "buyer", "holder",
                    "holder_phone", "expires_at", "created_at"]
    list_filter = ["merchant", "status", "theme", "face_value", BuyerFilter, ("expires_at", admin.DateFieldListFilter)]
    search_fields = ["purchase__buyer__phone", "holder__phone", "holder_phone", "code"]
    csv_fields = ["masked", "theme", "face_value", "status", "initial_amount", "balance", "buyer", "holder",
                  "holder_phone", "transfers", "activated_at", "expires_at", "last_used_at", "created_at"]
    list_select_related = ["theme", "face_value", "holder", "purchase__buyer"]
    fields = ["masked", "theme", "face_value", "purchase", "previous", "holder", "holder_phone", "status",
              "initial_amount", "balance", "transfers", "activated_at", "expires_at", "last_used_at", "created_at"]
    readonly_fields = fields
    inlines = [EntryInline, UseInline]
    actions = ["export_csv", "export_xlsx", "void_cards"]
    change_list_template = "admin/giftcards/giftcard/change_list.html"

    @admin.display(description=_("card number"), ordering="code")
    def masked(self, obj):
        return obj.masked_code

    @admin.display(description=_("buyer"))
    def buyer(self, obj):
        return obj.purchase.buyer

    @admin.action(description=_("Void selected cards (what they hold is written off)"),
                  permissions=["void"])
    def void_cards(self, request, queryset):
        done = 0
        for card in queryset:
            try:
                services.void_card(card, staff=request.user, reason=_("voided in the admin"))
            except DomainError as error:
                self.message_user(request, f"{card.masked_code}: {error.message}", messages.ERROR)
            else:
                done += 1
        if done:
            self.message_user(request, _("%(count)d cards voided.") % {"count": done}, messages.SUCCESS)

    def has_void_permission(self, request):
        return request.user.has_perm("giftcards.change_giftcard")

    def changelist_view(self, request, extra_context=None):
        extra = dict(extra_context or {})
        if sees_figures(request.user):
            merchant = staff_merchant(request.user)
            extra["figures"] = services.gift_card_figures(merchant.pk if merchant else None)
        return super().changelist_view(request, extra)


@admin.register(GiftCardEntry)
class GiftCardEntryAdmin(ReadOnlyAdminMixin, MerchantScopedAdmin):
    list_display = ["created_at", "merchant", "card", "reason", "delta", "balance_after", "reference", "store"]
    list_filter = ["merchant", "reason", "store"]
    list_select_related = ["card__face_value", "store"]
    search_fields = ["reference"]


@admin.register(GiftCardUse)
class GiftCardUseAdmin(ReadOnlyAdminMixin, MerchantScopedAdmin):
    list_display = ["created_at", "merchant", "card", "reference", "store", "amount", "refunded"]
    list_filter = ["merchant", "store"]
    list_select_related = ["card__face_value", "store"]
    search_fields = ["reference"]


@admin.register(GiftCardTransfer)
class GiftCardTransferAdmin(ReadOnlyAdminMixin, MerchantScopedAdmin):
    list_display = ["created_at", "merchant", "card", "sender", "status", "receiver", "ended_at"]
    list_filter = ["merchant", "status"]
    list_select_related = ["card__face_value", "sender", "receiver"]
    exclude = ["token"]
