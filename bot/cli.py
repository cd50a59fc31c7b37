"""The `bot` command (contracts.md section 3). Errors are one line on stderr, never a traceback."""
from __future__ import annotations

import argparse
import json
import sys
import tempfile
from datetime import datetime, timezone
from pathlib import Path

from bot import repository, rules
from bot.config import settings
from bot.domain import Reason
from bot.policy import PolicyError, load_policy
from bot.seed import SeedError, parse_seed
from bot.timeutil import parse_utc


class UsageError(Exception):
    pass


class _Parser(argparse.ArgumentParser):
    def error(self, message):  # one line, not argparse's usage block
        raise UsageError(f"{self.prog.removeprefix('bot ')}: {message}")


def _read_seed(path: str, now: datetime):
    try:
        text = Path(path).read_text()
    except OSError as exc:
        raise SeedError(f"cannot read seed file {path}: {exc.strerror}") from None
    return parse_seed(text, now=now)


def cmd_migrate(args) -> int:
    from bot.db.migrate import upgrade
    upgrade(settings().database_url)
    print(f"database is at the newest schema ({_safe_url(settings().database_url)})")
    return 0


def cmd_seed(args) -> int:
    from bot.db.migrate import upgrade
    from bot.db.session import get_engine, unit_of_work
    from bot.seed import write_customers
    customers = _read_seed(args.file, datetime.now(timezone.utc))
    upgrade(settings().database_url)
    with unit_of_work(get_engine()) as session:
        new = write_customers(session, customers)
    print(f"{len(customers)} customers in {args.file}: {new} new, {len(customers) - new} already loaded")
    if not args.no_stripe:
        from bot.billing.gateway import StripeGateway
        from bot.stripe_sync import push_to_stripe
        created = push_to_stripe(get_engine(), StripeGateway.from_settings(), progress=_progress)
        print(f"Stripe: {created} objects created")
    return 0


def cmd_decide(args) -> int:
    try:
        now = parse_utc(args.now)
    except ValueError as exc:
        raise UsageError(f"--now: {exc}") from None
    reason = Reason.parse(args.reason)
    policy = load_policy(args.policy)
    if args.seed:
        account = _account_from_throwaway_db(_read_seed(args.seed, now), args.email)
    else:
        from bot.db.session import get_engine, unit_of_work
        with unit_of_work(get_engine()) as session:
            account = repository.load_account(session, args.email)
    decision = rules.decide(account, reason, now, policy)
    print(json.dumps(decision.contract_json()))
    return 0


def _account_from_throwaway_db(customers, email):
    """Load the seed into a temporary SQLite database, as `bot seed` would, and read back."""
    from bot.db.migrate import upgrade
    from bot.db.session import make_engine, unit_of_work
    from bot.seed import write_customers
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite:///{tmp}/decide.db"
        upgrade(url)
        engine = make_engine(url)
        try:
            with unit_of_work(engine) as session:
                write_customers(session, customers)
            with unit_of_work(engine) as session:
                return repository.load_account(session, email)
        finally:
            engine.dispose()


def cmd_token(args) -> int:
    from bot.identity import issue_customer_token
    print(issue_customer_token(args.email, ttl_seconds=args.ttl))
    return 0


def cmd_agent_create(args) -> int:
    import getpass
    import os

    from bot.agents import create_agent
    from bot.db.migrate import upgrade

    password = os.environ.get("AGENT_PASSWORD")
    if password is None:
        password = getpass.getpass(f"password for {args.username}: ")
        if getpass.getpass("again: ") != password:
            raise UsageError("the two passwords differ")
    upgrade(settings().database_url)
    create_agent(args.username, password, args.name)
    print(f"agent {args.username.strip().lower()} created")
    return 0


