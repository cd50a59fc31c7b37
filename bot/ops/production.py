"""The production shape on one machine: `bot run-prod` (and `make run-prod`).

Two or more Rasa servers and action servers behind nginx, with PostgreSQL as the
tracker store and the app database, Redis as Rasa's lock store, and RabbitMQ carrying
conversation events; the console, the widget and the reconciler beside them. The same
topology for a real host is `deploy/docker-compose.yml`.

Rasa's Redis lock store is not a correctness guarantee (pitfalls: non-atomic tickets
that lapse after 60 s), so two replicas may run one conversation at once; money stays
right because every movement goes through the ledger's exclusive claim, not the lock.
"""
from __future__ import annotations

import os
import shutil
import subprocess
from dataclasses import dataclass, replace
from pathlib import Path

from sqlalchemy import create_engine, text

from bot.ops.model import ensure_model, verify_model
from bot.ops.processes import BIN, Stack, free_port, wait_for_http
from bot.ops.runner import (
    action_server_command,
    rasa_api_arguments,
    rasa_command,
    rasa_cors_arguments,
    seed,
    stack_environment,
    start_console,
    start_localstripe,
    start_reconciler,
    start_widget,
)
from bot.settings import ROOT, VAR, Services, refuse_dev_secrets_off_loopback, settings

PROD_ENDPOINTS = ROOT / "endpoints.prod.yml"
NGINX = "/usr/sbin/nginx"


def ensure_databases(services: Services) -> None:
    """Create the app and tracker databases if missing (Rasa would only create its own)."""
    admin = create_engine(services.database_url("postgres"), isolation_level="AUTOCOMMIT", future=True)
    try:
        with admin.connect() as conn:
            present = set(conn.execute(text("SELECT datname FROM pg_database")).scalars())
            for name in (services.app_database, services.tracker_database):
                if name not in present:
                    conn.execute(text(f'CREATE DATABASE "{name}"'))
    finally:
        admin.dispose()


def drop_databases(services: Services) -> None:
    admin = create_engine(services.database_url("postgres"), isolation_level="AUTOCOMMIT", future=True)
    try:
        with admin.connect() as conn:
            for name in (services.app_database, services.tracker_database):
                conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    finally:
        admin.dispose()


# As in deploy/nginx.conf. X-Forwarded-For tells the servers a request was relayed (their
# /metrics then want METRICS_TOKEN) and, with the caller's address appended to what a relay
# such as the widget named, whom the REST channel's per-address limit counts; HTTP/1.1 with Upgrade
# passed on carries the socket.io channel's websockets, and a socket.io client keeps to one replica (`rasa_sockets`):
# engine.io sessions live in one process, and clients start by polling. The Host passed on keeps its
# port ($http_host): the socket.io channel compares a page's Origin with it.
PROXYING = """  map $http_upgrade $connection_upgrade { default upgrade; '' close; }
  proxy_set_header Host $http_host;
  proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
  proxy_http_version 1.1;
  proxy_set_header Upgrade $http_upgrade;
  proxy_set_header Connection $connection_upgrade;
  proxy_read_timeout 300s;
  proxy_next_upstream off;
"""


def nginx_config(folder: Path, *, rasa_port: int, rasa_upstreams: list[int], actions_port: int,
                 actions_upstreams: list[int]) -> Path:
    """A self-contained nginx configuration: everything it writes stays in `folder`."""
    for sub in ("body", "proxy", "fastcgi", "uwsgi", "scgi"):
        (folder / "tmp" / sub).mkdir(parents=True, exist_ok=True)

    def upstream(name: str, ports: list[int], balance: str = "") -> str:
        # Rasa's REST webhook answers when the turn is done: no retry on another replica,
        # which would run the same message twice.
        servers = "".join(f"    server 127.0.0.1:{port} max_fails=0;\n" for port in ports)
        return f"  upstream {name} {{\n{balance}{servers}  }}\n"

    user = "user root;\n" if os.geteuid() == 0 else ""  # workers must write the temp folders here
    config = (f"{user}worker_processes 1;\ndaemon off;\npid {folder}/nginx.pid;\n"
              f"error_log {folder}/nginx-error.log warn;\nevents {{ worker_connections 512; }}\nhttp {{\n"
              f"  access_log {folder}/nginx-access.log;\n  client_max_body_size 64k;\n"
              + "".join(f"  {kind}_temp_path {folder}/tmp/{sub};\n" for kind, sub in (
                  ("client_body", "body"), ("proxy", "proxy"), ("fastcgi", "fastcgi"), ("uwsgi", "uwsgi"),
                  ("scgi", "scgi")))
              + PROXYING
              + upstream("rasa", rasa_upstreams) + upstream("actions", actions_upstreams)
              + upstream("rasa_sockets", rasa_upstreams, "    hash $remote_addr consistent;\n")
              + f"  server {{ listen 127.0.0.1:{rasa_port}; location / {{ proxy_pass http://rasa; }}\n"
              + "    location /socket.io/ { proxy_pass http://rasa_sockets; } }\n"
              + f"  server {{ listen 127.0.0.1:{actions_port}; location / {{ proxy_pass http://actions; }} }}\n}}\n")
    path = folder / "nginx.conf"
    path.write_text(config)
    return path


