"""Outgoing mail: SMTP when SMTP_HOST is set, else a folder of .eml files (local use).

The folder outbox is how `make run` and the tests "deliver" one-time codes on a laptop
with no mail server; an operator points SMTP_HOST at a real relay.
"""
from __future__ import annotations

import smtplib
import time
from email.message import EmailMessage
from email.utils import make_msgid
from pathlib import Path

from bot.settings import settings


def outbox_dir() -> Path:
    return settings().email.outbox_dir


def send_mail(to: str, subject: str, body: str, *, sender: str, html: str | None = None,
              in_reply_to: str | None = None, references: str | None = None) -> str:
    """Send (or, without SMTP_HOST, file) one message; returns its Message-ID."""
    message = EmailMessage()
    message["From"], message["To"], message["Subject"] = sender, to, subject
    message["Message-ID"] = make_msgid(domain=sender.rpartition("@")[2] or None)
    if in_reply_to:
        message["In-Reply-To"] = in_reply_to
        message["References"] = references or in_reply_to
    message.set_content(body)
    if html is not None:
        message.add_alternative(html, subtype="html")
    config = settings().email
    if config.smtp_host:
        with smtplib.SMTP(config.smtp_host, config.smtp_port, timeout=30) as smtp:
            if config.smtp_user:
                smtp.starttls()
                smtp.login(config.smtp_user, config.smtp_password)
            # Not send_message: it flattens with mbox quoting, so an answer that starts a line with
            # "From our terms" reached the customer as ">From our terms".
            smtp.sendmail(sender, [to], message.as_bytes(policy=message.policy.clone(linesep="\r\n")))
        return message["Message-ID"]
    folder = config.outbox_dir
    folder.mkdir(parents=True, exist_ok=True)
    (folder / f"{time.time_ns()}-{to}.eml").write_bytes(bytes(message))
    return message["Message-ID"]
