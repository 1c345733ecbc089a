"""Print where to go and how to log in, after `make run` loads the demo data."""

from django.core.management.base import BaseCommand
from django.utils.translation import gettext as _

from merchants.management.commands.seed_demo import DEMO_PASSWORD, MERCHANTS, OPERATOR, terminal_key
from merchants.models import Member, StaffRole


class Command(BaseCommand):
    help = "Print the demo URLs and logins."

    def add_arguments(self, parser):
        parser.add_argument("--url", default="http://127.0.0.1:8000")

    def handle(self, *args, url: str, **options):
        out = self.stdout.write
        out("")
        out(self.style.SUCCESS("=" * 72))
        out(f"  {_('Merchant console (admin)')}: {url}/admin/")
        out(f"  {_('Operator (superuser)')}: {OPERATOR[0]} / {OPERATOR[1]}")
        for spec in MERCHANTS:
            out(f"  {spec['name']}")
            out("    staff: " + ", ".join(f"{spec['slug']}-{role}" for role in StaffRole.values)
                + f"  (password {DEMO_PASSWORD})")
            out(f"    {_('Member page')}: {url}/m/{spec['slug']}/")
            member = Member.objects.filter(merchant__slug=spec["slug"]).order_by("pk").first()
            if member:
                out(f"    {_('Demo member phone')}: {member.phone}  "
                    f"({_('the login code is printed in this console; the operator sees it in the admin outbox')})")
            out(f"    {_('Terminal key')}: {terminal_key(spec['slug'], 1)}")
        out(f"  {_('API docs')}: {url}/api/docs/     {_('Health')}: {url}/health")
        out(self.style.SUCCESS("=" * 72))
        out("")
