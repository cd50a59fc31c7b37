"""What a customer's message asks, clause by clause.

Rasa reads one intent per message, so "how much is the fee, and can I pay yearly?" got one
answer. `clauses` cuts a message where one question or request ends and the next begins: after
a question mark or a sentence, and at the joins people put between two of them (", and how ...",
"also,", "plus ..."), never inside one ("can I cancel and get a refund?" asks one thing). The channels
have the model read each clause (`reading`), and send them as messages of their own only when
`splits` says they ask different things the model is sure of; `dialogue_order` is the order
the dialogue takes them in. Pure: words and readings in, decisions out.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Sequence

from bot.core.asking import TEXTS_ANSWER_KEY
from bot.core.hesitation import HESITATION_SOUND
from bot.core.topic_questions import INTENT_QUESTIONS

CLAUSE_OF = "clause_of"  # a message's metadata: the whole message this clause of it was asked in
Reading = tuple[str | None, float]  # the intent the model reads and how sure it is of what it means

NOT_SURE = "nlu_fallback"  # the FallbackClassifier's intent
OFF_TOPIC = "out_of_scope"
# A reading, not an intent: what the model did not understand and the company's texts answer. Asked
# like any question (a clause of its own: "how do we cancel, and do we get anything back for the
# rest of the month?"), where a clause the model itself put out of scope keeps the message whole.
ASKED_OF_THE_TEXTS = "asked_of_the_texts"
NOTHING_TO_ANSWER = frozenset({"greet", "thank", "goodbye"})
ANSWERS = frozenset({"affirm", "deny"})  # answers to the assistant's previous turn
FOLLOW_UPS = frozenset(INTENT_QUESTIONS)  # about what was just said
# Reasons for wanting money back: which of them a message gives is the model's first choice, but
# whether it asks for money back at all is how sure the model is of any of them.
MONEY_BACK = frozenset({"request_refund", "late_cancellation", "unused_account", "forgot_subscription"})
REFUND_REASONS = MONEY_BACK | {"technical_problem"}  # answered with a refund decision (data/rules.yml)
# Something of ours is broken: whether a message reports it or asks whether it is known, the model's
# doubt between the two is not doubt that something is broken.
BROKEN = frozenset({"technical_problem", "ask_incident_status"})
# Answered with a refund decision, a person or a confirmation (tests/integration/test_email_channel.py
# keeps this in step with data/rules.yml): a misreading opens a case or confirms a payment, so these
# need more certainty than the chat's fallback threshold. On tests/support/mail the real requests
# score 0.90-1.00; two questions about cancelling read as late_cancellation (0.64, 0.71) and opened
# refund cases until this bar.
ACTS_ON_THE_ACCOUNT = REFUND_REASONS | {"request_human", "affirm"}
SURE_ENOUGH_TO_ACT = 0.8
# What a message can ask the assistant to do to the account or with it: one of these per message,
# so one reply makes at most one offer, and one message never leads to two irreversible steps.
ONE_PER_MESSAGE = REFUND_REASONS | {"cancel_subscription", "change_plan", "undo_change", "request_human"}
# A refund takes the cancellation it needs with it (R1 cancels first): asked together, one request.
SAME_REQUEST = REFUND_REASONS | {"cancel_subscription"}

MAX_CLAUSES = 4  # a message of more parts goes as it is: each clause costs the model a reading
QUESTION_WORD = r"(?:what|what's|whats|when|where|which|who|whom|whose|why|how)\b"
# A question that starts with its verb starts with the verb and who or what it asks about: "and
# can I ..." starts one, "and have been charged" does not.
QUESTION = (rf"(?:{QUESTION_WORD}|(?:is|are|was|were|can|could|do|does|did|will|would|should|shall|may|might|"
            r"have|has|am)\s+(?:i|we|you|it|there|this|that|they|he|she|my|our|your|the|a|an|any|someone)\b)")
REQUEST = (r"(?:please|pls|i'?d like|i would like|i want|i need|we'?d like|we want|we need|let me|tell me|show me|"
           r"send me|give me|cancel|switch|change|upgrade|downgrade|stop|refund|talk to|put me|get me)\b")
# Where a new question or request starts: after a question mark, after a join in front of a
# question or a request ("..., and how ...", "also what ...", "plus can I ..."; ", and if ...?"; a bare "and" only
# in front of a question: "cancel and get a refund" stays one request), and where a new sentence
# starts with a capital ("Thanks, that's clear. Please cancel it."). The join's words are left
# out of the clause that follows.
BOUNDARY = re.compile(
    rf"(?<=\?)\s+(?:(?:and|also|plus)\b[,:]?\s*)*"
    rf"|(?:[,;.!]\s*|\s+)(?:and\s+also|also|plus)\b[,:]?\s+(?=(?:{QUESTION}|{REQUEST}))"
    rf"|[,;.!]\s*and\b[,:]?\s+(?=(?:{QUESTION}|{REQUEST}))"
    # ", and if I cancel now do I keep access?": a supposition starts a question of its own ("if so" does not)
    rf"|(?<=\w)[,;]\s*and\s+(?=if\s+(?!so\b)\w+\s+\w+.*\?)"
    rf"|\s+and\s+(?={QUESTION})"
    r"|(?<=[.!])(?<!\b[A-Z][a-z]\.)\s+(?=(?-i:[A-Z]))",  # not after "Mr." or "Dr."
    re.IGNORECASE)
# What people say before the question ("hmm and how much ..."): no clause of its own, or the model,
# unsure what "hmm" means, would keep the whole message from being asked clause by clause.
FILLER = re.compile(rf"^\W*(?:{HESITATION_SOUND}|ok(?:ay)?|well|so|right|oh|alright|wait)\W*$", re.IGNORECASE)
# "when and how", "where and when": one question asked with two question words.
ENDS_WITH_QUESTION_WORD = re.compile(rf"\b{QUESTION_WORD}\W*$", re.IGNORECASE)


def clauses(message: str) -> list[str]:
    """The message's questions and requests, in order (the message itself when it asks one thing)."""
    found, start = [], 0
    for boundary in BOUNDARY.finditer(message):
        before = message[start:boundary.start()].strip()
        if before and not ENDS_WITH_QUESTION_WORD.search(before):
            found.append(before)
            start = boundary.end()
    rest = message[start:].strip()
    if rest:
        found.append(rest)
    found = [clause for clause in found if not FILLER.match(clause)]
    return found if len(found) > 1 else [message.strip()]


