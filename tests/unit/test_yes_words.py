"""A yes that names a request when nothing was offered: the request it names, never one named in passing."""
from __future__ import annotations

import pytest

from bot.core.yes_words import request_named


@pytest.mark.parametrize("text, named", [
    ("ok cancel it", "cancel_subscription"),          # carla on make run, 2026-12-07, after a what-if
    ("ok whatever, fine, cancel it then", "cancel_subscription"),
    ("sure go ahead and cancel my subscription", "cancel_subscription"),
    ("fine, just refund me then", "request_refund"),
    ("ok", None),
    ("yes please", None),
    ("yes but dont cancel it yet", None),
    ("ok, i'll cancel it myself later", None),
    ("yes, not cancel it", None),
    ("ok cancel that", None),                   # the decline words' "cancel that": never mind, not a request
    ("", None),
    (None, None),
])
def test_the_request_a_yes_names(text, named):
    assert request_named(text) == named
