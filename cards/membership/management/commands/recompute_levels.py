"""Review members' levels and warn those whose level would drop (also run by celery beat)."""

from django.core.management.base import BaseCommand

from cards.membership import services


class Command(BaseCommand):
    help = "Re-evaluate membership levels by each programme's rule and warn before drops. Safe to run twice."

    def handle(self, *args, **options):
        changed = services.recompute_levels()
        warned = services.warn_level_drops()
        self.stdout.write(f"{changed} cards changed level; {warned} members warned of a coming drop.")
