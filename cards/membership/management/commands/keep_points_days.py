"""Keep the daily points sums of past days (membership.PointsDay): `--days 400` after an import or a restore."""

import datetime

from django.core.management.base import BaseCommand, CommandError

from cards.membership.services.points_days import keep_points_days
from loyalty.usable_cards import merchant_today
from merchants.models import Merchant


class Command(BaseCommand):
    help = "Build the kept daily points sums of the last N days (idempotent), for one merchant or all."

    def add_arguments(self, parser):
        parser.add_argument("--days", type=int, default=7)
        parser.add_argument("--merchant", help="the merchant's slug; every merchant if not given")

    def handle(self, *args, days, merchant, **options):
        merchants = Merchant.objects.all()
        if merchant:
            merchants = merchants.filter(slug=merchant)
            if not merchants.exists():
                raise CommandError(f"No merchant {merchant!r}.")
        for each in merchants:
            today = merchant_today(each)
            written = keep_points_days(each, first=today - datetime.timedelta(days=days), last=today)
            self.stdout.write(f"{each.slug}: {written} figures over {days} days")
