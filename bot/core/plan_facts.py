"""What the plans cost and include, and how two differ (issue 28, class 4): for visitors and
customers alike, from the catalogue (config/plans.yml), in the reader's money.

`plans_answer` reads which plans and which billing interval the words name; what they leave out
comes from the conversation's `plans` topic ("how much is Pro?" then "and yearly?"), and a
customer's own plan is set beside the one asked about. Pure: no I/O, no clock.
"""
from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

from bot.core.formatting import Reader, listing, money
from bot.core.plans import INTERVAL_WORDS, Plan

# "what's the difference between them": all the plans, whichever was asked about before
COMPARING = re.compile(r"\b(differ\w*|compar\w*|vs\.?|versus|between|each|both|all|options|them|plans)\b",
                       re.IGNORECASE)

# "is there a discount for paying yearly?": what paying by the year saves is said too
SAVING = re.compile(r"\b(discount\w*|cheaper|sav(e|es|ing|ings)|deals?|up ?front|worth\s+paying)\b", re.IGNORECASE)

# "do you do discounts for nonprofits?": the catalogue lists none for anyone; a person can say more
WHO_FOR = re.compile(r"\b(non-?profits?|charit(y|ies)|ngos?|students?|schools?|universit(y|ies)|educat\w+|"
                     r"start-?ups?|teachers?|volunteers?)\b", re.IGNORECASE)

# "what does Starter not have?": what the other plans have that the one named lacks
LACKING = re.compile(r"""\b(not|n't|doesn'?t|don'?t)\s+(have|include|get|come\s+with|do)\b | \black\w* | \bmissing\b
                       | \bmiss\s+out\b | \bwithout\b | \b(lose|give\s+up)\b""",
                     re.IGNORECASE | re.VERBOSE)
# What a plan allows ("how many users can we have", "is there a contact limit", "what if we need more
# than 3 users"): few training messages ask it, and the catalogue's includes answer it.
ALLOWANCE = re.compile(r"""\b(contacts?|users?|seats?)\s+(limit|cap|max\w*)s?\b
    | \blimits?\s+(on|of|for)\s+(the\s+)?(number\s+of\s+)?(contacts?|users?|seats?)\b
    | \b(more\s+than|over|exceed\w*|above)\s+[\d,]+\s+(contacts?|users?|seats?)\b
    | \b(more|extra|another|add\w*)\s+(\w+\s+)?(users?|seats?)\b
    | \bhow\s+many\s+(users?|contacts?|seats?|people)\b""", re.IGNORECASE | re.VERBOSE)
EVERYTHING_IN = re.compile(r"^everything in (.+)$", re.IGNORECASE)
# "which one is better for a team of 5?", "we're 8 people": how many users the plan must allow
TEAM_SIZE = re.compile(r"""\b(?:team|company|group|business|office|staff)\s+of\s+(\d{1,5})\b
    | \b(\d{1,5})\s+(?:users?|people|persons|seats?|of\s+us|employees|staff|reps|members|colleagues|salespeople)\b
    | \bwe\s*(?:'re|\s+are)\s+(\d{1,5})\b""", re.IGNORECASE | re.VERBOSE)
USERS_ALLOWED = re.compile(r"^up to ([\d,]+) users?$", re.IGNORECASE)
# "what's the difference?", "which one should I get?": how the plans differ, not each one again
DIFFERENCE = re.compile(r"""\b(differ\w*|compar\w*|vs\.?|versus|better|which\s+(one|plan)|recommend\w*
    | should\s+(i|we)\s+(get|pick|choose|take|go\s+for))\b""", re.IGNORECASE | re.VERBOSE)


@dataclass(frozen=True)
class Tier:
    """One plan by name in one currency: its monthly and yearly prices."""
    name: str
    monthly: Plan | None
    yearly: Plan | None

    @property
    def includes(self) -> tuple[str, ...]:
        return (self.monthly or self.yearly).includes

    def prices(self, reader: Reader, first: str | None = None) -> str:
        plans = [p for p in (self.monthly, self.yearly) if p is not None]
        if first == "year":
            plans.reverse()
        return " or ".join(f"{money(p.price, p.currency, reader)} a {p.interval}" for p in plans)


