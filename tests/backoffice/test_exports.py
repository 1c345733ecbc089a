"""Exports: one helper writes every file; formulas stay text; members carry level, points, balances and their
attributes as columns; payments the member's phone and the store; times in the merchant's zone; Excel too."""

import csv
import datetime
import io
from decimal import Decimal

import openpyxl
import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from hypothesis import given
from hypothesis import strategies as st

from checkout import services as checkout
from loyalty import exports
from merchants.models import Member, MemberField
from merchants.services import join_member, update_member
from tests.checkout.helpers import fund_wallet, give_points, program_with_levels
from tests.conftest import staff_client

pytestmark = pytest.mark.django_db
MEMBERS = reverse("admin:merchants_member_changelist")
PAYMENTS = reverse("admin:checkout_payment_changelist")
EVIL = '=HYPERLINK("http://evil.example","open")'


@pytest.mark.parametrize("text", ["=1+1", "+1", "-1", "@SUM(A1)", "\t=1", "\r=1", EVIL])
def test_text_that_a_spreadsheet_would_run_is_escaped(text):
    assert exports.cell(text) == "'" + text


@given(st.text())
def test_no_cell_starts_with_a_formula_character(text):
    written = exports.cell(text)
    assert written == ("'" + text if text.startswith(exports.FORMULA_STARTS) else text)
    assert not written.startswith(exports.FORMULA_STARTS)


def test_numbers_stay_numbers_and_times_are_written_in_the_active_zone():
    assert exports.cell(Decimal("-5.00")) == Decimal("-5.00") and exports.cell(-3) == -3
    assert exports.cell(Decimal("2338.290000000000")) == Decimal("2338.29")
    moment = datetime.datetime(2026, 1, 1, 16, 30, tzinfo=datetime.UTC)
    with timezone.override("Asia/Shanghai"):
        assert exports.cell(moment) == "2026-01-02 00:30:00"


def _csv(response) -> list[list[str]]:
    return list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode("utf-8-sig"))))


@pytest.fixture
def evil_member(tenant_a):
    program_with_levels(tenant_a.merchant)
    MemberField.objects.create(merchant=tenant_a.merchant, key="car", label="Car plate", kind=MemberField.Kind.TEXT)
    member = join_member(tenant_a.merchant, "13911112222", name=EVIL)
    update_member(member, custom_fields={"car": "沪A12345"})
    give_points(member, 120)
    fund_wallet(member, "30.00")
    return member


def test_member_export_has_level_points_balances_and_attributes_as_columns(client, tenant_a, evil_member, in_english):
    staff_client(client, tenant_a.owner)
    rows = _csv(client.post(MEMBERS, {"action": "export_csv", "_selected_action": [evil_member.pk]}))
    header, row = rows[0], dict(zip(rows[0], rows[1], strict=True))
    assert {"level", "points", "stored value (principal)", "stored value (bonus)", "cashback", "Car plate"} \
        <= set(header)
    assert row["points"] == "120" and row["stored value (principal)"] == "30.00" and row["Car plate"] == "沪A12345"
    assert row["name"] == "'" + EVIL and "custom_fields" not in "".join(header) and "{" not in rows[1][-1]
    assert any(h.startswith("joined at (") and h.endswith(")") for h in header)


def test_the_excel_export_has_the_same_columns_and_no_live_formula(client, tenant_a, evil_member, in_english):
    staff_client(client, tenant_a.owner)
    response = client.post(MEMBERS, {"action": "export_xlsx", "_selected_action": [evil_member.pk]})
    assert response["Content-Type"] == exports.XLSX_TYPE
    sheet = openpyxl.load_workbook(io.BytesIO(response.content)).active
    header = [c.value for c in sheet[1]]
    values = dict(zip(header, [c for c in sheet[2]], strict=True))
    assert values["name"].value == "'" + EVIL and values["name"].data_type == "s"
    assert values["points"].value == 120


def test_payments_export_has_the_members_phone_the_store_and_local_times(client, tenant_a, in_english):
    program_with_levels(tenant_a.merchant)
    payment = checkout.pay(checkout.Bill(store=tenant_a.store, amount=Decimal("12.50"), member=tenant_a.member,
                                         cashier=tenant_a.cashier), channel="cash")
    tenant_a.merchant.time_zone = "America/New_York"
    tenant_a.merchant.save()
    staff_client(client, tenant_a.owner)
    rows = _csv(client.post(PAYMENTS, {"action": "export_csv", "_selected_action": [payment.pk]}))
    row = dict(zip(rows[0], rows[1], strict=True))
    assert row["member's phone"] == tenant_a.member.phone and row["store"] == tenant_a.store.name
    assert row["cashier"] == tenant_a.cashier.user.username
    local = timezone.localtime(payment.created_at, timezone=datetime.UTC).astimezone(
        tenant_a.merchant.zone).strftime("%Y-%m-%d %H:%M:%S")
    assert row["created at (America/New_York)"] == local


def test_cashiers_cannot_export(client, tenant_a, in_english):
    staff_client(client, tenant_a.cashier)
    page = client.get(MEMBERS).content.decode()
    assert "export_csv" not in page and "export_xlsx" not in page
    response = client.post(MEMBERS, {"action": "export_csv", "_selected_action": [tenant_a.member.pk]})
    assert not response.get("Content-Type", "").startswith("text/csv") and Member.objects.count() == 1


def test_the_member_export_runs_the_same_statements_for_one_member_or_thirty(client, tenant_a):
    program_with_levels(tenant_a.merchant)
    members = [join_member(tenant_a.merchant, f"1390000{n:04d}", name=f"M{n}") for n in range(30)]
    for member in members[:10]:
        give_points(member, 5)
        fund_wallet(member, "1.00")
    staff_client(client, tenant_a.owner)

    def export(selected) -> int:
        with CaptureQueriesContext(connection) as queries:
            body = b"".join(client.post(MEMBERS, {"action": "export_csv", "_selected_action": selected})
                            .streaming_content)
        assert body.count(b"\n") == len(selected) + 1
        return len(queries)

    assert export([members[0].pk]) == export([m.pk for m in members])
