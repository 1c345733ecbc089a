"""Staff roles, revoked terminal keys and frozen members are typed events with who did it."""

from django.urls import reverse

from loyalty.models import Event
from merchants import events, services
from merchants.models import Member, StaffRole
from tests.admin_forms import admin_form_data
from tests.conftest import staff_client


def test_an_owner_changing_a_staff_role_in_the_admin_records_before_and_after(client, tenant_a):
    staff_client(client, tenant_a.owner)
    url = reverse("admin:merchants_staffmember_change", args=[tenant_a.cashier.pk])
    response = client.post(url, admin_form_data(client.get(url), role=StaffRole.MANAGER))
    assert response.status_code == 302
    event = Event.objects.get(kind=events.STAFF_ROLE_CHANGED.code)
    assert (event.object_id, event.staff, event.data) == (
        tenant_a.cashier.pk, tenant_a.owner.user, {"changes": {"role": ["cashier", "manager"]}})
    assert tenant_a.cashier.user.groups.get().name == "role:manager"


def test_adding_staff_is_not_a_role_change(tenant_a):
    services.add_staff(tenant_a.merchant, username="new-cashier", password="x", role=StaffRole.CASHIER,
                       check_password=False)
    assert not Event.objects.filter(kind=events.STAFF_ROLE_CHANGED.code).exists()


def test_revoking_a_terminal_is_an_event_once(tenant_a):
    services.revoke_terminal(tenant_a.terminal, staff=tenant_a.owner.user)
    services.revoke_terminal(tenant_a.terminal, staff=tenant_a.owner.user)
    assert list(Event.objects.exclude(kind=events.MEMBER_JOINED.code).values_list("kind", "staff")) == [
        (events.TERMINAL_REVOKED.code, tenant_a.owner.user.pk)]


def test_freezing_a_member_in_the_admin_is_a_member_frozen_event(client, tenant_a):
    staff_client(client, tenant_a.manager)
    url = reverse("admin:merchants_member_change", args=[tenant_a.member.pk])
    response = client.post(url, admin_form_data(client.get(url), status=Member.Status.FROZEN))
    assert response.status_code == 302
    event = Event.objects.exclude(kind=events.MEMBER_JOINED.code).get()
    assert (event.kind, event.member, event.data) == (
        events.MEMBER_FROZEN.code, tenant_a.member, {"changes": {"status": ["active", "frozen"]}})


def test_another_merchants_owner_cannot_open_a_staff_members_history(client, tenant_a, tenant_b):
    services.set_staff_role(tenant_a.cashier, StaffRole.MANAGER, by=tenant_a.owner.user)
    staff_client(client, tenant_b.owner)
    url = reverse("admin:merchants_staffmember_history", args=[tenant_a.cashier.pk])
    assert client.get(url).status_code == 404