def yearly_saving(tier: Tier, reader: Reader) -> str | None:
    """What a year paid at once saves over twelve months paid monthly, or None when it saves nothing."""
    if tier.monthly is None or tier.yearly is None:
        return None
    by_month = 12 * tier.monthly.price
    saved = by_month - tier.yearly.price
    if saved <= 0:
        return None
    months = f", {saved // tier.monthly.price} months free" if saved % tier.monthly.price == 0 else ""
    currency = tier.yearly.currency
    return (f"{tier.name} by the year is {money(tier.yearly.price, currency, reader)} against "
            f"{money(by_month, currency, reader)} for twelve months paid monthly: you save "
            f"{money(saved, currency, reader)}{months}.")


def tiers(catalogue: Mapping[str, Plan], currency: str) -> list[Tier]:
    """The plans sold in `currency`, by name, cheapest first."""
    by_name: dict[str, dict[str, Plan]] = {}
    for plan in sorted(catalogue.values(), key=lambda p: p.tier):
        if plan.currency == currency:
            by_name.setdefault(plan.name, {})[plan.interval] = plan
    return [Tier(name, found.get("month"), found.get("year")) for name, found in by_name.items()]


def _named(text: str, all_tiers: list[Tier]) -> list[Tier]:
    words = set(re.findall(r"[a-z]+", text.lower()))
    return [t for t in all_tiers if t.name.lower() in words]


def _interval(text: str) -> str | None:
    found = {INTERVAL_WORDS[w] for w in re.findall(r"[a-z]+", text.lower()) if w in INTERVAL_WORDS}
    return found.pop() if len(found) == 1 else None


def _missing(tier: Tier, other: Tier) -> list[str]:
    """What `other` includes that `tier` does not, by the catalogue's lists: "everything in Starter"
    in a plan's list counts Starter's list as its own."""
    if any((m := EVERYTHING_IN.match(item)) and m.group(1).lower() == other.name.lower() for item in tier.includes):
        return []
    return [item for item in other.includes if not EVERYTHING_IN.match(item) and item not in tier.includes]


def what_it_lacks(tier: Tier, others: list[Tier], reader: Reader) -> str:
    """What each other plan has that `tier` does not."""
    sentences = [f"{other.name} has what {tier.name} doesn't: {listing(missing, reader)}."
                 for other in others if (missing := _missing(tier, other))]
    return " ".join(sentences) or f"{tier.name} has everything our other plans have."


def what_a_move_loses(current: Plan, target: Plan, catalogue: Mapping[str, Plan], reader: Reader) -> str | None:
    """"Would we lose the scheduler on Starter?": what the current plan has that the target lacks,
    or that it lacks nothing (the same plan billed another way lacks nothing either)."""
    if current.name == target.name:
        return f"You'd keep everything {current.name} has: only how often you're billed changes."
    by_name = {t.name: t for t in tiers(catalogue, current.currency)}
    if current.name not in by_name or target.name not in by_name:
        return None
    missing = _missing(by_name[target.name], by_name[current.name])
    return (f"{current.name} has what {target.name} doesn't: {listing(missing, reader)}." if missing else
            f"{target.name} has everything {current.name} has.")


def asks_about_allowances(text: str | None) -> bool:
    """The words ask what a plan allows: how many users, seats or contacts, or a limit on them, or
    which plan a team of a size needs."""
    return bool(ALLOWANCE.search(text or "") or TEAM_SIZE.search(text or ""))


def compares_the_plans(text: str | None, topic: Mapping | None) -> bool:
    """"What's the difference?" or "which one should I get?" right after the plans were described."""
    return (topic or {}).get("kind") == "plans" and bool(DIFFERENCE.search(text or ""))


def team_size(text: str) -> int | None:
    found = TEAM_SIZE.search(text)
    return int(next(group for group in found.groups() if group)) if found else None


def users_allowed(tier: Tier) -> int | None:
    """How many users a plan allows, as its list says ("up to 3 users"); None when it names no limit."""
    found = (USERS_ALLOWED.match(item) for item in tier.includes)
    return next((int(m.group(1).replace(",", "")) for m in found if m), None)


def for_a_team(size: int, all_tiers: list[Tier], reader: Reader, current: str | None = None) -> str | None:
    """Which plan a team of `size` needs, by the users each allows; None when a plan's list names no
    limit (the catalogue doesn't say, so neither does the assistant)."""
    limits = [(tier, users_allowed(tier)) for tier in all_tiers]
    if not limits or any(limit is None for _, limit in limits):
        return None
    allowed = listing([f"{tier.name} up to {limit:,}" for tier, limit in limits], reader)
    fitting = [tier for tier, limit in limits if limit >= size]
    if not fitting:
        return f"None of our plans is for {size:,} users: {allowed}. A person from our team can talk with you " \
               "about a larger team."
    yours = ", the one you're on" if fitting[0].name == current else ""
    return f"For {size:,} users, {fitting[0].name} is the plan that fits{yours}: {allowed} users."


