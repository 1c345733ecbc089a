"""Terminal API shared by every card kind: look a scanned card up, record a use (核销).

It knows no card app: the kinds registered in `loyalty.usable_cards.card_kinds` find, describe and use their
cards. Every query is scoped to the calling terminal's merchant, and the use is recorded at its store.
"""

from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import OpenApiExample
from rest_framework import serializers, status
from rest_framework.response import Response

from loyalty import errors
from loyalty.api_contract import ContractView, contract
from loyalty.idempotency import idempotent
from loyalty.serializers import StrictSerializer
from loyalty.usable_cards import (
    CARD_CODE_EXPIRED,
    CARD_CODE_INVALID,
    CARD_USE_COUNT_INVALID,
    MAX_USES_AT_ONCE,
    card_kinds,
    find_card,
)

# Each kind's summary adds fields of its own (uses_left, days_left ...): the member app's codes too.
LOOKUP_ERRORS = [errors.REQUIRED, errors.INVALID, CARD_CODE_INVALID, CARD_CODE_EXPIRED]


def use_errors() -> list[str]:
    """What registered kinds may refuse a use for (known once every app is ready)."""
    return [code for kind in card_kinds.all() for code in kind.error_codes]


def _code_field():
    return serializers.CharField(max_length=120, help_text=_("The code scanned from the member's card."))


class CardCodeSerializer(serializers.Serializer):
    code = _code_field()


class CardUseInputSerializer(StrictSerializer):
    code = _code_field()
    count = serializers.IntegerField(min_value=1, max_value=MAX_USES_AT_ONCE, default=1,
                                     help_text=_("How many uses to record at once."))
    used_by_phone = serializers.CharField(max_length=20, required=False, allow_blank=True, default="",
                                          help_text=_("A co-user's phone, if a co-user uses the card."))
    identity_confirmed = serializers.BooleanField(default=False, help_text=_(
        "The cashier compared the card's photo with the person (cards that ask for it)."))


class CardSummarySerializer(serializers.Serializer):
    """What every kind says about a card, plus the typed fields each registered kind adds (only on its cards)."""

    kind = serializers.CharField()
    card = serializers.IntegerField()
    name = serializers.CharField()
    member = serializers.IntegerField()
    member_name = serializers.CharField()
    member_phone = serializers.CharField(help_text=_("Masked."))
    remaining = serializers.CharField()
    validity = serializers.CharField()
    status = serializers.CharField()
    usable = serializers.BooleanField()

    def get_fields(self):
        fields = super().get_fields()
        for kind in card_kinds.all():
            for name, field in kind.answer_fields().items():
                field.required = False  # present on the cards of its kind only
                fields.setdefault(name, field)
        return fields


class RecordedUseSerializer(serializers.Serializer):
    kind = serializers.CharField()
    use = serializers.IntegerField()
    count = serializers.IntegerField()
    card = CardSummarySerializer()


class CardLookupView(ContractView):
    """What a scanned card is, whose, and what is left on it: shown to the cashier before confirming a use."""

    tag = "cards"

    @contract(parameters=[CardCodeSerializer], responses=CardSummarySerializer, operation_id="cards_lookup",
              errors=LOOKUP_ERRORS)
    def get(self, request):
        params = CardCodeSerializer(data=request.query_params)
        params.is_valid(raise_exception=True)
        kind, card = find_card(request.auth.merchant, params.validated_data["code"])
        return Response(CardSummarySerializer(kind.summary(card).as_dict()).data)


class CardUseView(ContractView):
    """Record a use of a card (punch card, time card ...) at the terminal's store. Idempotent."""

    tag = "cards"

    @contract(request=CardUseInputSerializer, responses={201: RecordedUseSerializer}, operation_id="cards_use",
              errors=[*LOOKUP_ERRORS, CARD_USE_COUNT_INVALID], more_errors=use_errors, idempotent=True,
              examples=[OpenApiExample("Two uses of a punch card", request_only=True,
                                       value={"code": "CPUNCH-12.5871234.ABCDEFGHIJKLMNOP", "count": 2})])
    @idempotent
    def post(self, request):
        terminal = request.auth
        data = CardUseInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = data.validated_data
        kind, card = find_card(terminal.merchant, values["code"])
        recorded = kind.record_use(card, count=values["count"], store=terminal.store, terminal=terminal,
                                   used_by_phone=values["used_by_phone"],
                                   identity_confirmed=values["identity_confirmed"])
        return Response(RecordedUseSerializer(recorded.as_dict()).data, status=status.HTTP_201_CREATED)
