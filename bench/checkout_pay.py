"""Load test of POST /api/v1/checkout/payments under gunicorn on Postgres (DESIGN.md: 300/s, p95 < 50 ms).

    DATABASE_URL=postgres://... .venv/bin/python bench/checkout_pay.py --seconds 20 --members 500

It migrates the database, seeds a merchant whose members hold a level, stored value, points and
coupons, starts gunicorn, drives payments (level + balance tier + points + coupon + stored value) from
other processes for a fixed time, then checks the ledgers (audit_ledgers) and that every 201 is one
payment. In the same window and the same way (gunicorn, the same workers and clients, windows alternated
`--rounds` times) it drives the least Django payment (bench/reference: one view, one transaction, 13
statements) and prints `project_per_s`, `reference_per_s`, their ratio, p50/p95 and the CPU a payment of
each side takes (gunicorn's processes and the Postgres backends serving them, from /proc). `--heavy` pays for
members with a long history too (bench/holdings.py) and prints its latency against the plain run's. Then it
runs the payment's statements straight from pgbench (bench/db_limit.py): the database's own limit.
"""

from __future__ import annotations

import argparse
import contextlib
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
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "loyalty.settings")


def setup_django():
    import django

    django.setup()


def seed(members: int, coupons_each: int, *, heavy: int = 0, heavy_lots: int = 5000, heavy_coupons: int = 1000) -> dict:
    """A merchant with a programme (Gold 95%), a 90% balance tier, and members with 1,000.00, 5,000 points
    and coupons each; and `heavy` more members who also hold `heavy_coupons` coupons over 50 templates and
    `heavy_lots` cashback lots (0.50 each) and points buckets (2 points each), so that every payment draws
    dozens of each (bench/holdings.py). Returns what the drivers need: the terminal key and each member's
    phone and coupons, the heavy ones apart."""
    from django.utils import timezone

    from bench.holdings import give_heavy_holdings
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
    people, heavy_people = [], []
    for n in range(members + heavy):
        member = merchant_services.join_member(merchant, f"13{merchant.pk % 10}{n:08d}")
        membership.card_for(member)
        MembershipCard.objects.filter(member=member).update(level=gold)
        wallet.recharge(member, "1000.00", store=store)
        membership.grant_points(member, 5000, reason="gift", reference="bench")
        codes = [issue_coupon(template, member, source=Coupon.Source.STAFF).code for _ in range(coupons_each)]
        if n >= members:
            codes = give_heavy_holdings(member, coupons=heavy_coupons, lots=heavy_lots, buckets=heavy_lots)
            heavy_people.append({"phone": member.phone, "coupons": codes})
        else:
            people.append({"phone": member.phone, "coupons": codes})
    return {"merchant_id": merchant.pk, "key": key, "members": people, "heavy": heavy_people}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def drive(args) -> tuple[list[tuple[int, float]], list[str]]:
    """One driver process: pay for its own members as fast as the server answers, on one keep-alive connection.

    `side` says whose payment: the project's API (`/api/v1/checkout/payments`, a terminal key) or the least
    Django payment (bench/reference, `/pay`); the same bills, members and pacing for both. Returns the
    latencies and the coupon codes it used (a later window must not offer them again)."""
    side, port, key, members, seconds, seed_value = args
    rng = random.Random(seed_value)
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    results, used = [], []
    deadline = time.monotonic() + seconds
    n = 0
    while time.monotonic() < deadline:
        member = members[n % len(members)]
        n += 1
        amount = f"{rng.randint(1000, 5000) / 100:.2f}"
        if side == PROJECT:
            path = "/api/v1/checkout/payments"
            body = {"amount": amount, "member": {"phone": member["phone"]}, "points": 100, "use_wallet": True,
                    "bill_id": secrets.token_hex(6)}
            headers = {"Authorization": f"Terminal {key}"}
        else:
            path, body, headers = "/pay", {"amount": amount, "phone": member["phone"]}, {}
        if member["coupons"]:
            body["coupon_code"] = member["coupons"].pop()
            used.append(body["coupon_code"])
        started = time.perf_counter()
        connection.request("POST", path, body=json.dumps(body), headers={
            **headers, "Content-Type": "application/json", "Idempotency-Key": secrets.token_hex(8)})
        response = connection.getresponse()
        response.read()
        results.append((response.status, time.perf_counter() - started))
    connection.close()
    return results, used


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


