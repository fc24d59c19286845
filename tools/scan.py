"""An independent security scan of every stack's offline plan: `python -m tools.scan` (`make scan`, CI).

Checkov (requirements-scan.txt, its own virtualenv: the test suite stays lean) reads what the plan renders:
every Kubernetes manifest under build/plan/<stack>/manifests/ (the charts' objects included), and the plan's GCP
resources written as Terraform JSON (build/plan/<stack>/gcp.tf.json: the pulumi-gcp inputs under their Terraform
names, which is what the provider sends; https://www.checkov.io/ "Terraform JSON" and "Kubernetes" frameworks).
Each finding is (stack, check, resource). tools/scan_accepted.txt lists the accepted ones, each with its reason; a
finding not on it fails the scan, and so does an accepted entry that matches no finding any more.
"""

from __future__ import annotations

import argparse
import fnmatch
import json
import re
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from tools import engine, stack_file

STACKS = tuple(stack_file.stack_names(engine.ROOT))  # every stack file's, so a new stack is scanned too
OUT = engine.ROOT / "build" / "plan"
ACCEPTED = engine.ROOT / "tools" / "scan_accepted.txt"
CHECKOV = engine.ROOT / "venv-scan" / "bin" / "checkov"
# The GCP types Checkov's Terraform checks cover that the program creates, by their Terraform names
# (pulumi-gcp's resource tokens map one to one onto terraform-provider-google's resources).
TERRAFORM_TYPES = {
    "gcp:container/cluster:Cluster": "google_container_cluster",
    "gcp:container/nodePool:NodePool": "google_container_node_pool",
    "gcp:storage/bucket:Bucket": "google_storage_bucket",
    "gcp:compute/network:Network": "google_compute_network",
    "gcp:compute/subnetwork:Subnetwork": "google_compute_subnetwork",
    "gcp:compute/firewall:Firewall": "google_compute_firewall",
    "gcp:projects/iAMMember:IAMMember": "google_project_iam_member",
    "gcp:projects/iAMAuditConfig:IAMAuditConfig": "google_project_iam_audit_config",
}


@dataclass(frozen=True, order=True)
class Finding:
    stack: str
    check: str
    resource: str

    def __str__(self) -> str:
        return f"{self.stack}\t{self.check}\t{self.resource}"


def _snake(name: str) -> str:
    return re.sub(r"(?<=[a-z0-9])([A-Z])", r"_\1", name).lower()


def _terraform(value: object) -> object:
    """pulumi-gcp inputs as Terraform JSON: snake_case keys, a nested object as a one-element block list."""
    if isinstance(value, dict):
        return {_snake(k): [_terraform(v)] if isinstance(v, dict) else _terraform(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_terraform(v) for v in value]
    return value


def terraform_json(resources: list[dict]) -> dict:
    """The plan's GCP resources Checkov has checks for, as a Terraform JSON configuration."""
    out: dict[str, dict] = {}
    for r in resources:
        kind = TERRAFORM_TYPES.get(r["type"])
        if kind:
            out.setdefault(kind, {})[r["name"]] = _terraform(r["inputs"])
    return {"resource": out}


def _checkov(args: list[str]) -> list[dict]:
    done = subprocess.run(
        [str(CHECKOV), *args, "--output", "json", "--quiet", "--compact", "--soft-fail", "--skip-download"],
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0 or not done.stdout.strip():
        raise RuntimeError(f"checkov {' '.join(args)} failed:\n{done.stderr[-2000:]}")
    reports = json.loads(done.stdout)
    return [f for report in (reports if isinstance(reports, list) else [reports]) for f in _failed(report)]


def _failed(report: dict) -> list[dict]:
    return report.get("results", {}).get("failed_checks", []) if isinstance(report, dict) else []


def scan_stack(stack: str) -> set[Finding]:
    folder = OUT / stack
    subprocess.run([sys.executable, "-m", "tools.plan", stack, "--out", str(folder)], check=True, capture_output=True)
    resources = json.loads((folder / "resources.json").read_text())["resources"]
    (folder / "gcp.tf.json").write_text(json.dumps(terraform_json(resources), indent=1))
    failed = _checkov(["-d", str(folder / "manifests"), "--framework", "kubernetes"])
    failed += _checkov(["-f", str(folder / "gcp.tf.json"), "--framework", "terraform_json"])
    return {Finding(stack, f["check_id"], f["resource"]) for f in failed}


def accepted(path: Path = ACCEPTED) -> list[tuple[str, str, str, str]]:
    """(stack pattern, check, resource pattern, reason) per line; '#' starts a comment."""
    rows = []
    for line in path.read_text().splitlines():
        if line.strip() and not line.startswith("#"):
            stack, check, resource, reason = line.split("\t")
            rows.append((stack, check, resource, reason))
    return rows


def judge(found: set[Finding], rows: list[tuple[str, str, str, str]]) -> tuple[list[Finding], list[str]]:
    """(findings no row accepts, rows that accept no finding)."""

    def accepts(row: tuple[str, str, str, str], f: Finding) -> bool:
        stack, check, resource, _ = row
        return fnmatch.fnmatchcase(f.stack, stack) and f.check == check and fnmatch.fnmatchcase(f.resource, resource)

    new = sorted(f for f in found if not any(accepts(row, f) for row in rows))
    stale = ["\t".join(row[:3]) for row in rows if not any(accepts(row, f) for f in found)]
    return new, stale


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("stacks", nargs="*", default=list(STACKS))
    args = parser.parse_args(argv)
    found = set().union(*(scan_stack(s) for s in args.stacks))
    new, stale = judge(found, accepted())
    if set(args.stacks) != set(STACKS):
        stale = []  # a line may be for a stack not scanned: only a scan of every stack finds stale ones
    print(f"checkov: {len(found)} findings in {', '.join(args.stacks)}; {len(found) - len(new)} accepted")
    for finding in new:
        print(f"NEW\t{finding}")
    for row in stale:
        print(f"STALE\t{row}\t(no such finding any more: remove it from {ACCEPTED.name})")
    return 1 if new or stale else 0


if __name__ == "__main__":
    sys.exit(main())
