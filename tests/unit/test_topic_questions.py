"""Which messages are questions about the conversation's topic, and the answers only the topic,
the case or the account can give: where a case stands, why a person decides, whether the way
back stays open, the fee a refund kept, a known incident."""
from __future__ import annotations

from datetime import datetime, timezone

import pytest

from bot.core.formatting import Reader
from bot.core.policy import Policy
from bot.core.trial_follow_ups import answer as trial_answer
from bot.core.case_words import case_status
from bot.core.topic_questions import (ACCESS_WHILE_DECIDED, about_the_subscription, access_meanwhile, case_of,
                                      charged_again, charged_on, come_back, decide_later, fee_kept,
                                      how_told, if_declined, known_issue, topic_question, who_decides)

NOW = datetime(2026, 12, 2, 12, 0, tzinfo=timezone.utc)
DUE = "2026-12-04T12:00:00+00:00"
R2 = {"kind": "decision", "rule": "R2", "case_id": 12, "case_due": DUE}


@pytest.mark.parametrize("intent, text, has_topic, question", [
    ("nlu_fallback", "has anyone looked at my case yet?", True, "status"),
    ("chitchat", "can't you just do it yourself?", True, "who_decides"),
    ("out_of_scope", "and what would I get for that?", True, "how_much"),
    ("nlu_fallback", "and if I come back later can I sign up again?", True, "come_back"),
    ("ask_when", "has anyone picked it up yet", True, "status"),  # the words are more precise than the model
    ("ask_why", "but WHY", True, "why"),
    ("ask_how_much", "and that's what exactly", False, "how_much"),  # the model's follow-up, with or without topic
    ("nlu_fallback", "has anyone looked at my case yet?", False, None),  # no topic: an ordinary message
    # No topic, not understood, but when or how much of the customer's own account: their trial or plan
    ("nlu_fallback", "hey, how many days are left before I get billed?", False, "when"),
    ("nlu_fallback", "how much will I pay after my trial", False, "how_much"),
    ("out_of_scope", "when will my order ship?", False, None),  # understood as something else
    ("nlu_fallback", "when will my order ship?", False, None),  # names nothing of the account
    ("nlu_fallback", "how much do you earn", False, None),  # about no one
    ("request_refund", "how much would I get back?", True, None),  # a new request is a request
    ("nlu_fallback", "thanks", True, None),  # no question words
    ("nlu_fallback", "I have a long story about how the import went wrong and when it started and what I did "
                     "afterwards to fix it", True, None),  # long, no question: says its own subject
])
def test_a_question_about_the_topic_is_told_from_other_messages(intent, text, has_topic, question):
    assert topic_question(intent, text, has_topic=has_topic) == question


def test_what_a_no_from_the_team_would_mean_follows_what_they_decide():
    assert "decides against a refund" in if_declined(R2) and "reply to them" in if_declined(R2)
    outage = {"kind": "incident", "credit_case": {"kind": "decision", "rule": "R5", "case_id": 3, "case_due": DUE}}
    assert "decides against a credit" in if_declined(outage)
    asked = if_declined({"kind": "case", "case_id": 7})
    assert asked.startswith("If our team can't do what you asked")
    assert if_declined({"kind": "decision", "rule": "R3"}) is None  # nobody is deciding anything


def test_whether_more_is_charged_is_about_the_subscription_not_the_refused_refund():
    # hal, refused under R8 by mail, asked to confirm nothing else would be charged: "Nothing is refunded."
    refused = {"kind": "decision", "rule": "R8"}
    ended = {"kind": "cancel", "access_until": None, "done": True, "refused": refused}
    assert charged_again(ended) is None
    assert about_the_subscription(ended) == {"kind": "cancel", "access_until": None, "done": True}
    assert about_the_subscription(refused) is refused
    assert charged_again({"kind": "decision", "rule": "R1"}).startswith("Not if you say yes")
    assert charged_again({"kind": "decision", "rule": "R1", "done": True}).startswith("No: your subscription has ended")
    assert charged_again({"kind": "plan"}) is None


def test_the_case_is_the_topic_s_or_the_refused_one_s():
    assert case_of(R2) == 12 and case_of({"kind": "cancel", "refused": {"case_id": 3}}) == 3
    assert case_of({"kind": "cancel"}) is None and case_of(None) is None


STATE = {"case_id": 12, "status": "open", "picked_up": False, "due": DUE, "agent": None, "currency": "usd",
         "decided_amount": None, "note": ""}


def test_an_open_case_says_it_waits_and_by_when():
    said = case_status(STATE, Reader(), NOW)
    assert "case #12" in said and "no one has decided it yet" in said and "Friday, December 4" in said


def test_a_case_someone_picked_up_names_them():
    said = case_status({**STATE, "status": "claimed", "picked_up": True, "agent": "Maria"}, Reader(), NOW)
    assert said.startswith("Maria has picked up your case #12")


