"""Every registered report over a year of a busy merchant, beside the database's own limit.

    DATABASE_URL=postgres://... .venv/bin/python -m bench.reports_year --payments 1000000

Builds (once; kept for reruns) a merchant with four stores, a till each, and `--payments` payments spread
over the last 365 days: every one paid by an outside channel (WeChat Pay, Alipay, bank card, cash; the first
two with trade numbers), a third with a level discount, one in a hundred partly refunded. On Postgres the
rows are made by INSERT ... SELECT over generate_series, not the ORM row by row. Then it times each report in
`loyalty.reports.reports` over the whole year (so every app's report is included), the best of `--repeat`
runs, beside the reference measured in the same run: one bare `count(*), sum(amount_due)` over the same
merchant's payments in the same range, which is what reading the year costs the database at least. The
target is under 2 s per report.
"""

from __future__ import annotations

import argparse
import dataclasses
import datetime
import io
import os
import sys
import time
from collections.abc import Callable
from typing import TextIO

import django

MERCHANT_SLUG = "bench-reports-year"
OWNER_PASSWORD = "bench-owner-password"  # noqa: S105 (a bench account on a bench database)
STORES = 4
TARGET_SECONDS = 2.0


def _setup() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "loyalty.settings")
    # The dashboard is rendered without collectstatic having run: static URLs need no manifest here.
    os.environ.setdefault("STATICFILES_BACKEND", "django.contrib.staticfiles.storage.StaticFilesStorage")
    django.setup()


def build(payments: int, *, out: TextIO) -> int:
    """The bench merchant with `payments` payments over the last year and, on Postgres, the rest of a busy
    merchant's year in proportion (bench.busy_merchant); returns its id. Kept between runs: one merchant per
    size, built in one transaction, so a merchant that exists is whole."""
    from django.db import connection, transaction
    from django.utils import timezone

    from bench import busy_merchant
    from merchants import services
    from merchants.models import Merchant, Store, Terminal

    slug = f"{MERCHANT_SLUG}-{payments}"
    merchant = Merchant.objects.filter(slug=slug).first()
    if merchant is not None:
        out.write(f"reusing {payments:,} payments of {slug}\n")
        return merchant.pk
    started = time.perf_counter()
    volumes = busy_merchant.Volumes(payments)
    with transaction.atomic():
        merchant = Merchant.objects.create(name="报表压测商户", slug=slug)
        stores = [Store.objects.create(merchant=merchant, name=f"门店 {n + 1}") for n in range(STORES)]
        for store in stores:
            services.create_terminal(store, name=f"收银台 {store.name}")
        store_ids = [store.pk for store in stores]
        terminal_ids = [Terminal.objects.filter(store_id=pk).order_by("pk").values_list("pk", flat=True)[0]
                        for pk in store_ids]
        services.add_staff(merchant, username=f"{slug}-owner", password=OWNER_PASSWORD, role="owner",
                           check_password=False)
        now = timezone.now()
        if connection.vendor == "postgresql":
            first_member = busy_merchant.make_members(merchant.pk, volumes, now)
            _insert_postgres(merchant.pk, payments, store_ids, terminal_ids, now,
                             member=busy_merchant.member_expression(volumes, first_member))
            busy_merchant.build(merchant.pk, volumes, store_ids, first_member, now)
        else:
            _insert_orm(merchant.pk, payments, store_ids, terminal_ids, now)
    out.write(f"built {payments:,} payments in {time.perf_counter() - started:.1f} s\n")
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
    return merchant.pk


