"""DRF fields and the base serializer shared by every app's API (see loyalty.api_contract for the views)."""

from __future__ import annotations

from decimal import Decimal

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from loyalty import errors
from loyalty.money import MAX_AMOUNT, money_text, parse_amount, quantize

# What parse_amount accepts, as the schema says it: up to seven digits, up to two places, no sign.
AMOUNT_INPUT_PATTERN = r"^\d{1,7}(\.\d{1,2})?$"
# What every answer carries: always two places.
AMOUNT_PATTERN = r"^\d{1,12}\.\d{2}$"


@extend_schema_field({"type": "string", "format": "decimal", "pattern": AMOUNT_INPUT_PATTERN, "example": "128.00"})
class AmountInput(serializers.Field):
    """API input for an amount: a decimal string, validated by `parse_amount`.

    A missing or null amount is the same mistake as an unreadable one, `amount_invalid`, on every endpoint
    (DRF would otherwise answer `required` or `null` here and `amount_invalid` where a view parses by hand).
    """

    def __init__(self, *, maximum: Decimal = MAX_AMOUNT, allow_zero: bool = False, **kwargs):
        self.maximum = maximum
        self.allow_zero = allow_zero
        super().__init__(**kwargs)

    def validate_empty_values(self, data):
        if data is serializers.empty and not self.required:
            return super().validate_empty_values(data)
        if data is serializers.empty or data is None:
            parse_amount(None, field=self.field_name)
        return False, data

    def to_internal_value(self, data):
        return parse_amount(data, field=self.field_name, maximum=self.maximum, allow_zero=self.allow_zero)

    def to_representation(self, value):
        return str(quantize(value))


@extend_schema_field({"type": "string", "format": "decimal", "pattern": AMOUNT_PATTERN, "example": "12.50"})
class Money(serializers.Field):
    """An amount in an answer: a decimal string with two places, never a float."""

    def __init__(self, **kwargs):
        kwargs.setdefault("read_only", True)
        super().__init__(**kwargs)

    def to_representation(self, value):
        return money_text(value)


@extend_schema_field({"type": "string", "format": "date-time", "example": "2026-12-01T18:42:07.512000+08:00"})
class LocalDateTime(serializers.DateTimeField):
    """A timestamp in an answer: in the merchant's time zone, with its offset (the zone `ContractView` activates
    for the request)."""


class AnswerModelSerializer(serializers.ModelSerializer):
    """A model in an answer: its timestamps are `LocalDateTime` (declare money fields as `Money`)."""

    serializer_field_mapping = {**serializers.ModelSerializer.serializer_field_mapping,
                                models.DateTimeField: LocalDateTime}


def local_time(value):
    """A timestamp as every answer writes it: in the merchant's time zone, with its offset.

    The contract views activate the terminal's merchant's zone for the request (`ContractView.initial`)."""
    return None if value is None else timezone.localtime(value).isoformat()


def find_unknown_field(serializer: serializers.Serializer, data, prefix: str = "") -> str | None:
    """The first key of `data` that `serializer` does not read, as a dotted path (`lines.0.colour`), if any.

    Walks nested serializers and lists of them, so a misspelt key anywhere in the body is refused instead of
    being ignored (a recharge with `tenders` must not be recorded as cash)."""
    if not isinstance(data, dict):
        return None
    fields = serializer.fields
    for key in data:
        field = fields.get(key)
        if field is None or field.read_only:
            return f"{prefix}{key}"
    for key, value in data.items():
        field = fields[key]
        child = getattr(field, "child", None)
        if isinstance(field, serializers.BaseSerializer) and not isinstance(field, serializers.ListSerializer):
            found = find_unknown_field(field, value, f"{prefix}{key}.")
        elif isinstance(child, serializers.Serializer) and isinstance(value, list):
            found = next((hit for index, item in enumerate(value)
                          if (hit := find_unknown_field(child, item, f"{prefix}{key}.{index}."))), None)
        else:
            found = None
        if found:
            return found
    return None


# One unbound instance of each request serializer, for the unknown-field check of every call (`checking`): its
# fields are deep copies of the declared ones, made once rather than on every request. Each is kept with the
# objects its fields were made from (their ids are in the key: kept alive, no later object takes an id).
_checkers: dict[tuple, tuple[serializers.Serializer, tuple]] = {}


def checking(serializer_class: type[serializers.Serializer]) -> serializers.Serializer:
    """An instance of `serializer_class` to check a body's keys against (`refuse_unknown_fields`), kept for the next
    call when its fields are known from its class: its declared ones (no `get_fields` of its own, nor in a nested
    serializer), or made from the objects its `fields_made_from()` names (checkout's bill: the registered tenders)."""
    made_from = getattr(serializer_class, "fields_made_from", None)
    if made_from is not None:
        parts = tuple(made_from())
    elif _declared_only(serializer_class):
        parts = ()
    else:
        return serializer_class()
    key = (serializer_class, *map(id, parts))
    found = _checkers.get(key)
    if found is None:
        found = _checkers[key] = (serializer_class(), parts)
    return found[0]


def _declared_only(serializer_class: type[serializers.Serializer]) -> bool:
    if serializer_class.get_fields is not serializers.Serializer.get_fields:
        return False
    for field in getattr(serializer_class, "_declared_fields", {}).values():
        nested = field.child if isinstance(field, serializers.ListSerializer) else field
        if isinstance(nested, serializers.BaseSerializer) and not _declared_only(type(nested)):
            return False
    return True


def refuse_unknown_fields(serializer: serializers.Serializer, data) -> None:
    unknown = find_unknown_field(serializer, data)
    if unknown:
        raise errors.DomainError(errors.UNKNOWN_FIELD, _("“%(field)s” is not a field of this request.")
                                 % {"field": unknown}, field=unknown)


class StrictSerializer(serializers.Serializer):
    """A request body that refuses the keys it does not know, with `unknown_field`.

    Every API input serializer derives from it; `ContractView` also checks a view's declared request body
    before the view runs, so a view that parses its body by hand refuses them too."""

    def to_internal_value(self, data):
        if self.parent is None:
            refuse_unknown_fields(self, data)
        return super().to_internal_value(data)
