"""Which follow-up a question asks, whether a message asks at all, and whether it asks hypothetically."""
from __future__ import annotations

import pytest

from bot.core.asking import asks, asks_trial_terms, follow_up_kind, hypothetical


@pytest.mark.parametrize("text, kind", [
    ("has anyone looked at my case yet?", "status"),
    ("any news on my refund", "status"),
    ("is it approved?", "status"),
    ("still waiting on this, where are we", "status"),
    ("when will someone look at my request", "status"),
    ("can't you just do it yourself?", "who_decides"),
    ("why do I need to wait for a person", "who_decides"),
    ("who decides this", "who_decides"),
    ("why does a person have to decide", "who_decides"),   # was read as "why" on make run, 2026-12-06
    ("why is it up to a human", "who_decides"),
    ("and what would I get?", "how_much"),
    ("how much is that", "how_much"),
    ("what would i get back", "how_much"),
    ("how long does that usually take", "when"),
    ("by what date", "when"),
    ("when does it end", "when"),
    ("why not?", "why"),
    ("how come", "why"),
    ("i don't get why", "why"),
    ("and what if they say no", "if_declined"),
    ("what happens if it's turned down?", "if_declined"),
    ("if they dont approve it what then", "if_declined"),
    ("what if my refund gets rejected", "if_declined"),
    ("what if I say no", "what_next"),            # the customer's own no is an offer's what-next
    ("what if they approve it", "what_next"),
    ("hm ok. what exactly counts as using it?", "why"),  # after an R3 refusal, on make run 2026-12-07
    ("what do you mean by that", "why"),
    ("hmm, can i think about it and come back later?", "decide_later"),  # ana during her R1 offer, 2026-12-07
    ("can i sleep on it", "decide_later"),
    ("i need some time to decide", "decide_later"),
    ("can I sign up again later?", "come_back"),
    ("what if I change my mind later", "come_back"),  # ivy during a plan offer on make run, 2026-12-07
    ("could I switch back to the old plan later on if I want", "come_back"),
    ("will I keep access till the end of the month", "access"),
    ("do I lose access immediately", "access"),
    ("can i still use it meanwhile", "access"),   # make run, 2026-12-07: after a ticket, got its reply time
    ("is it billed right away or at the next renewal?", "when"),
    ("wait is that charged now?", "when"),
    ("would i pay that today or at renewal", "when"),
    ("am I charged anything more after that?", "charged_again"),
    ("will anything else get billed", "charged_again"),
    ("Also please confirm nothing else will be charged.", "charged_again"),  # hal by mail after R8, 2026-12-07
    ("is the problem on your side?", "why"),
    # make run, 2026-12-07, ben with his R2 case open: a date past, and how the answer reaches him
    ("hmm ok but what day did you charge me exactly", "charged_on"),
    ("when was i billed", "charged_on"),
    ("when will i be charged again", "charged_again"),
    ("thanks. will i get an email about this?", "how_told"),
    ("will you email me when they decide", "how_told"),
    ("how will i know", "how_told"),
    ("what if I did it next month instead", "decide_later"),   # eve during a plan offer, make run 2026-12-07
    ("can we switch at the renewal instead?", "decide_later"),
    ("why is a person deciding?", "who_decides"),   # ivy during the R2 cancellation offer, 2026-12-07
    ("so nothing at all?", "how_much"),   # wim after an R4 refusal: the texts' "never used" passage, by chance
    ("not even a partial refund?", "how_much"),
    ("ok what now", "what_next"),
    ("do I need to do anything?", "what_next"),
    ("thanks", None),
    ("i want a refund", None),
    ("", None),
    (None, None),
])
def test_the_question_words_name_the_follow_up(text, kind):
    assert follow_up_kind(text) == kind


@pytest.mark.parametrize("text, asking", [
    ("what happens to my contacts if I cancel?", True),
    ("what happens to my contacts if I cancel", True),
    ("and is that automatic", True),
    ("do i keep access", True),
    ("ok, can I still export my data", True),
    ("hmm ok but what day did you charge me exactly", True),   # make run, 2026-12-07: lead-ins pile up
    ("no thanks", False),
    ("leave it as is", False),
    ("cancel my subscription", False),
    ("i changed my mind", False),
])
def test_a_question_is_told_from_an_answer(text, asking):
    assert asks(text) is asking


@pytest.mark.parametrize("text, wondering", [
    ("I'm not cancelling, I just want to know whether I'd get anything back if I did", True),
    ("would I get a refund if I cancelled today?", True),
    ("what would happen if I downgraded", True),
    ("hypothetically, if i quit now do i get money back", True),
    ("ok and can i get a refund if i forget to cancel the trial", True),   # a visitor on make run, 2026-12-07
    ("i forgot to cancel, refund?", False),
    ("if we switched to yearly billing would we be charged straight away?", True),
    ("we switched to yearly last month, can we go back?", False),
    ("Do we lose the scheduler if we move to the cheaper plan?", True),  # forwarded by mail, 2026-12-07
    ("if I go to starter would I lose anything", True),
    ("I want to go yearly", False),
    ("in case I stop, is anything refunded?", True),
    ("and what if I don't cancel before it ends?", True),
    ("if i'd asked within the hour, would it be different", True),
    ("let's say I got charged yesterday, would that be refunded?", True),
    ("I want a refund", False),
    ("please cancel my subscription", False),
    ("I didn't cancel in time and got charged", False),
    ("I cancelled a day late, can I get my money back?", False),
    ("and if i had cancelled yesterday?", True),   # eve on make run, 2026-12-07: a past cancellation supposed
    ("I was charged even though I had cancelled", False),
])
def test_a_hypothetical_question_is_told_from_a_request(text, wondering):
    assert hypothetical(text) is wondering


@pytest.mark.parametrize("text, on_the_trial, expected", [
    # asked right after the trial was explained: its terms answer it
    ("can i cancel before it ends without paying", True, True),
    ("can I cancel before it runs out?", True, True),
    ("do I get charged if I stop before it expires?", True, True),
    # the trial named outright: a question about it wherever it is asked
    ("can I cancel during the free trial?", False, True),
    ("is it possible to stop before my trial ends", False, True),
    # "before it ends" about something else, or a request rather than a question
    ("can i cancel before it ends without paying", False, False),
    ("cancel before the trial ends please", False, False),
    ("can you cancel my subscription", True, False),
    ("I want to cancel without paying the rest of the year", True, False),
])
def test_a_question_about_the_trial_in_cancelling_words(text, on_the_trial, expected):
    assert asks_trial_terms(text, on_the_trial=on_the_trial) is expected