def _insert_postgres(merchant_id: int, payments: int, store_ids: list[int], terminal_ids: list[int],
                     now: datetime.datetime, *, member: str) -> None:
    from django.db import connection

    params = {"m": merchant_id, "n": payments, "stores": store_ids, "tills": terminal_ids, "now": now}
    statements = [
        # bill 10.00–209.99; every third bill 5% off (level); channels in turn; spread over 365 days.
        # `member`: SQL naming payment g's member (or NULL); a member's payment earns its whole yuan in points.
        f"""INSERT INTO checkout_payment (merchant_id, number, member_id, store_id, terminal_id, payer_phone, source,
               status, bill_id, bill_amount, discount_total, amount_due, refunded_amount, channel, trade_no,
               points_used, points_earned, experience_earned, earn_basis, cashback_earned, request, created_at, paid_at)
           SELECT %(m)s, 'BR' || %(m)s || '-' || g, {member}, (%(stores)s::int[])[1 + g %% 4],
               (%(tills)s::int[])[1 + g %% 4],
               '', 'terminal', CASE WHEN g %% 100 = 0 THEN 'partly_refunded' ELSE 'paid' END, '',
               b.bill, b.off, b.bill - b.off, CASE WHEN g %% 100 = 0 THEN 5.00 ELSE 0 END,
               (ARRAY['wechat','alipay','card','cash'])[1 + g %% 4],
               CASE WHEN g %% 4 < 2 THEN 'T' || %(m)s || '-' || g ELSE '' END, 0,
               CASE WHEN {member} IS NULL THEN 0 ELSE floor(b.bill - b.off) END, 0, b.bill - b.off, 0, '{{}}',
               %(now)s - (g * interval '365 days' / %(n)s), %(now)s - (g * interval '365 days' / %(n)s)
           FROM generate_series(1, %(n)s) AS g,
                LATERAL (SELECT (10 + (g::bigint * 7919) %% 20000 / 100.0)::numeric(14,2) AS bill) AS a,
                LATERAL (SELECT a.bill,
                         CASE WHEN g %% 3 = 0 THEN round(a.bill * 0.05, 2) ELSE 0 END AS off) AS b""",
        """INSERT INTO checkout_paymenttender (merchant_id, payment_id, kind, amount, refunded)
           SELECT merchant_id, id, 'external', amount_due, refunded_amount FROM checkout_payment
           WHERE merchant_id = %(m)s""",
        """INSERT INTO checkout_paymentadjustment (merchant_id, payment_id, position, kind, amount, description)
           SELECT merchant_id, id, 1, 'level', discount_total, '' FROM checkout_payment
           WHERE merchant_id = %(m)s AND discount_total > 0""",
        """INSERT INTO checkout_refund (merchant_id, payment_id, number, amount, is_full, points_returned,
               points_taken_back, points_shortfall, experience_taken_back, spend_taken_back, cashback_taken_back,
               cashback_shortfall, coupon_restored, rewards_withdrawn, reason, created_at)
           SELECT merchant_id, id, 'RR' || id, 5.00, false, 0, 0, 0, 0, 0, 0, 0, false, 0, '',
               created_at + interval '1 hour' FROM checkout_payment
           WHERE merchant_id = %(m)s AND refunded_amount > 0""",
        """INSERT INTO checkout_refundline (merchant_id, refund_id, tender_id, amount)
           SELECT r.merchant_id, r.id, t.id, r.amount FROM checkout_refund r
           JOIN checkout_paymenttender t ON t.payment_id = r.payment_id WHERE r.merchant_id = %(m)s""",
    ]
    with connection.cursor() as cursor:
        for statement in statements:
            cursor.execute(statement, params)
        for table in ("checkout_payment", "checkout_paymenttender", "checkout_refund"):
            cursor.execute(f"ANALYZE {table}")  # noqa: S608 (our own table names; the rows are not committed yet)


