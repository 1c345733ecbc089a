"""The segment admin: conditions rendered from the filters' specs, saved cleaned, and the live count endpoint."""

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from loyalty.models import Event
from merchants import events
from merchants.models import Member, MemberTag, Segment
from merchants.services import create_segment
from tests.conftest import staff_client
from tests.coupons.helpers import make_members

pytestmark = pytest.mark.usefixtures("in_english")

COUNT = reverse("admin:merchants_segment_count")


def form_data(merchant, clauses, *, name="VIPs", match="all", saved=()):
    """The admin form as the browser posts it: the segment's fields and one inline form per clause."""
    data = {"merchant": merchant.pk, "name": name, "description": "", "match": match,
            "clauses-TOTAL_FORMS": str(len(saved) + len(clauses)), "clauses-INITIAL_FORMS": str(len(saved)),
            "clauses-MIN_NUM_FORMS": "0", "clauses-MAX_NUM_FORMS": "1000"}
    for i, (code, params, *pk) in enumerate([*saved, *clauses]):
        data[f"clauses-{i}-filter"] = code
        if pk:
            data[f"clauses-{i}-id"] = pk[0]
        for key, value in params.items():
            data[f"clauses-{i}-{code}__{key}"] = value
    return data


def _vips(tenant, count=3):
    tag = MemberTag.objects.create(merchant=tenant.merchant, name="VIP")
    members = make_members(tenant.merchant, count)
    for member in members[:2]:
        member.tags.add(tag)
    return tag, members


def test_the_count_endpoint_counts_the_members_matching_the_form(client, tenant_a):
    tag, members = _vips(tenant_a)
    Member.objects.filter(pk=members[0].pk).update(birthday=datetime.date(1990, 3, 1))
    staff_client(client, tenant_a.manager)
    response = client.post(COUNT, form_data(tenant_a.merchant, [("tag", {"tag": tag.pk})]))
    assert response.json() == {"count": 2, "text": "2 members", "errors": []}
    both = form_data(tenant_a.merchant, [("tag", {"tag": tag.pk}), ("birthday_month", {"month": 3})])
    assert client.post(COUNT, both).json()["count"] == 1
    assert client.post(COUNT, {**both, "match": "any"}).json()["count"] == 2
    assert client.post(COUNT, form_data(tenant_a.merchant, [])).json()["count"] == 4


def test_the_count_endpoint_returns_the_validation_errors(client, tenant_a):
    staff_client(client, tenant_a.manager)
    response = client.post(COUNT, form_data(tenant_a.merchant, [("joined_between", {
        "joined_from": "2026-05-02", "joined_until": "2026-05-01"})]))
    assert response.status_code == 400
    assert response.json() == {"count": None, "errors": ["The last day of joining comes before the first."]}
    response = client.post(COUNT, form_data(tenant_a.merchant, [("inactive", {})]))
    assert (response.status_code, response.json()["errors"]) == (400, ["“days without a payment” is required."])


def test_another_merchants_tag_is_not_a_choice_and_their_members_are_never_counted(client, tenant_a, tenant_b):
    tag, _members = _vips(tenant_a)
    staff_client(client, tenant_b.manager)
    response = client.post(COUNT, form_data(tenant_b.merchant, [("tag", {"tag": tag.pk})]))
    assert response.status_code == 400 and response.json()["count"] is None
    # Posting A's merchant changes nothing: the count is of the staff member's own merchant.
    assert client.post(COUNT, form_data(tenant_a.merchant, [])).json()["count"] == 1


def test_another_merchants_segment_count_is_a_404(client, tenant_a, tenant_b):
    segment = create_segment(tenant_a.merchant, name="A's", clauses=[])
    staff_client(client, tenant_b.owner)
    url = reverse("admin:merchants_segment_count_object", args=[segment.pk])
    assert client.post(url, form_data(tenant_b.merchant, [])).status_code == 404


def test_cashiers_may_not_count_or_see_segments(client, tenant_a):
    segment = create_segment(tenant_a.merchant, name="A's", clauses=[])
    staff_client(client, tenant_a.cashier)
    assert client.post(COUNT, form_data(tenant_a.merchant, [])).status_code == 403
    url = reverse("admin:merchants_segment_count_object", args=[segment.pk])
    assert client.post(url, form_data(tenant_a.merchant, [])).status_code == 403
    assert client.get(reverse("admin:merchants_segment_changelist")).status_code == 403


