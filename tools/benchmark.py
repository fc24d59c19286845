"""Benchmark: `python -m tools.benchmark` prints wall times of the test suite, the offline plan and
diff of prod, and how the plan and the diff grow with the number of regions. A script, not a timed test."""

from __future__ import annotations

import json
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


def median(repeat: int, fn) -> tuple[float, object]:
    times, result = [], None
    for _ in range(repeat):
        start = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times), result


def main() -> None:
    print(f"python {sys.version.split()[0]}, wall-clock seconds")
    py = sys.executable
    with tempfile.TemporaryDirectory() as base:
        print(f"full test suite (pytest -q):             {wall([py, '-m', 'pytest', '-q']):6.2f}")
        print(f"python -m tools.plan prod:               {wall([py, '-m', 'tools.plan', 'prod', '--out', base]):6.2f}")
        diff_cmd = [py, "-m", "tools.plan", "prod", "--diff", base, "--out", f"{base}/head"]
        print(f"python -m tools.plan prod --diff BASE:   {wall(diff_cmd):6.2f}")

    print("\nin-process, by region count (median of 5): run the program; render resources.json and the")
    print("critical path; diff (Markdown) against the same stack with another serving port")
    print("regions  resources  run (s)  render (s)  diff (s)  changed")
    prod = plan.render("prod", secrets=SECRETS)  # also warms the imports
    for n in REGION_COUNTS:
        print(by_regions(n))
    serve, walkthrough = timing.total_seconds(timing.critical_path(prod)), timing.walkthrough_seconds()
    print(f"\nmodelled time to serve of prod: {timing.minutes(serve)} min; the walkthrough's stages one after another:")
    print(f"{timing.minutes(walkthrough)} min; ratio {serve / walkthrough:.2f}")


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
