"""One error shape for the whole platform: a stable code, a translated message, the field at fault.

Services raise `DomainError`; loyalty.api_errors turns it (and DRF's own exceptions) into
`{"error": {"code": ..., "message": ..., "field": ...}}`, and forms show the same message. This module
imports nothing from DRF so models and services can use it at import time.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from loyalty.registry import Registry

# Codes owned by the plumbing; each app keeps its own in its errors.py.
MALFORMED_REQUEST = "malformed_request"
UNKNOWN_FIELD = "unknown_field"
UNSUPPORTED_MEDIA_TYPE = "unsupported_media_type"
INVALID = "invalid"
REQUIRED = "required"
NOT_AUTHENTICATED = "not_authenticated"
PERMISSION_DENIED = "permission_denied"
NOT_FOUND = "not_found"
METHOD_NOT_ALLOWED = "method_not_allowed"
RATE_LIMITED = "rate_limited"
AMOUNT_INVALID = "amount_invalid"
AMOUNT_NOT_POSITIVE = "amount_not_positive"
AMOUNT_TOO_PRECISE = "amount_too_precise"
AMOUNT_TOO_LARGE = "amount_too_large"
IDEMPOTENCY_KEY_INVALID = "idempotency_key_invalid"
IDEMPOTENCY_KEY_REUSED = "idempotency_key_reused"
IDEMPOTENCY_IN_FLIGHT = "idempotency_in_flight"
SEGMENT_INVALID = "segment_invalid"
SEGMENT_FILTER_UNKNOWN = "segment_filter_unknown"


class DomainError(Exception):
    """A refusal a person can act on. Raised by services before they change anything."""

    def __init__(self, code: str, message, *, field: str | None = None, status_code: int = 400):
        super().__init__(str(message))
        self.code = code
        self.message = message
        self.field = field
        self.status_code = status_code

    def as_dict(self) -> dict:
        return {"code": self.code, "message": str(self.message), "field": self.field}


@dataclass(frozen=True)
class ErrorCode:
    """One stable code in the API's contract: the HTTP status it comes with and what it means, for the schema.

    Apps list theirs in their errors.py (`API_ERRORS`) and register them in `ready()`; endpoints declare which
    of them they can answer (loyalty.api_contract.contract), and the tests hold them to it."""

    code: str
    status: int
    meaning: str


error_codes: Registry[ErrorCode] = Registry("error codes")

API_ERRORS = (
    ErrorCode(MALFORMED_REQUEST, 400, "The body is not a JSON object, or the request cannot be read."),
    ErrorCode(UNKNOWN_FIELD, 400, "The body has a field this endpoint does not read; `field` names it. Nothing "
                                  "was done: remove it or correct its spelling."),
    ErrorCode(UNSUPPORTED_MEDIA_TYPE, 415, "The body is not sent as `Content-Type: application/json`."),
    ErrorCode(INVALID, 400, "A field has the wrong type or form; `field` names it."),
    ErrorCode(REQUIRED, 400, "A required field is missing; `field` names it."),
    ErrorCode(NOT_AUTHENTICATED, 401, "No terminal key was sent (`Authorization: Terminal <key>`)."),
    ErrorCode(PERMISSION_DENIED, 403, "This terminal may not do this."),
    ErrorCode(NOT_FOUND, 404, "Nothing at this address, or no page with this number."),
    ErrorCode(RATE_LIMITED, 429, "Too many requests in a short time: wait a minute and retry."),
    ErrorCode(AMOUNT_INVALID, 400, "An amount is missing, null or not a decimal number such as \"12.50\"."),
    ErrorCode(AMOUNT_NOT_POSITIVE, 400, "An amount is zero or negative where it must be more than zero."),
    ErrorCode(AMOUNT_TOO_PRECISE, 400, "An amount has more than two decimal places."),
    ErrorCode(AMOUNT_TOO_LARGE, 400, "An amount is above the largest accepted (9999999.99)."),
    ErrorCode(IDEMPOTENCY_KEY_INVALID, 400, "The Idempotency-Key is empty, longer than 255 characters or not "
                                            "printable."),
    ErrorCode(IDEMPOTENCY_KEY_REUSED, 422, "This Idempotency-Key was used before with a different request."),
    ErrorCode(IDEMPOTENCY_IN_FLIGHT, 409, "The first request with this Idempotency-Key is still running; retry "
                                          "later with the same key and body."),
)


def register_api_errors(entries: Iterable[ErrorCode]) -> None:
    for entry in entries:
        error_codes.register(entry)
