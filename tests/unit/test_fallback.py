"""The fallback action with the real knowledge base, encoder and language detector: a question
the terms answer is answered from them, a message in another language gets the way to a person
in it and in English, and what neither covers still gets what the assistant can help with."""
from __future__ import annotations

import asyncio

import pytest
from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions import unmatched
from actions.fallback import ActionRephraseOrOfferHuman
from bot.core.knowledge import KnowledgeError
from bot.core.languages import IN_ENGLISH, IN_THEIR_LANGUAGE

HUMAN_BUTTON = [{"title": "Talk to a person", "payload": "/request_human"}]


def fallback_reply(*texts: str, language: str | None = None, channel: str = "rest",
                   texts_answer: str | None = None) -> tuple[list[dict], list[dict]]:
    """The action's messages and events for the last of `texts`, each of them a message no intent fitted
    (in `language`, as the NLU pipeline's language gate found it; marked as one the company's texts
    answer, as its knowledge gate marks it), on `channel`."""
    events = []
    for text in texts:
        events += [{"event": "user", "text": text, "parse_data": {"intent": {"name": "nlu_fallback"}},
                    "input_channel": channel},
                   {"event": "action", "name": "action_listen"}]
    latest = {"intent": {"name": "nlu_fallback"}, "text": texts[-1], **({"language": language} if language else {}),
              **({"texts_answer": texts_answer} if texts_answer else {})}
    tracker = Tracker("s", {}, latest, events, False, None, {}, "")
    dispatcher = CollectingDispatcher()
    returned = asyncio.run(ActionRephraseOrOfferHuman().run(dispatcher, tracker, {}))
    return dispatcher.messages, returned


@pytest.mark.parametrize("question, where, said", [
    ("who owns the data I put in?", "From our terms, section 6 (User Data and Content): ",
     "You retain all ownership rights to the data"),
    ("can I share my login with my colleague?", "From our terms, section 7 (Acceptable Use Policy): ",
     "share your account credentials with others"),
])
def test_a_question_the_terms_answer_is_answered_from_them_with_where_it_is_written(question, where, said):
    messages, events = fallback_reply(question)
    assert len(messages) == 1 and messages[0]["text"].startswith(where) and said in messages[0]["text"]
    assert messages[0]["buttons"] == HUMAN_BUTTON
    # An answer from the texts offers nothing (no consent to give); it is the topic of what is asked next.
    assert events == [{"event": "slot", "timestamp": None, "name": "topic",
                       "value": {"kind": "knowledge", "asked": question}}]


def test_the_answer_is_a_sentence_or_two_not_the_section():
    messages, _ = fallback_reply("who owns the data I put in?")
    assert messages[0]["text"].count(". ") <= 2 and len(messages[0]["text"]) < 400


@pytest.mark.parametrize("message, language", [
    ("quiero cancelar mi suscripción", "es"), ("ich möchte mein Abo kündigen", "de"),
    ("je voudrais un remboursement", "fr"), ("ik wil mijn abonnement opzeggen", "nl"),
])
def test_a_message_in_another_language_gets_a_person_in_it_and_in_english(message, language):
    messages, _ = fallback_reply(message, language=language)
    assert messages == [{**messages[0], "text": f"{IN_THEIR_LANGUAGE[language]}\n\n{IN_ENGLISH}",
                         "buttons": HUMAN_BUTTON}]


@pytest.mark.parametrize("texts, response", [
    (["what's the weather in paris"], "utter_please_rephrase"),
    (["what's the weather in paris", "who won the football last night"], "utter_offer_human"),
])
def test_what_neither_covers_gets_the_usual_answer_and_a_second_miss_a_person(texts, response):
    messages, events = fallback_reply(*texts)
    assert [m["response"] for m in messages] == [response] and messages[0]["buttons"] == HUMAN_BUTTON
    # both ask whether they'd like a person: a "yes" next is that (actions/requests.py, look_again)
    assert events == [{"event": "slot", "timestamp": None, "name": "look_again", "value": "request_human"}]


@pytest.mark.parametrize("question", ["can I transfer my account to a colleague?",
                                      "is there a limit on emails per day"])
