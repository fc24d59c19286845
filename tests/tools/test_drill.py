"""The failover drill (tools/drill.py), offline: a fake clock and the dev stack's regions (its offline plan's
outputs) behind a fake cross-region load balancer reproduce a good failover, a slow one, one that flaps back to
errors, a partial one, one that never happens, a region that never comes back, and interruptions (real signals);
in each the region is restored. kubectl's command lines are checked against a fake
`subprocess.run`. Nothing here starts a process or opens a connection."""

from __future__ import annotations

import io
import json
import math
import signal
import socket
import subprocess
from signal import SIGINT, SIGTERM

import pytest

from tests.conftest import plan_of
from tools import drill, engine

RPS = 2.0  # the drill's default --requests-per-second
STABLE = 10  # its default --stable-requests
SLACK = 30.0  # its default --slack


@pytest.fixture(scope="session")
def dev_outputs() -> str:
    return json.dumps(engine.to_json(plan_of("dev").outputs))


@pytest.fixture
def outputs(dev_outputs) -> dict:
    """dev's outputs as `pulumi stack output --json` prints them: its offline plan's (a fresh copy per test)."""
    return json.loads(dev_outputs)


@pytest.fixture(autouse=True)
def no_network_no_processes(monkeypatch, dev_outputs):  # the plan (Helm runs) is rendered before
    def refuse(*args, **kwargs):
        raise AssertionError("the drill's tests must not reach the network or start a process")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(subprocess, "Popen", refuse)


