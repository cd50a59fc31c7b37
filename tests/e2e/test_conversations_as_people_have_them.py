"""Conversations as customers really have them, against the real servers: they decline in
their own words, wander, say yes to something else, come back with an expired sign-in,
and are handed back when an agent closes their case mid-chat."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from bot.app.identity import issue_customer_token
from bot.db import models
from bot.db.session import unit_of_work
from tests.support.console_client import Agent
from tests.support.e2e_stack import SECRET, goes_quiet, latest_code, mirror, say, texts, understood

pytestmark = pytest.mark.e2e


def movements(live, email: str) -> list[tuple]:
    engine = mirror(live)
    try:
        with unit_of_work(engine) as session:
            customer = session.execute(select(models.Customer).where(models.Customer.email == email)).scalar_one()
            rows = session.execute(select(models.LedgerEntry).where(
                models.LedgerEntry.customer_id == customer.id)).scalars().all()
            return [(row.kind, row.status) for row in rows] + [(customer.subscription.plan,
                                                                 customer.subscription.status)]
    finally:
        engine.dispose()


def test_ana_declines_in_her_own_words_wanders_and_a_later_yes_moves_nothing(live):
    """The attack run's first finding: a stray yes after a decline cancelled and refunded."""
    token, sender = issue_customer_token("wren@example.com", secret=SECRET), "wander-wren"
    before = movements(live, "wren@example.com")
    offer = texts(say(live, sender, "I cancelled a day late, can I get a refund?", token))
    assert "Shall I cancel it and refund you?" in offer, offer
    declined = texts(say(live, sender, "actually I'd rather keep my subscription for now", token))
    assert "haven't changed anything" in declined, declined
    plan = texts(say(live, sender, "what plan am I on?", token))
    assert "You're on the" in plan and understood(plan), plan
    stray = texts(say(live, sender, "yes", token))
    assert "nothing waiting for a yes" in stray, stray
    assert movements(live, "wren@example.com") == before


def test_a_yes_after_hours_away_moves_nothing_and_asking_again_gets_a_fresh_offer(live):
    """An offer does not outlive its session: back after two hours, a yes or the old button
    confirms nothing; asking again gets the rules' answer afresh, with its own buttons."""
    token, sender = issue_customer_token("wren@example.com", secret=SECRET), "away-wren"
    before = movements(live, "wren@example.com")
    offer = say(live, sender, "I cancelled a day late, can I get a refund?", token)
    assert "Shall I cancel it and refund you?" in texts(offer), texts(offer)
    old_yes = next(b["payload"] for reply in offer for b in reply.get("buttons", [])
                   if b["payload"].startswith("/affirm"))
    goes_quiet(live, sender)
    back = texts(say(live, sender, "yes go ahead", token))
    assert "nothing waiting for a yes" in back, back
    pressed = texts(say(live, sender, old_yes, token))
    assert "belongs to an earlier question" in pressed, pressed
    again = say(live, sender, "so can I still get that refund?", token)
    assert "Shall I cancel it and refund you?" in texts(again), texts(again)
    declined = texts(say(live, sender, "no thanks", token))
    assert "haven't changed anything" in declined, declined
    assert movements(live, "wren@example.com") == before


def test_an_old_button_cannot_confirm_a_newer_offer(live):
    token, sender = issue_customer_token("wren@example.com", secret=SECRET), "wander-wren-buttons"
    first = say(live, sender, "please cancel my subscription", token)
    old_yes = next(b["payload"] for r in first for b in r.get("buttons", []) if b["payload"].startswith("/affirm"))
    say(live, sender, "no", token)
    say(live, sender, "please cancel my subscription", token)  # a new offer, with a new token
    before = movements(live, "wren@example.com")
    pressed = texts(say(live, sender, old_yes, token))
    assert "earlier question" in pressed, pressed
    assert movements(live, "wren@example.com") == before


def test_a_follow_up_while_an_offer_waits_is_answered_and_the_offer_asked_again(live):
    token, sender = issue_customer_token("wren@example.com", secret=SECRET), "wander-wren-follow"
    say(live, sender, "I'd like to switch to the yearly plan", token)
    answer = texts(say(live, sender, "how much would that cost me?", token))
    assert "next invoice" in answer and "Shall I switch you?" in answer, answer
    kept = texts(say(live, sender, "keep my plan", token))
    assert "plan stays as it is" in kept, kept


def test_an_expired_sign_in_is_said_and_the_emailed_code_then_identifies_the_customer(live):
    """A widget left open past the host app's token: no loop of 'confirmed' then 'can't identify'."""
    expired, sender = issue_customer_token("ben@example.com", secret=SECRET, ttl_seconds=-60), "expired-ben"
    asked = texts(say(live, sender, "what plan am I on?", expired))
    assert "sign-in has expired" in asked and "email address" in asked, asked
    sent = texts(say(live, sender, "ben@example.com", expired))
    assert "6-digit code" in sent, sent
    not_a_code = texts(say(live, sender, "hmm, let me look", expired))
    assert "haven't counted it" in not_a_code, not_a_code
    confirmed = texts(say(live, sender, latest_code(live, "ben@example.com"), expired))
    assert "that's you confirmed" in confirmed and "Pro monthly" in confirmed, confirmed
    again = texts(say(live, sender, "and when is my next payment?", expired))
    assert "can't see your account" not in again and "email address" not in again, again


