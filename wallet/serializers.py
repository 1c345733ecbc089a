from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from loyalty.serializers import AmountInput as _AmountInput
from wallet.models import Recharge
from wallet.services import wallet_summary


@extend_schema_field({"type": "string", "format": "decimal", "example": "100.00"})
class AmountInput(_AmountInput):
    """The shared amount field, described in the API schema as a decimal string."""


class WalletBalanceSerializer(serializers.Serializer):
    principal = serializers.DecimalField(max_digits=14, decimal_places=2)
    bonus = serializers.DecimalField(max_digits=14, decimal_places=2)
    cashback = serializers.DecimalField(max_digits=14, decimal_places=2)
    stored_value = serializers.DecimalField(max_digits=14, decimal_places=2)


class RechargeInputSerializer(serializers.Serializer):
    member = serializers.IntegerField(min_value=1, help_text=_("The member's id (from a member lookup)."))
    amount = AmountInput(help_text=_("Cash received, e.g. 500.00."))


class RechargeSerializer(serializers.ModelSerializer):
    member = serializers.PrimaryKeyRelatedField(read_only=True)
    store = serializers.PrimaryKeyRelatedField(read_only=True)
    offer = serializers.CharField(source="offer.name", default=None)

    class Meta:
        model = Recharge
        fields = ["id", "member", "store", "channel", "status", "amount", "bonus_now", "bonus_scheduled", "offer",
                  "points", "experience", "coupons_given", "created_at"]


def wallet_summary_extra(member) -> dict:
    """Added to what a terminal's member lookup answers."""
    return {"wallet": WalletBalanceSerializer(wallet_summary(member)).data}
