"""Terminal API for coupons. Every query is scoped to the calling terminal's merchant."""

from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import status
from rest_framework.response import Response
from rest_framework.views import APIView

from coupons import services
from coupons.serializers import CouponQuoteSerializer, CouponSerializer, RedeemSerializer
from loyalty.idempotency import idempotent


class CouponDetailView(APIView):
    """Look a coupon up by its code; with `bill_amount`, also what it would take off that bill here."""

    @extend_schema(parameters=[CouponQuoteSerializer], responses=CouponSerializer, operation_id="coupons_lookup")
    def get(self, request, code):
        terminal = request.auth
        coupon = services.find_coupon_by_code(terminal.merchant, code)
        data = dict(CouponSerializer(coupon).data)
        params = CouponQuoteSerializer(data=request.query_params)
        params.is_valid(raise_exception=True)
        if "bill_amount" in params.validated_data:
            discount, reason = services.coupon_discount(coupon, bill_amount=params.validated_data["bill_amount"],
                                                        store=terminal.store)
            data.update(discount=str(discount), reason=reason)
        return Response(data)


class RedeemView(APIView):
    """Redeem (核销) a coupon on a bill at the terminal's store. Idempotent with an Idempotency-Key."""

    @extend_schema(request=RedeemSerializer, responses={201: CouponSerializer}, operation_id="coupons_redeem",
                   parameters=[OpenApiParameter("Idempotency-Key", str, OpenApiParameter.HEADER)])
    @idempotent
    def post(self, request):
        terminal = request.auth
        data = RedeemSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = data.validated_data
        coupon = services.find_coupon_by_code(terminal.merchant, values["code"])
        redemption = services.redeem_coupon(coupon, bill_amount=values["bill_amount"], store=terminal.store,
                                            terminal=terminal, payment_reference=values["payment_reference"],
                                            lines=values.get("lines"))
        body = dict(CouponSerializer(coupon).data)
        body.update(redemption=redemption.pk, discount=str(redemption.discount),
                    bill_amount=str(redemption.bill_amount))
        return Response(body, status=status.HTTP_201_CREATED)
