"""Operators: send a coupon template to a segment of members (投放), or resume a mass send after a crash.

`--segment` is a quick segment (all, level, tag ...) or the id or name of one of the merchant's saved segments.
"""

import datetime

from django.core.management.base import BaseCommand, CommandError

from coupons import services
from coupons.models import CouponIssuance, CouponTemplate
from loyalty.errors import DomainError
from merchants.models import Merchant, Segment


class Command(BaseCommand):
    help = "Send a coupon template to a segment of its merchant's members, in this process."

    def add_arguments(self, parser):
        parser.add_argument("--template", type=int, help="coupon template id")
        parser.add_argument("--segment", default="all",
                            help="a quick segment (all, level, joined_between, birthday_month, inactive, tag, "
                                 "phones) or a saved segment's id or name")
        parser.add_argument("--level", type=int, help="level id (segment level)")
        parser.add_argument("--tag", type=int, help="member tag id (segment tag)")
        parser.add_argument("--joined-from", type=datetime.date.fromisoformat)
        parser.add_argument("--joined-until", type=datetime.date.fromisoformat)
        parser.add_argument("--inactive-days", type=int)
        parser.add_argument("--phones-file", help="CSV file with a phone in the first column")
        parser.add_argument("--no-notify", action="store_true", help="do not text the members")
        parser.add_argument("--resume", type=int, metavar="JOB", help="continue mass send JOB after its checkpoint")
        parser.add_argument("--batch-size", type=int, default=services.issuance.BATCH_SIZE)
        parser.add_argument("--throttle-ms", type=int, default=0, help="pause between batches to spare the database")

    def handle(self, *args, **options):
        if options["resume"]:
            issuance = CouponIssuance.objects.filter(pk=options["resume"]).first()
            if issuance is None:
                raise CommandError(f"no mass send {options['resume']}")
        else:
            template = CouponTemplate.objects.filter(pk=options["template"]).first()
            if template is None:
                raise CommandError("give --template with an existing template id")
            merchant = template.merchant
            phones = []
            if options["phones_file"]:
                with open(options["phones_file"], "rb") as handle:
                    phones = services.parse_phone_list(handle.read())
            segment, saved = options["segment"], None
            if segment not in CouponIssuance.Segment.values or segment == CouponIssuance.Segment.SAVED:
                saved, segment = self._saved_segment(merchant, segment), CouponIssuance.Segment.SAVED
            try:
                issuance = services.create_issuance(
                    template, segment=segment, saved_segment=saved, notify_members=not options["no_notify"],
                    level=merchant.levels.filter(pk=options["level"]).first() if options["level"] else None,
                    tag=merchant.member_tags.filter(pk=options["tag"]).first() if options["tag"] else None,
                    joined_from=options["joined_from"], joined_until=options["joined_until"],
                    inactive_days=options["inactive_days"], phones=phones, start=False)
            except DomainError as error:
                raise CommandError(str(error.message)) from error
        issuance = services.run_issuance(issuance.pk, batch_size=options["batch_size"],
                                         throttle_seconds=options["throttle_ms"] / 1000)
        self.stdout.write(f"mass_send={issuance.pk} status={issuance.status} total={issuance.total} "
                          f"processed={issuance.processed} issued={issuance.issued}"
                          + (f" stopped_because={issuance.stopped_reason}" if issuance.stopped_reason else ""))

    @staticmethod
    def _saved_segment(merchant: Merchant, given: str) -> Segment:
        """A saved segment of the template's merchant, by id or by name."""
        segments = Segment.objects.filter(merchant=merchant)
        found = (segments.filter(pk=int(given)).first() if given.isdigit() else None) or \
            segments.filter(name=given).first()
        if found is None:
            raise CommandError(f"no segment {given!r} in {merchant.slug}")
        return found