def warm_up(side: str, port: int, key: str, phone: str, requests: int) -> None:
    """Payments until every worker has loaded its URLs, translations and connections and compiled its reads (not
    measured), the same on both sides: a small bill paid without a coupon (on the project from stored value and
    points, as the timed payments pay)."""
    for n in range(requests):
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        if side == PROJECT:
            path, headers = "/api/v1/checkout/payments", {"Authorization": f"Terminal {key}"}
            body = {"amount": "10.00", "member": {"phone": phone}, "points": 100, "use_wallet": True,
                    "bill_id": f"warm-{secrets.token_hex(4)}-{n}"}
        else:
            path, headers, body = "/pay", {}, {"amount": "10.00", "phone": phone}
        connection.request("POST", path, body=json.dumps(body), headers={
            **headers, "Content-Type": "application/json", "Idempotency-Key": f"warm-{secrets.token_hex(4)}-{n}"})
        response = connection.getresponse()
        answer = response.read()
        connection.close()
        if response.status != 201:  # a warm-up that only met an error would leave the pay path cold
            raise SystemExit(f"warm-up payment on the {side} answered {response.status}: {answer[:300]!r}")


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


PROJECT, REFERENCE = "project", "reference"
# The application_name each server's connections carry (libpq reads PGAPPNAME), so that the CPU of its own
# Postgres backends can be told from everything else the machine runs.
# Payments a worker makes before the windows: enough that each has compiled its hot reads (loyalty.compiled) and
# filled its caches, on both sides alike.
WARM_UP_PER_WORKER = 20
APP_NAMES = {PROJECT: "bench-pay-project", REFERENCE: "bench-pay-reference"}


@dataclass
class Measured:
    """One timed window of one side: latencies of the payments answered 201, refusals, CPU."""

    label: str
    latencies: list[float]
    refused: dict[int, int]
    elapsed: float
    app_cpu: float  # seconds of the gunicorn master and workers
    db_cpu: float  # seconds of the Postgres backends serving them

    @property
    def rate(self) -> float:
        return len(self.latencies) / self.elapsed

    def pct(self, p: float) -> float:
        ok = self.latencies
        return ok[min(len(ok) - 1, int(len(ok) * p))] * 1000 if ok else float("nan")

    def cpu_ms(self) -> tuple[float, float]:
        count = max(len(self.latencies), 1)
        return self.app_cpu / count * 1000, self.db_cpu / count * 1000

    def line(self) -> str:
        app_ms, db_ms = self.cpu_ms()
        mean = statistics.fmean(self.latencies) * 1000 if self.latencies else float("nan")
        return (f"{self.label:<16} {len(self.latencies):>6} in {self.elapsed:.1f} s = {self.rate:6.0f}/s  "
                f"p50 {self.pct(0.50):5.1f}  p95 {self.pct(0.95):5.1f}  p99 {self.pct(0.99):5.1f}  "
                f"mean {mean:5.1f} ms  CPU a payment: app {app_ms:4.1f} ms, Postgres {db_ms:4.1f} ms  "
                f"refused: {self.refused or 'none'}")


def backend_pids(app_name: str) -> list[int]:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT pid FROM pg_stat_activity WHERE application_name = %s", [app_name])
        return [row[0] for row in cursor.fetchall()]


@contextlib.contextmanager
def serving(side: str, port: int, workers: int):
    """gunicorn serving one side (the project's wsgi, or bench/reference's) until the block ends."""
    wsgi = "loyalty.wsgi" if side == PROJECT else "bench.reference.wsgi"
    env = {**os.environ, "DEBUG": "false", "PGAPPNAME": APP_NAMES[side]}
    if side == REFERENCE:
        env["DJANGO_SETTINGS_MODULE"] = "bench.reference.settings"
    server = subprocess.Popen([str(Path(sys.executable).parent / "gunicorn"), wsgi, "-b", f"127.0.0.1:{port}",
                               "-w", str(workers), "--log-level", "warning"], cwd=ROOT, env=env)
    try:
        for _attempt in range(200):
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                break
            except OSError:
                time.sleep(0.1)
        yield server
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=30)


def measure(label: str, side: str, server, port: int, key: str, members: list[dict], args) -> Measured:
    """Drive `members`' payments through one server from `args.clients` processes for `args.seconds`."""
    shares = [members[i::args.clients] for i in range(args.clients)]

    def cpu_now():
        return cpu_seconds(processes(parent=server.pid)), cpu_seconds(backend_pids(APP_NAMES[side]))

    with multiprocessing.get_context("spawn").Pool(args.clients) as pool:
        cpu_before = cpu_now()
        began = time.monotonic()
        outcomes = pool.map(drive, [(side, port, key, share, args.seconds, i) for i, share in enumerate(shares)])
        elapsed = time.monotonic() - began
        app_cpu, db_cpu = (cpu_since(before, now) for before, now in zip(cpu_before, cpu_now(), strict=True))
    results = [item for outcome, _used in outcomes for item in outcome]
    used = {code for _outcome, codes in outcomes for code in codes}
    for member in members:  # the drivers' copies popped them; the next window must not offer them again
        member["coupons"] = [code for code in member["coupons"] if code not in used]
    refused: dict[int, int] = {}
    for status, _latency in results:
        if status != 201:
            refused[status] = refused.get(status, 0) + 1
    return Measured(label, sorted(latency for status, latency in results if status == 201), refused, elapsed,
                    app_cpu, db_cpu)