def cmd_sync(args) -> int:
    from bot.billing.gateway import StripeGateway
    from bot.db.migrate import upgrade
    from bot.db.session import get_engine
    from bot.stripe_events import sync_from_stripe
    if args.page_size < 1 or args.page_size > 100:
        raise UsageError("--page-size: between 1 and 100 (Stripe's largest page)")
    upgrade(settings().database_url)
    totals = sync_from_stripe(get_engine(), StripeGateway.from_settings(), page_size=args.page_size,
                              progress=_progress)
    resumed = " (resumed an unfinished run)" if totals["resumed"] else ""
    print(f"Stripe sync{resumed}: {totals['read']} objects read, {totals['changed']} mirror rows changed")
    return 0


def _progress(done: int, total: int, label: str) -> None:
    width = 30
    filled = width * done // max(total, 1)
    sys.stderr.write(f"\r[{'#' * filled}{'.' * (width - filled)}] {done}/{total} {label[:40]:<40}")
    if done >= total:
        sys.stderr.write("\n")
    sys.stderr.flush()


def _safe_url(url: str) -> str:
    from sqlalchemy.engine import make_url
    return make_url(url).render_as_string(hide_password=True)


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="bot", description="GroupTrack support assistant: data, rules and servers.")
    sub = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)
    p = sub.add_parser("migrate", help="create or upgrade the database schema")
    p.set_defaults(func=cmd_migrate)
    p = sub.add_parser("seed", help="load a seed file into the database and Stripe")
    p.add_argument("file")
    p.add_argument("--no-stripe", action="store_true", help="write the database only")
    p.set_defaults(func=cmd_seed)
    p = sub.add_parser("decide", help="apply the refund rules and print the decision as JSON")
    p.add_argument("--email", required=True)
    p.add_argument("--reason", required=True)
    p.add_argument("--now", required=True, help="ISO 8601 time of the contact, UTC")
    p.add_argument("--seed", help="read this seed into a throw-away database; no Stripe")
    p.add_argument("--policy", help="policy file (default: config/policy.yml or POLICY_FILE)")
    p.set_defaults(func=cmd_decide)
    p = sub.add_parser("token", help="issue a customer token, as the host web app would")
    p.add_argument("email")
    p.add_argument("--ttl", type=int, default=3600)
    p.set_defaults(func=cmd_token)
    p = sub.add_parser("agent", help="manage support agents for the console")
    agent = p.add_subparsers(dest="agent_command", required=True, parser_class=_Parser)
    p = agent.add_parser("create", help="create an agent; the password is read from the terminal "
                         "or, for scripts, from AGENT_PASSWORD")
    p.add_argument("username")
    p.add_argument("--name", default="", help="display name")
    p.set_defaults(func=cmd_agent_create)
    p = sub.add_parser("sync", help="fill the database mirror from Stripe (customers, subscriptions, "
                       "charges, refunds); resumes an interrupted run")
    p.add_argument("--page-size", type=int, default=100, help="objects per Stripe list request")
    p.set_defaults(func=cmd_sync)
    from bot.billing.reconcile import add_reconcile_command
    from bot.console.serve import add_console_command
    from bot.production import add_run_prod_command
    from bot.runner import add_run_command
    from bot.imap_poller import add_email_poll_command, add_email_try_command
    from bot.widget.serve import add_widget_command
    add_console_command(sub)
    add_reconcile_command(sub)
    add_email_poll_command(sub)
    add_email_try_command(sub)
    add_widget_command(sub)
    add_run_command(sub)
    add_run_prod_command(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    try:
        args = build_parser().parse_args(argv)
        return args.func(args)
    except (UsageError, SeedError, PolicyError, ValueError) as exc:  # AgentError is a ValueError
        print(f"bot: {exc}", file=sys.stderr)
        return 2
    except repository.UnknownCustomer as exc:
        print(f"bot: {exc}", file=sys.stderr)
        return 3
    except KeyboardInterrupt:
        return 130
    except Exception as exc:  # the contract: no traceback, ever, on the command line
        print(f"bot: {type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}", file=sys.stderr)
        return 1
