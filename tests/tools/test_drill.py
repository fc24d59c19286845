"""The failover drill (tools/drill.py), offline: a fake clock and two fake regions behind a fake cross-region
load balancer reproduce a good failover, a slow one, one that never happens, a region that never comes back,
and interruptions; in each the region is restored. kubectl's command lines are checked against a fake
`subprocess.run`. Nothing here starts a process or opens a connection."""

from __future__ import annotations

import io
import json
import math
import signal
import socket
import subprocess

import pytest

from tests.conftest import plan_of
from tools import drill

EU, US = "europe-west4", "us-east5"
CTX = {
    EU: "gke_tpu-inference-dev_europe-west4-a_tpu-gke-dranet-dev-europe-west4",
    US: "gke_tpu-inference-dev_us-east5-b_tpu-gke-dranet-dev-us-east5",
}
ADDRESS = {EU: "10.10.1.218", US: "10.10.2.213"}
# The outputs the drill reads, as `pulumi stack output --json` prints them for dev (tools.engine's offline run).
OUTPUTS = {
    "gatewayAddresses": ADDRESS,
    "kubeContexts": CTX,
    "modelServer": {
        "backend": "simulator",
        "namespace": "inference",
        "deployment": "vllm-gemma",
        "service": "vllm-gemma-service",
        "servedModel": "google/gemma-3-27b-it",
    },
    "inferencePool": "gemma-pool",
    "gateway": {
        "name": "cross-region-gateway",
        "namespace": "inference",
        "cluster": "tpu-gke-dranet-dev-us-east5",
        "kubeContext": CTX[US],
    },
    "failoverDetectionSeconds": 15,
    "autoscaling": {"minReplicas": 2, "maxReplicas": 4, "targetKvCacheUtilization": 0.6},
}


@pytest.fixture(autouse=True)
def no_network_no_processes(monkeypatch):
    def refuse(*args, **kwargs):
        raise AssertionError("the drill's tests must not reach the network or start a process")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(subprocess, "Popen", refuse)


