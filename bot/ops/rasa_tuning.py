"""What a Rasa turn costs, cut where `make bench-turns` measured it, without changing what
Rasa does. Installed by `channels`, which `rasa run` imports (credentials.yml) after its own modules.

- Rasa checks each action server reply with `jsonschema.validate`, which first checks the
  whole event schema against the JSON Schema meta-schema and builds a new validator: half
  the Rasa process's CPU under load (20 ms a reply). The same schema is checked once here and
  its validator kept; a reply is validated against it as before and fails with the same error.
- Rasa's `EndpointConfig.request` (every action call) opens a new aiohttp session, so a new
  TCP connection to the action server, and closes it. Each endpoint keeps one session per
  event loop instead, with the same headers, authentication and timeout; its idle
  connections are dropped before the action server's (Sanic closes them after 5 s), so a
  reused connection is never one the server is closing.
"""
from __future__ import annotations

import asyncio
import sys
import weakref
from typing import Any

import aiohttp
from jsonschema.exceptions import best_match
from jsonschema.validators import validator_for
from rasa.shared.constants import DOCS_BASE_URL
from rasa.utils.endpoints import DEFAULT_REQUEST_TIMEOUT, EndpointConfig

_reply_validator = None
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


def _validate_action_result(self, result: dict[str, Any]) -> bool:
    """`RemoteAction._validate_action_result` with the validator built once (jsonschema.validate's
    own steps: the best-matching error is raised, with Rasa's explanation appended)."""
    error = best_match(_reply_validator.iter_errors(result))
    if error is not None:
        error.message += (
            ". Failed to validate Action server response from API, make sure your response from the "
            f"Action endpoint is valid. For more information about the format visit {DOCS_BASE_URL}/custom-actions")
        raise error
    return True


def install() -> None:
    """Tune the Rasa already imported in this process. A process that has not imported Rasa's
    actions (a unit test of a channel, the widget) runs none, and is left alone rather than
    paying seconds of imports."""
    global _reply_validator
    action_module = sys.modules.get("rasa.core.actions.action")
    if _reply_validator is not None or action_module is None:
        return
    remote_action = action_module.RemoteAction
    schema = remote_action.action_response_format_spec()
    validator_class = validator_for(schema)
    validator_class.check_schema(schema)
    _reply_validator = validator_class(schema)
    remote_action._validate_action_result = _validate_action_result
    EndpointConfig.session = _kept_session
