"""End-to-end run in a disposable project: `python -m tools.e2e --project <disposable-project> [--stack dev]`.

With Pulumi's Automation API (`pulumi.automation`, part of the pinned `pulumi` SDK; it drives the Pulumi CLI,
which must be on PATH: https://www.pulumi.com/docs/iac/automation-api/) it brings the stack up in the given
project, gets the clusters' credentials, sends each region's test request exactly as the stack output
`testRequests` spells it, runs the failover drill (tools/drill.py), destroys the stack, and then lists what is
left in the project that the stack created: firewall rules, network endpoint groups, addresses, forwarding
rules, subnets, the network, buckets, service accounts, fleet memberships and clusters whose name starts with
`<prefix>-<stack>-` or that sit in the stack's VPC (GKE's own `k8s1-…` NEGs and `gke-…`/`k8s-fw-…` rules).
Anything left fails the run. The stack is destroyed whatever happened before, and removed from the backend
only when nothing is left.

The backend and secrets provider come from the environment like the CLI's own (`PULUMI_BACKEND_URL`,
`PULUMI_SECRETS_PROVIDER`, `PULUMI_CONFIG_PASSPHRASE`); .github/workflows/e2e.yml points the backend at a
path of its own so this never touches the real `dev` stack. The project's config value is set in the
working copy's stack file only.
"""

from __future__ import annotations

import argparse
import json
import os
import shlex
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import yaml

from tools import drill

ROOT = Path(__file__).resolve().parent.parent

# What a stack creates and `gcloud … list --format=json` lists, by kind (gcloud reference:
# https://cloud.google.com/sdk/gcloud/reference). Each item is matched on its name and network below.
LISTINGS: dict[str, list[str]] = {
    "firewall rule": ["compute", "firewall-rules", "list"],
    "network endpoint group": ["compute", "network-endpoint-groups", "list"],
    "address": ["compute", "addresses", "list"],
    "forwarding rule": ["compute", "forwarding-rules", "list"],
    "subnetwork": ["compute", "networks", "subnets", "list"],
    "network": ["compute", "networks", "list"],
    "bucket": ["storage", "buckets", "list"],
    "service account": ["iam", "service-accounts", "list"],
    "fleet membership": ["container", "fleet", "memberships", "list"],
    "cluster": ["container", "clusters", "list"],
}
Runner = Callable[..., subprocess.CompletedProcess]


def _last(value: Any) -> str:
    return str(value or "").rstrip("/").rsplit("/", 1)[-1]


def leftovers(listings: dict[str, list[dict[str, Any]]], base: str, network: str) -> list[str]:
    """What in the listings the stack `base` (`<prefix>-<stack>`) created: a name starting with `base-` (a
    service account by the part of its email before `@`, a membership or link by its last segment), or a
    resource in the stack's VPC `network` or in one of its subnets."""
    found = []
    for kind, items in listings.items():
        for item in items:
            name = _last(item.get("email") or item.get("name"))
            in_vpc = _last(item.get("network")) == network or _last(item.get("subnetwork")).startswith(f"{base}-")
            if name.split("@", 1)[0].startswith(f"{base}-") or in_vpc:
                found.append(f"{kind} {name}")
    return sorted(found)


def list_resources(project: str, run: Runner = subprocess.run) -> dict[str, list[dict[str, Any]]]:
    listings = {}
    for kind, command in LISTINGS.items():
        done = run(
            ["gcloud", *command, f"--project={project}", "--format=json"], capture_output=True, text=True, timeout=300
        )
        if done.returncode != 0:
            raise RuntimeError(f"gcloud {' '.join(command)}: {done.stderr.strip()}")
        listings[kind] = json.loads(done.stdout or "[]")
    return listings


def stack_base(stack: str, root: Path = ROOT) -> tuple[str, str]:
    """`<prefix>-<stack>` and the VPC's name, from the stack file or Pulumi.yaml's default prefix."""
    project = yaml.safe_load((root / "Pulumi.yaml").read_text())
    stack_file = root / f"Pulumi.{stack}.yaml"
    config = (yaml.safe_load(stack_file.read_text()) or {}).get("config", {}) if stack_file.is_file() else {}
    prefix = config.get(f"{project['name']}:prefix", project["config"]["prefix"]["default"])
    return f"{prefix}-{stack}", f"{prefix}-{stack}-vpc"


def refuse_checked_in_projects(project: str, root: Path = ROOT) -> None:
    """The run destroys what it finds of its stack: never point it at a project a checked-in stack uses."""
    name = yaml.safe_load((root / "Pulumi.yaml").read_text())["name"]
    for stack_file in sorted(root.glob("Pulumi.*.yaml")):
        config = (yaml.safe_load(stack_file.read_text()) or {}).get("config", {})
        if config.get(f"{name}:project") == project:
            raise SystemExit(f"error: {project} is the project of {stack_file.name}; use a disposable project")


