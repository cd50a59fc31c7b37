"""The plan catalogue (config/plans.yml) and what a move between two plans is."""
from __future__ import annotations

import re
from dataclasses import dataclass

PERIODS_PER_YEAR = {"month": 12, "year": 1}


class UnknownPlan(ValueError):
    pass


@dataclass(frozen=True)
class Plan:
    id: str
    name: str
    tier: int
    price: int
    currency: str
    interval: str
    includes: tuple[str, ...] = ()  # what the plan gives, in customers' words (config/plans.yml)

    @property
    def display_name(self) -> str:
        """'Pro yearly': what customers call it, never its id."""
        return f"{self.name} {self.interval}ly"

    @property
    def yearly_price(self) -> int:
        return self.price * PERIODS_PER_YEAR[self.interval]


def display_name(plan_id: str, catalogue: dict[str, Plan]) -> str:
    """A subscription's plan as customers call it: the catalogue's name, else its id made
    readable ('pro-monthly-jpy' -> 'Pro monthly') for a plan no longer sold."""
    if plan_id in catalogue:
        return catalogue[plan_id].display_name
    words = [w for w in re.split(r"[-_\s]+", plan_id) if w and not w.isdigit() and w.lower() not in _CURRENCIES]
    return " ".join(words).capitalize() or plan_id


_CURRENCIES = {"usd", "eur", "gbp", "jpy", "chf", "cad", "aud", "sek", "nok", "dkk", "inr", "brl", "mxn"}


def stripe_plan_id(plan: str, price: int, currency: str, interval: str) -> str:
    """The Stripe plan for a mirrored subscription: the price is part of the id so that a
    price change makes a new Stripe plan instead of silently repricing old subscribers."""
    return f"{plan}-{price}-{currency}-{interval}"


def parse_plans(data: dict, *, source: str = "plans file") -> dict[str, Plan]:
    """The catalogue in a plans file's `plans:` mapping, each plan with what its name `includes:`
    (bot/settings.py reads the file)."""
    includes = data.get("includes") or {}
    if not isinstance(includes, dict) or not all(
            isinstance(items, list) and all(isinstance(item, str) for item in items) for items in includes.values()):
        raise ValueError(f"plans file {source}: `includes` maps a plan's name to a list of what it includes")
    try:
        return {plan_id: Plan(id=plan_id, name=str(v["name"]), tier=int(v["tier"]),
                              price=int(v["price"]), currency=str(v["currency"]).lower(),
                              interval=str(v["interval"]), includes=tuple(includes.get(str(v["name"]), ())))
                for plan_id, v in (data.get("plans") or {}).items()}
    except (KeyError, TypeError, ValueError) as exc:
        raise ValueError(f"plans file {source}: bad entry ({exc})") from None


def options_for(current_plan: str, currency: str, catalogue: dict[str, Plan]) -> list[Plan]:
    """The plans a customer on `current_plan` can move to: same currency, by tier, monthly first."""
    return sorted((p for p in catalogue.values() if p.currency == currency and p.id != current_plan),
                  key=lambda p: (p.tier, -PERIODS_PER_YEAR[p.interval]))


TIER_WORDS = re.compile(r"[a-z]+")
INTERVAL_WORDS = {"month": "month", "monthly": "month", "year": "year", "yearly": "year",
                  "annual": "year", "annually": "year", "annualy": "year"}
# "the cheaper one", "a bigger plan": the plan a tier below or above the current one, when only one is.
# Not "upgrade": "upgrade to yearly" asks for another interval as often as another plan.
DIRECTION_WORDS = {"cheaper": -1, "cheapest": -1, "lower": -1, "smaller": -1, "basic": -1,
                   "bigger": 1, "higher": 1, "better": 1, "pricier": 1}


# Whole words only: "download", "setup" and "support" hold the letters but ask for no move.
MOVE_DOWN = re.compile(r"\b(?:down|downgrad\w*)\b", re.IGNORECASE)
MOVE_UP = re.compile(r"\b(?:up|upgrad\w*)\b", re.IGNORECASE)


SWITCH_VERBS = re.compile(r"\b(switch\w*|chang\w*|mov\w*|downgrad\w*|upgrad\w*|put\s+me\s+on|go\s+(?:to|on|down|up))\b",
                          re.IGNORECASE)


def asks_to_switch(text: str, current: Plan | None, options: list[Plan]) -> bool:
    """The words ask to move to a plan they name or point to ("can I switch to Starter before my
    trial is over", "move me to yearly"), whatever else they mention."""
    return bool(SWITCH_VERBS.search(text or "")) and match_plan(text, current, options) is not None


def move_direction(text: str) -> int | None:
    """-1 for a move down ("downgrade", "go down"), +1 for one up, None when the words say neither."""
    if MOVE_DOWN.search(text or ""):
        return -1
    if MOVE_UP.search(text or ""):
        return 1
    return None


def _neighbour(current: Plan, options: list[Plan], directions: set[int]) -> str | None:
    """The one plan name a tier below (-1) or above (+1) the current plan, if the words ask for one."""
    if len(directions) != 1:
        return None
    step = directions.pop()
    names = {p.name.lower() for p in options if (p.tier - current.tier) * step > 0}
    return names.pop() if len(names) == 1 else None


def match_plan(text: str, current: Plan | None, options: list[Plan]) -> Plan | None:
    """The option a customer's words name ('pro yearly', 'go annual'), else None.

    What they leave out stays as it is: a Pro customer asking to 'go annual' means Pro
    yearly. Nothing named at all means they have not chosen yet.
    """
    words = set(TIER_WORDS.findall((text or "").lower()))
    names = {p.name.lower() for p in options} | ({current.name.lower()} if current else set())
    tier = next(iter(words & names), None) if len(words & names) == 1 else None
    if tier is None and current is not None:
        tier = _neighbour(current, options, {DIRECTION_WORDS[w] for w in words if w in DIRECTION_WORDS})
    interval = {INTERVAL_WORDS[w] for w in words if w in INTERVAL_WORDS}
    interval = interval.pop() if len(interval) == 1 else None
    if tier is None and interval is None:
        return None
    tier = tier or (current.name.lower() if current else None)
    interval = interval or (current.interval if current else None)
    matches = [p for p in options if (tier is None or p.name.lower() == tier)
               and (interval is None or p.interval == interval)]
    return matches[0] if len(matches) == 1 else None
