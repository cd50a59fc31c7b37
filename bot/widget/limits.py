"""Per-sender rate limits for the widget: a token bucket per key, in memory.

In memory is right for one widget server; several replicas share nothing, so each
allows the rate on its own (issue 6 moves this to Redis).
"""
from __future__ import annotations

import time
from dataclasses import dataclass, field

# The longest customer message, in characters: the widget relay and Rasa's REST channel
# refuse longer ones (413) with a clear message, before anything is sent on.
MAX_MESSAGE = 2000


@dataclass
class RateLimiter:
    per_minute: int = 20
    burst: int = 8
    _buckets: dict = field(default_factory=dict)

    def allow(self, key: str, now: float | None = None) -> bool:
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