def test_a_question_the_texts_are_known_not_to_answer_is_a_persons_not_a_rephrasing(question):
    # make run, 2026-12-07: "can I transfer my account to a colleague?" was "Sorry, I didn't understand that"
    messages, events = fallback_reply(question)
    assert messages[0]["text"].startswith("That isn't something our terms or our refund FAQ cover") and \
        messages[0]["buttons"] == HUMAN_BUTTON
    assert {"event": "slot", "timestamp": None, "name": "look_again", "value": "request_human"} in events
    assert fallback_reply(question, channel="email")[0] == []  # by email the channel hands it to a person


def test_a_broken_knowledge_base_leaves_the_usual_answer(monkeypatch):
    def broken():
        raise KnowledgeError("knowledge base unreadable: no such file")
    monkeypatch.setattr(unmatched, "shared_index", broken)
    messages, _ = fallback_reply("who owns the data I put in?")
    assert [m["response"] for m in messages] == ["utter_please_rephrase"]


def out_of_scope_reply(text: str, language: str | None = None, channel: str = "rest") -> list[dict]:
    from actions.policy_answers import ActionExplainPolicy
    events = [{"event": "user", "text": text, "parse_data": {"intent": {"name": "out_of_scope"}},
               "input_channel": channel}]
    latest = {"intent": {"name": "out_of_scope"}, "text": text, **({"language": language} if language else {})}
    tracker = Tracker("s", {}, latest, events, False, None, {}, "")
    dispatcher = CollectingDispatcher()
    asyncio.run(ActionExplainPolicy().run(dispatcher, tracker, {}))
    return dispatcher.messages


def test_a_message_in_another_language_read_as_out_of_scope_also_gets_a_person_in_it():
    # The intent model put "me cobraron dos veces" (charged twice, in Spanish) out of scope.
    messages = out_of_scope_reply("me cobraron dos veces", language="es")
    assert [m["text"] for m in messages] == [f"{IN_THEIR_LANGUAGE['es']}\n\n{IN_ENGLISH}"]
    assert messages[0]["buttons"] == HUMAN_BUTTON


def test_what_is_out_of_scope_in_english_and_not_in_the_texts_is_still_out_of_scope():
    messages = out_of_scope_reply("what's the weather in paris")
    assert [m["response"] for m in messages] == ["utter_out_of_scope"]


def test_a_follow_up_to_an_answer_from_the_texts_is_asked_of_them_with_the_question_before():
    from actions.follow_ups import ActionAnswerFollowUp
    topic = {"kind": "knowledge", "asked": "can I share my login with my colleague?"}
    text = "what happens if i do it anyway"
    tracker = Tracker("s", {"topic": topic}, {"intent": {"name": "ask_what_next"}, "text": text},
                      [{"event": "user", "text": text, "parse_data": {"intent": {"name": "ask_what_next"}}}],
                      False, None, {}, "")
    dispatcher = CollectingDispatcher()
    asyncio.run(ActionAnswerFollowUp().run(dispatcher, tracker, {}))
    said = dispatcher.messages[0]["text"]
    assert said.startswith("From our terms, section 7") and "suspension or termination" in said  # what it asks


def test_by_email_what_neither_covers_gets_nothing_so_the_channel_hands_it_to_a_person():
    """channels/email.py hands a question the dialogue left unanswered to a person, with its case
    number; "say it another way" is no answer to a mail."""
    messages, events = fallback_reply("what's the weather in paris", channel="email")
    assert messages == [] and events == []
    # On no topic by email, the texts answer what the knowledge gate found them clear on (it marks the
    # message); below its threshold the nearest passage is a guess, and a person answers it
    guessed, _ = fallback_reply("Please see below, can you answer this?", channel="email")
    assert guessed == []
    answered, _ = fallback_reply("Can I cancel now but keep access until the end of the month?", channel="email",
                                 texts_answer="terms-9")
    assert answered and answered[0]["text"].startswith("From our terms")
    # read as out of scope, the texts are asked as in a chat (a clean-clone run: "who owns the data
    # we put into the CRM?" by mail got "not something I can help with")
    owned = out_of_scope_reply("Quick one: who owns the data we put into the CRM?", channel="email")
    assert "You retain all ownership rights" in owned[0]["text"]
    # In another language by email: nothing either, so a person answers it (a chat is told how to reach one)
    in_spanish, _ = fallback_reply("¿Cuánto dura la prueba gratuita?", language="es", channel="email")
    assert in_spanish == []


