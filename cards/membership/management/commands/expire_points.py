"""Expire points past their day and warn members whose points expire soon (also run by celery beat)."""

from django.core.management.base import BaseCommand

from cards.membership import services


class Command(BaseCommand):
    help = "Expire points past their expiry day and warn members before theirs expire. Safe to run twice."

    def handle(self, *args, **options):
        expired = services.expire_points()
        warned = services.warn_expiring_points()
        self.stdout.write(f"{expired} points expired; {warned} members warned of coming expiry.")
