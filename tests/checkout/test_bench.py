"""The checkout load test runs (on a tiny size): gunicorn on Postgres, payments driven, ledgers checked."""

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from django.db import connection

from tests.conftest import requires_postgres

pytestmark = [requires_postgres(), pytest.mark.postgres, pytest.mark.django_db(transaction=True)]
ROOT = Path(__file__).resolve().parents[2]


def test_the_payment_benchmark_runs_and_the_ledgers_hold():
    settings = connection.settings_dict
    url = (f"postgres://{settings['USER']}:{settings['PASSWORD'] or ''}@{settings['HOST'] or '127.0.0.1'}:"
           f"{settings['PORT'] or 5432}/{settings['NAME']}")
    result = subprocess.run(
        [sys.executable, str(ROOT / "bench" / "checkout_pay.py"), "--seconds", "2", "--members", "4",
         "--coupons", "2", "--workers", "1", "--clients", "1", "--skip-migrate"],
        env={**os.environ, "DATABASE_URL": url}, cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "queries per payment" in result.stdout and "clean" in result.stdout
    if shutil.which("pgbench"):
        assert "database's own limit" in result.stdout and "of it" in result.stdout, result.stdout + result.stderr
        # bench/payment.pgbench sends what a payment sends: keep it in step when the payment path changes.
        queries = int(re.search(r"queries per payment: (\d+)", result.stdout).group(1))
        statements = int(re.search(r"(\d+) statements a payment", result.stdout).group(1))
        assert statements == queries - 2, "bench/payment.pgbench no longer sends the payment's statements " \
                                          "(BEGIN and COMMIT aside): update it"
