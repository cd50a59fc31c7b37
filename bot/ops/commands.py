"""What each `bot` command does (bot/ops/cli.py registers them and their arguments).

Each takes the parsed arguments and returns the exit status; a problem worth a one-line
message is raised as UsageError (or ValueError, SeedError, PolicyError), which the CLI
prints without a traceback.
"""
from __future__ import annotations

import getpass
import imaplib
import json
import sys
import tempfile
import time
from datetime import datetime
from email.utils import parseaddr
from pathlib import Path

from sqlalchemy.engine import make_url

from bot.app.agents import create_agent
from bot.app.identity import issue_customer_token
from bot.billing.gateway import StripeGateway
from bot.billing.mirror.follow import sync_from_stripe
from bot.billing.mirror.push import push_to_stripe
from bot.billing.reconcile import reconcile
from bot.clock import now_utc
from bot.core import rules
from bot.core.domain import Reason
from bot.core.timeutil import parse_utc
from bot.db import repository
from bot.db.migrate import upgrade, wait_for_schema
from bot.db.session import get_engine, make_engine, unit_of_work
from bot.email.imap import deliver, poll_once
from bot.email.mailer import outbox_dir
from bot.notify.outbound import CustomerChannels
from bot.observability.logs import configure
from bot.ops.cli import UsageError
from bot.ops.leader import run_as_leader
from bot.ops.seed import SeedError, parse_canned_replies, parse_seed, write_canned_replies, write_customers
from bot.settings import DEFAULT_AUTHSERV_ID, DEV_EMAIL_SIGNING_KEY, load_policy, settings

RECONCILER_LEASE = "reconciler"


def migrate(args) -> int:
    if args.wait is not None:  # a replica that must not serve before the migration Job is done
        wait_for_schema(settings().database_url, args.wait)
        print(f"database is at this version's schema ({_safe_url(settings().database_url)})")
        return 0
    upgrade(settings().database_url)
    print(f"database is at the newest schema ({_safe_url(settings().database_url)})")
    return 0


def seed(args) -> int:
    customers, replies = _read_seed(args.file, now_utc()), parse_canned_replies(_seed_text(args.file))
    upgrade(settings().database_url)
    with unit_of_work(get_engine()) as session:
        new = write_customers(session, customers)
        new_replies = write_canned_replies(session, replies, now=now_utc())
    print(f"{len(customers)} customers in {args.file}: {new} new, {len(customers) - new} already loaded")
    if replies:
        print(f"{len(replies)} canned replies: {new_replies} new")
    if not args.no_stripe:
        created = push_to_stripe(get_engine(), StripeGateway.from_settings(), progress=progress)
        print(f"Stripe: {created} objects created")
    return 0


def decide(args) -> int:
    try:
        now = parse_utc(args.now)
    except ValueError as exc:
        raise UsageError(f"--now: {exc}") from None
    reason = Reason.parse(args.reason)
    policy = load_policy(args.policy)
    if args.seed:
        account = _account_from_throwaway_db(_read_seed(args.seed, now), args.email)
    else:
        with unit_of_work(get_engine()) as session:
            account = repository.load_account(session, args.email)
    decision = rules.decide(account, reason, now, policy)
    print(json.dumps(decision.contract_json()))
    return 0


def _read_seed(path: str, now: datetime):
    return parse_seed(_seed_text(path), now=now)


def _seed_text(path: str) -> str:
    try:
        return Path(path).read_text()
    except OSError as exc:
        raise SeedError(f"cannot read seed file {path}: {exc.strerror}") from None


def _account_from_throwaway_db(customers, email):
    """Load the seed into a temporary SQLite database, as `bot seed` would, and read back."""
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


def token(args) -> int:
    print(issue_customer_token(args.email, ttl_seconds=args.ttl))
    return 0


def agent_create(args) -> int:
    password = settings().agent_password
    if password is None:
        password = getpass.getpass(f"password for {args.username}: ")
        if getpass.getpass("again: ") != password:
            raise UsageError("the two passwords differ")
    upgrade(settings().database_url)
    create_agent(args.username, password, args.name)
    print(f"agent {args.username.strip().lower()} created")
    return 0


def sync(args) -> int:
    if args.page_size < 1 or args.page_size > 100:
        raise UsageError("--page-size: between 1 and 100 (Stripe's largest page)")
    upgrade(settings().database_url)
    totals = sync_from_stripe(get_engine(), StripeGateway.from_settings(), page_size=args.page_size,
                              progress=progress)
    resumed = " (resumed an unfinished run)" if totals["resumed"] else ""
    print(f"Stripe sync{resumed}: {totals['read']} objects read, {totals['changed']} mirror rows changed")
    return 0


