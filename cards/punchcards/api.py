"""Terminal API for punch cards: a cash sale at the counter. Uses go through `POST /api/v1/cards/uses`."""

from django.shortcuts import get_object_or_404
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import status
from rest_framework.response import Response
from rest_framework.views import APIView

from cards.punchcards import services
from cards.punchcards.models import PunchCardProduct
from cards.punchcards.serializers import PunchCardSaleInputSerializer, PunchCardSerializer
from loyalty.idempotency import idempotent
from merchants.models import Member


class CashSaleView(APIView):
    """Sell a punch card for cash at the terminal's store (现金售卡). Idempotent with an Idempotency-Key."""

    @extend_schema(request=PunchCardSaleInputSerializer, responses={201: PunchCardSerializer},
                   operation_id="punch_cards_sell",
                   parameters=[OpenApiParameter("Idempotency-Key", str, OpenApiParameter.HEADER)])
    @idempotent
    def post(self, request):
        terminal = request.auth
        data = PunchCardSaleInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        member = get_object_or_404(Member, pk=data.validated_data["member"], merchant_id=terminal.merchant_id)
        product = get_object_or_404(PunchCardProduct, pk=data.validated_data["product"],
                                    merchant_id=terminal.merchant_id)
        card = services.sell_card(product, member, store=terminal.store, terminal=terminal)
        return Response(PunchCardSerializer(card).data, status=status.HTTP_201_CREATED)
