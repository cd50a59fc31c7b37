"""bot/ops/rasa_tuning.py: Rasa's action-reply check, built once, accepts and refuses what
Rasa's own does, with the same errors."""
import jsonschema
import pytest
from rasa.core.actions.action import RemoteAction

from bot.ops import rasa_tuning

REPLIES = [
    {"events": [{"event": "slot", "name": "topic", "value": {"kind": "decision"}}], "responses": [{"text": "hi"}]},
    {"events": [], "responses": []},
    {},
    {"events": [{"event": "no_such_event"}]},
    {"events": "not a list"},
    {"responses": [1]},
    {"events": [{"event": "slot", "value": 1}]},
]


def rasa_own_error(reply):
    try:
        jsonschema.validate(reply, RemoteAction.action_response_format_spec())
    except jsonschema.ValidationError as error:
        return error.message
    return None


@pytest.mark.parametrize("reply", REPLIES)
def test_replies_are_judged_as_rasa_judges_them(reply):
    rasa_tuning.install()
    assert RemoteAction._validate_action_result is rasa_tuning._validate_action_result
    expected = rasa_own_error(reply)
    if expected is None:
        assert RemoteAction("action_x", None)._validate_action_result(reply) is True
    else:
        with pytest.raises(jsonschema.ValidationError) as refused:
            RemoteAction("action_x", None)._validate_action_result(reply)
        assert refused.value.message.startswith(expected + ". Failed to validate Action server response")
