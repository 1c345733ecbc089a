"""Terminal API for checkout, and the payment platform's webhook. Every query is scoped to the terminal's merchant."""

from __future__ import annotations

import datetime

from django.shortcuts import get_object_or_404
from django.utils.dateparse import parse_date
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import status
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from checkout import services
from checkout.models import Payment
from checkout.serializers import (
    BillInputSerializer,
    RefundInputSerializer,
    bill_from_request,
    external_from_request,
    payment_body,
    quote_body,
    refund_body,
)
from checkout.services.webhook import SIGNATURE_HEADER, TIMESTAMP_HEADER
from loyalty.idempotency import idempotent
from loyalty.pagination import StandardPagination
from loyalty.tenders import redact_tender_inputs

IDEMPOTENCY = [OpenApiParameter("Idempotency-Key", str, OpenApiParameter.HEADER)]


def _payments(terminal):
    return (Payment.objects.filter(merchant_id=terminal.merchant_id)
            .prefetch_related("adjustments", "tenders", "rewards__rule"))


class QuoteView(APIView):
    """Price a bill with every discount, the tenders and what it earns (报价). Changes nothing."""

    @extend_schema(request=BillInputSerializer, responses={200: dict}, operation_id="checkout_quote")
    def post(self, request):
        bill = bill_from_request(request.auth, request.data)
        _channel, _trade_no, external_amount = external_from_request(request.data)
        return Response(quote_body(services.quote(bill, external_amount=external_amount)))


class PaymentListView(APIView):
    """Take a payment (买单), or list payments for reconciliation (filter by store and date)."""

    @extend_schema(request=BillInputSerializer, responses={201: dict}, operation_id="checkout_pay",
                   parameters=IDEMPOTENCY)
    @idempotent
    def post(self, request):
        terminal = request.auth
        bill = bill_from_request(terminal, request.data)
        channel, trade_no, external_amount = external_from_request(request.data)
        payment = services.pay(bill, channel=channel, trade_no=trade_no, external_amount=external_amount,
                               request=redact_tender_inputs(request.data))
        # `pay` hands back the payment with its lines and rewards as written: nothing is read back.
        return Response(payment_body(payment), status=status.HTTP_201_CREATED)

    @extend_schema(responses={200: dict}, operation_id="checkout_payments",
                   parameters=[OpenApiParameter("store", int), OpenApiParameter("date", str),
                               OpenApiParameter("date_from", str), OpenApiParameter("date_until", str)])
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


class PaymentDetailView(APIView):
    @extend_schema(responses={200: dict}, operation_id="checkout_payment")
    def get(self, request, payment_id):
        return Response(payment_body(get_object_or_404(_payments(request.auth), pk=payment_id)))


class RefundView(APIView):
    """Refund all or part of a payment (退款). Idempotent with an Idempotency-Key."""

    @extend_schema(request=RefundInputSerializer, responses={201: dict}, operation_id="checkout_refund",
                   parameters=IDEMPOTENCY)
    @idempotent
    def post(self, request, payment_id):
        terminal = request.auth
        payment = get_object_or_404(Payment, pk=payment_id, merchant_id=terminal.merchant_id)
        data = request.data if isinstance(request.data, dict) else {}
        refund = services.refund_payment(payment, data.get("amount"), terminal=terminal,
                                         reason=str(data.get("reason") or ""))
        return Response(refund_body(refund), status=status.HTTP_201_CREATED)


class PaymentWebhookView(APIView):
    """The payment platform reports a paid scan-to-pay order, signed with the merchant's webhook secret."""

    authentication_classes: list = []
    permission_classes = [AllowAny]

    @extend_schema(request=dict, responses={200: dict}, operation_id="payments_webhook", auth=[])
    def post(self, request):
        body = request.body
        merchant, data = services.verify(body, timestamp=request.headers.get(TIMESTAMP_HEADER, ""),
                                         signature=request.headers.get(SIGNATURE_HEADER, ""))
        answer, first = services.take_report(merchant, data)
        return Response(answer, status=status.HTTP_200_OK, headers={} if first else {"Webhook-Replayed": "true"})
