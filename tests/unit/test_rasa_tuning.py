"""bot/ops/rasa_tuning.py: Rasa's action-reply check, built once, accepts and refuses what
Rasa's own does, with the same errors."""
import jsonschema
import pytest
from rasa.core.actions.action import RemoteAction
from rasa.shared.core.events import ActionExecuted, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker

from bot.ops import rasa_tuning
from bot.ops.rasa_patches import install_in_rasa
from tests.support.rasa_model import loaded_agent, trained_ted

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
    install_in_rasa()
    assert RemoteAction._validate_action_result is rasa_tuning._validate_action_result
    expected = rasa_own_error(reply)
    if expected is None:
        assert RemoteAction("action_x", None)._validate_action_result(reply) is True
    else:
        with pytest.raises(jsonschema.ValidationError) as refused:
            RemoteAction("action_x", None)._validate_action_result(reply)
        assert refused.value.message.startswith(expected + ". Failed to validate Action server response")


def test_an_endpoint_keeps_one_connection_to_its_server_across_requests():
    import asyncio

    from aiohttp import web
    from rasa.utils.endpoints import EndpointConfig

    install_in_rasa()
    peers = []

    async def webhook(request):
        peers.append(request.transport.get_extra_info("peername"))
        return web.json_response({"events": [], "seen": request.headers.get("X-Action-Server-Secret")})

    async def talk():
        app = web.Application()
        app.router.add_post("/webhook", webhook)
        runner = web.AppRunner(app)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        port = site._server.sockets[0].getsockname()[1]
        endpoint = EndpointConfig(f"http://127.0.0.1:{port}/webhook", headers={"X-Action-Server-Secret": "s"})
        try:
            replies = [await endpoint.request(json={"next_action": "x"}, method="post") for _ in range(3)]
        finally:
            async with endpoint.session() as session:
                await session.close()
            await runner.cleanup()
        return replies

    replies = asyncio.run(talk())
    assert [reply["seen"] for reply in replies] == ["s"] * 3
    assert len(set(peers)) == 1  # one client port: the connection was reused


MORE_REPLIES = REPLIES + [
    {"events": [{"event": "slot", "name": "offer", "value": "tok", "timestamp": None}]},
    {"events": [{"event": "action", "name": "action_listen", "policy": None, "confidence": None}]},
    {"events": [{"event": "followup", "name": "identify_form"}, {"event": "active_loop", "name": None}]},
    {"events": [{"event": "pause"}, {"event": "session_started"}]},
    {"events": [{"event": "slot", "name": 7}]},
    {"events": [{"event": "bot", "text": "hi", "data": {"buttons": []}}]},
    {"events": [{"event": "user", "text": "hi", "parse_data": {"intent": {"name": "greet", "confidence": "x"}}}]},
    {"events": [{"timestamp": 1.0}]},
    {"events": [{"event": "slot", "name": "topic", "value": 1, "metadata": "not an object"}]},
    {"events": [None]},
    ["not", "an", "object"],
]


@pytest.mark.parametrize("reply", MORE_REPLIES)
def test_the_quick_check_accepts_exactly_what_rasa_accepts(reply):
    install_in_rasa()
    assert rasa_tuning._fast_check is not None  # Rasa 3.6's schema names each event type by a const
    assert rasa_tuning._fast_check.accepts(reply) is (rasa_own_error(reply) is None)


# --- TED's memory: on stand-ins for every case, then on the trained TEDPolicy itself ------------

class FakeTED:
    """What the remembering wrapper uses of a TEDPolicy: its states, its flags, `_prediction`."""
    only_e2e = False

    def __init__(self, fake_features=None):
        self.fake_features = fake_features or {"intent": [], "action_name": []}
        self.ran = 0

    def _prediction_states(self, tracker, domain, rule_only_data=None):
        return [{"user": {"intent": tracker["intent"], "entities": tuple(tracker.get("entities", ()))},
                 "slots": {"needs_identity": (tracker.get("needs_identity", 0.0),)}}]

    def _prediction(self, probabilities, **kwargs):
        from rasa.core.policies.policy import PolicyPrediction
        return PolicyPrediction(probabilities, "TEDPolicy", 1, **kwargs)


def run_graph(policy, tracker, domain, rule_only_data=None, precomputations=None):
    from rasa.core.policies.policy import PolicyPrediction
    policy.ran += 1
    optional = ["entity"] if tracker.get("ted_found_entities") else None
    return PolicyPrediction([0.1, 0.9 if tracker["intent"] == "greet" else 0.2], "TEDPolicy", 1,
                            optional_events=optional)


