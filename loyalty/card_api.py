"""Terminal API shared by every card kind: look a scanned card up, record a use (核销).

It knows no card app: the kinds registered in `loyalty.usable_cards.card_kinds` find, describe and use their
cards. Every query is scoped to the calling terminal's merchant, and the use is recorded at its store.
"""

from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from loyalty.idempotency import idempotent
from loyalty.usable_cards import MAX_USES_AT_ONCE, find_card


class CardCodeSerializer(serializers.Serializer):
    code = serializers.CharField(max_length=120, help_text=_("The code scanned from the member's card."))


class CardUseInputSerializer(CardCodeSerializer):
    count = serializers.IntegerField(min_value=1, max_value=MAX_USES_AT_ONCE, default=1,
                                     help_text=_("How many uses to record at once."))
    used_by_phone = serializers.CharField(max_length=20, required=False, allow_blank=True, default="",
                                          help_text=_("A co-user's phone, if a co-user uses the card."))
    identity_confirmed = serializers.BooleanField(default=False, help_text=_(
        "The cashier compared the card's photo with the person (cards that ask for it)."))


class CardSummarySerializer(serializers.Serializer):
    """What every kind says about a card; kinds add their own fields (uses_left, days_left ...)."""

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


class RecordedUseSerializer(serializers.Serializer):
    kind = serializers.CharField()
    use = serializers.IntegerField()
    count = serializers.IntegerField()
    card = CardSummarySerializer()


class CardLookupView(APIView):
    """What a scanned card is, whose, and what is left on it: shown to the cashier before confirming a use."""

    @extend_schema(parameters=[CardCodeSerializer], responses=CardSummarySerializer, operation_id="cards_lookup")
    def get(self, request):
        params = CardCodeSerializer(data=request.query_params)
        params.is_valid(raise_exception=True)
        kind, card = find_card(request.auth.merchant, params.validated_data["code"])
        return Response(kind.summary(card).as_dict())


class CardUseView(APIView):
    """Record a use of a card (punch card, time card ...) at the terminal's store. Idempotent."""

    @extend_schema(request=CardUseInputSerializer, responses={201: RecordedUseSerializer}, operation_id="cards_use",
                   parameters=[OpenApiParameter("Idempotency-Key", str, OpenApiParameter.HEADER)])
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
        return Response(recorded.as_dict(), status=status.HTTP_201_CREATED)
