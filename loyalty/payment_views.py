"""The gateway's pages: the sandbox checkout a payer sees, and the callback the gateway posts to."""

from __future__ import annotations

import json

from django.http import Http404, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from loyalty import payments
from loyalty.errors import DomainError
from loyalty.models import GatewayPayment


def _sandbox_gateway() -> payments.SandboxGateway:
    gateway = payments.get_gateway()
    if not isinstance(gateway, payments.SandboxGateway):
        # With a real gateway configured, nobody may "pay" by pressing a button.
        raise Http404
    return gateway


@never_cache
def sandbox(request, out_trade_no):
    """The sandbox checkout: the payer confirms or fails; the sandbox then calls back, signed."""
    gateway = _sandbox_gateway()
    payment = get_object_or_404(GatewayPayment.objects.select_related("merchant"), out_trade_no=out_trade_no,
                                gateway=gateway.name)
    error = None
    if request.method == "POST" and payment.status == GatewayPayment.Status.PENDING:
        try:
            payment = payments.handle_callback(gateway, gateway.callback_params(
                payment, paid=request.POST.get("outcome") == "pay"))
        except DomainError as exc:
            error = exc.message
        else:
            if payment.return_url:
                return redirect(payment.return_url)
    return render(request, "sandbox/pay.html", {"payment": payment, "merchant": payment.merchant, "error": error})


@csrf_exempt
@require_POST
def callback(request):
    """Where the gateway reports a payment (server to server); replays are answered like the first call."""
    gateway = payments.get_gateway()
    if request.content_type == "application/json":
        try:
            params = json.loads(request.body or b"{}")
        except ValueError:
            params = None
        if not isinstance(params, dict):
            return JsonResponse({"error": {"code": "malformed_request", "message": "Malformed JSON.",
                                           "field": None}}, status=400)
    else:
        params = request.POST.dict()
    try:
        payments.handle_callback(gateway, params)
    except DomainError as exc:
        return JsonResponse({"error": exc.as_dict()}, status=exc.status_code)
    return HttpResponse(gateway.callback_reply(), content_type="text/plain")
