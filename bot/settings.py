"""Settings: the only reader of the environment and of the operator's files.

Every variable the project reads is a field here, with a default that works on a laptop
(`make run`). `settings()` reads the environment afresh on each call, so a test or a
process that changes a variable sees the change; the files it names (the policy and the
plan catalogue) are parsed by the pure core (bot/core/policy.py, bot/core/plans.py).
"""
from __future__ import annotations

import ipaddress
import os
import urllib.parse
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import yaml

from bot.core.knowledge import KnowledgeBase, KnowledgeError
from bot.core.knowledge_config import (knowledge_base, parse_config, parse_intent_passages, parse_not_answered,
                                       parse_floor, parse_questions)
from bot.core.plans import Plan, parse_plans
from bot.core.policy import Policy, PolicyError, parse_policy

ROOT = Path(__file__).resolve().parent.parent
VAR = ROOT / "var"
CONFIG = ROOT / "config"
DEFAULT_DATABASE = VAR / "grouptrack.db"  # embedded default: SQLite under a git-ignored folder
DEV_EMAIL_SIGNING_KEY = "dev-only-email-signing-key"  # what `make run` signs local inbound mail with
DEV_ACTION_SERVER_SECRET = "dev-only-action-server-secret"  # Rasa and the action server share it
DEV_CUSTOMER_TOKEN_SECRET = "dev-only-customer-token-secret-change-me"
DEV_RASA_AUTH_TOKEN = "dev-only-rasa-token"
# The receiving server whose Authentication-Results `make run` and the tests trust: set
# EMAIL_AUTHSERV_ID to your own mail server's name (bot/email/authentication.py).
DEFAULT_AUTHSERV_ID = "mx.grouptrack.example"
SLACK_API = "https://slack.com/api/"


@dataclass(frozen=True)
class EmailSettings:
    webhook_signing_key: str | None  # EMAIL_WEBHOOK_SIGNING_KEY: refuses every inbound mail while unset
    # EMAIL_AUTHSERV_ID: the names (comma-separated) our receiving server writes in the
    # Authentication-Results fields it adds; only those fields prove a sender.
    authserv_ids: frozenset[str]
    reply_from: str | None           # EMAIL_REPLY_FROM, else the policy's support address
    smtp_host: str | None            # SMTP_HOST: unset writes mail to `outbox_dir` instead
    smtp_port: int
    smtp_user: str | None
    smtp_password: str
    outbox_dir: Path
    imap_host: str | None
    imap_port: int | None
    imap_user: str | None
    imap_password: str
    imap_ssl: bool


@dataclass(frozen=True)
class SlackSettings:
    bot_token: str | None
    signing_secret: str | None      # without it every Slack request is refused
    api_url: str                    # SLACK_API_URL: a local stand-in in tests
    cases_channel: str | None       # where new cases are announced to the team
    customer_channel: str | None    # a shared channel customers write in


@dataclass(frozen=True)
class Services:
    """Where the production shape's services are (`bot run-prod`); the standard local ports by default."""
    postgres_url: str  # a server URL without a database: .../postgres is used for admin
    app_database: str
    tracker_database: str
    redis_host: str
    redis_port: int
    rabbitmq_host: str
    rabbitmq_port: int
    rabbitmq_user: str
    rabbitmq_password: str
    events_queue: str

    def database_url(self, name: str) -> str:
        return f"{self.postgres_url.rstrip('/')}/{name}"

    def environment(self) -> dict:
        """What endpoints.prod.yml reads (Rasa substitutes ${VAR} from the environment)."""
        pg = urllib.parse.urlsplit(self.postgres_url)
        return {"DATABASE_URL": self.database_url(self.app_database),
                "TRACKER_DB_HOST": pg.hostname or "127.0.0.1", "TRACKER_DB_PORT": str(pg.port or 5432),
                "TRACKER_DB_NAME": self.tracker_database, "TRACKER_DB_USER": pg.username or "postgres",
                "TRACKER_DB_PASSWORD": pg.password or "",
                "REDIS_HOST": self.redis_host, "REDIS_PORT": str(self.redis_port),
                # the replicas' per-sender rate limits count together (bot/web/limits.py)
                "RATE_LIMIT_REDIS_URL": f"redis://{self.redis_host}:{self.redis_port}/0",
                "RABBITMQ_HOST": self.rabbitmq_host, "RABBITMQ_PORT": str(self.rabbitmq_port),
                "RABBITMQ_USER": self.rabbitmq_user, "RABBITMQ_PASSWORD": self.rabbitmq_password,
                "RABBITMQ_QUEUE": self.events_queue}


