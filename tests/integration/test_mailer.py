"""Outgoing mail over real SMTP arrives as written."""
from __future__ import annotations

from bot.email.mailer import send_mail
from tests.support.smtp_server import plain_text, serve_mailbox


def test_a_line_that_starts_with_from_is_not_quoted_on_the_way(monkeypatch):
    mailbox, controller = serve_mailbox()
    try:
        monkeypatch.setenv("SMTP_HOST", mailbox.host)
        monkeypatch.setenv("SMTP_PORT", str(mailbox.port))
        body = "From our terms, section 6: you keep your data.\n\nFrom here on, café prices in €.\n"
        send_mail("sara@example.com", "Re: data", body, sender="support@grouptrack.example")
        (received,) = mailbox.to("sara@example.com")
        assert plain_text(received).replace("\r\n", "\n") == body
    finally:
        controller.stop()
