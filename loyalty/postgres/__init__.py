"""Django's Postgres backend with the pay path's prepared statements (`loyalty.prepared`): settings name it as the
ENGINE of a Postgres database."""