def _insert_orm(merchant_id: int, payments: int, store_ids: list[int], terminal_ids: list[int],
                now: datetime.datetime) -> None:
    """The same rows through bulk_create, for the suite's small run on any database."""
    from decimal import Decimal

    from checkout.models import Payment, PaymentAdjustment, PaymentTender, Refund, RefundLine

    made = []
    for g in range(1, payments + 1):
        bill = Decimal(10 + (g * 7919) % 20000 / 100).quantize(Decimal("0.01"))
        off = (bill * Decimal("0.05")).quantize(Decimal("0.01")) if g % 3 == 0 else Decimal("0.00")
        at = now - datetime.timedelta(days=365) * g / payments
        channel = ("wechat", "alipay", "card", "cash")[g % 4]
        made.append(Payment(merchant_id=merchant_id, number=f"BR{merchant_id}-{g}", store_id=store_ids[g % 4],
                            terminal_id=terminal_ids[g % 4], bill_amount=bill, discount_total=off,
                            amount_due=bill - off, channel=channel, created_at=at, paid_at=at,
                            trade_no=f"T{merchant_id}-{g}" if g % 4 < 2 else "",
                            refunded_amount=Decimal("5.00") if g % 100 == 0 else Decimal("0.00"),
                            status="partly_refunded" if g % 100 == 0 else "paid"))
    Payment.objects.bulk_create(made, batch_size=2000)
    made = list(Payment.objects.filter(merchant_id=merchant_id))
    tenders = PaymentTender.objects.bulk_create(
        [PaymentTender(merchant_id=merchant_id, payment=p, kind="external", amount=p.amount_due,
                       refunded=p.refunded_amount) for p in made], batch_size=2000)
    PaymentAdjustment.objects.bulk_create(
        [PaymentAdjustment(merchant_id=merchant_id, payment=p, position=1, kind="level", amount=p.discount_total)
         for p in made if p.discount_total > 0], batch_size=2000)
    for p, tender in zip(made, tenders, strict=True):
        if p.refunded_amount > 0:
            refund = Refund.objects.create(merchant_id=merchant_id, payment=p, number=f"RR{p.pk}",
                                           amount=p.refunded_amount, created_at=p.created_at)
            RefundLine.objects.create(merchant_id=merchant_id, refund=refund, tender=tender, amount=refund.amount)


def _best(call: Callable[[], object], repeat: int) -> float:
    times = []
    for _n in range(repeat):
        started = time.perf_counter()
        call()
        times.append(time.perf_counter() - started)
    return min(times)


def _row(out: TextIO, name: str, seconds: float, reference_seconds: float) -> dict[str, float]:
    ratio = seconds / reference_seconds if reference_seconds else float("inf")
    verdict = "ok" if seconds < TARGET_SECONDS else "OVER"
    out.write(f"{name:<44} {seconds:>8.3f} {reference_seconds:>10.3f} {ratio:>7.1f}x  {verdict}\n")
    return {"seconds": seconds, "reference": reference_seconds, "ratio": ratio}


