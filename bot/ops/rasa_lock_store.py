"""Rasa's Redis lock store, with every change to a conversation's lock made atomically.

Rasa 3.6's RedisLockStore changes a conversation's TicketLock by reading it (GET), changing
it in Python and writing it back (SET), in `issue_ticket`, `update_lock` (a waiting turn's
poll, every `wait_time_in_seconds`), `finish_serving` and `cleanup`. When two Rasa processes
do that to one conversation at once, one's change is lost:

- a waiter's poll that read the lock just before the holder gave its ticket back writes that
  ticket back, and the next turn waits until it lapses (TICKET_LOCK_LIFETIME, 60 s) instead
  of until the release;
- two turns asking at once get the same ticket number, and both are served at once;
- a holder's cleanup that found nobody waiting deletes the lock with a ticket issued
  meanwhile, and that turn fails with LockError.

Here each of them is one optimistic transaction (redis-py's `Redis.transaction`): WATCH the
key, GET it, change the lock with Rasa's own TicketLock code, then MULTI, SET or DEL, EXEC.
Redis refuses the EXEC if anyone wrote the key since the WATCH, and the change is made again
on what is stored now. A Lua script would do it in one round trip, but the ticket logic would
have to be written a second time, against the server's clock rather than the one Rasa's
expiry times are written by, and Lua's cjson would re-encode the lock (an empty ticket list as
`{}`, times to 14 digits). This way the stored value is exactly what RedisLockStore writes, and
a retry only happens when another process has changed the lock, that is, made progress.

Same key (`lock:` plus the conversation id, behind `key_prefix` if one is set), same value
and the same arguments as RedisLockStore, so it reads and writes the locks a stock store
does (during a rolling update, say). endpoints.prod.yml names it by module path; for such a
store Rasa passes only `endpoint_config` (`_load_from_module_name_in_endpoint_config` in
`rasa/core/lock_store.py`), which is unpacked here as Rasa unpacks it for `type: redis`.
Shown by tests/integration/test_atomic_lock_store.py (each race, forced step by step) and
tests/integration/test_shared_lock_store.py (two processes on endpoints.prod.yml).
"""
from __future__ import annotations

import json
import logging
from typing import Any, Callable, TypeVar

from rasa.core.lock import TicketLock
from rasa.core.lock_store import LOCK_LIFETIME, LockError, RedisLockStore
from rasa.utils.endpoints import EndpointConfig

logger = logging.getLogger(__name__)

Result = TypeVar("Result")
# Given the stored lock (None if there is none), returns the lock to store (None: delete it) and
# a result. Called again from scratch when the transaction is refused, so it must not keep state.
Change = Callable[[TicketLock | None], tuple[TicketLock | None, Result]]


class AtomicRedisLockStore(RedisLockStore):
    def __init__(self, endpoint_config: EndpointConfig | None = None, **kwargs: Any) -> None:
        # Rasa gives a store it loads by module path nothing but `endpoint_config`; the url and the
        # other keys become RedisLockStore's arguments, as Rasa makes them for `type: redis`.
        if endpoint_config is not None:
            given = {"host": endpoint_config.url} if endpoint_config.url else {}
            kwargs = {**given, **endpoint_config.kwargs, **kwargs}
        super().__init__(**kwargs)

    def issue_ticket(self, conversation_id: str, lock_lifetime: float = LOCK_LIFETIME) -> int:
        logger.debug(f"Issuing ticket for conversation '{conversation_id}'.")

        def issue(lock: TicketLock | None) -> tuple[TicketLock, int]:
            lock = lock or self.create_lock(conversation_id)
            return lock, lock.issue_ticket(lock_lifetime)

        try:
            return self._atomically(conversation_id, issue)
        except Exception as e:
            # Rasa's callers expect a LockError from here, whatever went wrong.
            raise LockError(f"Error while acquiring lock. Error:\n{e}") from e

    def update_lock(self, conversation_id: str) -> None:
        self._atomically(conversation_id, _on_the_lock(lambda lock: lock.remove_expired_tickets()))

    def finish_serving(self, conversation_id: str, ticket_number: int) -> None:
        self._atomically(conversation_id, _on_the_lock(lambda lock: lock.remove_ticket_for(ticket_number)))

    def cleanup(self, conversation_id: str, ticket_number: int) -> None:
        # Rasa's is finish_serving, then is_someone_waiting, then delete_lock: three steps another
        # process's ticket can arrive between. The decision to delete is taken on what is deleted.
        def give_back_and_drop_if_idle(lock: TicketLock | None) -> tuple[TicketLock | None, None]:
            if lock:
                lock.remove_ticket_for(ticket_number)
            return (lock if lock and lock.is_someone_waiting() else None), None

        self._atomically(conversation_id, give_back_and_drop_if_idle)

    def _atomically(self, conversation_id: str, change: Change[Result]) -> Result:
        key = self.key_prefix + conversation_id

        def attempt(pipe: Any) -> Result:
            stored = pipe.get(key)  # immediate: the pipeline is WATCHing the key
            lock, result = change(TicketLock.from_dict(json.loads(stored)) if stored else None)
            pipe.multi()
            # Write only what changed: an unchanged poll (most of them) then touches nothing and
            # cannot make the holder's release retry.
            if lock is None and stored is not None:
                pipe.delete(key)
            elif lock is not None and lock.dumps().encode() != stored:
                pipe.set(key, lock.dumps())
            return result

        return self.red.transaction(attempt, key, value_from_callable=True)


def _on_the_lock(act: Callable[[TicketLock], object]) -> Change[None]:
    """A change that does `act` to the stored lock, if there is one, and stores it again."""
    def change(lock: TicketLock | None) -> tuple[TicketLock | None, None]:
        if lock:
            act(lock)
        return lock, None
    return change
