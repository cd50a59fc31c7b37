"""What each kind of offer does on a yes, when asked again and on a no: a registry.

The modules that make offers register their kind when they are imported (refunds.py,
cancellation.py, plans.py; actions/__init__.py imports them all), and the yes/no actions
(answers.py, waiting_offer.py) look the kind up. This module imports no other action
module, so any of them can use it without a circle.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable

from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from bot.core.statuses import OfferKind
from bot.db.models import Offer

CarryOut = Callable[[CollectingDispatcher, Tracker, str, Offer], list[dict[str, Any]]]  # (…, email, offer)
Restate = Callable[[CollectingDispatcher, Tracker, Offer], list[dict[str, Any]]]


@dataclass(frozen=True)
class OfferKindActions:
    carry_out: CarryOut  # on a yes to an offer of this kind, once the offer is accepted
    restate: Restate     # ask again on the same terms, as a new offer
    declined: str        # the response when the customer says no


_KINDS: dict[OfferKind, OfferKindActions] = {}


def register(kind: OfferKind, *, carry_out: CarryOut, restate: Restate, declined: str) -> None:
    actions = OfferKindActions(carry_out, restate, declined)
    if _KINDS.get(kind, actions) != actions:
        raise ValueError(f"offers of kind {kind} are registered twice")
    _KINDS[kind] = actions


def actions_for(kind: OfferKind | str) -> OfferKindActions:
    try:
        return _KINDS[OfferKind(kind)]
    except KeyError:
        raise LookupError(f"nothing registered for offers of kind {kind}: is its module imported by "
                          "actions/__init__.py?") from None


def registered() -> frozenset[OfferKind]:
    return frozenset(_KINDS)
