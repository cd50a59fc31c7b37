"""For teams with only a mailbox: read new mail over IMAP and hand each message to the
email channel (POST <rasa>/webhooks/email/raw, signed with the same key as the
webhook). A message is marked seen only once the channel took it, and the channel
refuses a message it already had (the token is derived from the mailbox and the
message), so a poller that crashes in between never answers twice.
"""
from __future__ import annotations

import hashlib
import hmac
import imaplib
import logging
import os
import time
import urllib.error
import urllib.request

log = logging.getLogger(__name__)


def sign(key: str, token: str, timestamp: str) -> str:
    return hmac.new(key.encode(), f"{timestamp}{token}".encode(), hashlib.sha256).hexdigest()


def deliver(raw: bytes, token: str, *, channel_url: str, signing_key: str) -> int:
    """POST one message to the email channel; the HTTP status (406: it had it already)."""
    timestamp = str(int(time.time()))
    request = urllib.request.Request(channel_url, data=raw, method="POST", headers={
        "Content-Type": "message/rfc822", "X-Mail-Timestamp": timestamp, "X-Mail-Token": token,
        "X-Mail-Signature": sign(signing_key, token, timestamp)})
    try:
        with urllib.request.urlopen(request, timeout=120) as response:
            return response.status
    except urllib.error.HTTPError as exc:
        return exc.code


def poll_once(imap: imaplib.IMAP4, *, mailbox_id: str, channel_url: str, signing_key: str,
              folder: str = "INBOX") -> int:
    """Hand every unseen message to the channel; returns how many it accepted."""
    imap.select(folder)
    _, found = imap.uid("SEARCH", None, "UNSEEN")
    accepted = 0
    for uid in (found[0] or b"").split():
        _, data = imap.uid("FETCH", uid, "(BODY.PEEK[])")
        raw = next((part[1] for part in data if isinstance(part, tuple)), None)
        if raw is None:
            continue
        token = hashlib.sha256(mailbox_id.encode() + b"/" + uid + b"/" + hashlib.sha256(raw).digest()).hexdigest()
        status = deliver(raw, token, channel_url=channel_url, signing_key=signing_key)
        if status in (200, 406, 400):  # taken, already taken, or never answerable: don't retry
            imap.uid("STORE", uid, "+FLAGS", "(\\Seen)")
            accepted += status == 200
        else:
            log.warning("the email channel answered %s; message %s stays unseen for the next poll", status, uid)
    return accepted


def cmd_email_poll(args) -> int:
    from bot.logs import configure
    configure()
    env = os.environ
    host, user = env.get("IMAP_HOST"), env.get("IMAP_USER")
    key = env.get("EMAIL_WEBHOOK_SIGNING_KEY")
    if not (host and user and key):
        raise ValueError("set IMAP_HOST, IMAP_USER, IMAP_PASSWORD and EMAIL_WEBHOOK_SIGNING_KEY")
    channel_url = env.get("RASA_URL", "http://127.0.0.1:5005").rstrip("/") + "/webhooks/email/raw"
    connect = imaplib.IMAP4_SSL if env.get("IMAP_SSL", "1") == "1" else imaplib.IMAP4
    while True:
        with connect(host, int(env.get("IMAP_PORT") or (993 if connect is imaplib.IMAP4_SSL else 143))) as imap:
            imap.login(user, env.get("IMAP_PASSWORD", ""))
            count = poll_once(imap, mailbox_id=f"{user}@{host}", channel_url=channel_url, signing_key=key)
            print(f"{count} new message(s) answered", flush=True)
        if args.once:
            return 0
        time.sleep(args.interval)


def add_email_poll_command(sub) -> None:
    p = sub.add_parser("email-poll", help="answer mail from an IMAP mailbox (IMAP_* settings)")
    p.add_argument("--interval", type=int, default=30, help="seconds between polls")
    p.add_argument("--once", action="store_true", help="poll once and exit")
    p.set_defaults(func=cmd_email_poll)


def cmd_email_try(args) -> int:
    """Send the local email channel a message as if it came from `sender`, and show the reply."""
    import json
    from bot.mailer import outbox_dir

    from bot.config import DEV_EMAIL_SIGNING_KEY
    key = os.environ.get("EMAIL_WEBHOOK_SIGNING_KEY") or DEV_EMAIL_SIGNING_KEY
    raw = (f"From: {args.sender}\r\nTo: support\r\nSubject: {args.subject}\r\n"
           f"Message-ID: <try-{time.time_ns()}@localhost>\r\nAuthentication-Results: localhost; spf=pass\r\n\r\n"
           f"{args.text}\r\n").encode()
    url = os.environ.get("RASA_URL", "http://127.0.0.1:5005").rstrip("/") + "/webhooks/email/raw"
    before = set(outbox_dir().glob("*.eml")) if outbox_dir().exists() else set()
    status = deliver(raw, f"try-{time.time_ns()}", channel_url=url, signing_key=key)
    print(f"the email channel answered HTTP {status}")
    for path in sorted(set(outbox_dir().glob("*.eml")) - before):
        print(f"--- reply written to {path}\n{path.read_text()}")
    return 0 if status == 200 else 1


def add_email_try_command(sub) -> None:
    p = sub.add_parser("email-try", help="send the local email channel a message and print the reply")
    p.add_argument("sender", help="the From address, e.g. ana@example.com")
    p.add_argument("text")
    p.add_argument("--subject", default="Question")
    p.set_defaults(func=cmd_email_try)
