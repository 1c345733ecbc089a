"""The API's side of loyalty.errors: DRF exceptions and DomainError in one JSON shape."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.http import Http404
from django.utils.translation import gettext_lazy as _
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from loyalty.errors import (
    INVALID,
    MALFORMED_REQUEST,
    METHOD_NOT_ALLOWED,
    NOT_AUTHENTICATED,
    NOT_FOUND,
    PERMISSION_DENIED,
    RATE_LIMITED,
    UNSUPPORTED_MEDIA_TYPE,
    DomainError,
    error_codes,
)


def error_response(code: str, message, *, field: str | None = None, status_code: int = 400, **extra) -> Response:
    body = {"code": code, "message": str(message), "field": field}
    body.update(extra)
    return Response({"error": body}, status=status_code)


_DRF_CODES = {
    exceptions.NotAuthenticated: NOT_AUTHENTICATED,
    exceptions.AuthenticationFailed: NOT_AUTHENTICATED,
    exceptions.PermissionDenied: PERMISSION_DENIED,
    exceptions.NotFound: NOT_FOUND,
    exceptions.MethodNotAllowed: METHOD_NOT_ALLOWED,
    exceptions.ParseError: MALFORMED_REQUEST,
    exceptions.Throttled: RATE_LIMITED,
    exceptions.UnsupportedMediaType: UNSUPPORTED_MEDIA_TYPE,
    exceptions.NotAcceptable: MALFORMED_REQUEST,
}


def _first_validation_error(detail, prefix: str = ""):
    """Walk DRF's nested error detail to the first (field, ErrorDetail)."""
    if isinstance(detail, dict):
        for key, value in detail.items():
            name = key if key == "non_field_errors" else (f"{prefix}.{key}" if prefix else key)
            found = _first_validation_error(value, name)
            if found:
                return found
    elif isinstance(detail, list):
        for item in detail:
            found = _first_validation_error(item, prefix)
            if found:
                return found
    else:
        return prefix or None, detail
    return None


def api_exception_handler(exc, context):
    """DRF exception handler producing DESIGN.md's error shape."""
    if isinstance(exc, DomainError):
        response = error_response(exc.code, exc.message, field=exc.field, status_code=exc.status_code)
        if exc.status_code == status.HTTP_401_UNAUTHORIZED:
            response["WWW-Authenticate"] = "Terminal"
        return response
    if isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, DjangoPermissionDenied):
        exc = exceptions.PermissionDenied()
    response = drf_exception_handler(exc, context)
    if response is None:
        return None
    if isinstance(exc, exceptions.ValidationError):
        field, detail = _first_validation_error(exc.detail) or (None, _("Invalid input."))
        if field == "non_field_errors":
            field = None
        # DRF's own codes differ by field type (max_length, invalid_choice, date ...) where a view that parses by
        # hand says `invalid`: one mistake, one code. `field` and the message say which rule was broken.
        code = getattr(detail, "code", INVALID) or INVALID
        if code not in error_codes:
            code = INVALID
        response.data = {"error": {"code": code, "message": str(detail), "field": field}}
        return response
    code = getattr(exc, "error_code", None) or _DRF_CODES.get(type(exc), getattr(exc, "default_code", INVALID))
    detail = exc.detail if isinstance(exc.detail, str) else str(exc.detail)
    response.data = {"error": {"code": code, "message": str(detail), "field": None}}
    return response
