"""CPU a payment takes, the project's and the least Django payment's (bench/reference), measured so that a busy
machine hardly moves it: one process per side calls its WSGI application in-process for N sequential payments
and counts its own CPU (`time.process_time`) and its Postgres backend's (/proc), not the wall clock.

    DATABASE_URL=postgres://... REDIS_URL=redis://... .venv/bin/python bench/pay_profile.py --payments 400

It seeds as bench/checkout_pay.py does (the same members, bills and body), alternates the two sides `--rounds`
times and prints each side's application and Postgres CPU a payment (the median of the rounds) and the ratio.
`--profile` runs one more project window under cProfile and prints its hot spots (`--sort`, `--top`);
`--heavy` pays for members with a long history (bench/holdings.py) instead.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import json
import os
import pstats
import secrets
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# A child driving another checkout of the project (`--also`: the code before a change) imports from there.
sys.path.insert(0, os.environ.get("PAY_PROFILE_ROOT") or str(ROOT))

PROJECT, REFERENCE, ALSO = "project", "reference", "before"


def wsgi_environ(path: str, body: bytes, headers: dict[str, str]) -> dict:
    environ = {
        "REQUEST_METHOD": "POST", "PATH_INFO": path, "SCRIPT_NAME": "", "QUERY_STRING": "",
        "SERVER_NAME": "127.0.0.1", "SERVER_PORT": "8000", "SERVER_PROTOCOL": "HTTP/1.1",
        "REMOTE_ADDR": "127.0.0.1", "CONTENT_TYPE": "application/json", "CONTENT_LENGTH": str(len(body)),
        "HTTP_HOST": "127.0.0.1", "wsgi.input": io.BytesIO(body), "wsgi.url_scheme": "http",
        "wsgi.errors": sys.stderr, "wsgi.multithread": False, "wsgi.multiprocess": True, "wsgi.run_once": False,
        "wsgi.version": (1, 0),
    }
    for name, value in headers.items():
        environ["HTTP_" + name.upper().replace("-", "_")] = value
    return environ


def request_for(side: str, key: str, member: dict, rng_amount: str) -> tuple[str, bytes, dict[str, str]]:
    """The request bench/checkout_pay.py's drivers send for this member (a coupon while the member has one)."""
    if side == PROJECT:
        body = {"amount": rng_amount, "member": {"phone": member["phone"]}, "points": 100, "use_wallet": True,
                "bill_id": secrets.token_hex(6)}
        path, headers = "/api/v1/checkout/payments", {"Authorization": f"Terminal {key}"}
    else:
        path, body, headers = "/pay", {"amount": rng_amount, "phone": member["phone"]}, {}
    if member["coupons"]:
        body["coupon_code"] = member["coupons"].pop()
    return path, json.dumps(body).encode(), {**headers, "Idempotency-Key": secrets.token_hex(8)}


