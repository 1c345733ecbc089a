"""Load test of POST /api/v1/checkout/payments under gunicorn on Postgres (DESIGN.md: 300/s, p95 < 50 ms).

    DATABASE_URL=postgres://... .venv/bin/python bench/checkout_pay.py --seconds 20 --members 500

It migrates the database, seeds a merchant whose members hold a level, stored value, points and
coupons, starts gunicorn, drives payments (level + balance tier + points + coupon + stored value) from
other processes for a fixed time, then checks the ledgers (audit_ledgers) and that every 201 is one
payment. It prints payments/s, p50/p95/p99 and the number of queries one payment takes, then runs the same
statements straight from pgbench (bench/db_limit.py) and prints the ratio to that, the database's own limit.
"""

from __future__ import annotations

import argparse
import http.client
import json
import multiprocessing
import os
import random
import secrets
import signal
import socket
import statistics
import subprocess
import sys
import time
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "loyalty.settings")


def setup_django():
    import django

    django.setup()


def seed(members: int, coupons_each: int) -> dict:
    """A merchant with a programme (Gold 95%), a 90% balance tier, and members with 1,000.00, 5,000 points
    and coupons each. Returns what the drivers need: the terminal key and each member's phone and coupons."""
    from django.utils import timezone

    from cards.membership import services as membership
    from cards.membership.models import Level, MembershipCard, MembershipProgram
    from coupons.models import Coupon, CouponTemplate
    from coupons.services import issue_coupon
    from merchants import services as merchant_services
    from merchants.models import Merchant, Store
    from wallet import services as wallet
    from wallet.models import BalanceTier

    slug = f"bench-{secrets.token_hex(3)}"
    merchant = Merchant.objects.create(name=f"Bench {slug}", slug=slug)
    store = Store.objects.create(merchant=merchant, name="Bench store")
    _terminal, key = merchant_services.create_terminal(store, name="Bench POS")
    program = MembershipProgram.objects.create(merchant=merchant, card_name="Bench card")
    Level.objects.create(merchant=merchant, program=program, name="Silver", rank=1, threshold=Decimal("0"))
    gold = Level.objects.create(merchant=merchant, program=program, name="Gold", rank=2,
                                threshold=Decimal("100000"), discount_percent=Decimal("95"))
    BalanceTier.objects.create(merchant=merchant, min_balance=Decimal("100.00"), discount_percent=Decimal("90"))
    settings = wallet.wallet_settings(merchant)
    settings.stored_value_enabled = True
    settings.save()
    now = timezone.now()
    template = CouponTemplate.objects.create(
        merchant=merchant, name="2 off", kind=CouponTemplate.Kind.CASH, amount_off=Decimal("2.00"),
        validity=CouponTemplate.Validity.FIXED, valid_from=now - timezone.timedelta(days=1),
        valid_until=now + timezone.timedelta(days=30), per_member_limit=coupons_each + 1)
    people = []
    for n in range(members):
        member = merchant_services.join_member(merchant, f"13{merchant.pk % 10}{n:08d}")
        membership.card_for(member)
        MembershipCard.objects.filter(member=member).update(level=gold)
        wallet.recharge(member, "1000.00", store=store)
        membership.grant_points(member, 5000, reason="gift", reference="bench")
        codes = [issue_coupon(template, member, source=Coupon.Source.STAFF).code for _ in range(coupons_each)]
        people.append({"phone": member.phone, "coupons": codes})
    return {"merchant_id": merchant.pk, "key": key, "members": people}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def drive(args) -> list[tuple[int, float]]:
    """One driver process: pay for its own members as fast as the server answers, on one keep-alive connection."""
    port, key, members, seconds, seed_value = args
    rng = random.Random(seed_value)
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    results = []
    deadline = time.monotonic() + seconds
    n = 0
    while time.monotonic() < deadline:
        member = members[n % len(members)]
        n += 1
        body = {"amount": f"{rng.randint(1000, 5000) / 100:.2f}", "member": {"phone": member["phone"]},
                "points": 100, "use_wallet": True, "bill_id": secrets.token_hex(6)}
        if member["coupons"]:
            body["coupon_code"] = member["coupons"].pop()
        started = time.perf_counter()
        connection.request("POST", "/api/v1/checkout/payments", body=json.dumps(body), headers={
            "Authorization": f"Terminal {key}", "Content-Type": "application/json",
            "Idempotency-Key": secrets.token_hex(8)})
        response = connection.getresponse()
        response.read()
        results.append((response.status, time.perf_counter() - started))
    connection.close()
    return results


