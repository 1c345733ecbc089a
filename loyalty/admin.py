import re

from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from loyalty.models import GatewayPayment, IdempotencyRecord, OutboxMessage
from loyalty.tenancy import MerchantScopedAdmin, ReadOnlyAdminMixin, is_platform_operator

_DIGIT_RUN = re.compile(r"\d{4,8}")


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
