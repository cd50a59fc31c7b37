"""Outgoing mail: SMTP when SMTP_HOST is set, else a folder of .eml files (local use).

The folder outbox is how `make run` and the tests "deliver" one-time codes on a laptop
with no mail server; an operator points SMTP_HOST at a real relay.
"""
from __future__ import annotations

import os
import smtplib
import time
from email.message import EmailMessage
from pathlib import Path

from bot.config import VAR


def outbox_dir() -> Path:
    return Path(os.environ.get("OUTBOX_DIR") or VAR / "outbox")


def send_mail(to: str, subject: str, body: str, *, sender: str) -> None:
    message = EmailMessage()
    message["From"], message["To"], message["Subject"] = sender, to, subject
    message.set_content(body)
    host = os.environ.get("SMTP_HOST")
    if host:
        with smtplib.SMTP(host, int(os.environ.get("SMTP_PORT", "25")), timeout=30) as smtp:
            if os.environ.get("SMTP_USER"):
                smtp.starttls()
                smtp.login(os.environ["SMTP_USER"], os.environ.get("SMTP_PASSWORD", ""))
            smtp.send_message(message)
        return
    folder = outbox_dir()
    folder.mkdir(parents=True, exist_ok=True)
    (folder / f"{time.time_ns()}-{to}.eml").write_bytes(bytes(message))
