"""Every admin page with an event history shows the object's events to its merchant's managers."""

import pytest
from django.contrib import admin
from django.db import transaction
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from loyalty.admin import EventHistoryAdmin
from loyalty.events import EventKind, event_kinds, record_event
from tests.conftest import staff_client
from tests.test_tenant_isolation_admin import FACTORIES

NOTED = EventKind("test.noted", _("noted by a test"))


def models_with_event_history():
    return sorted(model._meta.label_lower for model, model_admin in admin.site._registry.items()
                  if isinstance(model_admin, EventHistoryAdmin))


def test_the_settings_rules_and_coupons_have_an_event_history():
    assert {"checkout.rewardrule", "checkout.checkoutsettings", "coupons.coupon", "coupons.coupontemplate",
            "wallet.walletsettings", "wallet.rechargeoffer", "membership.membershipprogram", "membership.level",
            "merchants.staffmember", "merchants.member"} <= set(models_with_event_history())


@pytest.mark.parametrize("label", models_with_event_history())
def test_the_history_page_lists_the_objects_events(client, tenant_a, label):
    obj = FACTORIES[label](tenant_a)
    with event_kinds.registered(NOTED), transaction.atomic():
        event = record_event(NOTED, obj, staff=tenant_a.owner.user, data={"note": "seen"})
        staff_client(client, tenant_a.manager)
        opts = obj._meta
        response = client.get(reverse(f"admin:{opts.app_label}_{opts.model_name}_history", args=[obj.pk]))
    [row] = [row for row in response.context["event_rows"] if row.event.kind == NOTED.code]
    assert (row.event.pk, row.label, row.details) == (event.pk, str(NOTED.label), ["note: seen"])
