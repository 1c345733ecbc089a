"""Terminal API for checkout, and the payment platform's webhook. Every query is scoped to the terminal's merchant."""

from __future__ import annotations

import datetime

from django.utils.dateparse import parse_date
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiExample, OpenApiParameter
from rest_framework import status
from rest_framework.permissions import AllowAny
from rest_framework.response import Response

from cards.membership import errors as points_errors
from checkout import errors, services
from checkout.models import Payment
from checkout.serializers import (
    BillInputSerializer,
    PaymentAnswer,
    PaymentPage,
    PaymentReportAnswer,
    PaymentReportInput,
    QuoteAnswer,
    RefundAnswer,
    RefundInputSerializer,
    bill_from_request,
    external_from_request,
    payment_body,
    quote_body,
    refund_body,
)
from checkout.services.webhook import SIGNATURE_HEADER, TIMESTAMP_HEADER
from coupons import errors as coupon_errors
from loyalty import errors as loyalty_errors
from loyalty.api_contract import AMOUNT_ERRORS, ContractView, contract
from loyalty.errors import DomainError
from loyalty.idempotency import idempotent
from loyalty.pagination import StandardPagination
from loyalty.pricing import pricing_steps
from loyalty.tenders import redact_tender_inputs, tenders
from merchants import errors as member_errors
from wallet import errors as wallet_errors

# What a bill can be refused for, at a quote as at a payment.
BILL_ERRORS = (
    *AMOUNT_ERRORS, loyalty_errors.INVALID, errors.LINES_INVALID, errors.MEMBER_INVALID, errors.POINTS_INVALID,
    errors.EXTERNAL_CHANNEL_INVALID, errors.EXTERNAL_TOO_LARGE, errors.EXTERNAL_AMOUNT_MISMATCH,
    errors.COUPON_OTHER_MEMBER, errors.RANDOM_BUDGET_USED_UP,
    member_errors.MEMBER_FROZEN, member_errors.MEMBER_CODE_INVALID, member_errors.MEMBER_CODE_EXPIRED,
    member_errors.PHONE_INVALID, member_errors.STORE_CLOSED, member_errors.CASHIER_UNKNOWN,
    member_errors.CASHIER_WRONG_STORE, wallet_errors.STORED_VALUE_OFF,
    points_errors.POINTS_INSUFFICIENT, points_errors.POINTS_OVER_LIMIT, points_errors.POINTS_BILL_TOO_SMALL,
    points_errors.POINTS_NOT_MULTIPLE, points_errors.POINTS_DEDUCTION_OFF,
    coupon_errors.COUPON_NOT_FOUND, coupon_errors.COUPON_CODE_MISTYPED, coupon_errors.COUPON_EXPIRED,
    coupon_errors.COUPON_NOT_YET_VALID, coupon_errors.COUPON_USED, coupon_errors.COUPON_NOT_USABLE,
    coupon_errors.COUPON_LOCKED, coupon_errors.COUPON_WRONG_STORE, coupon_errors.COUPON_WRONG_MERCHANT,
    coupon_errors.COUPON_OUTSIDE_HOURS, coupon_errors.COUPON_BELOW_MINIMUM, coupon_errors.COUPON_NOT_APPLICABLE,
)
PAY_ERRORS = (*BILL_ERRORS, errors.EXTERNAL_REQUIRED, errors.TRADE_NUMBER_USED, wallet_errors.INSUFFICIENT_BALANCE)


def registered_errors() -> list[str]:
    """What the registered tenders and pricing steps may refuse a bill for: each lists them in `error_codes`,
    so a new tender (gift cards) or step brings its codes to quote and pay with no edit here."""
    return [code for entry in (*tenders.all(), *pricing_steps.all()) for code in getattr(entry, "error_codes", ())]

BILL_EXAMPLE = OpenApiExample("A member pays with a coupon, points and the wallet", request_only=True, value={
    "amount": "128.00", "member": {"phone": "13800000001"}, "coupon_code": "8FQ2-K7ZP-3M", "points": "max",
    "use_wallet": True, "bill_id": "POS-0001-20261201-0042", "cashier": "chacha-cashier",
    "lines": [{"sku": "LATTE", "category": "coffee", "amount": "64.00", "quantity": 2}],
    "external": {"channel": "wechat", "trade_no": "4200001234202612011234567890", "amount": "50.00"}})


def _payments(terminal):
    return (Payment.objects.filter(merchant_id=terminal.merchant_id)
            .prefetch_related("adjustments", "tenders", "rewards__rule"))


def _payment(terminal, payment_id) -> Payment:
    payment = _payments(terminal).filter(pk=payment_id).first()
    if payment is None:
        raise DomainError(errors.PAYMENT_NOT_FOUND, _("No payment with this id."), field="payment_id",
                          status_code=404)
    return payment


class QuoteView(ContractView):
    """Price a bill with every discount, the tenders and what it earns (报价). Changes nothing."""

    tag = "checkout"

    @contract(request=BillInputSerializer, responses={200: QuoteAnswer}, operation_id="checkout_quote",
              errors=BILL_ERRORS, more_errors=registered_errors, examples=[BILL_EXAMPLE])
    def post(self, request):
        bill = bill_from_request(request.auth, request.data)
        _channel, _trade_no, external_amount = external_from_request(request.data)
        return Response(quote_body(services.quote(bill, external_amount=external_amount)))


