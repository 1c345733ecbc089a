"""Staff screens for stored value: settings, offers, rules, wallets with the liability, cash recharges, refunds."""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from loyalty import benefits
from loyalty.admin import ChangeEventsAdmin
from loyalty.benefit_admin import BenefitLineInline, BenefitOwnerAdminMixin
from loyalty.errors import DomainError
from loyalty.tenancy import (
    MerchantScopedAdmin,
    ReadOnlyAdminMixin,
    scope_queryset,
    sees_figures,
    staff_merchant,
)
from merchants.models import Member, Store
from merchants.services import normalize_phone
from wallet import events, services
from wallet.models import (
    MAX_RECHARGE_COUPONS,
    BalanceTier,
    BonusInstalment,
    CashbackLot,
    CashbackRule,
    CashbackTakeBack,
    Recharge,
    RechargeOffer,
    RechargeOfferBenefit,
    RedPacketCampaign,
    RedPacketClaim,
    Wallet,
    WalletDebit,
    WalletEntry,
    WalletSettings,
)


class WalletSettingsForm(forms.ModelForm):
    class Meta:
        model = WalletSettings
        fields = ["merchant", "stored_value_enabled", "draw_order", "offers_after_payment", "max_recharge",
                  "balance_tier_stacks", "cashback_expiry_days"]

    def clean(self):
        cleaned = super().clean()
        # self.instance still holds the saved values here: turning off is checked against them. The
        # admin saves in the same transaction, so the lock keeps a recharge from slipping in between.
        if self.instance.pk and self.instance.stored_value_enabled and not cleaned.get("stored_value_enabled"):
            try:
                services.settings_for_update(self.instance.merchant)
                services.check_stored_value_can_be_turned_off(self.instance.merchant)
            except DomainError as error:
                self.add_error("stored_value_enabled", str(error.message))
        return cleaned


@admin.register(WalletSettings)
class WalletSettingsAdmin(ChangeEventsAdmin, MerchantScopedAdmin):
    change_event = staticmethod(events.wallet_settings_changed)
    form = WalletSettingsForm
    list_display = ["merchant", "stored_value_enabled", "draw_order", "offers_after_payment", "max_recharge"]

    def has_delete_permission(self, request, obj=None):
        return False


class OfferBenefitsFormSet(forms.BaseInlineFormSet):
    def clean(self):
        super().clean()
        # Items handed out one by one (coupons) are five at most in all, whatever their kinds.
        total = sum(form.cleaned_data.get("quantity") or 0 for form in self.forms
                    if form.cleaned_data and not form.cleaned_data.get("DELETE")
                    and form.cleaned_data.get("kind") in benefits.benefits
                    and benefits.kind_of(form.cleaned_data["kind"]).counted)
        if total > MAX_RECHARGE_COUPONS:
            raise ValidationError(_("A recharge offer gives at most %(most)s coupons in all.")
                                  % {"most": MAX_RECHARGE_COUPONS})


class OfferBenefitInline(BenefitLineInline):
    model = RechargeOfferBenefit
    formset = OfferBenefitsFormSet
    verbose_name_plural = _("what it gives besides the bonus (five coupons at most in all)")


@admin.register(RechargeOffer)
class RechargeOfferAdmin(ChangeEventsAdmin, BenefitOwnerAdminMixin, MerchantScopedAdmin):
    change_event = staticmethod(events.recharge_offer_changed)
    list_display = ["name", "pay_amount", "bonus_kind", "bonus_value", "monthly_bonus", "monthly_bonus_months",
                    "benefits_summary", "starts_at", "ends_at", "is_active", "merchant"]
    list_filter = ["is_active", "merchant"]
    inlines = [OfferBenefitInline]

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related("benefits")

    @admin.display(description=_("what it gives"))
    def benefits_summary(self, obj):
        return " · ".join(benefits.describe_lines(benefits.with_targets(obj.benefits.all()))) or "—"


@admin.register(BalanceTier)
class BalanceTierAdmin(ChangeEventsAdmin, MerchantScopedAdmin):
    change_event = staticmethod(events.balance_tier_changed)
    list_display = ["min_balance", "discount_percent", "starts_at", "ends_at", "is_active", "merchant"]
    list_filter = ["is_active", "merchant"]


