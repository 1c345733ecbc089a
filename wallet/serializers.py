from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from loyalty.serializers import AmountInput, AnswerModelSerializer, Money, StrictSerializer
from merchants.serializers import SummaryExtra
from wallet.models import Recharge
from wallet.services import wallet_summary


class WalletBalanceSerializer(serializers.Serializer):
    principal = Money(help_text=_("Stored value the member paid in."))
    bonus = Money(help_text=_("Stored value given on top of a recharge."))
    cashback = Money(help_text=_("The marketing wallet: cashback and red packets."))
    stored_value = Money(help_text=_("Principal and bonus together."))


class RechargeInputSerializer(StrictSerializer):
    member = serializers.IntegerField(min_value=1, help_text=_("The member's id (from a member lookup)."))
    amount = AmountInput(help_text=_("Cash received, e.g. 500.00."))


class RechargeSerializer(AnswerModelSerializer):
    member = serializers.PrimaryKeyRelatedField(read_only=True)
    store = serializers.PrimaryKeyRelatedField(read_only=True, allow_null=True)
    offer = serializers.CharField(source="offer.name", default=None, allow_null=True, read_only=True,
                                  help_text=_("The recharge offer it met, if any."))
    amount = Money()
    bonus_now = Money()
    bonus_scheduled = Money()

    class Meta:
        model = Recharge
        fields = ["id", "member", "store", "channel", "status", "amount", "bonus_now", "bonus_scheduled", "offer",
                  "points", "experience", "coupons_given", "created_at"]


class RechargeAnswer(RechargeSerializer):
    wallet = WalletBalanceSerializer(read_only=True, help_text=_("The member's balances after the recharge."))

    class Meta(RechargeSerializer.Meta):
        fields = [*RechargeSerializer.Meta.fields, "wallet"]


def read_wallet(member) -> dict:
    return WalletBalanceSerializer(wallet_summary(member)).data


# Added to what a terminal's member lookup answers.
wallet_summary_extra = SummaryExtra("wallet", WalletBalanceSerializer, read_wallet)
