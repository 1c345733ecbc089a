"""SQL functions that made coupon codes inside Postgres (pgcrypto's CSPRNG); 0003 drops them again.

Mass sends now draw codes from Python's `secrets` (coupons.codes.new_codes), which is also cheaper.
The SQL is kept here, as it was, so that a database can be migrated step by step.
"""

from django.db import migrations

ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
CHECK_ALPHABET = ALPHABET + "*~$=U"
_DIGITS = " ||\n".join(f"         substr('{ALPHABET}', ((v >> {shift}) & 31)::int + 1, 1)"
                       for shift in range(55, -1, -5))
POSTGRES_FUNCTIONS = f"""
CREATE EXTENSION IF NOT EXISTS pgcrypto;
CREATE OR REPLACE FUNCTION coupons_encode_code(v bigint) RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $fn$
  SELECT
{_DIGITS} ||
         substr('{CHECK_ALPHABET}', (v % 37)::int + 1, 1)
$fn$;
"""
POSTGRES_DROP_FUNCTIONS = "DROP FUNCTION IF EXISTS coupons_encode_code(bigint);"


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