@dataclass(frozen=True)
class Settings:
    database_url: str
    database_configured: bool        # DATABASE_URL was given: the database is kept between runs
    stripe_api_key: str
    stripe_api_base: str | None      # None: real Stripe
    stripe_configured: bool          # STRIPE_API_BASE was given: `bot run` starts no local Stripe
    customer_token_secret: str
    policy_file: Path
    plans_file: Path
    knowledge_file: Path = CONFIG / "knowledge.yml"   # the texts answered from when no intent fits
    action_server_secret: str = DEV_ACTION_SERVER_SECRET
    # A customer is waiting in the chat: give up on a silent Stripe long before the
    # library's 80 s, leave the movement pending in the ledger and let reconciliation
    # finish it (bot/billing/reconcile.py).
    stripe_timeout_seconds: float = 10.0
    stripe_webhook_secret: str | None = None
    rasa_url: str = "http://127.0.0.1:5005"
    rasa_auth_token: str = DEV_RASA_AUTH_TOKEN
    metrics_token: str | None = None
    rate_limit_redis_url: str | None = None  # shared rate limits for replicas (bot/web/limits.py)
    console_url: str = "http://127.0.0.1:5080"
    console_secure_cookies: bool = False
    widget_trusted_proxies: frozenset[str] = frozenset()
    widget_allowed_origins: frozenset[str] = frozenset()  # sites whose pages may call the widget API
    # The relays in front of Rasa's customer channels and the console (the widget server,
    # nginx): for them, the client address they forward is the one rate-limited.
    trusted_proxies: frozenset[str] = frozenset({"127.0.0.1", "::1"})
    rasa_cors_origins: tuple[str, ...] = ()  # origins whose pages may call Rasa's HTTP API
    bind_host: str = "127.0.0.1"  # where `bot run`'s servers and the action server listen
    agent_password: str | None = None  # `bot agent create` in scripts
    # Rasa's tracker store as endpoints.prod.yml names it (TRACKER_DB_*), for the readiness probe
    tracker_database_url: str | None = None
    email: EmailSettings = field(default=None)  # type: ignore[assignment]
    slack: SlackSettings = field(default=None)  # type: ignore[assignment]
    services: Services = field(default=None)  # type: ignore[assignment]


