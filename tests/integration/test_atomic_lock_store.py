"""bot/ops/rasa_lock_store.py: each change to a conversation's lock that Rasa 3.6's RedisLockStore
can lose, forced step by step on a real Redis: one process reads the lock, another makes its whole
change, then the first writes. With Rasa's store the other's change is lost, which shows the steps
are the race; with ours it stays. tests/integration/test_shared_lock_store.py shows the lock held
and given back across two real processes."""
from __future__ import annotations

import uuid
from contextlib import contextmanager
from typing import Callable

import pytest
import redis
from rasa.core.lock_store import LockStore, RedisLockStore
from rasa.utils.endpoints import EndpointConfig

from bot.ops.rasa_lock_store import AtomicRedisLockStore
from tests.support.redis_service import redis_or_skip

HOST, PORT, DB = "127.0.0.1", 6379, 1  # RedisLockStore's default database, as endpoints.prod.yml leaves it


@pytest.fixture
def prefix():
    """A key prefix of this test's own, and its keys deleted afterwards."""
    client = redis_or_skip(f"redis://{HOST}:{PORT}/{DB}")
    name = f"t{uuid.uuid4().hex[:12]}"
    yield name
    for key in client.scan_iter(f"{name}:*"):
        client.delete(key)
    client.close()


@pytest.fixture
def between(monkeypatch):
    """`with between(store, change, read): step()`: the `read`-th GET reply `store` reads during
    `step` (a read of the lock) is followed at once by `change` run to its end, as another
    process's change would fall between this one's read and its write; if `step` reads fewer
    times, `change` runs after it. Hooked into redis-py, not into either store, so that both are
    forced the same way."""

    @contextmanager
    def forced(store: RedisLockStore, change: Callable[[], object], read: int):
        real = redis.Redis.parse_response
        reads = []

        def parse_response(client, connection, command_name, **options):
            reply = real(client, connection, command_name, **options)
            if command_name == "GET" and client.connection_pool is store.red.connection_pool:
                reads.append(command_name)
                if len(reads) == read:
                    change()
            return reply

        monkeypatch.setattr(redis.Redis, "parse_response", parse_response)
        yield
        monkeypatch.setattr(redis.Redis, "parse_response", real)
        if len(reads) < read:
            change()

    return forced


def processes(store_class: type, prefix: str, count: int) -> list[RedisLockStore]:
    """One store, with its own connections, per Rasa process."""
    return [store_class(host=HOST, port=PORT, db=DB, key_prefix=prefix) for _ in range(count)]


def stored(store: RedisLockStore, conversation: str) -> list[int] | None:
    lock = store.get_lock(conversation)
    return None if lock is None else [ticket.number for ticket in lock.tickets]


# Each race returns (what the two changes leave made one after the other, in either order, and what
# they left interleaved).

def poll_over_release(store_class, prefix, between, read):
    """The one seen: a waiter's poll (update_lock) writes back the ticket the holder just gave back
    (cleanup), so the next turn waits until that ticket lapses, 60 s."""
    holder, waiter = processes(store_class, prefix, 2)
    held, waiting = holder.issue_ticket("c"), waiter.issue_ticket("c")
    with between(waiter, lambda: holder.cleanup("c", held), read):
        waiter.update_lock("c")
    return [waiting], stored(waiter, "c")


def issue_over_issue(store_class, prefix, between, read):
    """Two turns that ask at once get the same number, and both are served at once."""
    first, second = processes(store_class, prefix, 2)
    numbers = []
    with between(first, lambda: numbers.append(second.issue_ticket("c")), read):
        numbers.append(first.issue_ticket("c"))
    return ([0, 1], [0, 1]), (sorted(numbers), stored(first, "c"))


def release_over_issue(store_class, prefix, between, read):
    """A holder's cleanup deletes the lock with a ticket issued after it looked: that turn's
    wait ends in LockError."""
    holder, newcomer = processes(store_class, prefix, 2)
    held, numbers = holder.issue_ticket("c"), []
    with between(holder, lambda: numbers.append(newcomer.issue_ticket("c")), read):
        holder.cleanup("c", held)
    return numbers, stored(newcomer, "c")


