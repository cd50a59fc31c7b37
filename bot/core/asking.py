"""What kind of question a message asks, read off its words: the context-free half of
understanding a follow-up.

The intent model says *that* a message is a follow-up ("and what would I get?", "has anyone
looked at it yet?"); which question it is (when, why, how much, what now, where things stand,
why a person decides) is a small closed set, told apart by its question words, and answered from
what the conversation is about (bot/core/topic_answers.py). A question is only ever read as a
follow-up while the conversation has a topic; without one it is an ordinary question.

Also: whether a message asks (a question is answered, never taken as a no to an open offer),
and whether it asks hypothetically ("would I get anything back if I cancelled?"), which is
answered in conditional words and moves nothing.
"""
from __future__ import annotations

import re

FOLLOW_UP_KINDS = ("status", "who_decides", "decide_later", "come_back", "if_declined", "how_told", "paid_to",
                   "charged_on", "charged_again", "access", "when", "why", "how_much", "what_next")

# The first kind whose words a question has wins, so the specific come before the general:
# "when will someone look at my case" asks where things stand, not a date in the abstract.
_KIND_WORDS: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("status", re.compile(r"""
        \b(any(one|body)|some(one|body)|a\s+person|(a|the)\s+team|an?\s+agent)\b.*\b(look|check|review|seen|got|pick)
      | \b(any|an?)\s+(news|update|progress|word|answer|reply)\b | \bstatus\b | \bstill\s+(waiting|open|pending)\b
      | \b(heard|hear)\s+(back|anything)\b | \bwhere\s+(are\s+we|is\s+(it|that|my))\b
      | \b(has|have|did)\s+(it|that|this|my\s+\w+)\s+(been|got)\s+(approved|looked|seen|reviewed|decided|done)
      | \b(is|was)\s+(it|that|this|my\s+\w+)\s+(approved|decided|done|sorted|processed|through)\b
    """, re.IGNORECASE | re.VERBOSE)),
    ("who_decides", re.compile(r"""
        \b(can'?t|cannot|could(n'?t)?|why\s+(can'?t|don'?t|won'?t))\s+you\s+(just\s+)?(do|decide|approve|sort|handle|fix|give|pay|refund)
      | \bwhy\s+(do(es)?\s+)?(i|it|this)\s+(need(\s+to\s+wait\s+for)?|have\s+to\s+wait\s+for|wait\s+for|go\s+to)
        \s+(a\s+)?(person|human|someone|team|agent)
      | \bwhy\s+(a|do\s+i\s+need\s+a)\s+(person|human)\b | \bwho\s+(decides|approves|makes\s+the\s+call)\b
      | \b(do\s+it|decide)\s+yourself\b | \bare\s+you\s+(not\s+)?allowed\b
      | \bwhy\s+(does|do|must|should|would|is)\s+(a\s+|the\s+|your\s+)?(person|human|someone|team|agent|people)\s+
        (have\s+to\s+|need\s+to\s+|got\s+to\s+)?(decid(e|ing)|approv(e|ing)|look|check|review|be(ing)?\s+involved)
      | \bwhy\s+is\s+(it|this|that)\s+up\s+to\s+(a\s+|the\s+|your\s+)?(person|human|someone|team|agent)
    """, re.IGNORECASE | re.VERBOSE)),
    # Whether an offer can wait: taking time to decide before saying yes ("can I think about it and
    # come back later?", "what if I did it next month instead?"), not signing up again, which the next
    # kind asks.
    ("decide_later", re.compile(r"""
        \bthink\s+(about\s+it|it\s+over|on\s+it)\b | \bsleep\s+on\s+it\b | \bmull\s+it\s+over\b
      | \b(decide|answer|confirm|say\s+yes)\s+(later|tomorrow|another\s+time)\b | \bget\s+back\s+to\s+you\b
      | \b(give\s+me|need|take)\s+(some|a\s+(bit\s+of|little|few))\s+(time|days?|hours?)\b
      | \bcome\s+back\s+(to\s+(it|this|you)|and\s+(decide|say|confirm|answer))\b
      | \b(do|did|doing|switch\w*|mov(e|ed|ing)|chang(e|ed|ing)|cancel\w*|stop\w*)\s+(it\s+|that\s+)?
        (next\s+(month|week)|at\s+(the\s+)?(next\s+)?renewal|later(\s+on)?|in\s+(a\s+few|\d+|two|three)\s+(days|weeks))\b
      | \bschedule\b | \bwait\s+(until|till)\b
    """, re.IGNORECASE | re.VERBOSE)),
    # Whether the way stays open: signing up again, switching back later.
    ("come_back", re.compile(r"""
        \b(sign\s*up|subscribe|join|register)\s+again\b | \bre-?subscribe\b | \bre-?join\b | \bcome\s+back\b
      | \b(go|switch|change|move)\s+(it\s+)?back\b.*\b(later|one\s+day|in\s+future|if\s+i\s+want)\b
      | \b(if|when)\s+i\s+change\s+my\s+mind\s+(later|afterwards|down\s+the\s+line)\b
    """, re.IGNORECASE | re.VERBOSE)),
    # What happens if the people deciding say no: not a what-if of the customer's own doing.
    ("if_declined", re.compile(r"""
        \b(what\s+(happens\s+)?|and\s+|so\s+|but\s+)?if\s+(they|you|the\s+team|your\s+team|someone|the\s+person|it|that)
        \s+(say|says|said)\s+no\b
      | \bif\s+(they|you|the\s+team|your\s+team|someone|the\s+person)\s+
        (refuse|decline|reject|deny|turn\s+(it|me|that)\s+down
         |don'?t\s+(approve|agree|accept)|won'?t\s+(approve|agree|accept|give|do)|can'?t\s+(approve|agree|give|do))
      | \bif\s+(it|that|this|my\s+\w+)(\s+is|\s+gets|\s+was|'s)\s+
        (not\s+approved|declined|refused|rejected|denied|turned\s+down)
      | \b(if|when)\s+(the\s+)?answer\s+is\s+no\b
    """, re.IGNORECASE | re.VERBOSE)),
    # How the answer will reach the customer: here, or by email.
    ("how_told", re.compile(r"""
        \b(will|would|do|does|can|could|should)\s+(you|they|someone|the\s+team|your\s+team)\s+
        (e-?mail|notify|message|write\s+to|contact)\s+me\b
      | \b(will|would|do|does|should)\s+i\s+(get|receive|be\s+sent)\s+(an?\s+)?(e-?mail|mail|notification|message)\b
      | \bhow\s+(will|would|do|should|shall)\s+i\s+(know|hear|find\s+out|be\s+told|be\s+notified|get\s+the\s+answer)\b
    """, re.IGNORECASE | re.VERBOSE)),
    # Where money given back goes: to the card, or as credit on the account.
    ("paid_to", re.compile(r"""
        \b(go|goes|going|went|come|comes|back|refunded|returned|paid|credited|sent)\s+(back\s+)?(to|on|onto)\s+
        (my|the|your)\s+((credit|debit|bank)\s+)?card\b
      | \bcard\s+or\s+(as\s+)?(a\s+)?(store\s+|account\s+)?credit\b
      | \bcredit\s+or\s+(cash|money|a\s+refund|my\s+card)\b
      | \b(cash|money)\s+(back\s+)?or\s+(as\s+)?(a\s+)?credit\b
      | \bwhere\s+(does|will|would|did)\s+(the\s+)?(money|refund|it)\s+go\b
    """, re.IGNORECASE | re.VERBOSE)),
    # When the payment the conversation is on was taken: a day past, not a wait.
    ("charged_on", re.compile(r"""
        \b(when|what\s+(day|date|time))\b.{0,25}\b(did|was|were|have|has)\s+(you|they|i|we|it)\s+(been\s+)?
        (charge|charged|bill|billed|take|taken|took|pay|paid)\b
    """, re.IGNORECASE | re.VERBOSE)),
    # Whether more will be charged: after a refusal, not how much would have come back.
    ("charged_again", re.compile(r"""
        \b(charged?|billed?|taken|pay)\b.{0,30}\b(again|anything|more|extra|else|further)\b
      | \b(anything|nothing)\s+(else\s+|more\s+)?((will|would)\s+)?((be|get|gets|is)\s+)?
        (to\s+pay|charged|billed|taken)\b
      | \b(more|further|another)\s+(charges?|payments?)\b
    """, re.IGNORECASE | re.VERBOSE)),
    ("how_much", re.compile(r"""
        \bhow\s+much\b | \bwhat\s+(would|will|do|did|could)\s+i\s+(get|receive|be\s+paid|get\s+back)\b
      | \b(what|which)\s+(amount|sum|price)\b | \bhow\s+big\b | \bhow\s+many\s+(dollars|euros|pounds|yen)\b
      | \bwhat'?s\s+(it|that)\s+(worth|come\s+to)\b | \bthe\s+(amount|total)\b | \bcost\b
      | \bnothing\s+(at\s+all|back|whatsoever)\b | \bnot\s+even\s+(a\s+)?(bit|little|part|partial|some)\b
    """, re.IGNORECASE | re.VERBOSE)),
    # Whether the customer can go on using the product meanwhile: until when, where a date decides it
    # (STAND_INS), and "nothing changes while they look" where a person is deciding something.
    ("access", re.compile(r"""
        \b(still|keep)\b.{0,25}\b(access|log\s*in|login|use\s+it|using\s+it|get\s+in)\b
      | \blose\s+(my\s+|the\s+)?access\b
      | \b(use|using)\s+(it|the\s+app|the\s+account)\s+(meanwhile|in\s+the\s+meantime|while)\b
    """, re.IGNORECASE | re.VERBOSE)),
    ("when", re.compile(r"""
        \bwhen\b | \bhow\s+(long|soon|quickly)\b
      | \bhow\s+many\s+(more\s+)?(days|weeks|months)\s+(are\s+|do\s+i\s+have\s+)?(left|until|till|before|remaining)\b
      | \bby\s+(what|which)\s+(time|date|day)\b | \bwhat\s+(date|day|time)\b
      | \b(till|until)\s+when\b | \bany\s+idea\s+of\s+timing\b
      | \b(charged?|billed?|pay|paid|applied)\b.{0,20}
        \b(straight\s+away|right\s+away|immediately|now|today|up\s*front|at\s+(the\s+)?(next\s+)?renewal)\b
    """, re.IGNORECASE | re.VERBOSE)),
    ("why", re.compile(r"""
        \bwhy\b | \bhow\s+come\b | \bwhat\s+for\b | \bwhat'?s\s+the\s+reason\b | \bon\s+what\s+(basis|grounds)\b
      | \bexplain\b | \bi\s+don'?t\s+(get|understand)\s+(it|why|that)\b
      | \bwhat\s+(exactly\s+)?(counts|qualifies|is\s+counted)\s+as\b | \bwhat\s+do\s+you\s+mean\b
      | \b(your|our)\s+(end|side)\b | \b(my|your)\s+fault\b
    """, re.IGNORECASE | re.VERBOSE)),
    ("what_next", re.compile(r"""
        \bwhat\s+(now|next|happens|then|do\s+i\s+do|should\s+i\s+do|if)\b | \b(and\s+)?then\s+what\b | \bnext\s+step
      | \bwhat\s+do\s+i\s+need\s+to\s+do\b | \bdo\s+i\s+(need|have)\s+to\s+do\s+anything\b | \bis\s+that\s+(it|all)\b
    """, re.IGNORECASE | re.VERBOSE)),
)

