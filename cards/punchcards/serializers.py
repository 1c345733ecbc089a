from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from cards.punchcards.models import PunchCard
from loyalty.serializers import AnswerModelSerializer, Money, StrictSerializer


class PunchCardSaleInputSerializer(StrictSerializer):
    member = serializers.IntegerField(min_value=1, help_text=_("The member's id (from a member lookup)."))
    product = serializers.IntegerField(min_value=1, help_text=_("The punch card product's id."))


class PunchCardSerializer(AnswerModelSerializer):
    product_name = serializers.CharField(source="product.name")
    # Plain text here: the status names are described once, in the models.
    status = serializers.CharField()
    price_paid = Money()
    source = serializers.CharField()

    class Meta:
        model = PunchCard
        fields = ["id", "product", "product_name", "member", "status", "source", "unlimited", "uses_total",
                  "uses_left", "price_paid", "valid_from", "valid_until", "created_at"]
