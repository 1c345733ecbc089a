"""The terminal API's contract: what each endpoint reads, answers and refuses, declared once beside its handler.

Every API view derives from `ContractView` (or mixes in `ContractMixin`) and decorates each handler with
`@contract(...)`: its request and response serializers for the OpenAPI schema, and the error codes it can
answer. From that one declaration:

- the schema (`ContractSchema`, DRF's default schema class) lists every declared code under its HTTP status,
  with its meaning from `loyalty.errors.error_codes`, and the error body's `code` as an enum of them;
- a request body with a key the declared request serializer does not read is refused with `unknown_field`
  before the handler runs, so nothing changes;
- an answer with an undeclared code, or a code with another status than its registered one, fails the test
  that provoked it (`API_CONTRACT_STRICT`, on in the tests) and is logged elsewhere: the list cannot drift;
- timestamps in the answer are in the terminal's merchant's time zone, with its offset.
"""

from __future__ import annotations

import json
import logging
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext as _
from drf_spectacular.generators import SchemaGenerator
from drf_spectacular.openapi import AutoSchema
from drf_spectacular.renderers import OpenApiJsonRenderer
from drf_spectacular.utils import OpenApiExample, OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from loyalty import config_cache, errors
from loyalty.errors import error_codes
from loyalty.serializers import checking, refuse_unknown_fields

logger = logging.getLogger(__name__)

# Codes any endpoint may answer: the body's shape, and (for authenticated ones) the terminal key. The merchants
# app adds its key codes to AUTHENTICATION_ERRORS in ready(): the plumbing does not know them.
BODY_ERRORS: list[str] = [errors.MALFORMED_REQUEST, errors.UNSUPPORTED_MEDIA_TYPE, errors.UNKNOWN_FIELD]
AUTHENTICATION_ERRORS: list[str] = [errors.NOT_AUTHENTICATED]
IDEMPOTENCY_ERRORS = (errors.IDEMPOTENCY_KEY_INVALID, errors.IDEMPOTENCY_KEY_REUSED, errors.IDEMPOTENCY_IN_FLIGHT)
AMOUNT_ERRORS = (errors.AMOUNT_INVALID, errors.AMOUNT_NOT_POSITIVE, errors.AMOUNT_TOO_PRECISE, errors.AMOUNT_TOO_LARGE)

IDEMPOTENCY_KEY = OpenApiParameter(
    "Idempotency-Key", str, OpenApiParameter.HEADER,
    description="Any unique string up to 255 characters. A retry with the same key and body replays the first "
                "answer (with `Idempotent-Replayed: true`) instead of acting twice; kept at least 24 hours.")


class UndeclaredErrorCode(AssertionError):
    """An endpoint answered a code its contract does not list (raised only with API_CONTRACT_STRICT)."""


@dataclass(frozen=True)
class Contract:
    request: type[serializers.Serializer] | None
    errors: frozenset[str]
    authenticated: bool
    # Codes only known once every app is ready (what registered tenders and pricing steps may refuse).
    more_errors: Callable[[], Iterable[str]] | None = None


def contract(*, errors: Iterable[str] = (), more_errors: Callable[[], Iterable[str]] | None = None,
             request: type[serializers.Serializer] | None = None,
             responses=None, parameters: Sequence[OpenApiParameter | type[serializers.Serializer]] = (),
             examples: Sequence[OpenApiExample] = (), operation_id: str | None = None, summary: str | None = None,
             idempotent: bool = False, authenticated: bool = True) -> Callable:
    """Declare a handler's schema and the error codes it can answer (beyond the common ones); `more_errors` is
    asked when the schema is built or an answer checked, for codes that registered entries add."""
    declared = set(errors) | set(BODY_ERRORS if request else ())
    if idempotent:
        declared |= set(IDEMPOTENCY_ERRORS)
    all_parameters = [*parameters, *([IDEMPOTENCY_KEY] if idempotent else [])]

    def decorate(handler):
        handler = extend_schema(request=request, responses=responses, parameters=all_parameters or None,
                                examples=list(examples) or None, operation_id=operation_id, summary=summary,
                                **({} if authenticated else {"auth": []}))(handler)
        handler.contract = Contract(request=request, errors=frozenset(declared), authenticated=authenticated,
                                    more_errors=more_errors)
        return handler

    return decorate


def handler_contract(view, method: str) -> Contract | None:
    return getattr(getattr(view, method.lower(), None), "contract", None)


