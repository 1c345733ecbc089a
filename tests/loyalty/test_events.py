"""record_event: registered kinds only, inside the change's transaction, append-only; the Event list per merchant."""

import pytest
from django.contrib.contenttypes.models import ContentType
from django.db import transaction
from django.forms import modelformset_factory
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from loyalty.admin import formset_changes
from loyalty.events import EventKind, event_kinds, record_event
from loyalty.models import Event
from merchants import services
from merchants.models import MemberTag
from tests.conftest import staff_client

TESTED = EventKind("test.happened", _("something happened"))
EVENTS = reverse("admin:loyalty_event_changelist")


def test_an_event_belongs_to_its_subjects_merchant_and_says_who_did_it(tenant_a, in_english):
    with event_kinds.registered(TESTED):
        event = record_event(TESTED, tenant_a.store, staff=tenant_a.owner.user, terminal=tenant_a.terminal,
                             member=tenant_a.member, data={"note": _("lazy text"), "when": tenant_a.store.pk})
    assert (event.merchant, event.content_type, event.object_id, event.subject, event.data) == (
        tenant_a.merchant, ContentType.objects.get_for_model(tenant_a.store), tenant_a.store.pk, tenant_a.store,
        {"note": "lazy text", "when": tenant_a.store.pk})


def test_the_merchant_itself_can_be_the_subject(tenant_a):
    with event_kinds.registered(TESTED):
        assert record_event(TESTED, tenant_a.merchant).merchant == tenant_a.merchant


def test_an_unregistered_kind_is_refused(tenant_a):
    with pytest.raises(LookupError):
        record_event(TESTED, tenant_a.store)


@pytest.mark.django_db(transaction=True)
def test_an_event_outside_a_transaction_is_refused():
    from tests.conftest import make_tenant

    tenant = make_tenant("solo")
    with event_kinds.registered(TESTED), pytest.raises(RuntimeError):
        record_event(TESTED, tenant.store)
    with event_kinds.registered(TESTED), transaction.atomic():
        record_event(TESTED, tenant.store)
    assert Event.objects.filter(kind=TESTED.code).count() == 1


def test_events_are_never_changed(tenant_a):
    with event_kinds.registered(TESTED):
        event = record_event(TESTED, tenant_a.store, data={"a": 1})
    event.data = {"a": 2}
    with pytest.raises(ValueError):
        event.save()


def test_the_payload_is_what_a_webhook_will_send(tenant_a):
    with event_kinds.registered(TESTED):
        event = record_event(TESTED, tenant_a.store, staff=tenant_a.owner.user, data={"a": "1.50"})
    assert event.payload() == {
        "id": str(event.uuid), "kind": "test.happened", "merchant": tenant_a.merchant.pk,
        "created_at": event.created_at.isoformat(),
        "subject": {"type": "merchants.store", "id": tenant_a.store.pk, "sequence": 1},
        "staff": tenant_a.owner.user.pk, "terminal": None, "member": None, "data": {"a": "1.50"}}


def _revoked(tenant) -> Event:
    services.revoke_terminal(tenant.terminal, staff=tenant.owner.user)
    return Event.objects.get(merchant=tenant.merchant, kind="terminal.revoked")


def test_staff_list_their_merchants_events_only(client, tenant_a, tenant_b):
    mine, theirs = _revoked(tenant_a), _revoked(tenant_b)
    staff_client(client, tenant_a.manager)
    response = client.get(EVENTS)
    listed = [event.pk for event in response.context["cl"].result_list]
    assert mine.pk in listed and not Event.objects.filter(pk__in=listed, merchant=tenant_b.merchant).exists()
    assert client.get(reverse("admin:loyalty_event_change", args=[theirs.pk])).status_code == 404


def test_the_operator_lists_every_merchants_events(client, operator, tenant_a, tenant_b):
    events = {_revoked(tenant_a).pk, _revoked(tenant_b).pk}
    client.force_login(operator)
    assert {event.pk for event in client.get(EVENTS).context["cl"].result_list} >= events


def test_cashiers_see_no_events(client, tenant_a):
    _revoked(tenant_a)
    staff_client(client, tenant_a.cashier)
    assert client.get(EVENTS).status_code == 403


def test_an_event_page_links_to_its_objects_history_and_shows_what_changed(client, tenant_a):
    event = _revoked(tenant_a)
    staff_client(client, tenant_a.owner)
    page = client.get(reverse("admin:loyalty_event_change", args=[event.pk])).content.decode()
    assert reverse("admin:merchants_terminal_history", args=[tenant_a.terminal.pk]) in page
    assert f"store: {tenant_a.store.pk}" in page


def test_an_inlines_changes_are_its_lines_added_changed_and_deleted(tenant_a):
    kept, dropped = (MemberTag.objects.create(merchant=tenant_a.merchant, name=name) for name in ("A", "B"))
    formset_class = modelformset_factory(MemberTag, fields=["name"], can_delete=True, extra=1)
    data = {"form-TOTAL_FORMS": "3", "form-INITIAL_FORMS": "2", "form-MIN_NUM_FORMS": "0",
            "form-MAX_NUM_FORMS": "1000", "form-0-id": str(kept.pk), "form-0-name": "A2",
            "form-1-id": str(dropped.pk), "form-1-name": "B", "form-1-DELETE": "on", "form-2-name": "C"}
    formset = formset_class(data, queryset=MemberTag.objects.filter(pk__in=[kept.pk, dropped.pk]).order_by("pk"))
    assert formset.is_valid(), formset.errors
    assert formset_changes(formset) == {"added": [{"name": "C"}],
                                        "changed": [{"id": kept.pk, "changes": {"name": ["A", "A2"]}}],
                                        "deleted": [dropped.pk]}
