"""The health check load balancers poll, and the API's answer for an address it does not have."""

from django.core.cache import cache
from django.db import connection
from django.http import JsonResponse
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt

from loyalty import errors


@never_cache
def health(request):
    """Liveness and readiness for load balancers: the database and the cache both answer."""
    checks = {}
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
        checks["database"] = "ok"
    except Exception as exc:  # noqa: BLE001 - any failure means "not ready"
        checks["database"] = f"error: {exc.__class__.__name__}"
    try:
        cache.set("health-check", "ok", 10)
        checks["cache"] = "ok" if cache.get("health-check") == "ok" else "error"
    except Exception as exc:  # noqa: BLE001
        checks["cache"] = f"error: {exc.__class__.__name__}"
    healthy = all(value == "ok" for value in checks.values())
    return JsonResponse({"status": "ok" if healthy else "error", **checks}, status=200 if healthy else 503)


@csrf_exempt
def api_not_found(request, *args, **kwargs):
    """An address under /api/ that no endpoint has: the API's error shape, not an HTML page."""
    return JsonResponse({"error": {"code": errors.NOT_FOUND, "message": _("Nothing at this address."),
                                   "field": None}}, status=404)
