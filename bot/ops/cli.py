"""The `bot` command (docs/contracts.md section 3): every command and its arguments, in one place.

Errors are one line on stderr, never a traceback. Each command names the function that
runs it as "module:function", imported only when that command runs: `bot decide` and
`bot token` should not pay for loading aiohttp, Stripe and Rasa's helpers that the
servers need.
"""
from __future__ import annotations

import argparse
import difflib
import importlib
import sys
from pathlib import Path

from bot.app.bootstrap import bootstrap
from bot.clock import now_utc
from bot.core.domain import Reason
from bot.core.policy import PolicyError
from bot.db.repository import UnknownCustomer
from bot.ops.seed import SeedError, parse_seed
from bot.settings import ROOT

DEMO_SEED = str(ROOT / "seeds" / "demo.yml")


class UsageError(Exception):
    def __init__(self, message: str, command: str = "bot"):
        super().__init__(message)
        self.command = command  # printed before the message: "bot run: ..."


class _Parser(argparse.ArgumentParser):
    """argparse with one-line errors that name the command and suggest the option meant."""

    def error(self, message):  # one line, not argparse's usage block
        raise UsageError(message, self.prog)

    def parse_args(self, args=None, namespace=None):
        parsed, unknown = self.parse_known_args(args, namespace)
        if unknown:
            command = parsed.usage  # the deepest (sub)command named: its options are the ones meant
            raise UsageError(f"unrecognized arguments: {' '.join(unknown)}{_suggestion(command, unknown)}; "
                             f"see {command.prog} --help", command.prog)
        return parsed


def _suggestion(parser: argparse.ArgumentParser, unknown: list[str]) -> str:
    known = [option for action in parser._actions for option in action.option_strings]
    for word in unknown:
        if word.startswith("-"):
            close = difflib.get_close_matches(word.split("=")[0], known, n=1, cutoff=0.6)
            if close:
                return f" (did you mean {close[0]}?)"
    return ""


def _demo_customers(path: str) -> tuple:
    """`--demo-seed FILE`: the seed's customers as the demo page lists them."""
    from bot.web.widget.app import DemoCustomer  # deferred: it loads aiohttp, which only `bot widget` needs
    try:
        customers = parse_seed(Path(path).read_text(), now=now_utc())
    except OSError as exc:
        raise argparse.ArgumentTypeError(f"cannot read {path}: {exc.strerror}") from None
    except SeedError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None
    return tuple(DemoCustomer(c.account.email, c.account.name, *((c.demo.shows, c.demo.ask) if c.demo else ()))
                 for c in customers)


def _group(sub, name: str, help: str) -> argparse._SubParsersAction:
    """A command with commands of its own (`bot agent create`): on its own it prints its help."""
    parser = sub.add_parser(name, help=help, description=help)
    parser.set_defaults(runs=None, usage=parser)
    return parser.add_subparsers(dest=f"{name}_command", metavar="COMMAND", parser_class=_Parser)


def _command(sub, name: str, runs: str, help: str) -> argparse.ArgumentParser:
    parser = sub.add_parser(name, help=help, description=help)
    parser.set_defaults(runs=runs, usage=parser)
    return parser


