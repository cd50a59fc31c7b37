"""Email as a channel: inbound mail in Mailgun's route format, checked, threaded,
stripped of quotes and signatures and cut into questions; replies composed as one
plain-text and HTML message in the customer's thread.

The Rasa side (channels/email.py) only moves messages; everything here is testable
without Rasa.
"""
from __future__ import annotations

import hashlib
import hmac
import html
import json
import re
from dataclasses import dataclass
from datetime import datetime
from email import message_from_bytes
from email import policy as email_policy
from email.utils import parseaddr

from email_reply_parser import EmailReplyParser
from sqlalchemy import select

from bot.clock import now_utc
from bot.core import messages
from bot.core.constant_time import secret_matches
from bot.core.text import clean_text
from bot.db import models
from bot.db.inbound import AlreadyReceived, receive_once
from bot.db.session import unit_of_work
from bot.email.mailer import send_mail

SIGNATURE_WINDOW_SECONDS = 300
MAX_QUESTIONS = 5  # a long email is answered in its first five questions; people see the rest
MESSAGE_ID = re.compile(r"<[^<>\s]+>")
# What our replies may put in a To header: no spaces, no control characters (a line
# break there would be a header injection, and is refused by the mail library anyway).
ADDRESS = re.compile(r"[^@\s\x00-\x1f\x7f]+@[^@\s\x00-\x1f\x7f]+")
MAX_SUBJECT = 200
SMALL_TALK = re.compile(r"^(hi|hello|hey|dear|thanks|thank you|many thanks|regards|best|cheers|kind regards)\b",
                        re.IGNORECASE)
ANSWER_WORDS = {"/affirm": "YES", "/deny": "NO"}


class ForgedMail(PermissionError):
    """The webhook's signature is wrong or too old, or its token was seen before."""


@dataclass(frozen=True)
class InboundMail:
    sender: str
    subject: str
    message_id: str
    references: tuple[str, ...]  # the thread's Message-IDs, oldest first, this one excluded
    text: str                    # the new part only: no quoted reply, no signature
    sender_verified: bool        # the provider's DKIM or SPF check passed for the sender

    @property
    def conversation_id(self) -> str:
        """One conversation per thread and sender: the thread's first message names it."""
        root = self.references[0] if self.references else self.message_id
        return "email-" + hashlib.sha256(f"{root}|{self.sender}".encode()).hexdigest()[:32]


def verify_mailgun(signing_key: str | None, timestamp: str, token: str, signature: str, now: datetime) -> None:
    """Mailgun signs `timestamp + token` with HMAC-SHA256 and the webhook signing key."""
    if not signing_key:
        raise ForgedMail("inbound mail is not configured (EMAIL_WEBHOOK_SIGNING_KEY)")
    expected = hmac.new(signing_key.encode(), f"{timestamp}{token}".encode(), hashlib.sha256).hexdigest()
    if not secret_matches(signature, expected):
        raise ForgedMail("bad signature")
    try:
        age = abs(now.timestamp() - int(timestamp))
    except ValueError:
        raise ForgedMail("bad timestamp") from None
    if age > SIGNATURE_WINDOW_SECONDS:
        raise ForgedMail("signature too old")


def remember_token(token: str, *, now: datetime, engine=None) -> None:
    """Refuse a token seen before: a replayed webhook must not answer or act twice."""
    try:
        receive_once("mailgun", token, now=now, engine=engine)
    except AlreadyReceived:
        raise ForgedMail("this message was already received (replay)") from None


def parse_mailgun(form: dict) -> InboundMail:
    """A Mailgun route's POST fields, as Mailgun names them."""
    headers = {k.lower(): v for k, v in _message_headers(form)}
    verified = "pass" in {str(form.get("X-Mailgun-Dkim-Check-Result", headers.get("x-mailgun-dkim-check-result", ""))).lower(),
                          str(form.get("X-Mailgun-Spf", headers.get("x-mailgun-spf", ""))).lower()}
    return _mail(sender=form.get("sender") or form.get("from") or "", subject=form.get("subject") or "",
                 message_id=form.get("Message-Id") or headers.get("message-id", ""),
                 references=form.get("References") or headers.get("references", ""),
                 in_reply_to=form.get("In-Reply-To") or headers.get("in-reply-to", ""),
                 body=form.get("body-plain") or "", fallback=form.get("stripped-text") or "", verified=verified)


def parse_raw(raw: bytes) -> InboundMail:
    """An RFC 822 message as a mailbox holds it (the IMAP poller's input). The sender
    counts as verified when the receiving server recorded a DKIM or SPF pass."""
    message = message_from_bytes(raw, policy=email_policy.default)
    body = message.get_body(preferencelist=("plain",))
    text = body.get_content() if body is not None else ""
    results = " ".join(str(v) for v in message.get_all("Authentication-Results") or []).lower()
    return _mail(sender=str(message.get("From", "")), subject=str(message.get("Subject", "")),
                 message_id=str(message.get("Message-ID", "")), references=str(message.get("References", "")),
                 in_reply_to=str(message.get("In-Reply-To", "")), body=text, fallback="",
                 verified="dkim=pass" in results or "spf=pass" in results)


