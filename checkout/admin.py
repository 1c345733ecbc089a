"""Staff screens for checkout: settings, payments with their lines, refunds, reward rules and what they gave."""

from __future__ import annotations

from django.contrib import admin, messages
from django.db import models
from django.utils.translation import gettext_lazy as _

from checkout import events, services
from checkout.models import (
    CheckoutSettings,
    Payment,
    PaymentAdjustment,
    PaymentTender,
    Refund,
    RefundLine,
    RewardGrant,
    RewardRule,
    RewardRuleBenefit,
    WebhookDelivery,
)
from loyalty import benefits
from loyalty.admin import ChangeEventsAdmin
from loyalty.benefit_admin import BenefitLineInline, BenefitOwnerAdminMixin
from loyalty.tenancy import MerchantScopedAdmin, MerchantScopedInline, ReadOnlyAdminMixin


@admin.register(CheckoutSettings)
class CheckoutSettingsAdmin(ChangeEventsAdmin, MerchantScopedAdmin):
    change_event = staticmethod(events.checkout_settings_changed)
    event_hidden_fields = ("webhook_secret",)
    list_display = ["merchant", "level_discount_stacks", "points_stack", "coupons_stack", "random_reduction_enabled",
                    "bonus_counts_for_points"]

    def has_delete_permission(self, request, obj=None):
        return False


class AdjustmentInline(ReadOnlyAdminMixin, MerchantScopedInline):
    model = PaymentAdjustment
    fields = ["position", "kind", "amount", "description"]
    extra = 0


class TenderInline(ReadOnlyAdminMixin, MerchantScopedInline):
    model = PaymentTender
    fields = ["kind", "amount", "refunded"]
    extra = 0


@admin.register(Payment)
class PaymentAdmin(ReadOnlyAdminMixin, MerchantScopedAdmin):
    list_display = ["number", "created_at", "store", "cashier_login", "member", "source", "status", "bill_amount",
                    "discount_total", "amount_due", "refunded_amount", "channel", "trade_no", "merchant"]
    list_filter = ["status", "source", "store", "merchant"]
    search_fields = ["number", "trade_no", "bill_id", "member__phone"]
    date_hierarchy = "created_at"
    inlines = [AdjustmentInline, TenderInline]
    list_select_related = ["store", "member", "cashier__user"]
    csv_fields = ["number", "created_at", "store", "cashier_login", "member_phone", "member_name", "source", "status",
                  "bill_amount", "discount_total", "amount_due", "refunded_amount", "channel", "trade_no"]

    @admin.display(description=_("cashier"))
    def cashier_login(self, obj):
        """Who took it at the till (the settlement per cashier counts it under them); empty for self-pay."""
        return obj.cashier.user.get_username() if obj.cashier_id else ""

    @admin.display(description=_("member's phone"))
    def member_phone(self, obj):
        return obj.member.phone if obj.member_id else obj.payer_phone

    @admin.display(description=_("member"))
    def member_name(self, obj):
        return obj.member.name if obj.member_id else ""


class RefundLineInline(ReadOnlyAdminMixin, MerchantScopedInline):
    model = RefundLine
    fields = ["tender", "amount"]
    extra = 0


@admin.register(Refund)
class RefundAdmin(ReadOnlyAdminMixin, MerchantScopedAdmin):
    list_display = ["number", "created_at", "payment", "amount", "is_full", "points_returned", "points_taken_back",
                    "points_shortfall", "cashback_taken_back", "cashback_shortfall", "coupon_restored", "merchant"]
    list_filter = ["is_full", "merchant"]
    search_fields = ["number", "payment__number"]
    inlines = [RefundLineInline]


class RewardRuleBenefitInline(BenefitLineInline):
    model = RewardRuleBenefit


@admin.register(RewardRule)
class RewardRuleAdmin(ChangeEventsAdmin, BenefitOwnerAdminMixin, MerchantScopedAdmin):
    change_event = staticmethod(events.reward_rule_changed)
    list_display = ["name", "min_paid", "benefits_summary", "limit_per_store", "limit_total", "starts_at", "ends_at",
                    "is_active", "merchant"]
    list_filter = ["is_active", "merchant"]
    filter_horizontal = ["stores", "levels"]
    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}
    actions = ["export_csv", "copy_rules"]
    inlines = [RewardRuleBenefitInline]

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related("benefits")

    @admin.display(description=_("what it gives"))
    def benefits_summary(self, obj):
        return " · ".join(benefits.describe_lines(benefits.with_targets(obj.benefits.all()))) or "—"

    @admin.action(description=_("Copy the selected rules"))
    def copy_rules(self, request, queryset):
        copies = [services.copy_rule(rule) for rule in queryset.order_by("pk")]
        self.message_user(request, _("%(count)d rules copied; the copies are inactive until you switch them on.")
                          % {"count": len(copies)}, messages.SUCCESS)


@admin.register(RewardGrant)
class RewardGrantAdmin(ReadOnlyAdminMixin, MerchantScopedAdmin):
    list_display = ["created_at", "rule", "payment", "member", "phone", "store", "status", "points", "experience",
                    "coupon_code", "cashback", "merchant"]
    list_filter = ["status", "rule", "merchant"]
    list_select_related = ["rule", "payment", "member", "store"]


@admin.register(WebhookDelivery)
class WebhookDeliveryAdmin(ReadOnlyAdminMixin, MerchantScopedAdmin):
    list_display = ["received_at", "trade_no", "payment", "merchant"]
    search_fields = ["trade_no"]
