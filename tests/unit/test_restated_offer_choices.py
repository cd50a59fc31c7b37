"""An answer given while an offer waits leaves the restated offer's buttons the turn's only
choices (actions/customer_action.py)."""
from __future__ import annotations

import pytest
from rasa_sdk.executor import CollectingDispatcher

import actions.customer_action
from actions.customer_action import CustomerAction
from actions.quick_replies import CANCEL, CHANGE_PLAN, PERSON
from tests.unit.test_plan_actions import asked


class AnswersWithChoices(CustomerAction):
    """An answer with next steps of its own, given while an offer waits."""

    def name(self) -> str:
        return "action_answers_with_choices"

    def respond(self, dispatcher, tracker, domain):
        dispatcher.utter_message(text="You're on Pro monthly.", buttons=[CHANGE_PLAN, CANCEL, *self.person])
        return []


@pytest.mark.parametrize("person", [[PERSON], []])
def test_a_restated_offer_s_buttons_are_the_turn_s_only_choices(monkeypatch, person):
    """Two sets ("Cancel my subscription" beside "Yes, refund me") left a yes or a typed "1" unclear;
    a person the answer offered stays one press away, on the offer."""
    yes_no = [{"title": "Yes, refund me", "payload": '/affirm{"offer":"o1"}'},
              {"title": "No", "payload": '/deny{"offer":"o1"}'}]

    def restate(dispatcher, tracker, waiting):
        dispatcher.utter_message(response="utter_back_to_offer")
        dispatcher.utter_message(text="Shall I refund $46.55?", buttons=list(yes_no))
        return []

    monkeypatch.setattr(actions.customer_action, "offer_of_previous_turn", lambda events: "o1")
    monkeypatch.setattr(actions.customer_action, "restate", restate)
    action, dispatcher = AnswersWithChoices(), CollectingDispatcher()
    action.person = person
    action.run(dispatcher, asked("what plan am i on?"), {})
    assert [m.get("buttons") for m in dispatcher.messages] == [[], [], yes_no + person]


def test_without_a_waiting_offer_an_answer_keeps_its_choices(monkeypatch):
    monkeypatch.setattr(actions.customer_action, "offer_of_previous_turn", lambda events: None)
    action, dispatcher = AnswersWithChoices(), CollectingDispatcher()
    action.person = [PERSON]
    action.run(dispatcher, asked("what plan am i on?"), {})
    assert dispatcher.messages[0]["buttons"] == [CHANGE_PLAN, CANCEL, PERSON]
