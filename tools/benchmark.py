"""Benchmark: `python -m tools.benchmark` prints wall times of the test suite, the offline plan of
prod, and how the plan grows with the number of regions. A script, not a timed test."""

from __future__ import annotations

import statistics
import subprocess
import sys
import time

from tools import engine

# TPU v6e regions and zones (Google's TPU regions and zones list), used only to size the stack.
V6E_ZONES = [
    ("europe-west4", "a"),
    ("us-east5", "b"),
    ("us-east1", "d"),
    ("us-central1", "b"),
    ("us-south1", "a"),
    ("asia-northeast1", "b"),
    ("southamerica-east1", "c"),
    ("asia-south1", "b"),
]


def regions(n: int) -> list[dict]:
    return [
        {"name": r, "zone": f"{r}-{z}", "nodeCidr": f"10.0.{i}.0/24", "proxyCidr": f"10.1.{i}.0/24"}
        for i, (r, z) in enumerate(V6E_ZONES[:n], start=1)
    ]


def wall(cmd: list[str]) -> float:
    start = time.perf_counter()
    subprocess.run(cmd, cwd=engine.ROOT, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.perf_counter() - start


def median_run(repeat: int, **kwargs) -> tuple[float, int]:
    times, count = [], 0
    for _ in range(repeat):
        start = time.perf_counter()
        plan = engine.run("prod", **kwargs)
        times.append(time.perf_counter() - start)
        count = len(plan.registrations)
    return statistics.median(times), count


def main() -> None:
    print(f"python {sys.version.split()[0]}, wall-clock seconds")
    print(f"full test suite (pytest -q):        {wall([sys.executable, '-m', 'pytest', '-q']):6.2f}")
    print(f"python -m tools.plan prod:          {wall([sys.executable, '-m', 'tools.plan', 'prod']):6.2f}")
    print("\nin-process offline run of prod by region count (median of 5):")
    print("regions  registrations  seconds  ms/registration")
    engine.run("prod")  # warm imports
    for n in (1, 2, 4, 8):
        seconds, count = median_run(5, overrides={"regions": regions(n), "configRegion": "us-east5" if n > 1 else None})
        print(f"{n:>7}  {count:>13}  {seconds:7.2f}  {1000 * seconds / count:15.1f}")


if __name__ == "__main__":
    main()