def test_the_count_endpoint_takes_posts_only(client, tenant_a):
    staff_client(client, tenant_a.manager)
    assert client.get(COUNT).status_code == 405


def test_a_segment_is_saved_from_the_admin_with_its_cleaned_conditions(client, tenant_a):
    tag, members = _vips(tenant_a)
    staff_client(client, tenant_a.manager)
    today = timezone.localdate().isoformat()
    response = client.post(reverse("admin:merchants_segment_add"), form_data(tenant_a.merchant, [
        ("tag", {"tag": tag.pk}), ("joined_between", {"joined_from": today, "joined_until": today})]))
    assert response.status_code == 302
    segment = Segment.objects.get()
    assert (segment.merchant, segment.created_by) == (tenant_a.merchant, tenant_a.manager.user)
    assert [(c.position, c.filter, c.params, c.merchant_id) for c in segment.clauses.all()] == [
        (0, "tag", {"tag": str(tag.pk)}, tenant_a.merchant.pk),
        (1, "joined_between", {"joined_from": today, "joined_until": today}, tenant_a.merchant.pk)]
    page = client.get(reverse("admin:merchants_segment_change", args=[segment.pk])).content.decode()
    assert 'id="segment-count"' in page and "merchants/segment_count.js" in page
    assert f'value="{today}"' in page


def test_a_condition_with_bad_parameters_is_shown_on_its_field_and_nothing_is_saved(client, tenant_a):
    staff_client(client, tenant_a.manager)
    response = client.post(reverse("admin:merchants_segment_add"), form_data(tenant_a.merchant, [
        ("points_held", {"at_least": "10", "at_most": "5"})]))
    assert response.status_code == 200
    [clause_errors] = response.context["inline_admin_formsets"][0].formset.errors
    assert clause_errors == {"points_held__at_most": ["The upper bound is below the lower one."]}
    assert not Segment.objects.exists()


def test_a_condition_is_removed_and_the_rest_keep_their_order(client, tenant_a):
    tag, _members = _vips(tenant_a)
    segment = create_segment(tenant_a.merchant, name="VIPs", clauses=[("inactive", {"days": 30}),
                                                                       ("tag", {"tag": tag.pk})])
    first, second = segment.clauses.all()
    staff_client(client, tenant_a.manager)
    data = form_data(tenant_a.merchant, [], saved=[("inactive", {"days": 30}, first.pk),
                                                   ("tag", {"tag": tag.pk}, second.pk)])
    data["clauses-0-DELETE"] = "on"
    response = client.post(reverse("admin:merchants_segment_change", args=[segment.pk]), data)
    assert response.status_code == 302
    assert [(c.position, c.filter) for c in segment.clauses.all()] == [(0, "tag")]


def test_the_operator_counts_for_the_merchant_picked_in_the_form(client, tenant_a, tenant_b, operator):
    make_members(tenant_a.merchant, 2)
    client.force_login(operator)
    assert client.post(COUNT, form_data(tenant_a.merchant, [])).json()["count"] == 3
    assert client.post(COUNT, form_data(tenant_b.merchant, [])).json()["count"] == 1
    response = client.post(COUNT, {**form_data(tenant_a.merchant, []), "merchant": ""})
    assert (response.status_code, response.json()["errors"]) == (400, ["Choose the merchant first."])


def test_the_change_page_previews_some_members_of_the_saved_segment(client, tenant_a):
    tag, members = _vips(tenant_a)
    segment = create_segment(tenant_a.merchant, name="VIPs", clauses=[("tag", {"tag": tag.pk})])
    staff_client(client, tenant_a.manager)
    page = client.get(reverse("admin:merchants_segment_change", args=[segment.pk])).content.decode()
    assert members[0].masked_phone in page and members[1].masked_phone in page
    assert members[2].masked_phone not in page


def test_saving_a_segment_in_the_admin_records_who_changed_its_conditions(client, tenant_a):
    tag, _members = _vips(tenant_a)
    staff_client(client, tenant_a.manager)
    response = client.post(reverse("admin:merchants_segment_add"), form_data(tenant_a.merchant, [
        ("tag", {"tag": tag.pk})]))
    assert response.status_code == 302
    event = Event.objects.get(kind=events.SEGMENT_CHANGED.code)
    assert (event.object_id, event.staff, event.data["created"], list(event.data["lines"])) == (
        Segment.objects.get().pk, tenant_a.manager.user, True, ["clauses"])
