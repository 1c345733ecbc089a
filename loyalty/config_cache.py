"""Rows every payment reads but merchants change a few times a year, kept in the cache between changes.

A terminal, a merchant's settings, levels and rules are read on every call of the terminal API; from the
cache they cost one lookup instead of a statement each (DESIGN.md: 300 payments/s). The rule that keeps
this correct: whoever owns such a row says which cache keys it feeds (`forget_on_change`), and saving or
deleting it gives those keys a new version, at once and again when the change commits. A value is kept
with the version read before it was loaded and used only while that is still the version, so a reader that
loaded the old rows before a change cannot make anyone use them after it. `SECONDS` bounds what a change made
without signals (`QuerySet.update`) can leave stale. Keys carry the shape of what they hold (`shape`), so a
release that changes a model never unpickles an old row into new code. The cache failing costs speed, never
an answer: every read falls back to the database.
"""

from __future__ import annotations

import contextlib
import contextvars
import dataclasses
import hashlib
import logging
import secrets
from collections.abc import Callable, Iterable, Iterator

from django.core.cache import cache
from django.db import transaction
from django.db.models.signals import m2m_changed, post_delete, post_save

SECONDS = 60
# Versions outlive the values kept under them (a version that expires reads as a new one).
VERSION_SECONDS = 24 * 3600
logger = logging.getLogger(__name__)
# What one API call has read from the cache already (`remembered`): a payment asks for the merchant's configuration
# and the webhook subscriptions twice each, and pays one round trip and one unpickling for each.
_remembered: contextvars.ContextVar[dict | None] = contextvars.ContextVar("config_cache_remembered", default=None)


@contextlib.contextmanager
def remembered() -> Iterator[None]:
    """Inside the block (one API call), a key read once is not read from the cache again: a change the block makes
    itself is forgotten here too (`forget`), and one made elsewhere meanwhile is seen by the next call, as if the
    block had read everything at its start."""
    if _remembered.get() is not None:
        yield
        return
    token = _remembered.set({})
    try:
        yield
    finally:
        _remembered.reset(token)


def shape(*kinds) -> str:
    """A short fingerprint of the models and dataclasses a cached value is made of."""
    names = []
    for kind in kinds:
        if hasattr(kind, "_meta"):
            names += [kind._meta.label, *(field.attname for field in kind._meta.concrete_fields)]
        else:
            names += [kind.__qualname__, *(field.name for field in dataclasses.fields(kind))]
    return hashlib.sha256(",".join(names).encode()).hexdigest()[:10]


def _version_key(key: str) -> str:
    return f"{key}:version"


def cached(key: str, load: Callable[[], object], *, seconds: int = SECONDS):
    """The value under `key` if it was loaded at the key's current version; otherwise loaded now and kept (a
    `load` that returns None, nothing found, is not kept). One round trip to the cache either way, none for a key
    already read inside `remembered`."""
    memo = _remembered.get()
    if memo is not None and key in memo:
        return memo[key]
    value = _cached(key, load, seconds=seconds)
    if memo is not None and value is not None:
        memo[key] = value
    return value


def _cached(key: str, load: Callable[[], object], *, seconds: int):
    try:
        found = cache.get_many([key, _version_key(key)])
    except Exception:  # noqa: BLE001 - an unreachable cache or a value that no longer unpickles: read the database
        logger.warning("cache read of %s failed; reading the database", key, exc_info=True)
        return load()
    version, entry = found.get(_version_key(key)), found.get(key)
    if entry is not None and entry[0] == version:
        return entry[1]
    loaded = load()
    if loaded is not None:
        try:
            cache.set(key, (version, loaded), seconds)
        except Exception:  # noqa: BLE001 - keeping it is only an optimisation
            logger.warning("cache write of %s failed", key, exc_info=True)
    return loaded


def forget(keys: Iterable[str]) -> None:
    """Give `keys` a new version now, and again once the caller's transaction commits."""
    keys = [key for key in keys if key]
    if not keys:
        return
    memo = _remembered.get()
    if memo is not None:
        for key in keys:
            memo.pop(key, None)

    def new_versions():
        try:
            cache.set_many({_version_key(key): secrets.token_hex(8) for key in keys}, VERSION_SECONDS)
        except Exception:  # noqa: BLE001 - readers fall back to the database while the cache is away
            logger.error("could not forget %s in the cache", keys, exc_info=True)

    new_versions()
    transaction.on_commit(new_versions)


def forget_on_change(model, keys_of: Callable[[object], Iterable[str]], *, m2m_fields: Iterable[str] = ()) -> None:
    """Forget `keys_of(instance)` whenever a `model` row is saved or deleted (or one of its `m2m_fields` changes)."""

    def on_change(sender, instance, **kwargs):
        if isinstance(instance, model):  # m2m_changed also fires from the other side with a related instance
            forget(keys_of(instance))

    uid = f"config_cache:{model._meta.label}:{id(keys_of)}"  # a model may feed several caches
    post_save.connect(on_change, sender=model, weak=False, dispatch_uid=f"{uid}:save")
    post_delete.connect(on_change, sender=model, weak=False, dispatch_uid=f"{uid}:delete")
    for name in m2m_fields:
        through = model._meta.get_field(name).remote_field.through
        m2m_changed.connect(on_change, sender=through, weak=False, dispatch_uid=f"{uid}:{name}")
