"""Saved segments and the merchants app's segment filters: who is in, what is refused, one query."""

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from loyalty.errors import SEGMENT_FILTER_UNKNOWN, SEGMENT_INVALID, DomainError
from loyalty.segments import Clause, segment_filters
from merchants.models import Member, MemberField, MemberTag, Segment
from merchants.services import (
    count_members,
    create_segment,
    describe_segment,
    join_member,
    members_in_segment,
    members_matching,
    preview_members,
    update_member,
)
from tests.coupons.helpers import make_members

pytestmark = pytest.mark.usefixtures("in_english")


def _ids(queryset) -> set[int]:
    return set(queryset.values_list("pk", flat=True))


def test_every_app_registers_its_filters():
    assert {"joined_between", "birthday_month", "tag", "member_field", "phones", "level", "points_held",
            "stored_value_held", "visits_in_days", "spend_in_days", "inactive"} <= set(segment_filters.codes())


def test_a_segment_without_clauses_is_every_active_member(tenant_a, tenant_b):
    frozen, = make_members(tenant_a.merchant, 1)
    Member.objects.filter(pk=frozen.pk).update(status=Member.Status.FROZEN)
    segment = create_segment(tenant_a.merchant, name="everybody", clauses=[])
    assert _ids(members_in_segment(segment)) == {tenant_a.member.pk}


def test_joined_between_counts_whole_days(tenant_a):
    members = make_members(tenant_a.merchant, 3)
    now = timezone.now()
    Member.objects.filter(pk=members[0].pk).update(joined_at=now - datetime.timedelta(days=10))
    Member.objects.filter(pk=members[1].pk).update(joined_at=now - datetime.timedelta(days=20))
    today = timezone.localdate()
    count = count_members(tenant_a.merchant, [("joined_between", {
        "joined_from": (today - datetime.timedelta(days=15)).isoformat(), "joined_until": today.isoformat()})])
    assert count == 3  # members[0], members[2] and the tenant's member joined within the 15 days


def test_joined_between_upside_down_is_refused(tenant_a):
    with pytest.raises(DomainError) as refused:
        count_members(tenant_a.merchant, [("joined_between", {"joined_from": "2026-05-02",
                                                              "joined_until": "2026-05-01"})])
    assert (refused.value.code, refused.value.field) == (SEGMENT_INVALID, "joined_until")


def test_birthday_month_is_the_given_month_or_the_month_of_use(tenant_a):
    members = make_members(tenant_a.merchant, 2)
    Member.objects.filter(pk=members[0].pk).update(birthday=datetime.date(1990, 3, 9))
    Member.objects.filter(pk=members[1].pk).update(birthday=datetime.date(1990, 7, 1))
    segment = create_segment(tenant_a.merchant, name="birthday", clauses=[("birthday_month", {})])
    july = timezone.make_aware(datetime.datetime(2026, 7, 15, 12))
    assert _ids(members_in_segment(segment, at=july)) == {members[1].pk}
    assert count_members(tenant_a.merchant, [("birthday_month", {"month": "3"})]) == 1
    with pytest.raises(DomainError):
        count_members(tenant_a.merchant, [("birthday_month", {"month": 13})])


def test_tag_of_another_merchant_is_refused(tenant_a, tenant_b):
    theirs = MemberTag.objects.create(merchant=tenant_b.merchant, name="B VIP")
    with pytest.raises(DomainError) as refused:
        create_segment(tenant_a.merchant, name="stolen", clauses=[("tag", {"tag": theirs.pk})])
    assert (refused.value.code, refused.value.field) == (SEGMENT_INVALID, "tag")
    assert not Segment.objects.exists()


def test_member_field_matches_a_value_and_an_option_of_a_multiple_choice(tenant_a, tenant_b):
    MemberField.objects.create(merchant=tenant_a.merchant, key="company", label="Company")
    MemberField.objects.create(merchant=tenant_a.merchant, key="likes", label="Likes",
                               kind=MemberField.Kind.MULTIPLE_CHOICE, choices=["tea", "coffee"])
    MemberField.objects.create(merchant=tenant_b.merchant, key="secret", label="B only")
    members = make_members(tenant_a.merchant, 3)
    update_member(members[0], custom_fields={"company": "ACME", "likes": ["tea", "coffee"]})
    update_member(members[1], custom_fields={"company": "Initech", "likes": ["coffee"]})
    assert _ids(members_matching(tenant_a.merchant.pk, [Clause("member_field", {"field": "company",
                                                                                "value": "ACME"})])) == \
        {members[0].pk}
    segment = create_segment(tenant_a.merchant, name="tea", clauses=[("member_field", {"field": "likes",
                                                                                       "value": "tea"})])
    assert _ids(members_in_segment(segment)) == {members[0].pk}
    with pytest.raises(DomainError) as refused:
        count_members(tenant_a.merchant, [("member_field", {"field": "likes", "value": "milk"})])
    assert refused.value.field == "value"
    with pytest.raises(DomainError) as refused:
        count_members(tenant_a.merchant, [("member_field", {"field": "secret", "value": "x"})])
    assert refused.value.field == "field"