# Without the knowledge base's say: what came before the miss decides the answer.
def _user(intent):
    return {"event": "user", "text": "?", "parse_data": {"intent": {"name": intent}}}


@pytest.mark.parametrize("intents, response", [
    (["greet", "nlu_fallback"], "utter_please_rephrase"),
    (["greet", "nlu_fallback", "nlu_fallback"], "utter_offer_human"),
    (["nlu_fallback", "greet", "nlu_fallback"], "utter_please_rephrase"),  # a miss after understanding resets
])
def test_second_miss_in_a_row_offers_a_person(intents, response, monkeypatch):
    import actions.fallback
    from actions.fallback import ActionRephraseOrOfferHuman
    monkeypatch.setattr(actions.policy_answers, "case_state", lambda **_: None)
    events = []
    for intent in intents:
        events += [_user(intent), {"event": "action", "name": "action_listen"}]
    t = Tracker("s", {}, {"intent": {"name": intents[-1]}, "text": "?"}, events, False, None, {}, "")
    dispatcher = CollectingDispatcher()
    asyncio.run(ActionRephraseOrOfferHuman().run(dispatcher, t, {}))
    assert [m["response"] for m in dispatcher.messages] == [response]
    assert dispatcher.messages[0]["buttons"] == [{"title": "Talk to a person", "payload": "/request_human"}]


@pytest.mark.parametrize("misses", [1, 2])
def test_a_miss_while_a_case_is_open_says_its_people_read_it(misses, monkeypatch):
    """'can i add a note that i'm travelling' after a case was opened: no 'say it another way'."""
    import actions.fallback
    asked = {}

    def open_case(**query):
        asked.update(query)
        return {"case_id": 7, "status": "open"}

    monkeypatch.setattr(actions.policy_answers, "case_state", open_case)
    events = [_user("request_refund"), {"event": "action", "name": "action_listen"}]
    events += [_user("nlu_fallback"), {"event": "action", "name": "action_listen"}] * misses
    t = Tracker("conversation-1", {}, {"intent": {"name": "nlu_fallback"}, "text": "?"}, events, False, None, {}, "")
    dispatcher = CollectingDispatcher()
    asyncio.run(actions.fallback.ActionRephraseOrOfferHuman().run(dispatcher, t, {}))
    assert [(m["response"], m.get("case_id")) for m in dispatcher.messages] == [("utter_not_understood_case_open", 7)]
    assert asked["conversation_id"] == "conversation-1" and asked["case_id"] is None


def test_money_asked_for_in_words_not_understood_is_asked_what_happened(monkeypatch):
    """Not the texts' nearest passage, the FAQ's 'does not offer refunds', which the rules' exceptions
    contradict: 'can i get some money back for the days it was down'."""
    import actions.fallback
    monkeypatch.setattr(actions.policy_answers, "case_state", lambda **_: None)
    text = "can i get some money back for the days it was down"
    said = {"event": "user", "text": text, "parse_data": {"intent": {"name": "nlu_fallback"}}}
    t = Tracker("s", {"topic": {"kind": "terms", "topic": "data_ownership"}}, {"intent": {"name": "nlu_fallback"},
                "text": text}, [said], False, None, {}, "")
    dispatcher = CollectingDispatcher()
    events = asyncio.run(actions.fallback.ActionRephraseOrOfferHuman().run(dispatcher, t, {}))
    assert [m["response"] for m in dispatcher.messages] == ["utter_money_back_what_happened"]
    # make run, 2026-12-07: "why?" next was answered about the data question before it
    assert {"event": "slot", "name": "topic", "value": None, "timestamp": None} in events

    by_mail = Tracker("s", {}, {"intent": {"name": "nlu_fallback"}, "text": text},
                      [{**said, "input_channel": "email"}], False, None, {}, "")
    dispatcher = CollectingDispatcher()
    asyncio.run(actions.fallback.ActionRephraseOrOfferHuman().run(dispatcher, by_mail, {}))
    assert dispatcher.messages == []  # by email a person answers it