def reading(parsed: dict) -> Reading:
    """The intent the model reads in a text (Rasa's parse) and how sure it is of what it means
    for the reply. "I was charged on the 22nd though I meant to cancel. Can I get my money back?"
    reads late_cancellation 0.66 and request_refund 0.30: unsure which reason, sure it asks for
    money back, so the money-back reasons' confidences add up. A technical problem adds what the
    model gives to asking whether a problem is known ("The scheduler hasn't posted since this
    morning. Posts are stuck." reads technical_problem 0.66, ask_incident_status 0.31): either way
    something is broken, and a ticket is what the customer gets. What the model did not understand
    but the company's texts answer (nlu/knowledge_gate.py) is read as a question for them."""
    intent = parsed.get("intent") or {}
    name, confidence = intent.get("name"), float(intent.get("confidence") or 0.0)
    if name == NOT_SURE and parsed.get(TEXTS_ANSWER_KEY):
        return ASKED_OF_THE_TEXTS, 1.0  # not understood, but the company's texts answer it: asked, not handed over
    family = MONEY_BACK if name in MONEY_BACK else BROKEN if name == "technical_problem" else None
    if family:
        confidence = max(confidence, sum(float(other.get("confidence") or 0.0)
                                         for other in parsed.get("intent_ranking") or []
                                         if other.get("name") in family))
    return name, confidence


def money_back_despite_doubt(ranking: Sequence[dict], *, understood_from: float = 0.5) -> Reading | None:
    """The first reason of a ranking (Rasa's intent ranking, without the fallback) whose only doubt
    is which reason for money back it gives, with its own confidence; None otherwise. The first two
    must both be reasons for money back, the first understood on its own (`understood_from`, the
    FallbackClassifier's threshold), and all of them together sure enough to act (nlu/money_back_gate.py)."""
    if len(ranking) < 2 or not all(r.get("name") in MONEY_BACK for r in ranking[:2]):
        return None
    name, confidence = ranking[0]["name"], float(ranking[0].get("confidence") or 0.0)
    if confidence < understood_from:
        return None
    _, together = reading({"intent": ranking[0], "intent_ranking": list(ranking)})
    return (name, confidence) if together >= SURE_ENOUGH_TO_ACT else None