def settings(env=None) -> Settings:
    env = os.environ if env is None else env
    return Settings(
        database_url=env.get("DATABASE_URL") or f"sqlite:///{DEFAULT_DATABASE}",
        database_configured="DATABASE_URL" in env,
        stripe_api_key=env.get("STRIPE_API_KEY", "sk_test_local"),
        stripe_api_base=env.get("STRIPE_API_BASE", "http://127.0.0.1:8420") or None,
        stripe_configured="STRIPE_API_BASE" in env,
        customer_token_secret=env.get("CUSTOMER_TOKEN_SECRET", DEV_CUSTOMER_TOKEN_SECRET),
        policy_file=Path(env.get("POLICY_FILE") or CONFIG / "policy.yml"),
        plans_file=Path(env.get("PLANS_FILE") or CONFIG / "plans.yml"),
        knowledge_file=Path(env.get("KNOWLEDGE_FILE") or CONFIG / "knowledge.yml"),
        action_server_secret=env.get("ACTION_SERVER_SECRET") or DEV_ACTION_SERVER_SECRET,
        stripe_timeout_seconds=_positive_seconds(env, "STRIPE_TIMEOUT_SECONDS", 10.0),
        stripe_webhook_secret=env.get("STRIPE_WEBHOOK_SECRET"),
        rasa_url=env.get("RASA_URL", "http://127.0.0.1:5005"),
        rasa_auth_token=env.get("RASA_AUTH_TOKEN", DEV_RASA_AUTH_TOKEN),
        metrics_token=env.get("METRICS_TOKEN"),
        rate_limit_redis_url=env.get("RATE_LIMIT_REDIS_URL"),
        console_url=env.get("CONSOLE_URL", "http://127.0.0.1:5080"),
        console_secure_cookies=env.get("CONSOLE_SECURE_COOKIES") == "1",
        widget_trusted_proxies=frozenset(_listed(env, "WIDGET_TRUSTED_PROXIES")),
        widget_allowed_origins=frozenset(_listed(env, "WIDGET_ALLOWED_ORIGINS")),
        trusted_proxies=frozenset(_listed(env, "TRUSTED_PROXIES", "127.0.0.1,::1")),
        rasa_cors_origins=tuple(_listed(env, "RASA_CORS_ORIGINS")),
        bind_host=env.get("BIND_HOST") or "127.0.0.1",
        agent_password=env.get("AGENT_PASSWORD"),
        tracker_database_url=_tracker_database_url(env),
        email=EmailSettings(
            webhook_signing_key=env.get("EMAIL_WEBHOOK_SIGNING_KEY"), reply_from=env.get("EMAIL_REPLY_FROM"),
            authserv_ids=frozenset(name.lower() for name in _listed(env, "EMAIL_AUTHSERV_ID", DEFAULT_AUTHSERV_ID)),
            smtp_host=env.get("SMTP_HOST"), smtp_port=_whole(env, "SMTP_PORT", 25),
            smtp_user=env.get("SMTP_USER"), smtp_password=env.get("SMTP_PASSWORD", ""),
            outbox_dir=Path(env.get("OUTBOX_DIR") or VAR / "outbox"),
            imap_host=env.get("IMAP_HOST"), imap_port=_whole(env, "IMAP_PORT", None),
            imap_user=env.get("IMAP_USER"), imap_password=env.get("IMAP_PASSWORD", ""),
            imap_ssl=env.get("IMAP_SSL", "1") == "1"),
        slack=SlackSettings(
            bot_token=env.get("SLACK_BOT_TOKEN"), signing_secret=env.get("SLACK_SIGNING_SECRET"),
            api_url=env.get("SLACK_API_URL", SLACK_API), cases_channel=env.get("SLACK_CASES_CHANNEL"),
            customer_channel=env.get("SLACK_CUSTOMER_CHANNEL")),
        services=Services(
            postgres_url=env.get("POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432"),
            app_database=env.get("APP_DATABASE", "grouptrack"),
            tracker_database=env.get("TRACKER_DATABASE", "grouptrack_tracker"),
            redis_host=env.get("REDIS_HOST", "127.0.0.1"), redis_port=_whole(env, "REDIS_PORT", 6379),
            rabbitmq_host=env.get("RABBITMQ_HOST", "127.0.0.1"), rabbitmq_port=_whole(env, "RABBITMQ_PORT", 5672),
            rabbitmq_user=env.get("RABBITMQ_USER", "guest"), rabbitmq_password=env.get("RABBITMQ_PASSWORD", "guest"),
            events_queue=env.get("RABBITMQ_QUEUE", "grouptrack_conversation_events")),
    )


def is_loopback(host: str) -> bool:
    """Whether a server bound to `host` is reachable from this machine only."""
    if host == "localhost":
        return True
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return False  # a name, or '' and '0.0.0.0' style wildcards: other machines may reach it
    mapped = getattr(address, "ipv4_mapped", None)
    return (mapped or address).is_loopback


def dev_secrets_in_use(config: Settings) -> list[str]:
    """The settings that still hold the documented development values."""
    held = {"CUSTOMER_TOKEN_SECRET": (config.customer_token_secret, DEV_CUSTOMER_TOKEN_SECRET),
            "ACTION_SERVER_SECRET": (config.action_server_secret, DEV_ACTION_SERVER_SECRET),
            "EMAIL_WEBHOOK_SIGNING_KEY": (config.email.webhook_signing_key, DEV_EMAIL_SIGNING_KEY),
            "RASA_AUTH_TOKEN": (config.rasa_auth_token, DEV_RASA_AUTH_TOKEN)}
    return [name for name, (value, dev) in held.items() if value == dev]


