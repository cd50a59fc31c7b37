"""The whole path: a REST message from a signed-in customer to a refund in Stripe."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from bot.app.identity import issue_customer_token
from bot.db import models
from bot.db.session import unit_of_work
from tests.support.e2e_stack import SECRET, latest_code, mirror, say, stripe_refunds, texts, understood

pytestmark = pytest.mark.e2e


def subscription_and_movements(live, email: str) -> tuple[models.Subscription, list[models.LedgerEntry]]:
    """The customer's subscription and every ledger movement on their account, from the database."""
    engine = mirror(live)
    try:
        with unit_of_work(engine) as session:
            sub = session.execute(select(models.Subscription).join(models.Customer)
                                  .where(models.Customer.email == email)).scalar_one()
            return sub, list(session.execute(select(models.LedgerEntry).where(
                models.LedgerEntry.customer_id == sub.customer_id)).scalars())
    finally:
        engine.dispose()


def test_a_customer_who_declines_keeps_the_subscription(live):
    token = issue_customer_token("ana@example.com", secret=SECRET)
    say(live, "widget-ana-undecided", "I cancelled a day late, can I get a refund?", token)
    reply = texts(say(live, "widget-ana-undecided", "no, keep my subscription", token))
    assert "haven't changed anything" in reply and understood(reply), reply
    sub, movements = subscription_and_movements(live, "ana@example.com")
    assert movements == [] and sub.status == "active"


def test_signed_in_customer_cancelled_a_day_late_is_refunded_once(live):
    token = issue_customer_token("ana@example.com", secret=SECRET)
    first = say(live, "widget-ana", "I cancelled a day late, can I get a refund?", token)
    reply = texts(first)
    assert "$46.55" in reply and "$2.45" in reply and "ch_" not in reply, reply
    assert understood(reply), reply
    assert "cancel" in reply.lower()
    assert any(b.get("payload", "").startswith('/affirm{"offer":') for r in first for b in r.get("buttons", [])), first

    done = texts(say(live, "widget-ana", "yes", token))
    assert understood(done), done
    engine = mirror(live)
    with unit_of_work(engine) as session:
        charge = session.execute(select(models.Charge).where(models.Charge.external_id == "ch_ana_2")).scalar_one()
        ledger = session.execute(select(models.LedgerEntry).where(
            models.LedgerEntry.kind == "refund", models.LedgerEntry.charge_id == charge.id)).scalars().all()
        sub = charge.customer.subscription
        decision = session.execute(select(models.DecisionRecord).where(
            models.DecisionRecord.customer_id == charge.customer_id).order_by(models.DecisionRecord.id)).scalars().all()
    refunds = stripe_refunds(live, charge.stripe_id)
    assert [(r.amount, r.id) for r in refunds] == [(4655, ledger[0].stripe_id)]
    assert "$46.55" in done and refunds[0].id not in done, done  # the amount, never the processor's id
    assert [(e.status, e.amount) for e in ledger] == [("succeeded", 4655)]
    assert charge.refunded == 4655 and sub.status == "canceled"
    assert decision[-1].rule == "R1" and decision[-1].executed["refund"] == refunds[0].id

    # Asking again cannot pay twice: the charge is settled, so the rules say R0.
    again = texts(say(live, "widget-ana", "I want a refund", token))
    assert "already been refunded" in again, again
    assert len(stripe_refunds(live, charge.stripe_id)) == 1
    engine.dispose()


def test_outside_the_window_the_customer_is_told_why_and_nothing_moves(live):
    token = issue_customer_token("dan@example.com", secret=SECRET)
    replies = say(live, "widget-dan", "I never used my account, refund please", token)
    reply = texts(replies)
    assert "access rather than use" in reply and understood(reply), reply
    assert "won't be charged again" in reply and "Shall I" in reply, reply  # R3 offers period-end cancel
    buttons = [b["title"] for b in replies[-1]["buttons"]]  # and, refused, a person is one press away
    assert buttons == ["Yes, stop the renewal", "No, keep it", "Talk to a person"], buttons
    told = [reply]
    for _ in range(2):  # "why not?" is about the refused refund, also after the offer is asked again:
        why = texts(say(live, "widget-dan", "why not??", token))  # in new words each time, with a person
        assert "shall I still stop the renewal" in why and "person" in why, why
        assert all(why.split("\n")[0] not in earlier for earlier in told), why
        told.append(why)
    kept = texts(say(live, "widget-dan", "no", token))
    assert "haven't changed anything" in kept, kept
    engine = mirror(live)
    with unit_of_work(engine) as session:
        dan = session.execute(select(models.Customer).where(models.Customer.email == "dan@example.com")).scalar_one()
        moved = session.execute(
            select(models.LedgerEntry).where(models.LedgerEntry.customer_id == dan.id)).scalars().all()
        rules = [d.rule for d in session.execute(
            select(models.DecisionRecord).where(models.DecisionRecord.customer_id == dan.id)).scalars()]
    assert moved == [] and rules == ["R3"]
    engine.dispose()