def _positive_seconds(text: str) -> int:
    try:
        seconds = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number of seconds") from None
    if seconds <= 0:
        raise argparse.ArgumentTypeError(f"{seconds} would make a token that has already expired; "
                                         "give more than 0 seconds") from None
    return seconds


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="bot", description="GroupTrack support assistant: data, rules and servers.",
                     epilog="`bot COMMAND --help` describes a command's options.")
    parser.set_defaults(runs=None, usage=parser)
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    commands = "bot.ops.commands"

    p = _command(sub, "migrate", f"{commands}:migrate", "create or upgrade the database schema")
    p.add_argument("--wait", type=float, metavar="SECONDS",
                   help="do not migrate: wait until the schema is this version's (another process migrates)")
    p = _command(sub, "seed", f"{commands}:seed", "load a seed file into the database and Stripe")
    p.add_argument("file")
    p.add_argument("--no-stripe", action="store_true", help="write the database only")
    p = _command(sub, "decide", f"{commands}:decide", "apply the refund rules and print the decision as JSON")
    p.add_argument("--email", required=True, help="the customer's email address")
    p.add_argument("--reason", required=True, metavar="REASON",
                   help=f"what the customer gives as the reason: {', '.join(r.value for r in Reason)}")
    p.add_argument("--now", required=True, help="ISO 8601 time of the contact, UTC")
    p.add_argument("--seed", help="read this seed into a throw-away database; no Stripe")
    p.add_argument("--policy", help="policy file (default: config/policy.yml or POLICY_FILE)")
    p = _command(sub, "token", f"{commands}:token", "issue a customer token, as the host web app would")
    p.add_argument("email")
    p.add_argument("--ttl", type=_positive_seconds, default=3600, metavar="SECONDS",
                   help="how long the token is valid, in seconds (default: 3600, one hour)")
    agent = _group(sub, "agent", "manage support agents for the console")
    p = _command(agent, "create", f"{commands}:agent_create",
                 "create an agent; the password is read from the terminal or, for scripts, from AGENT_PASSWORD")
    p.add_argument("username")
    p.add_argument("--name", default="", help="display name")
    p = _command(sub, "sync", f"{commands}:sync", "fill the database mirror from Stripe (customers, "
                 "subscriptions, charges, invoices, refunds); resumes an interrupted run")
    p.add_argument("--page-size", type=int, default=100, help="objects per Stripe list request")
    p = _command(sub, "reconcile", f"{commands}:reconcile_movements",
                 "finish money movements left pending by a Stripe outage or a crash")
    p.add_argument("--every", type=float, default=15.0, help="seconds between passes")
    p.add_argument("--once", action="store_true", help="one pass, then exit")
    p = _command(sub, "email-poll", f"{commands}:email_poll", "answer mail from an IMAP mailbox (IMAP_* settings)")
    p.add_argument("--interval", type=int, default=30, help="seconds between polls")
    p.add_argument("--once", action="store_true", help="poll once and exit")
    p = _command(sub, "email-try", f"{commands}:email_try",
                 "send the local email channel a message and print the reply")
    p.add_argument("sender", help="the From address, e.g. ana@example.com")
    p.add_argument("text")
    p.add_argument("--subject", default="Question")
    p.add_argument("--reply-to", metavar="MESSAGE_ID", help="a reply in that mail's thread (its Message-ID, printed "
                   "after each mail sent), as a mail client's Reply sends it")

    p = _command(sub, "chat", "bot.ops.chat:chat", "talk to the running assistant from this terminal, over REST")
    p.add_argument("--as", dest="email", metavar="EMAIL",
                   help="be this customer, signed in with a token as the product's web app would (default: a visitor)")
    p.add_argument("--url", help="the Rasa server (default: RASA_URL, else http://127.0.0.1:5005)")

    p = _command(sub, "console", "bot.web.console.serve:serve", "serve the agent console")
    p.add_argument("--host", help="default: BIND_HOST, else 127.0.0.1")
    p.add_argument("--port", type=int, default=5080, metavar="PORT", help="default: %(default)s")
    p = _command(sub, "widget", "bot.web.widget.serve:serve", "serve the help widget and its API")
    p.add_argument("--host", help="default: BIND_HOST, else 127.0.0.1")
    p.add_argument("--port", type=int, default=5090, metavar="PORT", help="default: %(default)s")
    p.add_argument("--demo", action="store_true",
                   help="serve /demo, which signs in the demo customers: loopback hosts only, never in production")
    p.add_argument("--demo-seed", dest="demo_customers", type=_demo_customers, default=(), metavar="FILE",
                   help="the seed whose customers the demo page lists and signs in (with their `demo` notes)")

    p = _command(sub, "run", "bot.ops.runner:run", "train if needed, seed the demo, start every server "
                 "(local Stripe, action server, Rasa, agent console, help widget)")
    p.add_argument("--port", type=int, default=5005, metavar="PORT",
                   help="the Rasa server: REST and socket.io channels (default: %(default)s)")
    p.add_argument("--actions-port", type=int, default=5055, metavar="PORT",
                   help="the action server (default: %(default)s)")
    p.add_argument("--stripe-port", type=int, default=8420, metavar="PORT",
                   help="the local Stripe stand-in, started while STRIPE_API_BASE is unset (default: %(default)s)")
    _console_and_widget_ports(p)
    p.add_argument("--seed", default=DEMO_SEED, help="the customers to load (default: seeds/demo.yml)")
    _command(sub, "model", "bot.ops.model:print_checked_model",
             "print the trained model for the current data, after checking its SHA-256")
    p = _command(sub, "run-prod", "bot.ops.production:run_prod",
                 "the production shape: replicas behind nginx on PostgreSQL, Redis, RabbitMQ")
    p.add_argument("--replicas", type=int, default=2, help="Rasa and action server replicas (default: %(default)s)")
    p.add_argument("--port", type=int, default=5005, metavar="PORT",
                   help="nginx, in front of the Rasa replicas (default: %(default)s)")
    _console_and_widget_ports(p)
    p.add_argument("--seed", default=DEMO_SEED, help="the customers to load, '' for none (default: seeds/demo.yml)")
    return parser


def _console_and_widget_ports(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--console-port", type=int, default=5080, metavar="PORT",
                        help="the agent console (default: %(default)s)")
    parser.add_argument("--widget-port", type=int, default=5090, metavar="PORT",
                        help="the help widget and its demo page (default: %(default)s)")


def run(args: argparse.Namespace) -> int:
    if args.runs is None:  # `bot` or `bot agent` alone: what could follow
        args.usage.print_help()
        return 0
    module, function = args.runs.split(":")
    return getattr(importlib.import_module(module), function)(args)


def main(argv: list[str] | None = None) -> int:
    try:
        args = build_parser().parse_args(argv)
        bootstrap()
        return run(args)
    except UsageError as exc:
        print(f"{exc.command}: {exc}", file=sys.stderr)
        return 2
    except (SeedError, PolicyError, ValueError) as exc:  # AgentError is a ValueError
        print(f"bot: {exc}", file=sys.stderr)
        return 2
    except UnknownCustomer as exc:
        print(f"bot: {exc}", file=sys.stderr)
        return 3
    except KeyboardInterrupt:
        return 130
    except Exception as exc:  # the contract: no traceback, ever, on the command line
        print(f"bot: {type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}", file=sys.stderr)
        return 1
