"""Email as a channel: inbound mail in Mailgun's route format or as raw RFC 822, checked,
threaded, split from its signature and quoted history (split.py); replies composed as
one plain-text and HTML message in the customer's thread.

The Rasa side (channels/email.py) only moves messages; everything here is testable
without Rasa.
"""
from __future__ import annotations

import hashlib
import hmac
import html
import re
from dataclasses import dataclass, field
from datetime import datetime
from email import message_from_bytes
from email import policy as email_policy
from email.message import EmailMessage
from email.utils import getaddresses, parsedate_to_datetime

from sqlalchemy import select

from bot.clock import now_utc
from bot.core import messages
from bot.core.clauses import NOT_SURE, ONE_PER_MESSAGE, REFUND_REASONS, Reading, dialogue_order, triage
from bot.core.constant_time import secret_matches
from bot.core.conversation_ids import EMAIL, PREFIXES
from bot.core.text import clean_text, parse_json
from bot.db import models
from bot.db.inbound import AlreadyReceived, receive_once
from bot.db.session import unit_of_work
from bot.email import authentication
from bot.email.html_text import html_to_text
from bot.email.mailer import send_mail
from bot.email.split import split_mail
from bot.settings import settings

SIGNATURE_WINDOW_SECONDS = 300
MESSAGE_ID = re.compile(r"<[^<>\s]+>")
# What our replies may put in a To header: printable ASCII but "@" on each side. No spaces or
# control characters (a line break there would be a header injection), and nothing outside ASCII:
# the mailer writes plain SMTP (no SMTPUTF8), so a fuzzed "0@\x80" was a 500 when the reply was sent.
ADDRESS = re.compile(r"[!-?A-~]+@[!-?A-~]+")
MAX_SUBJECT = 200
ANSWER_WORDS = {"/affirm": "YES", "/deny": "NO"}


class ForgedMail(PermissionError):
    """The webhook's signature is wrong or too old, or its token was seen before."""


@dataclass(frozen=True)
class InboundMail:
    sender: str
    subject: str
    message_id: str
    references: tuple[str, ...]  # the thread's Message-IDs, oldest first, this one excluded
    text: str                    # what the customer wrote now: no quoted history, no signature
    sender_verified: bool        # our receiving server or Mailgun proved the From address (authentication.py)
    written_at: datetime | None = None  # the Date header, in the sender's own UTC offset

    @property
    def conversation_id(self) -> str:
        """One conversation per thread and sender: the thread's first message names it."""
        root = self.references[0] if self.references else self.message_id
        return PREFIXES[EMAIL] + hashlib.sha256(f"{root}|{self.sender}".encode()).hexdigest()[:32]


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
    """A Mailgun route's POST fields, as Mailgun names them. The customer is the From address;
    Mailgun's own verdict fields say whether it is proven, never the message's headers."""
    headers = {k.lower(): v for k, v in _message_headers(form)}
    from_field = form.get("from") or form.get("sender") or ""
    address = sender_address(from_field)
    envelope = _first_address(form.get("sender") or "") or address  # the address Mailgun's SPF check was about
    verified = _one_address(from_field) and authentication.mailgun_proves_sender(form, envelope, address)
    body = form.get("body-plain") or html_to_text(form.get("body-html") or "") or form.get("stripped-text") or ""
    return _mail(sender=address, subject=form.get("subject") or "",
                 message_id=form.get("Message-Id") or headers.get("message-id", ""),
                 references=form.get("References") or headers.get("references", ""),
                 in_reply_to=form.get("In-Reply-To") or headers.get("in-reply-to", ""),
                 body=body, verified=verified, date=form.get("Date") or headers.get("date", ""))


def parse_raw(raw: bytes) -> InboundMail:
    """An RFC 822 message as a mailbox holds it (the IMAP poller's input). The sender is proven
    by the Authentication-Results our receiving server (EMAIL_AUTHSERV_ID) wrote (authentication.py)."""
    message = message_from_bytes(raw, policy=email_policy.default)
    from_fields = [str(value) for value in message.get_all("From") or []]
    address = sender_address(from_fields[0] if from_fields else "")
    results = authentication.our_results([str(v) for v in message.get_all("Authentication-Results") or []],
                                         settings().email.authserv_ids)
    verified = len(from_fields) == 1 and _one_address(from_fields[0]) and authentication.proves_sender(
        results, address)
    return _mail(sender=address, subject=str(message.get("Subject", "")),
                 message_id=str(message.get("Message-ID", "")), references=str(message.get("References", "")),
                 in_reply_to=str(message.get("In-Reply-To", "")), body=body_text(message),
                 verified=verified, date=str(message.get("Date", "")))


def sender_address(field: str) -> str:
    """The first address of a From field, lower-cased; ValueError when there is none a reply could go to."""
    address = _first_address(field)
    if not ADDRESS.fullmatch(address):
        raise ValueError("the message has no valid sender address")
    return address


