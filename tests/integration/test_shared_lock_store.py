"""Rasa pods on many hosts order one conversation's turns through Redis: the lock store that
endpoints.prod.yml (the file every Rasa pod of deploy/k8s runs with) configures is one that two
processes share, and a turn waiting there gets the lock as soon as it is given back. Money never
relies on it (README "Production shape"); the order of a conversation's turns does. The store is
bot/ops/rasa_lock_store.py: Rasa 3.6's RedisLockStore could lose a release to a waiter's poll
and leave the next turn waiting for the ticket to lapse (60 s); each such race is forced step by
step in tests/integration/test_atomic_lock_store.py. The per-sender rate limits the replicas share
are shown with two real Rasa servers in tests/e2e/test_replicas.py."""
from __future__ import annotations

import os
import subprocess
import sys
import uuid

import pytest

from bot.settings import ROOT
from tests.support.redis_service import redis_or_skip

REDIS_URL = "redis://127.0.0.1:6379/0"
# One Rasa pod's lock store, as Rasa builds it from endpoints.prod.yml; holds the conversation's lock
# for HOLD seconds (or just takes and gives it back) and prints when it asked for it and had it.
REPLICA = """
import asyncio, sys, time
from rasa.core.lock_store import LockStore
from rasa.core.utils import AvailableEndpoints

async def main(conversation, hold):
    store = LockStore.create(AvailableEndpoints.read_endpoints("endpoints.prod.yml").lock_store)
    assert type(store).__name__ == "AtomicRedisLockStore", type(store)
    print(f"asked {time.time():.3f}", flush=True)
    async with store.lock(conversation, wait_time_in_seconds=0.05):
        print(f"locked {time.time():.3f}", flush=True)
        await asyncio.sleep(hold)
    print(f"released {time.time():.3f}", flush=True)

asyncio.run(main(sys.argv[1], float(sys.argv[2])))
"""


@pytest.fixture
def endpoints_env():
    redis_or_skip(REDIS_URL).close()
    # Every ${VAR} of endpoints.prod.yml must be set for Rasa to read it; only the lock store's are used.
    return {**os.environ, "REDIS_HOST": "127.0.0.1", "REDIS_PORT": "6379", "ACTION_ENDPOINT_URL": "http://unused",
            "ACTION_SERVER_SECRET": "unused", "TRACKER_DB_HOST": "unused", "TRACKER_DB_PORT": "5432",
            "TRACKER_DB_NAME": "unused", "TRACKER_DB_USER": "unused", "TRACKER_DB_PASSWORD": "unused",
            "RABBITMQ_HOST": "unused", "RABBITMQ_PORT": "5672", "RABBITMQ_USER": "unused",
            "RABBITMQ_PASSWORD": "unused", "RABBITMQ_QUEUE": "unused"}


def replica(env: dict, conversation: str, hold: float) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-c", REPLICA, conversation, str(hold)], cwd=ROOT, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def moments(process: subprocess.Popen) -> dict[str, float]:
    out, err = process.communicate(timeout=120)
    assert process.returncode == 0, err[-2000:]
    return {word: float(at) for word, at in (line.split() for line in out.splitlines())}


def test_a_conversation_locked_by_one_rasa_process_waits_in_another_and_others_do_not(endpoints_env):
    conversation = f"lock-{uuid.uuid4().hex[:10]}"
    first = replica(endpoints_env, conversation, hold=8.0)  # longer than the others take to start
    first.stdout.readline()  # asked
    line = first.stdout.readline()
    assert line.startswith("locked"), first.stderr.read()[-2000:]
    second = replica(endpoints_env, conversation, hold=0)
    elsewhere = replica(endpoints_env, f"{conversation}-other", hold=0)
    first_out = {"locked": float(line.split()[1]), **moments(first)}
    second_out, other_out = moments(second), moments(elsewhere)
    assert second_out["locked"] >= first_out["released"] - 0.05, (first_out, second_out)  # it waited its turn
    assert other_out["locked"] < first_out["released"], (first_out, other_out)  # other conversations go on
    # It had the lock as soon as it was given back, not when its holder's ticket ran out (Rasa's lock
    # lives 60 s; it polls every 0.05 s). Measured from when it could first have had it, as a loaded
    # machine may start its process after the first one let go. With Rasa's own RedisLockStore a
    # poll could write back the ticket just given up (a lost update), and this waited 60 s.
    waited = second_out["locked"] - max(first_out["released"], second_out["asked"])
    assert waited < 10, (waited, first_out, second_out)
