"""Request helpers that know no business."""

from django.conf import settings


def client_ip(request) -> str | None:
    """The caller's address. Behind N trusted proxies, the Nth address from the right of X-Forwarded-For.

    Rate limits per IP depend on this: trusting the header without a proxy would let anyone pick their
    own address, and ignoring it behind one would put every member behind the proxy's single address.
    """
    proxies = settings.TRUSTED_PROXY_COUNT
    if proxies:
        forwarded = [part.strip() for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if part.strip()]
        if len(forwarded) >= proxies:
            return forwarded[-proxies]
    return request.META.get("REMOTE_ADDR")
