"""Per-sender rate limits shared through Redis: on the machine's real Redis (a key prefix of
its own per test), and on a private Redis the test can take away and bring back."""
from __future__ import annotations

import asyncio
import logging
import os
import shutil
import time
import uuid

import pytest
import redis

from bot.ops.processes import free_port
from bot.web.limits import RateLimiter, SharedRateLimiter, rate_limiter
from tests.support.e2e_stack import redis_server
from tests.support.redis_service import redis_or_skip

REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/0")


@pytest.fixture
def prefix():
    client = redis_or_skip(REDIS_URL)
    prefix = f"gt_test_rate_{uuid.uuid4().hex[:10]}"
    yield prefix
    for key in client.scan_iter(f"{prefix}:*"):
        client.delete(key)
    client.close()


def replica(prefix: str, url: str = REDIS_URL, name: str = "rest", **limits) -> SharedRateLimiter:
    limits = {"per_minute": 1, "burst": 3, **limits}
    return SharedRateLimiter(url, name=name, prefix=prefix, **limits)


def takes(limiter, key: str, count: int) -> list[bool]:
    async def run():
        return [await limiter.allow(key) for _ in range(count)]
    return asyncio.run(run())


def test_two_replicas_share_one_bucket_per_sender(prefix):
    first, second = replica(prefix), replica(prefix)
    assert takes(first, "flood", 2) == [True, True]
    assert takes(second, "flood", 2) == [True, False]  # in memory it would have had 3 of its own
    assert takes(first, "flood", 1) == [False]
    assert takes(second, "someone-else", 1) == [True]
    assert takes(replica(prefix, name="widget"), "flood", 1) == [True]  # another entry point, other buckets


def test_the_bucket_refills_at_the_rate_and_an_idle_sender_expires(prefix):
    limiter = replica(prefix, per_minute=60, burst=1)
    assert takes(limiter, "slow", 2) == [True, False]
    time.sleep(1.1)
    assert takes(limiter, "slow", 1) == [True]
    ttl = redis.Redis.from_url(REDIS_URL).ttl(f"{prefix}:rest:slow")
    assert 0 < ttl <= 2  # full again after one second: Redis forgets it soon after


def test_without_a_redis_url_each_process_counts_alone():
    assert isinstance(rate_limiter("rest", per_minute=1, burst=2, redis_url=""), RateLimiter)
    shared = rate_limiter("rest", per_minute=1, burst=2, redis_url=REDIS_URL)
    assert isinstance(shared, SharedRateLimiter) and shared.prefix == "grouptrack:rate:rest:"


def test_a_lost_redis_limits_in_memory_and_shared_counting_resumes_when_it_is_back(tmp_path, caplog):
    if not shutil.which("redis-server"):
        pytest.fail("redis-server is needed (apt-get install redis-server)") if os.environ.get("CI") else \
            pytest.skip("redis-server is not installed")
    port = free_port()
    url = f"redis://127.0.0.1:{port}/0"
    limiter = replica("gt_private", url=url, burst=2, retry_seconds=0.2)
    with caplog.at_level(logging.WARNING, logger="bot.web.limits"):
        assert takes(limiter, "flood", 3) == [True, True, False]  # no Redis yet: still limited
    assert sum("Redis unreachable" in r.getMessage() for r in caplog.records) == 1  # said once, not per message

    server = redis_server(port, tmp_path)  # waits until it answers
    try:
        client = redis.Redis.from_url(url)
        time.sleep(0.25)  # past retry_seconds: the next message tries Redis again
        assert takes(limiter, "flood", 1) == [True]  # a fresh shared bucket
        assert client.exists("gt_private:rest:flood")
        assert takes(replica("gt_private", url=url, burst=2), "flood", 2) == [True, False]
        client.close()
    finally:
        server.terminate()
        server.wait()
