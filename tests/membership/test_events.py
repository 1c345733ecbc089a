"""The programme and its levels edited in the admin are typed events; points stay in their ledger."""

from django.urls import reverse

from cards.membership import events
from cards.membership.models import Level
from loyalty.models import Event
from tests.admin_forms import admin_form_data
from tests.conftest import staff_client
from tests.membership.helpers import make_program


def _edit(client, url, **changes):
    return client.post(url, admin_form_data(client.get(url), **changes))


def test_changing_the_programme_records_who_and_what(client, tenant_a):
    program = make_program(tenant_a.merchant)
    staff_client(client, tenant_a.owner)
    url = reverse("admin:membership_membershipprogram_change", args=[program.pk])
    assert _edit(client, url, card_name="Gold card", max_reduce_bonus="300").status_code == 302
    event = Event.objects.get(kind=events.PROGRAMME_CHANGED.code)
    assert (event.staff, event.data) == (tenant_a.owner.user, {"changes": {
        "card_name": [f"{tenant_a.merchant.name} card", "Gold card"], "max_reduce_bonus": [0, 300]}})


def test_changing_a_levels_member_price_is_an_event_on_the_level(client, tenant_a):
    gold = Level.objects.get(program=make_program(tenant_a.merchant), rank=2)
    staff_client(client, tenant_a.manager)
    url = reverse("admin:membership_level_change", args=[gold.pk])
    assert _edit(client, url, discount_percent="90.00").status_code == 302
    event = Event.objects.get(kind=events.LEVEL_CHANGED.code)
    assert (event.object_id, event.data) == (gold.pk, {"changes": {"discount_percent": ["100.00", "90.00"]}})


def test_points_given_are_in_the_ledger_not_an_event(tenant_a):
    from cards.membership import services

    make_program(tenant_a.merchant)
    before = Event.objects.count()
    services.grant_points(tenant_a.member, 25, reason="gift", reference="A-GIFT")
    assert Event.objects.count() == before
