"""deploy/k8s: every overlay renders (kubectl kustomize), every object is valid for Kubernetes 1.30
and each newer version whose schemas kubernetes-validate ships (offline, strict: an unknown field
is an error), and the house rules hold: requests and limits, probes that mean something, no
root and a read-only root filesystem, a disruption budget per Deployment, no secret outside a
Secret, pinned images, migrations before serving, a shutdown that waits for a turn in flight."""
from __future__ import annotations

import base64
import re
import shlex

import pytest

from bot.ops.cli import build_parser
from bot.settings import DEV_ACTION_SERVER_SECRET, dev_secrets_in_use, settings
from tests.support.k8s import COMPONENTS, K8S, OVERLAYS, ROOT, render, render_with_component, schema_errors, \
    schema_versions

APP_IMAGE = "grouptrack/assistant"
VERSION = re.search(r'^version = "([^"]+)"', (ROOT / "pyproject.toml").read_text(), re.M).group(1)
WORKLOADS = ("Deployment", "StatefulSet")
SERVERS = ("rasa", "actions", "console", "widget")
# What deserves a Secret: every variable the code or endpoints.prod.yml reads that is named so.
SECRET_NAME = re.compile(r"SECRET|TOKEN|PASSWORD|_KEY$|DATABASE_URL$|REDIS_URL$|POSTGRES_URL$")
ENDPOINTS_READ = set(re.findall(r"\$\{(\w+)\}", "\n".join(
    line.split("#")[0] for line in (ROOT / "endpoints.prod.yml").read_text().splitlines())))
READ_BY_THE_CODE = ENDPOINTS_READ | set(re.findall(r"""(?:env\.get\(|env\[|\(env, )["']([A-Z][A-Z0-9_]+)["']""",
                                                   (ROOT / "bot" / "settings.py").read_text()))
SECRETS = {name for name in READ_BY_THE_CODE if SECRET_NAME.search(name)}
NOT_IN_A_POD = {"POSTGRES_URL", "AGENT_PASSWORD"}  # run-prod's local admin URL; `bot agent create` in scripts


@pytest.fixture(scope="module", params=OVERLAYS + [f"prod+{c}" for c in COMPONENTS])
def rendered(request, tmp_path_factory) -> tuple[str, list[dict]]:
    if "+" in request.param:
        overlay, component = request.param.split("+")
        return request.param, render_with_component(overlay, component, tmp_path_factory.mktemp("with"))
    return request.param, render(K8S / "overlays" / request.param)


def of_kind(docs: list[dict], *kinds: str) -> list[dict]:
    return [d for d in docs if d["kind"] in kinds]


def settings_of(docs: list[dict]) -> dict:
    """The settings ConfigMap's values (its name has kustomize's hash suffix)."""
    [found] = [d for d in of_kind(docs, "ConfigMap") if d["metadata"]["name"].startswith("grouptrack-settings")]
    return found["data"]


def pod_spec(doc: dict) -> dict:
    template = doc["spec"]["jobTemplate"]["spec"]["template"] if doc["kind"] == "CronJob" else doc["spec"]["template"]
    return template["spec"]


def pods(docs: list[dict]) -> list[tuple[str, dict]]:
    return [(f"{d['kind']}/{d['metadata']['name']}", pod_spec(d))
            for d in of_kind(docs, "Deployment", "StatefulSet", "Job", "CronJob")]


def containers(spec: dict) -> list[dict]:
    return spec.get("initContainers", []) + spec["containers"]


def ours(container: dict) -> bool:
    return container["image"].rsplit(":", 1)[0].endswith(APP_IMAGE)


def the_project(container: dict) -> bool:
    """Our image running our code (the dev overlay also runs localstripe from it)."""
    return ours(container) and container["command"][0] != "localstripe"


def test_the_overlays_and_components_are_the_ones_documented():
    assert OVERLAYS == ["dev", "prod"] and COMPONENTS == ["imap-poller"]


def test_every_object_is_valid_for_kubernetes_1_30_and_newer(rendered):
    name, docs = rendered
    versions = schema_versions()
    assert versions[0] == "1.30" and len(versions) >= 2, versions
    for version in (versions[0], versions[-1]):  # the oldest supported and the newest known
        problems = {f"{d['kind']}/{d['metadata']['name']}": errors for d in docs
                    if (errors := schema_errors(d, version))}
        assert problems == {}, f"{name} on Kubernetes {version}: {problems}"


def test_every_container_has_requests_and_limits(rendered):
    for where, spec in pods(rendered[1]):
        for container in containers(spec):
            resources = container.get("resources", {})
            for part in ("requests", "limits"):
                assert {"cpu", "memory"} <= set(resources.get(part, {})), f"{where}/{container['name']}: {part}"