def how_they_differ(shown: list[Tier], reader: Reader) -> str:
    """What the dearer plans add to the cheapest one shown, and what they cost more."""
    cheapest, others = shown[0], shown[1:]
    sentences = [what_it_lacks(cheapest, others, reader)]
    for other in others:
        if other.monthly and cheapest.monthly and other.monthly.price > cheapest.monthly.price:
            more = money(other.monthly.price - cheapest.monthly.price, other.monthly.currency, reader)
            sentences.append(f"{other.name} costs {more} a month more.")
    return " ".join(sentences)


def _describe(tier: Tier, reader: Reader, interval: str | None) -> str:
    included = f": {listing(list(tier.includes), reader)}" if tier.includes else ""
    return f"{tier.name} is {tier.prices(reader, interval)}{included}."


def plans_answer(text: str, catalogue: Mapping[str, Plan], *, currency: str, current: Plan | None,
                 topic: Mapping | None, reader: Reader, switchable: bool = True) -> tuple[str, dict]:
    """The answer to a question about plans, and the `plans` topic it leaves. `switchable` is False for
    a proven customer with no subscription: there is nothing for them to switch."""
    all_tiers = tiers(catalogue, currency)
    if not all_tiers:
        return "I don't have our plans' prices in your currency; a person from our team can tell you.", \
            {"kind": "plans"}
    named, interval = _named(text, all_tiers), _interval(text)
    before = topic if topic and topic.get("kind") == "plans" else {}
    if not named and before.get("plans") and not COMPARING.search(text):
        named = [t for t in all_tiers if t.name in before["plans"]]  # "and yearly?": the plan just asked about
    shown = named or all_tiers  # none named: all of them, side by side
    if interval and len(shown) == 1 and (shown[0].yearly if interval == "year" else shown[0].monthly):
        plan = shown[0].yearly if interval == "year" else shown[0].monthly
        monthly = f", the same as {money(plan.price // 12, plan.currency, reader)} a month" \
            if interval == "year" and plan.price % 12 == 0 else ""
        sentences = [f"{plan.display_name} is {money(plan.price, plan.currency, reader)} a {interval}{monthly}."]
    else:
        sentences = [_describe(t, reader, interval) for t in shown]
    if len(shown) == 1 and LACKING.search(text):
        sentences.insert(0, what_it_lacks(shown[0], [t for t in all_tiers if t is not shown[0]], reader))
    if len(shown) > 1 and DIFFERENCE.search(text):  # how they differ, and what hasn't been described yet
        described = set(before.get("plans") or ())
        sentences = [how_they_differ(shown, reader)] + [_describe(t, reader, interval) for t in shown
                                                        if t.name not in described]
    elif len(shown) > 1:
        sentences.insert(0, f"We have {len(shown)} plans:")
    size = team_size(text)
    fit = for_a_team(size, all_tiers, reader, current.name if current else None) if size else None
    if fit:
        sentences.insert(0, fit)
    if SAVING.search(text):
        who = WHO_FOR.search(text)
        if who:
            sentences.append(f"Our plans don't list a discount for {who.group(0).lower()}; a person from our team can "
                             "tell you whether one applies.")
        savings = [saving for saving in (yearly_saving(t, reader) for t in shown) if saving]
        if not savings and any(t.monthly and t.yearly for t in shown):
            savings = ["Paying by the year costs the same as paying monthly."]
        sentences += (["What does save is paying by the year."] if who and savings else []) + savings
    if current is not None and current.currency == currency:
        sentences.append(f"You're on {current.display_name} now, at {money(current.price, current.currency, reader)} "
                         f"a {current.interval}.")
    if not switchable:
        sentences.append("I don't see a subscription on your account, so there's no plan to switch from; "
                         "a person from our team can help you start one.")
    elif current is None or any(t.name != current.name for t in shown):
        sentences.append("Moving between plans is prorated; ask me to switch and I'll show the exact amount first.")
    said = " ".join(sentences)
    return said, {"kind": "plans", "plans": [t.name for t in shown], "currency": currency, "said": said}
