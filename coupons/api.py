"""Terminal API for coupons. Every query is scoped to the calling terminal's merchant."""

from drf_spectacular.utils import OpenApiExample
from rest_framework import status
from rest_framework.response import Response

from coupons import errors, services
from coupons.serializers import (
    CouponLookupAnswer,
    CouponQuoteSerializer,
    CouponSerializer,
    RedeemSerializer,
    RedemptionAnswer,
)
from loyalty import errors as loyalty_errors
from loyalty.api_contract import AMOUNT_ERRORS, ContractView, contract
from loyalty.idempotency import idempotent
from loyalty.money import money_text

FINDING = (errors.COUPON_NOT_FOUND, errors.COUPON_CODE_MISTYPED, errors.COUPON_WRONG_MERCHANT)
# Why a coupon cannot take anything off this bill here and now.
USING = (errors.COUPON_EXPIRED, errors.COUPON_NOT_YET_VALID, errors.COUPON_USED, errors.COUPON_NOT_USABLE,
         errors.COUPON_LOCKED, errors.COUPON_WRONG_STORE, errors.COUPON_OUTSIDE_HOURS, errors.COUPON_BELOW_MINIMUM,
         errors.COUPON_NOT_APPLICABLE)


class CouponDetailView(ContractView):
    """Look a coupon up by its code; with `bill_amount`, also what it would take off that bill here."""

    tag = "coupons"

    @contract(parameters=[CouponQuoteSerializer], responses=CouponLookupAnswer, operation_id="coupons_lookup",
              errors=[*FINDING, *USING, *AMOUNT_ERRORS, loyalty_errors.INVALID, loyalty_errors.NOT_FOUND])
    def get(self, request, code):
        terminal = request.auth
        coupon = services.find_coupon_by_code(terminal.merchant, code)
        data = {**CouponSerializer(coupon).data, "discount": None, "reason": None}
        params = CouponQuoteSerializer(data=request.query_params)
        params.is_valid(raise_exception=True)
        if "bill_amount" in params.validated_data:
            discount, reason = services.coupon_discount(coupon, bill_amount=params.validated_data["bill_amount"],
                                                        store=terminal.store)
            data.update(discount=money_text(discount), reason=reason)
        return Response(data)


class RedeemView(ContractView):
    """Redeem (核销) a coupon on a bill at the terminal's store. Idempotent with an Idempotency-Key."""

    tag = "coupons"

    @contract(request=RedeemSerializer, responses={201: RedemptionAnswer}, operation_id="coupons_redeem",
              errors=[*FINDING, *USING, *AMOUNT_ERRORS, loyalty_errors.INVALID, loyalty_errors.REQUIRED],
              idempotent=True,
              examples=[OpenApiExample("Redeem a cash coupon on a 150.00 bill", request_only=True, value={
                  "code": "8FQ2-K7ZP-3M", "bill_amount": "150.00", "payment_reference": "POS-0001-42"})])
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
        body.update(redemption=redemption.pk, discount=money_text(redemption.discount),
                    bill_amount=money_text(redemption.bill_amount))
        return Response(body, status=status.HTTP_201_CREATED)
