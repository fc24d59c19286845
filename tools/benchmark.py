"""Benchmark: `python -m tools.benchmark` prints the three figures of prod first: the worst-case failover detection
of its Gateway's health check, the modelled time to serve against the walkthrough's, and the warm wall and CPU time
of `python -m tools.plan prod`; then the wall times of the test suite and of the diff, and how the plan and the
diff grow with the number of regions. A script, not a timed test."""

from __future__ import annotations

import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time

from inference.core.facts import places
from tools import diff, engine, plan, timing
from tools.plan import OPERATOR_STAND_INS as SECRETS

# One TPU v6e zone per region, from the validated table (inference/core/facts/places.py TPU_V6E_ZONES), the
# walkthrough's first.
_FIRST: dict[str, str] = {}
for _zone in ("europe-west4-a", "us-east5-b", "us-east1-d", *places.TPU_V6E_ZONES):
    if _zone not in places.ai_zones_of(_zone.rsplit("-", 1)[0]):  # a zonal cluster needs a standard zone
        _FIRST.setdefault(_zone.rsplit("-", 1)[0], _zone)
V6E_ZONES = list(_FIRST.items())
REGION_COUNTS = (1, 2, 4, len(V6E_ZONES))


def regions(n: int) -> list[dict]:
    return [
        {"name": r, "zone": z, "nodeCidr": f"10.0.{i}.0/24", "proxyCidr": f"10.1.{i}.0/24"}
        for i, (r, z) in enumerate(V6E_ZONES[:n], start=1)
    ]


def wall(cmd: list[str]) -> float:
    start = time.perf_counter()
    subprocess.run(cmd, cwd=engine.ROOT, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.perf_counter() - start


def wall_and_cpu(cmd: list[str]) -> tuple[float, float]:
    """Wall seconds of `cmd`, and the CPU seconds (user + sys) it and its children (Helm) used."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    seconds = wall(cmd)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return seconds, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def median(repeat: int, fn) -> tuple[float, object]:
    times, result = [], None
    for _ in range(repeat):
        start = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times), result


def failover(prod: engine.Plan) -> str:
    """The output `failoverDetectionSeconds`, and the HealthCheckPolicy settings it follows from."""
    (check,) = [r for r in prod.registrations if r.type.endswith(":HealthCheckPolicy") and not r.rendered_by]
    hc = check.inputs["spec"]["default"]
    return (
        f"failover detection of prod (worst case):  {prod.outputs['failoverDetectionSeconds']} s = unhealthyThreshold "
        f"{hc['unhealthyThreshold']} x checkIntervalSec {hc['checkIntervalSec']} s + timeoutSec {hc['timeoutSec']} s"
    )


def time_to_serve(prod: engine.Plan) -> str:
    serve, walkthrough = timing.total_seconds(timing.critical_path(prod)), timing.walkthrough_seconds()
    floor = timing.floor_seconds(prod, "model-load", "weights-download")
    return (
        f"time to serve of prod (modelled):         {timing.minutes(serve)} min, against the walkthrough's stages "
        f"one after another {timing.minutes(walkthrough)} min: ratio {serve / walkthrough:.2f}; with weights and "
        f"model loaded in no time {timing.minutes(floor)} min ({floor / walkthrough:.2f}), the Gateway's chain"
    )


def plan_time(out: str, repeat: int = 5) -> str:
    """`python -m tools.plan prod` as a user runs it, warm (after one run that fills the caches): medians."""
    cmd = [sys.executable, "-m", "tools.plan", "prod", "--out", out]
    wall(cmd)
    runs = [wall_and_cpu(cmd) for _ in range(repeat)]
    seconds, cpu = statistics.median(r[0] for r in runs), statistics.median(r[1] for r in runs)
    return (
        f"python -m tools.plan prod (warm):         {seconds:.2f} s wall, {cpu:.2f} s CPU (user + sys, Helm "
        f"included), medians of {repeat}; load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores"
    )


def main() -> None:
    print(f"python {sys.version.split()[0]}")
    prod = plan.render("prod", secrets=SECRETS)  # also warms the imports
    print(failover(prod))
    print(time_to_serve(prod))
    py = sys.executable
    with tempfile.TemporaryDirectory() as base:
        print(plan_time(base))
        print("\nwall-clock seconds")
        diff_cmd = [py, "-m", "tools.plan", "prod", "--diff", base, "--out", f"{base}/head"]
        print(f"python -m tools.plan prod --diff BASE:   {wall(diff_cmd):6.2f}")
        print(f"full test suite (pytest -q):             {wall([py, '-m', 'pytest', '-q']):6.2f}")

    print("\nin-process, by region count (median of 5): run the program; render resources.json and the")
    print("critical path; diff (Markdown) against the same stack with another serving port")
    print("regions  resources  run (s)  render (s)  diff (s)  changed")
    for n in REGION_COUNTS:
        print(by_regions(n))


def by_regions(n: int) -> str:
    config = {"regions": regions(n), "configRegion": "us-east5" if n > 1 else None}
    names = [r["name"] for r in regions(n)]
    run_s, base_plan = median(5, lambda: plan.render("prod", overrides=config, secrets=SECRETS))
    render_s, base = median(5, lambda: json.loads(json.dumps(plan.document(base_plan, names))))
    head_plan = plan.render("prod", overrides={**config, "servingPort": 8080}, secrets=SECRETS)
    head = json.loads(json.dumps(plan.document(head_plan, names)))
    diff_s, _ = median(5, lambda: diff.markdown("prod", base, head))
    count = sum(1 for r in base_plan.registrations if r.custom or r.remote)
    changed = len(diff.compare(base, head))
    return f"{n:>7}  {count:>9}  {run_s:7.2f}  {render_s:10.3f}  {diff_s:8.3f}  {changed:>7}"


if __name__ == "__main__":
    main()