class PaymentListView(ContractView):
    """Take a payment (买单), or list payments for reconciliation (filter by store and date)."""

    tag = "checkout"

    @contract(request=BillInputSerializer, responses={201: PaymentAnswer}, operation_id="checkout_pay",
              errors=PAY_ERRORS, more_errors=registered_errors, idempotent=True,
              examples=[BILL_EXAMPLE])
    @idempotent(one_transaction=True)
    def post(self, request):
        terminal = request.auth
        bill = bill_from_request(terminal, request.data)
        channel, trade_no, external_amount = external_from_request(request.data)
        payment = services.pay(bill, channel=channel, trade_no=trade_no, external_amount=external_amount,
                               request=redact_tender_inputs(request.data))
        # `pay` hands back the payment with its lines and rewards as written: nothing is read back.
        return Response(payment_body(payment), status=status.HTTP_201_CREATED)

    @contract(responses={200: PaymentPage}, operation_id="checkout_payments", errors=[loyalty_errors.NOT_FOUND],
              parameters=[OpenApiParameter("store", int, description="Only this store's payments."),
                          OpenApiParameter("date", datetime.date, description="Only this day's (merchant's time)."),
                          OpenApiParameter("date_from", datetime.date), OpenApiParameter("date_until", datetime.date),
                          OpenApiParameter("page", int), OpenApiParameter("page_size", int)])
    def get(self, request):
        payments = _payments(request.auth).select_related("store")
        store = request.query_params.get("store")
        if store:
            payments = payments.filter(store_id=store if store.isdigit() else 0)
        day = parse_date(request.query_params.get("date") or "")
        start = parse_date(request.query_params.get("date_from") or "") or day
        end = parse_date(request.query_params.get("date_until") or "") or day
        if start:
            payments = payments.filter(created_at__date__gte=start)
        if end:
            payments = payments.filter(created_at__date__lt=end + datetime.timedelta(days=1))
        paginator = StandardPagination()
        page = paginator.paginate_queryset(payments.order_by("-created_at", "-pk"), request, view=self)
        return paginator.get_paginated_response([payment_body(payment) for payment in page])


class PaymentDetailView(ContractView):
    """One payment, as the payment answered it, with what was refunded since."""

    tag = "checkout"

    @contract(responses={200: PaymentAnswer}, operation_id="checkout_payment",
              errors=[errors.PAYMENT_NOT_FOUND, loyalty_errors.NOT_FOUND])
    def get(self, request, payment_id):
        return Response(payment_body(_payment(request.auth, payment_id)))


class RefundView(ContractView):
    """Refund all or part of a payment (退款). Idempotent with an Idempotency-Key."""

    tag = "checkout"

    @contract(request=RefundInputSerializer, responses={201: RefundAnswer}, operation_id="checkout_refund",
              errors=[*AMOUNT_ERRORS, errors.PAYMENT_NOT_FOUND, loyalty_errors.NOT_FOUND, errors.REFUND_TOO_LARGE,
                      errors.PAYMENT_NOT_REFUNDABLE],
              more_errors=registered_errors, idempotent=True)
    @idempotent
    def post(self, request, payment_id):
        terminal = request.auth
        payment = Payment.objects.filter(pk=payment_id, merchant_id=terminal.merchant_id).first()
        if payment is None:
            raise DomainError(errors.PAYMENT_NOT_FOUND, _("No payment with this id."), field="payment_id",
                              status_code=404)
        data = RefundInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        refund = services.refund_payment(payment, data.validated_data["amount"], terminal=terminal,
                                         reason=data.validated_data.get("reason", ""))
        return Response(refund_body(refund), status=status.HTTP_201_CREATED)


class PaymentWebhookView(ContractView):
    """The payment platform reports a paid scan-to-pay order, signed with the merchant's webhook secret.

    Headers: `X-Timestamp` (Unix seconds) and `X-Signature` (hex HMAC-SHA256 of "timestamp.body"). A report
    repeated with the same trade number gets the first answer, with `Webhook-Replayed: true`."""

    tag = "webhooks"
    authentication_classes: list = []
    permission_classes = [AllowAny]

    @contract(request=PaymentReportInput, responses={200: PaymentReportAnswer}, operation_id="payments_webhook",
              authenticated=False,
              errors=[*AMOUNT_ERRORS, errors.WEBHOOK_MALFORMED, errors.WEBHOOK_SIGNATURE_INVALID,
                      errors.WEBHOOK_TOO_OLD, errors.WEBHOOK_STORE_UNKNOWN, errors.TRADE_NUMBER_USED,
                      member_errors.PHONE_INVALID, member_errors.MEMBER_FROZEN, member_errors.STORE_CLOSED],
              parameters=[OpenApiParameter(TIMESTAMP_HEADER, str, OpenApiParameter.HEADER, required=True),
                          OpenApiParameter(SIGNATURE_HEADER, str, OpenApiParameter.HEADER, required=True)])
    def post(self, request):
        body = request.body
        merchant, data = services.verify(body, timestamp=request.headers.get(TIMESTAMP_HEADER, ""),
                                         signature=request.headers.get(SIGNATURE_HEADER, ""))
        answer, first = services.take_report(merchant, data)
        return Response(answer, status=status.HTTP_200_OK, headers={} if first else {"Webhook-Replayed": "true"})