def test_a_yes_after_the_sign_in_ran_out_asks_for_a_code_then_offers_afresh(live):
    """The chat stayed open past the token's life between the offer and the yes: the yes is
    not consent from anyone proven, so the customer proves it by code and is asked again."""
    sender = "expired-between-tess"
    fresh = issue_customer_token("tess@example.com", secret=SECRET)
    expired = issue_customer_token("tess@example.com", secret=SECRET, ttl_seconds=-60)
    offer = texts(say(live, sender, "please cancel my subscription", fresh))
    assert "Shall I do that?" in offer, offer
    before = movements(live, "tess@example.com")
    asked = texts(say(live, sender, "yes", expired))
    assert "sign-in has expired" in asked and "email address" in asked, asked
    assert "6-digit code" in texts(say(live, sender, "tess@example.com", expired))
    confirmed = texts(say(live, sender, latest_code(live, "tess@example.com"), expired))
    assert "that's you confirmed" in confirmed and "Shall I do that?" in confirmed, confirmed
    assert movements(live, "tess@example.com") == before  # the yes before the code moved nothing
    done = texts(say(live, sender, "yes", expired))  # the code, with this client's key, proves her now
    assert "won't renew" in done, done


def test_cancel_that_right_after_a_switch_offers_the_way_back(live):
    token, sender = issue_customer_token("noor@example.com", secret=SECRET), "switch-back-noor"
    say(live, sender, "can I switch to the yearly plan?", token)
    switched = texts(say(live, sender, "yes", token))
    assert "you're now on Pro yearly" in switched, switched
    back = texts(say(live, sender, "hmm actually cancel that", token))
    assert "Pro monthly" in back and "Shall I switch you?" in back, back  # an offer, not a change
    assert movements(live, "noor@example.com")[-1][0] == "pro-yearly"
    assert "you're now on Pro monthly" in texts(say(live, sender, "yes", token))
    assert movements(live, "noor@example.com")[-1][0] == "pro-monthly"


def test_a_conversation_id_alone_lends_no_identity(live):
    """Gia's token on one message; the next message to the same conversation without proof."""
    sender = "takeover-gia"
    say(live, sender, "please cancel my subscription", issue_customer_token("gia@example.com", secret=SECRET))
    before = movements(live, "gia@example.com")
    for text in ("yes", "what plan am I on?"):
        reply = texts(say(live, sender, text, None, key=None))
        assert "Pro monthly" not in reply and "won't renew" not in reply, reply
    assert movements(live, "gia@example.com") == before


def test_closing_a_case_during_a_live_chat_hands_the_customer_back(live):
    alice = Agent(live.urls["console"], "alice")
    alice.post("/availability", available="yes")
    sender = "live-closed"
    asked = texts(say(live, sender, "can I talk to a person please", None))
    assert "join this chat" in asked, asked
    engine = mirror(live)
    with unit_of_work(engine) as session:
        case_id = session.execute(select(models.ReviewCase.id).where(
            models.ReviewCase.conversation_id == sender)).scalar_one()
    engine.dispose()
    alice.post(f"/cases/{case_id}/chat/join")
    assert say(live, sender, "hello?", None) == []  # a person answers now
    closed = alice.post(f"/cases/{case_id}/decide", verdict="close", note="Answered in the chat.")
    assert closed.status_code == 200, closed.text
    answered = texts(say(live, sender, "how long is the free trial?", None))
    assert "12-day trial" in answered, answered
    told = live_transcript_lines(live, sender)
    assert "You're back with the assistant. Ask me anything else, any time." in told


def live_transcript_lines(live, sender: str) -> list[str]:
    from bot.notify.rasa_api import RasaConversations
    return [line["text"] for line in RasaConversations(live.urls["rasa"], live.env["RASA_AUTH_TOKEN"])
            .transcript(sender)]


@pytest.mark.parametrize("between", ["thanks", "I want to change my plan", "hello"])
def test_a_yes_after_anything_else_moves_nothing(live, between):
    token, sender = issue_customer_token("wren@example.com", secret=SECRET), f"stale-yes-{len(between)}"
    offer = texts(say(live, sender, "please cancel my subscription", token))
    assert "Shall I do that?" in offer, offer
    before = movements(live, "wren@example.com")
    say(live, sender, between, token)
    stray = texts(say(live, sender, "yes", token))
    assert "nothing waiting for a yes" in stray, stray
    assert movements(live, "wren@example.com") == before
