"""The database's own limit for payments: pgbench sending the SQL one payment sends (bench/payment.pgbench).

    DATABASE_URL=postgres://... .venv/bin/python -m bench.db_limit --seconds 10 --clients 2

Postgres alone, no Python in between: the same statements and locks per payment (the idempotency claim on
its own, then one transaction) as POST /api/v1/checkout/payments, on a merchant seeded by
`bench.checkout_pay.seed`. bench/checkout_pay.py prints its payments/s as a ratio to this, measured in the
same run. The run writes real payments (every balance with its ledger entry), so `audit_ledgers` stays clean.
"""

from __future__ import annotations

import argparse
import os
import re
import secrets
import shutil
import subprocess
import sys
from pathlib import Path
from urllib.parse import parse_qs, unquote, urlsplit

SCRIPT = Path(__file__).resolve().with_name("payment.pgbench")
TRANSACTION_CONTROL = ("BEGIN", "COMMIT")


def _connection(database_url: str) -> tuple[list[str], dict[str, str]]:
    """pgbench's connection options and environment (password, sslmode) from a postgres:// URL."""
    url = urlsplit(database_url)
    if url.scheme not in ("postgres", "postgresql"):
        raise ValueError(f"Not a postgres:// URL: {url.scheme}://...")
    options, env = [], {}
    if url.hostname:
        options += ["-h", unquote(url.hostname)]
    if url.port:
        options += ["-p", str(url.port)]
    if url.username:
        options += ["-U", unquote(url.username)]
    if url.password:
        env["PGPASSWORD"] = unquote(url.password)
    sslmode = parse_qs(url.query).get("sslmode")
    if sslmode:
        env["PGSSLMODE"] = sslmode[0]
    dbname = unquote(url.path.lstrip("/"))
    if not dbname:
        raise ValueError("The database URL names no database.")
    return [*options, dbname], env


def _merchant_facts(database_url: str, merchant_id: int) -> dict:
    """One query: a terminal of the merchant, and its members' phones (a contiguous numeric range, as seeded)."""
    import psycopg2

    connection = psycopg2.connect(database_url)
    try:
        with connection.cursor() as cursor:
            cursor.execute(
                """
                SELECT (SELECT array[id, store_id] FROM merchants_terminal
                        WHERE merchant_id = %(m)s AND revoked_at IS NULL ORDER BY id LIMIT 1),
                       count(*),
                       count(*) FILTER (WHERE phone !~ '^[1-9][0-9]{0,17}$'),
                       min(phone::bigint) FILTER (WHERE phone ~ '^[1-9][0-9]{0,17}$'),
                       max(phone::bigint) FILTER (WHERE phone ~ '^[1-9][0-9]{0,17}$')
                FROM merchants_member WHERE merchant_id = %(m)s
                """, {"m": merchant_id})
            terminal, members, not_numeric, phone_min, phone_max = cursor.fetchone()
    finally:
        connection.close()
    if terminal is None:
        raise ValueError(f"Merchant {merchant_id} has no terminal.")
    if not members:
        raise ValueError(f"Merchant {merchant_id} has no members.")
    if not_numeric or phone_max - phone_min + 1 != members:
        raise ValueError(f"Merchant {merchant_id}'s member phones are not one contiguous numeric range "
                         "(as bench.checkout_pay.seed makes them): the script picks members by phone.")
    return {"t_terminal_id": terminal[0], "t_store_id": terminal[1], "members": members, "phone_min": phone_min}


def script_statements(path: Path = SCRIPT) -> int:
    """SQL statements one run of the script sends on its fullest path (with a coupon), BEGIN/COMMIT not counted.

    A statement ends with ";" or with the \\gset/\\aset after it; statements in an \\else branch are the
    other path of an \\if and are not counted again.
    """
    statements, pending, skipping = [], [], []
    for raw in path.read_text(encoding="utf-8").splitlines():
        line = raw.strip()
        if not line or line.startswith("--"):
            continue
        if line.startswith("\\"):
            command = line.split()[0]
            if command in ("\\gset", "\\aset") and pending:
                statements.append((" ".join(pending), any(skipping)))
                pending = []
            elif command == "\\if":
                skipping.append(False)
            elif command in ("\\else", "\\elif"):
                skipping[-1] = True
            elif command == "\\endif":
                skipping.pop()
            continue
        pending.append(line)
        if line.endswith(";"):
            statements.append((" ".join(pending), any(skipping)))
            pending = []
    return sum(1 for sql, skipped in statements
               if not skipped and sql.rstrip(";").strip().upper() not in TRANSACTION_CONTROL)


def _number(pattern: str, output: str) -> float:
    found = re.search(pattern, output, re.MULTILINE)
    if found is None:
        raise RuntimeError(f"pgbench's output has no {pattern!r}:\n{output}")
    return float(found.group(1))


def payments_per_second_db_limit(database_url: str, *, merchant_id: int, seconds: float, clients: int,
                                 members: int | None = None) -> dict:
    """How many payments per second Postgres sustains for `merchant_id` when pgbench sends it the statements
    of one payment per script run (bench/payment.pgbench) from `clients` connections for `seconds`; with
    `members`, only the first that many (by phone) pay: the ones after them have a long history the script's
    single-row reads do not expect."""
    pgbench = shutil.which("pgbench")
    if pgbench is None:
        raise RuntimeError("pgbench is not on PATH: install the Postgres client tools (e.g. postgresql-client) "
                           "to measure the database's own limit.")
    connection, env = _connection(database_url)
    facts = _merchant_facts(database_url, merchant_id)
    if members is not None:
        facts["members"] = min(facts["members"], members)
    if clients < 1 or clients > facts["members"]:
        raise ValueError(f"clients must be 1 .. {facts['members']} (each client pays for its own members).")
    variables = {"merchant": merchant_id, "clients": clients, "run": secrets.token_hex(4), "seq": 0, **facts}
    command = [pgbench, "-n", "-f", str(SCRIPT), "-c", str(clients), "-j", str(clients),
               "-T", str(max(1, round(seconds)))]
    for name, value in variables.items():
        command += ["-D", f"{name}={value}"]
    finished = subprocess.run([*command, *connection], capture_output=True, text=True,
                              env={**os.environ, **env}, check=False)
    if finished.returncode != 0:
        raise RuntimeError(f"pgbench failed (exit {finished.returncode}):\n{finished.stderr[-4000:]}"
                           f"{finished.stdout[-2000:]}")
    output = finished.stdout
    return {
        "payments_per_s": _number(r"^tps = ([0-9.]+)", output),
        "latency_ms_avg": _number(r"^latency average = ([0-9.]+) ms", output),
        "statements": script_statements(),
        "failed": int(_number(r"^number of failed transactions: (\d+)", output)),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=10)
    parser.add_argument("--clients", type=int, default=2)
    parser.add_argument("--members", type=int, default=100)
    parser.add_argument("--coupons", type=int, default=3, help="coupons per member")
    args = parser.parse_args()
    database_url = os.environ.get("DATABASE_URL", "")
    if not database_url.startswith("postgres"):
        print("Set DATABASE_URL to a Postgres database.", file=sys.stderr)
        return 2
    from bench.checkout_pay import seed, setup_django

    setup_django()
    from django.core.management import call_command
    from django.core.management.base import CommandError

    seeded = seed(args.members, args.coupons)
    result = payments_per_second_db_limit(database_url, merchant_id=seeded["merchant_id"], seconds=args.seconds,
                                          clients=args.clients)
    print(result)
    try:
        call_command("audit_ledgers", merchant=seeded["merchant_id"])
    except CommandError as error:
        print(error, file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
