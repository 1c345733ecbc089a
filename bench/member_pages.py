"""Member pages under a heavy member: p50/p95 and queries per page (DESIGN.md target: p95 under 100 ms
with 1,000 coupons and 10,000 ledger entries).

    .venv/bin/python -m bench.member_pages --coupons 1000 --entries 10000 --requests 50

It seeds a fresh merchant (`bench-pages-…`) through the services, each change committed as in real
life (so rows carry no in-transaction version chains), vacuums and analyses on Postgres, then measures.
Run it against a benchmark database: the merchant stays there, its ledgers whole. The baseline is
the database's own round trip (`SELECT 1`) measured in the same run: a page's ratio says how many
round trips' worth of time it costs.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from decimal import Decimal


def _setup_django() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "loyalty.settings")
    import django

    django.setup()


class _QueryCounter(list):
    def __call__(self, execute, sql, params, many, context):
        self.append(sql)
        return execute(sql, params, many, context)


def _percentile(samples: list[float], fraction: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(round(fraction * (len(ordered) - 1))))]


def _seed_heavy_member(*, coupons: int, entries: int):
    """A fresh merchant and one member holding `coupons` coupons and `entries` wallet and points entries."""
    import datetime

    from django.utils import timezone

    from cards.membership import services as membership
    from cards.membership.models import Level, MembershipProgram
    from coupons.models import Coupon, CouponTemplate
    from coupons.services import issue_coupon
    from merchants.models import Merchant, Store
    from merchants.services import join_member
    from wallet import services as wallet

    stamp = time.time_ns()
    merchant = Merchant.objects.create(name="Bench pages", slug=f"bench-pages-{stamp}")
    store = Store.objects.create(merchant=merchant, name="Bench store")
    program = MembershipProgram.objects.create(merchant=merchant, card_name="Bench card")
    Level.objects.create(merchant=merchant, program=program, name="Silver", rank=1)
    Level.objects.create(merchant=merchant, program=program, name="Gold", rank=2, threshold=Decimal("100000"))
    member = join_member(merchant, "13700000001", name="Bench member", source_store=store)

    now = timezone.now()
    # Twenty coupons a template, as a member collects them: everything here is one transaction, and a
    # template updated a thousand times in it would leave a chain of row versions no real one has.
    templates = [CouponTemplate.objects.create(
        merchant=merchant, name=f"{number} off 50", kind=CouponTemplate.Kind.CASH, amount_off=Decimal(number),
        minimum_bill=Decimal("50.00"), validity=CouponTemplate.Validity.FIXED,
        valid_from=now - datetime.timedelta(days=1), valid_until=now + datetime.timedelta(days=30 + number),
        stock=None, per_member_limit=0, audience=CouponTemplate.Audience.MEMBERS)
        for number in range(1, max(1, -(-coupons // 20)) + 1)]
    for index in range(coupons):
        issue_coupon(templates[index // 20], member, source=Coupon.Source.CLAIM)

    # Half the entries in the money ledger (cashback, each with its lot), half in the points ledger.
    with_wallet = entries // 2
    for index in range(with_wallet):
        wallet.give_cashback(member, Decimal("0.10") if index % 3 else Decimal("0.20"), reference=f"bench:{index}")
    for index in range(entries - with_wallet):
        membership.grant_points(member, 1 + index % 5, reason="gift", reference=f"bench:{index}")
    return merchant, member


def _pages(merchant) -> dict[str, str]:
    from django.urls import NoReverseMatch, reverse

    wanted = {"home": "member:home", "card": "membership:card", "points": "membership:points",
              "wallet": "wallet:home", "coupons": "coupons:wallet"}
    pages = {}
    for label, name in wanted.items():
        try:
            pages[label] = reverse(name, args=[merchant.slug])
        except NoReverseMatch:
            continue
    return pages


def run(*, coupons: int = 1000, entries: int = 10000, requests: int = 50, out=sys.stdout) -> dict[str, dict]:
    """Seed, measure every member page `requests` times, print one line a page."""
    from django.db import connection
    from django.test import Client

    from merchants.views import log_member_in

    results: dict[str, dict] = {}
    started = time.perf_counter()
    merchant, member = _seed_heavy_member(coupons=coupons, entries=entries)
    print(f"seeded coupons={coupons} entries={entries} in {time.perf_counter() - started:.1f}s", file=out)
    if connection.vendor == "postgresql" and not connection.in_atomic_block:
        with connection.cursor() as cursor:
            cursor.execute("VACUUM ANALYZE")

    session_client = _logged_in_client(Client(), member, log_member_in)

    round_trips = []
    with connection.cursor() as cursor:
        for _ in range(max(requests, 20)):
            tick = time.perf_counter()
            cursor.execute("SELECT 1")
            cursor.fetchone()
            round_trips.append((time.perf_counter() - tick) * 1000)
    baseline = statistics.median(round_trips)
    print(f"database round trip p50={baseline:.3f}ms", file=out)

    for label, url in _pages(merchant).items():
        session_client.get(url)  # warm the template cache
        timings = []
        queries = _QueryCounter()
        # Counted by a wrapper: the test client's request_started signal empties connection.queries.
        with connection.execute_wrapper(queries):
            response = session_client.get(url)
        if response.status_code != 200:
            raise RuntimeError(f"{url} answered {response.status_code}")
        for _ in range(requests):
            tick = time.perf_counter()
            session_client.get(url)
            timings.append((time.perf_counter() - tick) * 1000)
        figures = {"p50": statistics.median(timings), "p95": _percentile(timings, 0.95),
                   "queries": len(queries), "ratio": _percentile(timings, 0.95) / baseline}
        results[label] = figures
        print(f"page={label} url={url} p50_ms={figures['p50']:.1f} p95_ms={figures['p95']:.1f} "
              f"queries={figures['queries']} ratio_to_round_trip={figures['ratio']:.0f}", file=out)
    return results


def _logged_in_client(client, member, log_member_in):
    """A test client whose session holds the member, as the login view leaves it."""
    from importlib import import_module

    from django.conf import settings
    from django.http import HttpRequest

    request = HttpRequest()
    request.session = import_module(settings.SESSION_ENGINE).SessionStore()
    log_member_in(request, member)
    request.session.save()
    client.cookies[settings.SESSION_COOKIE_NAME] = request.session.session_key
    return client


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--coupons", type=int, default=1000)
    parser.add_argument("--entries", type=int, default=10000)
    parser.add_argument("--requests", type=int, default=50)
    args = parser.parse_args(argv)
    _setup_django()
    from django.core.management import call_command

    # Pages link their static files through the manifest that production builds with collectstatic.
    call_command("collectstatic", interactive=False, verbosity=0)
    run(coupons=args.coupons, entries=args.entries, requests=args.requests)
    return 0


if __name__ == "__main__":
    sys.exit(main())
