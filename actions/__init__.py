"""rasa-sdk actions: thin translations between the conversation and the `bot` core.

Every action module is imported here, whichever of them is imported first (rasa-sdk imports
this package; a test may import one module): the modules that make offers and answer requests
register them at import (actions/offer_kinds.py, actions/requests.py), and the yes/no actions
find only what is registered.
"""
from actions import (account, answers, cancellation, cases, customer_action, fallback,  # noqa: F401
                     follow_ups, identify_form, identity, offer_kinds, offer_turns, own_facts, plan_answers, plans,
                     policy_answers, quick_replies, refunds, requests, thanks, topic_questions, transcript,
                     unmatched, waiting_offer, what_if)