class Stack(Protocol):
    name: str

    def set_project(self, project: str) -> None: ...
    def up(self) -> None: ...
    def outputs(self) -> dict[str, Any]: ...
    def destroy(self) -> None: ...
    def remove(self) -> None: ...


class AutomationStack:
    """A stack of this project through the Automation API (`create_or_select_stack` with `work_dir`: the
    program in this directory, run by the CLI like `pulumi up` would)."""

    def __init__(self, stack_name: str, root: Path = ROOT):
        from pulumi import automation as auto  # imported here: the tests of this module do not need it

        self._auto = auto
        self.name = stack_name
        secrets_provider = os.environ.get("PULUMI_SECRETS_PROVIDER") or None
        self._stack = auto.create_or_select_stack(
            stack_name=stack_name,
            work_dir=str(root),
            opts=auto.LocalWorkspaceOptions(secrets_provider=secrets_provider),
        )

    def set_project(self, project: str) -> None:
        self._stack.set_config("project", self._auto.ConfigValue(value=project))

    def up(self) -> None:
        self._stack.up(on_output=print, suppress_progress=True, message="e2e")

    def outputs(self) -> dict[str, Any]:
        return {name: output.value for name, output in self._stack.outputs().items()}

    def destroy(self) -> None:
        # A cluster that is already gone must not hang the destroy: its objects are dropped from the state
        # (pulumi-kubernetes `PULUMI_K8S_DELETE_UNREACHABLE`). Only here, never on up or refresh, where a
        # control plane that is briefly unreachable would wipe its objects from the state (pulumi-kubernetes
        # #1485, #1522).
        os.environ["PULUMI_K8S_DELETE_UNREACHABLE"] = "true"
        try:
            self._stack.destroy(on_output=print, suppress_progress=True, message="e2e")
        finally:
            os.environ.pop("PULUMI_K8S_DELETE_UNREACHABLE", None)

    def remove(self) -> None:
        self._stack.workspace.remove_stack(self.name)


def get_credentials(outputs: dict[str, Any], project: str, run: Runner = subprocess.run) -> None:
    """Writes the kubectl contexts the outputs name (`gke_<project>_<zone>_<cluster>`), through the DNS endpoint
    where the cluster has one (its IP endpoint admits only authorized networks then)."""
    for cluster in outputs["clusters"].values():
        command = ["gcloud", "container", "clusters", "get-credentials", cluster["name"]]
        where = [f"--zone={cluster['location']}", f"--project={project}"]
        dns = ["--dns-endpoint"] if cluster.get("dnsEndpoint") else []
        done = run([*command, *where, *dns], capture_output=True, text=True)
        if done.returncode != 0:
            raise RuntimeError(f"{' '.join(command)}: {done.stderr.strip()}")


def _requests(outputs: dict[str, Any]) -> dict[str, tuple[str, str]]:
    """What to send, each with the context of the cluster its client pod runs in: every region's `testRequests`,
    and with several models a request per model and adapter (`modelTestRequests`, from the Gateway's cluster)."""
    pending = {region: (outputs["kubeContexts"][region], c) for region, c in outputs["testRequests"].items()}
    gateway_context = outputs.get("gateway", {}).get("kubeContext")
    for name, command in outputs.get("modelTestRequests", {}).items():
        pending[f"model {name}"] = (gateway_context, command)
    return pending


def _command(text: str) -> list[str]:
    """A plain `kubectl run` runs as is; a command that reads the Gateway's address first needs a shell."""
    return shlex.split(text) if text.startswith("kubectl ") else ["bash", "-c", text]


def send_test_requests(
    outputs: dict[str, Any],
    run: Runner = subprocess.run,
    clock: Callable[[], float] = time.monotonic,
    sleep: Callable[[float], None] = time.sleep,
    timeout: float = 1200.0,
) -> str:
    """Runs each region's `testRequests` command (what the README tells an operator to paste), and each model's
    `modelTestRequests` one, until every one returns a completion: the Gateway and the model servers may still be
    settling after `up`."""
    namespace = outputs["modelServer"]["namespace"]
    pending = _requests(outputs)
    started = clock()
    answers = {}
    while pending:
        for label, (context, command) in list(pending.items()):
            # A pod left by an earlier attempt that timed out would make `kubectl run curl-test` fail.
            run(["kubectl", "--context", context, "-n", namespace, "delete", "pod", "curl-test", "--ignore-not-found"])
            done = run(_command(command), capture_output=True, text=True, timeout=300)
            try:
                # The completion, then `kubectl run --rm`'s own `pod "curl-test" deleted`.
                completion, _ = json.JSONDecoder().raw_decode(done.stdout, done.stdout.index("{"))
                if done.returncode == 0 and completion["choices"]:
                    answers[label] = f"{label}: {done.stdout.strip()[:200]}"
                    del pending[label]
            except (ValueError, KeyError, TypeError):
                pass
        if pending and clock() - started > timeout:
            raise RuntimeError(f"no completion from {', '.join(sorted(pending))} within {timeout:g} s")
        if pending:
            sleep(30)
    return "\n".join(answers[r] for r in sorted(answers))