def cpu_seconds(pids) -> dict[int, float]:
    """User and system CPU each process has used (Linux /proc; a process that ended is left out)."""
    used = {}
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        used[pid] = (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    return used


def cpu_since(before: dict[int, float], now: dict[int, float]) -> float:
    """CPU used between two readings; a process started in between counts whole."""
    return sum(seconds - before.get(pid, 0) for pid, seconds in now.items())


def processes(*, named: str = "", parent: int | None = None) -> list[int]:
    """Pids of the processes with this command name, or of this process and its children."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            comm = (entry / "comm").read_text().strip()
            ppid = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
        except OSError:
            continue
        if (named and comm == named) or (parent is not None and (int(entry.name) == parent or ppid == parent)):
            found.append(int(entry.name))
    return found


def warm_up(port: int, key: str, phone: str, requests: int) -> None:
    """Quotes until every worker has loaded its URLs, translations and connections (not measured)."""
    for _n in range(requests):
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        connection.request("POST", "/api/v1/checkout/quote", body=json.dumps({
            "amount": "10.00", "member": {"phone": phone}, "use_wallet": True}), headers={
            "Authorization": f"Terminal {key}", "Content-Type": "application/json"})
        connection.getresponse().read()
        connection.close()


def queries_per_payment(key: str, phone: str, codes: list[str]) -> int:
    """The statements of one payment, as a terminal makes it all day: the terminal, the merchant's settings
    and the coupon template's stores already cached by an earlier payment (with another of the member's
    coupons when there is one)."""
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    client = Client(HTTP_AUTHORIZATION=f"Terminal {key}")
    earlier = {"amount": "5.00", "member": {"phone": phone}, "points": 100, "use_wallet": True, "bill_id": "before"}
    if len(codes) > 1:
        earlier["coupon_code"] = codes[1]
    response = client.post("/api/v1/checkout/payments", json.dumps(earlier), content_type="application/json")
    assert response.status_code == 201, response.content
    body = {"amount": "30.00", "member": {"phone": phone}, "points": 100, "use_wallet": True,
            "coupon_code": codes[0], "bill_id": "queries"}
    with CaptureQueriesContext(connection) as captured:
        response = client.post("/api/v1/checkout/payments", json.dumps(body), content_type="application/json",
                               HTTP_IDEMPOTENCY_KEY=secrets.token_hex(8))
    assert response.status_code == 201, response.content
    if os.environ.get("BENCH_PRINT_STATEMENTS"):
        # What bench/payment.pgbench must send, to keep it in step when the payment path changes.
        for query in captured.captured_queries:
            print(query["sql"], file=sys.stderr)
    return len(captured)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=20)
    parser.add_argument("--members", type=int, default=400)
    parser.add_argument("--coupons", type=int, default=3, help="coupons per member")
    # One worker a core and one client a worker: more of either only queues requests on the same two cores
    # (measured: 3 and 3 gives a few more payments/s at a p95 past 50 ms).
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 2, help="gunicorn workers")
    parser.add_argument("--clients", type=int, default=0, help="driver processes (default: one a worker)")
    parser.add_argument("--skip-migrate", action="store_true")
    parser.add_argument("--skip-db-limit", action="store_true", help="don't measure the database's own limit")
    args = parser.parse_args()
    args.clients = args.clients or args.workers
    if not os.environ.get("DATABASE_URL", "").startswith("postgres"):
        print("Set DATABASE_URL to a Postgres database.", file=sys.stderr)
        return 2
    manage = [sys.executable, str(ROOT / "manage.py")]
    if not args.skip_migrate:
        subprocess.run([*manage, "migrate", "--noinput", "-v", "0"], check=True, cwd=ROOT)
    setup_django()
    started = time.monotonic()
    seeded = seed(args.members, args.coupons)
    print(f"seeded {args.members} members in {time.monotonic() - started:.1f} s")

    port = free_port()
    env = {**os.environ, "DEBUG": "false"}
    server = subprocess.Popen([str(Path(sys.executable).parent / "gunicorn"), "loyalty.wsgi", "-b",
                               f"127.0.0.1:{port}", "-w", str(args.workers), "--log-level", "warning"],
                              cwd=ROOT, env=env)
    try:
        for _attempt in range(100):
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                break
            except OSError:
                time.sleep(0.1)
        members = seeded["members"]
        reserved = members.pop()  # for the query count afterwards
        warm_up(port, seeded["key"], reserved["phone"], args.workers * 3)
        shares = [members[i::args.clients] for i in range(args.clients)]
        def cpu_now():
            return cpu_seconds(processes(parent=server.pid)), cpu_seconds(processes(named="postgres"))

        with multiprocessing.get_context("spawn").Pool(args.clients) as pool:
            began = time.monotonic()
            cpu_before = cpu_now()
            outcomes = pool.map(drive, [(port, seeded["key"], share, args.seconds, i) for i, share in
                                        enumerate(shares)])
            cpu_used = [cpu_since(before, now) for before, now in zip(cpu_before, cpu_now(), strict=True)]
            elapsed = time.monotonic() - began
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=30)

    results = [item for outcome in outcomes for item in outcome]
    ok = sorted(latency for status, latency in results if status == 201)
    failed = {}
    for status, _latency in results:
        if status != 201:
            failed[status] = failed.get(status, 0) + 1

    from checkout.models import Payment
    from loyalty.ledgers import audit_all

    recorded = Payment.objects.filter(merchant_id=seeded["merchant_id"]).count()
    reports = audit_all(seeded["merchant_id"])
    per_payment = queries_per_payment(seeded["key"], reserved["phone"], reserved["coupons"])
    limit = _db_limit(seeded["merchant_id"], args)
    after_limit = audit_all(seeded["merchant_id"]) if limit else []

    def pct(p: float) -> float:
        return ok[min(len(ok) - 1, int(len(ok) * p))] * 1000 if ok else float("nan")

    rate = len(ok) / elapsed
    print(f"payments: {len(ok)} in {elapsed:.1f} s = {rate:.0f}/s "
          f"({args.workers} gunicorn workers, {args.clients} clients); refused: {failed or 'none'}")
    print(f"latency ms: p50 {pct(0.50):.1f}  p95 {pct(0.95):.1f}  p99 {pct(0.99):.1f}  "
          f"mean {statistics.fmean(ok) * 1000 if ok else float('nan'):.1f}")
    print(f"queries per payment: {per_payment} (BEGIN and COMMIT included)")
    if ok:
        app_ms, database_ms = (used / len(ok) * 1000 for used in cpu_used)
        print(f"CPU per payment: gunicorn {app_ms:.1f} ms, Postgres {database_ms:.1f} ms (of {os.cpu_count()} cores "
              f"shared with the drivers); 300/s takes {app_ms * 0.3:.1f} cores of app and {database_ms * 0.3:.1f} "
              f"of Postgres")
    if limit:
        print(f"database's own limit (pgbench, bench/payment.pgbench, {limit['statements']} statements a payment, "
              f"{args.workers} connections): {limit['payments_per_s']:.0f}/s, {limit['latency_ms_avg']:.1f} ms "
              f"mean; this run reached {rate / limit['payments_per_s']:.2f} of it")
    clean = all(report.clean for report in reports + after_limit) and recorded == len(ok)
    for report in reports + after_limit:
        print(f"ledger {report.name}: {report.accounts_checked} accounts, "
              f"{'clean' if report.clean else report.problems[:5]}")
    print(f"payments recorded {recorded} == answered 201 {len(ok)}: {recorded == len(ok)}")
    return 0 if clean else 1


def _db_limit(merchant_id: int, args) -> dict | None:
    """The same statements straight from pgbench, as many connections as gunicorn has workers (bench/db_limit.py)."""
    from bench.db_limit import payments_per_second_db_limit

    if args.skip_db_limit:
        return None
    try:
        return payments_per_second_db_limit(os.environ["DATABASE_URL"], merchant_id=merchant_id,
                                            seconds=args.seconds, clients=args.workers)
    except RuntimeError as error:
        print(f"database's own limit not measured: {error}", file=sys.stderr)
        return None


if __name__ == "__main__":
    sys.exit(main())
