"""The payment platform's webhook: a scan-to-pay order it reports, signed, fresh, once per trade number."""

from __future__ import annotations

import hashlib
import hmac
import json
import time

from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from checkout import errors
from checkout.models import Channel, Payment, WebhookDelivery
from checkout.services.bills import Bill, checkout_settings, find_member
from checkout.services.payments import pay
from loyalty.errors import DomainError
from loyalty.money import parse_amount
from merchants.models import Merchant, Store

MAX_AGE_SECONDS = 300
SIGNATURE_HEADER = "X-Signature"
TIMESTAMP_HEADER = "X-Timestamp"


def sign(secret: str, timestamp: str, body: bytes) -> str:
    """HMAC-SHA256 over `timestamp.body` with the merchant's webhook secret, hex."""
    return hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256).hexdigest()


def _malformed(message) -> DomainError:
    return DomainError(errors.WEBHOOK_MALFORMED, message, status_code=400)


def verify(body: bytes, *, timestamp: str, signature: str, now: float | None = None) -> tuple[Merchant, dict]:
    """The merchant and the report, once the signature and the timestamp have been checked."""
    try:
        data = json.loads(body)
    except (ValueError, UnicodeDecodeError):
        raise _malformed(_("The body is not JSON.")) from None
    if not isinstance(data, dict) or not isinstance(data.get("merchant"), str):
        raise _malformed(_("The report must name the merchant."))
    merchant = Merchant.objects.filter(slug=data["merchant"], is_active=True).first()
    bad = DomainError(errors.WEBHOOK_SIGNATURE_INVALID, _("The signature is wrong."), status_code=403)
    if merchant is None or not signature or not timestamp.isdigit():
        raise bad
    secret = checkout_settings(merchant).webhook_secret
    if not hmac.compare_digest(sign(secret, timestamp, body), signature):
        raise bad
    now = time.time() if now is None else now
    if abs(now - int(timestamp)) > MAX_AGE_SECONDS:
        raise DomainError(errors.WEBHOOK_TOO_OLD, _("The report is older than 5 minutes."), status_code=403)
    return merchant, data


def take_report(merchant: Merchant, data: dict) -> tuple[dict, bool]:
    """Record the reported payment and run the rewards, once per trade number; a replay gets the first answer."""
    trade_no = str(data.get("trade_no") or "")[:64]
    if not trade_no:
        raise _malformed(_("The report has no trade number."))
    first = WebhookDelivery.objects.filter(merchant=merchant, trade_no=trade_no).first()
    if first is not None:
        return first.response, False
    store = Store.objects.filter(merchant=merchant, pk=data.get("store") if str(data.get("store", "")).isdigit()
                                 else 0).first()
    if store is None:
        raise DomainError(errors.WEBHOOK_STORE_UNKNOWN, _("The report names an unknown store."), field="store",
                          status_code=404)
    amount = parse_amount(data.get("amount"))
    channel = data.get("channel") if data.get("channel") in (Channel.WECHAT, Channel.ALIPAY) else Channel.WECHAT
    phone = (data.get("payer") or {}).get("phone") if isinstance(data.get("payer"), dict) else None
    try:
        with transaction.atomic():
            delivery = WebhookDelivery.objects.create(merchant=merchant, trade_no=trade_no)
            member, payer_phone = find_member(merchant, {"phone": phone}) if phone else (None, "")
            bill = Bill(store=store, amount=amount, member=member, payer_phone=payer_phone, discounts=False)
            payment = pay(bill, channel=channel, trade_no=trade_no, source=Payment.Source.WEBHOOK, request=data,
                          external_amount=amount)
            response = {"payment": payment.number, "status": payment.status, "member": member.pk if member else None,
                        "points_earned": payment.points_earned,
                        "rewards": [{"rule": grant.rule_id, "status": grant.status}
                                    for grant in payment.rewards.order_by("pk")]}
            delivery.payment, delivery.response = payment, response
            delivery.save(update_fields=["payment", "response"])
            return response, True
    except IntegrityError:
        first = WebhookDelivery.objects.filter(merchant=merchant, trade_no=trade_no).first()
        if first is None:
            raise
        return first.response, False
