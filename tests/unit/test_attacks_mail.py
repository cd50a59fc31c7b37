"""Inbound mail an attacker writes (issue 26, items 1, 11 and 12): a sender counts as proven
only by our own receiving server's verdict aligned with the From domain (RFC 8601, RFC 7489),
or by Mailgun's own verdict fields; never by a header the sender could write. Mail in a
charset nobody knows, or with headers nested thousands deep, is still read."""
from __future__ import annotations

import json

import pytest

from bot.email.channel import parse_mailgun, parse_raw

OURS = "mx.grouptrack.example"  # the default receiving server (EMAIL_AUTHSERV_ID)


def mail(*results: str, sender: str = "Dan Weiss <dan@example.com>", body: str = "Please cancel my subscription.",
         charset: str = "utf-8") -> bytes:
    """A message as our mailbox holds it: the Authentication-Results fields top first (the
    receiving server's own on top, what came with the message below)."""
    fields = "".join(f"Authentication-Results: {result}\r\n" for result in results)
    return (f"Return-Path: <bounce@attacker.test>\r\n{fields}From: {sender}\r\nTo: support@grouptrack.example\r\n"
            f"Subject: Cancel\r\nMessage-ID: <m1@example.com>\r\nContent-Type: text/plain; charset={charset}\r\n"
            f"\r\n{body}\r\n").encode()


@pytest.mark.parametrize("results", [
    # the attack as it was run: SPF passed for the attacker's own domain, DMARC failed for the customer's
    ["mx.receiver.test; spf=pass smtp.mailfrom=attacker.test; dmarc=fail header.from=example.com"],
    [f"{OURS}; spf=pass smtp.mailfrom=attacker.test; dmarc=fail header.from=example.com"],
    [f"{OURS}; spf=pass smtp.mailfrom=bounce@attacker.test"],
    [f"{OURS}; spf=pass smtp.helo=example.com"],
    [f"{OURS}; dkim=pass header.d=attacker.test header.i=@attacker.test"],
    [f"{OURS}; dkim=pass header.d=example.com.attacker.test"],
    [f"{OURS}; dkim=pass header.i=@mail.example.com"],  # a subdomain is not the From domain itself
    [f"{OURS}; dmarc=pass header.from=attacker.test"],
    # DMARC's fail outweighs a pass its own evaluation found unaligned
    [f"{OURS}; spf=pass smtp.mailfrom=dan@example.com; dmarc=fail header.from=example.com"],
    # passes that are only comments
    [f"{OURS}; spf=fail (dmarc=pass header.from=example.com) smtp.mailfrom=example.com"],
    [f"{OURS} (dmarc=pass header.from=example.com); spf=softfail smtp.mailfrom=example.com"],
    [f'{OURS}; spf=fail reason="dmarc=pass header.from=example.com" smtp.mailfrom=example.com'],
    # not our server, or a name that merely starts like ours
    ["mx.example; spf=pass smtp.mailfrom=example.com; dmarc=pass header.from=example.com"],
    [f"{OURS}.attacker.test; dmarc=pass header.from=example.com"],
    [f"{OURS}; none"],
    # our server said no; what the sender wrote below it says yes
    [f"{OURS}; spf=softfail smtp.mailfrom=example.com", "mx.friendly.test; dmarc=pass header.from=example.com"],
    [f"{OURS}; dmarc=fail header.from=example.com", f"{OURS}; dmarc=pass header.from=example.com"],
    # a header with our name below another server's is the sender's to write
    ["mx.other.test; spf=none smtp.mailfrom=example.com", f"{OURS}; dmarc=pass header.from=example.com"],
    [],
])
def test_a_pass_that_is_not_our_servers_or_not_for_the_from_domain_proves_nothing(results):
    parsed = parse_raw(mail(*results))
    assert parsed.sender == "dan@example.com" and not parsed.sender_verified


