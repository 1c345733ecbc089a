"""The benchmarks run (at a small size); their figures come from running them in full (README)."""

from io import StringIO

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


def test_campaign_benchmark_runs_beside_a_mass_send_and_prints_the_ratio(db):
    from django.core.management import call_command

    out = StringIO()
    call_command("bench_campaign", members=300, stdout=out)
    figures = dict(pair.split("=") for pair in out.getvalue().strip().splitlines()[-1].split())
    assert int(figures["members"]) == 300 and int(figures["treated"]) + int(figures["held_out"]) == 300
    assert float(figures["ratio"]) > 0
