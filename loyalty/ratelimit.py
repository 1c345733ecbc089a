"""Fixed-window counters in the cache (Redis in production), for limits per phone and per IP."""

from django.core.cache import cache


def hit(key: str, *, limit: int, window_seconds: int) -> bool:
    """Count one event; return False once `limit` events have happened in the window."""
    cache_key = f"rl:{key}"
    # add() only sets a missing key, so the window starts at the first event and incr stays atomic.
    cache.add(cache_key, 0, timeout=window_seconds)
    try:
        count = cache.incr(cache_key)
    except ValueError:  # expired between add and incr
        cache.add(cache_key, 1, timeout=window_seconds)
        count = 1
    return count <= limit


def exceeded(key: str, *, limit: int) -> bool:
    """Whether the window's count already reached `limit`, without counting."""
    return (cache.get(f"rl:{key}") or 0) >= limit


def reset(key: str) -> None:
    cache.delete(f"rl:{key}")
