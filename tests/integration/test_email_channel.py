"""Email in the core: Mailgun signatures and replays, threading, stripping, questions,
and the composed reply."""
from __future__ import annotations

import asyncio
import hashlib
import hmac
from datetime import datetime, timezone

import pytest
import yaml

from bot.core.clauses import ACTS_ON_THE_ACCOUNT, REFUND_REASONS, reading, triage
from bot.email.channel import ForgedMail, compose_reply, parse_mailgun, plan_messages, remember_token, verify_mailgun
from bot.email.split import questions
from bot.settings import ROOT

KEY = "mailgun-signing-key"
NOW = datetime.now(timezone.utc)


def mailgun_signature(timestamp: str, token: str, key: str = KEY) -> str:
    return hmac.new(key.encode(), f"{timestamp}{token}".encode(), hashlib.sha256).hexdigest()


def test_only_a_fresh_correct_signature_passes():
    # Timestamps come from the same NOW the check is given: the suite runs for minutes after import.
    ts = str(int(NOW.timestamp()))
    verify_mailgun(KEY, ts, "tok1", mailgun_signature(ts, "tok1"), NOW)
    for key, timestamp in ((KEY + "x", ts), (KEY, str(int(NOW.timestamp()) - 301))):
        with pytest.raises(ForgedMail):
            verify_mailgun(KEY, timestamp, "tok1", mailgun_signature(timestamp, "tok1", key), NOW)
    with pytest.raises(ForgedMail, match="not configured"):
        verify_mailgun(None, ts, "tok1", mailgun_signature(ts, "tok1"), NOW)


def test_a_token_is_accepted_once(engine):
    remember_token("tok-a", now=NOW, engine=engine)
    with pytest.raises(ForgedMail, match="replay"):
        remember_token("tok-a", now=NOW, engine=engine)


REPLY_BODY = """Yes, please go ahead.

Thanks,
Ana

On Mon, Nov 23, 2026 at 10:00 AM GroupTrack support <support@grouptrack.example> wrote:
> To refund 46.55 USD, your subscription has to be cancelled now. Shall I?
> Reply to this email with YES or NO.
"""


def test_a_reply_is_threaded_and_stripped_of_the_quote():
    first = parse_mailgun({"sender": "Ana Lima <ANA@example.com>", "subject": "Refund",
                           "Message-Id": "<m1@mail.example>", "body-plain": "I cancelled a day late. Refund?",
                           "X-Mailgun-Spf": "Pass"})
    reply = parse_mailgun({"sender": "ana@example.com", "subject": "Re: Refund", "Message-Id": "<m3@mail.example>",
                           "In-Reply-To": "<m2@grouptrack.example>",
                           "References": "<m1@mail.example> <m2@grouptrack.example>",
                           "body-plain": REPLY_BODY, "X-Mailgun-Spf": "Pass"})
    assert first.sender == "ana@example.com" and first.sender_verified and reply.sender_verified
    assert reply.conversation_id == first.conversation_id  # the same thread, the same conversation
    assert "wrote:" not in reply.text and "46.55" not in reply.text
    assert questions(reply.text) == ["Yes, please go ahead."]
    stranger = parse_mailgun({"sender": "eve@evil.example", "Message-Id": "<x@evil>", "References": "<m1@mail.example>",
                              "body-plain": "refund"})
    assert stranger.conversation_id != first.conversation_id and not stranger.sender_verified


def test_several_questions_are_found_and_small_talk_left_out():
    text = ("Hi,\n\nHow long is the free trial? And why is there a fee on refunds?\n\n"
            "Also, what plan am I on.\n\nThanks!")
    assert questions(text) == ["How long is the free trial?", "And why is there a fee on refunds?",
                               "Also, what plan am I on."]