def declared_errors(view, method: str) -> set[str]:
    found = handler_contract(view, method)
    if found is None:
        return set()
    codes = set(found.errors) | (set(AUTHENTICATION_ERRORS) if found.authenticated else set())
    return codes | set(found.more_errors() if found.more_errors else ())


class ContractMixin:
    """The contract's run-time half for a DRF view: unknown fields refused, codes checked, the merchant's time."""

    tag: str = ""

    def dispatch(self, request, *args, **kwargs):
        with config_cache.remembered():  # the terminal, the merchant's settings: read once a call
            return super().dispatch(request, *args, **kwargs)

    def initial(self, request, *args, **kwargs):
        super().initial(request, *args, **kwargs)
        merchant = getattr(request.auth, "merchant", None)
        zone = getattr(merchant, "zone", None)
        if zone is not None:
            timezone.activate(zone)
        found = handler_contract(self, request.method)
        if found is not None and found.request is not None and request.method in ("POST", "PUT", "PATCH"):
            request.body  # noqa: B018 - kept, so a view may still read the raw bytes it was sent (a signature)
            data = request.data
            if not isinstance(data, dict):
                raise errors.DomainError(errors.MALFORMED_REQUEST, _("Send a JSON object."))
            refuse_unknown_fields(checking(found.request), data)

    def finalize_response(self, request, response, *args, **kwargs):
        timezone.deactivate()
        return super().finalize_response(request, response, *args, **kwargs)

    def handle_exception(self, exc):
        response = super().handle_exception(exc)
        check_declared(self, self.request.method, response)
        return response


class ContractView(ContractMixin, APIView):
    """The base of every terminal API view."""


def check_declared(view, method: str, response: Response) -> None:
    body = response.data if isinstance(response.data, dict) else {}
    code = (body.get("error") or {}).get("code") if isinstance(body.get("error"), dict) else None
    if code is None or handler_contract(view, method) is None:
        return
    problem = None
    if code not in declared_errors(view, method):
        problem = f"{type(view).__name__}.{method.lower()} answered {code!r}, which its contract does not declare"
    elif code in error_codes and error_codes.get(code).status != response.status_code:
        problem = (f"{type(view).__name__}.{method.lower()} answered {code!r} with {response.status_code}; "
                   f"the code is registered with {error_codes.get(code).status}")
    elif code not in error_codes:
        problem = f"{code!r} is not registered in loyalty.errors.error_codes"
    if problem is None:
        return
    if getattr(settings, "API_CONTRACT_STRICT", False):
        raise UndeclaredErrorCode(problem)
    logger.warning("API contract: %s", problem)


# The schema's side.

def error_schema(codes: Sequence[str]) -> dict:
    return {
        "type": "object", "required": ["error"], "additionalProperties": False,
        "properties": {"error": {
            "type": "object", "required": ["code", "message", "field"], "additionalProperties": False,
            "properties": {
                "code": {"type": "string", "enum": list(codes), "description": "Stable: match on it."},
                "message": {"type": "string", "description": "Translated, for the person at the terminal."},
                "field": {"type": "string", "nullable": True, "description": "The field at fault, if one is."},
            },
        }},
    }


class ContractSchema(AutoSchema):
    """drf-spectacular's schema with each endpoint's declared error codes and its tag."""

    def get_tags(self) -> list[str]:
        return [self.view.tag] if getattr(self.view, "tag", "") else super().get_tags()

    def _get_response_bodies(self, direction="response"):
        responses = super()._get_response_bodies(direction)
        if direction != "response":
            return responses
        by_status: dict[int, list[str]] = defaultdict(list)
        for code in sorted(declared_errors(self.view, self.method)):
            by_status[error_codes.get(code).status].append(code)
        for status_code, codes in sorted(by_status.items()):
            lines = "\n".join(f"- `{code}`: {error_codes.get(code).meaning}" for code in codes)
            responses[str(status_code)] = {
                "description": f"Refused; nothing was changed. `error.code` is one of:\n\n{lines}",
                "content": {"application/json": {
                    "schema": error_schema(codes),
                    "examples": {code: {"value": {"error": {
                        "code": code, "message": error_codes.get(code).meaning, "field": None}}}
                        for code in codes[:3]},
                }},
            }
        return responses


def openapi_schema() -> dict:
    """The API's OpenAPI document as JSON data, as `/api/schema/` serves it (for tests and client generators)."""
    document = SchemaGenerator().get_schema(request=None, public=True)
    return json.loads(OpenApiJsonRenderer().render(document, renderer_context={}))