class World:
    """A fake clock, and two regions of `replicas` model servers each behind the cross-region load balancer.

    Scaled to 0, a region's servers stop being ready after `terminate` s; requests to its address then fail
    until the load balancer notices, `detect` s later, and sends them to the other region (if it serves).
    Scaled back up, its servers are ready `load` s later (never if not `recovers`)."""

    def __init__(self, *, replicas=2, terminate=2.0, detect=5.0, load=30.0, recovers=True, survivor_serves=True):
        self.now = 0.0
        self.terminate, self.detect, self.load = terminate, detect, load
        self.recovers, self.survivor_serves = recovers, survivor_serves
        self.spec = {ctx: replicas for ctx in CTX.values()}
        self.last = {ctx: (-math.inf, replicas, replicas) for ctx in CTX.values()}  # (when, ready then, spec)
        self.hpas = {ctx: {"minReplicas": 2, "maxReplicas": 4} for ctx in CTX.values()}
        self.calls: list[tuple] = []
        self.on_request = self.on_scale = lambda world: None

    # the clock
    def clock(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        assert seconds >= 0
        self.now += seconds

    # drill.Cluster
    def replicas(self, ctx, ns, deployment):
        assert (ns, deployment) == ("inference", "vllm-gemma")
        return self.spec[ctx]

    def ready_replicas(self, ctx, ns, deployment):
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

    def send_request(self, ctx, ns, client, address, model):
        assert ("start_client", ctx, client) in self.calls and model == "google/gemma-3-27b-it"
        self.now += 0.2
        self.on_request(self)
        region = CTX[next(r for r, a in ADDRESS.items() if a == address)]
        if self.ready_replicas(region, ns, "vllm-gemma") > 0:
            return drill.Response(True, "200")
        when, _, _ = self.last[region]
        if self.survivor_serves and self.now >= when + self.terminate + self.detect:
            return drill.Response(True, "200")  # answered by the other region
        return drill.Response(False, "503")

    def scales(self):
        return [c[1:] for c in self.calls if c[0] == "scale"]


def run(world: World, *args: str, outputs=OUTPUTS) -> tuple[int, dict]:
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
    assert world.scales() == [(CTX[US], 0), (CTX[US], 2)]
    assert world.spec[CTX[US]] == 2
    assert report["restore_attempted"] and report["restored"]
    started = [c for c in world.calls if c[0] == "start_client"]
    deleted = [c for c in world.calls if c[0] == "delete_client"]
    assert len(started) == 1 and [c[1:] for c in deleted] == [c[1:] for c in started]


def test_a_good_failover_passes_and_restores_the_region():
    world = World(detect=5.0)
    code, report = run(world)
    assert code == 0 and report["ok"] and report["problems"] == []
    # The config region (the walkthrough's us-east5) goes down; requests go from europe-west4 to its address.
    assert (report["down_region"], report["client_region"], report["address"]) == (US, EU, ADDRESS[US])
    assert report["precheck"] == {EU: "2 ready, HTTP 200", US: "2 ready, HTTP 200"}
    assert report["down_after_seconds"] == pytest.approx(2.0, abs=0.5)
    assert report["failover_seconds"] == pytest.approx(5.0, abs=0.6)
    assert report["detection_budget_seconds"] == 15
    # Requests failed from the servers' stop until the load balancer noticed: 5 s at 2 per second; those sent
    # before (answered by the terminating servers) and the 10 answered in a row that end it did not.
    assert 9 <= report["failed"] <= 11 and report["requests"] == report["failed"] + 4 + 10
    restored(world, report)
    assert report["recovered_after_seconds"] == pytest.approx(30.0, abs=5.1)
    assert report["hpa"] == {"minReplicas": 2, "maxReplicas": 4}  # left as is, checked before and after
    assert [c for c in world.calls if c[0] == "hpa"] == [("hpa", CTX[US], "gemma-pool")] * 2


def test_the_text_report_states_the_result_against_the_budget():
    world = World(detect=5.0)
    out = io.StringIO()
    code = drill.main(
        ["failover", "--stack", "dev"], outputs=lambda s: OUTPUTS, cluster=world, clock=world.clock,
        sleep=world.sleep, out=out,
    )  # fmt: skip
    text = out.getvalue()
    assert code == 0 and "result:    PASSED" in text
    assert "(failoverDetectionSeconds: 15 s)" in text and "us-east5 down" in text


def test_a_slow_failover_fails_and_says_so():
    """Past the health checks' detection time plus the slack for dropping the endpoints (30 s default)."""
    world = World(detect=60.0)
    code, report = run(world)
    assert code == 1 and not report["ok"]
    assert report["failover_seconds"] == pytest.approx(60.0, abs=0.6)
    assert report["problems"] == [
        f"slow failover: {report['failover_seconds']:.1f} s, more than failoverDetectionSeconds 15 s plus 30 s "
        "to drop the endpoints"
    ]
    restored(world, report)


def test_the_slack_is_the_operators_to_set():
    world = World(detect=40.0)
    assert run(world)[0] == 0  # within 15 s + 30 s
    assert run(World(detect=40.0), "--slack", "10")[0] == 1


def test_no_failover_times_out_and_still_restores():
    world = World(survivor_serves=False)
    code, report = run(world, "--timeout", "60")
    assert code == 1 and report["failover_seconds"] is None
    assert report["problems"][0] == "no failover within --timeout 60 s: requests kept failing"
    assert world.now < 60 + 40  # gave up at the timeout, then the region came back (30 s)
    restored(world, report)


def test_a_region_that_never_recovers_times_out_with_the_restore_attempted():
    world = World(recovers=False)
    code, report = run(world, "--recovery-timeout", "120")
    assert code == 1 and report["failover_seconds"] == pytest.approx(5.0, abs=0.6)
    assert report["recovered_after_seconds"] is None
    (problem,) = report["problems"]
    assert problem.startswith("us-east5 did not serve again within --recovery-timeout 120 s")
    assert "rollout status deployment vllm-gemma" in problem
    restored(world, report)  # the replicas were set back; the region itself never came


def test_ctrl_c_mid_drill_restores_the_region():
    world = World(detect=30.0)

    def interrupt(w):
        if w.spec[CTX[US]] == 0 and w.now > 4:
            raise KeyboardInterrupt

    world.on_request = interrupt
    code, report = run(world)
    assert code == drill.EXIT_INTERRUPTED and report["interrupted"]
    assert report["problems"] == ["interrupted (Ctrl-C)"]
    restored(world, report)
    assert report["recovered_after_seconds"] is None  # restored, not waited for


def test_sigterm_mid_drill_restores_the_region_and_a_second_signal_does_not_stop_the_restore():
    world = World(detect=30.0)
    before = {sig: signal.getsignal(sig) for sig in (signal.SIGTERM, signal.SIGINT)}
    sent = []

    def terminate(w):
        if w.spec[CTX[US]] == 0 and w.now > 4 and not sent:
            sent.append("SIGTERM")
            signal.raise_signal(signal.SIGTERM)  # as `kill` or a cancelled CI job sends it

    def interrupt_the_restore(w):
        if w.spec[CTX[US]] == 0:
            sent.append("SIGINT")
            signal.raise_signal(signal.SIGINT)  # Ctrl-C while scaling back up: noted, not obeyed

    world.on_request, world.on_scale = terminate, interrupt_the_restore
    code, report = run(world)
    assert sent == ["SIGTERM", "SIGINT"]
    assert code == drill.EXIT_INTERRUPTED and report["problems"] == ["interrupted (signal SIGTERM)"]
    restored(world, report)
    # The drill hands both signals back as it found them (a CI runner may start it with SIGINT ignored).
    assert {sig: signal.getsignal(sig) for sig in before} == before


def test_a_region_that_does_not_serve_before_is_not_taken_down():
    world = World()
    world.last[CTX[EU]] = (math.inf, 0, 2)  # europe-west4's model servers never get ready
    code, report = run(world)
    assert code == 1 and report["problems"] == ["europe-west4 does not serve before the drill (0 ready, HTTP 503)"]
    assert world.scales() == [] and not report["restore_attempted"]
    assert [c[0] for c in world.calls] == ["start_client", "delete_client"]


def test_something_scaling_the_region_back_during_the_drill_is_reported():
    world = World()

    def autoscaler(w):
        if w.spec[CTX[US]] == 0 and w.now > 3:
            w.spec[CTX[US]] = 1  # what an HPA with minReplicas 0, or a concurrent `pulumi up`, could do

    world.on_request = autoscaler
    code, report = run(world)
    assert code == 1
    assert "something scaled vllm-gemma in us-east5 back to 1 during the drill" in report["problems"]
    assert world.scales()[-1] == (CTX[US], 2)


def test_another_region_can_be_taken_down_and_no_hpa_is_touched_without_autoscaling():
    world = World()
    outputs = {k: v for k, v in OUTPUTS.items() if k != "autoscaling"}
    code, report = run(world, "--region", EU, "--requests-per-second", "4", outputs=outputs)
    assert code == 0 and (report["down_region"], report["hpa"]) == (EU, None)
    assert world.scales() == [(CTX[EU], 0), (CTX[EU], 2)]
    assert not [c for c in world.calls if c[0] == "hpa"]


def test_outputs_that_cannot_drive_a_drill_are_refused(capsys):
    world = World()
    code = drill.main(["failover", "--stack", "dev"], outputs=lambda s: {"network": "x"}, cluster=world)
    assert code == drill.EXIT_USAGE and world.calls == []
    assert "stack dev has no output gatewayAddresses, kubeContexts" in capsys.readouterr().err
    one_region = OUTPUTS | {"gatewayAddresses": {US: ADDRESS[US]}}
    with pytest.raises(drill.DrillError, match="a failover needs two"):
        drill.target_from_outputs("dev", one_region)
    with pytest.raises(drill.DrillError, match="region asia-east1 is not one of europe-west4, us-east5"):
        drill.run_drill(drill.target_from_outputs("dev", OUTPUTS), world, region="asia-east1")


class FakeRun:
    """subprocess.run as Kubectl and stack_outputs call it: records the command, answers from a table."""

    def __init__(self, answers: dict[str, tuple[int, str]]):
        self.answers, self.calls = answers, []

    def __call__(self, command, **kwargs):
        self.calls.append((command, kwargs))
        code, stdout = next((v for k, v in self.answers.items() if k in " ".join(command)), (0, ""))
        return subprocess.CompletedProcess(command, code, stdout, "boom" if code else "")


def test_kubectl_commands():
    deployment = json.dumps({"spec": {"replicas": 3}, "status": {"readyReplicas": 2}})
    fake = FakeRun({"get deployment": (0, deployment), "get hpa": (0, ""), "exec": (0, '{"choices": []}\n200')})
    k = drill.Kubectl(run=fake)
    ctx, ns = CTX[US], "inference"
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
    assert k.send_request(ctx, ns, "failover-drill-1", ADDRESS[EU], "m") == drill.Response(True, "200")
    command = fake.calls[-1][0]
    assert command[5:9] == ["exec", "failover-drill-1", "--", "curl"]
    assert "http://10.10.1.218/v1/chat/completions" in command
    assert json.loads(command[-1]) == {
        "model": "m",
        "messages": [{"role": "user", "content": "Say OK."}],
        "max_tokens": 8,
    }


def test_kubectl_request_failures_are_failed_requests_not_errors():
    ctx, ns = CTX[US], "inference"
    unavailable = drill.Kubectl(run=FakeRun({"exec": (0, "no healthy upstream\n503")}))
    assert unavailable.send_request(ctx, ns, "c", ADDRESS[US], "m") == drill.Response(False, "503")
    timed_out = drill.Kubectl(run=FakeRun({"exec": (28, "")}))
    assert timed_out.send_request(ctx, ns, "c", ADDRESS[US], "m") == drill.Response(False, "curl exit 28")
    with pytest.raises(drill.DrillError, match="scale deployment vllm-gemma --replicas=2: boom"):
        drill.Kubectl(run=FakeRun({"scale": (1, "")})).scale(ctx, ns, "vllm-gemma", 2)


def test_the_outputs_come_from_pulumi_stack_output():
    fake = FakeRun({"pulumi stack output": (0, json.dumps(OUTPUTS))})
    assert drill.stack_outputs("dev", run=fake) == OUTPUTS
    assert fake.calls[0][0] == ["pulumi", "stack", "output", "--json", "--stack", "dev"]
    with pytest.raises(drill.DrillError, match="pulumi stack output --stack prod: boom"):
        drill.stack_outputs("prod", run=FakeRun({"pulumi": (255, "")}))


def test_the_client_pod_uses_the_image_of_the_stacks_test_requests():
    requests = plan_of("prod").outputs["testRequests"]
    assert requests and all(f"--image={drill.CURL_IMAGE} " in command for command in requests.values())