class World:
    """A fake clock, and the stack's regions of `replicas` model servers each behind the cross-region load balancer.

    Scaled to 0, a region's servers stop being ready after `terminate` s; requests to its address then fail
    until the load balancer notices, `detect` s later, and sends them to another region (if it serves). After
    that failover the load balancer may still misbehave: within each of `flaps` (start, end), counted from the
    failover, it flaps back and requests fail again; for the first `partial` s, every other request still goes
    to the drained region's endpoints and fails. Scaled back up, a region's servers are ready `load` s later
    (never if not `recovers`)."""

    def __init__(
        self, outputs, *, replicas=2, terminate=2.0, detect=5.0, load=30.0, recovers=True, survivor_serves=True,
        flaps=(), partial=0.0,
    ):  # fmt: skip
        self.ctx, self.address = outputs["kubeContexts"], outputs["gatewayAddresses"]
        server = outputs["modelServer"]
        self.ns, self.deployment, self.model = server["namespace"], server["deployment"], server["servedModel"]
        self.model_header = "X-Gateway-Model-Name" if outputs.get("modelRouting") == "header" else None
        # The drill takes the Gateway's config region down by default; its requests come from another region.
        self.down = next(r for r, c in self.ctx.items() if c == outputs["gateway"]["kubeContext"])
        self.client = next(r for r in sorted(self.ctx) if r != self.down)
        self.now = 0.0
        self.terminate, self.detect, self.load = terminate, detect, load
        self.recovers, self.survivor_serves = recovers, survivor_serves
        self.flaps, self.partial, self.partial_sent = flaps, partial, 0
        self.per_region = replicas
        self.spec = {ctx: replicas for ctx in self.ctx.values()}
        self.last = {ctx: (-math.inf, replicas, replicas) for ctx in self.ctx.values()}  # (when, ready then, spec)
        scaling = outputs.get("autoscaling") or {"minReplicas": 1, "maxReplicas": replicas}
        self.hpas = {ctx: {k: scaling[k] for k in ("minReplicas", "maxReplicas")} for ctx in self.ctx.values()}
        self.hpa_name = outputs["inferencePool"]
        self.calls: list[tuple] = []
        self.sent: list[tuple[float, bool]] = []  # (when, answered) of every request to the downed region
        self.on_request = self.on_scale = lambda world: None

    @property
    def down_ctx(self) -> str:
        return self.ctx[self.down]

    @property
    def client_ctx(self) -> str:
        return self.ctx[self.client]

    # the clock
    def clock(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        assert seconds >= 0
        self.now += seconds

    # drill.Cluster
    def replicas(self, ctx, ns, deployment):
        assert (ns, deployment) == (self.ns, self.deployment)
        return self.spec[ctx]

    def ready_replicas(self, ctx, ns, deployment):
        assert (ns, deployment) == (self.ns, self.deployment)
        when, before, spec = self.last[ctx]
        if spec == 0:
            return before if self.now < when + self.terminate else 0
        if when > 0 and not self.recovers:
            return 0
        return spec if self.now >= when + self.load else before

    def scale(self, ctx, ns, deployment, replicas):
        self.calls.append(("scale", ctx, replicas))
        self.on_scale(self)
        self.last[ctx] = (self.now, self.ready_replicas(ctx, ns, deployment), replicas)
        self.spec[ctx] = replicas

    def hpa(self, ctx, ns, name):
        self.calls.append(("hpa", ctx, name))
        return dict(self.hpas[ctx])

    def start_client(self, ctx, ns, name):
        self.calls.append(("start_client", ctx, name))

    def delete_client(self, ctx, ns, name):
        self.calls.append(("delete_client", ctx, name))

    def _rerouted(self, since_failover: float) -> bool:
        """Whether the load balancer answers from another region, `since_failover` s after it failed over."""
        if not self.survivor_serves or since_failover < 0:
            return False
        if any(start <= since_failover < end for start, end in self.flaps):
            return False
        if since_failover < self.partial:
            self.partial_sent += 1
            return self.partial_sent % 2 == 0
        return True

    def send_request(self, ctx, ns, client, address, model, model_header=None):
        assert ("start_client", ctx, client) in self.calls and model == self.model
        assert model_header == self.model_header
        self.now += 0.2
        self.on_request(self)
        region = self.ctx[next(r for r, a in self.address.items() if a == address)]
        when, _, _ = self.last[region]
        ok = self.ready_replicas(region, ns, self.deployment) > 0
        ok = ok or self._rerouted(self.now - (when + self.terminate + self.detect))
        if region == self.down_ctx and self.spec[region] == 0:
            self.sent.append((self.now, ok))
        return drill.Response(ok, "200" if ok else "503")

    def scales(self):
        return [c[1:] for c in self.calls if c[0] == "scale"]


def run(world: World, outputs: dict, *args: str) -> tuple[int, dict]:
    out = io.StringIO()
    code = drill.main(
        ["failover", "--stack", "dev", "--json", *args],
        outputs=lambda stack: outputs,
        cluster=world,
        clock=world.clock,
        sleep=world.sleep,
        out=out,
    )
    return code, json.loads(out.getvalue())


def restored(world: World, report: dict) -> None:
    """The region went down once and was set back to exactly its replicas, the client pod is gone."""
    assert world.scales() == [(world.down_ctx, 0), (world.down_ctx, world.per_region)]
    assert world.spec[world.down_ctx] == world.per_region
    assert report["restore_attempted"] and report["restored"]
    started = [c for c in world.calls if c[0] == "start_client"]
    deleted = [c for c in world.calls if c[0] == "delete_client"]
    assert len(started) == 1 and [c[1:] for c in deleted] == [c[1:] for c in started]


def last_failure(world: World) -> float:
    """When the last request to the downed region failed (the fake's own record)."""
    return max(t for t, ok in world.sent if not ok)


def test_a_good_failover_passes_and_restores_the_region(outputs):
    world = World(outputs, detect=5.0)
    code, report = run(world, outputs)
    assert code == 0 and report["ok"] and report["problems"] == []
    # The Gateway's config region goes down; requests go from the other region to its address.
    down, client = world.down, world.client
    assert (report["down_region"], report["client_region"], report["address"]) == (
        down, client, outputs["gatewayAddresses"][down],
    )  # fmt: skip
    per_region = f"{world.per_region} ready, HTTP 200"
    assert report["precheck"] == {region: per_region for region in outputs["gatewayAddresses"]}
    assert report["down_after_seconds"] == pytest.approx(world.terminate, abs=1 / RPS)
    assert report["failover_seconds"] == pytest.approx(world.detect, abs=1 / RPS + 0.2)
    assert report["detection_budget_seconds"] == outputs["failoverDetectionSeconds"]
    # Requests failed from the servers' stop until the load balancer noticed; those sent before (answered by
    # the terminating servers) and the answered ones in a row that end it did not.
    assert report["failed"] == sum(1 for _, ok in world.sent if not ok)
    assert abs(report["failed"] - world.detect * RPS) <= 1
    assert report["requests"] == len(world.sent) and report["requests"] - report["failed"] >= STABLE
    restored(world, report)
    assert report["recovered_after_seconds"] == pytest.approx(world.load, abs=drill.POLL_SECONDS + 0.2)
    assert report["hpa"] == world.hpas[world.down_ctx]  # left as is, checked before and after
    assert [c for c in world.calls if c[0] == "hpa"] == [("hpa", world.down_ctx, world.hpa_name)] * 2


def test_with_several_models_on_header_routing_every_request_names_its_model_in_the_header(outputs):
    """The route then matches the model header on each model's name (docs/models.md): a request without it is a 404."""
    outputs["modelRouting"] = "header"  # what a multi-cluster stack of several models outputs
    world = World(outputs)
    code, report = run(world, outputs)
    assert code == 0 and report["ok"] and world.model_header == "X-Gateway-Model-Name"


def test_a_failover_that_flaps_back_counts_from_the_last_failure(outputs):
    """Answered for 2 s after failing over, then errors again for 3 s: the failover is complete only at the
    streak after the flap, and the flap's errors count as failed. A drill that kept its streak across a failed
    request would report the first, shorter, failover."""
    world = World(outputs, detect=5.0, flaps=[(2.0, 5.0)])
    code, report = run(world, outputs)
    assert code == 0 and report["ok"]
    flapped_at = world.terminate + world.detect + 5.0  # from the scale-down to the end of the flap
    assert report["failover_seconds"] == pytest.approx(flapped_at - report["down_after_seconds"], abs=1 / RPS + 0.2)
    assert report["failover_seconds"] > world.detect + 4.0  # not the first failover
    assert report["failed"] == sum(1 for _, ok in world.sent if not ok)
    assert report["failed"] >= (world.detect + 3.0) * RPS - 1  # the outage and the flap
    # Every request after the last failure was answered, STABLE of them in a row, and then the drill stopped.
    after = [ok for t, ok in world.sent if t > last_failure(world)]
    assert all(after) and len(after) == STABLE
    restored(world, report)


def test_a_failover_that_keeps_flapping_never_completes(outputs):
    """Errors for 1 s in every 4 s after the failover: never STABLE answers in a row (4 s at 2 per second is
    fewer), so no failover is reported, only that requests kept failing."""
    world = World(outputs, detect=5.0, flaps=[(k * 4.0 + 3.0, k * 4.0 + 4.0) for k in range(100)])
    code, report = run(world, outputs, "--timeout", "60")
    assert code == 1 and report["failover_seconds"] is None
    assert report["problems"] == ["no failover within --timeout 60 s: requests kept failing"]
    assert report["failed"] > world.detect * RPS  # the flaps' errors are counted too
    restored(world, report)


def test_a_partial_failover_completes_when_every_request_is_answered(outputs):
    """For 8 s after failing over every other request still reaches the drained region's endpoints."""
    world = World(outputs, detect=5.0, partial=8.0)
    code, report = run(world, outputs)
    assert code == 0 and report["ok"]
    full = world.terminate + world.detect + world.partial - report["down_after_seconds"]
    assert report["failover_seconds"] == pytest.approx(full, abs=1 / RPS + 0.2)
    half = [ok for t, ok in world.sent if report["down_after_seconds"] + world.detect < t < full]
    assert half and 0 < sum(half) < len(half)  # answered some, not all, meanwhile
    assert report["failed"] == sum(1 for _, ok in world.sent if not ok)
    restored(world, report)


def test_a_partial_failover_past_the_budget_is_slow(outputs):
    budget = outputs["failoverDetectionSeconds"]
    world = World(outputs, detect=5.0, partial=budget + SLACK + 10.0)
    code, report = run(world, outputs, "--timeout", str(3 * (budget + SLACK)))
    assert code == 1 and report["failover_seconds"] > budget + SLACK
    assert report["problems"] == [
        f"slow failover: {report['failover_seconds']:.1f} s, more than failoverDetectionSeconds {budget:g} s plus "
        f"{SLACK:g} s to drop the endpoints"
    ]


def test_the_text_report_states_the_result_against_the_budget(outputs):
    world = World(outputs, detect=5.0)
    out = io.StringIO()
    code = drill.main(
        ["failover", "--stack", "dev"], outputs=lambda s: outputs, cluster=world, clock=world.clock,
        sleep=world.sleep, out=out,
    )  # fmt: skip
    text = out.getvalue()
    assert code == 0 and "result:    PASSED" in text
    assert f"(failoverDetectionSeconds: {outputs['failoverDetectionSeconds']:g} s)" in text
    assert f"{world.down} down" in text


def test_a_slow_failover_fails_and_says_so(outputs):
    """Past the health checks' detection time plus the slack for dropping the endpoints."""
    budget = outputs["failoverDetectionSeconds"]
    world = World(outputs, detect=budget + SLACK + 15.0)
    code, report = run(world, outputs)
    assert code == 1 and not report["ok"]
    assert report["failover_seconds"] == pytest.approx(world.detect, abs=1 / RPS + 0.2)
    assert report["problems"] == [
        f"slow failover: {report['failover_seconds']:.1f} s, more than failoverDetectionSeconds {budget:g} s plus "
        f"{SLACK:g} s to drop the endpoints"
    ]
    restored(world, report)


def test_the_slack_is_the_operators_to_set(outputs):
    budget = outputs["failoverDetectionSeconds"]
    assert run(World(outputs, detect=budget + SLACK - 5.0), outputs)[0] == 0  # within budget + slack
    assert run(World(outputs, detect=budget + SLACK - 5.0), outputs, "--slack", str(SLACK - 20.0))[0] == 1


def test_no_failover_times_out_and_still_restores(outputs):
    world = World(outputs, survivor_serves=False)
    code, report = run(world, outputs, "--timeout", "60")
    assert code == 1 and report["failover_seconds"] is None
    assert report["problems"][0] == "no failover within --timeout 60 s: requests kept failing"
    assert world.now < 60 + world.load + drill.POLL_SECONDS + 5  # gave up at the timeout, then the region came back
    restored(world, report)


def test_a_region_that_never_recovers_times_out_with_the_restore_attempted(outputs):
    world = World(outputs, recovers=False)
    code, report = run(world, outputs, "--recovery-timeout", "120")
    assert code == 1 and report["failover_seconds"] == pytest.approx(world.detect, abs=1 / RPS + 0.2)
    assert report["recovered_after_seconds"] is None
    (problem,) = report["problems"]
    assert problem.startswith(f"{world.down} did not serve again within --recovery-timeout 120 s")
    assert f"rollout status deployment {world.deployment}" in problem
    restored(world, report)  # the replicas were set back; the region itself never came


def _text_run(world: World, outputs: dict) -> tuple[int, str]:
    out = io.StringIO()
    code = drill.main(
        ["failover", "--stack", "dev"], outputs=lambda s: outputs, cluster=world, clock=world.clock,
        sleep=world.sleep, out=out,
    )  # fmt: skip
    return code, out.getvalue()


def test_ctrl_c_mid_drill_restores_the_region_and_prints_the_partial_report(outputs):
    """A real SIGINT, as the terminal sends it on Ctrl-C, while requests are failing."""
    world = World(outputs, detect=30.0)

    def ctrl_c(w):
        if w.spec[w.down_ctx] == 0 and w.now > 6 and w.calls[-1][0] != "sigint":
            w.calls.append(("sigint",))
            signal.raise_signal(signal.SIGINT)

    world.on_request = ctrl_c
    code, text = _text_run(world, outputs)
    assert code == drill.EXIT_INTERRUPTED
    # The region is back at its replicas and the client pod gone, and the report says what was seen until then.
    assert world.scales() == [(world.down_ctx, 0), (world.down_ctx, world.per_region)]
    assert [c[0] for c in world.calls].count("delete_client") == 1
    lines = dict(line.strip().split(":", 1) for line in text.splitlines()[1:])
    sent = len(world.sent)
    assert lines["requests"].strip() == f"{sent} sent, {sum(1 for _, ok in world.sent if not ok)} failed" and sent
    assert lines["failover"].strip().startswith("every request answered - later")
    assert lines["restored"].strip() == "yes, serving again after -"  # restored, not waited for
    assert lines["problem"].strip() == "interrupted (signal SIGINT)"
    assert lines["result"].strip() == "INTERRUPTED"


def test_ctrl_c_while_waiting_for_the_restored_region_stops_the_wait_only(outputs):
    world = World(outputs, detect=5.0)

    def ctrl_c(w):
        if w.scales()[-1:] == [(w.down_ctx, w.per_region)] and not any(c[0] == "sigint" for c in w.calls):
            w.calls.append(("sigint",))
            signal.raise_signal(signal.SIGINT)

    world.on_request = ctrl_c
    code, report = run(world, outputs)
    assert code == drill.EXIT_INTERRUPTED and report["interrupted"]
    assert report["failover_seconds"] == pytest.approx(world.detect, abs=1 / RPS + 0.2)  # measured before
    assert report["problems"] == ["interrupted while waiting for the restored region (its replicas are restored)"]
    restored(world, report)


def test_sigterm_mid_drill_restores_the_region_and_a_second_signal_does_not_stop_the_restore(outputs, capsys):
    world = World(outputs, detect=30.0)
    sent = []

    def terminate(w):
        if w.spec[w.down_ctx] == 0 and w.now > 4 and not sent:
            sent.append("SIGTERM")
            signal.raise_signal(signal.SIGTERM)  # as `kill` or a cancelled CI job sends it

    def interrupt_the_restore(w):
        if w.spec[w.down_ctx] == 0:
            sent.append("SIGINT")
            signal.raise_signal(signal.SIGINT)  # Ctrl-C while scaling back up: noted, not obeyed

    world.on_request, world.on_scale = terminate, interrupt_the_restore
    # Handlers of the caller's own (a CI runner may start the drill with SIGINT ignored): the drill hands both
    # signals back, so each reaches its handler again afterwards.
    got: list[int] = []
    previous = {sig: signal.signal(sig, lambda signum, frame: got.append(signum)) for sig in (SIGTERM, SIGINT)}
    try:
        code, report = run(world, outputs)
        assert sent == ["SIGTERM", "SIGINT"] and got == []  # the drill's own handlers were in place meanwhile
        assert code == drill.EXIT_INTERRUPTED and report["problems"] == ["interrupted (signal SIGTERM)"]
        restored(world, report)
        assert "SIGINT received: restoring the region first" in capsys.readouterr().err
        signal.raise_signal(SIGTERM)
        signal.raise_signal(SIGINT)
        assert got == [SIGTERM, SIGINT]
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


def test_a_region_that_does_not_serve_before_is_not_taken_down(outputs):
    world = World(outputs)
    world.last[world.client_ctx] = (math.inf, 0, world.per_region)  # the other region's servers never get ready
    code, report = run(world, outputs)
    assert code == 1 and report["problems"] == [f"{world.client} does not serve before the drill (0 ready, HTTP 503)"]
    assert world.scales() == [] and not report["restore_attempted"]
    assert [c[0] for c in world.calls] == ["start_client", "delete_client"]


def test_something_scaling_the_region_back_during_the_drill_is_reported(outputs):
    world = World(outputs)

    def autoscaler(w):
        if w.spec[w.down_ctx] == 0 and w.now > 3:
            w.spec[w.down_ctx] = 1  # what an HPA with minReplicas 0, or a concurrent `pulumi up`, could do

    world.on_request = autoscaler
    code, report = run(world, outputs)
    assert code == 1
    assert f"something scaled {world.deployment} in {world.down} back to 1 during the drill" in report["problems"]
    assert world.scales()[-1] == (world.down_ctx, world.per_region)


def test_another_region_can_be_taken_down_and_no_hpa_is_touched_without_autoscaling(outputs):
    world = World(outputs)
    del outputs["autoscaling"]
    code, report = run(world, outputs, "--region", world.client, "--requests-per-second", "4")
    assert code == 0 and (report["down_region"], report["hpa"]) == (world.client, None)
    assert world.scales() == [(world.client_ctx, 0), (world.client_ctx, world.per_region)]
    assert not [c for c in world.calls if c[0] == "hpa"]


def test_outputs_that_cannot_drive_a_drill_are_refused(outputs, capsys):
    world = World(outputs)
    code = drill.main(["failover", "--stack", "dev"], outputs=lambda s: {"network": "x"}, cluster=world)
    assert code == drill.EXIT_USAGE and world.calls == []
    assert "stack dev has no output gatewayAddresses, kubeContexts" in capsys.readouterr().err
    one_region = outputs | {"gatewayAddresses": {world.down: outputs["gatewayAddresses"][world.down]}}
    with pytest.raises(drill.DrillError, match="a failover needs two"):
        drill.target_from_outputs("dev", one_region)
    regions = ", ".join(sorted(outputs["gatewayAddresses"]))
    with pytest.raises(drill.DrillError, match=f"region asia-east1 is not one of {regions}"):
        drill.run_drill(drill.target_from_outputs("dev", outputs), world, region="asia-east1")


class FakeRun:
    """subprocess.run as Kubectl and stack_outputs call it: records the command, answers from a table."""

    def __init__(self, answers: dict[str, tuple[int, str]]):
        self.answers, self.calls = answers, []

    def __call__(self, command, **kwargs):
        self.calls.append((command, kwargs))
        code, stdout = next((v for k, v in self.answers.items() if k in " ".join(command)), (0, ""))
        return subprocess.CompletedProcess(command, code, stdout, "boom" if code else "")


def test_kubectl_commands(outputs):
    region = sorted(outputs["kubeContexts"])[0]
    ctx, address = outputs["kubeContexts"][region], outputs["gatewayAddresses"][region]
    deployment = json.dumps({"spec": {"replicas": 3}, "status": {"readyReplicas": 2}})
    fake = FakeRun({"get deployment": (0, deployment), "get hpa": (0, ""), "exec": (0, '{"choices": []}\n200')})
    k = drill.Kubectl(run=fake)
    ns = outputs["modelServer"]["namespace"]
    assert (k.replicas(ctx, ns, "vllm-gemma"), k.ready_replicas(ctx, ns, "vllm-gemma")) == (3, 2)
    assert k.hpa(ctx, ns, "gemma-pool") is None
    k.scale(ctx, ns, "vllm-gemma", 0)
    assert fake.calls[-1][0] == [
        "kubectl",
        "--context",
        ctx,
        "-n",
        ns,
        "scale",
        "deployment",
        "vllm-gemma",
        "--replicas=0",
    ]
    # Its own session: a Ctrl-C in the terminal reaches the drill, which restores, not the kubectl it runs.
    assert all(kwargs["start_new_session"] for _, kwargs in fake.calls)
    k.start_client(ctx, ns, "failover-drill-1")
    assert fake.calls[-2][0][5:] == [
        "run", "failover-drill-1", f"--image={drill.CURL_IMAGE}", "--restart=Never",
        "--labels=app.kubernetes.io/name=failover-drill", "--command", "--", "sleep", "3600",
    ]  # fmt: skip
    assert fake.calls[-1][0][5:] == ["wait", "--for=condition=Ready", "pod/failover-drill-1", "--timeout=180s"]
    assert k.send_request(ctx, ns, "failover-drill-1", address, "m") == drill.Response(True, "200")
    command = fake.calls[-1][0]
    assert command[5:9] == ["exec", "failover-drill-1", "--", "curl"]
    assert f"http://{address}/v1/chat/completions" in command
    assert json.loads(command[-1]) == {
        "model": "m",
        "messages": [{"role": "user", "content": "Say OK."}],
        "max_tokens": 8,
    }


def test_kubectl_sends_the_model_header_when_the_client_sets_it():
    fake = FakeRun({"exec": (0, '{"choices": []}\n200')})
    drill.Kubectl(run=fake).send_request("c", "inference", "p", "10.0.2.9", "m", "X-Gateway-Model-Name")
    command = fake.calls[-1][0]
    assert command[command.index("X-Gateway-Model-Name: m") - 1] == "-H"


def test_kubectl_request_failures_are_failed_requests_not_errors():
    ctx, ns, address = "gke_p_us-east5-b_c", "inference", "10.0.2.9"
    unavailable = drill.Kubectl(run=FakeRun({"exec": (0, "no healthy upstream\n503")}))
    assert unavailable.send_request(ctx, ns, "c", address, "m") == drill.Response(False, "503")
    timed_out = drill.Kubectl(run=FakeRun({"exec": (28, "")}))
    assert timed_out.send_request(ctx, ns, "c", address, "m") == drill.Response(False, "curl exit 28")
    with pytest.raises(drill.DrillError, match="scale deployment vllm-gemma --replicas=2: boom"):
        drill.Kubectl(run=FakeRun({"scale": (1, "")})).scale(ctx, ns, "vllm-gemma", 2)


def test_the_outputs_come_from_pulumi_stack_output(outputs):
    fake = FakeRun({"pulumi stack output": (0, json.dumps(outputs))})
    assert drill.stack_outputs("dev", run=fake) == outputs
    assert fake.calls[0][0] == ["pulumi", "stack", "output", "--json", "--stack", "dev"]
    with pytest.raises(drill.DrillError, match="pulumi stack output --stack prod: boom"):
        drill.stack_outputs("prod", run=FakeRun({"pulumi": (255, "")}))


def test_the_client_pod_uses_the_image_of_the_stacks_test_requests(outputs):
    requests = outputs["testRequests"]
    assert requests and all(f"--image={drill.CURL_IMAGE} " in command for command in requests.values())
