"""What the gift card API reads and answers. Amounts are strings with two places; a code is never echoed whole."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from cards.giftcards.models import FaceValue, GiftCard
from loyalty.serializers import AMOUNT_INPUT_PATTERN, Money, StrictSerializer, local_time


class BalanceLookupSerializer(StrictSerializer):
    code = serializers.CharField(max_length=40, help_text="The code on the card, with or without dashes.")


class BalanceAnswer(serializers.Serializer):
    card = serializers.CharField(help_text="The code, masked: only its last characters.")
    theme = serializers.CharField()
    face_value = serializers.CharField()
    status = serializers.ChoiceField(choices=GiftCard.Status.choices)
    balance = Money()
    expires_at = serializers.DateTimeField(allow_null=True, help_text="In the merchant's time zone; null: never.")
    accepted_here = serializers.BooleanField(help_text="Whether the card can be spent at this terminal's store.")


@extend_schema_field({"type": "array", "maxItems": 10, "items": {"oneOf": [
    {"type": "string", "description": "A gift card code."},
    {"type": "object", "additionalProperties": False, "required": ["code"], "properties": {
        "code": {"type": "string"}, "amount": {"type": "string", "pattern": AMOUNT_INPUT_PATTERN}}}]},
    "description": "Gift cards that pay part of the bill, in this order: codes, or {\"code\", \"amount\"} to draw "
                   "a card exactly as quoted (a card whose balance changed is refused)."})
class GiftCardsInput(serializers.JSONField):
    """The bill's `gift_cards`, read by the gift card tender (`parse_input`)."""


def card_balance_body(card: GiftCard, *, store) -> dict:
    stores = set(FaceValue.stores.through.objects.filter(facevalue_id=card.face_value_id)
                 .values_list("store_id", flat=True))
    return {"card": card.masked_code, "theme": card.theme.name, "face_value": card.face_value.name,
            "status": card.status, "balance": f"{card.balance:.2f}",
            "expires_at": local_time(card.expires_at) if card.expires_at else None,
            "accepted_here": not stores or store.pk in stores}