def test_phone_list_keeps_the_valid_phones_of_the_merchant(tenant_a, tenant_b):
    members = make_members(tenant_a.merchant, 2)
    outsider = join_member(tenant_b.merchant, members[0].phone)
    segment = create_segment(tenant_a.merchant, name="list", clauses=[
        ("phones", {"phones": f"{members[0].phone}\nnot-a-phone\n+86 {members[1].phone}"})])
    assert segment.clauses.get().params == {"phones": sorted([members[0].phone, members[1].phone])}
    assert _ids(members_in_segment(segment)) == {members[0].pk, members[1].pk}
    assert outsider.pk not in _ids(members_in_segment(segment))
    with pytest.raises(DomainError):
        count_members(tenant_a.merchant, [("phones", {"phones": "nobody"})])


def test_clauses_all_match_or_any_match(tenant_a):
    members = make_members(tenant_a.merchant, 3)
    tag = MemberTag.objects.create(merchant=tenant_a.merchant, name="VIP")
    members[0].tags.add(tag)
    members[1].tags.add(tag)
    Member.objects.filter(pk__in=[members[1].pk, members[2].pk]).update(birthday=datetime.date(1990, 3, 9))
    clauses = [("tag", {"tag": tag.pk}), ("birthday_month", {"month": 3})]
    assert count_members(tenant_a.merchant, clauses) == 1
    assert count_members(tenant_a.merchant, clauses, match_any=True) == 3
    segment = create_segment(tenant_a.merchant, name="either", clauses=clauses, match=Segment.Match.ANY)
    assert _ids(members_in_segment(segment)) == {m.pk for m in members}


def test_an_unknown_filter_is_refused(tenant_a):
    with pytest.raises(DomainError) as refused:
        count_members(tenant_a.merchant, [("no_such_filter", {})])
    assert refused.value.code == SEGMENT_FILTER_UNKNOWN


def test_a_segment_is_one_query_whatever_its_clauses(tenant_a):
    tag = MemberTag.objects.create(merchant=tenant_a.merchant, name="VIP")
    segment = create_segment(tenant_a.merchant, name="many", clauses=[
        ("tag", {"tag": tag.pk}), ("inactive", {"days": 30}), ("visits_in_days", {"days": 90, "at_least": 1}),
        ("points_held", {"at_least": 0}), ("stored_value_held", {"at_most": "100"})], match=Segment.Match.ANY)
    members = members_in_segment(segment)
    with CaptureQueriesContext(connection) as queries:
        members.count()
    assert len(queries) == 1


def test_preview_and_description(tenant_a):
    make_members(tenant_a.merchant, 3)
    tag = MemberTag.objects.create(merchant=tenant_a.merchant, name="VIP")
    segment = create_segment(tenant_a.merchant, name="all", clauses=[("inactive", {"days": 30}),
                                                                      ("tag", {"tag": tag.pk})],
                             match=Segment.Match.ANY)
    assert describe_segment(segment) == ["no payment for 30 days", "tagged “VIP”"]
    assert preview_members(segment, size=2) == []
    everybody = create_segment(tenant_a.merchant, name="everybody", clauses=[])
    assert len(preview_members(everybody, size=2)) == 2


def test_a_member_field_condition_is_described_by_its_label(tenant_a):
    MemberField.objects.create(merchant=tenant_a.merchant, key="company", label="Company")
    segment = create_segment(tenant_a.merchant, name="ACME", clauses=[("member_field", {"field": "company",
                                                                                      "value": "ACME"})])
    assert describe_segment(segment) == ["Company is ACME"]


def test_a_condition_reads_as_its_description_in_the_admin(tenant_a):
    segment = create_segment(tenant_a.merchant, name="dormant", clauses=[("inactive", {"days": 30})])
    assert [str(clause) for clause in segment.clauses.all()] == ["no payment for 30 days"]
