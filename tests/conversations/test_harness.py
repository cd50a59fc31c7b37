"""The conversation set's own checks, without servers: the set covers what issue 28 asks,
its files are refused when wrong, and each expectation can fail."""
from __future__ import annotations

import re
from collections import Counter
from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest

from bot.core.formatting import Reader, day
from tests.conversations.checks import check_turn, date_pattern, days_pattern, is_fallback, repeated_sentences
from tests.conversations.conversation_set import ConversationSetError, Turn, load_set, seeded_emails
from tests.conversations.known_failing import KNOWN_FAILING
from tests.conversations.observe import Changes
from tests.conversations.stack import SEED
from tests.conversations.talk import Reply

NOW = datetime(2026, 11, 22, 12, 0, tzinfo=timezone.utc)
NOTHING = Changes(moved=(), cases=(), offers={})


def test_the_set_covers_every_class_of_issue_28():
    conversations = load_set(seeded=seeded_emails(SEED))
    per_class, channels = Counter(c.group for c in conversations), Counter(c.channel for c in conversations)
    assert len(conversations) >= 80
    assert all(per_class[str(n)] >= 5 for n in range(1, 9)), per_class
    assert all(per_class[str(n)] >= 4 for n in range(9, 12)), per_class
    assert per_class["earlier"] >= 10 and channels["email"] >= 12, (per_class, channels)
    assert {c.channel for c in conversations if c.group == "10"} == {"rest"}
    assert sum(len(c.turns) >= 3 for c in conversations) > len(conversations) / 2  # most are 3-6 turns


def test_a_customer_seeded_twice_is_refused(tmp_path):
    """Two conversations seeded a customer (or a charge) of the same name: the second replaced the first."""
    seed = tmp_path / "seed.yml"
    seed.write_text("customers:\n  - {email: Pia@x.example, name: A}\n  - {email: pia@x.example, name: B}\n"
                    "  - {email: rolf@x.example, name: C}\n")
    with pytest.raises(ConversationSetError, match="pia@x.example seeded more than once"):
        seeded_emails(seed)
    seed.write_text("customers:\n  - {email: a@x.example, name: A, charges: [{id: ch_1}]}\n"
                    "  - {email: b@x.example, name: B, charges: [{id: ch_1}]}\n")
    with pytest.raises(ConversationSetError, match="ch_1 seeded more than once"):
        seeded_emails(seed)


def test_the_known_failing_list_names_only_conversations_of_the_set():
    assert KNOWN_FAILING <= {c.id for c in load_set()}


def write(folder, body: str):
    (folder / "c.yml").write_text("class: 1\ntitle: T\nconversations:\n" + body)
    return folder


@pytest.mark.parametrize(("body", "problem"), [
    ("  - {id: a-1, channel: widget, customer: x@e.example, turns: [{say: hi, moved: refund}]}\n"
     "  - {id: a-2, channel: widget, customer: x@e.example, turns: [{say: hi}]}\n", "no other conversation"),
    ("  - {id: a-1, channel: fax, turns: [{say: hi}]}\n", "'channel'"),
    ("  - {id: a-1, channel: widget, turns: [{say: hi, sayz: [x]}]}\n", "keys from"),
    ("  - {id: a-1, channel: widget, turns: [{say: hi, says: ['(']}]}\n", "not a regular expression"),
    ("  - {id: a-1, channel: widget, turns: [{say: hi, says: ['{date:birthday}']}]}\n", "unknown fact"),
    ("  - {id: a-1, channel: widget, turns: [{press: Yes}]}\n", "'press' needs"),
    ("  - {id: a-1, channel: widget, turns: [{say: hi, offers: maybe}]}\n", "'offers'"),
    ("  - {id: a-1, channel: email, turns: [{say: hi}]}\n", "needs 'customer'"),
])
def test_a_wrong_file_is_refused_with_its_reason(tmp_path, body, problem):
    with pytest.raises(ConversationSetError, match=problem):
        load_set(write(tmp_path, body))


def test_a_fallback_is_seen_in_the_words_the_actions_or_an_email_left_unanswered():
    assert is_fallback(Reply("Sorry, I didn't understand that."), [], NOTHING)
    assert is_fallback(Reply("Something new"),
                       [{"event": "bot", "metadata": {"utter_action": "utter_please_rephrase"}}],
                       NOTHING)
    # the fallback action answering from the terms is an answer, not a fallback
    assert not is_fallback(Reply("From our terms, section 7 (Acceptable Use Policy): ..."),
                           [{"event": "action", "name": "action_rephrase_or_offer_human"}], NOTHING)
    assert is_fallback(Reply("x"), [{"event": "bot", "metadata": {"utter_action": "utter_out_of_scope"}}], NOTHING)
    assert is_fallback(Reply("The trial is 12 days.", unanswered=1), [], NOTHING)
    handed_over = Changes(moved=(), cases=(("handoff", "opened"),), offers={})
    assert not is_fallback(Reply("A person will reply: case #4.", unanswered=1), [], handed_over)
    assert is_fallback(Reply("I'm not sure what that's about. I can help with refunds."), [], NOTHING)
    assert not is_fallback(Reply("The trial is 12 days."), [{"event": "action", "name": "utter_free_trial"}], NOTHING)


