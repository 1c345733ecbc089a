"""DRF fields shared by every app's serializers."""

from decimal import Decimal

from rest_framework import serializers

from loyalty.money import MAX_AMOUNT, parse_amount, quantize


class AmountInput(serializers.Field):
    """API input for an amount: a decimal string, validated by `parse_amount`."""

    def __init__(self, *, maximum: Decimal = MAX_AMOUNT, allow_zero: bool = False, **kwargs):
        self.maximum = maximum
        self.allow_zero = allow_zero
        super().__init__(**kwargs)

    def to_internal_value(self, data):
        return parse_amount(data, field=self.field_name, maximum=self.maximum, allow_zero=self.allow_zero)

    def to_representation(self, value):
        return str(quantize(value))
