"""`manage.py check --deploy` warnings for settings that are right on a laptop and wrong in production."""

from __future__ import annotations

from django.conf import settings
from django.core.checks import Tags, Warning, register

SANDBOX_GATEWAY = "loyalty.payments.SandboxGateway"
SANDBOX_SECRET = "sandbox-secret-not-for-production"
PROCESS_LOCAL_CACHES = ("django.core.cache.backends.locmem.LocMemCache", "django.core.cache.backends.dummy.DummyCache")


@register(Tags.security, deploy=True)
def payment_gateway_is_real(app_configs, **kwargs):
    found = []
    if settings.PAYMENT_GATEWAY == SANDBOX_GATEWAY:
        found.append(Warning(
            "PAYMENT_GATEWAY is the sandbox: its page lets anyone confirm a payment that was never paid.",
            hint="Set PAYMENT_GATEWAY to the real gateway's class.", id="loyalty.W001"))
    if settings.PAYMENT_SANDBOX_SECRET == SANDBOX_SECRET:
        found.append(Warning(
            "PAYMENT_SANDBOX_SECRET is the published default: sandbox callbacks can be forged with it.",
            hint="Set PAYMENT_SANDBOX_SECRET, or leave the sandbox off.", id="loyalty.W002"))
    return found


@register(Tags.caches, deploy=True)
def cache_is_shared(app_configs, **kwargs):
    # Terminals and merchant settings are cached (loyalty.config_cache); a change is forgotten in the cache
    # of the process that made it, so with one cache per process the others keep the old rows for a minute.
    if settings.CACHES["default"]["BACKEND"] in PROCESS_LOCAL_CACHES:
        return [Warning(
            "The cache lives in each process: a revoked terminal or a changed setting stays cached in the other "
            "workers for up to a minute.", hint="Set REDIS_URL.", id="loyalty.W003")]
    return []
