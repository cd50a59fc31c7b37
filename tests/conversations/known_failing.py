"""The conversations of the set that fail on the assistant as it is: the baseline measured
when the set was written (16 of 88 passed; a fallback on 64 of 261 customer turns). Each
runs as xfail(strict=True) in test_conversation_set.py, so the suite stays green while the
work is open; the change that makes one pass must remove its id here (its XPASS fails the
suite until then). Nothing is ever added: the list only shrinks until the set passes whole."""

KNOWN_FAILING: frozenset[str] = frozenset({
    # class 1
    "followup-case-status", "followup-do-it-yourself", "followup-outage-what-would-i-get",
    "followup-trial-then-after", "followup-ticket-email", "followup-fee-kept",
    # class 2
    "offer-question-refund-fee", "offer-question-plan-preview", "offer-question-email",
    # class 3
    "two-trial-and-failed-payment-email",
    # class 6
    "terms-share-login", "terms-end-account", "terms-uptime",
    "terms-data-ownership-email",
    # class 7
    "reasons-unused-then-money-back", "reasons-unused-then-broken", "reasons-unused-then-person",
    "reasons-unused-email", "reasons-late-needs-cancel",
    # class 8
    "why-not-unused", "why-not-period-over", "why-not-twice",
    # class 9
    "email-apple-forward",
    # class 10
    "rest-plan-question", "rest-refund-request", "rest-cancel-request", "rest-terms-then-account",
    # class 11
    "lang-spanish-widget", "lang-german-customer", "lang-french-email", "lang-portuguese-widget",
    "lang-spanish-email",
    # earlier behaviours
    "earlier-trial-visitor",
})
