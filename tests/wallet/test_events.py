"""Wallet settings, offers (their lines too) and rules edited in the admin are typed events; balances are not."""

from django.urls import reverse
from django.utils.text import capfirst
from django.utils.translation import gettext

from loyalty.models import Event
from tests.admin_forms import admin_form_data
from tests.conftest import staff_client
from tests.wallet.admin_factories import FACTORIES
from wallet import events, services


def _edit(client, url, **changes):
    return client.post(url, admin_form_data(client.get(url), **changes))


def test_changing_wallet_settings_records_the_fields_before_and_after(client, tenant_a):
    settings = services.wallet_settings(tenant_a.merchant)
    staff_client(client, tenant_a.owner)
    url = reverse("admin:wallet_walletsettings_change", args=[settings.pk])
    assert _edit(client, url, cashback_expiry_days="30", draw_order="principal_first").status_code == 302
    event = Event.objects.get(kind=events.WALLET_SETTINGS_CHANGED.code)
    assert (event.staff, event.data) == (tenant_a.owner.user, {"changes": {
        "draw_order": ["bonus_first", "principal_first"], "cashback_expiry_days": [90, 30]}})


def test_deleting_a_line_of_a_recharge_offer_is_part_of_its_event(client, tenant_a):
    offer = FACTORIES["wallet.rechargeoffer"](tenant_a)
    staff_client(client, tenant_a.owner)
    url = reverse("admin:wallet_rechargeoffer_change", args=[offer.pk])
    page = client.get(url)
    inline = page.context["inline_admin_formsets"][0].formset
    line = inline.forms[0].instance
    response = client.post(url, admin_form_data(page, name="100 with less", **{f"{inline.prefix}-0-DELETE": True}))
    assert response.status_code == 302
    event = Event.objects.get(kind=events.RECHARGE_OFFER_CHANGED.code)
    assert event.data == {"changes": {"name": ["A offer", "100 with less"]},
                          "lines": {inline.prefix: {"deleted": [line.pk]}}}


def test_a_recharge_is_in_the_ledger_not_an_event(tenant_a):
    """Its balance change is the ledger's; the event says a recharge was paid, for webhooks."""
    entry = FACTORIES["wallet.walletentry"](tenant_a)
    assert list(Event.objects.exclude(kind="member.joined").values_list("kind", "object_id")) == [
        ("recharge.paid", entry.recharge_id)]


def test_another_merchants_staff_cannot_open_an_offers_history(client, tenant_a, tenant_b):
    offer = FACTORIES["wallet.rechargeoffer"](tenant_a)
    staff_client(client, tenant_b.owner)
    assert client.get(reverse("admin:wallet_rechargeoffer_history", args=[offer.pk])).status_code == 404


def test_the_offers_history_names_the_deleted_line_in_words(client, tenant_a):
    offer = FACTORIES["wallet.rechargeoffer"](tenant_a)
    staff_client(client, tenant_a.owner)
    url = reverse("admin:wallet_rechargeoffer_change", args=[offer.pk])
    page = client.get(url)
    inline = page.context["inline_admin_formsets"][0].formset
    line = inline.forms[0].instance
    client.post(url, admin_form_data(page, **{f"{inline.prefix}-0-DELETE": True}))
    response = client.get(reverse("admin:wallet_rechargeoffer_history", args=[offer.pk]))
    [row] = response.context["event_rows"]
    assert row.details == [f"{capfirst(type(line)._meta.verbose_name_plural)} ({gettext('deleted')}): #{line.pk}"]


def test_the_offers_history_says_an_added_line_in_words(client, tenant_a, in_english):
    offer = FACTORIES["wallet.rechargeoffer"](tenant_a)
    staff_client(client, tenant_a.owner)
    url = reverse("admin:wallet_rechargeoffer_change", args=[offer.pk])
    page = client.get(url)
    prefix = page.context["inline_admin_formsets"][0].formset.prefix
    total = int(page.context["inline_admin_formsets"][0].formset.total_form_count())
    client.post(url, admin_form_data(page, **{f"{prefix}-{total - 1}-kind": "experience",
                                              f"{prefix}-{total - 1}-quantity": "30"}))
    response = client.get(reverse("admin:wallet_rechargeoffer_history", args=[offer.pk]))
    [row] = response.context["event_rows"]
    assert row.details == ["Benefits of the recharge offer (added): Kind experience, Quantity 30"]
