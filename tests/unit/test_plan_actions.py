"""The plan-change offer says when the money moves, and is never made on a figure Stripe's
documented proration does not give: a person checks it, told why (actions/plans.py)."""
from __future__ import annotations

from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

import actions.plans
from bot.app.plan_changes import QuoteUnconfirmed
from bot.app.results import CaseSummary, Direction, PlanQuote
from bot.core.plans import parse_plans

PLANS = parse_plans({"plans": {
    "pro-monthly": {"name": "Pro", "tier": 2, "price": 4900, "currency": "usd", "interval": "month"},
    "pro-yearly": {"name": "Pro", "tier": 2, "price": 49000, "currency": "usd", "interval": "year"}}})


def asked(text="switch me to pro yearly") -> Tracker:
    said = {"event": "user", "text": text, "metadata": {}, "input_channel": "rest",
            "parse_data": {"intent": {"name": "change_plan"}, "entities": []}}
    return Tracker("plan-chat", {}, said["parse_data"], [said], False, None, {}, "")


def test_a_quote_stripe_disagrees_with_goes_to_a_person_with_why(monkeypatch):
    why = "Stripe's preview prorates -4900 ...; the documented proration is -1633"
    opened = {}

    def unconfirmed(*args, **kwargs):
        raise QuoteUnconfirmed(PLANS["pro-yearly"], why)

    def request_person(email, **kwargs):
        opened.update(kwargs, email=email)
        return CaseSummary(case_id=31, case_created=True, case_status="open", case_due="2026-12-07T12:00:00+00:00",
                           case_kind="handoff", announcement={}, handoff="queued")

    monkeypatch.setattr(actions.plans, "preview_plan_change", unconfirmed)
    monkeypatch.setattr(actions.plans, "request_person", request_person)
    monkeypatch.setattr(actions.plans.offers, "make_offer", lambda **_: (_ for _ in ()).throw(AssertionError))
    dispatcher = CollectingDispatcher()
    events = actions.plans.preview(dispatcher, asked(), "ana@example.com", "pro-yearly")
    said = [m.get("response") for m in dispatcher.messages]
    assert said[0] == "utter_plan_quote_unconfirmed" and "case_id" in dispatcher.messages[-1]
    assert not any(m.get("buttons") for m in dispatcher.messages)  # nothing to say yes to
    assert opened["email"] == "ana@example.com" and why in opened["team_note"]
    assert opened["note"] == "switch me to pro yearly"
    assert {"event": "slot", "name": "topic", "value": {"kind": "case", "case_id": 31,
            "case_due": "2026-12-07T12:00:00+00:00", "handoff": "queued", "next_opening": None},
            "timestamp": None} in events


class Offered:
    token = "offer-token"


def _quoted(monkeypatch, quote: PlanQuote) -> dict:
    monkeypatch.setattr(actions.plans, "preview_plan_change", lambda *a, **k: quote)
    monkeypatch.setattr(actions.plans.offers, "make_offer", lambda **_: Offered())
    dispatcher = CollectingDispatcher()
    actions.plans.preview(dispatcher, asked(), "ana@example.com", quote.plan.id)
    return dispatcher.messages[-1]


def test_another_interval_is_quoted_as_charged_now(monkeypatch):
    told = _quoted(monkeypatch, PlanQuote(plan=PLANS["pro-yearly"], from_plan="pro-monthly", prorated=-3267,
                                          next_invoice=45733, currency="usd", direction=Direction.NEW_PERIOD))
    assert told["response"] == "utter_plan_preview_new_period"
    assert (told["amount"], told["credit"], told["price"], told["interval"]) == ("$457.33", "$32.67", "$490.00", "year")


def test_a_new_period_the_credit_more_than_covers_keeps_the_rest_as_credit(monkeypatch):
    told = _quoted(monkeypatch, PlanQuote(plan=PLANS["pro-monthly"], from_plan="pro-yearly", prorated=-49000,
                                          next_invoice=0, currency="usd", direction=Direction.NEW_PERIOD,
                                          left_as_credit=44100))
    assert told["response"] == "utter_plan_preview_new_period_credit"
    assert (told["credit"], told["price"], told["left"]) == ("$490.00", "$49.00", "$441.00")


def test_within_a_period_the_proration_waits_for_the_next_invoice(monkeypatch):
    told = _quoted(monkeypatch, PlanQuote(plan=PLANS["pro-monthly"], from_plan="starter-monthly", prorated=2000,
                                          next_invoice=6900, currency="usd", direction=Direction.CHARGE))
    assert told["response"] == "utter_plan_preview_charge"
    assert (told["amount"], told["next_invoice"]) == ("$20.00", "$69.00")



def _choices(monkeypatch, *, in_trial: bool) -> list[str]:
    from bot.app.results import PlanOptions
    options = PlanOptions(options=(PLANS["pro-yearly"],), current=PLANS["pro-monthly"], current_name="Pro monthly",
                          current_price=(4900, "usd", "month"), current_id="pro-monthly", in_trial=in_trial)
    monkeypatch.setattr(actions.plans, "plan_options", lambda email: options)
    dispatcher = CollectingDispatcher()
    actions.plans.offer_plan_change(dispatcher, asked("can I change my plan"), "ana@example.com")
    return [m.get("response") for m in dispatcher.messages]


def test_a_trial_hears_that_switching_costs_nothing_not_how_proration_works(monkeypatch):
    # carla on make run, 2026-12-07: a trial was told an upgrade "is charged pro rata" before choosing
    assert _choices(monkeypatch, in_trial=True)[0] == "utter_change_plan_in_trial"
    assert _choices(monkeypatch, in_trial=False)[0] == "utter_change_plan_terms"


def test_wanting_it_back_with_no_switch_made_or_talked_about_asks_for_the_money(monkeypatch):
    # ivy on make run, 2026-12-07: "I want it back" after asking why she was charged heard that no plan was changed
    asked_for = []
    monkeypatch.setattr(actions.plans.offers, "last_plan_change", lambda conversation_id: None)
    monkeypatch.setattr(actions.plans.requests, "answer_request",
                        lambda dispatcher, tracker, email, intent: asked_for.append(intent) or [])
    dispatcher = CollectingDispatcher()
    about_money = Tracker("s", {"topic": {"kind": "account"}}, {"text": "I want it back"}, [], False, None, {}, "")
    actions.plans.undo_change(dispatcher, about_money, "ivy@example.com")
    assert asked_for == ["request_refund"] and dispatcher.messages == []
    about_plans = Tracker("s", {"topic": {"kind": "plans"}}, {"text": "I want it back"}, [], False, None, {}, "")
    actions.plans.undo_change(dispatcher, about_plans, "ivy@example.com")
    assert asked_for == ["request_refund"] and dispatcher.messages[0]["response"] == "utter_nothing_to_undo"
