"""Input limits: the longest message, and per-sender rate limits (token buckets).

One widget server or one Rasa server can count in memory. Replicas behind a load balancer
must share their counts, or a sender gets the rate once per replica: with
RATE_LIMIT_REDIS_URL set, the buckets live in Redis and each take is one atomic script.
A lost Redis must not take the chat down with it, nor open it to floods: while Redis is
unreachable each replica counts in memory again, and it tries Redis anew every few seconds.
"""
from __future__ import annotations

import asyncio
import ipaddress
import logging
import re
import time
from dataclasses import dataclass, field

import redis.asyncio
from redis.exceptions import RedisError

from bot.settings import settings

log = logging.getLogger(__name__)

# The longest customer message, in characters: the widget relay and Rasa's REST channel
# refuse longer ones (413) with a clear message, before anything is sent on.
MAX_MESSAGE = 2000
# The longest customer token (a JWT) a channel takes; longer is refused with a 400.
MAX_TOKEN = 4096
# A conversation id as the widget makes them (16-64 letters, digits, dashes): never a Slack
# user id or an email thread's. Use fullmatch: `$` would let a trailing newline in.
CONVERSATION_ID = re.compile(r"[A-Za-z0-9-]{16,64}")
# What a client may say about itself with a message (fullmatch each): the host app's token,
# its own secret key (actions/identity.py), and how its customer reads money and time.
METADATA = {
    "customer_token": (re.compile(rf"[A-Za-z0-9_.=-]{{1,{MAX_TOKEN}}}"), "a JWT"),
    "client_key": (re.compile(r"[A-Za-z0-9_-]{20,128}"), "20-128 letters, digits, - or _"),
    "locale": (re.compile(r"[A-Za-z]{2,3}([_-][A-Za-z0-9]{2,8}){0,2}"), "a locale such as en-GB"),
    "timezone": (re.compile(r"[A-Za-z0-9_+-]{1,32}(/[A-Za-z0-9_+-]{1,32}){0,2}"), "a time zone such as Europe/Paris"),
}


def checked_metadata(given: dict) -> dict[str, str]:
    """The METADATA values in `given` that are set; ValueError names the first of the wrong shape."""
    checked = {}
    for key, (shape, meaning) in METADATA.items():
        value = given.get(key)
        if value in (None, ""):
            continue
        if not isinstance(value, str) or not shape.fullmatch(value):
            raise ValueError(f"{key} must be {meaning}")
        checked[key] = value
    return checked


@dataclass
class RateLimiter:
    """Token buckets in this process's memory."""
    per_minute: int = 20
    burst: int = 8
    _buckets: dict = field(default_factory=dict)

    def take(self, key: str, now: float | None = None) -> bool:
        now = time.monotonic() if now is None else now
        tokens, last = self._buckets.get(key, (float(self.burst), now))
        tokens = min(float(self.burst), tokens + (now - last) * self.per_minute / 60.0)
        if tokens < 1.0:
            self._buckets[key] = (tokens, now)
            return False
        self._buckets[key] = (tokens - 1.0, now)
        if len(self._buckets) > 100_000:  # forget idle senders rather than grow without end
            self._buckets = {k: v for k, v in self._buckets.items() if now - v[1] < 600}
        return True

    async def allow(self, key: str) -> bool:
        return self.take(key)


# The same bucket as RateLimiter.take, on Redis's clock so that replicas agree on time.
# Each key expires once it would be full again: an idle sender costs Redis nothing.
TAKE_SCRIPT = """
local burst = tonumber(ARGV[1])
local per_second = tonumber(ARGV[2])
local clock = redis.call('TIME')
local now = tonumber(clock[1]) + tonumber(clock[2]) / 1000000
local state = redis.call('HMGET', KEYS[1], 'tokens', 'at')
local tokens = tonumber(state[1]) or burst
local at = tonumber(state[2]) or now
tokens = math.min(burst, tokens + math.max(0, now - at) * per_second)
local allowed = 0
if tokens >= 1 then
  tokens = tokens - 1
  allowed = 1
end
redis.call('HSET', KEYS[1], 'tokens', tostring(tokens), 'at', tostring(now))
redis.call('EXPIRE', KEYS[1], math.ceil(burst / per_second) + 1)
return allowed
"""


class SharedRateLimiter:
    """Token buckets in Redis, shared by every replica that uses the same `name`."""

    def __init__(self, url: str, *, name: str, per_minute: int = 20, burst: int = 8,
                 prefix: str = "grouptrack:rate", retry_seconds: float = 5.0, timeout_seconds: float = 0.5):
        self.url, self.per_minute, self.burst = url, per_minute, burst
        self.prefix = f"{prefix}:{name}:"
        self.retry_seconds, self.timeout_seconds = retry_seconds, timeout_seconds
        self.fallback = RateLimiter(per_minute=per_minute, burst=burst)
        self._clients: dict = {}  # one per event loop: an asyncio connection belongs to its loop
        self._redis_down_until = 0.0

    def _script(self):
        loop = asyncio.get_running_loop()
        if loop not in self._clients:
            client = redis.asyncio.Redis.from_url(self.url, socket_timeout=self.timeout_seconds,
                                                  socket_connect_timeout=self.timeout_seconds)
            self._clients = {loop: client.register_script(TAKE_SCRIPT)}  # older loops are gone
        return self._clients[loop]

    async def allow(self, key: str) -> bool:
        if time.monotonic() < self._redis_down_until:
            return self.fallback.take(key)
        try:
            allowed = await self._script()(keys=[self.prefix + key], args=[self.burst, self.per_minute / 60.0])
        except (RedisError, OSError) as exc:
            if not self._redis_down_until:
                log.warning("rate limits: Redis unreachable, counting in this process until it is back",
                            extra={"error": f"{type(exc).__name__}: {exc}"})
            self._redis_down_until = time.monotonic() + self.retry_seconds
            return self.fallback.take(key)
        if self._redis_down_until:
            log.warning("rate limits: Redis is back, counts are shared again")
            self._redis_down_until = 0.0
        return bool(allowed)


def rate_limiter(name: str, *, per_minute: int, burst: int, redis_url: str | None = None
                 ) -> RateLimiter | SharedRateLimiter:
    """Shared through Redis when RATE_LIMIT_REDIS_URL is set (the production shape), else in memory."""
    url = redis_url if redis_url is not None else settings().rate_limit_redis_url
    if url:
        return SharedRateLimiter(url, name=name, per_minute=per_minute, burst=burst)
    return RateLimiter(per_minute=per_minute, burst=burst)


def client_address(remote: str | None, forwarded_for: str | None, trusted: frozenset[str]) -> str:
    """The client's address for a per-address limit. Behind a proxy every request comes from
    the proxy, so for the proxies in `trusted` (addresses or networks such as 10.0.0.0/8)
    the nearest address they forwarded in X-Forwarded-For counts; anyone else's
    X-Forwarded-For is ignored, or a flood could name a new address each time."""
    address = remote or "unknown"
    if not _is_trusted(address, trusted):
        return address
    for hop in reversed((forwarded_for or "").split(",")):
        if hop.strip() and not _is_trusted(hop.strip(), trusted):
            return hop.strip()[:64]
    return address


def _is_trusted(address: str, trusted: frozenset[str]) -> bool:
    if address in trusted:
        return True
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    return any(ip in network for network in _networks(trusted))


def _networks(trusted: frozenset[str]) -> list:
    networks = []
    for entry in trusted:
        try:
            networks.append(ipaddress.ip_network(entry, strict=False))
        except ValueError:
            continue  # a name: matched as written above
    return networks