# Its lead-in words may pile up: "hmm ok but what day did you charge me".
_QUESTION_START = re.compile(
    r"^\W*(and\s+|but\s+|so\s+|ok(ay)?,?\s+|hmm+,?\s+|wait,?\s+|actually,?\s+|also,?\s+|(hi|hey|hello)(\s+there)?,?\s+)*"
    r"(what|whats|what's|why|how|when|where|who|which|is|are|do|does|did|can|could|will|would|should|shall|"
    r"has|have|am|may|might|isn'?t|aren'?t|don'?t|doesn'?t|won'?t|can'?t)\b", re.IGNORECASE)

_HYPOTHETICAL = re.compile(r"""
    \b(if|were)\s+(i|we)\s+(did|were\s+to|was\s+to|decided|chose|cancel(l?ed)?|stop(ped)?|quit|left|asked|
                             downgraded?|upgraded?|switch(ed)?|went|go|move[d]?|change[d]?|forg[eo]t|forgotten)\b
  | \bwould\s+(i|we)\s+(get|be|have|receive|lose|keep|still|pay)\b
  | \bwhat\s+(would|will)\s+happen\s+if\b | \bwhat\s+if\s+(i|we)\b | \bhypothetical(ly)?\b | \bin\s+theory\b
  | \b(just|only)\s+(want(ed)?|wondering|asking|curious|checking)\b | \bnot\s+(cancell?ing|going\s+to\s+cancel)\b
  | \bsuppos(e|ing)\s+i\b | \bin\s+case\s+i\b
  | \bif\s+i\s+(don'?t|dont|do\s+not|didn'?t|never)\b | \bif\s+i'd\b | \b(say|imagine|let'?s\s+say)\s+i\b
  | \bif\s+(i|we)\s+had\s+(already\s+)?(cancell?ed|stopped|quit|left|asked|downgraded|switched)\b
  | \bwould\s+(that|it|this)\s+(be|get)\s+(refunded|charged|credited|paid\s+back)\b
""", re.IGNORECASE | re.VERBOSE)


