"""The shared cache's Redis backend keeps one client per connection pool: Django's own builds
a new client (with its table of reply parsers) for every call, a cost the page cache pays on
every hit."""

import pytest
import redis

from web.shared_cache import RedisCache

URL = "redis://127.0.0.1:6379/14"


@pytest.fixture
def shared():
    cache = RedisCache(URL, {"KEY_PREFIX": "test-shared-cache"})
    yield cache
    cache.clear()


def test_one_client_serves_every_call(shared, monkeypatch):
    made = []
    original = redis.Redis.__init__

    def counting_init(self, *args, **kwargs):
        made.append(self)
        original(self, *args, **kwargs)

    monkeypatch.setattr(redis.Redis, "__init__", counting_init)

    shared.set("page", b"<html>", timeout=60)
    for _ in range(5):
        assert shared.get_many(["page", "missing"]) == {"page": b"<html>"}
    shared.delete("page")

    assert len(made) == 1
    assert shared.get("page") is None


def test_settings_use_it_when_redis_is_configured():
    from tests.config.test_settings import PRODUCTION_ENV, load

    assert load(**PRODUCTION_ENV)["cache"] == "web.shared_cache.RedisCache"
