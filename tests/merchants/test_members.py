"""Members and their merchant-defined attributes."""

import pytest

from loyalty.errors import DomainError
from merchants.models import MemberField
from merchants.services import join_member, normalize_phone, update_member, validate_member_fields
from merchants.signals import member_joined


@pytest.fixture
def fields(tenant_a):
    m = tenant_a.merchant
    MemberField.objects.create(merchant=m, key="company", label="Company", kind="text")
    MemberField.objects.create(merchant=m, key="height", label="Height", kind="number", required=True)
    MemberField.objects.create(merchant=m, key="since", label="Since", kind="date")
    MemberField.objects.create(merchant=m, key="size", label="Size", kind="choice", choices=["S", "M", "L"])
    MemberField.objects.create(merchant=m, key="likes", label="Likes", kind="multiple_choice",
                               choices=["tea", "coffee", "juice"])
    MemberField.objects.create(merchant=m, key="old", label="Old", kind="text", is_active=False)
    return m


def test_attributes_are_validated_and_cleaned(fields):
    cleaned = validate_member_fields(fields, {"company": " ACME ", "height": "175.0", "since": "2020-02-29",
                                              "size": "M", "likes": ["juice", "tea", "tea"]})
    assert cleaned == {"company": "ACME", "height": "175", "since": "2020-02-29", "size": "M",
                       "likes": ["tea", "juice"]}


@pytest.mark.parametrize("raw, code, field", [
    ({}, "member_field_required", "custom_fields.height"),
    ({"height": "tall"}, "member_field_invalid", "custom_fields.height"),
    ({"height": "1", "since": "2021-02-30"}, "member_field_invalid", "custom_fields.since"),
    ({"height": "1", "size": "XL"}, "member_field_invalid", "custom_fields.size"),
    ({"height": "1", "likes": ["tea", "wine"]}, "member_field_invalid", "custom_fields.likes"),
    ({"height": "1", "old": "x"}, "member_field_invalid", "custom_fields.old"),
    ({"height": "1", "company": "x" * 201}, "member_field_invalid", "custom_fields.company"),
    ({"height": "NaN"}, "member_field_invalid", "custom_fields.height"),
])
def test_bad_attributes_are_refused_naming_the_field(fields, raw, code, field):
    with pytest.raises(DomainError) as caught:
        validate_member_fields(fields, raw)
    assert (caught.value.code, caught.value.field) == (code, field)


def test_one_phone_is_one_member_per_merchant(tenant_a, tenant_b):
    with pytest.raises(DomainError) as caught:
        join_member(tenant_a.merchant, "+86 138 0000 0001")
    assert caught.value.code == "member_exists" and caught.value.status_code == 409
    assert join_member(tenant_b.merchant, "13800000001").merchant == tenant_b.merchant


def test_joining_sends_member_joined_inside_the_transaction(tenant_a):
    seen = []

    def receiver(sender, member, **kwargs):
        seen.append(member.phone)

    member_joined.connect(receiver)
    try:
        join_member(tenant_a.merchant, "13700000001")
    finally:
        member_joined.disconnect(receiver)
    assert seen == ["13700000001"]


def test_updating_keeps_attributes_not_sent(fields, tenant_a):
    member = tenant_a.member
    update_member(member, custom_fields={"height": "170", "size": "S"})
    update_member(member, name="New name", custom_fields={"size": "L"})
    member.refresh_from_db()
    assert member.custom_fields == {"height": "170", "size": "L"} and member.name == "New name"


@pytest.mark.parametrize("raw, expected", [("13800000001", "13800000001"), ("+86 138-0000-0001", "13800000001"),
                                           ("0086 13800000001", "13800000001"), ("+852 6123 4567", "+85261234567"),
                                           ("00852 61234567", "+85261234567")])
def test_phone_numbers_are_normalised(raw, expected):
    assert normalize_phone(raw) == expected
