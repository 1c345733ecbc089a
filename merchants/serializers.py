from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from merchants.models import Member, Store


class StoreSerializer(serializers.ModelSerializer):
    class Meta:
        model = Store
        fields = ["id", "name", "address", "phone", "is_open"]


class MemberSerializer(serializers.ModelSerializer):
    """What a terminal sees of a member: enough to greet and serve them."""

    tags = serializers.SlugRelatedField(many=True, read_only=True, slug_field="name")
    source_store = serializers.PrimaryKeyRelatedField(read_only=True)

    class Meta:
        model = Member
        fields = ["id", "phone", "name", "gender", "birthday", "joined_at", "status", "tags", "source_store",
                  "custom_fields"]


class MemberLookupSerializer(serializers.Serializer):
    phone = serializers.CharField(required=False, help_text=_("The member's mobile number."))
    code = serializers.CharField(required=False, help_text=_("The scanned member QR code."))


class MemberJoinSerializer(serializers.Serializer):
    phone = serializers.CharField(max_length=20)
    name = serializers.CharField(max_length=60, required=False, allow_blank=True, default="")
    gender = serializers.ChoiceField(choices=Member.Gender.choices, required=False, default=Member.Gender.UNKNOWN)
    birthday = serializers.DateField(required=False, allow_null=True, default=None)
    custom_fields = serializers.DictField(required=False, default=dict)


# Apps above this one add to what a terminal sees of a member (level, points, balances): each entry is a
# callable `(member) -> dict` whose keys are merged into the lookup answer.
MEMBER_SUMMARY_EXTRAS: list = []


def member_summary(member: Member) -> dict:
    data = dict(MemberSerializer(member).data)
    for extra in MEMBER_SUMMARY_EXTRAS:
        data.update(extra(member))
    return data
