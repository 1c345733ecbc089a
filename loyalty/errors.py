"""One error shape for the whole platform: a stable code, a translated message, the field at fault.

Services raise `DomainError`; loyalty.api_errors turns it (and DRF's own exceptions) into
`{"error": {"code": ..., "message": ..., "field": ...}}`, and forms show the same message. This module
imports nothing from DRF so models and services can use it at import time.
"""

from __future__ import annotations

# Codes owned by the plumbing; each app keeps its own in its errors.py.
MALFORMED_REQUEST = "malformed_request"
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
