"""How a customer can prove who they are, said for the channel they are writing on.

An emailed code proves someone only together with the key a client sends with each message
(the help widget keeps one), so a channel whose messages carry none (a host app's REST calls,
a socket.io widget of another make, an email whose sender could not be verified) must never be
offered one: the customer would type their address, wait for a code and be refused. They are
told instead what does work there.
"""
from __future__ import annotations

import re

# An address as customers type it in a sentence ("it's ana@example.com.").
EMAIL_ADDRESS = re.compile(r"[^@\s<>()\[\],;:\"']+@[^@\s<>()\[\],;:\"']+\.[A-Za-z]{2,}")
# Channels whose own proof is the sender's verified address: a code is no use there either.
BY_SENDER = ("email", "slack")


def how_to_prove(channel: str | None, *, brand: str, support_email: str) -> str:
    """What to do to be identified, for a customer on `channel` whose message carries no proof."""
    if channel == "email":
        return (f"I couldn't confirm that this mail comes from the address on your {brand} account, so I can't "
                f"look at the account from here. Please write to {support_email} from the address you signed up "
                f"with, or sign in to {brand} and open the help chat from your account.")
    if channel == "slack":
        return (f"I couldn't match your Slack profile's email to a {brand} account, so I can't look at an "
                f"account from here. Sign in to {brand} and open the help chat from your account, or email "
                f"{support_email} from the address you signed up with.")
    return (f"To look at your account I need to know it's you, and I can't check that in this chat. Sign in to "
            f"{brand} and open the help chat from your account, or use the help widget on our website, which can "
            f"email you a code. You can also write to {support_email} from the address you signed up with.")


def typed_address_reply(text: str, how: str) -> str | None:
    """An address typed where no code can be sent, after the customer was told how to prove who they
    are: said plainly that it proves nothing here, so no one waits for a code; None if `text` has none."""
    if not EMAIL_ADDRESS.search(text):
        return None
    return f"Thanks, but an address typed here can't prove it's you, and I can't send a code from this chat. {how}"


ADDRESS_LEAD_WORDS = 4  # "my email is", "it's": said with an address, still nothing but the address


def address_alone_reply(text: str) -> str | None:
    """An address typed out of the blue, with no question asked for it ("carla@example.com" as the
    first thing said): it proves nothing by itself, and no passage of the terms answers it. Said so,
    with what happens when the account is needed; None when the message says more than an address."""
    found = EMAIL_ADDRESS.search(text)
    if not found or len((text[:found.start()] + text[found.end():]).split()) > ADDRESS_LEAD_WORDS:
        return None
    return "Thanks. What would you like help with? If it needs your account, I'll first confirm it's you."
