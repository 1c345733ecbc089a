"""The benchmarks run (at a small size); their figures come from running them in full (README)."""

from io import StringIO

import pytest

from merchants.models import Merchant


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


@pytest.mark.django_db(databases=["default", "replica"], transaction=True)  # reports read the replica
def test_reports_year_benchmark_times_every_registered_report():
    from bench.reports_year import run
    from loyalty.reports import reports

    out = StringIO()
    results = run(payments=120, repeat=1, out=out)
    assert set(results) == set(reports.codes()), out.getvalue()
    assert all(figures["seconds"] > 0 and figures["reference"] > 0 for figures in results.values())
    assert "finance.settlement" in out.getvalue() and "reference" in out.getvalue()
    assert run(payments=120, repeat=1, out=out)  # kept for reruns: the second run reuses the rows
    assert "reusing 120 payments" in out.getvalue()
