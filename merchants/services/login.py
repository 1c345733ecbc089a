"""Member login by phone and a one-time code texted through the outbox."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from loyalty import ratelimit
from loyalty.errors import DomainError
from loyalty.messaging import queue_message
from loyalty.models import OutboxMessage
from merchants import errors
from merchants.models import LoginCode, Merchant
from merchants.services.members import normalize_phone

HOUR = 3600


def _hash(merchant: Merchant, phone: str, code: str) -> str:
    message = f"login-code|{merchant.pk}|{phone}|{code}".encode()
    return hmac.new(settings.SECRET_KEY.encode(), message, hashlib.sha256).hexdigest()


def _too_many(message) -> DomainError:
    return DomainError(errors.LOGIN_RATE_LIMITED, message, field="phone", status_code=429)


@transaction.atomic
def request_login_code(merchant: Merchant, phone: str, *, client_ip: str | None = None) -> LoginCode:
    """Text a fresh 6-digit code to `phone`; earlier unused codes stop working."""
    phone = normalize_phone(phone)
    if not ratelimit.hit(f"otp-send-ip:{client_ip}", limit=settings.OTP_SENDS_PER_IP_PER_HOUR, window_seconds=HOUR):
        raise _too_many(_("Too many codes were requested from this network. Please try again later."))
    if not ratelimit.hit(f"otp-interval:{merchant.pk}:{phone}", limit=1,
                         window_seconds=settings.OTP_SEND_INTERVAL_SECONDS):
        raise DomainError(errors.LOGIN_CODE_SENT_TOO_SOON,
                          _("A code was just sent. Please wait a minute before asking for another."),
                          field="phone", status_code=429)
    if not ratelimit.hit(f"otp-send:{merchant.pk}:{phone}", limit=settings.OTP_SENDS_PER_PHONE_PER_HOUR,
                         window_seconds=HOUR):
        raise _too_many(_("Too many codes were sent to this phone. Please try again in an hour."))
    now = timezone.now()
    LoginCode.objects.filter(merchant=merchant, phone=phone, used_at__isnull=True, expires_at__gt=now).update(
        expires_at=now)
    code = f"{secrets.randbelow(10 ** 6):06d}"
    login_code = LoginCode.objects.create(
        merchant=merchant, phone=phone, code_hash=_hash(merchant, phone, code), client_ip=client_ip,
        expires_at=now + timedelta(seconds=settings.OTP_TTL_SECONDS))
    body = _("[%(signature)s] Your login code is %(code)s. It expires in %(minutes)d minutes. "
             "Never share it with anyone.") % {
        "signature": merchant.signature, "code": code, "minutes": settings.OTP_TTL_SECONDS // 60}
    queue_message(merchant, phone, body, kind=OutboxMessage.Kind.LOGIN_CODE)
    return login_code


def verify_login_code(merchant: Merchant, phone: str, code: str, *, client_ip: str | None = None) -> str:
    """Check the code; return the normalised phone on success. A code works once."""
    phone = normalize_phone(phone)
    phone_key = f"otp-fail:{merchant.pk}:{phone}"
    ip_key = f"otp-fail-ip:{client_ip}"
    if (ratelimit.exceeded(phone_key, limit=settings.OTP_VERIFY_FAILURES_PER_PHONE_PER_HOUR)
            or ratelimit.exceeded(ip_key, limit=settings.OTP_VERIFY_FAILURES_PER_PHONE_PER_HOUR * 5)):
        raise _too_many(_("Too many wrong codes. Please try again in an hour."))
    code = (code or "").strip()
    now = timezone.now()
    # Decide inside the lock, but raise after commit: a wrong guess must stay counted.
    with transaction.atomic():
        login_code = (LoginCode.objects.select_for_update()
                      .filter(merchant=merchant, phone=phone, used_at__isnull=True)
                      .order_by("-created_at", "-pk").first())
        if login_code is None:
            outcome = "invalid"
        elif login_code.expires_at <= now:
            outcome = "expired"
        elif login_code.attempts >= settings.OTP_MAX_ATTEMPTS:
            outcome = "exhausted"
        elif hmac.compare_digest(login_code.code_hash, _hash(merchant, phone, code)):
            LoginCode.objects.filter(pk=login_code.pk).update(used_at=now)
            outcome = "ok"
        else:
            LoginCode.objects.filter(pk=login_code.pk).update(attempts=F("attempts") + 1)
            outcome = "invalid"
    if outcome == "ok":
        ratelimit.reset(phone_key)
        return phone
    ratelimit.hit(phone_key, limit=settings.OTP_VERIFY_FAILURES_PER_PHONE_PER_HOUR, window_seconds=HOUR)
    ratelimit.hit(ip_key, limit=settings.OTP_VERIFY_FAILURES_PER_PHONE_PER_HOUR * 5, window_seconds=HOUR)
    if outcome == "expired":
        raise DomainError(errors.LOGIN_CODE_EXPIRED, _("This code has expired. Please ask for a new one."),
                          field="code")
    if outcome == "exhausted":
        raise DomainError(errors.LOGIN_CODE_TOO_MANY_ATTEMPTS,
                          _("Too many wrong tries for this code. Please ask for a new one."), field="code")
    raise DomainError(errors.LOGIN_CODE_INVALID, _("The code is not right. Please check it and try again."),
                      field="code")
