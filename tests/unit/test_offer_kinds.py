"""The registries the yes/no actions and the resumed requests read: every kind of offer and
every request that needs an account has its module's entry once the package is imported."""
from __future__ import annotations

import pytest
import yaml

import actions  # noqa: F401  (what rasa-sdk imports: every module registers itself)
from actions import offer_kinds, refunds, requests
from bot.core.statuses import OfferKind
from tests.unit.test_layers import ROOT


def test_every_kind_of_offer_is_registered():
    assert offer_kinds.registered() == set(OfferKind)
    assert offer_kinds.actions_for("plan_change").declined == "utter_plan_unchanged"
    assert offer_kinds.actions_for(OfferKind.REFUND).carry_out is refunds.carry_out


def test_every_request_that_needs_an_account_is_registered_under_an_intent_of_the_domain():
    intents = {intent if isinstance(intent, str) else next(iter(intent))
               for intent in yaml.safe_load((ROOT / "domain.yml").read_text())["intents"]}
    expected = {*refunds.REASON_BY_INTENT, "check_subscription", "cancel_subscription", "change_plan", "undo_change",
                "ask_incident_status", "ask_when", "ask_how_much", "ask_why",
                "ask_free_trial"}   # the last four: a visitor's own ("why was I charged?": the code, then theirs)
    assert set(requests.REQUESTS) == expected and expected <= intents


def test_a_kind_or_a_request_registered_twice_is_refused():
    with pytest.raises(ValueError, match="twice"):
        offer_kinds.register(OfferKind.REFUND, carry_out=refunds.restate, restate=refunds.restate, declined="x")
    with pytest.raises(ValueError, match="twice"):
        requests.register("change_plan", refunds.assess)
    with pytest.raises(LookupError, match="registered"):
        requests.answer_request(None, None, "ana@example.com", "greet")
