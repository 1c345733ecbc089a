"""Benchmark: a birthday campaign with one coupon and an SMS to N members (10 % held out) beside a plain mass send
of a coupon with its SMS to the same N members, in the same run.

    python manage.py bench_campaign --members 1000000

prints both rates (members handled a second: the mass send's are all given a coupon and a text; the campaign's
are all recorded, 90 % given a coupon and a text, 10 % recorded as held out) and the ratio campaign / mass send
(target at least 0.8). Both do the same useful work for a member who gets something: the coupon by the mass-send
engine, and an SMS with the member's own opt-out link, written to the outbox after the consent and cap checks.
The campaign also writes every member's delivery row (the record its holdout and uplift report read). The members
(all born today) are made once in a merchant named bench-N and kept; the coupons, texts and deliveries of a run
are deleted afterwards unless --keep. Messages are written to the outbox, not delivered (no worker runs).

Measured on Postgres on the shared 2-core machine of 2026-12-01 (load average 6 to 11 from other work, so the
absolute rates move between runs; the ratio is what the bench is for). Before the one-pass engine (planning,
giving and messaging in three passes): 100,000 members, send 9.72 s, campaign 27.68 s, ratio 0.35. One pass:

    members=100000 send_seconds=37.86 send_per_s=2641 campaign_seconds=43.04 campaign_per_s=2323 ratio=0.88
    members=100000 send_seconds=38.15 send_per_s=2621 campaign_seconds=45.72 campaign_per_s=2187 ratio=0.83
    members=100000 send_seconds=41.08 send_per_s=2434 campaign_seconds=50.36 campaign_per_s=1986 ratio=0.82
    members=1000000 send_seconds=428.16 send_per_s=2336 campaign_seconds=567.33 campaign_per_s=1763 ratio=0.75
    members=1000000 send_seconds=374.71 send_per_s=2669 campaign_seconds=408.63 campaign_per_s=2447 ratio=0.92

The two halves run one after the other, so load that rises during a run counts against the second (the
campaign): in the first million run the load average went from about 6 during the send to about 10 during the
campaign; in the second it stayed about 10 throughout.
"""

from __future__ import annotations

import time

from celery import current_app
from django.core.management.base import BaseCommand, CommandError
from django.db import connection, transaction
from django.utils import timezone

from campaigns.models import Campaign, CampaignMessage, Channel, Delivery, Occurrence, Outcome
from campaigns.services.occurrences import BATCH_SIZE, run_occurrence, start_occurrence
from coupons import services
from coupons.management.commands.bench_issuance import Command as IssuanceBench
from coupons.models import Coupon, CouponTemplate
from loyalty.models import OutboxMessage
from merchants.lunar import lunar_day
from merchants.models import Member