def test_a_decided_case_says_the_decision_in_the_customer_s_money():
    said = case_status({**STATE, "status": "approved", "decided_amount": 3084, "note": "Approved in full"},
                       Reader("de-DE", "Europe/Berlin"), NOW)
    assert "approved (30,84\xa0$)" in said and "Approved in full" in said
    assert "couldn't approve" in case_status({**STATE, "status": "denied"}, Reader(), NOW)


def test_why_a_person_decides_names_the_rule_s_reason_and_the_case():
    said = who_decides(R2, Policy(), Reader(), NOW, {**STATE})
    assert "24 hours" in said and "case #12" in said and "Friday, December 4" in said
    assert "outage" in who_decides({"kind": "decision", "rule": "R5"}, Policy(), Reader(), NOW)
    assert who_decides({"kind": "decision", "rule": "R1"}, Policy(), Reader(), NOW) is None  # nothing for a person
    outage = {"kind": "incident", "feature": "group-sync", "start": "2026-11-24T12:50:00+00:00"}
    assert "a person decides it" in who_decides(outage, Policy(), Reader(), NOW)  # "why can't you decide it?"
    assert who_decides({**outage, "credit_case": {"kind": "decision", "rule": "R5"}}, Policy(), Reader(), NOW) is None


def test_the_way_back_stays_open_in_the_topic_s_terms():
    assert "change plans at any time" in come_back({"kind": "plan"})
    assert "once per account" in come_back({"kind": "decision", "rule": "R1"})
    assert "new subscription" in come_back({"kind": "cancel"})


def test_the_fee_kept_is_the_customer_s_own():
    refund = {"charge_amount": 4900, "refunded": 4655, "kept": 245, "currency": "usd",
              "charged_on": "2026-10-13T12:00:00+00:00"}
    assert fee_kept(refund, Policy(), Reader(), NOW) == (
        "Of your payment of $49.00 on October 13, $46.55 came back to you and $2.45 was kept: our 5% processing fee.")


def test_a_known_incident_answers_whose_side_it_is_on():
    said = known_issue({"kind": "decision", "rule": "R6", "ongoing": ["post-scheduler"]}, Policy(), Reader())
    assert "on our side" in said and "the post scheduler" in said and "72 hours" in said
    assert known_issue({"kind": "decision", "rule": "R6"}, Policy(), Reader()) is None


TRIAL = {"kind": "trial", "trial_end": "2026-12-07T15:00:00+00:00", "price": 4900, "currency": "usd",
         "interval": "month"}


@pytest.mark.parametrize("question, words", [("when", "ends on December 7"), ("what_next", "$49.00 a month"),
                                              ("how_much", "$49.00"), ("why", "try everything")])
def test_follow_ups_about_the_trial_use_its_facts(question, words):
    assert words in trial_answer(question, TRIAL, Reader(), NOW)
    assert trial_answer("status", TRIAL, Reader(), NOW) is None


def test_how_much_after_what_happens_next_says_it_in_other_words():
    # make run, 2026-12-07: carla's "how much will it be" got "what happens after that?"'s answer again
    assert trial_answer("how_much", TRIAL, Reader(), NOW) != trial_answer("what_next", TRIAL, Reader(), NOW)
    assert "first payment is taken on December 7" in trial_answer("how_much", TRIAL, Reader(), NOW)


@pytest.mark.parametrize("topic, meanwhile", [
    ({"kind": "case", "case_id": 4, "refused": {"kind": "decision", "rule": "R4"}}, True),   # a ticket after R4
    (R2, True),                                                                                # a refund in review
    ({"kind": "decision", "rule": "R1", "refund": 4655}, False),   # an offer's dates answer it ("when")
    ({"kind": "cancel", "case_id": 9}, False),
    ({"kind": "trial", "trial_end": DUE}, False),
])
def test_can_i_still_use_it_while_a_person_decides(topic, meanwhile):
    assert (access_meanwhile(topic) == ACCESS_WHILE_DECIDED) is meanwhile


def test_what_day_a_payment_was_taken_is_the_decided_payment_s():
    decided = {**R2, "charge_amount": 4900, "charge_date": "2026-11-27", "currency": "usd"}
    assert charged_on(decided, Reader(), NOW) == "That payment of $49.00 was taken on November 27."
    refused = {"kind": "cancel", "refused": {"kind": "decision", "rule": "R3", "charge_amount": 1900,
                                             "charge_date": "2025-12-01", "currency": "eur"}}
    assert charged_on(refused, Reader(), NOW) == "That payment of €19.00 was taken on December 1, 2025."
    assert charged_on({"kind": "decision", "rule": "R0", "charge_amount": None}, Reader(), NOW) is None  # "when"