_DURING_THE_TRIAL = re.compile(r"""
    \b(during|in)\s+(the|my|your)\s+(free\s+)?trial\b
  | \b(before|until)\s+(the|my|your)\s+(free\s+)?trial\s+(ends|is\s+over|runs\s+out|expires|finishes)\b
""", re.IGNORECASE | re.VERBOSE)
_BEFORE_IT_ENDS = re.compile(r"""
    \b(before|until)\s+(it|that)\s+(ends|is\s+over|runs\s+out|expires|finishes)\b
  | \bwithout\s+(paying|being\s+charged|getting\s+charged|a\s+charge|any\s+charge)\b
""", re.IGNORECASE | re.VERBOSE)


def asks_trial_terms(text: str | None, *, on_the_trial: bool) -> bool:
    """A question about what the trial allows, in cancelling words ("can I cancel during the trial?";
    right after the trial was explained, "can I cancel before it ends without paying?"): the trial's
    terms answer it, where a cancellation offer would ask a visitor to prove an account first."""
    words = text or ""
    return asks(words) and bool(_DURING_THE_TRIAL.search(words) or (on_the_trial and _BEFORE_IT_ENDS.search(words)))


def follow_up_kind(text: str | None) -> str | None:
    """Which follow-up question the words ask, or None when they name none."""
    words = text or ""
    return next((kind for kind, pattern in _KIND_WORDS if pattern.search(words)), None)


