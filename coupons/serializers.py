from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from coupons.models import Coupon
from loyalty.serializers import AmountInput as _AmountInput


@extend_schema_field({"type": "string", "format": "decimal", "example": "12.50"})
class AmountInput(_AmountInput):
    """The shared amount field, described in the API schema as a decimal string."""


class BillLineSerializer(serializers.Serializer):
    product = serializers.CharField(max_length=40, required=False, allow_blank=True, default="")
    category = serializers.CharField(max_length=40, required=False, allow_blank=True, default="")
    quantity = serializers.IntegerField(min_value=1, max_value=100000, required=False, default=1)
    amount = AmountInput(allow_zero=True, help_text=_("The line's total."))


class CouponSerializer(serializers.ModelSerializer):
    """What a terminal sees of a coupon."""

    name = serializers.CharField(source="template.name")
    kind = serializers.CharField(source="template.kind")
    stackable = serializers.BooleanField(source="template.stackable")
    member = serializers.PrimaryKeyRelatedField(read_only=True)
    display_code = serializers.CharField()

    class Meta:
        model = Coupon
        fields = ["id", "code", "display_code", "name", "kind", "stackable", "state", "member", "valid_from",
                  "valid_until", "used_at"]


class CouponQuoteSerializer(serializers.Serializer):
    bill_amount = AmountInput(required=False)
    lines = BillLineSerializer(many=True, required=False)


class RedeemSerializer(serializers.Serializer):
    code = serializers.CharField(max_length=40, help_text=_("The code as typed or scanned; dashes are ignored."))
    bill_amount = AmountInput()
    lines = BillLineSerializer(many=True, required=False)
    payment_reference = serializers.CharField(max_length=64, required=False, allow_blank=True, default="")