@pytest.mark.parametrize("question", ["how many users can we have", "can we add more than 3 users on our plan?"])
def test_what_a_plan_allows_is_answered_from_the_catalogue(question):
    # make run, 2026-12-07: by email this went to a person; the plans' includes answer it
    messages, events = fallback_reply(question)
    assert "up to 3 users" in messages[0]["text"] and "up to 20 users" in messages[0]["text"]
    assert any(e.get("name") == "topic" and e["value"]["kind"] == "plans" for e in events)


def test_a_grumbling_acceptance_is_acknowledged_with_a_person_offered_not_quoted_the_terms():
    messages, events = fallback_reply("that seems harsh but ok")
    assert messages[0]["text"].startswith("I understand it's not the answer you hoped for") and \
        messages[0]["buttons"] == HUMAN_BUTTON
    assert events == [{"event": "slot", "timestamp": None, "name": "look_again", "value": "request_human"}]



@pytest.mark.parametrize("text", ["is it just me?", "is anyone else having this"])
def test_whether_a_problem_is_known_is_answered_with_where_known_problems_stand(text, monkeypatch):
    # gia on make run, 2026-12-07: "is it just me?" after her ticket was "I'm not sure I follow"
    import actions.fallback
    asked = []
    monkeypatch.setattr(actions.fallback, "identify_then",   # a visitor: the code first, then the status
                        lambda dispatcher, tracker, proof, request: asked.append(request) or [])
    messages, _ = fallback_reply(text)
    assert asked == ["ask_incident_status"] and messages == []


def test_someone_else_to_help_is_not_a_question_about_known_problems():
    from bot.core.facts import asks_if_known
    assert not asks_if_known("can someone else help me?") and asks_if_known("are other customers seeing this?")


def test_where_a_refund_stands_is_told_to_a_signed_in_customer_from_the_refunds_made(monkeypatch):
    # jon on make run, 2026-12-07: "where is my refund?" was asked what had happened
    import actions.fallback
    from actions.identity import Proof
    told = []
    monkeypatch.setattr(actions.fallback, "prove", lambda tracker: Proof(email="jon@example.com"))
    monkeypatch.setattr(actions.fallback, "answer_refund_status",
                        lambda dispatcher, tracker, email: told.append(email) or [])
    fallback_reply("where is my refund?")
    assert told == ["jon@example.com"]



@pytest.mark.parametrize("confidence, case_told", [(0.5, True), (0.95, False)])
def test_barely_off_topic_while_a_case_is_open_says_its_people_read_it(monkeypatch, confidence, case_told):
    # 2026-12-07 (seventh session): with more off-topic examples the model read the same note as out_of_scope at 0.50
    import actions.policy_answers
    monkeypatch.setattr(actions.policy_answers, "case_state", lambda **_: {"case_id": 7, "status": "open"})
    text = "can i add a note that I am travelling"
    events = [{"event": "user", "text": text, "parse_data": {"intent": {"name": "out_of_scope"}},
               "input_channel": "rest"}]
    t = Tracker("conversation-1", {}, {"intent": {"name": "out_of_scope", "confidence": confidence}, "text": text},
                events, False, None, {}, "")
    dispatcher = CollectingDispatcher()
    asyncio.run(actions.policy_answers.ActionExplainPolicy().run(dispatcher, t, {}))
    responses = [m.get("response") for m in dispatcher.messages]
    assert (responses == ["utter_not_understood_case_open"]) is case_told


@pytest.mark.parametrize("text, minimum", [
    ("is there a minimum commitment", True),     # make run, 2026-12-07: the billing sentence again, word for word
    ("would I be tied into a 12 month contract", True),
    ("is there a minimum term or can I go month to month", True),
    ("how does billing work here, is it in advance?", False),
    ("how often am I billed", False),
])
def test_a_minimum_term_asked_about_is_answered_no_first(text, minimum):
    from actions.own_facts import ActionAnswerBilling
    from bot.core.asking import asks_minimum_term
    assert asks_minimum_term(text) is minimum
    t = Tracker("c", {}, {"intent": {"name": "ask_billing_cycle", "confidence": 0.95}, "text": text},
                [], False, None, {}, "")
    dispatcher = CollectingDispatcher()
    ActionAnswerBilling().respond(dispatcher, t, {})
    said = dispatcher.messages[0]["response"]
    assert said == ("utter_no_minimum_term" if minimum else "utter_billing_cycle")
