"""A real SMTP server for the tests (aiosmtpd), keeping every message it receives."""
from __future__ import annotations

import email
from email import policy

import pytest
from aiosmtpd.controller import Controller

from bot.ops.processes import free_port


class Mailbox:
    def __init__(self):
        self.messages: list[email.message.EmailMessage] = []

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 - aiosmtpd's API
        self.messages.append(email.message_from_bytes(envelope.content, policy=policy.default))
        return "250 OK"

    def to(self, address: str) -> list[email.message.EmailMessage]:
        return [m for m in self.messages if address.lower() in str(m["To"]).lower()]


def serve_mailbox() -> tuple[Mailbox, Controller]:
    """A Mailbox listening on a free port; stop the controller when done."""
    mailbox = Mailbox()
    controller = Controller(mailbox, hostname="127.0.0.1", port=free_port())
    controller.start()
    mailbox.host, mailbox.port = controller.hostname, controller.port
    return mailbox, controller


@pytest.fixture(scope="session")
def smtp():
    mailbox, controller = serve_mailbox()
    yield mailbox
    controller.stop()


def plain_text(message) -> str:
    return message.get_body(preferencelist=("plain",)).get_content()