def test_every_pod_runs_as_a_user_on_a_read_only_root_with_no_privileges(rendered):
    for where, spec in pods(rendered[1]):
        pod = spec.get("securityContext", {})
        assert pod.get("runAsNonRoot") is True and pod.get("runAsUser", 0) != 0, where
        assert pod.get("seccompProfile") == {"type": "RuntimeDefault"}, where
        assert spec.get("automountServiceAccountToken") is False, where
        for container in containers(spec):
            security = container.get("securityContext", {})
            assert security.get("readOnlyRootFilesystem") is True, f"{where}/{container['name']}"
            assert security.get("allowPrivilegeEscalation") is False, f"{where}/{container['name']}"
            assert security.get("capabilities") == {"drop": ["ALL"]}, f"{where}/{container['name']}"
            if ours(container):  # what our servers write goes to the /tmp volume (HOME, Rasa's unpacked model)
                assert {"mountPath": "/tmp", "name": "tmp"} in container["volumeMounts"], where


def test_every_server_is_probed_and_ours_are_ready_only_when_they_can_serve(rendered):
    servers = {}
    for doc in of_kind(rendered[1], *WORKLOADS):
        for container in pod_spec(doc)["containers"]:
            if "ports" in container:  # a poller has nothing to ask: it exits on an error and is restarted
                assert {"readinessProbe", "livenessProbe"} <= set(container), doc["metadata"]["name"]
                servers[container["name"]] = container
    for name in SERVERS:
        container = servers[name]
        ready, port = container["readinessProbe"]["exec"]["command"], container["ports"][0]["containerPort"]
        if name == "rasa":  # a loaded model, not Rasa's / (which answers without one)
            assert ready == ["python", "-m", "bot.ops.probe", "rasa", f"http://127.0.0.1:{port}"]
            assert container["startupProbe"]["exec"]["command"] == ready
            assert container["livenessProbe"]["httpGet"]["path"] == "/"
        else:
            assert ready == ["python", "-m", "bot.ops.probe", "app", f"http://127.0.0.1:{port}/health"], name
            assert container["livenessProbe"]["httpGet"]["path"] == "/health", name
        assert "exec" not in container["livenessProbe"], f"{name}: liveness must not depend on a database"


def test_every_workload_has_a_disruption_budget_that_selects_its_pods(rendered):
    budgets = of_kind(rendered[1], "PodDisruptionBudget")
    for doc in of_kind(rendered[1], *WORKLOADS):
        labels = doc["spec"]["template"]["metadata"]["labels"]
        matching = [b for b in budgets if b["spec"]["selector"]["matchLabels"].items() <= labels.items()]
        assert len(matching) == 1, f"{doc['kind']}/{doc['metadata']['name']}: {len(matching)} budgets"


def test_images_are_pinned_and_ours_is_the_release(rendered):
    for where, spec in pods(rendered[1]):
        for container in containers(spec):
            image = container["image"]
            name, _, tag = image.rpartition(":")
            assert name and tag and tag != "latest" and "/" not in tag, f"{where}: {image}"
            if ours(container):
                assert tag == VERSION, f"{where}: {image} is not pyproject's {VERSION}"


def secret_keys(docs: list[dict], overlay: str) -> set[str]:
    """Keys of the Secrets the pods read: generated in the overlay, or (prod) the operator's,
    as its example files list them."""
    generated = {key for d in of_kind(docs, "Secret") for key in d.get("data", {})}
    examples = K8S / "overlays" / overlay.split("+")[0]
    listed = {line.split("=")[0] for f in examples.glob("*.env.example") for line in f.read_text().splitlines()
              if line and not line.startswith("#")}
    return generated | listed


def test_no_secret_is_in_a_config_map_or_written_into_a_pod(rendered):
    assert {"CUSTOMER_TOKEN_SECRET", "DATABASE_URL", "STRIPE_API_KEY", "TRACKER_DB_PASSWORD"} <= SECRETS
    for config in of_kind(rendered[1], "ConfigMap"):
        for key, value in config.get("data", {}).items():
            assert not (set(re.findall(r"[A-Z][A-Z0-9_]{3,}", key)) & SECRETS), f"{config['metadata']['name']}: {key}"
            assert not re.search(r"(sk|rk)_(live|test)_|whsec_|xox[bp]-|://[^/\s:@]+:[^/\s@]+@", value), key
    for where, spec in pods(rendered[1]):
        for container in containers(spec):
            for variable in container.get("env", []):
                if SECRET_NAME.search(variable["name"]) or variable["name"].endswith("_PASS"):
                    assert "secretKeyRef" in variable.get("valueFrom", {}), f"{where}: {variable['name']}"


def test_every_secret_the_code_reads_comes_from_a_secret_every_pod_of_ours_is_given(rendered):
    name, docs = rendered
    missing = SECRETS - NOT_IN_A_POD - secret_keys(docs, name)
    if name == "dev":  # tried without Slack, SMTP, a mailbox, Stripe's webhooks or a metrics scraper
        missing -= {"IMAP_PASSWORD", "SLACK_BOT_TOKEN", "SLACK_SIGNING_SECRET", "SMTP_PASSWORD", "METRICS_TOKEN",
                    "STRIPE_WEBHOOK_SECRET"}
    assert missing == set()
    for where, spec in pods(docs):
        for container in filter(the_project, containers(spec)):
            sources = [re.sub(r"-[a-z0-9]{10}$", "", s["secretRef"]["name"])  # a generated Secret's hash suffix
                       for s in container.get("envFrom", []) if "secretRef" in s]
            assert {"grouptrack-secrets", "grouptrack-services"} <= set(sources), where