@pytest.mark.parametrize("channel, email, says", [
    ("email", "ben@example.com", "reply to this email"),
    ("slack", None, "in this Slack conversation"),
    ("rest", "ben@example.com", "we'll email it to you at ben@example.com"),
    ("socketio", None, "here, in this conversation."),
])
def test_how_a_person_s_answer_reaches_the_customer_follows_their_channel(channel, email, says):
    assert says in how_told(R2, channel, email)
    assert how_told({"kind": "decision", "rule": "R1"}, channel, email) is None   # no case: what happens next


def test_an_offer_can_wait_and_what_waiting_costs_is_said():
    """ana, offered the R1 refund on make run: "can i think about it and come back later?" was told
    she could sign up again, not that the one-time refund closes 24 hours after her payment."""
    r1 = {"kind": "decision", "rule": "R1", "charged_at": "2026-12-02T09:00:00+00:00"}
    said = decide_later(r1, window_hours=24, reader=Reader(), now=NOW)
    assert said.startswith("Of course: nothing changes until you say yes.") and "December 3" in said
    assert "no longer applies" in said
    cancel = decide_later({"kind": "cancel", "access_until": "2026-12-12T12:00:00+00:00"}, window_hours=24,
                          reader=Reader(), now=NOW)
    assert "before December 12" in cancel
    plan = decide_later({"kind": "plan"}, window_hours=24, reader=Reader(), now=NOW)
    assert "can't schedule a switch for later" in plan


@pytest.mark.parametrize("text, kind", [
    ("and would it go back to my card or as credit?", "paid_to"),
    ("does the money go back to my card?", "paid_to"),
    ("is it credit or cash back?", "paid_to"),
    ("where does the refund go", "paid_to"),
    ("there are two charges on my card for the same month", None),   # a card named, no money going back
    ("how do i get my money back", None),                             # a request for it, not where it goes
])
def test_where_the_money_goes_is_its_own_question(text, kind):
    from bot.core.asking import follow_up_kind
    assert follow_up_kind(text) == kind


def test_money_back_goes_to_the_card_and_an_outage_credit_off_the_invoice():
    from bot.core.topic_questions import CREDIT_ON_THE_INVOICE, REFUND_TO_THE_CARD, paid_to
    assert paid_to({"kind": "decision", "rule": "R1", "refund": 4655}) == REFUND_TO_THE_CARD
    assert paid_to({"kind": "decision", "rule": "R5", "credit": 2042, "case_id": 3}) == CREDIT_ON_THE_INVOICE
    assert paid_to({"kind": "incident", "credit_case": {"rule": "R5", "credit": 2042}}) == CREDIT_ON_THE_INVOICE
    assert "card" in paid_to(None) and "next invoice" in paid_to(None)


def test_a_why_about_oneself_is_about_the_account_only_when_it_names_a_payment():
    from bot.core.asking import asks
    from bot.core.topic_questions import asks_about_oneself, topic_question
    assert asks("hi, why was I charged this month")   # a greeting before the question word
    assert topic_question("nlu_fallback", "hi, why was I charged this month", has_topic=False) == "why"
    assert asks_about_oneself("why", "why was I billed") and not asks_about_oneself("why", "why is my sync broken")
    assert topic_question("nlu_fallback", "why is my sync broken?", has_topic=False) is None



def test_why_a_person_decides_a_refund_proposed_while_the_cancellation_it_needs_is_on_offer():
    from bot.core.policy import Policy
    from bot.core.topic_questions import who_decides
    topic = {"kind": "cancel", "review": True, "proposal": {"kind": "decision", "rule": "R2"}}
    assert who_decides(topic, Policy(), Reader(), NOW).startswith("I'm not allowed to: a refund for part of a period")


@pytest.mark.parametrize("question", ["how_much", "what_next", "why"])
def test_a_cancelled_trial_is_not_told_of_a_first_payment(question):
    # The trial's follow-ups had two implementations; the one the dialogue used ignored a cancellation.
    said = trial_answer(question, {**TRIAL, "renews": False}, Reader(), NOW)
    assert "Nothing is charged" in said and "first payment" not in said


@pytest.mark.parametrize("question", ["when", "how_much", "what_next", "why"])
def test_a_trial_that_has_ended_has_no_days_left(question):
    assert trial_answer(question, TRIAL, Reader(), datetime(2026, 12, 8, tzinfo=timezone.utc)) == \
        "Your free trial has ended."
    assert trial_answer(question, {**TRIAL, "trial_end": None}, Reader(), NOW) == "Your free trial has ended."


def test_other_questions_about_the_trial_hear_what_is_charged_and_when():
    from bot.core.facts import follow_up
    said = follow_up("status", {**TRIAL, "plan": "Pro monthly", "renews": True}, reader=Reader(), now=NOW)
    assert said == "$49.00 is charged automatically on December 7, when Pro monthly starts, unless you cancel before."
    assert follow_up("when", TRIAL, reader=Reader(), now=NOW) == trial_answer("when", TRIAL, Reader(), NOW)
