"""Make the reference's tables (if need be) and members with a wallet, a card and coupons; print them as JSON.

    DATABASE_URL=postgres://... python -m bench.reference.seed --members 400 --coupons 3
"""

import argparse
import json
import os
import secrets
import sys
from decimal import Decimal


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--members", type=int, required=True)
    parser.add_argument("--coupons", type=int, default=3)
    args = parser.parse_args()
    os.environ["DJANGO_SETTINGS_MODULE"] = "bench.reference.settings"
    import django

    django.setup()
    from django.core.management import call_command

    from bench.reference.models import Card, Coupon, Member, Wallet

    call_command("migrate", run_syncdb=True, verbosity=0)
    run = secrets.token_hex(3)
    members = Member.objects.bulk_create([Member(phone=f"ref-{run}-{n}") for n in range(args.members)])
    Wallet.objects.bulk_create([Wallet(member=member, balance=Decimal("1000000.00")) for member in members])
    Card.objects.bulk_create([Card(member=member, points=0) for member in members])
    people = []
    coupons = []
    for member in members:
        codes = [f"{run}{secrets.token_hex(6)}" for _n in range(args.coupons)]
        coupons += [Coupon(member=member, code=code, amount_off=Decimal("2.00")) for code in codes]
        people.append({"phone": member.phone, "coupons": codes})
    Coupon.objects.bulk_create(coupons)
    json.dump(people, sys.stdout)
    return 0


if __name__ == "__main__":
    sys.exit(main())
