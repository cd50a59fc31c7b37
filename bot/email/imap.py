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
