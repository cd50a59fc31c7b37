"""The email input channel for Rasa: POST /webhooks/email/inbound takes Mailgun's route
format, /raw a whole message from the IMAP poller. Each sentence of what the customer
wrote now (bot/email/split.py) is first read by the model alone: greetings and thanks
are left out, and a sentence it is not sure of (bot/email/channel.py `triage`) never
reaches the dialogue, so it can neither open a case nor draw a "say it another way";
the reply says once how to reach a person instead. The others go to the assistant as
their own messages in the thread's conversation (the sentences of one refund request
together), with the time the mail was written, and all the answers go back as one reply
in the thread.

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

from bot.app.identity import issue_customer_token
from bot.clock import now_utc
from bot.core.conversation_ids import EMAIL
from bot.email import channel as email_channel
from bot.email.split import questions
from bot.settings import load_policy, settings
from channels.turns import admitted, counted

log = logging.getLogger(__name__)
TOKEN_SECONDS = 600


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
        if answers or unanswered:
            await asyncio.to_thread(self._reply, mail, answers, unanswered)
        # 200 even for an email with no question in it: Mailgun would retry anything else.
        return response.json({"conversation_id": mail.conversation_id, "answered": len(answers),
                              "unanswered": unanswered})

    async def _ask(self, on_new_message, intent_of, mail) -> tuple[list[tuple[str, list[dict]]], int]:
        # Every question in one mail is one delivery: a yes in it cannot answer an offer made to
        # another question of the same mail, which the customer has not seen yet (actions/consent.py).
        metadata = {"delivery": mail.message_id or mail.conversation_id,
                    **({"customer_token": issue_customer_token(mail.sender, ttl_seconds=TOKEN_SECONDS)}
                       if mail.sender_verified else {})}
        if mail.written_at is not None:
            metadata["written_at"] = mail.written_at.isoformat()
        await asyncio.to_thread(email_channel.remember_thread, mail)
        sentences = questions(mail.text)
        groups, unanswered = email_channel.plan_messages(sentences, [await intent_of(s) for s in sentences])
        answers = []
        for group in groups:
            question = " ".join(group)
            if len(group) > 1 and email_channel.triage(*await intent_of(question)) != "ask":
                question = group[0]  # together they read as something else: the first one alone
            collector = CollectingOutputChannel()
            await on_new_message(UserMessage(question, collector, mail.conversation_id,
                                             input_channel=self.name(), metadata=metadata))
            if collector.messages:
                answers.append((question, collector.messages))
            else:
                unanswered += 1
        return answers, unanswered

    def _reply(self, mail, answers, unanswered: int) -> None:
        policy = load_policy()
        text, html_body = email_channel.compose_reply(answers, brand=policy.brand, unanswered=bool(unanswered))
        email_channel.send_in_thread(mail.conversation_id, text, html_body,
                                     sender=self.reply_from or policy.support_email)


def _intent_reader(request: Request) -> Callable[[str], Awaitable[tuple[str | None, float]]]:
    """The intent (and confidence) the running model reads in a sentence, before the
    dialogue sees it."""
    async def intent_of(text: str) -> tuple[str | None, float]:
        return email_channel.reading(await request.app.ctx.agent.parse_message(text))
    return intent_of
