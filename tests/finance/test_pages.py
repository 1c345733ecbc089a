"""The finance pages and their exports: who may open them, what each merchant sees, the files, the replica."""

import csv
import io
from decimal import Decimal

import openpyxl
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connections
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from finance.models import Statement
from finance.reports import REPORTS
from loyalty.replica import REPLICA_ALIAS, report_reads
from loyalty.usable_cards import merchant_today
from tests.conftest import staff_client
from tests.finance.helpers import a_day_of_payments, today_scope

D = Decimal
pytestmark = pytest.mark.django_db(databases=["default", REPLICA_ALIAS], transaction=True)
PAGES = ["admin:finance_settlement", "admin:finance_liabilities", "admin:finance_matching"]


def _text(response) -> str:
    if hasattr(response, "streaming_content"):
        return b"".join(response.streaming_content).decode("utf-8-sig")
    return response.content.decode()


def test_the_owner_sees_the_days_settlement_with_its_totals(client, tenant_a, in_english):
    a_day_of_payments(tenant_a)
    response = staff_client(client, tenant_a.owner).get(reverse("admin:finance_settlement"))
    page = response.content.decode()
    assert response.status_code == 200
    assert "125.79" in page and "75.79" in page and tenant_a.store.name in page and "<svg" in page


@pytest.mark.parametrize("page", PAGES + ["admin:finance_statement_upload"])
def test_a_cashier_may_not_open_finance_pages_or_exports(client, tenant_a, page):
    a_day_of_payments(tenant_a)
    as_cashier = staff_client(client, tenant_a.cashier)
    assert as_cashier.get(reverse(page)).status_code == 403
    assert as_cashier.get(reverse(page) + "?format=csv").status_code == 403


@pytest.mark.parametrize("page", PAGES)
def test_another_merchants_owner_sees_only_their_own_figures(client, tenant_a, tenant_b, page, in_english):
    a_day_of_payments(tenant_a)
    response = staff_client(client, tenant_b.owner).get(reverse(page) + "?format=csv")
    text = _text(response)
    assert response.status_code == 200
    assert tenant_a.store.name not in text and "125.79" not in text and "15.79" not in text


def test_the_operator_sees_every_merchant_and_one_when_chosen(client, tenant_a, tenant_b, operator, in_english):
    a_day_of_payments(tenant_a)
    client.force_login(operator)
    everything = _text(client.get(reverse("admin:finance_settlement") + "?format=csv"))
    assert tenant_a.store.name in everything
    chosen = _text(client.get(reverse("admin:finance_settlement") + f"?merchant={tenant_b.merchant.pk}&format=csv"))
    assert tenant_a.store.name not in chosen


def test_the_csv_and_excel_hold_every_row_and_the_totals(client, tenant_a, in_english):
    a_day_of_payments(tenant_a)
    owner = staff_client(client, tenant_a.owner)
    lines = list(csv.reader(io.StringIO(_text(owner.get(reverse("admin:finance_settlement") + "?format=csv")))))
    header, *rows = lines
    assert [row[header.index("store")] for row in rows] == [tenant_a.store.name, tenant_a.other_store.name, ""]
    assert rows[-1][0] == "total" and rows[-1][header.index("the platform pays in")] == "125.79"
    response = owner.get(reverse("admin:finance_liabilities") + "?format=xlsx")
    sheet = openpyxl.load_workbook(io.BytesIO(response.content)).active
    values = list(sheet.values)
    assert values[0][0] == "instrument" and len(values) == 1 + 7 + 1
    principal = next(row for row in values if row[0] == "stored value principal")
    assert principal[values[0].index("closing")] == 15.79


def test_an_uploaded_statement_is_matched_and_exported_formula_safe(client, tenant_a, in_english):
    today = merchant_today(tenant_a.merchant)
    owner = staff_client(client, tenant_a.owner)
    file = SimpleUploadedFile("bill.csv", f'trade_no,amount,paid_at\n"=HYPERLINK(""x"")",9.00,{today} 10:00\n'
                              .encode())
    response = owner.post(reverse("admin:finance_statement_upload"), {"channel": "wechat", "file": file})
    assert response.status_code == 302 and reverse("admin:finance_matching") in response["Location"]
    exported = _text(owner.get(response["Location"] + "&format=csv"))
    assert "'=HYPERLINK" in exported and "in the statement, not ours" in exported


def test_a_bad_upload_shows_its_reason_and_saves_nothing(client, tenant_a, in_english):
    owner = staff_client(client, tenant_a.owner)
    file = SimpleUploadedFile("bill.csv", b"name,phone\nalice,1\n")
    response = owner.post(reverse("admin:finance_statement_upload"), {"channel": "wechat", "file": file})
    assert response.status_code == 200
    assert "No header row found" in response.content.decode()
    assert Statement.objects.count() == 0


@pytest.mark.parametrize("report", REPORTS, ids=lambda report: report.code)
def test_finance_reports_read_from_the_replica(tenant_a, report):
    a_day_of_payments(tenant_a)
    with CaptureQueriesContext(connections["default"]) as on_primary, \
            CaptureQueriesContext(connections[REPLICA_ALIAS]) as on_replica:
        report.compute(today_scope(tenant_a.merchant))
    assert len(on_replica.captured_queries) > 0
    assert on_primary.captured_queries == []
    with report_reads() as alias:
        assert alias == REPLICA_ALIAS