def backend_cpu(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def drive(side: str, plan_path: str) -> None:
    """In a child process: serve `plan`'s payments through this side's WSGI application and print the CPU each
    window took as JSON (a profile, when asked, goes to stderr)."""
    import random

    plan = json.loads(Path(plan_path).read_text())
    os.environ["DJANGO_SETTINGS_MODULE"] = "loyalty.settings" if side == PROJECT else "bench.reference.settings"
    os.environ["DEBUG"] = "false"
    from django.core.wsgi import get_wsgi_application
    from django.db import connection

    application = get_wsgi_application()
    rng = random.Random(plan["seed"])
    members = plan["members"]
    statuses: dict[int, int] = {}
    refusals: dict[int, str] = {}
    counter = 0

    def serve(count: int) -> None:
        nonlocal counter
        for _n in range(count):
            member = members[counter % len(members)]
            counter += 1
            path, body, headers = request_for(side, plan["key"], member, f"{rng.randint(1000, 5000) / 100:.2f}")
            answer = {}

            def start_response(status, response_headers, exc_info=None, answer=answer):
                answer["status"] = int(status.split()[0])

            chunks = application(wsgi_environ(path, body, headers), start_response)
            try:
                content = b"".join(chunks)
            finally:
                if hasattr(chunks, "close"):
                    chunks.close()
            statuses[answer["status"]] = statuses.get(answer["status"], 0) + 1
            if answer["status"] != 201 and answer["status"] not in refusals:
                refusals[answer["status"]] = content.decode(errors="replace")[:300]

    serve(plan["warm_up"])
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        backend = cursor.fetchone()[0]
    statuses.clear()
    windows = []
    for _window in range(plan["windows"]):
        app_before, db_before, wall_before = time.process_time(), backend_cpu(backend), time.perf_counter()
        serve(plan["payments"])
        windows.append({"app_ms": (time.process_time() - app_before) / plan["payments"] * 1000,
                        "db_ms": (backend_cpu(backend) - db_before) / plan["payments"] * 1000,
                        "wall_ms": (time.perf_counter() - wall_before) / plan["payments"] * 1000})
    if plan.get("profile"):
        profiler = cProfile.Profile(time.process_time)  # CPU, not the wall clock: waits on Postgres left out
        profiler.enable()
        serve(plan["payments"])
        profiler.disable()
        out = io.StringIO()
        stats = pstats.Stats(profiler, stream=out).strip_dirs()
        for order in plan["sort"]:
            stats.sort_stats(order).print_stats(plan["top"])
        print(out.getvalue(), file=sys.stderr)
        if plan.get("profile_file"):
            profiler.dump_stats(plan["profile_file"])
    print(json.dumps({"windows": windows, "statuses": statuses, "refusals": refusals}))


def run_side(side: str, plan: dict, root: Path = ROOT) -> dict:
    with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as handle:
        json.dump(plan, handle)
    env = {**os.environ, "PGAPPNAME": f"pay-profile-{side}", "PAY_PROFILE_ROOT": str(root)}
    try:
        done = subprocess.run([sys.executable, __file__, "--drive", side, handle.name], cwd=root, env=env,
                              capture_output=True, text=True)
    finally:
        os.unlink(handle.name)
    if done.returncode != 0:
        raise RuntimeError(f"{side} failed:\n{done.stderr[-4000:]}")
    if plan.get("profile"):
        print(done.stderr, file=sys.stderr)
    return json.loads(done.stdout.strip().splitlines()[-1])


def take(members: list[dict], count: int) -> list[dict]:
    """Hand the next `count` members' coupons to a window (so no two windows offer the same coupon)."""
    return [{"phone": member["phone"], "coupons": [member["coupons"].pop() for _n in range(min(count, len(
        member["coupons"])))]} for member in members]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--drive", nargs=2, metavar=("SIDE", "PLAN"), help=argparse.SUPPRESS)
    parser.add_argument("--payments", type=int, default=300, help="payments a window")
    parser.add_argument("--windows", type=int, default=2, help="windows a side a round")
    parser.add_argument("--rounds", type=int, default=3, help="project and reference runs, alternated")
    parser.add_argument("--members", type=int, default=40)
    parser.add_argument("--warm-up", type=int, default=60)
    parser.add_argument("--heavy", action="store_true", help="members with 1,000 coupons and 5,000 lots each")
    parser.add_argument("--profile", action="store_true", help="one more project window under cProfile")
    parser.add_argument("--profile-file", default="", help="also dump the profile here (pstats format)")
    parser.add_argument("--sort", default="tottime,cumulative")
    parser.add_argument("--top", type=int, default=45)
    parser.add_argument("--also", type=Path, default=None, metavar="ROOT",
                        help="also drive the project as checked out at ROOT (e.g. /work/main: before a change), "
                             "in the same rounds, against the same database")
    parser.add_argument("--skip-migrate", action="store_true")
    args = parser.parse_args()
    if args.drive:
        drive(*args.drive)
        return 0
    if not os.environ.get("DATABASE_URL", "").startswith("postgres"):
        print("Set DATABASE_URL to a Postgres database.", file=sys.stderr)
        return 2
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "loyalty.settings")
    if not args.skip_migrate:
        subprocess.run([sys.executable, str(ROOT / "manage.py"), "migrate", "--noinput", "-v", "0"], check=True,
                       cwd=ROOT)
    from bench.checkout_pay import seed, seed_reference, setup_django

    setup_django()
    each_window = args.warm_up + args.payments * args.windows + (args.payments if args.profile else 0)
    project_sides = 2 if args.also else 1
    coupons_each = -(-each_window // args.members) * args.rounds * project_sides + 1
    started = time.monotonic()
    if args.heavy:
        seeded = seed(0, 0, heavy=args.members, heavy_coupons=max(1000, coupons_each))
        members = seeded["heavy"]
    else:
        seeded = seed(args.members, coupons_each)
        members = seeded["members"]
    reference_members = seed_reference(args.members, coupons_each)
    from django.db import connection

    with connection.cursor() as cursor:
        # As bench/checkout_pay.py does: statistics and the visibility map for the rows just seeded, as autovacuum
        # keeps them in production (it is off on the bench machine); without them the heavy members' cashback
        # lots were read by a bitmap scan of all 5,000 and a sort instead of the first ones in index order.
        cursor.execute("VACUUM ANALYZE")
    print(f"seeded {args.members} members a side ({coupons_each} coupons each) in {time.monotonic() - started:.0f} s;"
          f" load {os.getloadavg()[0]:.2f}")
    sides = [(PROJECT, PROJECT, members, ROOT), (REFERENCE, REFERENCE, reference_members, ROOT)]
    if args.also:
        sides.insert(1, (ALSO, PROJECT, members, args.also.resolve()))
    figures: dict[str, list[dict]] = {label: [] for label, *_rest in sides}
    for round_number in range(args.rounds):
        for label, side, people, root in sides:
            last = round_number == args.rounds - 1
            plan = {"key": seeded["key"], "members": take(people, -(-each_window // args.members)),
                    "payments": args.payments, "windows": args.windows, "warm_up": args.warm_up,
                    "seed": round_number, "profile": args.profile and last and label == PROJECT,
                    "profile_file": args.profile_file, "sort": args.sort.split(","), "top": args.top}
            result = run_side(side, plan, root)
            refused = {status: count for status, count in result["statuses"].items() if status != "201"}
            if refused:
                print(f"{label}: answers other than 201: {refused}, e.g. {result['refusals']}", file=sys.stderr)
            figures[label] += result["windows"]
            for window in result["windows"]:
                print(f"round {round_number + 1} {label:<9} app {window['app_ms']:5.2f} ms  "
                      f"Postgres {window['db_ms']:5.2f} ms  wall {window['wall_ms']:5.2f} ms a payment")
    median = {side: {name: statistics.median(window[name] for window in windows)
                     for name in ("app_ms", "db_ms", "wall_ms")} for side, windows in figures.items()}
    project, reference = median[PROJECT], median[REFERENCE]
    print(f"CPU a payment (median of {len(figures[PROJECT])} windows of {args.payments}): "
          f"project app {project['app_ms']:.2f} ms + Postgres {project['db_ms']:.2f} ms; "
          f"reference app {reference['app_ms']:.2f} ms + Postgres {reference['db_ms']:.2f} ms")
    both = (project["app_ms"] + project["db_ms"]) / (reference["app_ms"] + reference["db_ms"])
    print(f"app CPU ratio project/reference {project['app_ms'] / reference['app_ms']:.2f}; "
          f"app+Postgres ratio {both:.2f}; load {os.getloadavg()[0]:.2f}")
    if args.also:
        before = median[ALSO]
        print(f"{args.also} (before): app {before['app_ms']:.2f} ms + Postgres {before['db_ms']:.2f} ms, ratio to the "
              f"reference {before['app_ms'] / reference['app_ms']:.2f}; this checkout's app CPU is "
              f"{project['app_ms'] / before['app_ms']:.2f}x, app+Postgres "
              f"{(project['app_ms'] + project['db_ms']) / (before['app_ms'] + before['db_ms']):.2f}x of it")
    return 0


if __name__ == "__main__":
    sys.exit(main())
