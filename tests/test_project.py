"""The project as an operator meets it: health, production settings, demo data, commands."""

import os
import subprocess
import sys
from pathlib import Path

from django.core.management import call_command

from merchants.models import Merchant, StaffMember, Terminal

ROOT = Path(__file__).resolve().parent.parent


def test_health_reports_database_and_cache(client, db):
    response = client.get("/health")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": "ok", "cache": "ok"}


def test_check_deploy_is_clean_with_production_settings(tmp_path):
    # The browser fixture allows sync ORM calls next to Playwright's loop; production never does.
    inherited = {k: v for k, v in os.environ.items() if k != "DJANGO_ALLOW_ASYNC_UNSAFE"}
    env = {**inherited, "DJANGO_SETTINGS_MODULE": "loyalty.settings", "DEBUG": "false",
           "SECRET_KEY": "x" * 20 + "production-secret-key-with-enough-entropy-0123456789",
           "ALLOWED_HOSTS": "loyalty.example.com", "SECURE_SSL_REDIRECT": "true", "SESSION_COOKIE_SECURE": "true",
           "CSRF_COOKIE_SECURE": "true", "SECURE_HSTS_SECONDS": "31536000", "SECURE_HSTS_INCLUDE_SUBDOMAINS": "true",
           "SECURE_HSTS_PRELOAD": "true", "REDIS_URL": "redis://127.0.0.1:6379/0",
           "PAYMENT_GATEWAY": "tests.loyalty.test_payments.ElsewhereGateway",
           "PAYMENT_SANDBOX_SECRET": "a-secret-of-this-deployment"}
    result = subprocess.run([sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
                            cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stdout + result.stderr


def test_check_deploy_warns_of_the_sandbox_gateway_and_a_cache_in_each_process():
    inherited = {k: v for k, v in os.environ.items() if k not in ("DJANGO_ALLOW_ASYNC_UNSAFE", "REDIS_URL",
                                                                  "PAYMENT_GATEWAY", "PAYMENT_SANDBOX_SECRET")}
    result = subprocess.run([sys.executable, "manage.py", "check", "--deploy"], cwd=ROOT,
                            env={**inherited, "DJANGO_SETTINGS_MODULE": "loyalty.settings"}, capture_output=True,
                            text=True, timeout=120)
    assert all(code in result.stderr + result.stdout for code in ("loyalty.W001", "loyalty.W002", "loyalty.W003"))


def test_seed_demo_is_safe_to_run_twice(db):
    call_command("seed_demo", members=3)
    counts = (Merchant.objects.count(), StaffMember.objects.count(), Terminal.objects.count())
    call_command("seed_demo", members=3)
    assert (Merchant.objects.count(), StaffMember.objects.count(), Terminal.objects.count()) == counts
    assert counts == (2, 6, 3)
    assert all(m.members.count() == 3 for m in Merchant.objects.all())


def test_the_demo_terminal_key_printed_by_make_run_works(db, client):
    from io import StringIO

    call_command("seed_demo", members=1)
    out = StringIO()
    call_command("demo_logins", stdout=out)
    key = next(line.split(": ", 1)[1].strip() for line in out.getvalue().splitlines() if "tk_" in line)
    response = client.get("/api/v1/stores", HTTP_AUTHORIZATION=f"Terminal {key}")
    assert response.status_code == 200


def test_audit_ledgers_is_clean_after_demo_data(db):
    call_command("seed_demo", members=2)
    call_command("audit_ledgers")
