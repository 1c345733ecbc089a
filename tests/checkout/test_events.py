"""Reward rules and checkout settings edited in the admin leave typed events: their history and the outbox."""

from unittest import mock

import pytest
from django.urls import reverse

from checkout import services
from checkout.admin import RewardRuleAdmin
from checkout.events import CHECKOUT_SETTINGS_CHANGED, REWARD_RULE_CHANGED
from checkout.models import RewardRule
from loyalty.admin import HIDDEN_VALUE
from loyalty.models import Event
from tests.admin_forms import admin_form_data
from tests.checkout.admin_factories import FACTORIES
from tests.conftest import staff_client

new_rule = FACTORIES["checkout.rewardrule"]


def _change(rule):
    return reverse("admin:checkout_rewardrule_change", args=[rule.pk])


def _edit(client, url, **changes):
    return client.post(url, admin_form_data(client.get(url), **changes))


def test_editing_a_reward_rule_records_each_changed_field_before_and_after(client, tenant_a):
    rule = new_rule(tenant_a)
    staff_client(client, tenant_a.manager)
    response = _edit(client, _change(rule), name="Spend 60", min_paid="60.00")
    assert response.status_code == 302
    event = Event.objects.get(kind=REWARD_RULE_CHANGED.code)
    assert (event.object_id, event.staff, event.merchant, event.data) == (
        rule.pk, tenant_a.manager.user, tenant_a.merchant,
        {"changes": {"name": ["A reward", "Spend 60"], "min_paid": ["50.00", "60.00"]}})


def test_choosing_stores_records_their_ids(client, tenant_a):
    rule = new_rule(tenant_a)
    staff_client(client, tenant_a.manager)
    _edit(client, _change(rule), stores=[str(tenant_a.store.pk)])
    assert Event.objects.get(kind=REWARD_RULE_CHANGED.code).data == {"changes": {"stores": [[], [tenant_a.store.pk]]}}


def test_saving_a_rule_unchanged_records_nothing(client, tenant_a):
    rule = new_rule(tenant_a)
    staff_client(client, tenant_a.manager)
    assert _edit(client, _change(rule)).status_code == 302
    assert not Event.objects.filter(kind=REWARD_RULE_CHANGED.code).exists()


def test_adding_and_deleting_a_rule_are_events_too(client, tenant_a):
    staff_client(client, tenant_a.manager)
    add = reverse("admin:checkout_rewardrule_add")
    assert _edit(client, add, name="New rule", min_paid="10.00").status_code == 302
    rule = RewardRule.objects.get(name="New rule")
    client.post(reverse("admin:checkout_rewardrule_delete", args=[rule.pk]), {"post": "yes"})
    assert not RewardRule.objects.filter(pk=rule.pk).exists()
    added, deleted = Event.objects.filter(kind=REWARD_RULE_CHANGED.code, object_id=rule.pk).order_by("pk")
    assert (added.data["created"], added.data["changes"]["name"], deleted.data) == (
        True, [None, "New rule"], {"changes": {}, "deleted": True})


def test_a_save_that_fails_after_the_change_leaves_no_event(client, tenant_a):
    rule = new_rule(tenant_a)
    staff_client(client, tenant_a.manager)
    url = _change(rule)
    data = admin_form_data(client.get(url), name="Spend 60")
    with mock.patch.object(RewardRuleAdmin, "log_change", side_effect=RuntimeError("log failed")):
        with pytest.raises(RuntimeError):
            client.post(url, data)
    assert (RewardRule.objects.get(pk=rule.pk).name, Event.objects.filter(kind=REWARD_RULE_CHANGED.code).count()) == (
        "A reward", 0)


def test_the_rule_history_page_shows_its_events(client, tenant_a):
    rule = new_rule(tenant_a)
    staff_client(client, tenant_a.manager)
    _edit(client, _change(rule), name="Spend 60")
    response = client.get(reverse("admin:checkout_rewardrule_history", args=[rule.pk]))
    [row] = response.context["event_rows"]
    assert (row.label, row.who, row.details) == (
        str(REWARD_RULE_CHANGED.label), tenant_a.manager.user.username,
        [f"{RewardRule._meta.get_field('name').verbose_name.capitalize()}: A reward → Spend 60"])


def test_another_merchants_staff_cannot_open_a_rules_history(client, tenant_a, tenant_b):
    rule = new_rule(tenant_a)
    staff_client(client, tenant_b.owner)
    assert client.get(reverse("admin:checkout_rewardrule_history", args=[rule.pk])).status_code == 404


def test_a_new_webhook_secret_is_an_event_that_does_not_show_it(client, tenant_a):
    settings = services.checkout_settings(tenant_a.merchant)
    staff_client(client, tenant_a.owner)
    url = reverse("admin:checkout_checkoutsettings_change", args=[settings.pk])
    _edit(client, url, webhook_secret="a-new-secret-of-the-merchant", points_stack=False)
    event = Event.objects.get(kind=CHECKOUT_SETTINGS_CHANGED.code)
    assert event.data == {"changes": {"points_stack": [True, False],
                                      "webhook_secret": [HIDDEN_VALUE, HIDDEN_VALUE]}}
