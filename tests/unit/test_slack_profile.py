"""The Slack channel reads a customer's email and time zone from their profile once in a while."""
from __future__ import annotations

import channels.slack
from channels.slack import CustomerSlackInput


class Slack:
    """Stands in for slack_sdk's WebClient: one profile, and how often it was asked."""
    calls = 0

    def __init__(self, **_):
        pass

    def users_info(self, user):
        Slack.calls += 1
        return {"ok": True, "user": {"id": user, "tz": "America/Los_Angeles", "profile": {"email": "Ana@Example.com"}}}


def test_the_profile_gives_the_email_and_the_time_zone_and_is_cached(monkeypatch):
    monkeypatch.setattr(channels.slack, "WebClient", Slack)
    channel = CustomerSlackInput(slack_token="xoxb-test", slack_channel=None, slack_signing_secret="secret")
    assert channel._profile_of("U1") == ("ana@example.com", "America/Los_Angeles")
    assert channel._profile_of("U1") == ("ana@example.com", "America/Los_Angeles")
    assert Slack.calls == 1
