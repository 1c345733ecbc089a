"""Reports read from a replica when one is configured (DATABASE_REPLICA_URL).

A router cannot tell a report's query from a payment's, so a report says so: its reads run inside
`report_reads()`, and the router sends them to the `replica` alias. Everything else, writes and reads
alike, stays on `default`, so a payment never reads what a lagging replica has not caught up with yet.
Without a replica the context changes nothing.
"""

from __future__ import annotations

import contextlib
import contextvars
from collections.abc import Iterator

from django.conf import settings

REPLICA_ALIAS = "replica"

_reading_reports: contextvars.ContextVar[bool] = contextvars.ContextVar("reading_reports", default=False)


def replica_configured() -> bool:
    return REPLICA_ALIAS in settings.DATABASES


def reports_database() -> str:
    """The alias a report reads from: the replica when one is configured, otherwise the primary."""
    return REPLICA_ALIAS if replica_configured() else "default"


@contextlib.contextmanager
def report_reads() -> Iterator[str]:
    """Send the reads inside this block to the replica; yields the alias they go to."""
    token = _reading_reports.set(True)
    try:
        yield reports_database()
    finally:
        _reading_reports.reset(token)


class ReportReplicaRouter:
    """Reads inside `report_reads()` go to the replica; writes and migrations always go to the primary."""

    def db_for_read(self, model, **hints) -> str | None:
        if _reading_reports.get() and replica_configured():
            return REPLICA_ALIAS
        return None

    def db_for_write(self, model, **hints) -> str | None:
        return "default"

    def allow_relation(self, obj1, obj2, **hints) -> bool:
        return True  # the replica holds the same rows as the primary

    def allow_migrate(self, db, app_label, model_name=None, **hints) -> bool:
        return db == "default"
