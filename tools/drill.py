"""Failover drill against a deployed stack: `python -m tools.drill failover --stack <name>`.

It reads the stack's outputs, checks that every region answers, scales one region's model servers to zero,
sends requests continuously to that region's Gateway address from a client pod in another region, measures
how long until every request is answered again (by the surviving region: the other one has no model server
left) and how many failed meanwhile, restores the region and waits until it serves again. The report is
judged against the stack's output `failoverDetectionSeconds`. The region is restored whatever happens:
failure, Ctrl-C or SIGTERM (a second signal during the restore is ignored until the restore is done).

The Gateway's addresses are internal to the VPC, so requests go from a curl pod the drill starts in the
surviving region's cluster (and deletes at the end), through `kubectl exec`. Everything that touches the
cluster or the network goes through `Cluster` (`Kubectl` is the real one), and time through the `clock` and
`sleep` arguments, so tests/tools/test_drill.py runs the drill against a fake cluster and a fake clock.

HorizontalPodAutoscaler: an HPA does not scale a target whose replica count is 0 while its `minReplicas` is
above 0 ("implicit maintenance-mode deactivation",
https://kubernetes.io/docs/tasks/run-application/horizontal-pod-autoscale/#implicit-maintenance-mode-deactivation),
and scaling the Deployment back to its replica count reactivates it. So the drill does not touch the HPA: it
records its spec before, checks it is unchanged after, and checks that nothing scaled the region back up
during the measurement.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import signal
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, field
from typing import Any, Protocol

from inference.capacity import costs
from inference.common.images import CURL_IMAGE  # the image of the stack's testRequests
from inference.models.facts import HEADER, MODEL_HEADER

REQUEST_TIMEOUT_SECONDS = 10  # curl --max-time per request
POLL_SECONDS = 5.0  # between readiness checks while the region recovers
CLIENT_LABEL = "app.kubernetes.io/name=failover-drill"

EXIT_OK, EXIT_FAILED, EXIT_USAGE, EXIT_INTERRUPTED = 0, 1, 2, 130


class DrillError(RuntimeError):
    """A command failed or the outputs cannot drive a drill."""


@dataclass(frozen=True)
class Response:
    ok: bool
    status: str  # the HTTP code, or why there is none


class Cluster(Protocol):
    """What the drill does to the clusters: kubectl in real life, a fake in the tests."""

    def replicas(self, context: str, namespace: str, deployment: str) -> int: ...
    def ready_replicas(self, context: str, namespace: str, deployment: str) -> int: ...
    def scale(self, context: str, namespace: str, deployment: str, replicas: int) -> None: ...
    def hpa(self, context: str, namespace: str, name: str) -> dict[str, Any] | None: ...
    def start_client(self, context: str, namespace: str, name: str) -> None: ...
    def delete_client(self, context: str, namespace: str, name: str) -> None: ...
    def send_request(
        self, context: str, namespace: str, client: str, address: str, model: str, model_header: str | None = None
    ) -> Response: ...


def _request_body(model: str) -> str:
    return json.dumps({"model": model, "messages": [{"role": "user", "content": "Say OK."}], "max_tokens": 8})


class Kubectl:
    """The real clusters, through kubectl and the contexts the stack outputs name. Each kubectl runs in its own
    session, so a Ctrl-C in the terminal reaches the drill (which restores the region), not the kubectl it
    is running."""

    def __init__(self, run: Callable[..., subprocess.CompletedProcess] = subprocess.run, kubectl: str = "kubectl"):
        self._run, self._kubectl = run, kubectl

    def _call(self, context: str, namespace: str, *args: str, timeout: float = 120) -> subprocess.CompletedProcess:
        command = [self._kubectl, "--context", context, "-n", namespace, *args]
        return self._run(command, capture_output=True, text=True, timeout=timeout, start_new_session=True)

    def _ok(self, context: str, namespace: str, *args: str, timeout: float = 120) -> str:
        done = self._call(context, namespace, *args, timeout=timeout)
        if done.returncode != 0:
            raise DrillError(f"kubectl --context {context} -n {namespace} {' '.join(args)}: {done.stderr.strip()}")
        return done.stdout

    def _deployment(self, context: str, namespace: str, deployment: str) -> dict[str, Any]:
        return json.loads(self._ok(context, namespace, "get", "deployment", deployment, "-o", "json"))

    def replicas(self, context: str, namespace: str, deployment: str) -> int:
        return int(self._deployment(context, namespace, deployment)["spec"].get("replicas", 1))

    def ready_replicas(self, context: str, namespace: str, deployment: str) -> int:
        return int(self._deployment(context, namespace, deployment).get("status", {}).get("readyReplicas") or 0)

    def scale(self, context: str, namespace: str, deployment: str, replicas: int) -> None:
        self._ok(context, namespace, "scale", "deployment", deployment, f"--replicas={replicas}")

    def hpa(self, context: str, namespace: str, name: str) -> dict[str, Any] | None:
        text = self._ok(context, namespace, "get", "hpa", name, "-o", "json", "--ignore-not-found")
        if not text.strip():
            return None
        spec = json.loads(text)["spec"]
        return {"minReplicas": spec.get("minReplicas", 1), "maxReplicas": spec["maxReplicas"]}

    def start_client(self, context: str, namespace: str, name: str) -> None:
        self._ok(
            context, namespace, "run", name, f"--image={CURL_IMAGE}", "--restart=Never", f"--labels={CLIENT_LABEL}",
            "--command", "--", "sleep", "3600",
        )  # fmt: skip
        self._ok(context, namespace, "wait", "--for=condition=Ready", f"pod/{name}", "--timeout=180s", timeout=200)

    def delete_client(self, context: str, namespace: str, name: str) -> None:
        self._ok(context, namespace, "delete", "pod", name, "--ignore-not-found", "--wait=false")

    def send_request(
        self, context: str, namespace: str, client: str, address: str, model: str, model_header: str | None = None
    ) -> Response:
        named = ["-H", f"{model_header}: {model}"] if model_header else []  # the route matches it (docs/models.md)
        curl = [
            "curl", "-s", "--max-time", str(REQUEST_TIMEOUT_SECONDS), "-w", "\n%{http_code}", "-X", "POST",
            f"http://{address}/v1/chat/completions", "-H", "Content-Type: application/json", *named,
            "-d", _request_body(model),
        ]  # fmt: skip
        try:
            done = self._call(context, namespace, "exec", client, "--", *curl, timeout=REQUEST_TIMEOUT_SECONDS + 20)
        except subprocess.TimeoutExpired:
            return Response(False, "kubectl exec timed out")
        if done.returncode != 0:
            return Response(False, f"curl exit {done.returncode}")  # 28: timed out, 7: refused, ...
        body, _, code = done.stdout.rpartition("\n")
        return Response(code == "200" and '"choices"' in body, code)


@dataclass(frozen=True)
class Region:
    name: str
    context: str
    address: str


@dataclass(frozen=True)
class Target:
    """What the drill needs from the stack outputs."""

    stack: str
    regions: dict[str, Region]
    namespace: str
    deployment: str
    model: str
    hpa: str | None  # the HPA's name (the pool's) when the stack autoscales
    detection_seconds: float
    config_region: str
    # Region -> its capacity ladder's rungs (the output `capacityLadder`, docs/capacity-ladder.md); {}: one TPU pool.
    capacity: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    model_header: str | None = None  # the header the client names the model in (output `modelRouting: header`)


def target_from_outputs(stack: str, outputs: dict[str, Any]) -> Target:
    needed = ("gatewayAddresses", "kubeContexts", "modelServer", "gateway", "failoverDetectionSeconds")
    missing = [name for name in needed if name not in outputs]
    if missing:
        raise DrillError(f"stack {stack} has no output {', '.join(missing)}: is it deployed (`pulumi up`)?")
    addresses, contexts = outputs["gatewayAddresses"], outputs["kubeContexts"]
    regions = {name: Region(name, contexts[name], addresses[name]) for name in sorted(addresses)}
    if len(regions) < 2:
        raise DrillError(f"stack {stack} serves from {len(regions)} region: a failover needs two")
    config = [r.name for r in regions.values() if r.context == outputs["gateway"]["kubeContext"]]
    ms = outputs["modelServer"]
    return Target(
        stack=stack,
        regions=regions,
        namespace=ms["namespace"],
        deployment=ms["deployment"],
        model=ms["servedModel"],
        hpa=outputs.get("inferencePool") if "autoscaling" in outputs else None,
        detection_seconds=float(outputs["failoverDetectionSeconds"]),
        config_region=config[0] if config else next(iter(regions)),
        capacity=dict(outputs.get("capacityLadder") or {}),
        model_header=MODEL_HEADER if outputs.get("modelRouting") == HEADER else None,
    )


def stack_outputs(stack: str, run: Callable[..., subprocess.CompletedProcess] = subprocess.run) -> dict[str, Any]:
    """`pulumi stack output --json` of the stack (https://www.pulumi.com/docs/iac/cli/commands/pulumi_stack_output/)."""
    done = run(["pulumi", "stack", "output", "--json", "--stack", stack], capture_output=True, text=True, timeout=120)
    if done.returncode != 0:
        raise DrillError(f"pulumi stack output --stack {stack}: {done.stderr.strip()}")
    return json.loads(done.stdout)


@dataclass
class Report:
    stack: str
    down_region: str
    client_region: str
    address: str  # the Gateway address the requests go to: the downed region's
    detection_budget_seconds: float
    precheck: dict[str, str] = field(default_factory=dict)
    original_replicas: int | None = None
    hpa: dict[str, Any] | None = None
    down_after_seconds: float | None = None  # scale-down until no ready model server is left
    failover_seconds: float | None = None  # no ready model server left until every request is answered
    requests: int = 0
    failed: int = 0
    restore_attempted: bool = False
    restored: bool = False
    recovered_after_seconds: float | None = None
    interrupted: bool = False
    problems: list[str] = field(default_factory=list)
    # The downed region's capacity rungs: how a real slice of each would go away, beside the drill's scale-down.
    capacity: list[dict[str, Any]] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems

    def to_json(self) -> dict[str, Any]:
        return asdict(self) | {"ok": self.ok}

    def text(self) -> str:
        def sec(value: float | None) -> str:
            return "-" if value is None else f"{value:.1f} s"

        lines = [
            f"Failover drill of stack {self.stack}: {self.down_region} down, requests from a pod in "
            f"{self.client_region} to the Gateway address {self.address} of {self.down_region}",
            "  before:    " + (", ".join(f"{r} {s}" for r, s in self.precheck.items()) or "-"),
            f"  replicas:  {self.original_replicas} in {self.down_region}"
            + (f" (HPA min {self.hpa['minReplicas']}, max {self.hpa['maxReplicas']}, left as is)" if self.hpa else ""),
            f"  down:      no ready model server after {sec(self.down_after_seconds)}",
            f"  failover:  every request answered {sec(self.failover_seconds)} later "
            f"(failoverDetectionSeconds: {self.detection_budget_seconds:g} s)",
            f"  requests:  {self.requests} sent, {self.failed} failed",
            f"  restored:  {'yes' if self.restored else 'NO' if self.restore_attempted else '-'}, serving again "
            f"after {sec(self.recovered_after_seconds)}",
        ]
        lines += [f"  capacity:  {costs.describe(r)}" for r in self.capacity]  # inference/capacity/costs.py
        lines += [f"  problem:   {p}" for p in self.problems]
        lines.append("  result:    " + ("PASSED" if self.ok else "INTERRUPTED" if self.interrupted else "FAILED"))
        return "\n".join(lines)


@contextlib.contextmanager
def signals_raise_interrupt() -> Iterator[None]:
    """SIGTERM (CI cancelling a job, `kill`) raises KeyboardInterrupt like Ctrl-C does, so the drill's own
    handling restores the region."""

    def interrupt(signum: int, frame: Any) -> None:
        raise KeyboardInterrupt(f"signal {signal.Signals(signum).name}")

    with _handlers(interrupt):
        yield


@contextlib.contextmanager
def _shielded(log: Callable[[str], None]) -> Iterator[None]:
    """Ctrl-C and SIGTERM are noted, not obeyed, while the region is being restored."""

    def note(signum: int, frame: Any) -> None:
        log(f"{signal.Signals(signum).name} received: restoring the region first")

    with _handlers(note):
        yield


@contextlib.contextmanager
def _handlers(handler: Callable[[int, Any], None]) -> Iterator[None]:
    if threading.current_thread() is not threading.main_thread():  # signals only reach the main thread
        yield
        return
    previous = {s: signal.getsignal(s) for s in (signal.SIGINT, signal.SIGTERM)}
    for s in previous:
        signal.signal(s, handler)
    try:
        yield
    finally:
        for s, h in previous.items():
            signal.signal(s, h)


def run_drill(
    target: Target,
    cluster: Cluster,
    *,
    region: str | None = None,
    requests_per_second: float = 2.0,
    timeout: float = 300.0,
    recovery_timeout: float = 1800.0,
    stable_requests: int = 10,
    slack: float = 30.0,
    clock: Callable[[], float] = time.monotonic,
    sleep: Callable[[float], None] = time.sleep,
    log: Callable[[str], None] = lambda message: print(message, file=sys.stderr),
) -> Report:
    """Runs the drill and returns its report; never leaves the region down if it can help it.

    Failover is complete at the first of `stable_requests` consecutive answered requests sent after the
    downed region has no ready model server left; `failover_seconds` runs from that moment to that request.
    """
    down_name = region or target.config_region
    if down_name not in target.regions:
        raise DrillError(f"region {down_name} is not one of {', '.join(target.regions)}")
    down = target.regions[down_name]
    survivor = next(r for r in target.regions.values() if r.name != down_name)
    ns, deployment = target.namespace, target.deployment
    client = f"failover-drill-{uuid.uuid4().hex[:8]}"
    report = Report(target.stack, down.name, survivor.name, down.address, target.detection_seconds)
    report.capacity = list(target.capacity.get(down.name, []))
    state = {"client": False, "scaled": False}

    def send(address: str) -> Response:
        return cluster.send_request(survivor.context, ns, client, address, target.model, target.model_header)

    try:
        log(f"starting the client pod {client} in {survivor.name}")
        state["client"] = True
        cluster.start_client(survivor.context, ns, client)
        if not _precheck(report, cluster, target, send):
            return report
        report.original_replicas = cluster.replicas(down.context, ns, deployment)
        if target.hpa:
            report.hpa = cluster.hpa(down.context, ns, target.hpa)
        log(f"scaling {deployment} in {down.name} from {report.original_replicas} to 0")
        t0 = clock()
        state["scaled"] = True
        cluster.scale(down.context, ns, deployment, 0)
        _measure(
            report, cluster, target, down, send, t0, requests_per_second, timeout, stable_requests, slack, clock, sleep
        )
    except KeyboardInterrupt as e:
        report.interrupted = True
        report.problems.append(f"interrupted ({str(e) or 'Ctrl-C'})")
    except DrillError as e:
        report.problems.append(str(e))
    finally:
        _restore(report, cluster, target, down, send, state, client, survivor, recovery_timeout, clock, sleep, log)
    return report


def _precheck(report: Report, cluster: Cluster, target: Target, send: Callable[[str], Response]) -> bool:
    """Every region serves before one is taken down; the report says what each answered."""
    for r in target.regions.values():
        ready, answer = cluster.ready_replicas(r.context, target.namespace, target.deployment), send(r.address)
        report.precheck[r.name] = f"{ready} ready, HTTP {answer.status}"
        if ready < 1 or not answer.ok:
            report.problems.append(f"{r.name} does not serve before the drill ({report.precheck[r.name]})")
    return not report.problems


def _measure(report, cluster, target, down, send, t0, rps, timeout, stable, slack, clock, sleep) -> None:
    ns, deployment = target.namespace, target.deployment
    t_down = streak_start = None
    streak = 0
    next_at = t0
    while True:
        if clock() - t0 > timeout:
            report.problems.append(
                f"no failover within --timeout {timeout:g} s: "
                + ("the region's model servers never stopped" if t_down is None else "requests kept failing")
            )
            break
        if t_down is None and cluster.ready_replicas(down.context, ns, deployment) == 0:
            t_down = clock()
            report.down_after_seconds = t_down - t0
        sent_at = clock()
        answer = send(down.address)
        report.requests += 1
        if not answer.ok:
            report.failed += 1
            streak = 0
        elif t_down is not None:  # before that, a terminating model server of the downed region may answer
            if streak == 0:
                streak_start = sent_at
            streak += 1
            if streak >= stable:
                report.failover_seconds = max(0.0, streak_start - t_down)
                break
        next_at += 1.0 / rps
        sleep(max(0.0, next_at - clock()))
    # `failoverDetectionSeconds` is the health checks' detection alone; the load balancer then still has to
    # drop the region's endpoints from its backends, which `slack` allows for.
    if report.failover_seconds is not None and report.failover_seconds > target.detection_seconds + slack:
        report.problems.append(
            f"slow failover: {report.failover_seconds:.1f} s, more than failoverDetectionSeconds "
            f"{target.detection_seconds:g} s plus {slack:g} s to drop the endpoints"
        )
    scaled_to = cluster.replicas(down.context, ns, deployment)
    if scaled_to != 0:
        report.problems.append(f"something scaled {deployment} in {down.name} back to {scaled_to} during the drill")


def _restore(report, cluster, target, down, send, state, client, survivor, recovery_timeout, clock, sleep, log) -> None:
    ns, deployment = target.namespace, target.deployment
    manual = f"kubectl --context {down.context} -n {ns} scale deployment {deployment} --replicas={{n}}"
    if state["scaled"]:
        report.restore_attempted = True
        with _shielded(log):
            try:
                log(f"restoring {deployment} in {down.name} to {report.original_replicas} replicas")
                cluster.scale(down.context, ns, deployment, report.original_replicas)
                report.restored = True
                if target.hpa and cluster.hpa(down.context, ns, target.hpa) != report.hpa:
                    report.problems.append(f"the HPA {target.hpa} in {down.name} changed during the drill")
            except DrillError as e:
                report.problems.append(f"RESTORE FAILED, run `{manual.format(n=report.original_replicas)}`: {e}")
        if report.restored and not report.interrupted:
            _await_recovery(report, cluster, target, down, send, recovery_timeout, clock, sleep)
    if state["client"]:
        with _shielded(log), contextlib.suppress(DrillError):
            cluster.delete_client(survivor.context, ns, client)


def _await_recovery(report, cluster, target, down, send, recovery_timeout, clock, sleep) -> None:
    """Until the region has its model servers back (at least the HPA's minimum) and its address answers."""
    ns, deployment = target.namespace, target.deployment
    want = report.original_replicas
    if report.hpa:
        want = min(want, report.hpa["minReplicas"])
    started = clock()
    try:
        while True:
            if cluster.ready_replicas(down.context, ns, deployment) >= want and send(down.address).ok:
                report.recovered_after_seconds = clock() - started
                return
            if clock() - started > recovery_timeout:
                report.problems.append(
                    f"{down.name} did not serve again within --recovery-timeout {recovery_timeout:g} s "
                    f"(its replicas are restored; watch `kubectl --context {down.context} -n {ns} rollout status "
                    f"deployment {deployment}`)"
                )
                return
            sleep(POLL_SECONDS)
    except KeyboardInterrupt:
        report.interrupted = True
        report.problems.append("interrupted while waiting for the restored region (its replicas are restored)")


def main(
    argv: list[str] | None = None,
    *,
    outputs: Callable[[str], dict[str, Any]] = stack_outputs,
    cluster: Cluster | None = None,
    clock: Callable[[], float] = time.monotonic,
    sleep: Callable[[float], None] = time.sleep,
    out: Any = None,
) -> int:
    parser = argparse.ArgumentParser(prog="python -m tools.drill", description=__doc__.split("\n\n")[0])
    commands = parser.add_subparsers(dest="command", required=True)
    failover = commands.add_parser("failover", help="take one region's model servers down and measure the failover")
    failover.add_argument("--stack", required=True)
    failover.add_argument("--region", help="the region to take down (default: the Gateway's config region)")
    failover.add_argument("--json", action="store_true", help="print the report as JSON")
    failover.add_argument("--requests-per-second", type=float, default=2.0)
    failover.add_argument("--timeout", type=float, default=300.0, help="seconds to wait for the failover")
    failover.add_argument("--recovery-timeout", type=float, default=1800.0, help="seconds to wait for the restore")
    failover.add_argument("--stable-requests", type=int, default=10, help="answered requests in a row that end it")
    failover.add_argument(
        "--slack",
        type=float,
        default=30.0,
        help="seconds allowed beyond failoverDetectionSeconds for the load balancer to drop the endpoints",
    )
    args = parser.parse_args(argv)
    out = out or sys.stdout
    if args.requests_per_second <= 0 or args.stable_requests < 1:
        parser.error("--requests-per-second must be above 0 and --stable-requests at least 1")
    try:
        target = target_from_outputs(args.stack, outputs(args.stack))
        with signals_raise_interrupt():
            report = run_drill(
                target,
                cluster or Kubectl(),
                region=args.region,
                requests_per_second=args.requests_per_second,
                timeout=args.timeout,
                recovery_timeout=args.recovery_timeout,
                stable_requests=args.stable_requests,
                slack=args.slack,
                clock=clock,
                sleep=sleep,
            )
    except DrillError as e:
        print(f"error: {e}", file=sys.stderr)
        return EXIT_USAGE
    print(json.dumps(report.to_json(), indent=2) if args.json else report.text(), file=out)
    return EXIT_OK if report.ok else EXIT_INTERRUPTED if report.interrupted else EXIT_FAILED


if __name__ == "__main__":
    sys.exit(main())
