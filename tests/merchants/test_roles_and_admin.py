"""Staff roles, terminal keys in the admin, member attributes in the admin, the audit trail."""

import re

import pytest
from django.contrib.admin.models import LogEntry
from django.urls import reverse

from loyalty.messaging import queue_message
from merchants.models import Member, MemberField, StaffMember, Terminal
from merchants.services.staff import hash_terminal_key
from tests.conftest import staff_client


@pytest.mark.parametrize("role, url_name, allowed", [
    ("cashier", "admin:merchants_member_changelist", True),
    ("cashier", "admin:merchants_member_add", True),
    ("cashier", "admin:merchants_store_add", False),
    ("cashier", "admin:merchants_terminal_changelist", False),
    ("cashier", "admin:merchants_memberfield_add", False),
    ("cashier", "admin:merchants_staffmember_changelist", False),
    ("cashier", "admin:merchants_staffaction_changelist", False),
    ("manager", "admin:merchants_terminal_add", True),
    ("manager", "admin:merchants_memberfield_add", True),
    ("manager", "admin:merchants_staffmember_add", False),
    ("manager", "admin:merchants_staffaction_changelist", True),
    ("owner", "admin:merchants_staffmember_add", True),
    ("owner", "admin:merchants_merchant_add", False),
])
def test_what_each_role_may_open(client, tenant_a, role, url_name, allowed):
    staff_client(client, getattr(tenant_a, role))
    assert (client.get(reverse(url_name)).status_code == 200) is allowed


def test_a_terminal_key_is_shown_once_and_stored_hashed(client, tenant_a):
    staff_client(client, tenant_a.manager)
    response = client.post(reverse("admin:merchants_terminal_add"), {
        "merchant": tenant_a.merchant.pk, "store": tenant_a.store.pk, "name": "Front desk"}, follow=True)
    key = re.search(r"<code>(tk_[^<]+)</code>", response.content.decode()).group(1)
    terminal = Terminal.objects.get(name="Front desk")
    assert terminal.key_hash == hash_terminal_key(key) and key not in terminal.key_hash
    assert key not in client.get(reverse("admin:merchants_terminal_change", args=[terminal.pk])).content.decode()
    api = __import__("rest_framework.test", fromlist=["APIClient"]).APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Terminal {key}")
    assert api.get(reverse("api:store-list")).status_code == 200


def test_revoking_a_terminal_from_the_admin(client, tenant_a):
    staff_client(client, tenant_a.manager)
    client.post(reverse("admin:merchants_terminal_changelist"), {
        "action": "revoke", "_selected_action": [tenant_a.terminal.pk]})
    tenant_a.terminal.refresh_from_db()
    assert not tenant_a.terminal.is_active


def test_an_owner_adds_a_cashier_who_can_log_in(client, tenant_a):
    staff_client(client, tenant_a.owner)
    response = client.post(reverse("admin:merchants_staffmember_add"), {
        "merchant": tenant_a.merchant.pk, "role": "cashier", "store": tenant_a.store.pk,
        "username": "new-cashier", "first_name": "Xiao", "password": "a-long-unusual-pass-42"})
    assert response.status_code == 302
    staff = StaffMember.objects.get(user__username="new-cashier")
    assert staff.merchant == tenant_a.merchant and staff.user.has_perm("merchants.view_member")
    assert not staff.user.has_perm("merchants.change_store")
    client.logout()
    assert client.login(username="new-cashier", password="a-long-unusual-pass-42")


def test_a_weak_staff_password_is_refused(client, tenant_a):
    staff_client(client, tenant_a.owner)
    response = client.post(reverse("admin:merchants_staffmember_add"), {
        "merchant": tenant_a.merchant.pk, "role": "cashier", "username": "weak", "password": "123"})
    assert response.status_code == 200 and "password" in response.context["adminform"].form.errors
    assert not StaffMember.objects.filter(user__username="weak").exists()


def test_member_attributes_are_edited_in_the_admin(client, tenant_a):
    MemberField.objects.create(merchant=tenant_a.merchant, key="size", label="Size", kind="choice",
                               choices=["S", "M"], required=True)
    staff_client(client, tenant_a.cashier)
    url = reverse("admin:merchants_member_change", args=[tenant_a.member.pk])
    form = {"merchant": tenant_a.merchant.pk, "phone": tenant_a.member.phone, "name": "Changed", "gender": "female",
            "status": "active", "joined_at_0": "2026-01-01", "joined_at_1": "10:00:00"}
    refused = client.post(url, {**form, "cf_size": "XL"})
    assert refused.status_code == 200 and "cf_size" in refused.context["adminform"].form.errors
    assert client.post(url, {**form, "cf_size": "M"}).status_code == 302
    member = Member.objects.get(pk=tenant_a.member.pk)
    assert member.custom_fields == {"size": "M"} and member.name == "Changed"


def test_a_duplicate_phone_in_the_admin_is_a_form_error(client, tenant_a):
    staff_client(client, tenant_a.cashier)
    response = client.post(reverse("admin:merchants_member_add"), {
        "merchant": tenant_a.merchant.pk, "phone": "138 0000 0001", "gender": "unknown", "status": "active",
        "joined_at_0": "2026-01-01", "joined_at_1": "10:00:00"})
    assert response.status_code == 200 and response.context["adminform"].form.errors
    assert tenant_a.merchant.members.filter(phone="13800000001").count() == 1


def test_staff_changes_are_in_the_merchants_audit_trail(client, tenant_a, tenant_b):
    staff_client(client, tenant_a.owner)
    client.post(reverse("admin:merchants_membertag_add"), {"merchant": tenant_a.merchant.pk, "name": "Regulars"})
    assert LogEntry.objects.filter(user=tenant_a.owner.user, object_repr="Regulars").exists()
    trail = client.get(reverse("admin:merchants_staffaction_changelist")).content.decode()
    assert "Regulars" in trail
    client.force_login(tenant_b.owner.user)
    assert "Regulars" not in client.get(reverse("admin:merchants_staffaction_changelist")).content.decode()


def test_login_codes_are_masked_for_staff_in_the_outbox(client, tenant_a, operator):
    queue_message(tenant_a.merchant, "13800000001", "Your login code is 123456.", kind="login_code")
    staff_client(client, tenant_a.owner)
    page = client.get(reverse("admin:loyalty_outboxmessage_changelist")).content.decode()
    assert "123456" not in page and "••••••" in page
    client.force_login(operator)
    assert "123456" in client.get(reverse("admin:loyalty_outboxmessage_changelist")).content.decode()


def test_member_csv_export_has_a_header_and_rows(client, tenant_a):
    staff_client(client, tenant_a.owner)
    response = client.post(reverse("admin:merchants_member_changelist"), {
        "action": "export_csv", "_selected_action": [tenant_a.member.pk]})
    assert response["Content-Type"].startswith("text/csv")
    lines = b"".join(response.streaming_content).decode("utf-8-sig").splitlines()
    assert len(lines) == 2 and tenant_a.member.phone in lines[1]
