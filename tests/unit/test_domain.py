"""Every response in domain.yml is said by something: a rule or story, a form, an action.

Rasa's own check counts only rules and stories, and most of our responses are sent by
custom actions, so its warnings are silenced in bot/ops/quiet.py; this is the real check.
"""
from __future__ import annotations

import re
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[2]


def test_every_response_is_used():
    domain = yaml.safe_load((ROOT / "domain.yml").read_text())
    responses = set(domain["responses"])
    said = set()
    for path in [*(ROOT / "data").rglob("*.yml"), *(ROOT / "actions").rglob("*.py")]:
        said |= set(re.findall(r"\butter_\w+", path.read_text()))
    asked_by_forms = {f"utter_ask_{slot}" for form in (domain.get("forms") or {}).values()
                      for slot in form.get("required_slots", [])}
    core_fallback = {"utter_default"}  # Rasa says it when no policy is sure what comes next
    assert responses - said - asked_by_forms - core_fallback == set()


def test_every_response_an_action_or_rule_names_exists():
    domain = yaml.safe_load((ROOT / "domain.yml").read_text())
    named = set()
    for path in [*(ROOT / "data").rglob("*.yml"), *(ROOT / "actions").rglob("*.py")]:
        named |= set(re.findall(r"[\"' ]((?:utter_)\w+)", path.read_text()))
    assert named - set(domain["responses"]) == set()
