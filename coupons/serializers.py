from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from coupons.models import Coupon
from loyalty.serializers import AmountInput, AnswerModelSerializer, Money, StrictSerializer


class BillLineSerializer(StrictSerializer):
    product = serializers.CharField(max_length=40, required=False, allow_blank=True, default="")
    category = serializers.CharField(max_length=40, required=False, allow_blank=True, default="")
    quantity = serializers.IntegerField(min_value=1, max_value=100000, required=False, default=1)
    amount = AmountInput(allow_zero=True, help_text=_("The line's total."))


class CouponSerializer(AnswerModelSerializer):
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


class CouponLookupAnswer(CouponSerializer):
    discount = Money(allow_null=True, help_text=_("What it takes off `bill_amount` here; null without one."))
    reason = serializers.CharField(read_only=True, allow_null=True)

    class Meta(CouponSerializer.Meta):
        fields = [*CouponSerializer.Meta.fields, "discount", "reason"]


class RedemptionAnswer(CouponSerializer):
    redemption = serializers.IntegerField(read_only=True)
    discount = Money()
    bill_amount = Money()

    class Meta(CouponSerializer.Meta):
        fields = [*CouponSerializer.Meta.fields, "redemption", "discount", "bill_amount"]


class CouponQuoteSerializer(serializers.Serializer):
    bill_amount = AmountInput(required=False, help_text=_("Also say what the coupon takes off this bill here."))


class RedeemSerializer(StrictSerializer):
    code = serializers.CharField(max_length=40, help_text=_("The code as typed or scanned; dashes are ignored."))
    bill_amount = AmountInput()
    lines = BillLineSerializer(many=True, required=False)
    payment_reference = serializers.CharField(max_length=64, required=False, allow_blank=True, default="")