@pytest.mark.parametrize("results", [
    [f"{OURS}; spf=pass smtp.mailfrom=dan@example.com"],
    [f"{OURS}; spf=pass smtp.mailfrom=example.com"],
    [f'{OURS}; spf=pass smtp.mailfrom="dan@EXAMPLE.com"'],
    [f"{OURS} 1; dkim=pass header.i=@example.com"],
    [f"{OURS}; dkim=pass (2048-bit key; unprotected) header.d=example.com header.s=s1 header.b=AbCd"],
    [f"{OURS}; dkim=pass header.d=esp.test; spf=pass smtp.mailfrom=bounces.esp.test; "
     "dmarc=pass (p=reject sp=reject dis=none) header.from=example.com"],
    [f"{OURS} (Postfix (with opendmarc)); dmarc = pass header.from = example.com"],
    # several results in several fields, as a milter per check writes them
    [f"{OURS}; dmarc=pass header.from=example.com", f"{OURS}; dkim=pass header.d=example.com",
     "mx.earlier-hop.test; spf=fail smtp.mailfrom=example.com"],
])
def test_our_servers_pass_aligned_with_the_from_domain_proves_the_sender(results):
    parsed = parse_raw(mail(*results))
    assert parsed.sender == "dan@example.com" and parsed.sender_verified


def test_the_receiving_servers_name_is_configurable(monkeypatch):
    monkeypatch.setenv("EMAIL_AUTHSERV_ID", "mx1.company.test, filter.company.test")
    assert parse_raw(mail("filter.company.test; spf=pass smtp.mailfrom=example.com")).sender_verified
    assert not parse_raw(mail(f"{OURS}; spf=pass smtp.mailfrom=example.com")).sender_verified


def route(**fields) -> dict:
    return {"sender": "dan@example.com", "from": "Dan Weiss <dan@example.com>", "subject": "Cancel",
            "body-plain": "Please cancel my subscription.", "Message-Id": "<m1@example.com>", **fields}


@pytest.mark.parametrize("fields", [
    # Mailgun's DKIM verdict does not say whose signature passed
    {"X-Mailgun-Dkim-Check-Result": "Pass", "X-Mailgun-Spf": "SoftFail"},
    {"X-Mailgun-Dkim-Check-Result": "Pass"},
    # SPF passed for the envelope sender's domain, which is not the From domain
    {"sender": "bounce@attacker.test", "X-Mailgun-Spf": "Pass"},
    # verdicts the sender wrote into the message's own headers
    {"message-headers": json.dumps([["X-Mailgun-Spf", "Pass"], ["X-Mailgun-Dkim-Check-Result", "Pass"],
                                    ["Authentication-Results", "mx.mailgun.org; dmarc=pass header.from=example.com"]])},
])
def test_a_mailgun_route_proves_the_sender_only_by_its_own_aligned_spf_verdict(fields):
    parsed = parse_mailgun(route(**fields))
    assert parsed.sender == "dan@example.com" and not parsed.sender_verified


def test_mailguns_spf_pass_for_the_from_domain_proves_the_sender():
    assert parse_mailgun(route(**{"X-Mailgun-Spf": "Pass"})).sender_verified
    bounce = parse_mailgun(route(**{"sender": "bounce+x1@example.com", "X-Mailgun-Spf": "Pass"}))
    assert bounce.sender == "dan@example.com" and bounce.sender_verified


def test_a_mail_in_a_charset_nobody_knows_is_read_with_a_fallback():
    parsed = parse_raw(mail(f"{OURS}; spf=pass smtp.mailfrom=example.com", charset="x-unheard-of",
                            body="How long is the free trial? Caf\u00e9"))
    assert parsed.text.startswith("How long is the free trial?") and parsed.sender_verified


def test_message_headers_nested_thousands_deep_are_read_as_none():
    parsed = parse_mailgun(route(**{"message-headers": "[" * 7000 + "]" * 7000, "X-Mailgun-Spf": "Pass"}))
    assert parsed.sender_verified and parsed.message_id == "<m1@example.com>"
