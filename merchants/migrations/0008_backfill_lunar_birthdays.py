"""Fill the lunar birthday of every member who already has a birthday (later saves keep it in step)."""

from django.db import migrations

from merchants.lunar import lunar_day

BATCH = 2000


def backfill(apps, schema_editor):
    Member = apps.get_model("merchants", "Member")
    last_pk = 0
    while True:
        # Batches by id keep memory flat on a million members; only members with a birthday are read.
        batch = list(Member.objects.filter(pk__gt=last_pk, birthday__isnull=False).order_by("pk")
                     .only("pk", "birthday")[:BATCH])
        if not batch:
            return
        for member in batch:
            lunar = lunar_day(member.birthday)
            member.lunar_birthday_month = lunar.month if lunar else None
            member.lunar_birthday_day = lunar.day if lunar else None
            member.lunar_birthday_leap = lunar.leap if lunar else False
        Member.objects.bulk_update(batch, ["lunar_birthday_month", "lunar_birthday_day", "lunar_birthday_leap"])
        last_pk = batch[-1].pk


def clear(apps, schema_editor):
    apps.get_model("merchants", "Member").objects.update(lunar_birthday_month=None, lunar_birthday_day=None,
                                                         lunar_birthday_leap=False)


class Migration(migrations.Migration):

    dependencies = [
        ("merchants", "0007_member_lunar_birthday"),
    ]

    operations = [migrations.RunPython(backfill, clear)]
