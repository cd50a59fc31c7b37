"""The email input channel for Rasa: POST /webhooks/email/inbound takes Mailgun's route
format, /raw a whole message from the IMAP poller. Each sentence of what the customer
wrote now (bot/email/split.py; with the questions of a message they forwarded and point at),
or each clause of a sentence that asks several things (bot/core/clauses.py), is first read by
the model alone: greetings and thanks are left out, and what it is not sure of (bot/email/
channel.py `plan_messages`) never reaches the dialogue as it was read, so it can neither open
a case of the wrong kind nor draw a "say it another way": it goes to a person by itself, as a
handoff case whose note holds those sentences, and the reply tells its number. The others go to
the assistant as their own messages in the thread's conversation (the sentences of one refund
request together; requests that act on the account after the questions), with the time the mail
was written, and all the answers go back as one reply in the thread.

A sender whose From address our receiving server or Mailgun proved (bot/email/authentication.py)
is identified with a short-lived customer token, exactly as the web app identifies a
signed-in customer; anyone else is treated as anonymous, as a visitor is.
"""
from __future__ import annotations

import asyncio
import logging
from typing import Any, Awaitable, Callable

from rasa.core.channels.channel import CollectingOutputChannel, InputChannel, UserMessage
from sanic import Blueprint, response
from sanic.request import Request

from bot.app.handoff import OPENED_FOR_IT_KEY, request_person
from bot.app.identity import issue_customer_token
from bot.clock import now_utc
from bot.core.asking import asks
from bot.core.clauses import Reading, clauses, one_problem, reading, splits, triage
from bot.core.conversation_ids import EMAIL
from bot.core.languages import LANGUAGE_KEY
from bot.email import channel as email_channel
from bot.email.split import questions
from bot.settings import load_policy, settings
from channels.turns import admitted, counted
from nlu.language import shared_detector

log = logging.getLogger(__name__)
TOKEN_SECONDS = 600


# A mail's sentences the model could not place that are asked of the dialogue, each a whole turn:
# past these few, a mail of many (a pasted log, a long rant) goes to a person with the rest of them.
UNPLACED_ASKED = 3


