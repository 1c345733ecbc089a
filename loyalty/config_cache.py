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
import functools
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


@dataclasses.dataclass
class _Memo:
    """What one API call has read from the cache already (`remembered`)."""

    # key -> value: a payment asks for the merchant's configuration and the webhook subscriptions twice each, and
    # would pay one round trip and one unpickling for each.
    values: dict = dataclasses.field(default_factory=dict)
    # key -> (its version, its entry) as `read_ahead` found them, for the key's first `cached` of the call.
    found: dict = dataclasses.field(default_factory=dict)


_remembered: contextvars.ContextVar[_Memo | None] = contextvars.ContextVar("config_cache_remembered", default=None)
# Keys of what most calls of a merchant's terminals read about the merchant besides the terminal (its configuration,
# its webhook subscriptions), each registered by the app that owns it (`read_with_the_terminal`).
_merchant_keys: list[Callable[[int], str]] = []


@contextlib.contextmanager
def remembered() -> Iterator[None]:
    """Inside the block (one API call), a key read once is not read from the cache again: a change the block makes
    itself is forgotten here too (`forget`), and one made elsewhere meanwhile is seen by the next call, as if the
    block had read everything at its start."""
    if _remembered.get() is not None:
        yield
        return
    token = _remembered.set(_Memo())
    try:
        yield
    finally:
        _remembered.reset(token)


def read_with_the_terminal(key_of: Callable[[int], str]) -> None:
    """Have `key_of(merchant_id)` read with the terminal that authenticates an API call (`merchant_keys`)."""
    _merchant_keys.append(key_of)


def merchant_keys(merchant_id: int) -> list[str]:
    """The keys registered with `read_with_the_terminal`, of this merchant."""
    return [key_of(merchant_id) for key_of in _merchant_keys]


def read_ahead(keys: Iterable[str]) -> None:
    """Inside `remembered`, read these keys and their versions in one round trip now, for their first `cached` of
    the block: a payment reads the terminal, the merchant's configuration and its webhook subscriptions, three
    round trips one after the other otherwise. What is read is checked by `cached` as if read then; a key read
    ahead and never asked for costs its share of the round trip only. Outside the block it does nothing."""
    memo = _remembered.get()
    if memo is None:
        return
    keys = [key for key in keys if key not in memo.values and key not in memo.found]
    if not keys:
        return
    try:
        found = cache.get_many([name for key in keys for name in (key, _version_key(key))])
    except Exception:  # noqa: BLE001 - each `cached` tries again on its own, and falls back to the database
        logger.warning("cache read of %s failed", keys, exc_info=True)
        return
    for key in keys:
        memo.found[key] = (found.get(_version_key(key)), found.get(key))


@functools.cache
def shape(*kinds) -> str:
    """A short fingerprint of the models and dataclasses a cached value is made of (worked out once a process: keys
    that are read on every payment are made of it)."""
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
    if memo is None:
        return _cached(key, load, seconds=seconds)
    if key in memo.values:
        return memo.values[key]
    value = _cached(key, load, seconds=seconds, found=memo.found.pop(key, None))
    if value is not None:
        memo.values[key] = value
    return value


def _cached(key: str, load: Callable[[], object], *, seconds: int, found: tuple | None = None):
    if found is None:
        try:
            read = cache.get_many([key, _version_key(key)])
        except Exception:  # noqa: BLE001 - an unreachable cache or a value that no longer unpickles: read the database
            logger.warning("cache read of %s failed; reading the database", key, exc_info=True)
            return load()
        found = (read.get(_version_key(key)), read.get(key))
    version, entry = found
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
            memo.values.pop(key, None)
            memo.found.pop(key, None)

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
