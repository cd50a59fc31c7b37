"""deploy/k8s rendered as `kubectl apply -k` would, and checked against Kubernetes' own schemas,
offline: no cluster runs on these machines.

The schemas are the JSON files the kubernetes-validate package ships (requirements-schemas.lock
says why only its files are used), read with the jsonschema that Rasa pins."""
from __future__ import annotations

import functools
import importlib.util
import json
import os
import re
import shutil
import subprocess
from pathlib import Path

import jsonschema
import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
K8S = ROOT / "deploy" / "k8s"
OVERLAYS = sorted(p.parent.name for p in (K8S / "overlays").glob("*/kustomization.yaml"))
COMPONENTS = sorted(p.parent.name for p in (K8S / "components").glob("*/kustomization.yaml"))
OLDEST = "1.30"  # the oldest Kubernetes the manifests are for


def kubectl() -> str:
    """kubectl's path; without it the test says so, and fails where REQUIRE_KUBECTL is set (CI)."""
    found = shutil.which("kubectl")
    if not found:
        message = "rendering deploy/k8s needs kubectl (with its built-in kustomize) on PATH"
        if os.environ.get("REQUIRE_KUBECTL"):
            pytest.fail(message)
        pytest.skip(message)
    return found


def render(folder: Path) -> list[dict]:
    done = subprocess.run([kubectl(), "kustomize", str(folder)], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    return [doc for doc in yaml.safe_load_all(done.stdout) if doc]


def render_with_component(overlay: str, component: str, scratch: Path) -> list[dict]:
    """An overlay with an optional component added, as an operator adds it to their own overlay
    (so the overlay's image and namespace apply to it too): on a copy of deploy/k8s."""
    copy = scratch / "k8s"
    shutil.copytree(K8S, copy)
    with open(copy / "overlays" / overlay / "kustomization.yaml", "a") as kustomization:
        kustomization.write(f"components: [../../components/{component}]\n")
    return render(copy / "overlays" / overlay)


@functools.lru_cache(maxsize=None)
def _schema_folder() -> Path:
    spec = importlib.util.find_spec("kubernetes_validate")  # finds the package without importing its code
    if spec is None or not spec.submodule_search_locations:
        pytest.fail("kubernetes-validate's schemas are missing: make install (requirements-schemas.lock)")
    return Path(list(spec.submodule_search_locations)[0]) / "kubernetes-json-schema"


def schema_versions() -> list[str]:
    """The Kubernetes versions the package has strict schemas for, from OLDEST on."""
    found = {m.group(1) for p in _schema_folder().iterdir() if (m := re.fullmatch(r"v(\d+\.\d+)\.0-local-strict",
                                                                                    p.name))}
    return sorted((v for v in found if tuple(map(int, v.split("."))) >= tuple(map(int, OLDEST.split(".")))),
                  key=lambda v: tuple(map(int, v.split("."))))


@functools.lru_cache(maxsize=None)
def _definitions(version: str) -> dict:
    return json.loads((_schema_folder() / f"v{version}.0-local-strict" / "_definitions.json").read_text())


@functools.lru_cache(maxsize=None)
def _validator(version: str, kind: str, api_version: str):
    # As kubernetes-validate names them: rbac.authorization.k8s.io/v1 -> rbac-v1, apps/v1 -> apps-v1
    group = re.sub(r"^([^./]*)(?:\.[^/]*)?/", r"\1-", api_version)
    path = _schema_folder() / f"v{version}.0-local-strict" / f"{kind.lower()}-{group}.json"
    if not path.exists():
        raise AssertionError(f"Kubernetes {version} has no {kind} in {api_version}")
    schema = json.loads(path.read_text())
    resolver = jsonschema.RefResolver("", schema, store={"/api/_definitions.json": _definitions(version)})
    return jsonschema.Draft202012Validator(schema, resolver=resolver)


def schema_errors(document: dict, version: str) -> list[str]:
    """Every way `document` breaks Kubernetes `version`'s strict schema (unknown fields too)."""
    validator = _validator(version, document["kind"], document["apiVersion"])
    return [f"{'.'.join(map(str, e.absolute_path)) or '(top)'}: {e.message[:200]}"
            for e in validator.iter_errors(document)]
