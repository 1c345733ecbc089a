"""Staff of merchant B never see or touch merchant A's rows, for every model in the admin."""

from __future__ import annotations

import importlib
import pkgutil

import pytest
from django.contrib import admin
from django.urls import reverse

import tests
from cards.punchcards.models import PunchCard
from coupons.models import CouponIssuance
from merchants.models import MemberTag
from merchants.roles import PLATFORM_APPS
from tests.conftest import staff_client
from tests.punchcards.helpers import make_product


def _collect_factories() -> dict:
    """Merge FACTORIES from every tests/<app>/admin_factories.py."""
    factories = {}
    for module in pkgutil.walk_packages(tests.__path__, "tests."):
        if module.name.endswith(".admin_factories"):
            factories.update(importlib.import_module(module.name).FACTORIES)
    return factories


FACTORIES = _collect_factories()
# Operators only: staff hold no permission on these at all.
OPERATOR_ONLY = {"loyalty.idempotencyrecord"}


def platform_models():
    return sorted(m._meta.label_lower for m in admin.site._registry if m._meta.app_label in PLATFORM_APPS)


def other_models():
    return sorted(m._meta.label_lower for m in admin.site._registry if m._meta.app_label not in PLATFORM_APPS)


def _urls(obj):
    opts = obj._meta
    return [reverse(f"admin:{opts.app_label}_{opts.model_name}_{view}", args=[obj.pk])
            for view in ("change", "delete", "history")]


def test_every_platform_admin_model_has_a_factory():
    assert set(platform_models()) <= set(FACTORIES), "add a factory for the new admin model"


@pytest.mark.parametrize("label", platform_models())
@pytest.mark.parametrize("role", ["owner", "manager", "cashier"])
def test_staff_of_another_merchant_get_nothing(client, tenant_a, tenant_b, label, role):
    obj = FACTORIES[label](tenant_a)
    staff_client(client, getattr(tenant_b, role))
    for url in _urls(obj):
        response = client.get(url)
        assert response.status_code in (403, 404), (url, response.status_code)
        response = client.post(url, {"post": "yes"})
        assert response.status_code in (403, 404), (url, response.status_code)
    assert type(obj)._default_manager.filter(pk=obj.pk).exists()
    opts = obj._meta
    changelist = client.get(reverse(f"admin:{opts.app_label}_{opts.model_name}_changelist"))
    if changelist.status_code == 200:
        assert obj.pk not in [row.pk for row in changelist.context["cl"].result_list]
    else:
        assert changelist.status_code == 403


@pytest.mark.parametrize("label", platform_models())
def test_staff_see_their_own_rows(client, tenant_a, label):
    obj = FACTORIES[label](tenant_a)
    staff_client(client, tenant_a.owner)
    opts = obj._meta
    changelist = client.get(reverse(f"admin:{opts.app_label}_{opts.model_name}_changelist"))
    if label in OPERATOR_ONLY:
        assert changelist.status_code == 403  # operators only
        return
    assert changelist.status_code == 200
    assert obj.pk in [row.pk for row in changelist.context["cl"].result_list]
    assert client.get(_urls(obj)[0]).status_code == 200


@pytest.mark.parametrize("label", other_models())
def test_framework_models_are_closed_to_staff(client, tenant_b, label):
    app_label, model_name = label.split(".")
    staff_client(client, tenant_b.owner)
    assert client.get(reverse(f"admin:{app_label}_{model_name}_changelist")).status_code == 403
    assert client.get(reverse(f"admin:{app_label}_{model_name}_add")).status_code == 403


def test_operator_sees_every_merchant(client, operator, tenant_a, tenant_b):
    client.force_login(operator)
    response = client.get(reverse("admin:merchants_member_changelist"))
    pks = {row.pk for row in response.context["cl"].result_list}
    assert {tenant_a.member.pk, tenant_b.member.pk} <= pks