def seed_reference(members: int, coupons: int) -> list[dict]:
    """The reference's tables and members (bench/reference/seed.py, under the reference's own settings)."""
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "bench.reference.settings"}
    done = subprocess.run([sys.executable, "-m", "bench.reference.seed", "--members", str(members), "--coupons",
                           str(coupons)], cwd=ROOT, env=env, check=True, capture_output=True, text=True)
    return json.loads(done.stdout)


def reference_statements(phone: str) -> int:
    """The statements of one reference payment, counted by Postgres itself (its transaction count and the
    statements pg_stat_statements would need are not at hand): the view runs in a child process with
    connection.queries on."""
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "bench.reference.settings"}
    script = (
        "import django, json; django.setup()\n"
        "from django.db import connection\n"
        "from django.test import RequestFactory\n"
        "from django.test.utils import CaptureQueriesContext\n"
        "from bench.reference.views import pay\n"
        f"request = RequestFactory().post('/pay', json.dumps({{'amount': '3.00', 'phone': {phone!r}}}), "
        "content_type='application/json', HTTP_IDEMPOTENCY_KEY='count-' + __import__('secrets').token_hex(6))\n"
        "with CaptureQueriesContext(connection) as captured:\n"
        "    assert pay(request).status_code == 201\n"
        "print(len(captured))\n")
    done = subprocess.run([sys.executable, "-c", script], cwd=ROOT, env=env, check=True, capture_output=True,
                          text=True)
    return int(done.stdout.strip().splitlines()[-1])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=20, help="length of each timed window")
    parser.add_argument("--members", type=int, default=400)
    parser.add_argument("--coupons", type=int, default=3, help="coupons per member")
    # One worker a core and one client a worker: more of either only queues requests on the same two cores
    # (measured: 3 and 3 gives a few more payments/s at a p95 past 50 ms).
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 2, help="gunicorn workers")
    parser.add_argument("--clients", type=int, default=0, help="driver processes (default: one a worker)")
    parser.add_argument("--rounds", type=int, default=1,
                        help="project and reference windows, alternated this many times (the figures add up)")
    parser.add_argument("--heavy", action="store_true",
                        help="also pay for members holding many coupons, cashback lots and points buckets")
    parser.add_argument("--heavy-members", type=int, default=0, help="members with that history (default: 8 a client)")
    parser.add_argument("--heavy-lots", type=int, default=5000, help="cashback lots and points buckets each")
    parser.add_argument("--heavy-coupons", type=int, default=1000, help="coupons each, over 50 templates")
    parser.add_argument("--port", type=int, default=0, help="the project's gunicorn (default: a free port)")
    parser.add_argument("--reference-port", type=int, default=0, help="the reference's gunicorn")
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
    heavy_members = (args.heavy_members or 8 * args.clients) if args.heavy else 0
    seeded = seed(args.members, args.coupons, heavy=heavy_members, heavy_lots=args.heavy_lots,
                  heavy_coupons=args.heavy_coupons)
    reference_people = seed_reference(args.members, args.coupons)
    from django.db import connection

    with connection.cursor() as cursor:
        # Statistics and the visibility map for the rows just seeded, as autovacuum keeps them in production (it is
        # off on the bench machine): without them the first windows plan the heavy members' reads blind.
        cursor.execute("VACUUM ANALYZE")
    print(f"seeded {args.members} members (and {heavy_members} with a long history) and the reference's "
          f"{len(reference_people)} in {time.monotonic() - started:.1f} s; load before: {os.getloadavg()}")

    members = seeded["members"]
    reserved = members.pop()  # for the query count afterwards
    reference_reserved = reference_people.pop()
    windows: dict[str, list[Measured]] = {"project": [], "reference": [], "project, heavy": []}
    port, reference_port = args.port or free_port(), args.reference_port or free_port()
    with serving(PROJECT, port, args.workers) as server, \
            serving(REFERENCE, reference_port, args.workers) as reference_server:
        warm_up(PROJECT, port, seeded["key"], reserved["phone"], WARM_UP_PER_WORKER * args.workers)
        warm_up(REFERENCE, reference_port, "", reference_reserved["phone"], WARM_UP_PER_WORKER * args.workers)
        for _round in range(args.rounds):
            windows["project"].append(measure("project", PROJECT, server, port, seeded["key"], members, args))
            windows["reference"].append(measure("reference", REFERENCE, reference_server, reference_port, "",
                                                reference_people, args))
            if heavy_members:
                windows["project, heavy"].append(measure("project, heavy", PROJECT, server, port, seeded["key"],
                                                         seeded["heavy"], args))

    from checkout.models import Payment
    from loyalty.ledgers import audit_all

    answered = sum(len(window.latencies) for side in ("project", "project, heavy") for window in windows[side])
    # The reserved member pays only in the warm-up, which is not measured.
    recorded = (Payment.objects.filter(merchant_id=seeded["merchant_id"])
                .exclude(member__phone=reserved["phone"]).count())
    reports = audit_all(seeded["merchant_id"])
    per_payment = queries_per_payment(seeded["key"], reserved["phone"], reserved["coupons"])
    reference_per_payment = reference_statements(reference_reserved["phone"])
    limit = _db_limit(seeded["merchant_id"], args, members=len(members) + 1)
    after_limit = audit_all(seeded["merchant_id"]) if limit else []

    print(f"{args.workers} gunicorn workers a side, {args.clients} clients, {args.rounds} round(s) of "
          f"{args.seconds:.0f} s windows; load after: {os.getloadavg()} on {os.cpu_count()} cores")
    for side in windows.values():
        for window in side:
            print(window.line())
    total = {name: merged(name, side) for name, side in windows.items() if side}
    project, reference = total["project"], total["reference"]
    ratio = project.rate / reference.rate if reference.rate else float("nan")
    app_ms, db_ms = project.cpu_ms()
    ref_app_ms, ref_db_ms = reference.cpu_ms()
    print(f"project_per_s {project.rate:.0f}  reference_per_s {reference.rate:.0f}  ratio {ratio:.2f}")
    print(f"p95 ms: project {project.pct(0.95):.1f}, reference {reference.pct(0.95):.1f}; p50 ms: project "
          f"{project.pct(0.50):.1f}, reference {reference.pct(0.50):.1f}")
    print(f"CPU per payment: project app {app_ms:.1f} ms + Postgres {db_ms:.1f} ms; reference app {ref_app_ms:.1f} "
          f"ms + Postgres {ref_db_ms:.1f} ms")
    print(f"queries per payment: {per_payment} (BEGIN and COMMIT included); reference: {reference_per_payment}")
    if "project, heavy" in total:
        heavy = total["project, heavy"]
        print(f"heavy members ({args.heavy_coupons} coupons over 50 templates, {args.heavy_lots} cashback lots and "
              f"points buckets each): p50 {heavy.pct(0.50):.1f} ms, p95 {heavy.pct(0.95):.1f} ms, "
              f"{heavy.rate:.0f}/s; p95 {heavy.pct(0.95) / project.pct(0.95):.2f}x and p50 "
              f"{heavy.pct(0.50) / project.pct(0.50):.2f}x the plain run's")
    if limit:
        print(f"database's own limit (pgbench, bench/payment.pgbench, {limit['statements']} statements a payment, "
              f"{args.workers} connections): {limit['payments_per_s']:.0f}/s, {limit['latency_ms_avg']:.1f} ms "
              f"mean; this run reached {project.rate / limit['payments_per_s']:.2f} of it")
    clean = all(report.clean for report in reports + after_limit) and recorded == answered
    for report in reports + after_limit:
        print(f"ledger {report.name}: {report.accounts_checked} accounts, "
              f"{'clean' if report.clean else report.problems[:5]}")
    print(f"payments recorded {recorded} == answered 201 {answered}: {recorded == answered}")
    return 0 if clean else 1


def merged(label: str, windows: list[Measured]) -> Measured:
    return Measured(label, sorted(latency for window in windows for latency in window.latencies),
                    {status: sum(window.refused.get(status, 0) for window in windows)
                     for status in {status for window in windows for status in window.refused}},
                    sum(window.elapsed for window in windows), sum(window.app_cpu for window in windows),
                    sum(window.db_cpu for window in windows))


def _db_limit(merchant_id: int, args, *, members: int) -> dict | None:
    """The same statements straight from pgbench, as many connections as gunicorn has workers (bench/db_limit.py)."""
    from bench.db_limit import payments_per_second_db_limit

    if args.skip_db_limit:
        return None
    try:
        return payments_per_second_db_limit(os.environ["DATABASE_URL"], merchant_id=merchant_id,
                                            seconds=args.seconds, clients=args.workers, members=members)
    except RuntimeError as error:
        print(f"database's own limit not measured: {error}", file=sys.stderr)
        return None


if __name__ == "__main__":
    sys.exit(main())
