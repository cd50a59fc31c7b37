"""Quick replies: the next steps offered as buttons after an answer that makes no offer.

Each sends an intent, exactly as if the customer had written it; none is ever /affirm or
/deny, which only an offer's own buttons carry (actions/offer_turns.py). The answers Rasa says
by itself (a greeting) have theirs in domain.yml; a terms answer's are in actions/policy_answers.py,
so that they give way to a restated offer's (actions/customer_action.py).
"""
from __future__ import annotations

PERSON = {"title": "Talk to a person", "payload": "/request_human"}
MY_PLAN = {"title": "My plan", "payload": "/check_subscription"}
CHANGE_PLAN = {"title": "Change plan", "payload": "/change_plan"}
CANCEL = {"title": "Cancel my subscription", "payload": "/cancel_subscription"}
GET_REFUND = {"title": "Get a refund", "payload": "/request_refund"}
