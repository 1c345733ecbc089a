"""What the gift card API reads and answers. Amounts are strings with two places; a code is never echoed whole."""

from __future__ import annotations

from rest_framework import serializers

from cards.giftcards.models import FaceValue, GiftCard


class BalanceLookupSerializer(serializers.Serializer):
    code = serializers.CharField(max_length=40, help_text="The code on the card, with or without dashes.")


def card_balance_body(card: GiftCard, *, store) -> dict:
    stores = set(FaceValue.stores.through.objects.filter(facevalue_id=card.face_value_id)
                 .values_list("store_id", flat=True))
    return {"card": card.masked_code, "theme": card.theme.name, "face_value": card.face_value.name,
            "status": card.status, "balance": f"{card.balance:.2f}",
            "expires_at": card.expires_at.isoformat() if card.expires_at else None,
            "accepted_here": not stores or store.pk in stores}
