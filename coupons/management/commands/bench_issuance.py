"""Benchmark of a mass send against a raw INSERT ... SELECT of the same number of coupon rows.

    python manage.py bench_issuance --members 1000000

prints `issued=N seconds=S per_s=R raw_seconds=T ratio=S/T`. Members are created once in a merchant
named bench-N and kept for the next run; the coupons of a run are deleted afterwards unless --keep.
The send is verified before the line is printed: one coupon per member, every code distinct and
well formed, the template's counter right.
"""

import datetime
import time

from django.core.management.base import BaseCommand, CommandError
from django.db import DatabaseError, connection, transaction
from django.utils import timezone

from coupons import codes, services
from coupons.models import Coupon, CouponTemplate
from merchants.models import Member, Merchant


class Command(BaseCommand):
    help = "Time a mass send of one coupon to each of N members, and a raw INSERT ... SELECT of as many rows."

    def add_arguments(self, parser):
        parser.add_argument("--members", type=int, required=True)
        parser.add_argument("--batch-size", type=int, default=services.issuance.BATCH_SIZE)
        parser.add_argument("--notify", action="store_true", help="also write the members' SMS to the outbox")
        parser.add_argument("--keep", action="store_true", help="keep the coupons made by this run")

    def handle(self, *args, **options):
        count = options["members"]
        if count < 1:
            raise CommandError("--members must be at least 1")
        merchant = self._merchant_with_members(count)
        now = timezone.now()
        template = CouponTemplate.objects.create(
            merchant=merchant, name=f"bench {now:%H:%M:%S}", kind=CouponTemplate.Kind.CASH, amount_off=5,
            validity=CouponTemplate.Validity.RELATIVE, valid_days=30, stock=count, per_member_limit=1)
        raw_template = CouponTemplate.objects.create(
            merchant=merchant, name=f"bench raw {now:%H:%M:%S}", kind=CouponTemplate.Kind.CASH, amount_off=5,
            validity=CouponTemplate.Validity.RELATIVE, valid_days=30)
        issuance = services.create_issuance(template, notify_members=options["notify"], start=False)
        self._vacuum()

        started = time.perf_counter()
        issuance = services.run_issuance(issuance.pk, batch_size=options["batch_size"])
        seconds = time.perf_counter() - started

        with connection.cursor() as cursor:
            cursor.execute("SELECT count(*), count(DISTINCT code), count(DISTINCT member_id) FROM coupons_coupon "
                           "WHERE template_id = %s AND issuance_id = %s", [template.pk, issuance.pk])
            rows, distinct_codes, distinct_members = cursor.fetchone()
            cursor.execute("SELECT code FROM coupons_coupon WHERE template_id = %s AND issuance_id = %s LIMIT 10000",
                           [template.pk, issuance.pk])
            malformed = [code for (code,) in cursor.fetchall() if not codes.is_well_formed(code)]
        template.refresh_from_db()
        if not (rows == distinct_codes == distinct_members == issuance.issued == template.issued_count == count):
            raise CommandError(f"verification failed: rows={rows} codes={distinct_codes} members={distinct_members} "
                               f"issued={issuance.issued} counter={template.issued_count} wanted={count}")
        if malformed:
            raise CommandError(f"verification failed: malformed codes such as {malformed[0]}")

        raw_seconds = self._raw_insert(merchant, raw_template, count)
        if not options["keep"]:
            self._delete_coupons([template, raw_template])
            # Dead rows of a million-row run would slow the next run's inserts down by half.
            self._vacuum()
        self.stdout.write(f"issued={issuance.issued} seconds={seconds:.2f} per_s={issuance.issued / seconds:.0f} "
                          f"raw_seconds={raw_seconds:.2f} ratio={seconds / raw_seconds:.2f}")

    def _delete_coupons(self, templates: list[CouponTemplate]) -> None:
        """Throw the run's coupons away. Nothing can refer to them (a fresh merchant's, never redeemed), so
        where allowed (a superuser) the redemptions' foreign key is not checked row by row at commit."""
        with transaction.atomic():
            if connection.vendor == "postgresql":
                try:
                    with transaction.atomic(), connection.cursor() as cursor:
                        cursor.execute("SET LOCAL session_replication_role = replica")
                except DatabaseError:
                    pass
            Coupon.objects.filter(template__in=templates)._raw_delete(connection.alias)

    def _vacuum(self) -> None:
        if connection.vendor == "postgresql" and not connection.in_atomic_block:
            with connection.cursor() as cursor:
                cursor.execute("VACUUM ANALYZE coupons_coupon")

    def _merchant_with_members(self, count: int) -> Merchant:
        merchant, _created = Merchant.objects.get_or_create(slug=f"bench-{count}",
                                                            defaults={"name": f"Bench {count}"})
        have = Member.objects.filter(merchant=merchant).count()
        if have < count:
            self.stdout.write(f"creating {count - have} members in {merchant.slug} ...")
            with connection.cursor() as cursor:
                # Phones 13000000000 + i are valid mainland mobiles and unique per merchant.
                cursor.execute("""
                    INSERT INTO merchants_member (merchant_id, phone, name, gender, joined_at, status, custom_fields)
                    SELECT %s, CAST(13000000000 + i AS text), '', 'unknown', %s, 'active', '{}'
                    FROM (SELECT %s + n AS i FROM (
                        WITH RECURSIVE s(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM s WHERE n < %s) SELECT n FROM s
                    ) AS s) AS numbers
                """ if connection.vendor != "postgresql" else """
                    INSERT INTO merchants_member (merchant_id, phone, name, gender, joined_at, status, custom_fields)
                    SELECT %s, CAST(13000000000 + i AS text), '', 'unknown', %s, 'active', '{}'
                    FROM generate_series(%s + 1, %s + %s) AS i
                """, [merchant.pk, timezone.now(), have, count - have] if connection.vendor != "postgresql"
                    else [merchant.pk, timezone.now(), have, have, count - have])
            if connection.vendor == "postgresql":
                with connection.cursor() as cursor:
                    cursor.execute("ANALYZE merchants_member")
        return merchant

    def _raw_insert(self, merchant: Merchant, template: CouponTemplate, count: int) -> float:
        """The floor: one statement over the members, no batches, no checks, throwaway codes made in SQL.

        The codes are random in their first characters (so they land all over the code index, as real
        ones do) and unique by the member id in the rest.
        """
        now = timezone.now()
        until = now + datetime.timedelta(days=30)
        if connection.vendor == "postgresql":
            code_sql = "upper(substr(md5(random()::text), 1, 5)) || lpad(m.id::text, 8, '0')"
        else:
            code_sql = "substr(upper(hex(randomblob(3))), 1, 5) || substr('00000000' || m.id, -8, 8)"
        started = time.perf_counter()
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(f"""
                INSERT INTO coupons_coupon (merchant_id, template_id, member_id, code, state, source, issued_at,
                                            valid_from, valid_until)
                SELECT %s, %s, m.id, {code_sql}, 'available', 'mass_send', %s, %s, %s
                FROM merchants_member m WHERE m.merchant_id = %s
                ORDER BY m.id LIMIT %s
            """, [merchant.pk, template.pk, now, now, until, merchant.pk, count])
        return time.perf_counter() - started
