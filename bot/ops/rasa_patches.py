"""Every change this project makes to Rasa's and rasa-sdk's own code, installed from here
and only here, and only on the versions whose source each change was read against.

Each one replaces or wraps something neither project promises to keep (a private method, a
module attribute looked up at run time, a subclass's view of internals), so on another
version it could go wrong without a sound. A process that would install them refuses to
start instead, with one line saying what is installed and what they were written for.

    python -m bot.ops.rasa_patches ARGS    is `rasa ARGS` with the Rasa patches installed

`bot run`, `bot run-prod`, the benchmarks' stacks and `make test`'s dialogue stories start
Rasa that way; the action server installs its own patch (`install_in_action_server`). A Rasa
server started any other way refuses to serve (`require_installed`, called by `channels`,
which every Rasa server of ours loads from credentials.yml): it would run without the
session start that keeps a live hand-off paused.
"""
from __future__ import annotations

import importlib
import runpy
import sys
from dataclasses import dataclass
from importlib.metadata import PackageNotFoundError, version

RASA_READ = frozenset({"3.6.21"})  # every Rasa patch below was read against this source, and no other
RASA_SDK_READ = frozenset({"3.6.2"})


@dataclass(frozen=True)
class Patch:
    name: str
    package: str  # the distribution whose code it changes
    read_against: frozenset[str]
    changes: str  # what of theirs it replaces or relies on
    install: str | None  # "module:function"; None: Rasa builds it from our configuration itself


RASA_PATCHES = (
    Patch("action replies checked by a validator built once", "rasa", RASA_READ,
          "RemoteAction._validate_action_result, action_response_format_spec's event schema",
          "bot.ops.rasa_tuning:install_reply_check"),
    Patch("one kept HTTP session per endpoint and event loop", "rasa", RASA_READ,
          "EndpointConfig.session, as EndpointConfig.request uses it", "bot.ops.rasa_tuning:install_kept_sessions"),
    Patch("TED's predictions remembered by dialogue state", "rasa", RASA_READ,
          "TEDPolicy.predict_action_probabilities, _prediction_states, _prediction",
          "bot.ops.rasa_tuning:install_ted_memory"),
    Patch("the collector told a loaded model lives with the process", "rasa", RASA_READ,
          "Agent.load_model", "bot.ops.rasa_tuning:install_freeze_after_load"),
    Patch("a new session stays paused while a person may be chatting", "rasa", RASA_READ,
          "rasa.core.actions.action.ActionSessionStart, MessageProcessor._has_session_expired",
          "bot.ops.rasa_session:install"),
    Patch("the SQL tracker store with a pinging pool and cheaper saves", "rasa", RASA_READ,
          "SQLTrackerStore's engine, SQLEvent table, save, _retrieve, _stream_new_events "
          "(endpoints.prod.yml names it)", None),
    Patch("the Redis lock store with each change to a lock atomic", "rasa", RASA_READ,
          "RedisLockStore's key prefix, red client and arguments, LockStore.issue_ticket, update_lock, "
          "finish_serving, cleanup, TicketLock (endpoints.prod.yml names it)", None),
)
ACTION_SERVER_PATCHES = (
    Patch("every action run in a bounded pool of threads", "rasa-sdk", RASA_SDK_READ,
          "rasa_sdk.endpoint.ActionExecutor, ActionExecutor.run", "bot.ops.action_threads:install"),
)

_installed: set[str] = set()


class UnsupportedVersion(RuntimeError):
    """An installed Rasa or rasa-sdk is not one the patches were read against."""


def check_versions(patches: tuple[Patch, ...]) -> None:
    """Raises UnsupportedVersion, in one line, unless every patch's package is a version it was read against."""
    wrong = {}
    for patch in patches:
        try:
            installed = version(patch.package)
        except PackageNotFoundError:
            installed = "nothing"
        if installed not in patch.read_against:
            wrong[patch.package] = (installed, patch.read_against)
    if wrong:
        found = ", ".join(f"{package} {installed}" for package, (installed, _) in wrong.items())
        written = ", ".join(f"{package} {' or '.join(sorted(read))}" for package, (_, read) in wrong.items())
        raise UnsupportedVersion(f"{found} is installed, but this project's changes to it (bot/ops/rasa_patches.py) "
                                 f"were written for {written}: install requirements.lock (make install)")


def install(patches: tuple[Patch, ...]) -> None:
    """Check the versions, then install each patch once (importing its module only then)."""
    check_versions(patches)
    for patch in patches:
        if patch.install is not None and patch.install not in _installed:
            module, function = patch.install.split(":")
            getattr(importlib.import_module(module), function)()
            _installed.add(patch.install)


def install_in_rasa() -> None:
    install(RASA_PATCHES)


def install_in_action_server() -> None:
    install(ACTION_SERVER_PATCHES)


def require_installed() -> None:
    """Stop a Rasa server that was started without the patches, before it serves anyone."""
    if not all(patch.install in _installed for patch in RASA_PATCHES if patch.install):
        sys.exit("rasa: start it with `python -m bot.ops.rasa_patches run ...` (bot/ops/rasa_patches.py); "
                 "a plain `rasa run` would answer over a live hand-off")


def run_rasa(argv: list[str]) -> None:
    """`rasa ARGS`, with the patches installed first, or a one-line refusal."""
    try:
        install_in_rasa()
    except UnsupportedVersion as exc:
        sys.exit(f"rasa: {exc}")
    sys.argv = ["rasa", *argv]
    runpy.run_module("rasa", run_name="__main__", alter_sys=True)


if __name__ == "__main__":
    # Installed in the module `channels` asks (require_installed), not in this __main__ copy of it.
    from bot.ops import rasa_patches

    rasa_patches.run_rasa(sys.argv[1:])
