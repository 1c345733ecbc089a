"""The payment gateway interface (支付网关) and its sandbox.

A purchase through the gateway names its purpose ("recharge", "coupon_purchase"); the app that owns
the purpose registers, in its AppConfig.ready(), the handler that fulfils it once the payment is
confirmed. This module knows no business: it starts payments, checks the gateway's signed callbacks
and marks a payment paid exactly once (row lock plus unique trade numbers), running the purpose's
handler in the same transaction, so a payment is fulfilled exactly when it is recorded as paid.

The gateway in use is `settings.PAYMENT_GATEWAY` (a dotted path). The sandbox gateway ships with the
platform so the whole flow works without a contract with WeChat Pay or Alipay: its page lets the
"payer" confirm or fail a payment, and it calls back with an HMAC-SHA256 signature like a real one.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from abc import ABC, abstractmethod
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal

from django.conf import settings
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.module_loading import import_string
from django.utils.translation import gettext_lazy as _

from loyalty import errors
from loyalty.models import GatewayPayment
from loyalty.money import quantize

PAYMENT_NOT_FOUND = "payment_not_found"
PAYMENT_SIGNATURE_INVALID = "payment_signature_invalid"
PAYMENT_AMOUNT_MISMATCH = "payment_amount_mismatch"
PAYMENT_ALREADY_FAILED = "payment_already_failed"
PAYMENT_PURPOSE_UNKNOWN = "payment_purpose_unknown"
PAYMENT_TRADE_NUMBER_USED = "payment_trade_number_used"


@dataclass(frozen=True)
class Purpose:
    fulfil: Callable[[GatewayPayment], None]
    fail: Callable[[GatewayPayment], None] | None = None


_PURPOSES: dict[str, Purpose] = {}


def register_purpose(purpose: str, fulfil: Callable[[GatewayPayment], None],
                     fail: Callable[[GatewayPayment], None] | None = None) -> None:
    """Say which handler fulfils payments of `purpose` (and which one cleans up a failed one)."""
    _PURPOSES[purpose] = Purpose(fulfil, fail)


@dataclass(frozen=True)
class CallbackResult:
    """What a gateway's callback says, once its signature has been checked."""

    out_trade_no: str
    gateway_trade_no: str
    paid: bool
    amount: Decimal


class PaymentGateway(ABC):
    """What a real gateway (WeChat Pay, Alipay, a bank) implements to plug in behind this interface."""

    name = ""

    @abstractmethod
    def checkout_url(self, payment: GatewayPayment) -> str:
        """Where to send the payer's browser to pay."""

    @abstractmethod
    def parse_callback(self, params: dict[str, str]) -> CallbackResult:
        """Check the callback's signature and read it; raise DomainError if it is not genuine."""

    def callback_reply(self) -> str:
        """The body the gateway expects back once a callback has been taken in."""
        return "success"


class SandboxGateway(PaymentGateway):
    """A gateway that runs inside the platform: its page confirms or fails, its callback is signed."""

    name = "sandbox"
    FIELDS = ("out_trade_no", "trade_no", "status", "amount")

    def checkout_url(self, payment: GatewayPayment) -> str:
        return reverse("payments:sandbox", args=[payment.out_trade_no])

    @staticmethod
    def sign(params: dict[str, str]) -> str:
        canonical = "&".join(f"{key}={params[key]}" for key in SandboxGateway.FIELDS)
        return hmac.new(settings.PAYMENT_SANDBOX_SECRET.encode(), canonical.encode(), hashlib.sha256).hexdigest()

    def callback_params(self, payment: GatewayPayment, *, paid: bool) -> dict[str, str]:
        """The signed callback the sandbox sends for `payment`, as a real gateway would."""
        params = {"out_trade_no": payment.out_trade_no, "trade_no": f"SBX{payment.out_trade_no}",
                  "status": "SUCCESS" if paid else "FAIL", "amount": str(payment.amount)}
        params["sign"] = self.sign(params)
        return params

    def parse_callback(self, params: dict[str, str]) -> CallbackResult:
        if any(not isinstance(params.get(key), str) for key in (*self.FIELDS, "sign")):
            raise errors.DomainError(PAYMENT_SIGNATURE_INVALID, _("The callback is incomplete."), status_code=400)
        if not hmac.compare_digest(self.sign(params), params["sign"]):
            raise errors.DomainError(PAYMENT_SIGNATURE_INVALID, _("The callback signature is wrong."),
                                     status_code=403)
        try:
            amount = quantize(Decimal(params["amount"]))
        except ArithmeticError:
            raise errors.DomainError(errors.AMOUNT_INVALID, _("The callback amount is not a number.")) from None
        return CallbackResult(params["out_trade_no"], params["trade_no"], params["status"] == "SUCCESS", amount)


