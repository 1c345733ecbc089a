"""Rows every payment reads but merchants change a few times a year, kept in the cache between changes.

A terminal, a merchant's settings, levels and rules are read on every call of the terminal API; from the
cache they cost one lookup instead of a statement each (DESIGN.md: 300 payments/s). The rule that keeps
this correct: whoever owns such a row says which cache keys it feeds (`forget_on_change`), and saving or
deleting it forgets them at once and again when the change commits, so a reader that raced the change
cannot keep the old rows. `SECONDS` bounds what a change made without signals (`QuerySet.update`) can
leave stale. Keys carry the shape of what they hold (`shape`), so a release that changes a model never
unpickles an old row into new code.
"""

from __future__ import annotations

import dataclasses
import hashlib
from collections.abc import Callable, Iterable

from django.core.cache import cache
from django.db import transaction
from django.db.models.signals import m2m_changed, post_delete, post_save

SECONDS = 60


def shape(*kinds) -> str:
    """A short fingerprint of the models and dataclasses a cached value is made of."""
    names = []
    for kind in kinds:
        if hasattr(kind, "_meta"):
            names += [kind._meta.label, *(field.attname for field in kind._meta.concrete_fields)]
        else:
            names += [kind.__qualname__, *(field.name for field in dataclasses.fields(kind))]
    return hashlib.sha256(",".join(names).encode()).hexdigest()[:10]


def cached(key: str, load: Callable[[], object], *, seconds: int = SECONDS):
    """The value under `key`, loaded (and kept) on a miss. `load` must not return None."""
    value = cache.get(key)
    if value is None:
        value = load()
        cache.set(key, value, seconds)
    return value


def forget(keys: Iterable[str]) -> None:
    """Drop `keys` now, and again once the caller's transaction commits."""
    keys = [key for key in keys if key]
    if not keys:
        return
    cache.delete_many(keys)
    transaction.on_commit(lambda: cache.delete_many(keys))


def forget_on_change(model, keys_of: Callable[[object], Iterable[str]], *, m2m_fields: Iterable[str] = ()) -> None:
    """Forget `keys_of(instance)` whenever a `model` row is saved or deleted (or one of its `m2m_fields` changes)."""

    def on_change(sender, instance, **kwargs):
        if isinstance(instance, model):  # m2m_changed also fires from the other side with a related instance
            forget(keys_of(instance))

    uid = f"config_cache:{model._meta.label}"
    post_save.connect(on_change, sender=model, weak=False, dispatch_uid=f"{uid}:save")
    post_delete.connect(on_change, sender=model, weak=False, dispatch_uid=f"{uid}:delete")
    for name in m2m_fields:
        through = model._meta.get_field(name).remote_field.through
        m2m_changed.connect(on_change, sender=through, weak=False, dispatch_uid=f"{uid}:{name}")
