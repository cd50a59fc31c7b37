"""The actions for the customer's own facts and "what would happen if": a hypothetical asked as a
refund, a cancellation or a plan change decides, opens, offers and moves nothing; a status
question about an incident opens no case; the answers are the account's facts."""
from __future__ import annotations

from datetime import timedelta

import pytest

import actions.identity
import actions.own_facts
import actions.what_if
from actions.cancellation import ActionOfferCancellation
from actions.own_facts import ActionAnswerBilling, ActionAnswerIncidentStatus, ActionAnswerPlans, ActionAnswerTrial
from actions.plans import ActionOfferPlanChange
from actions.refunds import ActionAssessRefund
from bot.app.own_facts import OwnAccount
from bot.core.domain import Account, Charge, Incident, Subscription
from bot.settings import load_plans
from tests.unit.test_actions import SECRET, run, token, tracker, user

NOW_OFFSET = timedelta(hours=6)


@pytest.fixture(autouse=True)
def secret(monkeypatch):
    monkeypatch.setenv("CUSTOMER_TOKEN_SECRET", SECRET)


@pytest.fixture
def account(monkeypatch):
    """A Pro monthly customer paid 6 hours ago, with an incident; the core's writers must not be called."""
    from bot.clock import now_utc
    import bot.app.offers
    import bot.app.refunds
    now = now_utc()
    sub = Subscription(plan="pro-monthly", price=4900, currency="usd", interval="month", status="active",
                       current_period_start=now - NOW_OFFSET, current_period_end=now - NOW_OFFSET + timedelta(days=30))
    state = {"own": OwnAccount(Account("ana@example.com", "Ana", sub, (Charge("c1", 4900, "usd", now - NOW_OFFSET),),
                                       incidents=(Incident("group-sync", now - timedelta(hours=30), None),)),
                               "Pro monthly", load_plans()["pro-monthly"])}
    for module in (actions.identity, actions.own_facts, actions.what_if):
        monkeypatch.setattr(module, "own_account_or_none", lambda email: state["own"])

    def must_not(*args, **kwargs):
        raise AssertionError("a question must not decide, record or offer anything")
    for name in ("assess_refund", "carry_out_refund"):
        monkeypatch.setattr(bot.app.refunds, name, must_not)
    for name in ("make_offer", "answer"):
        monkeypatch.setattr(bot.app.offers, name, must_not)
    return state


@pytest.mark.parametrize("action, intent, words, says", [
    (ActionAssessRefund(), "request_refund", "if i cancelled right now would i get todays payment back?", "$46.55"),
    (ActionAssessRefund(), "late_cancellation", "not cancelling, just wondering what I'd get back", "$46.55"),
    (ActionOfferCancellation(), "cancel_subscription", "what would happen if i cancelled?", "keep access until"),
    (ActionOfferCancellation(), "cancel_subscription", "what if I had cancelled before it renewed?",
     "it wouldn't have been taken"),
    (ActionAssessRefund(), "request_refund", "if i had cancelled yesterday would i get my money back", "$46.55 back"),
    (ActionOfferPlanChange(), "change_plan", "hypothetically, if i went down to starter would i get money back?",
     "credit"),
])
def test_a_hypothetical_request_is_answered_in_conditional_words_and_nothing_else(account, action, intent, words,
                                                                                  says):
    messages, slots = run(action, tracker(user(words, intent, token=token())))
    said = " ".join(m.get("text") or "" for m in messages)
    assert says in said and "Nothing has changed" in said
    assert slots["topic"]["kind"] == "what_if" and "offer" not in slots
    assert not any(b["payload"].startswith(("/affirm", "/deny")) for m in messages for b in m.get("buttons") or [])


def test_a_visitor_s_hypothetical_gets_the_terms_in_general_words(account):
    messages, slots = run(ActionAssessRefund(), tracker(user("would I get a refund if I cancelled?", "request_refund")))
    assert "In general" in messages[0]["text"] and slots == {"needs_identity": False}


def test_a_status_question_read_as_a_problem_opens_nothing(account):
    messages, slots = run(ActionAssessRefund(), tracker(user("is the sync fixed yet?", "technical_problem",
                                                             token=token())))
    assert messages[0]["text"].startswith("Not yet: Group sync has been down since")
    assert slots["topic"]["kind"] == "incident"


@pytest.mark.parametrize("reported, says", [
    ("the reports page is broken, it shows a blank screen", "We know of a problem with the group sync right now"),
    ("group sync stopped working this morning", "Yes, we know about it: Group sync has been down"),
])
def test_is_it_known_is_asked_of_the_problem_the_customer_reported(account, reported, says):
    """gia reported her reports page, then asked "is it a known issue?": the sync's outage is one we
    know of, not the answer to hers."""
    messages, _ = run(ActionAnswerIncidentStatus(), tracker(user(reported, "technical_problem", token=token()),
                                                            user("is it a known issue?", "ask_incident_status",
                                                                 token=token())))
    assert messages[0]["text"].startswith(says)


