"""The shared cache (Redis) with one client per connection pool.

Django's ``RedisCacheClient.get_client`` builds a new ``redis.Redis`` for every call, and
each one fills a table of some 170 reply parsers: on a page-cache hit that was more time than
the round trip to Redis itself. A client is safe to share between threads (its connections
come from the pool), and the pool already starts afresh in a forked worker.
"""

from django.core.cache.backends.redis import RedisCache as DjangoRedisCache
from django.core.cache.backends.redis import RedisCacheClient


class ReusedClientRedisCacheClient(RedisCacheClient):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._clients = {}

    def get_client(self, key=None, *, write=False):
        pool = self._get_connection_pool(write)
        client = self._clients.get(id(pool))
        if client is None:
            client = self._clients[id(pool)] = self._client(connection_pool=pool)
        return client


class RedisCache(DjangoRedisCache):
    def __init__(self, server, params):
        super().__init__(server, params)
        self._class = ReusedClientRedisCacheClient