def give_back_over_issue(store_class, prefix, between, read):
    """finish_serving alone (Rasa calls it in cleanup) drops a ticket issued after it read."""
    holder, newcomer = processes(store_class, prefix, 2)
    numbers = [holder.issue_ticket("c")]
    with between(holder, lambda: numbers.append(newcomer.issue_ticket("c")), read):
        holder.finish_serving("c", numbers[0])
    return numbers[1:], stored(newcomer, "c")


def poll_over_issue(store_class, prefix, between, read):
    """A waiter's poll drops a ticket issued after it read: that turn is not in the queue."""
    holder, waiter, newcomer = processes(store_class, prefix, 3)
    numbers = [holder.issue_ticket("c"), waiter.issue_ticket("c")]
    with between(waiter, lambda: numbers.append(newcomer.issue_ticket("c")), read):
        waiter.update_lock("c")
    return numbers, stored(waiter, "c")


RACES = [poll_over_release, issue_over_issue, release_over_issue, give_back_over_issue, poll_over_issue]
# The other change falls after the first or the second read: Rasa's cleanup reads twice (finish_serving,
# then is_someone_waiting), a refused transaction of ours reads again.
READS = (1, 2)


@pytest.mark.parametrize("read", READS)
@pytest.mark.parametrize("race", RACES)
def test_no_change_to_a_lock_is_lost_with_ours(race, read, prefix, between):
    serial, interleaved = race(AtomicRedisLockStore, prefix, between, read)
    assert interleaved == serial


@pytest.mark.parametrize("race, read", [(race, 1) for race in RACES] + [(release_over_issue, 2)])
def test_rasas_store_loses_one_there(race, read, prefix, between):
    """Why the test above can fail: the same steps lose a change with Rasa's own store."""
    serial, interleaved = race(RedisLockStore, prefix, between, read)
    assert interleaved != serial


def test_after_a_forced_poll_the_waiter_has_the_lock_at_once(prefix, between):
    holder, waiter = processes(AtomicRedisLockStore, prefix, 2)
    held, waiting = holder.issue_ticket("c"), waiter.issue_ticket("c")
    with between(waiter, lambda: holder.cleanup("c", held), 1):
        waiter.update_lock("c")
    assert not waiter.get_lock("c").is_locked(waiting)
    waiter.cleanup("c", waiting)
    assert waiter.get_lock("c") is None  # the last one out deletes it, as Rasa's does


def test_it_shares_rasas_keys_and_format(prefix):
    """A stock RedisLockStore and ours (two releases during a rolling update) share one lock."""
    ours, rasas = AtomicRedisLockStore(host=HOST, port=PORT, key_prefix=prefix), \
        RedisLockStore(host=HOST, port=PORT, key_prefix=prefix)
    first, second = ours.issue_ticket("c"), rasas.issue_ticket("c")
    assert (first, second) == (0, 1) and stored(ours, "c") == [0, 1]
    raw = rasas.red.get(f"{prefix}:lock:c")
    assert raw == rasas.get_lock("c").dumps().encode()
    ours.cleanup("c", first)
    assert not rasas.get_lock("c").is_locked(second)
    rasas.cleanup("c", second)
    assert rasas.red.get(f"{prefix}:lock:c") is None


def test_rasa_builds_it_from_an_endpoint_config_as_it_builds_its_own(prefix):
    config = EndpointConfig(url=HOST, type="bot.ops.rasa_lock_store.AtomicRedisLockStore", port=str(PORT),
                            key_prefix=prefix, socket_timeout=3)
    store = LockStore.create(config)
    assert type(store) is AtomicRedisLockStore and store.key_prefix == f"{prefix}:lock:"
    connection = store.red.connection_pool.connection_kwargs
    assert (connection["host"], connection["port"], connection["db"], connection["socket_timeout"]) \
        == (HOST, PORT, DB, 3)
    assert store.issue_ticket("c") == 0 and stored(store, "c") == [0]