def test_a_trial_question_is_the_customers_own_trial_when_in_one_and_the_terms_otherwise(account):
    sub = account["own"].account.subscription
    trialing = Subscription(**{**sub.__dict__, "status": "trialing", "trial_end": sub.current_period_end})
    account["own"] = OwnAccount(Account("ana@example.com", "Ana", trialing), "Pro monthly", None)
    messages, slots = run(ActionAnswerTrial(), tracker(user("how long until my trial is over", "ask_free_trial",
                                                            token=token())))
    assert "days" in messages[0]["text"] and "$49.00 is charged automatically" in messages[0]["text"]
    messages, _ = run(ActionAnswerTrial(), tracker(user("is there a free trial", "ask_free_trial")))
    assert messages[0]["response"] == "utter_free_trial"
    # A visitor's own trial ("my trial"): who they are first (make run, 2026-12-07), then the answer.
    messages, slots = run(ActionAnswerTrial(), tracker(user("how long until my trial runs out", "ask_free_trial",
                                                            key="k" * 24)))
    assert not messages and slots == {"needs_identity": True, "pending_request": "ask_free_trial"}
    from actions.requests import ActionResumeRequest
    messages, slots = run(ActionResumeRequest(), tracker(user("123456", "inform", token=token()),
                                                         slots={"pending_request": "ask_free_trial"}))
    assert "$49.00 is charged automatically" in messages[0]["text"] and slots["topic"]["kind"] == "trial"


def test_plans_for_a_visitor_and_the_yearly_price_of_the_plan_just_asked_about(account):
    messages, slots = run(ActionAnswerPlans(), tracker(user("how much is the pro plan", "ask_plans")))
    assert "$49.00 a month" in messages[0]["text"]
    follow = tracker(user("and yearly?", "ask_billing_cycle"), slots={"topic": slots["topic"]})
    messages, _ = run(ActionAnswerBilling(), follow)
    assert messages[0]["text"].startswith("Pro yearly is $490.00 a year")


def test_plans_for_a_signed_in_customer_set_their_own_plan_beside(account):
    asked = tracker(user("how much is the pro plan", "ask_plans", token=token()))
    messages, _ = run(ActionAnswerPlans(), asked)
    assert "You're on Pro monthly now" in messages[0]["text"]
    assert [b["title"] for b in messages[0]["buttons"]] == ["Change plan", "Talk to a person"]
    account["own"] = None  # a proven address without an account: nothing to switch, so no switch offered
    messages, _ = run(ActionAnswerPlans(), asked)
    assert "You're on" not in messages[0]["text"] and "ask me to switch" not in messages[0]["text"]
    assert "no plan to switch from" in messages[0]["text"]
    assert [b["title"] for b in messages[0]["buttons"]] == ["Talk to a person"]
    visitor = tracker(user("how much is the pro plan", "ask_plans"))
    messages, _ = run(ActionAnswerPlans(), visitor)   # a visitor may still prove who they are and switch
    assert "ask me to switch" in messages[0]["text"] and [b["title"] for b in messages[0]["buttons"]] == \
        ["Talk to a person"]


def test_a_fact_with_would_is_still_a_request(account, monkeypatch):
    """"I cancelled yesterday, would I get a refund?" is decided by the rules as any request is."""
    import actions.refunds
    asked = []
    monkeypatch.setattr(actions.refunds, "assess", lambda d, t, email, intent: asked.append(intent) or [])
    run(ActionAssessRefund(), tracker(user("I cancelled yesterday, would I get a refund?", "late_cancellation",
                                           token=token())))
    assert asked == ["late_cancellation"]


def test_a_plan_what_if_reads_a_move_down_from_whole_words_only(account):
    own = account["own"]   # Pro monthly
    assert actions.what_if._target("what if I went down a plan", own, {}).id == "starter-monthly"
    assert actions.what_if._target("would my downloads stay if I changed plans", own, {}) is None


@pytest.mark.parametrize("words, signed_in, says, never", [
    ("what would happen if i couldnt pay for a couple of months", True, "update your card", "cancelling would change"),
    ("if i dont pay will you suspend my account", False, "section 3", "within 24 hours"),
    ("what happens if i go over the contact limit", True, "unlimited contacts", "keep access"),
    ("what if we need more than 3 users", False, "up to 20 users", "keep access"),
])
def test_a_hypothetical_about_not_paying_or_a_plan_s_limits_is_answered_as_such(account, words, signed_in, says,
                                                                                 never):
    # make run, 2026-12-07: these were told what cancelling would do to their access and contacts
    from actions.what_if import ActionAnswerWhatIf
    proof = token() if signed_in else None
    messages, _ = run(ActionAnswerWhatIf(), tracker(user(words, "ask_what_if", token=proof)))
    said = " ".join(m.get("text") or "" for m in messages)
    assert says in said and never not in said