def _first_address(field: str) -> str:
    found = getaddresses([field])
    return (found[0][1] if found else "").strip().lower()


def _one_address(field: str) -> bool:
    """A From field naming several people proves none of them: whose domain was checked?"""
    return len([address for _, address in getaddresses([field]) if address]) == 1


def body_text(message: EmailMessage) -> str:
    """What the message says, as text: its plain part, else its HTML part as text. A charset
    nobody knows is read as UTF-8, what it almost always is, rather than left unanswered."""
    body = message.get_body(preferencelist=("plain", "html"))
    if body is None:
        return ""
    try:
        content = body.get_content()
    except LookupError:  # the charset's name is unknown to Python
        content = (body.get_payload(decode=True) or b"").decode("utf-8", errors="replace")
    return html_to_text(content) if body.get_content_subtype() == "html" else content


def _mail(*, sender: str, subject: str, message_id: str, references: str, in_reply_to: str, body: str,
          verified: bool, date: str) -> InboundMail:
    chain = tuple(MESSAGE_ID.findall(references))
    replied_to = MESSAGE_ID.findall(in_reply_to)
    if replied_to and replied_to[0] not in chain:
        chain = (*chain, replied_to[0])
    # A subject is one line: folded or forged line breaks would break every reply's headers.
    subject = " ".join(clean_text(subject).split())[:MAX_SUBJECT]
    written = split_mail(clean_text(body)).written
    return InboundMail(sender=sender, subject=subject, message_id=(MESSAGE_ID.findall(message_id) or [""])[0],
                       references=chain, text=written, sender_verified=verified,
                       written_at=_written_at(date))


def _written_at(date: str) -> datetime | None:
    """The Date header with its offset, or None when it is missing or unreadable."""
    try:
        written = parsedate_to_datetime(date)
    except (TypeError, ValueError, IndexError):
        return None
    return written if written.tzinfo is not None else None


def _message_headers(form: dict) -> list[tuple[str, str]]:
    try:
        return [(str(k), str(v)) for k, v in parse_json(form.get("message-headers") or "[]")]
    except (ValueError, TypeError):
        return []


@dataclass(frozen=True)
class MailPlan:
    """What of a mail goes to the assistant: groups of its sentences, one message each, in the
    order the dialogue takes them (bot/core/clauses.py dialogue_order; from `requests_from` on,
    requests that act on the account), and the sentences the model could not read, for a person
    (of them, `not_understood`: those it found no intent in at all, which may still be a question
    about the thread's topic)."""
    groups: list[list[str]]
    requests_from: int
    unsure: list[str]
    not_understood: list[str] = field(default_factory=list)


def plan_messages(sentences: list[str], readings: list[Reading]) -> MailPlan:
    """Greetings and thanks need no answer by email. A sentence the model is not sure of is
    never acted on: by email nobody sees a misreading before it lands in the support queue, so
    it goes to a person as it was written (no "say it another way"). The sentences of a refund
    request ("Can I get a refund? I cancelled a day too late.") are one group: one decision and
    one case for the mail, with the reason the whole request gives, not a case per sentence.
    (A signature block can read as a technical problem above the bar, which is why the
    splitter keeps signatures out in the first place.)"""
    groups: list[list[str]] = []
    intents: list[str | None] = []
    refund: list[str] | None = None
    unsure: list[str] = []
    not_understood: list[str] = []
    for sentence, (intent, confidence) in zip(sentences, readings):
        verdict = triage(intent, confidence)
        if verdict == "unsure":
            unsure.append(sentence)
            if intent in (None, NOT_SURE):
                not_understood.append(sentence)
        if verdict != "ask":
            continue
        if intent in REFUND_REASONS and refund is not None:
            refund.append(sentence)
            continue
        groups.append([sentence])
        intents.append(intent)
        if intent in REFUND_REASONS:
            refund = groups[-1]
    order = dialogue_order(intents)
    requests_from = next((n for n, k in enumerate(order) if intents[k] in ONE_PER_MESSAGE), len(order))
    return MailPlan([groups[k] for k in order], requests_from, unsure, not_understood)


def compose_reply(answers: list[tuple[str, list[dict]]], *, brand: str) -> tuple[str, str]:
    """One reply to all questions: plain text and HTML (escaped), with the choices the
    assistant offered turned into words to reply with."""
    blocks_text, blocks_html = [], []
    several = len(answers) > 1
    for question, replies in answers:
        lines = [r["text"] for r in replies if r.get("text")]
        # A yes, a no, or a choice naming what it chooses (a plan) is something to reply with; a
        # quick reply ("/request_human") is what the customer would simply write, so it is left out.
        choices = [b for r in replies for b in r.get("buttons") or []
                   if "{" in b["payload"] or b["payload"] in ANSWER_WORDS]
        if choices:
            # A yes or no button names its offer ('/affirm{"offer":...}'): by mail it is the word.
            lines.append(messages.reply_with([(ANSWER_WORDS.get(b["payload"].split("{")[0], b["title"]), b["title"])
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