@dataclass
class Topology:
    stack: Stack
    rasa: list[str]  # each replica's own URL
    actions: list[str]
    balancer: str  # nginx in front of the Rasa replicas


def start_topology(stack: Stack, *, model: Path, replicas: int, folder: Path, balancer_port: int,
                   services: Services) -> Topology:
    if not Path(NGINX).exists():
        raise RuntimeError("nginx is needed for the production shape: apt-get install nginx-light")
    verify_model(model)
    api = [*rasa_api_arguments(stack.env), *rasa_cors_arguments(stack.env),
           "--interface", settings(stack.env).bind_host]
    ensure_databases(services)
    stack.env.update(services.environment())
    subprocess.run([str(BIN / "bot"), "migrate"], cwd=ROOT, env=stack.env, check=True, stdout=subprocess.DEVNULL)
    rasa_ports = [free_port() for _ in range(replicas)]
    action_ports = [free_port() for _ in range(replicas)]
    actions_balancer = free_port()
    config = nginx_config(folder, rasa_port=balancer_port, rasa_upstreams=rasa_ports,
                          actions_port=actions_balancer, actions_upstreams=action_ports)
    stack.env["ACTION_ENDPOINT_URL"] = f"http://127.0.0.1:{actions_balancer}/webhook"
    for index, port in enumerate(action_ports):
        stack.spawn(f"actions-{index + 1}", action_server_command(port),
                    f"http://127.0.0.1:{port}", f"http://127.0.0.1:{port}/health", timeout=90)
    stack.spawn("nginx", [NGINX, "-c", str(config), "-p", str(folder)], f"http://127.0.0.1:{balancer_port}",
                f"http://127.0.0.1:{actions_balancer}/health", timeout=30)
    # The replicas load the model at the same time: start them together, then wait for each.
    processes = [(port, stack.launch(f"rasa-{index + 1}", [
        *rasa_command("run", "--model", str(model), "--port", str(port), *api, "--credentials", "credentials.yml",
                      "--endpoints", str(PROD_ENDPOINTS),
                      "--logging-config-file", str(ROOT / "config" / "logging.yml"))]))
        for index, port in enumerate(rasa_ports)]
    for port, process in processes:
        wait_for_http(f"http://127.0.0.1:{port}/", 300, process)
    stack.urls["rasa"] = f"http://127.0.0.1:{balancer_port}"
    return Topology(stack, rasa=[f"http://127.0.0.1:{p}" for p in rasa_ports],
                    actions=[f"http://127.0.0.1:{p}" for p in action_ports], balancer=stack.urls["rasa"])


def run_prod(args) -> int:
    """`bot run-prod`, and so `make run-prod`."""
    env = stack_environment()
    refuse_dev_secrets_off_loopback(settings(env).bind_host, settings(env))
    model = ensure_model()
    folder = VAR / "prod"
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    stack = Stack(env=env, logs=folder)
    services = settings().services
    embedded_stripe = not settings().stripe_configured
    if embedded_stripe:  # it starts empty, so the demo starts from empty databases of its own
        services = replace(services, app_database=services.app_database + "_demo",
                           tracker_database=services.tracker_database + "_demo")

    def start() -> None:
        if embedded_stripe:
            drop_databases(services)
            start_localstripe(stack, free_port(), log=folder / "stripe.log")
            print(f"local Stripe (localstripe)  {stack.env['STRIPE_API_BASE']} (set STRIPE_API_BASE= "
                  "and STRIPE_API_KEY for real Stripe)", flush=True)
        print(f"PostgreSQL {services.postgres_url} (app: {services.app_database}, tracker: "
              f"{services.tracker_database}), Redis {services.redis_host}:{services.redis_port}, "
              f"RabbitMQ {services.rabbitmq_host}:{services.rabbitmq_port} queue {services.events_queue}",
              flush=True)
        print(f"starting {args.replicas} Rasa servers and {args.replicas} action servers behind nginx "
              "(the replicas load the model together: about a minute) ...", flush=True)
        top = start_topology(stack, model=model, replicas=args.replicas, folder=folder,
                             balancer_port=args.port, services=services)
        if args.seed:
            seed(stack, args.seed)
        start_console(stack, args.console_port)
        start_widget(stack, args.widget_port)
        start_reconciler(stack)
        print(f"Rasa, load-balanced          {top.balancer}/webhooks/rest/webhook  (replicas: "
              f"{', '.join(top.rasa)})", flush=True)
        print(f"agent console                {stack.urls['console']}", flush=True)
        print(f"help widget                  {stack.urls['widget']}/static/widget.js", flush=True)
        print(f"logs                         {folder.relative_to(ROOT)}/   Ctrl-C stops everything.", flush=True)

    return stack.serve(start)
