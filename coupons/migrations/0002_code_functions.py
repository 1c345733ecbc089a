"""SQL functions that make coupon codes inside Postgres, for set-based mass issuance (pgcrypto's CSPRNG)."""

from django.db import migrations

from coupons.codes import POSTGRES_DROP_FUNCTIONS, POSTGRES_FUNCTIONS


def create_functions(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        with schema_editor.connection.cursor() as cursor:
            cursor.execute(POSTGRES_FUNCTIONS)


def drop_functions(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        with schema_editor.connection.cursor() as cursor:
            cursor.execute(POSTGRES_DROP_FUNCTIONS)


class Migration(migrations.Migration):
    dependencies = [("coupons", "0001_initial")]
    operations = [migrations.RunPython(create_functions, drop_functions)]
