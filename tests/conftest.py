"""Fixtures shared by the whole suite: two merchants with everything a test needs, on the real database."""

from __future__ import annotations

import os
import threading
from dataclasses import dataclass

import pytest
from django.core.cache import cache
from django.db import connection, connections
from rest_framework.test import APIClient

from loyalty import replica
from loyalty.errors import DomainError
from merchants import services
from merchants.models import Member, Merchant, StaffMember, StaffRole, Store, Terminal

PASSWORD = "test-pass-2026"


def requires_postgres():
    return pytest.mark.skipif(connection.vendor != "postgresql",
                              reason="needs Postgres row locks (SELECT ... FOR UPDATE); CI runs it on Postgres")


def race(calls):
    """Run the calls at the same moment in threads (each its own connection); return (results, error codes)."""
    barrier = threading.Barrier(len(calls))
    results, codes = [], []
    lock = threading.Lock()

    def run(call):
        try:
            barrier.wait()
            value = call()
            with lock:
                results.append(value)
        except DomainError as error:
            with lock:
                codes.append(error.code)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(call,)) for call in calls]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results, codes


@dataclass
class Tenant:
    merchant: Merchant
    store: Store
    other_store: Store
    owner: StaffMember
    manager: StaffMember
    cashier: StaffMember
    terminal: Terminal
    terminal_key: str
    member: Member

    def api(self) -> APIClient:
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Terminal {self.terminal_key}")
        return client


def make_tenant(slug: str, phone: str = "13800000001") -> Tenant:
    merchant = Merchant.objects.create(name=f"Merchant {slug}", slug=slug)
    store = Store.objects.create(merchant=merchant, name=f"{slug} main")
    other_store = Store.objects.create(merchant=merchant, name=f"{slug} second")
    staff = {
        role: services.add_staff(merchant, username=f"{slug}-{role}", password=PASSWORD, role=role,
                                 check_password=False)
        for role in StaffRole.values
    }
    terminal, key = services.create_terminal(store, name="POS 1")
    member = services.join_member(merchant, phone, name=f"{slug} member", source_store=store)
    return Tenant(merchant, store, other_store, staff["owner"], staff["manager"], staff["cashier"], terminal, key,
                  member)


@pytest.fixture(autouse=True)
def _clean_cache():
    # Rate-limit counters live in the cache (Redis in CI); each test starts from zero.
    cache.clear()
    yield
    cache.clear()


def _uses_database(request) -> str | None:
    marker = request.node.get_closest_marker("django_db")
    if "transactional_db" in request.fixturenames or (marker and marker.kwargs.get("transaction")):
        return "transactional_db"
    if marker or "db" in request.fixturenames:
        return "db"
    return None


@pytest.fixture(autouse=True)
def _replica_only_where_asked(request, monkeypatch):
    """The test settings configure a `replica` alias (mirroring the test database) so that tests can prove report
    reads go there; Django refuses any query to an alias a test did not ask for. A test that does not list the
    replica in `django_db(databases=...)` (one that merely opens the console's dashboard) runs as a deployment
    without a replica does: report reads stay on the primary."""
    marker = request.node.get_closest_marker("django_db")
    databases = marker.kwargs.get("databases") if marker else None
    if databases != "__all__" and replica.REPLICA_ALIAS not in (databases or ()):
        monkeypatch.setattr(replica, "replica_configured", lambda: False)


@pytest.fixture(autouse=True)
def ledgers_stay_clean(request):
    """Every test ends with every ledger whole (DESIGN.md): `audit_ledgers` must be clean whatever it did.

    The database is set up first, so this check runs before the test's data is rolled back or flushed.
    A test that corrupts a balance on purpose (to see the audit catch it) says so with `ledgers_tampered`.
    """
    fixture = _uses_database(request)
    if fixture is not None:
        request.getfixturevalue(fixture)
    yield
    if fixture is None or request.node.get_closest_marker("ledgers_tampered"):
        return
    from loyalty.ledgers import audit_all

    for report in audit_all():
        assert report.clean, (report.name, report.problems)


@pytest.fixture
def tenant_a(db) -> Tenant:
    return make_tenant("alpha")


@pytest.fixture
def tenant_b(db) -> Tenant:
    return make_tenant("beta", phone="13900000002")


@pytest.fixture
def operator(db, django_user_model):
    return django_user_model.objects.create_superuser("root", "root@example.com", PASSWORD)


def staff_client(client, staff: StaffMember):
    client.force_login(staff.user)
    return client


@pytest.fixture(scope="session")
def browser():
    """Headless Debian Chromium driven by Playwright (Playwright's own browser download is not used)."""
    executable = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
    if not os.path.exists(executable):
        pytest.skip(f"no Chromium at {executable}: apt-get install chromium (make test tries to)")
    # Playwright's sync API runs an event loop in this thread; the ORM calls the tests make around it
    # are still plain synchronous calls.
    os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=executable, headless=True, args=[
            "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
            "--disable-background-networking", "--disable-component-update", "--disable-sync"])
        yield browser
        browser.close()


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport={"width": 360, "height": 740}, locale="zh-CN")
    page = context.new_page()
    yield page
    context.close()


@pytest.fixture
def in_english(settings):
    """Messages in English for a test that reads their words (zh-hans is the default language)."""
    settings.LANGUAGE_CODE = "en"