def refuse_dev_secrets_off_loopback(host: str, config: Settings | None = None) -> None:
    """ValueError (one line) if a server would listen beyond this machine while any secret
    still has its published development value: anyone could forge tokens and trackers."""
    if is_loopback(host):
        return
    exposed = dev_secrets_in_use(config or settings())
    if exposed:
        raise ValueError(f"refusing to listen on {host or 'every interface'} with the development "
                         f"{', '.join(exposed)}: set your own, or bind to 127.0.0.1")


def process_environment() -> dict[str, str]:
    """A copy of this process's environment, for the servers `bot run` starts."""
    return dict(os.environ)


def _tracker_database_url(env) -> str | None:
    if not env.get("TRACKER_DB_HOST"):
        return None
    quote = urllib.parse.quote
    return (f"postgresql://{quote(env.get('TRACKER_DB_USER', ''), safe='')}:"
            f"{quote(env.get('TRACKER_DB_PASSWORD', ''), safe='')}@{env['TRACKER_DB_HOST']}:"
            f"{env.get('TRACKER_DB_PORT') or 5432}/{quote(env.get('TRACKER_DB_NAME', ''), safe='')}")


def _listed(env, name: str, default: str = "") -> list[str]:
    """A comma-separated setting's entries."""
    return [item.strip() for item in env.get(name, default).split(",") if item.strip()]


def _whole(env, name: str, default: int | None) -> int | None:
    raw = env.get(name)
    if not raw:
        return default
    try:
        return int(raw)
    except ValueError:
        raise ValueError(f"{name} must be a whole number, not {raw!r}") from None


def _positive_seconds(env, name: str, default: float) -> float:
    raw = env.get(name)
    if not raw:
        return default
    try:
        value = float(raw)
    except ValueError:
        raise ValueError(f"{name} must be a number of seconds, not {raw!r}") from None
    if not 0 < value <= 300:
        raise ValueError(f"{name} must be between 0 and 300 seconds, not {raw!r}")
    return value


def load_policy(path: str | os.PathLike | None = None) -> Policy:
    """The policy file named by `path`, else POLICY_FILE, else config/policy.yml."""
    path = Path(path or settings().policy_file)
    try:
        stat = path.stat()
    except FileNotFoundError:
        raise PolicyError(f"policy file not found: {path}") from None
    # Every action asks for the policy; parsing its YAML each time was a tenth of the action
    # server's CPU (make bench-turns). Keyed on the file's mtime and size, an operator's edit
    # is still read on the next call.
    return _policy_from(path, stat.st_mtime_ns, stat.st_size)


@lru_cache(maxsize=8)
def _policy_from(path: Path, _mtime_ns: int, _size: int) -> Policy:
    try:
        text = path.read_text()
    except FileNotFoundError:
        raise PolicyError(f"policy file not found: {path}") from None
    return parse_policy(text, source=str(path))


def load_plans(path: str | os.PathLike | None = None) -> dict[str, Plan]:
    """The plan catalogue named by `path`, else PLANS_FILE, else config/plans.yml."""
    return _plans_from(Path(path or settings().plans_file))


@lru_cache(maxsize=4)
def _plans_from(path: Path) -> dict[str, Plan]:
    return parse_plans(yaml.safe_load(path.read_text()) or {}, source=str(path))


def load_knowledge(path: str | os.PathLike | None = None) -> KnowledgeBase:
    """The knowledge base named by `path`, else KNOWLEDGE_FILE, else config/knowledge.yml; its
    documents' files are read relative to it."""
    path = Path(path or settings().knowledge_file)
    try:
        config = path.read_text(encoding="utf-8")
        sources, threshold, files = parse_config(config, source=str(path))
        texts = {s.key: (path.parent / s.file).read_text(encoding="utf-8") for s in sources}
        read = {name: ((path.parent / file).read_text(encoding="utf-8"), file) for name, file in files.items()}
    except (OSError, UnicodeDecodeError) as exc:
        raise KnowledgeError(f"knowledge base unreadable: {exc}") from None
    questions = parse_questions(read["questions"][0], source=read["questions"][1]) if "questions" in read else {}
    not_answered = (parse_not_answered(read["not_answered"][0], source=read["not_answered"][1])
                    if "not_answered" in read else ())
    return knowledge_base(sources, texts, threshold, questions, not_answered,
                          parse_intent_passages(config, source=str(path)),
                          parse_floor(config, source=str(path)))