def get_gateway() -> PaymentGateway:
    return import_string(settings.PAYMENT_GATEWAY)()


def new_trade_number() -> str:
    """Ours, unique: a timestamp for people reading statements, and randomness so it cannot be guessed."""
    return f"{timezone.now():%Y%m%d%H%M%S}{secrets.token_hex(8).upper()}"


def start_payment(merchant, *, amount: Decimal, purpose: str, reference: str = "", member=None, store=None,
                  subject: str = "", return_url: str = "") -> GatewayPayment:
    """Record a payment waiting for the payer; send them to `checkout_url(payment)`."""
    if purpose not in _PURPOSES:
        raise errors.DomainError(PAYMENT_PURPOSE_UNKNOWN, _("This kind of payment is not available."))
    if amount <= 0:
        raise errors.DomainError(errors.AMOUNT_NOT_POSITIVE, _("The amount must be greater than zero."),
                                 field="amount")
    return GatewayPayment.objects.create(
        merchant=merchant, member=member, store=store, amount=quantize(amount), purpose=purpose,
        reference=reference, subject=subject[:128], gateway=get_gateway().name, out_trade_no=new_trade_number(),
        return_url=return_url,
    )


def checkout_url(payment: GatewayPayment) -> str:
    return get_gateway().checkout_url(payment)


def _locked(out_trade_no: str) -> GatewayPayment:
    payment = GatewayPayment.objects.select_for_update().filter(out_trade_no=out_trade_no).first()
    if payment is None:
        raise errors.DomainError(PAYMENT_NOT_FOUND, _("There is no such payment."), status_code=404)
    return payment


def confirm_payment(out_trade_no: str, *, gateway_trade_no: str, amount: Decimal) -> GatewayPayment:
    """Mark the payment paid and fulfil its purpose, once: a replayed or concurrent callback changes nothing."""
    with transaction.atomic():
        payment = _locked(out_trade_no)
        if payment.status == GatewayPayment.Status.PAID:
            return payment
        if payment.status == GatewayPayment.Status.FAILED:
            raise errors.DomainError(PAYMENT_ALREADY_FAILED, _("This payment has already failed."), status_code=409)
        if quantize(amount) != payment.amount:
            raise errors.DomainError(PAYMENT_AMOUNT_MISMATCH, _("The amount paid differs from the amount due."),
                                     status_code=409)
        payment.status = GatewayPayment.Status.PAID
        payment.gateway_trade_no = gateway_trade_no
        payment.paid_at = timezone.now()
        try:
            with transaction.atomic():
                payment.save(update_fields=["status", "gateway_trade_no", "paid_at"])
        except IntegrityError:
            # The gateway's trade number already paid another payment: one payment of money, one fulfilment.
            raise errors.DomainError(PAYMENT_TRADE_NUMBER_USED, _("This trade number has already paid another "
                                                                  "payment."), status_code=409) from None
        _PURPOSES[payment.purpose].fulfil(payment)
        return payment


def fail_payment(out_trade_no: str) -> GatewayPayment:
    """The payer gave up or the gateway refused: a pending payment fails (a paid one stays paid)."""
    with transaction.atomic():
        payment = _locked(out_trade_no)
        if payment.status != GatewayPayment.Status.PENDING:
            return payment
        payment.status = GatewayPayment.Status.FAILED
        payment.failed_at = timezone.now()
        payment.save(update_fields=["status", "failed_at"])
        handler = _PURPOSES.get(payment.purpose)
        if handler is not None and handler.fail is not None:
            handler.fail(payment)
        return payment


def handle_callback(gateway: PaymentGateway, params: dict[str, str]) -> GatewayPayment:
    """Take in one callback of `gateway`: check it, then confirm or fail the payment it names."""
    result = gateway.parse_callback(params)
    if result.paid:
        return confirm_payment(result.out_trade_no, gateway_trade_no=result.gateway_trade_no, amount=result.amount)
    return fail_payment(result.out_trade_no)