def test_one_reply_answers_every_question_and_escapes_html():
    text, html = compose_reply([
        ("How long is the trial?", [{"text": "12 days."}]),
        ("Refund <b>now</b>?", [{"text": "Shall I refund 46.55 USD?", "buttons": [
            {"title": "Yes, refund me", "payload": "/affirm"}, {"title": "No", "payload": "/deny"}]}]),
    ], brand="GroupTrack CRM")
    assert "> How long is the trial?\n12 days." in text
    assert "Reply to this email with YES (Yes, refund me) or NO (No)." in text
    assert "Refund &lt;b&gt;now&lt;/b&gt;?" in html and "<b>now</b>" not in html


def test_quick_replies_are_left_out_of_a_mail_and_real_choices_kept():
    text, _ = compose_reply([("How long is the trial?", [{"text": "12 days.", "buttons": [
        {"title": "My plan", "payload": "/check_subscription"},
        {"title": "Talk to a person", "payload": "/request_human"}]}]),
        ("Cancel?", [{"text": "Shall I stop the renewal?", "buttons": [
            {"title": "Yes, stop the renewal", "payload": '/affirm{"offer":"o1"}'},
            {"title": "Talk to a person", "payload": "/request_human"}]}])], brand="GroupTrack CRM")
    assert "My plan" not in text and "Talk to a person" not in text
    assert "Reply to this email with YES (Yes, stop the renewal)." in text


def test_a_subject_with_line_breaks_is_one_line_and_the_reply_can_be_sent(engine, tmp_path, monkeypatch):
    # Found by tests/e2e/test_fuzz_http.py: the subject was kept with its line break and every
    # reply in that thread failed on the mail library's header check.
    from bot.email.channel import remember_thread, send_in_thread
    monkeypatch.delenv("SMTP_HOST", raising=False)
    monkeypatch.setenv("OUTBOX_DIR", str(tmp_path))
    mail = parse_mailgun({"sender": "ana@example.com", "subject": "Refund\r\nBcc: mallory@example.com\n please",
                          "body-plain": "Can I get a refund?", "Message-Id": "<m1@example.com>"})
    assert mail.subject == "Refund Bcc: mallory@example.com please"
    remember_thread(mail, engine=engine)
    assert send_in_thread(mail.conversation_id, "Yes.", "<p>Yes.</p>", sender="support@grouptrack.example",
                          engine=engine)
    [sent] = list(tmp_path.glob("*.eml"))
    headers = sent.read_bytes().split(b"\n\n", 1)[0]
    assert b"Subject: Re: Refund Bcc: mallory@example.com please" in headers and b"\nBcc:" not in headers


@pytest.mark.parametrize("sender", ["<ana\x00@example.com>", "x <a\tb@example.com>", '"a b"@example.com', "ana",
                                    "@", "a@b@c", "0@\x80", "ana@exämple.com"])
def test_a_sender_address_that_cannot_be_replied_to_is_refused(sender):
    with pytest.raises(ValueError, match="no valid sender address"):
        parse_mailgun({"sender": sender, "subject": "Hi", "body-plain": "Refund?"})


def test_a_header_smuggled_after_the_sender_is_dropped():
    assert parse_mailgun({"sender": "ana@example.com\nBcc: x@example.com", "body-plain": "Refund?"}).sender == \
        "ana@example.com"


@pytest.mark.parametrize("intent, confidence, verdict", [
    ("ask_free_trial", 0.65, "ask"), ("ask_free_trial", 1.0, "ask"),
    ("nlu_fallback", 0.6, "unsure"), (None, 0.0, "unsure"),
    ("technical_problem", 0.78, "unsure"), ("technical_problem", 0.95, "ask"),  # a signature read as a problem
    ("request_human", 0.7, "unsure"), ("affirm", 0.79, "unsure"), ("affirm", 0.98, "ask"),
    ("thank", 0.95, "skip"), ("greet", 0.9, "skip"), ("goodbye", 0.61, "unsure"),
])
def test_only_what_the_model_is_sure_of_reaches_the_dialogue(intent, confidence, verdict):
    assert triage(intent, confidence) == verdict


def parsed(*ranking: tuple[str, float]) -> dict:
    return {"intent": {"name": ranking[0][0], "confidence": ranking[0][1]},
            "intent_ranking": [{"name": name, "confidence": confidence} for name, confidence in ranking]}