def _mail(*, sender: str, subject: str, message_id: str, references: str, in_reply_to: str, body: str,
          fallback: str, verified: bool) -> InboundMail:
    address = parseaddr(sender)[1].strip().lower()
    if not ADDRESS.fullmatch(address):
        raise ValueError("the message has no valid sender address")
    chain = tuple(MESSAGE_ID.findall(references))
    replied_to = MESSAGE_ID.findall(in_reply_to)
    if replied_to and replied_to[0] not in chain:
        chain = (*chain, replied_to[0])
    text = clean_text(EmailReplyParser.parse_reply(clean_text(body)).strip() or fallback.strip())
    # A subject is one line: folded or forged line breaks would break every reply's headers.
    subject = " ".join(clean_text(subject).split())[:MAX_SUBJECT]
    return InboundMail(sender=address, subject=subject, message_id=(MESSAGE_ID.findall(message_id) or [""])[0],
                       references=chain, text=text, sender_verified=verified)


def _message_headers(form: dict) -> list[tuple[str, str]]:
    try:
        return [(str(k), str(v)) for k, v in json.loads(form.get("message-headers") or "[]")]
    except (ValueError, TypeError):
        return []


def questions(text: str) -> list[str]:
    """The questions in an email: paragraphs, split after each question mark, without
    greetings and sign-offs."""
    found: list[str] = []
    for paragraph in re.split(r"\n\s*\n", text):
        paragraph = " ".join(paragraph.split())
        for part in re.split(r"(?<=\?)\s+", paragraph):
            part = part.strip()
            words = part.split()
            if not words or (len(words) <= 4 and SMALL_TALK.match(part)) or len(words) == 1 and part.endswith(","):
                continue
            found.append(part)
    return found[:MAX_QUESTIONS]


def compose_reply(answers: list[tuple[str, list[dict]]], *, brand: str) -> tuple[str, str]:
    """One reply to all questions: plain text and HTML (escaped), with the choices the
    assistant offered turned into words to reply with."""
    blocks_text, blocks_html = [], []
    several = len(answers) > 1
    for question, replies in answers:
        lines = [r["text"] for r in replies if r.get("text")]
        choices = [b for r in replies for b in r.get("buttons") or []]
        if choices:
            lines.append(messages.reply_with([(ANSWER_WORDS.get(b["payload"], b["title"]), b["title"])
                                              for b in choices]))
        quoted = [f"> {question}"] if several else []
        blocks_text.append("\n".join(quoted + lines))
        blocks_html.append(("<blockquote>" + html.escape(question) + "</blockquote>" if several else "") +
                           "".join(f"<p>{html.escape(line)}</p>" for line in lines))
    sign = messages.email_signature(brand)
    text = "\n\n".join(blocks_text) + f"\n\n-- \n{sign}\n"
    body = "".join(blocks_html) + f"<p>&mdash;<br>{html.escape(sign)}</p>"
    return text, f"<!doctype html><html><body>{body}</body></html>"


def reply_subject(subject: str) -> str:
    return subject if subject.lower().startswith("re:") else f"Re: {subject or 'your message'}"


def remember_thread(mail: InboundMail, *, engine=None, now: datetime | None = None) -> models.EmailThread:
    """Keep where replies in this conversation go (address, subject, thread headers)."""
    now = now or now_utc()
    chain = " ".join((*mail.references, mail.message_id)).strip()
    with unit_of_work(engine) as session:
        thread = session.execute(select(models.EmailThread).where(
            models.EmailThread.conversation_id == mail.conversation_id)).scalar_one_or_none()
        if thread is None:
            thread = models.EmailThread(conversation_id=mail.conversation_id, address=mail.sender,
                                        subject=mail.subject)
            session.add(thread)
        thread.references, thread.updated_at = chain, now
        session.flush()
        session.expunge(thread)
        return thread


def send_in_thread(conversation_id: str, text: str, html_body: str, *, sender: str, engine=None) -> str | None:
    """Reply in the conversation's thread; returns the new Message-ID (None: no thread)."""
    with unit_of_work(engine) as session:
        thread = session.execute(select(models.EmailThread).where(
            models.EmailThread.conversation_id == conversation_id)).scalar_one_or_none()
        if thread is None:
            return None
        address, subject, references = thread.address, thread.subject, thread.references.split()
    message_id = send_mail(address, reply_subject(subject), text, sender=sender, html=html_body,
                           in_reply_to=references[-1] if references else None,
                           references=" ".join(references) or None)
    with unit_of_work(engine) as session:
        thread = session.execute(select(models.EmailThread).where(
            models.EmailThread.conversation_id == conversation_id)).scalar_one()
        thread.references = " ".join([*references, message_id])
    return message_id