@admin.register(CashbackRule)
class CashbackRuleAdmin(ChangeEventsAdmin, MerchantScopedAdmin):
    change_event = staticmethod(events.cashback_rule_changed)
    list_display = ["__str__", "store", "level", "percent", "cap_per_payment", "expiry_days", "is_active",
                    "merchant"]
    list_filter = ["is_active", "store", "merchant"]


@admin.register(RedPacketCampaign)
class RedPacketCampaignAdmin(ChangeEventsAdmin, MerchantScopedAdmin):
    change_event = staticmethod(events.red_packet_campaign_changed)
    list_display = ["name", "trigger", "amount_kind", "amount", "max_amount", "budget", "spent", "per_member_limit",
                    "is_active", "merchant"]
    list_filter = ["trigger", "is_active", "merchant"]
    readonly_fields = ["spent", "campaign_link"]

    @admin.display(description=_("campaign link"))
    def campaign_link(self, obj):
        if obj.pk is None or obj.trigger != RedPacketCampaign.Trigger.LINK:
            return "—"
        return reverse("wallet:red-packet", args=[obj.merchant.slug, obj.link_token])


class ReadOnlyScopedAdmin(ReadOnlyAdminMixin, MerchantScopedAdmin):
    """Rows written by the wallet services only."""


@admin.register(Wallet)
class WalletAdmin(ReadOnlyScopedAdmin):
    list_display = ["member", "principal", "bonus", "cashback", "recharged_total", "merchant"]
    search_fields = ["member__phone", "member__name"]
    list_select_related = ["member"]
    change_list_template = "wallet/admin/wallet_changelist.html"

    def changelist_view(self, request, extra_context=None):
        # The liability is a figure of the business: owners, managers and the operator read it, cashiers do not.
        merchant = staff_merchant(request.user)
        if not sees_figures(request.user):
            extra = {"liability": None}
        elif merchant is not None:
            extra = {"liability": services.liability(merchant)}
        else:
            extra = {"liability": services.liability() if request.user.is_superuser else None}
        return super().changelist_view(request, {**(extra_context or {}), **extra})


@admin.register(WalletEntry)
class WalletEntryAdmin(ReadOnlyScopedAdmin):
    list_display = ["created_at", "wallet", "pocket", "delta", "balance_after", "reason", "reference", "store",
                    "staff", "merchant"]
    list_filter = ["pocket", "reason", "store", "merchant"]
    search_fields = ["reference", "wallet__member__phone"]
    list_select_related = ["wallet__member", "store", "staff"]
    date_hierarchy = "created_at"


class CashRechargeForm(forms.Form):
    phone = forms.CharField(label=_("member's mobile number"), max_length=20)
    store = forms.ModelChoiceField(label=_("store"), queryset=Store.objects.none())
    amount = forms.CharField(label=_("cash received"), max_length=20)

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["store"].queryset = scope_queryset(Store.objects.all(), user)
        profile = getattr(user, "staff_profile", None)
        if profile is not None and profile.store_id:
            self.fields["store"].initial = profile.store_id


