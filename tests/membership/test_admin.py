"""Staff screens: finding a member by phone or scanned code, adjusting points with a reason, CSV export, filters."""

import time
from decimal import Decimal

import pytest
from django.urls import reverse

from cards.membership import services
from cards.membership.models import Level, PointsEntry
from merchants.member_codes import member_code
from merchants.roles import sync_role_groups
from tests.conftest import staff_client
from tests.membership.helpers import make_program, points_of

D = Decimal
pytestmark = pytest.mark.django_db
CARDS = reverse("admin:membership_membershipcard_changelist")


def _setup(tenant):
    sync_role_groups()
    make_program(tenant.merchant)
    services.earn_for_payment(tenant.member, paid_amount=D("150.00"), reference="P1")
    return services.card_for(tenant.member)


def _adjust_url(card):
    return reverse("admin:membership_membershipcard_adjust", args=[card.pk])


def test_manager_adjusts_points_with_a_reason(client, tenant_a):
    card = _setup(tenant_a)
    staff_client(client, tenant_a.manager)
    change = client.get(reverse("admin:membership_membershipcard_change", args=[card.pk])).content.decode()
    assert _adjust_url(card) in change
    response = client.post(_adjust_url(card), {"delta": "-50", "reason_text": "Returned goods"})
    assert response.status_code == 302 and points_of(tenant_a.member) == 100
    entry = PointsEntry.objects.get(reason="adjustment")
    assert (entry.note, entry.staff, entry.delta) == ("Returned goods", tenant_a.manager.user, -50)


def test_adjusting_without_a_reason_or_below_zero_is_refused(client, tenant_a):
    card = _setup(tenant_a)
    staff_client(client, tenant_a.owner)
    response = client.post(_adjust_url(card), {"delta": "10", "reason_text": ""})
    assert response.status_code == 200 and response.context["form"].errors
    response = client.post(_adjust_url(card), {"delta": "-151", "reason_text": "too much"})
    assert response.status_code == 200 and response.context["form"].errors["delta"]
    assert points_of(tenant_a.member) == 150 and not PointsEntry.objects.filter(reason="adjustment").exists()


def test_cashier_may_look_but_not_adjust(client, tenant_a):
    card = _setup(tenant_a)
    staff_client(client, tenant_a.cashier)
    assert client.get(CARDS).status_code == 200
    change = client.get(reverse("admin:membership_membershipcard_change", args=[card.pk])).content.decode()
    assert _adjust_url(card) not in change
    assert client.get(_adjust_url(card)).status_code == 403
    assert client.post(_adjust_url(card), {"delta": "10", "reason_text": "x"}).status_code == 403


def test_another_merchants_staff_cannot_adjust(client, tenant_a, tenant_b):
    card = _setup(tenant_a)
    staff_client(client, tenant_b.owner)
    assert client.post(_adjust_url(card), {"delta": "999", "reason_text": "x"}).status_code == 404
    assert points_of(tenant_a.member) == 150


def test_find_a_member_by_phone_or_by_scanned_code(client, tenant_a):
    card = _setup(tenant_a)
    staff_client(client, tenant_a.cashier)
    by_phone = client.get(CARDS, {"q": tenant_a.member.phone[-4:]})
    assert [row.pk for row in by_phone.context["cl"].result_list] == [card.pk]
    by_code = client.get(CARDS, {"q": member_code(tenant_a.member)})
    assert [row.pk for row in by_code.context["cl"].result_list] == [card.pk]
    expired = client.get(CARDS, {"q": member_code(tenant_a.member, now=time.time() - 600)})
    assert list(expired.context["cl"].result_list) == []


def test_another_merchants_code_finds_nobody(client, tenant_a, tenant_b):
    _setup(tenant_a)
    _setup(tenant_b)
    staff_client(client, tenant_b.cashier)
    response = client.get(CARDS, {"q": member_code(tenant_a.member)})
    assert list(response.context["cl"].result_list) == []


def test_card_page_in_the_admin_shows_level_points_and_history(client, tenant_a):
    card = _setup(tenant_a)
    staff_client(client, tenant_a.cashier)
    html = client.get(reverse("admin:membership_membershipcard_change", args=[card.pk])).content.decode()
    assert 'id="recent-points"' in html and "Gold" in html and "150" in html


def test_csv_export_lists_members_with_level_and_points(client, tenant_a, tenant_b):
    card = _setup(tenant_a)
    _setup(tenant_b)
    staff_client(client, tenant_a.owner)
    response = client.post(CARDS, {"action": "export_csv", "_selected_action": [card.pk]})
    body = b"".join(response.streaming_content).decode()
    assert tenant_a.member.phone in body and "Gold" in body and ",150," in body
    assert tenant_b.member.phone not in body


def test_level_filter_offers_only_own_levels(client, tenant_a, tenant_b):
    _setup(tenant_a)
    _setup(tenant_b)
    Level.objects.filter(merchant=tenant_b.merchant, rank=3).update(name="B-only level")
    staff_client(client, tenant_a.owner)
    gold = Level.objects.get(merchant=tenant_a.merchant, rank=2)
    response = client.get(CARDS, {"level__id__exact": gold.pk, "member__joined_at__gte": "2000-01-01T00:00:00+08:00"})
    assert response.status_code == 200 and len(response.context["cl"].result_list) == 1
    assert "B-only level" not in response.content.decode()


def test_programme_colour_must_be_a_colour(client, tenant_a):
    sync_role_groups()
    program = make_program(tenant_a.merchant)
    staff_client(client, tenant_a.owner)
    url = reverse("admin:membership_membershipprogram_change", args=[program.pk])
    form = client.get(url).context["adminform"].form
    data = {name: ("" if value is None else value) for name, value in form.initial.items()
            if name not in ("logo", "merchant")}
    data.update({"colour": "red;}", "card_name": "New name"})
    response = client.post(url, data)
    assert response.status_code == 200 and "colour" in response.context["adminform"].form.errors


def test_level_of_another_merchants_programme_is_refused(client, tenant_a, operator):
    program_b = make_program(tenant_a.merchant.__class__.objects.create(name="Other", slug="other"))
    client.force_login(operator)
    response = client.post(reverse("admin:membership_level_add"), {
        "merchant": tenant_a.merchant.pk, "program": program_b.pk, "name": "X", "rank": 9, "threshold": "0",
        "discount_percent": "100", "points_multiplier": "1", "benefits": ""})
    assert response.status_code == 200 and "program" in response.context["adminform"].form.errors
