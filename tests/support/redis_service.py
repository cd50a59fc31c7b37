"""The local Redis the integration tests share (on its standard port, as on these machines)."""
from __future__ import annotations

import os

import pytest
import redis


def redis_or_skip(url: str) -> redis.Redis:
    """A client of the Redis at `url`, answering; the test is skipped when none answers there, and
    fails instead under REQUIRE_REDIS (tests/run_all.py sets it), where a skip would hide it."""
    client = redis.Redis.from_url(url, socket_connect_timeout=1)
    try:
        client.ping()
    except redis.RedisError as exc:
        if os.environ.get("REQUIRE_REDIS"):
            pytest.fail(f"Redis is required (REQUIRE_REDIS) but unreachable at {url}: {exc}")
        pytest.skip(f"Redis not reachable at {url}")
    return client
