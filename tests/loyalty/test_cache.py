"""The Redis cache backend keeps one client per connection pool (loyalty.cache)."""

import pytest
from django.core.cache import caches

from loyalty.cache import LoyaltyRedisCache


@pytest.mark.skipif(not isinstance(caches["default"], LoyaltyRedisCache), reason="runs with REDIS_URL set")
def test_every_cache_call_borrows_from_one_client_per_pool():
    cache = caches["default"]
    client = cache._cache.get_client(write=True)
    cache.set("test:one-client", 1)
    assert cache.get("test:one-client") == 1
    assert cache._cache.get_client() is client and cache._cache.get_client(write=True) is client
