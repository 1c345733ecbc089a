from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from loyalty.serializers import AnswerModelSerializer, StrictSerializer
from merchants.models import Member, Store

CUSTOM_FIELD_VALUE = {"oneOf": [{"type": "string"}, {"type": "number"}, {"type": "boolean"},
                                {"type": "array", "items": {"type": "string"}}], "nullable": True}


@extend_schema_field({"type": "object", "additionalProperties": CUSTOM_FIELD_VALUE, "example": {"size": "M"},
                      "description": "The merchant's own member attributes, by their key."})
class CustomFields(serializers.JSONField):
    """Member attributes the merchant defined: text, number, date (as text) or a list of choices."""


class StoreSerializer(AnswerModelSerializer):
    class Meta:
        model = Store
        fields = ["id", "name", "address", "phone", "is_open"]


class MemberSerializer(AnswerModelSerializer):
    """What a terminal sees of a member: enough to greet and serve them."""

    tags = serializers.SlugRelatedField(many=True, read_only=True, slug_field="name")
    source_store = serializers.PrimaryKeyRelatedField(read_only=True, allow_null=True)
    custom_fields = CustomFields(read_only=True)

    class Meta:
        model = Member
        fields = ["id", "phone", "name", "gender", "birthday", "joined_at", "status", "tags", "source_store",
                  "custom_fields"]


class MemberLookupSerializer(serializers.Serializer):
    phone = serializers.CharField(required=False, help_text=_("The member's mobile number."))
    code = serializers.CharField(required=False, help_text=_("The scanned member QR code."))


class MemberJoinSerializer(StrictSerializer):
    phone = serializers.CharField(max_length=20)
    name = serializers.CharField(max_length=60, required=False, allow_blank=True, default="")
    gender = serializers.ChoiceField(choices=Member.Gender.choices, required=False, default=Member.Gender.UNKNOWN)
    birthday = serializers.DateField(required=False, allow_null=True, default=None)
    custom_fields = CustomFields(required=False, default=dict)


@dataclass(frozen=True)
class SummaryExtra:
    """One part of what a terminal sees of a member that an app above this one adds (level, balances, cards):
    its key in the answer, the serializer that describes it in the schema, and how it is read."""

    key: str
    serializer: type[serializers.Serializer]
    read: Callable[[Member], dict]


# Apps above this one append a SummaryExtra in ready(). (A plain callable `(member) -> dict` still works, but
# the schema cannot describe what it adds.)
MEMBER_SUMMARY_EXTRAS: list[SummaryExtra | Callable[[Member], dict]] = []


def member_summary(member: Member) -> dict:
    data = dict(MemberSerializer(member).data)
    for extra in MEMBER_SUMMARY_EXTRAS:
        if isinstance(extra, SummaryExtra):
            data[extra.key] = extra.read(member)
        else:
            data.update(extra(member))
    return data


class MemberSummarySerializer(MemberSerializer):
    """What a terminal sees of a member: the member, and what every registered extra adds under its key."""

    def get_fields(self):
        fields = super().get_fields()
        for extra in MEMBER_SUMMARY_EXTRAS:
            if isinstance(extra, SummaryExtra):
                fields[extra.key] = extra.serializer(read_only=True)
        return fields