def test_the_dev_overlay_s_own_secrets_let_the_servers_listen_beyond_loopback():
    docs = render(K8S / "overlays" / "dev")
    env = {key: base64.b64decode(value).decode() for d in of_kind(docs, "Secret") for key, value in d["data"].items()}
    env.update(settings_of(docs))
    config = settings(env)
    assert config.bind_host == "0.0.0.0" and config.action_server_secret != DEV_ACTION_SERVER_SECRET
    assert dev_secrets_in_use(config) == []  # the check every server makes before listening
    assert ENDPOINTS_READ <= set(env), sorted(ENDPOINTS_READ - set(env))  # Rasa refuses to start on an unset ${VAR}


def test_every_server_waits_for_the_migration_and_the_job_migrates(rendered):
    docs = rendered[1]
    [job] = [d for d in of_kind(docs, "Job") if d["metadata"]["name"] == "grouptrack-migrate"]
    assert pod_spec(job)["containers"][0]["command"] == ["bot", "migrate"]
    wait = [["bot", "migrate", "--wait", "600"]]
    waiting = {doc["metadata"]["name"] for doc in of_kind(docs, "Deployment")
               if [c["command"] for c in pod_spec(doc).get("initContainers", [])] == wait}
    assert set(SERVERS) <= waiting


def test_a_stopped_pod_finishes_its_turn_before_it_is_killed(rendered):
    docs = rendered[1]
    values = settings_of(docs)
    graceful = float(values["SANIC_GRACEFUL_SHUTDOWN_TIMEOUT"])
    assert graceful > float(values["STRIPE_TIMEOUT_SECONDS"])
    for doc in of_kind(docs, "Deployment"):
        spec = pod_spec(doc)
        for container in spec["containers"]:
            if container["name"] in SERVERS:
                pause = float(container["lifecycle"]["preStop"]["exec"]["command"][1])
                assert spec["terminationGracePeriodSeconds"] > pause + graceful, doc["metadata"]["name"]


def test_the_commands_the_pods_run_exist(rendered):
    parser, seen = build_parser(), set()
    for where, spec in pods(rendered[1]):
        for container in filter(ours, containers(spec)):
            command = container["command"]
            scripts = [command[2]] if command[:2] == ["sh", "-c"] else [shlex.join(command)]
            for script in scripts:
                for part in re.split(r"&&|;|\$\(|\)", script):
                    words = shlex.split(part)
                    words = words[1:] if words[:1] == ["exec"] else words
                    if words[:1] == ["bot"]:
                        parser.parse_args(words[1:])  # UsageError for an unknown command or option
                        seen.add(words[1])
                    elif words[:3] == ["python", "-m", "bot.ops.quiet"]:
                        # Rasa only through the patch registry, which checks the version it was written for
                        assert words[3] in ("bot.ops.rasa_patches", "bot.ops.action_server"), where
                        seen.add(words[3])
    assert {"migrate", "model", "console", "widget", "reconcile", "sync", "bot.ops.rasa_patches",
            "bot.ops.action_server"} <= seen


def test_rasa_s_api_is_never_routed_from_outside(rendered):
    for ingress in of_kind(rendered[1], "Ingress"):
        for rule in ingress["spec"]["rules"]:
            for path in rule["http"]["paths"]:
                if path["backend"]["service"]["name"] == "rasa":
                    assert path["path"] in ("/webhooks/", "/socket.io/"), path


def test_the_policy_and_plans_the_cluster_mounts_are_the_project_s():
    for name in ("policy.yml", "plans.yml"):
        assert (K8S / "base" / "config" / name).read_text() == (ROOT / "config" / name).read_text(), \
            f"copy config/{name} to deploy/k8s/base/config/ (kustomize reads nothing outside deploy/k8s)"


def test_the_settings_name_only_variables_something_reads():
    named = {line.split("=")[0] for line in (K8S / "base" / "settings.env").read_text().splitlines()
             if line and not line.startswith("#")}
    read_elsewhere = {"SANIC_GRACEFUL_SHUTDOWN_TIMEOUT", "RASA_TELEMETRY_ENABLED", "SQLALCHEMY_SILENCE_UBER_WARNING",
                      "PYTHONUNBUFFERED", "HOME", "MPLCONFIGDIR"}  # Sanic, Rasa, SQLAlchemy, Python, matplotlib
    assert named - read_elsewhere <= READ_BY_THE_CODE, sorted(named - read_elsewhere - READ_BY_THE_CODE)