def test_autocomplete_never_offers_another_merchants_members(client, tenant_a, tenant_b):
    staff_client(client, tenant_b.owner)
    response = client.get(reverse("admin:autocomplete"), {
        "app_label": "merchants", "model_name": "member", "field_name": "referrer", "term": ""})
    assert response.status_code == 200
    ids = {int(item["id"]) for item in response.json()["results"]}
    assert tenant_b.member.pk in ids and tenant_a.member.pk not in ids


def test_form_choices_and_list_filters_hold_only_own_rows(client, tenant_a, tenant_b):
    staff_client(client, tenant_b.owner)
    add = client.get(reverse("admin:merchants_member_add"))
    choices = [value for value, _label in add.context["adminform"].form.fields["source_store"].choices if value]
    assert {int(str(value)) for value in choices} == {tenant_b.store.pk, tenant_b.other_store.pk}
    changelist = client.get(reverse("admin:merchants_member_changelist"))
    assert tenant_a.store.name not in changelist.content.decode()
    assert tenant_b.store.name in changelist.content.decode()


def test_posting_another_merchants_store_is_refused(client, tenant_a, tenant_b):
    staff_client(client, tenant_b.owner)
    response = client.post(reverse("admin:merchants_member_add"), {
        "merchant": tenant_a.merchant.pk, "phone": "13700000009", "gender": "unknown", "status": "active",
        "joined_at_0": "2026-01-01", "joined_at_1": "10:00:00", "source_store": tenant_a.store.pk})
    assert response.status_code == 200
    assert "source_store" in response.context["adminform"].form.errors
    assert not tenant_b.merchant.members.filter(phone="13700000009").exists()
    assert not tenant_a.merchant.members.filter(phone="13700000009").exists()


def test_staff_create_rows_in_their_own_merchant(client, tenant_a, tenant_b):
    staff_client(client, tenant_b.owner)
    response = client.post(reverse("admin:merchants_membertag_add"), {
        "merchant": tenant_a.merchant.pk, "name": "New tag"})
    assert response.status_code == 302
    assert MemberTag.objects.get(name="New tag").merchant == tenant_b.merchant


def test_csv_export_skips_another_merchants_rows(client, tenant_a, tenant_b):
    staff_client(client, tenant_b.owner)
    response = client.post(reverse("admin:merchants_member_changelist"), {
        "action": "export_csv", "_selected_action": [tenant_a.member.pk, tenant_b.member.pk]})
    body = b"".join(response.streaming_content).decode()
    assert tenant_b.member.phone in body and tenant_a.member.phone not in body


def test_actions_cannot_reach_another_merchants_rows(client, tenant_a, tenant_b):
    staff_client(client, tenant_b.owner)
    client.post(reverse("admin:merchants_terminal_changelist"), {
        "action": "revoke", "_selected_action": [tenant_a.terminal.pk]})
    tenant_a.terminal.refresh_from_db()
    assert tenant_a.terminal.is_active


def test_a_mass_sends_benefit_lines_offer_and_accept_only_the_merchants_own_cards(client, tenant_a, tenant_b):
    theirs, ours = make_product(tenant_a.merchant, name="A's card"), make_product(tenant_b.merchant, name="B's card")
    staff_client(client, tenant_b.owner)
    url = reverse("admin:coupons_couponissuance_add")
    line = client.get(url).context["inline_admin_formsets"][0].formset.empty_form
    assert list(line.fields["punch_card_product"].queryset) == [ours]
    response = client.post(url, {
        "merchant": tenant_b.merchant.pk, "segment": "all", "benefits-TOTAL_FORMS": "1",
        "benefits-INITIAL_FORMS": "0", "benefits-0-kind": "punch_card", "benefits-0-quantity": "1",
        "benefits-0-amount": "0", "benefits-0-position": "0", "benefits-0-punch_card_product": str(theirs.pk)})
    assert response.status_code == 200
    assert "punch_card_product" in response.context["inline_admin_formsets"][0].formset.forms[0].errors
    assert not CouponIssuance.objects.exists() and not PunchCard.objects.exists()