class EmailInput(InputChannel):
    @classmethod
    def name(cls) -> str:
        return "email"

    @classmethod
    def from_credentials(cls, credentials: dict[str, Any] | None) -> "EmailInput":
        credentials = credentials or {}
        email = settings().email
        return cls(signing_key=credentials.get("signing_key") or email.webhook_signing_key,
                   reply_from=credentials.get("reply_from") or email.reply_from)

    def __init__(self, signing_key: str | None, reply_from: str | None) -> None:
        self.signing_key, self.reply_from = signing_key, reply_from

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        on_new_message = counted(self.name(), on_new_message)
        hook = Blueprint("email_webhook", __name__)

        @hook.route("/", methods=["GET"])
        async def health(_: Request):
            return response.json({"status": "ok"})

        @hook.route("/inbound", methods=["POST"])
        async def inbound(request: Request):
            form = {key: request.form.get(key) for key in request.form}  # attachments: never read
            return await self._receive(on_new_message, _intent_reader(request), form.get("timestamp", ""),
                                       form.get("token", ""), form.get("signature", ""),
                                       lambda: email_channel.parse_mailgun(form))

        @hook.route("/raw", methods=["POST"])
        async def raw(request: Request):
            """A whole RFC 822 message, from our IMAP poller, signed like Mailgun's webhooks."""
            headers = request.headers
            return await self._receive(on_new_message, _intent_reader(request), headers.get("X-Mail-Timestamp", ""),
                                       headers.get("X-Mail-Token", ""), headers.get("X-Mail-Signature", ""),
                                       lambda: email_channel.parse_raw(request.body))

        return hook

    async def _receive(self, on_new_message, intent_of, timestamp: str, token: str, signature: str, parse):
        """Check the signature, read the mail, refuse a replay, then answer every question in one reply."""
        now = now_utc()
        try:
            email_channel.verify_mailgun(self.signing_key, timestamp, token, signature, now)
            # Read before its token is kept: a mail that fails here (a 500) is not burnt, and
            # the provider's retry (or the next IMAP poll) delivers it again.
            mail = await asyncio.to_thread(parse)
            await asyncio.to_thread(email_channel.remember_token, token, now=now)
        except email_channel.ForgedMail as exc:
            return response.json({"error": str(exc)}, status=406 if "replay" in str(exc) else 401)
        except ValueError as exc:
            return response.json({"error": str(exc)}, status=400)
        if not await admitted(mail.conversation_id, EMAIL):  # 406: Mailgun and the poller do not retry it
            return response.json({"error": "this conversation belongs to another channel"}, status=406)
        answers, unanswered = await self._ask(on_new_message, intent_of, mail)
        if answers:
            await asyncio.to_thread(self._reply, mail, answers)
        # 200 even for an email with no question in it: Mailgun would retry anything else.
        return response.json({"conversation_id": mail.conversation_id, "answered": len(answers),
                              "unanswered": unanswered})

    async def _ask(self, on_new_message, intent_of, mail) -> tuple[list[tuple[str, list[dict]]], int]:
        """Every question to the assistant, and what it cannot answer to a person; the answers,
        and how many sentences went to a person. A question the model did not understand is asked
        of the dialogue all the same, as in a chat: it may be about the thread's topic ("has anyone
        picked this up yet?"), a what-if, or what a plan allows ("can we add more than 3 users?").
        What the dialogue cannot answer goes to a person (its fallback says nothing by email:
        actions/fallback.py)."""
        # Every question in one mail is one delivery: a yes in it cannot answer an offer made to
        # another question of the same mail, which the customer has not seen yet (actions/offer_turns.py).
        metadata = {"delivery": mail.message_id or mail.conversation_id,
                    **({"customer_token": issue_customer_token(mail.sender, ttl_seconds=TOKEN_SECONDS)}
                       if mail.sender_verified else {})}
        if mail.written_at is not None:
            metadata["written_at"] = mail.written_at.isoformat()
        await asyncio.to_thread(email_channel.remember_thread, mail)
        plan = email_channel.plan_messages(*await _read(intent_of, questions(mail.text)))
        answers: list[tuple[str, list[dict]]] = []
        handed_over: list[str] = []

        async def ask(group: list[str], parse_data: dict | None = None) -> bool:
            question = " ".join(group)
            if parse_data is None and len(group) > 1 and triage(*await intent_of(question)) != "ask":
                question = group[0]  # together they read as something else: the first one alone
            collector = CollectingOutputChannel()
            await on_new_message(UserMessage(question, collector, mail.conversation_id, parse_data=parse_data,
                                             input_channel=self.name(), metadata=metadata))
            if collector.messages:
                answers.append((question, collector.messages))
            return bool(collector.messages)

        async def hand_over(sentences: list[str]) -> None:
            # Opened here, with the customer's own words as its note (the dialogue's handoff notes
            # only what it understood), then asked of the dialogue, which tells the case's number
            # and keeps it as the topic of follow-ups ("when will someone get back to me?").
            opened = await asyncio.to_thread(
                request_person, mail.sender if mail.sender_verified else None, now=now_utc(), channel=self.name(),
                conversation_id=mail.conversation_id, note="\n".join(sentences))
            handed_over.extend(sentences)
            await ask(sentences, for_a_person(" ".join(sentences), opened=opened.case_created))

        unanswered = [sentence for sentence in plan.unsure if sentence not in plan.not_understood]
        for number, sentence in enumerate(plan.not_understood):
            if not (number < UNPLACED_ASKED and asks(sentence) and await ask([sentence])):
                unanswered.append(sentence)
        for group in plan.groups[:plan.requests_from]:
            if not await ask(group):  # the dialogue failed it: a person answers it
                unanswered += group
        if unanswered:  # before any request: its offer must be the reply's last question
            await hand_over(unanswered)
        failed = [sentence for group in plan.groups[plan.requests_from:] if not await ask(group) for sentence in group]
        if failed:
            await hand_over(failed)
        return answers, len(handed_over)

    def _reply(self, mail, answers) -> None:
        policy = load_policy()
        text, html_body = email_channel.compose_reply(answers, brand=policy.brand)
        email_channel.send_in_thread(mail.conversation_id, text, html_body,
                                     sender=self.reply_from or policy.support_email)


async def _read(intent_of, sentences: list[str]) -> tuple[list[str], list[Reading]]:
    """The sentences, each replaced by its clauses when they ask different things (bot/core/
    clauses.py), and sentences that tell one problem together as one, with what the model reads
    in each."""
    parts, readings = [], []
    for sentence in sentences:
        pieces = clauses(sentence)
        read = [await intent_of(piece) for piece in pieces] if len(pieces) > 1 else []
        if splits(read):
            parts += pieces
            readings += read
            continue
        # "Thanks. Has anyone picked this up yet?" read whole is thanks, unsurely: the thanks go
        # (they need no answer), and what is left is read on its own.
        kept = [piece for piece, r in zip(pieces, read) if triage(*r) != "skip"]
        if read and kept and len(kept) < len(pieces):
            sentence = " ".join(kept)
        parts.append(sentence)
        readings.append(await intent_of(sentence))
    for run in reversed(one_problem(readings)):  # a problem told in several sentences
        joined = " ".join(parts[k] for k in run)
        read = await intent_of(joined)
        if triage(*read) == "ask":
            parts[run.start:run.stop], readings[run.start:run.stop] = [joined], [read]
    return parts, readings


def for_a_person(text: str, *, opened: bool = False) -> dict:
    """Rasa's reading of `text` as a request for a person: the channel's decision, not the model's;
    with the language it is in when not English, for the hand-off to say so in it first, and
    whether the channel has just opened the case for it (`opened`)."""
    intent = {"name": "request_human", "confidence": 1.0}
    language = shared_detector().other_language(text)
    return {"text": text, "intent": intent, "intent_ranking": [intent], "entities": [], OPENED_FOR_IT_KEY: opened,
            **({LANGUAGE_KEY: language} if language else {})}


def _intent_reader(request: Request) -> Callable[[str], Awaitable[Reading]]:
    """The intent (and confidence) the running model reads in a sentence, before the
    dialogue sees it."""
    async def intent_of(text: str) -> Reading:
        return reading(await request.app.ctx.agent.parse_message(text))
    return intent_of
