"""What a Rasa turn costs, cut where `make bench-turns` measured it, without changing what
Rasa does. Each cut is one patch of Rasa's own code, installed by bot/ops/rasa_patches.py
(the one place that installs them, on the Rasa version they were read against).

- Rasa checks each action server reply with `jsonschema.validate`, which first checks the
  whole event schema against the JSON Schema meta-schema and builds a new validator: half
  the Rasa process's CPU under load (20 ms a reply). The same schema is checked once here and
  its validator kept; a reply is validated against it as before and fails with the same error.
  Each event is matched against the schema's `oneOf` of every event type (23), all of which
  are tried and all but one refuse it on its `event` name: a reply is first checked with
  each event against its own type's schema only, which accepts exactly what the `oneOf`
  accepts (a second type could never match the same `event` name), and only a reply that
  fails there is checked the full way, for Rasa's own error.
- Rasa's `EndpointConfig.request` (every action call) opens a new aiohttp session, so a new
  TCP connection to the action server, and closes it. Each endpoint keeps one session per
  event loop instead, with the same headers, authentication and timeout; its idle
  connections are dropped before the action server's (Sanic closes them after 5 s), so a
  reused connection is never one the server is closing.
- TED runs a TensorFlow graph for every prediction (two or three a turn, a quarter of the
  Rasa process's CPU), but what it predicts depends only on the dialogue states it
  featurizes (intents, entity names, slot features, previous actions, the active form,
  for its last `max_history` turns) when it was trained without end-to-end text. Its
  predictions are kept by those states (least recently used out past `TED_CACHE_SIZE`),
  so a state seen before is answered without running the graph, identically.
- Once a model is loaded, the collector is told it lives as long as the process
  (`bot/ops/heap.py`): full collections walked it every time, 0.3 s each under load.
"""
from __future__ import annotations

import asyncio
import functools
import weakref
from collections import OrderedDict
from typing import Any

import aiohttp
from jsonschema.exceptions import best_match
from jsonschema.validators import validator_for
from rasa.shared.constants import DOCS_BASE_URL
from rasa.utils.endpoints import DEFAULT_REQUEST_TIMEOUT, EndpointConfig

from bot.ops.heap import freeze_what_is_loaded

_reply_validator = None
_fast_check = None
TED_CACHE_SIZE = 20_000
KEEP_IDLE_CONNECTIONS_SECONDS = 2.0  # below Sanic's KEEP_ALIVE_TIMEOUT (5 s)


class _KeptSession:
    """What `async with endpoint.session()` gets: the endpoint's session, left open on exit."""

    def __init__(self, session: aiohttp.ClientSession):
        self.session = session

    async def __aenter__(self) -> aiohttp.ClientSession:
        return self.session

    async def __aexit__(self, *_exc) -> None:
        return None


def _kept_session(self) -> _KeptSession:
    """`EndpointConfig.session` keeping one session per endpoint and event loop."""
    loop = asyncio.get_running_loop()
    sessions = self.__dict__.setdefault("_sessions_by_loop", weakref.WeakKeyDictionary())
    session = sessions.get(loop)
    if session is None or session.closed:
        auth = aiohttp.BasicAuth(self.basic_auth["username"], self.basic_auth["password"]) if self.basic_auth else None
        session = aiohttp.ClientSession(
            headers=self.headers, auth=auth, timeout=aiohttp.ClientTimeout(total=DEFAULT_REQUEST_TIMEOUT),
            connector=aiohttp.TCPConnector(keepalive_timeout=KEEP_IDLE_CONNECTIONS_SECONDS))
        sessions[loop] = session
    return _KeptSession(session)


class _EventByEvent:
    """Accepts a reply exactly when the full schema does, faster; refuses by returning False
    where the full check would find an error (and never raises)."""

    def __init__(self, schema: dict, validator_class):
        items = schema["properties"]["events"]["items"]
        self.envelope = validator_class({**schema, "properties": {
            **schema["properties"], "events": {**schema["properties"]["events"], "items": {
                key: value for key, value in items.items() if key != "oneOf"}}}})
        self.by_name = {branch["properties"]["event"]["const"]: validator_class(branch) for branch in items["oneOf"]}

    @classmethod
    def for_schema(cls, schema: dict, validator_class) -> "_EventByEvent | None":
        """None if the schema is not shaped as Rasa 3.6's is (every event type named by a `const`)."""
        try:
            branches = schema["properties"]["events"]["items"]["oneOf"]
            names = [branch["properties"]["event"]["const"] for branch in branches]
        except (KeyError, TypeError):
            return None
        return cls(schema, validator_class) if len(set(names)) == len(names) else None

    def accepts(self, result: Any) -> bool:
        if not self.envelope.is_valid(result):
            return False
        for event in (result.get("events") or []) if isinstance(result, dict) else []:
            branch = self.by_name.get(event.get("event"))
            if branch is None or not branch.is_valid(event):
                return False
        return True


