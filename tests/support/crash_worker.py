"""A customer's refund confirmation carried out in a process that is SIGKILLed mid-way.

`python -m tests.support.crash_worker DB_URL STRIPE_URL DECISION_ID EMAIL before|after NOW OFFER` runs the
real service code (`carry_out_refund`) and kills itself with SIGKILL either just before
the refund request reaches Stripe (the ledger row is claimed) or just after Stripe
answered (before the ledger records it): the two windows in which a crash can leave
money half-moved.
"""
from __future__ import annotations

import os
import signal
import sys

from bot.app.refunds import carry_out_refund
from bot.billing.gateway import StripeGateway
from bot.core.timeutil import parse_utc
from bot.db.session import make_engine


class DiesAroundRefund:
    def __init__(self, gateway: StripeGateway, when: str):
        self.gateway, self.when = gateway, when

    def __getattr__(self, name):
        return getattr(self.gateway, name)

    def refund(self, *args, **kwargs):
        if self.when == "before":
            os.kill(os.getpid(), signal.SIGKILL)
        result = self.gateway.refund(*args, **kwargs)
        os.kill(os.getpid(), signal.SIGKILL)
        return result


def main(db_url: str, stripe_url: str, decision_id: str, email: str, when: str, now: str, consent: str) -> None:
    gateway = DiesAroundRefund(StripeGateway("sk_test_local", api_base=stripe_url), when)
    carry_out_refund(int(decision_id), email=email, consent=consent, now=parse_utc(now),
                     gateway=gateway, engine=make_engine(db_url))
    sys.exit("the worker was meant to be killed")


if __name__ == "__main__":
    main(*sys.argv[1:])
