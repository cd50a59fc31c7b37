"""`make capacity`'s model (bench/capacity.py), and deploy/k8s derived from it: the autoscalers'
target, the pods' requests and limits and the prod overlay's largest fleet are the model's
output for the committed figures, so neither can change without the other."""
from __future__ import annotations

import math
import re

import pytest
import yaml

from bench import capacity
from bench.capacity import FIGURES, Figure, autoscaler_target_percent, pods, utilization
from bot.settings import ROOT

K8S = ROOT / "deploy" / "k8s"


def test_the_utilization_keeps_an_m_m_1_p95_within_the_target():
    figures = {"a": Figure(20.0, 100, ""), "b": Figure(10.0, 100, "")}
    u = utilization(figures, p95_ms=200.0, not_cpu_ms=10.0)
    assert u == pytest.approx(1 - math.log(20) * 30 / 190)
    # each kind's share of the budget: its p95 at u is ln(20) s / (1 - u), and the shares add up to the target
    assert sum(math.log(20) * f.cpu_ms_per_turn / (1 - u) for f in figures.values()) + 10 == pytest.approx(200)


def test_a_target_an_idle_turn_cannot_meet_is_refused_plainly():
    with pytest.raises(ValueError, match="out of reach"):
        utilization({"a": Figure(40.0, 100, "")}, p95_ms=100.0, not_cpu_ms=8.0)


def test_pods_grow_with_the_rate_and_never_drop_below_two():
    figure = Figure(30.0, 100, "")
    assert pods(1, figure, 0.5, 1.0) == 2
    assert pods(100, figure, 0.5, 1.0) == 6  # 100 * 0.030 / 0.5 = 6 cores
    assert pods(1000, figure, 0.5, 1.0) == 60 and pods(1000, figure, 0.5, 0.25) == 240


def test_the_table_has_the_asked_rates_and_the_report_its_sources():
    rows = capacity.table(FIGURES)
    assert [r["turns_per_second"] for r in rows] == [10, 100, 1000]
    for kind in FIGURES:
        assert [r[kind] for r in rows] == sorted(r[kind] for r in rows)
    text = capacity.report(FIGURES, capacity.P95_TARGET_MS)
    assert all(figure.source in text for figure in FIGURES.values())


def base_workload(kind: str) -> tuple[dict, dict | None]:
    docs = list(yaml.safe_load_all((K8S / "base" / f"{kind}.yaml").read_text()))
    deployment = next(d for d in docs if d["kind"] == "Deployment")
    return deployment["spec"]["template"]["spec"]["containers"][0], next(
        (d for d in docs if d["kind"] == "HorizontalPodAutoscaler"), None)


def cores(quantity: str) -> float:
    return int(quantity[:-1]) / 1000 if quantity.endswith("m") else float(quantity)


def mebibytes(quantity: str) -> int:
    number, unit = re.fullmatch(r"(\d+)(Mi|Gi)", quantity).groups()
    return int(number) * (1024 if unit == "Gi" else 1)


@pytest.mark.parametrize("kind", sorted(FIGURES))
def test_the_manifests_request_what_the_model_sizes(kind):
    container, autoscaler = base_workload(kind)
    figure, resources = FIGURES[kind], container["resources"]
    assert cores(resources["requests"]["cpu"]) == capacity.REQUEST_CORES[kind]
    assert mebibytes(resources["requests"]["memory"]) == capacity.memory_request_mib(figure)
    assert mebibytes(resources["limits"]["memory"]) == capacity.memory_limit_mib(figure)
    if kind in capacity.AUTOSCALED:
        target = autoscaler["spec"]["metrics"][0]["resource"]["target"]
        assert target == {"type": "Utilization", "averageUtilization": autoscaler_target_percent(utilization(FIGURES))}
        assert autoscaler["spec"]["minReplicas"] == capacity.MINIMUM_PODS
    else:
        assert autoscaler is None


def test_the_prod_overlay_lets_the_autoscalers_reach_the_pods_for_its_peak():
    kustomization = yaml.safe_load((K8S / "overlays" / "prod" / "kustomization.yaml").read_text())
    ceilings = {p["target"]["name"]: yaml.safe_load(p["patch"])[0]["value"] for p in kustomization["patches"]
                if p["target"]["kind"] == "HorizontalPodAutoscaler"}
    u = utilization(FIGURES)
    assert ceilings == {kind: pods(capacity.PEAK, FIGURES[kind], u, capacity.REQUEST_CORES[kind])
                        for kind in capacity.AUTOSCALED}
