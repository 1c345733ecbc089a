"""Terminal API for time cards: a cash sale at the counter. Uses go through `POST /api/v1/cards/uses`."""

from django.shortcuts import get_object_or_404
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import status
from rest_framework.response import Response
from rest_framework.views import APIView

from cards.timecards import services
from cards.timecards.models import TimeCardTier
from cards.timecards.serializers import TimeCardSaleInputSerializer, TimeCardSerializer
from loyalty.idempotency import idempotent
from merchants.models import Member


class CashSaleView(APIView):
    """Sell a time card for cash at the terminal's store. Idempotent with an Idempotency-Key."""

    @extend_schema(request=TimeCardSaleInputSerializer, responses={201: TimeCardSerializer},
                   operation_id="time_cards_sell",
                   parameters=[OpenApiParameter("Idempotency-Key", str, OpenApiParameter.HEADER)])
    @idempotent
    def post(self, request):
        terminal = request.auth
        data = TimeCardSaleInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        member = get_object_or_404(Member, pk=data.validated_data["member"], merchant_id=terminal.merchant_id)
        tier = get_object_or_404(TimeCardTier.objects.select_related("product"), pk=data.validated_data["tier"],
                                 merchant_id=terminal.merchant_id)
        card = services.sell_card(tier, member, store=terminal.store, terminal=terminal)
        return Response(TimeCardSerializer(card).data, status=status.HTTP_201_CREATED)