def test_a_request_for_money_back_is_sure_whichever_reason_the_model_leans_to():
    """Tried by email: 'charged on the 22nd though I meant to cancel. Can I get my money back?'
    read late_cancellation 0.66, request_refund 0.30, and went unanswered."""
    assert reading(parsed(("late_cancellation", 0.66), ("request_refund", 0.30), ("check_subscription", 0.04))) == \
        pytest.approx(("late_cancellation", 0.96))
    assert triage(*reading(parsed(("late_cancellation", 0.66), ("request_refund", 0.30)))) == "ask"
    # a technical problem opens a ticket: it is held to the bar on its own confidence
    assert reading(parsed(("technical_problem", 0.6), ("request_refund", 0.3))) == ("technical_problem", 0.6)
    # money back against something else entirely stays unsure
    assert triage(*reading(parsed(("request_refund", 0.55), ("ask_refund_fee", 0.40)))) == "unsure"
    assert reading(parsed(("nlu_fallback", 0.5), ("request_refund", 0.3))) == ("nlu_fallback", 0.5)
    assert reading({"intent": None}) == (None, 0.0)


def intents_leading_to(actions: set[str]) -> set[str]:
    """The intents that data/rules.yml answers with one of these actions."""
    found = set()
    for rule in yaml.safe_load((ROOT / "data" / "rules.yml").read_text())["rules"]:
        intents: list[str] = []
        for step in rule["steps"]:
            if "intent" in step or "or" in step:
                intents = [step["intent"]] if "intent" in step else [s["intent"] for s in step["or"] if "intent" in s]
            elif step.get("action") in actions:
                found |= set(intents)
    return found


def test_every_intent_that_can_open_a_case_or_move_money_is_held_to_the_higher_bar():
    acting = intents_leading_to({"action_assess_refund", "action_hand_to_person", "action_carry_out_refund",
                                 "action_change_plan", "action_cancel_at_period_end"})
    assert acting and acting <= ACTS_ON_THE_ACCOUNT, acting - ACTS_ON_THE_ACCOUNT
    assert intents_leading_to({"action_assess_refund"}) == REFUND_REASONS
    assert ACTS_ON_THE_ACCOUNT <= set(yaml.safe_load((ROOT / "domain.yml").read_text())["intents"])


def test_one_refund_request_in_several_sentences_is_one_message_after_the_questions():
    sentences = ["Can I get a refund?", "How long is the trial?", "I cancelled a day too late.", "Hi there",
                 "My card expired.", "John Smith CFO"]
    readings = [("request_refund", 0.99), ("ask_free_trial", 1.0), ("late_cancellation", 0.97), ("greet", 0.9),
                ("technical_problem", 0.7), ("nlu_fallback", 0.6)]
    plan = plan_messages(sentences, readings)
    # The refund's offer is the reply's last question: the customer's YES answers the turn just before it.
    assert plan.groups == [["How long is the trial?"], ["Can I get a refund?", "I cancelled a day too late."]]
    assert plan.requests_from == 1
    assert plan.unsure == ["My card expired.", "John Smith CFO"]  # for a person, by itself
    person_and_refund = plan_messages(["I want to talk to a person", "refund please"],
                                      [("request_human", 0.9), ("request_refund", 0.9)])
    assert person_and_refund.groups == [["I want to talk to a person"], ["refund please"]]
    assert person_and_refund.requests_from == 0 and person_and_refund.unsure == []


def test_a_follow_up_stays_after_the_request_it_is_about():
    plan = plan_messages(["Can I get a refund for today's charge?", "How much is the fee?", "What plan am I on?"],
                         [("request_refund", 0.96), ("ask_how_much", 0.86), ("check_subscription", 0.99)])
    assert plan.groups == [["What plan am I on?"], ["Can I get a refund for today's charge?"],
                           ["How much is the fee?"]]
    assert plan.requests_from == 1


