"""Terminal API for the wallet. Every query is scoped to the calling terminal's merchant."""

from django.shortcuts import get_object_or_404
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import status
from rest_framework.response import Response
from rest_framework.views import APIView

from loyalty.idempotency import idempotent
from merchants.models import Member
from wallet import services
from wallet.serializers import RechargeInputSerializer, RechargeSerializer, WalletBalanceSerializer


class RechargeView(APIView):
    """Record a cash recharge (现金充值) at the terminal's store. Idempotent with an Idempotency-Key."""

    @extend_schema(request=RechargeInputSerializer, responses={201: RechargeSerializer},
                   operation_id="wallet_recharge",
                   parameters=[OpenApiParameter("Idempotency-Key", str, OpenApiParameter.HEADER)])
    @idempotent
    def post(self, request):
        terminal = request.auth
        data = RechargeInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        member = get_object_or_404(Member, pk=data.validated_data["member"], merchant_id=terminal.merchant_id)
        created = services.recharge(member, data.validated_data["amount"], store=terminal.store, terminal=terminal)
        body = dict(RechargeSerializer(created).data)
        body["wallet"] = WalletBalanceSerializer(services.wallet_summary(member)).data
        return Response(body, status=status.HTTP_201_CREATED)


class WalletView(APIView):
    """A member's wallet balances."""

    @extend_schema(responses=WalletBalanceSerializer, operation_id="wallet_balance")
    def get(self, request, member_id):
        member = get_object_or_404(Member, pk=member_id, merchant_id=request.auth.merchant_id)
        return Response(WalletBalanceSerializer(services.wallet_summary(member)).data)
