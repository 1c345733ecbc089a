"""Django's Postgres backend, with each connection's prepared statements (`loyalty.prepared`) and the statement as
written in Django's record of what a statement sent by name was."""

from __future__ import annotations

from django.conf import settings
from django.db.backends.postgresql import base, operations

from loyalty.prepared import PreparedStatements


class DatabaseOperations(operations.DatabaseOperations):
    def last_executed_query(self, cursor, sql, params):
        statements = getattr(self.connection, "prepared_statements", None)
        written = statements.as_written(sql) if statements is not None and sql else None
        if written is not None:
            return cursor.mogrify(written, params).decode()
        return super().last_executed_query(cursor, sql, params)


class DatabaseWrapper(base.DatabaseWrapper):
    ops_class = DatabaseOperations

    def get_new_connection(self, conn_params):
        # A new session has prepared nothing.
        self.prepared_statements = PreparedStatements() if settings.PREPARED_STATEMENTS else None
        return super().get_new_connection(conn_params)
