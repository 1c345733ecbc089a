"""The benchmarks run (at a small size); their figures come from running them in full (README)."""

import datetime
import os
import re
import subprocess
import sys
from io import StringIO
from pathlib import Path

import pytest
from django.db import connection

from merchants.models import Merchant

ROOT = Path(__file__).resolve().parents[1]


def test_member_pages_benchmark_measures_every_member_page_and_leaves_nothing_behind(db):
    from bench.member_pages import run

    out = StringIO()
    results = run(coupons=3, entries=10, requests=2, out=out)
    assert set(results) == {"home", "card", "points", "wallet", "coupons"}, out.getvalue()
    assert all(figures["queries"] > 0 and figures["p95"] > 0 for figures in results.values())
    assert "database round trip" in out.getvalue()
    assert Merchant.objects.filter(slug__startswith="bench-pages-").count() == 1


def test_webhooks_benchmark_delivers_everything_to_the_healthy_endpoints(db):
    from bench.webhooks_delivery import run

    out = StringIO()
    ratios = run(events=12, timeout=0.3, modes=("one worker",), out=out)
    assert set(ratios) == {"one worker"}, out.getvalue()
    assert "[12, 12]" in out.getvalue() and "the dead one: 5 attempts" in out.getvalue()


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_payment_benchmark_runs_the_project_beside_the_least_django_payment_and_a_heavy_member():
    """bench/checkout_pay.py at a tiny size: both sides under gunicorn, the ratio, CPU of each, the heavy run."""
    if connection.vendor != "postgresql":
        pytest.skip("the payment benchmark runs gunicorn against Postgres")
    settings = connection.settings_dict
    url = (f"postgres://{settings['USER']}:{settings['PASSWORD'] or ''}@{settings['HOST'] or '127.0.0.1'}:"
           f"{settings['PORT'] or 5432}/{settings['NAME']}")
    result = subprocess.run(
        [sys.executable, str(ROOT / "bench" / "checkout_pay.py"), "--seconds", "1", "--members", "4", "--coupons", "2",
         "--workers", "1", "--clients", "1", "--skip-migrate", "--skip-db-limit", "--heavy", "--heavy-members", "1",
         "--heavy-lots", "40", "--heavy-coupons", "10"],
        env={**os.environ, "DATABASE_URL": url}, cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stdout + result.stderr
    out = result.stdout
    assert re.search(r"project_per_s \d+\s+reference_per_s \d+\s+ratio [0-9.]+", out), out
    assert "reference: 13" in out and "CPU per payment: project app" in out and "heavy members" in out, out
    assert "payments recorded" in out and ": True" in out, out


def test_payment_cpu_benchmark_prints_each_sides_cpu_a_payment_and_their_ratio():
    """bench/pay_profile.py at a tiny size: the project and the least Django payment in-process, CPU of each."""
    if connection.vendor != "postgresql":
        pytest.skip("the payment benchmark runs against Postgres")
    settings = connection.settings_dict
    url = (f"postgres://{settings['USER']}:{settings['PASSWORD'] or ''}@{settings['HOST'] or '127.0.0.1'}:"
           f"{settings['PORT'] or 5432}/{settings['NAME']}")
    result = subprocess.run(
        [sys.executable, str(ROOT / "bench" / "pay_profile.py"), "--payments", "4", "--windows", "1", "--rounds", "1",
         "--members", "2", "--warm-up", "2", "--skip-migrate"],
        env={**os.environ, "DATABASE_URL": url}, cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stdout + result.stderr
    assert re.search(r"project app [0-9.]+ ms \+ Postgres [0-9.]+ ms; reference app", result.stdout), result.stdout
    assert "answers other than 201" not in result.stderr, result.stderr


@pytest.mark.django_db(databases=["default", "replica"], transaction=True)  # reports read the replica
def test_reports_year_benchmark_times_every_registered_report():
    from bench.reports_year import build, run
    from loyalty.reports import reports

    out = StringIO()
    results = run(payments=120, repeat=1, out=out)
    timed = set(reports.codes()) | {f"{code} (one store)" for code in reports.codes()} | {
        f"{code} export {kind}" for code in reports.codes() for kind in ("csv", "xlsx")}
    assert timed <= set(results), out.getvalue()
    assert {name for name in results if name.startswith("dashboard")} == {
        "dashboard /admin/ (today, week, month; 30 days)", "dashboard /admin/?days=90", "dashboard /admin/ one store"}
    assert all(figures["seconds"] > 0 and figures["reference"] > 0 for figures in results.values())
    assert "finance.settlement" in out.getvalue() and "reference" in out.getvalue()
    assert "volumes: checkout_payment 120" in out.getvalue() and "manage.py audit_ledgers" in out.getvalue()
    build(120, out=out)  # kept for reruns: building again reuses the rows
    assert "reusing 120 payments" in out.getvalue()


@pytest.mark.postgres
@pytest.mark.django_db(databases=["default", "replica"], transaction=True)
def test_reports_year_builds_a_busy_merchant_whose_ledgers_audit_clean():
    """The Postgres builder's members, coupons, wallets, points and cards at a small size: every ledger equals
    its balances, and every report has figures to read (the RFM classes fill, coupons are redeemed)."""
    if connection.vendor != "postgresql":
        pytest.skip("the busy merchant's rows are written in Postgres SQL (generate_series, arrays, window sums)")
    from bench.busy_merchant import Volumes, counts
    from bench.reports_year import MERCHANT_SLUG, run
    from loyalty.ledgers import audit_all
    from loyalty.reports import ReportScope, reports
    from loyalty.usable_cards import merchant_today, merchant_zone

    out = StringIO()
    run(payments=2000, repeat=1, out=out)
    merchant = Merchant.objects.get(slug=f"{MERCHANT_SLUG}-2000")
    volumes = counts(merchant.pk)
    assert volumes["merchants_member"] == Volumes(2000).members == 400
    assert volumes["coupons_coupon"] == 2000 and volumes["coupons_couponredemption"] > 0
    assert all(volumes[table] > 0 for table in volumes), volumes
    assert all(report.clean and report.accounts_checked for report in audit_all(merchant.pk)), out.getvalue()
    assert "PROBLEMS" not in out.getvalue()
    end = merchant_today(merchant)
    scope = ReportScope(merchant_id=merchant.pk, start=end - datetime.timedelta(days=365), end=end,
                        zone=merchant_zone(merchant))
    members = reports.get("members").compute(scope)
    filled = [row for row in members.rows if row["members"]]
    assert len(filled) >= 5, members.rows  # members come and go: most classes have someone in them
    coupons = reports.get("coupons").compute(scope)
    assert coupons.totals["redeemed"] == volumes["coupons_couponredemption"]
    # Every coupon, less the few issued before the year (two days before its oldest payments).
    assert 1900 < coupons.totals["issued"] <= 2000 and coupons.totals["exposed"] > 0
    liabilities = reports.get("finance.liabilities").compute(scope)
    assert not liabilities.warnings, liabilities.warnings  # every day's closing is what the accounts hold


def test_campaign_benchmark_runs_beside_a_mass_send_and_prints_the_ratio(db):
    from django.core.management import call_command

    out = StringIO()
    call_command("bench_campaign", members=300, stdout=out)
    figures = dict(pair.split("=") for pair in out.getvalue().strip().splitlines()[-1].split())
    assert int(figures["members"]) == 300 and int(figures["treated"]) + int(figures["held_out"]) == 300
    assert float(figures["ratio"]) > 0