def reconcile_movements(args) -> int:
    """One pass (--once) or a pass every --every seconds until stopped, by one reconciler at a time."""
    configure()
    upgrade(settings().database_url)
    engine, gateway, channels = get_engine(), StripeGateway.from_settings(), CustomerChannels.from_env()

    def one_pass() -> None:
        for finished in reconcile(engine, gateway, notifier=channels):
            print(f"{finished.key}: {finished.status}" + (f" ({finished.stripe_id})" if finished.stripe_id else ""),
                  flush=True)
    return run_as_leader(RECONCILER_LEASE, one_pass, every=args.every, once=args.once, engine=engine)


def email_poll(args) -> int:
    """Poll the mailbox every --interval seconds (or --once), by one poller at a time."""
    configure()
    config = settings()
    mail = config.email
    if not (mail.imap_host and mail.imap_user and mail.webhook_signing_key):
        raise ValueError("set IMAP_HOST, IMAP_USER, IMAP_PASSWORD and EMAIL_WEBHOOK_SIGNING_KEY")
    if mail.authserv_ids == {DEFAULT_AUTHSERV_ID}:
        print(f"warning: EMAIL_AUTHSERV_ID is the demo's {DEFAULT_AUTHSERV_ID}: set it to the name your mail "
              "server writes in Authentication-Results, or no sender is recognised by their address", file=sys.stderr)
    channel_url = config.rasa_url.rstrip("/") + "/webhooks/email/raw"
    connect = imaplib.IMAP4_SSL if mail.imap_ssl else imaplib.IMAP4
    mailbox = f"{mail.imap_user}@{mail.imap_host}"

    def one_poll() -> None:
        with connect(mail.imap_host, mail.imap_port or (993 if mail.imap_ssl else 143)) as imap:
            imap.login(mail.imap_user, mail.imap_password)
            count = poll_once(imap, mailbox_id=mailbox, channel_url=channel_url, signing_key=mail.webhook_signing_key)
            print(f"{count} new message(s) answered", flush=True)
    upgrade(config.database_url)  # the lease's table
    return run_as_leader(f"email-poll:{mailbox}", one_poll, every=args.interval, once=args.once)


def email_try(args) -> int:
    """Send the local email channel a message as if it came from `sender`, and show the reply."""
    config = settings()
    key = config.email.webhook_signing_key or DEV_EMAIL_SIGNING_KEY
    # As our receiving server would vouch for the sender's domain (bot/email/authentication.py).
    domain = parseaddr(args.sender)[1].rpartition("@")[2]
    vouched = f"{min(config.email.authserv_ids, default='no-receiving-server')}; spf=pass smtp.mailfrom={domain}"
    message_id = f"<try-{time.time_ns()}@localhost>"
    thread = f"In-Reply-To: {args.reply_to}\r\nReferences: {args.reply_to}\r\n" if args.reply_to else ""
    raw = (f"From: {args.sender}\r\nTo: support\r\nSubject: {args.subject}\r\n{thread}"
           f"Message-ID: {message_id}\r\nAuthentication-Results: {vouched}\r\n\r\n"
           f"{args.text}\r\n").encode()
    url = config.rasa_url.rstrip("/") + "/webhooks/email/raw"
    before = set(outbox_dir().glob("*.eml")) if outbox_dir().exists() else set()
    status = deliver(raw, f"try-{time.time_ns()}", channel_url=url, signing_key=key)
    print(f"the email channel answered HTTP {status}; to reply in this thread: --reply-to '{message_id}'")
    for path in sorted(set(outbox_dir().glob("*.eml")) - before):
        print(f"--- reply written to {path}\n{path.read_text()}")
    return 0 if status == 200 else 1


def progress(done: int, total: int, label: str) -> None:
    """A progress bar on standard error, for seeding and syncing."""
    width = 30
    filled = width * done // max(total, 1)
    sys.stderr.write(f"\r[{'#' * filled}{'.' * (width - filled)}] {done}/{total} {label[:40]:<40}")
    if done >= total:
        sys.stderr.write("\n")
    sys.stderr.flush()


def _safe_url(url: str) -> str:
    return make_url(url).render_as_string(hide_password=True)