def triage(intent: str | None, confidence: float) -> str:
    """'ask' the assistant, 'skip' (nothing to answer) or 'unsure' (the model cannot say what it means)."""
    careful = NOTHING_TO_ANSWER | ACTS_ON_THE_ACCOUNT
    if intent in (None, NOT_SURE) or (intent in careful and confidence < SURE_ENOUGH_TO_ACT):
        return "unsure"
    return "skip" if intent in NOTHING_TO_ANSWER else "ask"


def one_problem(readings: Sequence[Reading]) -> list[range]:
    """Runs of adjacent sentences that each read as something of ours being broken, one of them
    not surely: a problem told in several sentences, to be read together ("The post scheduler
    hasn't published anything since this morning." asks whether a problem is known, "Posts are
    just stuck in the queue." is a technical problem at 0.60, together they are one at 0.97)."""
    runs, start = [], None
    for index, (intent, _confidence) in enumerate([*readings, (None, 0.0)]):
        if intent in BROKEN:
            start = index if start is None else start
            continue
        if start is not None and index - start > 1 and \
                any(triage(*readings[k]) == "unsure" for k in range(start, index)):
            runs.append(range(start, index))
        start = None
    return runs


def topic(intent: str | None, index: int) -> object:
    """What a clause is about: clauses of one topic are one request. A follow-up ("how much?")
    is about the clause before it, so it is a topic of its own wherever it stands."""
    if intent in SAME_REQUEST:
        return "refund"
    return (intent, index) if intent in FOLLOW_UPS else intent


def splits(readings: Sequence[Reading]) -> bool:
    """Whether a message whose clauses read so is better asked clause by clause: the model is
    sure of every one, none is a yes or a no (an answer to the previous turn goes as it was
    written) or off topic, and they ask two things or more, or one thing and small talk (left out)."""
    if len(readings) < 2 or len(readings) > MAX_CLAUSES:
        return False
    if any(triage(*r) == "unsure" or r[0] in ANSWERS or r[0] == OFF_TOPIC for r in readings):
        return False
    topics = {topic(intent, i) for i, (intent, _) in enumerate(readings) if intent not in NOTHING_TO_ANSWER}
    return len(topics) > 1 or (len(topics) == 1 and any(intent in NOTHING_TO_ANSWER for intent, _ in readings))


def dialogue_order(intents: Sequence[str | None]) -> list[int]:
    """The order (indices into `intents`) in which the dialogue takes the requests of one message:
    questions first, as asked; then each request that acts on the account, with the follow-ups
    asked right after it ("can I get a refund, and how much is the fee?"). The assistant's offer
    is then the last thing it says, where the customer's next message can answer it (a yes
    answers only the turn just before it, actions/offer_turns.py) and the help widget shows its
    buttons (those of the last message)."""
    questions: list[int] = []
    acting: list[int] = []
    current = questions
    for i, intent in enumerate(intents):
        if intent in ONE_PER_MESSAGE:
            current = acting
        elif intent not in FOLLOW_UPS:
            current = questions
        current.append(i)
    return questions + acting


@dataclass(frozen=True)
class Turn:
    clauses: tuple[int, ...]  # the message's clauses this turn asks (one topic), in order
    intent: str | None        # what the model read in the first of them


@dataclass(frozen=True)
class Plan:
    turns: tuple[Turn, ...]   # messages for the dialogue, in the order it takes them
    later: tuple[str, ...]    # further requests of the message, left for the next one


def chat_plan(readings: Sequence[Reading]) -> Plan | None:
    """How a chat message whose clauses read so goes to the dialogue; None: as it was written.
    Greetings and thanks are left out; clauses of one topic are one turn; one request that acts
    on the account is taken, the first asked, and any other (with its follow-ups) is left for
    the customer to ask next."""
    if not splits(readings):
        return None
    by_topic: dict[object, list[int]] = {}
    for i, (intent, _) in enumerate(readings):
        if intent not in NOTHING_TO_ANSWER:
            by_topic.setdefault(topic(intent, i), []).append(i)
    units = list(by_topic.values())
    intents = [readings[unit[0]][0] for unit in units]
    turns, later, taken, left = [], [], False, False
    for k in dialogue_order(intents):
        if intents[k] in ONE_PER_MESSAGE:
            left, taken = taken, True
            if left:
                later.append(intents[k])
        if not left:  # a follow-up of a request left for later goes with it
            turns.append(Turn(tuple(units[k]), intents[k]))
    return Plan(tuple(turns), tuple(later))
