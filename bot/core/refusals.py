"""What the assistant says after a refusal, when the customer pushes back.

- "Why not?" (issue 28, class 8): the refusal's reason again in other words, never its own
  sentence, and a person offered. Asked again, a further explanation rather than the same text;
  after those, plainly that a person is the way on. `why_not(rule, told)` gives the next one.
- The same request without a new fact (class 7): the reason the customer gave stands, and the
  answer says so rather than handing "I want my money back" to a person as a new request.
- R2 for a subscription that still renews: a partial refund is reviewed only for a customer who
  has cancelled or agrees to cancel, so the assistant asks first.

Pure: plain values in, sentences out; the counting lives in the conversation (a slot).
"""
from __future__ import annotations

import re
from collections.abc import Mapping

from bot.core.formatting import Reader, money

REFUSED_RULES = ("R3", "R4", "R8")
# The way to a person, said differently each time, so an explanation asked for again never
# ends in the sentence the last one ended in.
PERSON_WAYS = ("If you'd like someone to look at it again, a person from our support team can: press \"Talk to a "
               "person\" or just ask.",
               "A person from our support team can review it with you: ask for one and I'll pass it on.",
               "Shall I pass it to a person? Press \"Talk to a person\", or say so.")
PERSON_WAY_MAIL = "If you'd like a person from our support team to look at it again, reply \"I want to talk to a " \
                  "person\"."
PERSON_WAY = PERSON_WAYS[0]

# rule -> explanations in order; each in words no other one (nor the refusal) uses.
WHY_NOT: dict[str, tuple[str, ...]] = {
    "R3": (
        "A subscription pays for the account being there for you, whether or not you log in, a bit like a gym "
        "membership. Only a payment from the last {window} hours can be returned automatically, and yours is older "
        "than that.",
        "I know it's frustrating to pay for something you didn't get to use. Our terms tie refunds to time, not "
        "use: outside the first {window} hours after a payment, how much the account was used doesn't change it, "
        "and I'm not able to make exceptions myself.",
    ),
    "R4": (
        "Once a payment goes through, the subscription keeps running until someone stops it, and looking after "
        "that is up to the account holder. Only a payment from the last {window} hours can be returned "
        "automatically, and yours is older than that.",
        "I know it's annoying to find a charge you'd forgotten about. Our terms only allow an automatic refund in "
        "the first {window} hours after a payment, and I'm not able to make exceptions myself.",
    ),
    "R8": (
        "That payment bought a period that has now run its course, and your account had access for all of it. "
        "Our terms only return fees where the law requires it, and never for a period that's already over.",
        "I understand this isn't the answer you hoped for. Once a paid period is over there's nothing of it "
        "left to give back, and I'm not able to make exceptions myself.",
    ),
}
# Past the explanations: two ways of saying a person is the way on, taken in turn, so no answer is the one before.
ENOUGH = ("I've told you everything I know about it, and I'd only be repeating myself: a person from our team is "
          "the one who can look at it afresh.",
          "There's nothing I can add to what I've said, I'm afraid; our support team can take it from here.")


def why_not(rule: str | None, told: int, *, window_hours: int, by_mail: bool = False) -> str | None:
    """The `told`-th (0-based) explanation of refusal `rule` and the way to a person; None for
    a rule with no refusal to explain (the general follow-up answers then)."""
    reasons = WHY_NOT.get(rule or "")
    if reasons is None:
        return None
    said = reasons[told].format(window=window_hours) if told < len(reasons) else \
        ENOUGH[(told - len(reasons)) % len(ENOUGH)]
    return f"{said} {PERSON_WAY_MAIL if by_mail else PERSON_WAYS[told % len(PERSON_WAYS)]}"


# A new fact that leaves the same payment refused: said before the next explanation, never the refusal again.
SAME_ANSWER = "Thanks for telling me, but it doesn't change the answer, I'm afraid."

REASON_NAMES = {"unused_account": "you haven't used the account",
                "forgot_subscription": "you'd forgotten about the subscription"}


def reason_stands(reason: str) -> str:
    """Said before the same refusal when the customer asks again without a new fact."""
    return (f"I've gone by what you told me, that {REASON_NAMES.get(reason, 'nothing has changed')}, and asking "
            "again doesn't change the answer. If something else happened (it didn't work for you, or you tried "
            "to cancel in time), tell me and I'll look at it again.")


def review_needs_cancelling(decision: Mapping, reader: Reader) -> str:
    """R2 for a subscription that still renews: what a person could refund, once it's cancelled."""
    def cash(key: str) -> str:
        return money(decision[key], decision["currency"], reader)
    return (f"A refund for the unused part of your latest payment is at our support team's discretion, and they "
            f"can only look at it once the subscription is cancelled. We'd propose {cash('refund')} "
            f"({cash('base')} unused, less a {cash('fee')} processing fee); a person decides the amount.")


_OBJECTION = re.compile(r"""
    \b(not|isn'?t|un)\s*fair\b | \bunfair\b | \bridiculous\b | \brip\W?off\b | \bscam\b | \boutrageous\b
  | \bunacceptable\b | \bdisgrace(ful)?\b | \bi\s+(don'?t|do\s+not)\s+accept\b | \bi\s+disagree\b
  | \bthat'?s\s+(a\s+joke|wrong|absurd|crazy|insane)\b | \bcome\s+on\b
""", re.IGNORECASE | re.VERBOSE)


def objects(text: str | None) -> bool:
    """The customer objects to the answer ("that's not fair") rather than asking or answering."""
    return bool(_OBJECTION.search(text or ""))


def objection() -> str:
    return ("I'm sorry this isn't the answer you wanted, and I understand why it feels unfair. I can't change the "
            "rule myself, but a person from our support team can look at it with you: press \"Talk to a person\".")


STATED_REASON = "stated_reason"  # the slot (domain.yml) of the reason given, which stands until a new fact


def standing_reason(asked: str, stated: str | None) -> str:
    """The reason a refund request is decided on: a request that gives no reason ("I want my money
    back") keeps the one the customer gave earlier in the conversation; a new fact replaces it."""
    return stated if asked == "unspecified" and stated else asked
