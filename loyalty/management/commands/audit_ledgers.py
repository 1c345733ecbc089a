"""Prove every balance equals the sum of its ledger entries, and print what is owed to members."""

from django.core.management.base import BaseCommand, CommandError

from loyalty.ledgers import audit_all


class Command(BaseCommand):
    help = "Check every ledger-backed balance against its entries; exit 1 if any differs."

    def add_arguments(self, parser):
        parser.add_argument("--merchant", type=int, default=None, help="only this merchant id")

    def handle(self, *args, merchant=None, **options):
        reports = audit_all(merchant)
        failed = False
        for report in reports:
            status = self.style.SUCCESS("clean") if report.clean else self.style.ERROR("PROBLEMS")
            self.stdout.write(f"{report.name}: {report.accounts_checked} accounts checked, {status}")
            for problem in report.problems:
                self.stdout.write(f"  - {problem}")
            for label, amount in report.liabilities.items():
                self.stdout.write(f"  liability {label}: {amount}")
            failed = failed or not report.clean
        if not reports:
            self.stdout.write("No ledgers registered.")
        if failed:
            raise CommandError("ledger audit found problems")