def asks(text: str | None) -> bool:
    """A question, by its mark or its first word ("what happens to my contacts if I cancel")."""
    words = (text or "").strip()
    return words.endswith("?") or bool(_QUESTION_START.match(words))


def hypothetical(text: str | None) -> bool:
    """Asked about what would happen, not asked for ("would I get anything back if I cancelled?")."""
    return bool(_HYPOTHETICAL.search(text or ""))


# Intents whose answer is general (a terms answer, small talk) or starts something the customer can
# still decline (a cancellation or plan offer, the account's summary): a question the model put
# there without conviction, which the company's texts answer clearly, is answered from the texts.
# Refund reasons are never taken over: they decide money, and a person reviews what they cannot.
# The trial and billing intents answer the customer's own trial and plan (actions/own_facts.py), so
# "and on yearly billing?" after a plan question is theirs, not the terms'.
TEXTS_MAY_ANSWER = frozenset({
    "ask_refund_fee", "ask_failed_payment", "ask_export_data",
    "cancel_subscription", "change_plan", "check_subscription", "chitchat", "out_of_scope"})
# The parse data's key naming the passage of the company's texts that answers a message the model did
# not understand (nlu/knowledge_gate.py): the email channel asks the dialogue such a sentence rather
# than handing it to a person, and the fallback answers it from the texts.
TEXTS_ANSWER_KEY = "texts_answer"
UNSURE_BELOW = 0.8          # the model's confidence under which its reading may be taken over
TEXTS_CLEARLY_ANSWER = 0.15  # the knowledge base's lead over the runner-up (its own threshold is 0.02)
# For a message the model did not understand at all: chosen on the mail corpus (tests/support/mail),
# above "please see below, can you answer this?" (0.028) and small talk ("howdy", 0.035), below
# "is this the yearly price or the monthly one?" (0.045) and "can I cancel now but keep access?" (0.107).
TEXTS_ANSWER_UNDERSTOOD_NOTHING = 0.04


def texts_may_correct(intent_passages: frozenset[str], confidence: float, text: str) -> float | None:
    """How clearly the texts must answer a question the model read without conviction as an intent
    whose answer is one of their passages (`intent_passages`), from another passage, for it to be
    answered from them; None when the reading stands. The same lead as for a message not understood
    at all: a reading the texts contradict is one the model did not understand."""
    if intent_passages and confidence < UNSURE_BELOW and asks(text) and not hypothetical(text):
        return TEXTS_ANSWER_UNDERSTOOD_NOTHING
    return None


def texts_may_answer(intent: str | None, confidence: float, text: str,
                     *, not_understood: str = "nlu_fallback") -> float | None:
    """How clearly the company's texts must answer a message for it to be answered from them rather
    than as the model read it, or None when it keeps the model's reading: anything the model did not
    understand that the texts answer with some lead (by their own threshold, 0.02, "please see below,
    can you answer this?" was section 16's contact line: by email it then went to no one), and a question
    read without conviction as one of TEXTS_MAY_ANSWER that they answer clearly ("can you close my
    account whenever you want?" is not a cancellation). A what-if is the rules' to answer."""
    if intent == not_understood:
        return TEXTS_ANSWER_UNDERSTOOD_NOTHING
    if intent in TEXTS_MAY_ANSWER and confidence < UNSURE_BELOW and asks(text) and not hypothetical(text):
        return TEXTS_CLEARLY_ANSWER
    return None


# "is there a minimum commitment?", "would I be tied into a contract?": a yes-or-no question about the
# billing terms, answered "no" first, not with the billing cycle's general sentence again
_MINIMUM_TERM = re.compile(r"""
    \bminimum\s+(term|commitment|contract|period|length|subscription)\b | \bcommit(ment|ted)?\b
  | \block(ed)?[\s-]*in\b | \btied\s+(in|into|to)\b | \bcontracts?\b | \bnotice\s+period\b
""", re.IGNORECASE | re.VERBOSE)


def asks_minimum_term(text: str | None) -> bool:
    return bool(_MINIMUM_TERM.search(text or ""))
