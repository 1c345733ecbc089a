"""Finance's stable error codes: a payment platform statement that cannot be read."""

from __future__ import annotations

STATEMENT_EMPTY = "statement_empty"
STATEMENT_UNREADABLE = "statement_unreadable"
STATEMENT_LAYOUT_UNKNOWN = "statement_layout_unknown"
STATEMENT_LINE_INVALID = "statement_line_invalid"
STATEMENT_TOO_LARGE = "statement_too_large"