@pytest.mark.parametrize("words, switch", [
    ("can i switch to starter before my trial is over", True),   # make run, 2026-12-07: got the trial's dates
    ("move me to yearly before the trial ends", True),
    ("how long is my trial on pro", False),
    ("does my plan change when the trial ends", False),
])
def test_a_switch_that_mentions_the_trial_is_a_plan_change(account, monkeypatch, words, switch):
    asked = {}
    monkeypatch.setattr(actions.own_facts.requests, "answer_request",
                        lambda dispatcher, tracker_, email, intent: asked.update(email=email, intent=intent) or [])
    run(ActionAnswerTrial(), tracker(user(words, "ask_free_trial", token=token())))
    assert asked == ({"email": "ana@example.com", "intent": "change_plan"} if switch else {})


@pytest.mark.parametrize("words, signed_in, told", [
    ("I think you charged me twice", True, "Here's what I see: one payment from you in the last 45 days, $49.00 on"),
    ("you took my money two times", True, "one payment from you"),
    ("you charged me twice", False, None),            # a visitor's account is nobody's to read out
    ("I want to talk to a person", True, None),       # no billing error claimed: straight to the case
])
def test_a_double_charge_hears_what_the_account_shows_before_the_person(account, monkeypatch, words, signed_in,
                                                                        told):
    """"you charged me twice" goes to a person, who checks it with the processor; the customer first
    hears the payments the account holds (found on make run, 2026-12-07)."""
    import actions.cases
    from bot.app.results import CaseSummary
    opened = []

    def request_person(email, **kwargs):
        opened.append(email)
        return CaseSummary(case_id=7, case_created=True, case_status="open", case_due="2026-12-08T12:00:00+00:00",
                           case_kind="handoff", announcement={}, handoff="queued")
    monkeypatch.setattr(actions.cases, "request_person", request_person)
    messages, _ = run(actions.cases.ActionHandToPerson(),
                      tracker(user(words, "request_human", token=token() if signed_in else None)))
    assert opened == ["ana@example.com" if signed_in else None]
    if told:
        assert told in messages[0]["text"] and "case_id" in messages[-1]
    else:
        assert len(messages) == 1 and messages[0]["case_id"] == 7 and not messages[0]["text"]


def test_money_asked_for_an_outage_is_decided_by_the_rules_not_told_nothing_to_do(account, monkeypatch):
    """finn on make run, 2026-12-07: told the sync was still down, "do I get anything for it?" heard
    "Nothing for you to do"; it asks for amends, which the rules decide as the outage reported."""
    import actions.requests
    from actions.follow_ups import ActionAnswerFollowUp
    from actions.unmatched import ReadsUnmatched
    monkeypatch.setattr(ReadsUnmatched, "run", lambda self, *args: super(ReadsUnmatched, self).run(*args))
    asked = []
    monkeypatch.setitem(actions.requests.REQUESTS, "technical_problem",
                        lambda dispatcher, tracker, email, intent: asked.append((email, intent)) or [])
    incident = {"kind": "incident", "feature": "group-sync", "start": "2026-11-25T04:00:00+00:00", "end": None}
    run(ActionAnswerFollowUp(), tracker(user("do I get anything for it?", "ask_what_next", token=token()),
                                        slots={"topic": incident}))
    assert asked == [("ana@example.com", "technical_problem")]
    messages, _ = run(ActionAnswerFollowUp(), tracker(user("what do I do now?", "ask_what_next", token=token()),
                                                      slots={"topic": incident}))
    assert asked == [("ana@example.com", "technical_problem")] and "Nothing for you to do" in messages[0]["text"]
    _, slots = run(ActionAnswerFollowUp(), tracker(user("do I get anything for it?", "ask_what_next", key="k" * 24),
                                                   slots={"topic": incident}))   # the sign-in ran out: the code first
    assert slots == {"needs_identity": True, "pending_request": "technical_problem"} and len(asked) == 1


def test_how_long_after_the_status_answers_how_long_not_the_status_again(account):
    """finn on make run, 2026-12-07: "how long has it been down now" (read as a status question, 0.95)
    got the status sentence again, word for word."""
    status, slots = run(ActionAnswerIncidentStatus(), tracker(user("is the sync still broken?", "ask_incident_status",
                                                                   token=token())))
    again, _ = run(ActionAnswerIncidentStatus(), tracker(user("how long has it been down now", "ask_incident_status",
                                                              token=token()), slots=slots))
    assert status[0]["text"].startswith("Not yet") and again[0]["text"].startswith("It's been down since")
    fixed, _ = run(ActionAnswerIncidentStatus(), tracker(user("is it fixed yet?", "ask_incident_status",
                                                              token=token()), slots=slots))
    assert fixed[0]["text"].startswith("Not yet")   # asked again whether it is over: the status