def test_without_a_token_nothing_is_revealed(live):
    replies = texts(say(live, "anon-1", "I cancelled a day late, can I get a refund?", None))
    assert "USD" not in replies and "ch_" not in replies
    assert "email address" in replies, replies


def test_an_anonymous_customer_is_identified_by_a_code_sent_to_their_email(live):
    sender = "anon-ben"
    asked = texts(say(live, sender, "I want a refund please", None))
    assert "email address" in asked and "USD" not in asked, asked
    prompt = texts(say(live, sender, "it's ben@example.com", None))
    assert "6-digit code" in prompt, prompt
    code = latest_code(live, "ben@example.com")
    wrong = f"{(int(code) + 1) % 10**6:06d}"
    retry = texts(say(live, sender, wrong, None))
    assert "doesn't match" in retry and "4 more tries" in retry and "USD" not in retry, retry
    answer = texts(say(live, sender, f"the code is {code}", None))
    # Ben's R2 proposal, now that the conversation proved it reaches his mailbox.
    assert "confirmed" in answer and "$30.84" in answer and "a person will decide" in answer, answer
    # Another conversation is not identified by Ben's code.
    other = texts(say(live, "anon-other", "when is my next payment?", None))
    assert "email address" in other and "pro-monthly" not in other, other


def test_a_code_is_only_ever_sent_to_an_account_address(live):
    say(live, "anon-stranger", "what plan am I on", None)
    prompt = texts(say(live, "anon-stranger", "stranger@example.com", None))
    assert "If stranger@example.com has an account" in prompt  # the same words as for a real account
    assert live.smtp.to("stranger@example.com") == []


def test_a_forged_token_is_refused(live):
    forged = issue_customer_token("ben@example.com", secret="a-forger-guessing-the-secret-wrongly")
    replies = texts(say(live, "forger", "I cancelled a day late, can I get a refund?", forged))
    assert "USD" not in replies and "ch_ben" not in replies, replies


def test_a_signed_in_customer_can_ask_about_their_plan(live):
    token = issue_customer_token("carla@example.com", secret=SECRET)
    reply = texts(say(live, "widget-carla", "when does my trial end?", token)) + \
        texts(say(live, "widget-carla", "what plan am I on", token))
    assert "free trial" in reply and "Pro monthly" in reply and "pro-monthly" not in reply, reply


def test_two_misunderstandings_in_a_row_offer_a_person(live):
    first = say(live, "confused", "asdfgh qwerty", None)
    second = say(live, "confused", "zxcv bnm lkj", None)
    assert "another way" in texts(first), first
    assert "person" in texts(second) and any(
        b.get("payload") == "/request_human" for r in second for b in r.get("buttons", [])), second


def test_cancelling_stops_the_renewal_once_and_keeps_access(live):
    token = issue_customer_token("eve@example.com", secret=SECRET)
    offer = texts(say(live, "widget-eve", "please cancel my subscription", token))
    assert "won't be charged again" in offer and "Shall I" in offer, offer
    done = texts(say(live, "widget-eve", "yes", token))
    assert "won't renew" in done and understood(done), done
    sub, movements = subscription_and_movements(live, "eve@example.com")
    cancels = [m for m in movements if m.kind == "cancel"]
    assert sub.cancel_at_period_end and sub.status == "active"
    assert [(c.status, c.params["at_period_end"]) for c in cancels] == [("succeeded", True)]
    again = texts(say(live, "widget-eve", "cancel my plan", token))
    assert "won't renew" in again and "Shall I" not in again, again