def _validate_action_result(self, result: dict[str, Any]) -> bool:
    """`RemoteAction._validate_action_result` with the validator built once (jsonschema.validate's
    own steps: the best-matching error is raised, with Rasa's explanation appended)."""
    if _fast_check is not None and _fast_check.accepts(result):
        return True
    error = best_match(_reply_validator.iter_errors(result))
    if error is not None:
        error.message += (
            ". Failed to validate Action server response from API, make sure your response from the "
            f"Action endpoint is valid. For more information about the format visit {DOCS_BASE_URL}/custom-actions")
        raise error
    return True


def _frozen(value: Any) -> Any:
    if isinstance(value, dict):
        return tuple(sorted((key, _frozen(item)) for key, item in value.items()))
    if isinstance(value, (list, tuple, frozenset, set)):
        items = tuple(_frozen(item) for item in value)
        return tuple(sorted(items, key=repr)) if isinstance(value, (set, frozenset)) else items
    return value


def _remembering(predict):
    """TEDPolicy.predict_action_probabilities, answering states it has seen from what it said
    then. Kept on each policy object: a reloaded model starts afresh."""

    def predict_action_probabilities(policy, tracker, domain, rule_only_data=None, precomputations=None, **kwargs):
        if policy.only_e2e or "text" in (policy.fake_features or {}) or kwargs:  # rasa.shared.nlu.constants.TEXT
            return predict(policy, tracker, domain, rule_only_data, precomputations, **kwargs)
        kept = policy.__dict__.setdefault("_predictions_by_states", OrderedDict())
        key = _frozen(policy._prediction_states(tracker, domain, rule_only_data=rule_only_data))
        known = kept.get(key)
        if known is not None:
            kept.move_to_end(key)
            probabilities, is_e2e, diagnostic = known
            return policy._prediction(list(probabilities), is_end_to_end_prediction=is_e2e,
                                      diagnostic_data=diagnostic)
        prediction = predict(policy, tracker, domain, rule_only_data, precomputations, **kwargs)
        if not prediction.optional_events:  # entities TED found in the text belong to that message only
            kept[key] = (tuple(prediction.probabilities), prediction.is_end_to_end_prediction,
                         prediction.diagnostic_data)
            if len(kept) > TED_CACHE_SIZE:
                kept.popitem(last=False)
        return prediction

    predict_action_probabilities.remembers = True
    return predict_action_probabilities


def install_reply_check() -> None:
    """`RemoteAction._validate_action_result` with the validator built once."""
    global _reply_validator, _fast_check
    from rasa.core.actions.action import RemoteAction  # Rasa's actions and their imports: only where Rasa runs
    if _reply_validator is not None:
        return
    schema = RemoteAction.action_response_format_spec()
    validator_class = validator_for(schema)
    validator_class.check_schema(schema)
    _reply_validator = validator_class(schema)
    _fast_check = _EventByEvent.for_schema(schema, validator_class)
    RemoteAction._validate_action_result = _validate_action_result


def install_kept_sessions() -> None:
    EndpointConfig.session = _kept_session


def install_ted_memory() -> None:
    from rasa.core.policies.ted_policy import TEDPolicy  # seconds of TensorFlow imports: only where Rasa runs
    if not getattr(TEDPolicy.predict_action_probabilities, "remembers", False):
        TEDPolicy.predict_action_probabilities = _remembering(TEDPolicy.predict_action_probabilities)


def install_freeze_after_load() -> None:
    from rasa.core.agent import Agent  # Rasa's processor and its imports: only where Rasa runs
    if not getattr(Agent.load_model, "freezes", False):
        Agent.load_model = _freezing_after(Agent.load_model)


def _freezing_after(load_model):
    @functools.wraps(load_model)
    def load_and_freeze(agent, *args, **kwargs):
        load_model(agent, *args, **kwargs)
        freeze_what_is_loaded()

    load_and_freeze.freezes = True
    return load_and_freeze