class Command(BaseCommand):
    help = "Time a birthday campaign to N members (10 % holdout) beside a plain mass send to the same N."

    def add_arguments(self, parser):
        parser.add_argument("--members", type=int, required=True)
        parser.add_argument("--batch-size", type=int, default=BATCH_SIZE)
        parser.add_argument("--keep", action="store_true")

    def handle(self, *args, **options):
        count = options["members"]
        if count < 1:
            raise CommandError("--members must be at least 1")
        # Queue delivery tasks without running them: the benchmark measures the sends, not the SMS gateway.
        eager = current_app.conf.task_always_eager
        current_app.conf.task_always_eager = False
        try:
            figures = self._run(count, options["batch_size"], keep=options["keep"])
        finally:
            current_app.conf.task_always_eager = eager
        self.stdout.write(" ".join(f"{key}={value}" for key, value in figures.items()))

    def _run(self, count: int, batch_size: int, *, keep: bool) -> dict:
        bench = IssuanceBench(stdout=self.stdout, stderr=self.stderr)
        merchant = bench._merchant_with_members(count)
        today = timezone.localdate(timezone.now(), merchant.zone)
        born = today.replace(year=1990)
        lunar = lunar_day(born)
        # A bulk update skips Member.save(), so the derived lunar birthday is written alongside.
        Member.objects.filter(merchant=merchant).exclude(birthday=born).update(
            birthday=born, lunar_birthday_month=lunar.month, lunar_birthday_day=lunar.day,
            lunar_birthday_leap=lunar.leap)
        now = timezone.now()
        plain = CouponTemplate.objects.create(merchant=merchant, name=f"bench send {now:%H:%M:%S}",
                                              kind=CouponTemplate.Kind.CASH, amount_off=5,
                                              validity=CouponTemplate.Validity.RELATIVE, valid_days=30)
        birthday = CouponTemplate.objects.create(merchant=merchant, name=f"bench birthday {now:%H:%M:%S}",
                                                 kind=CouponTemplate.Kind.CASH, amount_off=5,
                                                 validity=CouponTemplate.Validity.RELATIVE, valid_days=30)
        campaign = Campaign.objects.create(merchant=merchant, name=f"bench {now:%H:%M:%S}", trigger="birthday",
                                           status=Campaign.Status.ACTIVE, coupon_template=birthday,
                                           holdout_percent=10, hour=0)
        CampaignMessage.objects.create(merchant=merchant, campaign=campaign, channel=Channel.SMS,
                                       body="{name}，生日快乐！{coupon}已到账，{expiry}前有效：{link}")
        issuance = services.create_issuance(plain, notify_members=True, start=False)
        occurrence = start_occurrence(campaign, key=today.isoformat(), start=False)
        bench._vacuum()

        started = time.perf_counter()
        issuance = services.run_issuance(issuance.pk, batch_size=batch_size)
        send_seconds = time.perf_counter() - started

        started = time.perf_counter()
        occurrence = run_occurrence(occurrence.pk, batch_size=batch_size)
        campaign_seconds = time.perf_counter() - started

        self._verify(count, issuance, occurrence, birthday)
        if not keep:
            self._clean(merchant.pk, [plain, birthday], campaign)
            bench._vacuum()
        send_rate, campaign_rate = count / send_seconds, occurrence.eligible / campaign_seconds
        return {"members": count, "send_seconds": f"{send_seconds:.2f}", "send_per_s": f"{send_rate:.0f}",
                "campaign_seconds": f"{campaign_seconds:.2f}", "campaign_per_s": f"{campaign_rate:.0f}",
                "treated": occurrence.treated, "held_out": occurrence.held_out,
                "ratio": f"{campaign_rate / send_rate:.2f}"}

    def _verify(self, count: int, issuance, occurrence: Occurrence, template: CouponTemplate) -> None:
        if issuance.issued != count or occurrence.status != Occurrence.Status.COMPLETED or occurrence.eligible != count:
            raise CommandError(f"verification failed: send issued {issuance.issued}, campaign {occurrence.status} "
                               f"with {occurrence.eligible} of {count}")
        coupons = Coupon.objects.filter(template=template).count()
        deliveries = Delivery.objects.filter(occurrence=occurrence).count()
        treated = Delivery.objects.filter(occurrence=occurrence, outcome=Outcome.TREATED).count()
        if not (coupons == treated == occurrence.treated == occurrence.messaged and deliveries == count):
            raise CommandError(f"verification failed: coupons={coupons} treated={treated} deliveries={deliveries}")

    def _clean(self, merchant_id: int, templates: list[CouponTemplate], campaign: Campaign) -> None:
        with transaction.atomic():
            if connection.vendor == "postgresql":
                with connection.cursor() as cursor:
                    cursor.execute("SET LOCAL session_replication_role = replica")
            Coupon.objects.filter(template__in=templates)._raw_delete(connection.alias)
            OutboxMessage.objects.filter(merchant_id=merchant_id)._raw_delete(connection.alias)
            Delivery.objects.filter(campaign=campaign)._raw_delete(connection.alias)