def test_a_reply_never_tells_the_customer_to_ask_for_a_person_themselves():
    text, html = compose_reply([("How long is the trial?", [{"text": "12 days."}]),
                                ("Can you send a W-9?", [{"text": "I've asked a person (case #7)."}])],
                               brand="GroupTrack CRM")
    assert "talk to a person" not in text and "talk to a person" not in html
    assert text.index("12 days.") < text.index("case #7")


def test_what_the_model_found_no_intent_in_is_kept_apart_from_what_it_doubted():
    plan = plan_messages(["Has anyone picked this up yet?", "refund it maybe", "Thanks"],
                         [("nlu_fallback", 0.5), ("request_refund", 0.6), ("thank", 0.9)])
    assert plan.unsure == ["Has anyone picked this up yet?", "refund it maybe"]
    assert plan.not_understood == ["Has anyone picked this up yet?"]  # may be about the thread's topic


def test_a_question_it_did_not_understand_is_asked_of_the_dialogue_before_a_person(engine, db_url, monkeypatch,
                                                                                   tmp_path):
    """followup-ticket-email: 'Has anyone picked this up yet?' after a ticket went to a person
    instead of being told the ticket's status; and (make run, 2026-12-07) 'can we add more than 3
    users on our current plan?' went to a person, though the plans answer it. The dialogue is asked
    first, with or without a topic; what it cannot answer (its fallback says nothing by email) goes
    to a person."""
    from bot.email.channel import parse_raw
    from channels.email import EmailInput
    monkeypatch.setenv("DATABASE_URL", db_url)
    monkeypatch.setenv("OUTBOX_DIR", str(tmp_path))
    channel = EmailInput(signing_key="key", reply_from="support@grouptrack.example")
    mail = parse_raw(b"From: ross@example.org\r\nMessage-ID: <r2@example.org>\r\nSubject: Scheduler\r\n\r\n"
                     b"Has anyone picked this up yet?\r\n")

    def dialogue(answers_it: bool):
        async def on_new_message(message):
            person = (message.parse_data or {}).get("intent", {}).get("name") == "request_human"
            if person or answers_it:
                message.output_channel.messages.append({"text": "case #4" if person else "Your case #3 is open."})
        return on_new_message

    async def intent_of(text):
        return "nlu_fallback", 0.5

    answers, handed_over = asyncio.run(channel._ask(dialogue(True), intent_of, mail))
    assert handed_over == 0 and answers == [("Has anyone picked this up yet?", [{"text": "Your case #3 is open."}])]
    answers, handed_over = asyncio.run(channel._ask(dialogue(False), intent_of, mail))
    assert handed_over == 1 and answers[-1][1] == [{"text": "case #4"}]
    # Each is a dialogue turn: past a few, the rest go to the person with the others (a fuzzed mail of
    # many unplaced questions took one turn each, past the webhook's time under load)
    many = parse_raw(b"From: ross@example.org\r\nMessage-ID: <r3@example.org>\r\nSubject: Many\r\n\r\n" +
                     b"\r\n\r\n".join(f"Has anyone looked at thing {n} yet?".encode() for n in range(6)) + b"\r\n")
    from bot.email.split import questions
    answers, handed_over = asyncio.run(channel._ask(dialogue(True), intent_of, many))
    assert len(questions(many.text)) > 3 and handed_over == len(questions(many.text)) - 3
    assert [reply for _, reply in answers[:3]] == [[{"text": "Your case #3 is open."}]] * 3  # the first three


def test_thanks_before_a_question_in_one_sentence_are_left_out_and_the_question_read_alone():
    """'Thanks. Has anyone picked this up yet?' read whole as thanks (0.52), not sure enough to
    leave unanswered, so it went to a person instead of being asked about the ticket."""
    from channels.email import _read
    readings = {"Thanks. Has anyone picked this up yet?": ("thank", 0.52), "Thanks.": ("thank", 0.99),
                "Has anyone picked this up yet?": ("nlu_fallback", 0.5)}

    async def intent_of(text):
        return readings[text]

    parts, read = asyncio.run(_read(intent_of, ["Thanks. Has anyone picked this up yet?"]))
    assert parts == ["Has anyone picked this up yet?"] and read == [("nlu_fallback", 0.5)]