def run_drill(outputs: dict[str, Any], stack_name: str) -> drill.Report:
    return drill.run_drill(drill.target_from_outputs(stack_name, outputs), drill.Kubectl())


@dataclass
class Step:
    name: str
    ok: bool
    detail: str = ""


def run(
    stack: Stack,
    project: str,
    *,
    base: str,
    network: str,
    credentials: Callable[[dict[str, Any]], None],
    test_requests: Callable[[dict[str, Any]], str],
    failover_drill: Callable[[dict[str, Any]], drill.Report],
    list_project: Callable[[], dict[str, list[dict[str, Any]]]],
    sleep: Callable[[float], None] = time.sleep,
    settle_attempts: int = 3,
    settle_seconds: float = 60.0,
) -> list[Step]:
    """Up, requests, drill, then always destroy and look for leftovers. Returns every step's result."""
    steps: list[Step] = []

    def step(name: str, action: Callable[[], Any]) -> Any:
        print(f"::group::{name}", flush=True)
        try:
            result = action()
        except Exception as e:  # noqa: BLE001 - every failure is reported, and the stack still destroyed
            steps.append(Step(name, False, f"{type(e).__name__}: {e}"))
            return None
        finally:
            print("::endgroup::", flush=True)
        if isinstance(result, drill.Report):
            steps.append(Step(name, result.ok, result.text()))
        else:
            steps.append(Step(name, True, result if isinstance(result, str) else ""))
        return result

    try:
        step("configure", lambda: stack.set_project(project))
        if steps[-1].ok:
            step(f"pulumi up ({stack.name})", stack.up)
        if steps[-1].ok:
            outputs = step("stack outputs", stack.outputs)
            if steps[-1].ok:
                step("cluster credentials", lambda: credentials(outputs))
            if steps[-1].ok:
                step("test requests", lambda: test_requests(outputs))
                step("failover drill", lambda: failover_drill(outputs))
    finally:
        step(f"pulumi destroy ({stack.name})", stack.destroy)
        destroyed = steps[-1].ok
        settle = (sleep, settle_attempts, settle_seconds)
        step("leftovers", lambda: _no_leftovers(list_project, project, base, network, *settle))
        if destroyed and steps[-1].ok:
            step("remove the stack", stack.remove)
    return steps


def _no_leftovers(list_project, project: str, base: str, network: str, sleep, attempts: int, seconds: float) -> str:
    """Nothing of the stack is left in the project once the deletions have settled."""
    for attempt in range(attempts):
        found = leftovers(list_project(), base, network)
        if not found:
            return f"nothing of {base} left in {project}"
        if attempt + 1 < attempts:
            sleep(seconds)  # a deletion still in progress shows up once or twice
    raise RuntimeError(f"left in {project}: " + ", ".join(found))


def summary(steps: list[Step]) -> str:
    lines = ["### End-to-end run", "", "| step | result |", "|---|---|"]
    lines += [f"| {s.name} | {'ok' if s.ok else '**failed**'} |" for s in steps]
    for s in steps:
        if s.detail:
            lines += ["", f"<details><summary>{s.name}</summary>", "", "```", s.detail, "```", "", "</details>"]
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tools.e2e", description=__doc__.split("\n\n")[0])
    parser.add_argument("--project", required=True, help="a disposable Google Cloud project")
    parser.add_argument("--stack", default="dev", help="the stack file to deploy (default: dev)")
    parser.add_argument("--summary", type=Path, help="append the Markdown summary here ($GITHUB_STEP_SUMMARY)")
    args = parser.parse_args(argv)
    refuse_checked_in_projects(args.project)
    base, network = stack_base(args.stack)
    stack = AutomationStack(args.stack)
    with drill.signals_raise_interrupt():  # SIGTERM too unwinds through the destroy
        steps = run(
            stack,
            args.project,
            base=base,
            network=network,
            credentials=lambda outputs: get_credentials(outputs, args.project),
            test_requests=send_test_requests,
            failover_drill=lambda outputs: run_drill(outputs, args.stack),
            list_project=lambda: list_resources(args.project),
        )
    text = summary(steps)
    print(text)
    if args.summary:
        with args.summary.open("a") as f:
            f.write(text)
    return 0 if all(s.ok for s in steps) else 1


if __name__ == "__main__":
    sys.exit(main())