@admin.register(Recharge)
class RechargeAdmin(ReadOnlyScopedAdmin):
    list_display = ["created_at", "member", "store", "channel", "status", "amount", "bonus_now", "bonus_scheduled",
                    "coupons_given", "principal_left", "bonus_left", "refund_link", "merchant"]
    list_filter = ["status", "channel", "store", "merchant"]
    search_fields = ["member__phone"]
    list_select_related = ["member", "store"]
    date_hierarchy = "created_at"
    change_list_template = "wallet/admin/recharge_changelist.html"

    def get_urls(self):
        return [
            path("record/", self.admin_site.admin_view(self.record_view), name="wallet_recharge_record"),
            path("<int:pk>/refund/", self.admin_site.admin_view(self.refund_view), name="wallet_recharge_refund"),
            *super().get_urls(),
        ]

    @admin.display(description=_("refund"))
    def refund_link(self, obj):
        if obj.status not in (Recharge.Status.PAID, Recharge.Status.REFUNDED) or not (
                obj.principal_left or obj.bonus_left):
            return "—"
        return format_html('<a href="{}">{}</a>', reverse("admin:wallet_recharge_refund", args=[obj.pk]),
                           _("Refund…"))

    def record_view(self, request):
        """现金充值: a cashier records cash taken at the counter."""
        merchant = staff_merchant(request.user)
        if merchant is None or not request.user.has_perm("wallet.add_recharge"):
            raise PermissionDenied
        form = CashRechargeForm(request.POST or None, user=request.user)
        if request.method == "POST" and form.is_valid():
            try:
                phone = normalize_phone(form.cleaned_data["phone"])
            except DomainError as error:
                phone = None
                form.add_error("phone", str(error.message))
            member = Member.objects.filter(merchant=merchant, phone=phone).first() if phone else None
            if member is None and phone:
                form.add_error("phone", _("No member has this mobile number."))
            else:
                try:
                    done = services.recharge(member, form.cleaned_data["amount"], store=form.cleaned_data["store"],
                                             staff=request.user)
                except DomainError as error:
                    form.add_error("amount" if error.field == "amount" else None, str(error.message))
                else:
                    self.message_user(request, _("Recharged %(amount)s for %(member)s, bonus %(bonus)s.") % {
                        "amount": done.amount, "member": member, "bonus": done.bonus_now}, messages.SUCCESS)
                    return redirect("admin:wallet_recharge_changelist")
        context = {**self.admin_site.each_context(request), "form": form, "title": _("Record a cash recharge"),
                   "opts": self.model._meta}
        return TemplateResponse(request, "wallet/admin/record_recharge.html", context)

    def refund_view(self, request, pk):
        """Refund a recharge: the rules and the amounts are shown, then staff confirm."""
        if not request.user.has_perm("wallet.refund_recharge"):
            raise PermissionDenied
        found = get_object_or_404(self.get_queryset(request), pk=pk)
        preview = services.refund_preview(found)
        if request.method == "POST":
            try:
                done = services.refund_recharge(found, staff=request.user)
            except DomainError as error:
                self.message_user(request, str(error.message), messages.ERROR)
            else:
                self.message_user(request, _("Refunded: pay %(principal)s back to the member; bonus %(bonus)s "
                                             "taken back; %(coupons)s coupons voided.") % {
                    "principal": done.principal, "bonus": done.bonus_taken_back, "coupons": done.coupons_voided},
                    messages.SUCCESS)
            return redirect("admin:wallet_recharge_changelist")
        context = {**self.admin_site.each_context(request), "recharge": found, "preview": preview,
                   "title": _("Refund a recharge"), "opts": self.model._meta}
        return TemplateResponse(request, "wallet/admin/refund_recharge.html", context)


@admin.register(BonusInstalment)
class BonusInstalmentAdmin(ReadOnlyScopedAdmin):
    list_display = ["recharge", "sequence", "due_date", "amount", "status", "paid_at", "merchant"]
    list_filter = ["status", "merchant"]


@admin.register(CashbackLot)
class CashbackLotAdmin(ReadOnlyScopedAdmin):
    list_display = ["created_at", "wallet", "source", "reference", "amount", "remaining", "expires_at", "expired",
                    "merchant"]
    list_filter = ["source", "expired", "merchant"]
    search_fields = ["reference", "wallet__member__phone"]


@admin.register(CashbackTakeBack)
class CashbackTakeBackAdmin(ReadOnlyScopedAdmin):
    list_display = ["created_at", "wallet", "reference", "lot", "taken", "shortfall", "merchant"]
    search_fields = ["reference", "wallet__member__phone"]


@admin.register(WalletDebit)
class WalletDebitAdmin(ReadOnlyScopedAdmin):
    list_display = ["created_at", "wallet", "reference", "amount", "principal", "bonus", "cashback", "store",
                    "merchant"]
    search_fields = ["reference"]
    exclude = ["sources"]


@admin.register(RedPacketClaim)
class RedPacketClaimAdmin(ReadOnlyScopedAdmin):
    list_display = ["claimed_at", "campaign", "member", "amount", "merchant"]
    list_filter = ["campaign", "merchant"]