def test_ted_answers_a_state_it_has_seen_without_running_its_graph_and_identically():
    predict = rasa_tuning._remembering(run_graph)
    policy = FakeTED()
    first = predict(policy, {"intent": "greet"}, domain=None)
    again = predict(policy, {"intent": "greet"}, domain=None)
    assert policy.ran == 1
    assert again.probabilities == first.probabilities and again is not first
    again.probabilities[0] = 99  # the ensemble may change what it gets: the kept copy does not change
    assert predict(policy, {"intent": "greet"}, domain=None).probabilities == [0.1, 0.9]


def test_any_difference_in_the_states_runs_the_graph():
    predict = rasa_tuning._remembering(run_graph)
    policy = FakeTED()
    for tracker in ({"intent": "greet"}, {"intent": "deny"}, {"intent": "greet", "entities": ["email"]},
                    {"intent": "greet", "needs_identity": 1.0}):
        predict(policy, tracker, domain=None)
    assert policy.ran == 4


def test_end_to_end_ted_and_entities_found_in_text_are_never_remembered():
    predict = rasa_tuning._remembering(run_graph)
    text_policy = FakeTED(fake_features={"text": []})
    predict(text_policy, {"intent": "greet"}, domain=None)
    predict(text_policy, {"intent": "greet"}, domain=None)
    assert text_policy.ran == 2
    policy = FakeTED()
    predict(policy, {"intent": "greet", "ted_found_entities": True}, domain=None)
    predict(policy, {"intent": "greet", "ted_found_entities": True}, domain=None)
    assert policy.ran == 2


def test_each_policy_remembers_its_own_and_only_so_much(monkeypatch):
    monkeypatch.setattr(rasa_tuning, "TED_CACHE_SIZE", 2)
    predict = rasa_tuning._remembering(run_graph)
    old, new = FakeTED(), FakeTED()
    predict(old, {"intent": "greet"}, domain=None)
    predict(new, {"intent": "greet"}, domain=None)
    assert new.ran == 1  # a reloaded model's policy does not answer from the old one's predictions
    for intent in ("deny", "affirm", "greet"):
        predict(old, {"intent": intent}, domain=None)
    assert old.ran == 4 and len(old._predictions_by_states) == 2  # greet was dropped, then asked again


# --- the trained TEDPolicy Rasa runs ------------------------------------------------------------

@pytest.fixture
def ted(monkeypatch):
    """The trained model's TEDPolicy, its memory emptied, counting the runs of its graph."""
    agent = loaded_agent()
    policy = trained_ted(agent)
    assert getattr(type(policy).predict_action_probabilities, "remembers", False)
    policy.__dict__.pop("_predictions_by_states", None)
    runs, run_inference = [], policy.model.run_inference
    monkeypatch.setattr(policy.model, "run_inference", lambda *a, **kw: runs.append(1) or run_inference(*a, **kw))
    return policy, agent.domain, runs


def conversation(domain, intent: str, *, entities=()) -> DialogueStateTracker:
    found = [{"entity": entity, "value": "x"} for entity in entities]
    return DialogueStateTracker.from_events("ted", [
        ActionExecuted("action_listen"), UserUttered("words", {"name": intent, "confidence": 1.0}, entities=found)],
        domain.slots)


def test_the_trained_ted_answers_a_state_it_has_seen_from_memory_exactly_as_its_graph_did(ted):
    policy, domain, runs = ted
    first = policy.predict_action_probabilities(conversation(domain, "late_cancellation"), domain)
    again = policy.predict_action_probabilities(conversation(domain, "late_cancellation"), domain)
    assert len(runs) == 1
    assert (again.probabilities, again.policy_name, again.policy_priority, again.is_end_to_end_prediction) == (
        first.probabilities, first.policy_name, first.policy_priority, first.is_end_to_end_prediction)
    policy.__dict__.pop("_predictions_by_states")
    assert policy.predict_action_probabilities(conversation(domain, "late_cancellation"), domain).probabilities == (
        again.probabilities) and len(runs) == 2  # the graph itself, asked afresh, says the same


def test_the_trained_ted_runs_its_graph_for_any_state_it_has_not_seen(ted):
    policy, domain, runs = ted
    refund = policy.predict_action_probabilities(conversation(domain, "late_cancellation"), domain)
    trial = policy.predict_action_probabilities(conversation(domain, "ask_free_trial"), domain)
    policy.predict_action_probabilities(conversation(domain, "ask_free_trial", entities=["email"]), domain)
    assert len(runs) == 3 and trial.probabilities != refund.probabilities
