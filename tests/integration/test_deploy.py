"""The deployment files describe what `make run-prod` runs. No Docker engine runs here, so
they are checked the way they can be: every name they use exists, every setting the local
production shape gives the servers is given there too, and nginx accepts the balancer."""
from __future__ import annotations

import os
import re
import shlex
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

from bot.ops.cli import build_parser
from bot.ops.production import PROXYING
from bot.settings import Services

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy"
COMPOSE = yaml.safe_load((DEPLOY / "docker-compose.yml").read_text())
SERVICES = COMPOSE["services"]
APP_ROLES = ("rasa-1", "rasa-2", "actions-1", "actions-2", "console", "widget", "reconciler")


def secrets_from_env_file() -> set[str]:
    """The header says which settings come from deploy/.env (never committed)."""
    header = (DEPLOY / "docker-compose.yml").read_text().split("x-app:")[0]
    return set(re.findall(r"\b[A-Z][A-Z0-9_]{2,}\b", header.split("Secrets come from")[1]))


def test_every_role_runs_on_the_same_settings_as_the_local_production_shape():
    local = Services(postgres_url="postgresql://u:p@h:5432", app_database="a", tracker_database="t",
                     redis_host="r", redis_port=6379, rabbitmq_host="q", rabbitmq_port=5672, rabbitmq_user="u",
                     rabbitmq_password="p", events_queue="e").environment()
    for role in APP_ROLES:
        given = set(SERVICES[role]["environment"]) | secrets_from_env_file()
        assert set(local) <= given, f"{role} lacks {sorted(set(local) - given)}"


def test_every_variable_endpoints_prod_reads_is_set():
    settings = "\n".join(line.split("#")[0] for line in (ROOT / "endpoints.prod.yml").read_text().splitlines())
    wanted = set(re.findall(r"\$\{(\w+)\}", settings))
    for role in ("rasa-1", "rasa-2"):
        given = set(SERVICES[role]["environment"]) | secrets_from_env_file()
        assert wanted <= given, f"{role} lacks {sorted(wanted - given)}"


def test_services_depend_only_on_services_that_exist_and_mounted_files_exist():
    for name, service in SERVICES.items():
        assert set(service.get("depends_on", [])) <= set(SERVICES), name
        for volume in service.get("volumes", []):
            source = volume.split(":")[0]
            if source.startswith("."):
                assert (DEPLOY / source).exists(), f"{name} mounts {source}, which is not in deploy/"
    for source in re.findall(r"^COPY (.+) \./?$", (DEPLOY / "Dockerfile").read_text(), re.M):
        for path in source.split():
            assert path == "." or (ROOT / path).exists(), path


def bot_commands(command: str) -> list[list[str]]:
    """The `bot …` invocations in a service's command, also inside `sh -c '…'` and `$$(…)`."""
    words = shlex.split(command, comments=True)
    if words[:2] != ["sh", "-c"]:
        return [words]
    script = re.sub(r"\w+=\$+\(([^)]*)\)", r"\1", words[2])  # model=$$(bot model) -> bot model
    return [shlex.split(part) for part in re.split(r"&&|;", script)]


def test_every_bot_command_the_services_run_exists_with_those_options():
    parser, seen = build_parser(), set()
    for role in APP_ROLES:
        for words in bot_commands(SERVICES[role]["command"]):
            if words and words[0] == "bot":
                parser.parse_args(words[1:])  # UsageError for an unknown command or option
                seen.add(words[1])
    assert {"migrate", "model", "console", "widget", "reconcile"} <= seen


def test_the_balancer_sends_to_the_replicas_compose_defines_and_nginx_accepts_it(tmp_path):
    config = (DEPLOY / "nginx.conf").read_text()
    assert all(line in config for line in PROXYING.splitlines()), "proxying differs from bot/production.py"
    upstreams = set(re.findall(r"server ([\w-]+):\d+", config))
    assert upstreams == {"rasa-1", "rasa-2", "actions-1", "actions-2"} and upstreams <= set(SERVICES)
    assert "./nginx.conf:/etc/nginx/nginx.conf:ro" in SERVICES["balancer"]["volumes"]
    nginx = shutil.which("nginx") or "/usr/sbin/nginx"
    if not Path(nginx).exists():
        if os.environ.get("CI"):
            pytest.fail("nginx is needed (apt-get install nginx-light)")
        pytest.skip("nginx is not installed")
    local = re.sub(r"server [\w-]+:(\d+)", r"server 127.0.0.1:\1", config)
    (tmp_path / "nginx.conf").write_text(f"pid {tmp_path}/nginx.pid;\nerror_log {tmp_path}/error.log;\n{local}")
    checked = subprocess.run([nginx, "-t", "-c", str(tmp_path / "nginx.conf"), "-p", str(tmp_path)],
                             capture_output=True, text=True)
    assert checked.returncode == 0, checked.stderr
