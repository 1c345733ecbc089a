from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from cards.timecards.models import TimeCard
from loyalty.serializers import AnswerModelSerializer, Money, StrictSerializer


class TimeCardSaleInputSerializer(StrictSerializer):
    member = serializers.IntegerField(min_value=1, help_text=_("The member's id (from a member lookup)."))
    tier = serializers.IntegerField(min_value=1, help_text=_("The time card tier's id."))


class TimeCardSerializer(AnswerModelSerializer):
    product_name = serializers.CharField(source="product.name")
    # Plain text here: the status names are described once, in the models.
    status = serializers.CharField()
    price_paid = Money()
    source = serializers.CharField()
    tier_name = serializers.CharField(source="tier.name")

    class Meta:
        model = TimeCard
        fields = ["id", "product", "product_name", "tier", "tier_name", "member", "status", "source", "days",
                  "price_paid", "starts_on", "ends_on", "created_at"]