def run(*, payments: int, repeat: int = 3, out: TextIO = sys.stdout,
        only: tuple[str, ...] = ()) -> dict[str, dict[str, float]]:
    """Time every registered report over the year (all stores, then one), its CSV and Excel export, and the
    dashboard; returns {name: {"seconds", "reference", "ratio"}}, the reports under their codes. `only`: the
    report codes (and "dashboard") to time, every one when empty."""
    from django.core.management import call_command
    from django.db import connection, connections
    from django.test import Client

    from bench import busy_merchant
    from cards.membership.services.points_days import keep_points_days
    from finance.services.settlement import _grouped, settle, settle_days
    from loyalty.replica import report_reads
    from loyalty.reports import ReportScope, reports
    from loyalty.usable_cards import merchant_today, merchant_zone
    from merchants.models import Merchant, StaffMember, StaffRole, Store
    from reports.views import _export
    from wallet.services.wallet_days import keep_wallet_days

    merchant_id = build(payments, out=out)
    merchant = Merchant.objects.get(pk=merchant_id)
    out.write("volumes: " + ", ".join(f"{table} {n:,}" for table, n in busy_merchant.counts(merchant_id).items())
              + "\n")
    if connection.vendor != "postgresql":
        out.write("(on this database only the payments are made: the members, coupons, ledgers and cards are "
                  "written in Postgres SQL)\n")
    if connection.vendor == "postgresql" and not connection.in_atomic_block:
        started = time.perf_counter()
        with connection.cursor() as cursor:
            cursor.execute("VACUUM ANALYZE")
        out.write(f"VACUUM ANALYZE in {time.perf_counter() - started:.1f} s (a year of payments has been vacuumed "
                  "many times by autovacuum; a bench built in one go, or just migrated, has not)\n")
    audit = io.StringIO()
    started = time.perf_counter()
    call_command("audit_ledgers", merchant=merchant_id, stdout=audit)
    out.write(f"manage.py audit_ledgers --merchant {merchant_id} ({time.perf_counter() - started:.1f} s):\n"
              + "".join(f"  {line}\n" for line in audit.getvalue().splitlines()))
    end = merchant_today(merchant)
    scope = ReportScope(merchant_id=merchant_id, start=end - datetime.timedelta(days=365), end=end,
                        zone=merchant_zone(merchant))
    one_store = Store.objects.filter(merchant=merchant).order_by("pk").first()
    store_scope = dataclasses.replace(scope, store_ids=(one_store.pk,))
    first, after = scope.bounds()
    started = time.perf_counter()
    written = settle_days(merchant, first=scope.start, last=scope.end)
    out.write(f"kept the settlement of the year's days ({written:,} figures) in {time.perf_counter() - started:.1f} s "
              "(finance.tasks.settle_recent_days keeps yesterday's from then on)\n")
    started = time.perf_counter()
    written = keep_points_days(merchant, first=scope.start, last=scope.end)
    out.write(f"kept the points ledger of the year's days ({written:,} figures) in "
              f"{time.perf_counter() - started:.1f} s "
              "(membership.tasks.keep_points_days keeps yesterday's from then on)\n")
    started = time.perf_counter()
    written = keep_wallet_days(merchant, first=scope.start, last=scope.end)
    out.write(f"kept the wallet ledger of the year's days ({written:,} figures) in "
              f"{time.perf_counter() - started:.1f} s "
              "(wallet.tasks.keep_wallet_days keeps yesterday's from then on)\n")

    def reference() -> None:
        with report_reads() as alias, connections[alias].cursor() as cursor:
            cursor.execute("SELECT count(*), sum(amount_due) FROM checkout_payment WHERE merchant_id = %s "
                           "AND created_at >= %s AND created_at < %s", [merchant_id, first, after])
            cursor.fetchall()

    def computed(report, scope):
        with report_reads():
            return report.compute(scope)

    def exported(report, kind: str) -> None:
        response = _export(report, computed(report, scope), scope, kind)
        # The CSV is streamed: the rows are written while the body is read.
        b"".join(response.streaming_content) if response.streaming else response.content  # noqa: B018

    results: dict[str, dict[str, float]] = {}
    out.write(f"{'the year, ' + str(scope.start) + ' – ' + str(scope.end):<44} {'seconds':>8} {'reference':>10} "
              f"{'ratio':>8}  target < {TARGET_SECONDS:.0f} s (best of {repeat})\n")
    for report in reports.all():
        if only and report.code not in only:
            continue
        reference_seconds = _best(reference, repeat)
        results[report.code] = _row(out, report.code, _best(lambda r=report: computed(r, scope), repeat),
                                    reference_seconds)
        results[f"{report.code} (one store)"] = _row(
            out, f"{report.code} (one store)", _best(lambda r=report: computed(r, store_scope), repeat),
            reference_seconds)
        for kind in ("csv", "xlsx"):
            name = f"{report.code} export {kind}"
            results[name] = _row(out, name, _best(lambda r=report, k=kind: exported(r, k), repeat), reference_seconds)
    owner = StaffMember.objects.filter(merchant=merchant, role=StaffRole.OWNER).select_related("user").first()
    client = Client()
    client.force_login(owner.user)

    def page(query: str) -> None:
        response = client.get(f"/admin/{query}")
        if response.status_code != 200:
            raise RuntimeError(f"/admin/{query} answered {response.status_code}")

    pages = (("", "dashboard /admin/ (today, week, month; 30 days)"), ("?days=90", "dashboard /admin/?days=90"),
             (f"?store={one_store.pk}", "dashboard /admin/ one store"))
    for query, name in () if only and "dashboard" not in only else pages:
        results[name] = _row(out, name, _best(lambda q=query: page(q), repeat), _best(reference, repeat))
    if "finance.settlement" not in results:
        return results
    with report_reads():
        raw = _best(lambda: settle(_grouped(scope)), 1)
    ratio = raw / results["finance.settlement"]["reference"]
    out.write(f"{'(settlement, no kept days)':<44} {raw:>8.3f} {'':>10} {ratio:>7.1f}x  what the kept days save\n")
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--payments", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--only", action="append", default=[], metavar="CODE",
                        help="time only this report (its code, e.g. coupons) or 'dashboard'; repeatable")
    arguments = parser.parse_args()
    _setup()
    run(payments=arguments.payments, repeat=arguments.repeat, only=tuple(arguments.only))


if __name__ == "__main__":
    main()