def problems(turn: Turn, reply: Reply, changes: Changes = NOTHING, channel: str = "widget", **said) -> list[str]:
    return check_turn(turn, reply, channel=channel, changes=changes, fallback=False, facts={}, zone=None, now=NOW,
                      **said)


def test_an_offer_counts_only_open_made_this_turn_and_named_by_its_yes_button():
    yes = [{"title": "Yes, stop the renewal", "payload": '/affirm{"offer":"t1"}'}]
    open_cancel = Changes(moved=(), cases=(), offers={"t1": ("cancel_at_period_end", "open")})
    assert problems(Turn(say="x", offers="cancel"), Reply("ok", yes), open_cancel) == []
    assert problems(Turn(say="x", offers="cancel"), Reply("ok", []), open_cancel)  # no yes to it
    assert problems(Turn(say="x", offers="refund"), Reply("ok", yes), open_cancel)
    assert problems(Turn(say="x", offers="none"), Reply("ok", yes), open_cancel)
    declined = Changes(moved=(), cases=(), offers={"t1": ("cancel_at_period_end", "declined")})
    assert problems(Turn(say="x", offers="cancel"), Reply("ok", yes), declined)
    assert problems(Turn(say="x", offers="cancel"), Reply("Reply YES", []), open_cancel, channel="email") == []


def test_cases_and_movements_are_read_from_what_the_turn_wrote():
    refunded = Changes(moved=(("cancel", "succeeded"), ("refund", "succeeded")), cases=(), offers={})
    assert problems(Turn(say="x", moved="refund"), Reply(""), refunded) == []
    assert problems(Turn(say="x", moved="cancellation"), Reply(""), refunded)  # a refund too
    assert problems(Turn(say="x", moved="nothing"), Reply(""), refunded)
    failed = Changes(moved=(("refund", "failed"),), cases=(), offers={})
    assert problems(Turn(say="x", moved="refund"), Reply(""), failed)
    ticket = Changes(moved=(), cases=(("ticket", "opened"),), offers={})
    assert problems(Turn(say="x", case="ticket"), Reply(""), ticket) == []
    assert problems(Turn(say="x", case="opened"), Reply(""), ticket) == []
    assert problems(Turn(say="x", case="refund"), Reply(""), ticket)
    assert problems(Turn(say="x", case="none"), Reply(""), ticket)
    assert problems(Turn(say="x", case="opened"), Reply(""))


def test_says_answers_and_buttons_are_facts_matched_case_insensitively():
    reply = Reply("The refund fee is 5%. Plans are billed monthly or YEARLY.", [{"title": "Talk to a person"}])
    assert problems(Turn(say="x", answers=("5 ?%", "year"), buttons_include=("person",)), reply) == []
    assert problems(Turn(say="x", answers=("5 ?%", "trial")), reply) == ["answered 1 of 2 questions: no ['trial']"]
    assert problems(Turn(say="x", not_says=("fee",)), reply)
    assert problems(Turn(say="x", buttons_include=("agent",)), reply)
    assert problems(Turn(say="x", buttons_exclude=("cancel",)), reply) == []
    assert problems(Turn(say="x", buttons_exclude=("person",)), reply) == ["buttons ['Talk to a person'] should not be "
                                                                           "offered"]
    assert problems(Turn(say="x", says=("{date:trial_end}",)), reply)  # the customer has no trial


@pytest.mark.parametrize(("locale", "zone"), [("en-US", "UTC"), ("en-GB", "Europe/London"), ("ja-JP", "Asia/Tokyo"),
                                              ("de-DE", "Europe/Berlin")])
def test_a_date_fact_matches_the_day_as_the_assistant_writes_it_in_the_customers_zone(locale, zone):
    moment = datetime(2026, 12, 12, 20, 0, tzinfo=timezone.utc)  # the 13th in Tokyo
    written = day(moment, Reader(locale=locale, timezone=zone), now=NOW)
    assert re.search(date_pattern(moment, ZoneInfo(zone)), written, re.IGNORECASE), written
    other_day = day(moment + timedelta(days=1), Reader(locale=locale, timezone=zone), now=NOW)
    assert not re.search(date_pattern(moment, ZoneInfo(zone)), other_day, re.IGNORECASE), other_day


def test_days_left_are_whole_days_in_digits_or_words():
    five = days_pattern(timedelta(days=5, hours=3))
    assert all(re.search(five, text) for text in ("5 days left", "five more days", "ends in 5 days"))
    assert not any(re.search(five, text) for text in ("6 days", "15 days", "12-day trial"))
    assert re.search(days_pattern(timedelta(days=1, hours=6)), "it ends tomorrow")


def test_new_words_compare_what_was_explained_with_what_was_said_before():
    before = "Customers pay for access, not usage, so there is no refund.\nShall I stop the renewal for you now?"
    again = Turn(say="why not", new_words=True)
    assert problems(again, Reply(""), previous_said=before,
                    explained="Customers pay for access, not usage, so there is no refund.")
    assert problems(again, Reply(""), previous_said=before, explained="We charge for access rather than for use.") == []


def test_new_words_means_no_long_sentence_said_again():
    refusal = "Customers pay for access, not usage, so there is no refund. Anything else?"
    assert repeated_sentences(refusal, "Customers pay for access, not usage, so there is no refund.")
    assert not repeated_sentences(refusal, "We charge for access rather than use. A person can look at it.")
