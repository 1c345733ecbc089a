"""One shape for every list that grows (DESIGN.md, "Extension points"): tenders, benefits, pricing steps,
segment filters, demo data, ledger auditors.

An entry is a class (or an instance) with a unique `code`; apps register theirs in `AppConfig.ready()`, so
the registry itself knows no business and a new kind is one registered class in the app that owns it.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Generic, TypeVar

T = TypeVar("T")


class Registry(Generic[T]):
    """Entries by code, kept in the order they were registered unless they carry an `order`."""

    def __init__(self, name: str):
        self.name = name
        self._entries: dict[str, T] = {}

    def register(self, entry: T) -> T:
        """Add `entry` (usable as a class decorator); registering the same code again replaces it, so a
        module imported twice (autoreload, tests) changes nothing."""
        code = getattr(entry, "code", "")
        if not code:
            raise ValueError(f"{self.name}: {entry!r} has no code")
        self._entries[code] = entry
        return entry

    def unregister(self, code: str) -> None:
        self._entries.pop(code, None)

    def get(self, code: str) -> T:
        try:
            return self._entries[code]
        except KeyError:
            raise LookupError(f"{self.name}: no entry {code!r}") from None

    def __contains__(self, code: object) -> bool:
        return code in self._entries

    def all(self) -> list[T]:
        entries = list(self._entries.values())
        return sorted(entries, key=lambda entry: getattr(entry, "order", 0))

    def codes(self) -> list[str]:
        return [entry.code for entry in self.all()]

    def choices(self) -> list[tuple[str, str]]:
        """(code, label) pairs for a form field or a model's choices, labels translated when read."""
        return [(entry.code, str(getattr(entry, "label", entry.code))) for entry in self.all()]

    @contextmanager
    def registered(self, entry: T) -> Iterator[T]:
        """Register `entry` for the length of a block (tests register a test-only kind this way)."""
        code = entry.code
        before = self._entries.get(code)
        self.register(entry)
        try:
            yield entry
        finally:
            if before is None:
                self.unregister(code)
            else:
                self._entries[code] = before
