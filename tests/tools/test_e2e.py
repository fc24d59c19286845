"""The end-to-end run (tools/e2e.py), offline: what counts as a leftover of the stack in a project's listings,
the order of the run (the stack is always destroyed and checked, even when `up` or the drill fails), the
gcloud and kubectl command lines, and the refusal to run in a project a checked-in stack uses."""

from __future__ import annotations

import functools
import json
import shlex
import subprocess

import pytest

from tests.conftest import plan_of
from tests.conftest import run as plan_run
from tools import drill, e2e, engine

BASE, VPC = "tpu-gke-dranet-dev", "tpu-gke-dranet-dev-vpc"
LINK = "https://www.googleapis.com/compute/v1/projects/e2e-scratch"
PROJECT = "e2e-scratch"


@functools.cache
def _outputs() -> str:
    return json.dumps(engine.to_json(plan_run("dev", overrides={"project": PROJECT}).outputs))


def outputs() -> dict:
    """The outputs the run reads once `up` is done: dev's offline plan in the disposable project, as the run's
    `configure` step sets it (a fresh copy each time)."""
    return json.loads(_outputs())


# gcloud's JSON listings of a project after a destroy that left some of everything behind, next to what
# belongs to others: the default network, another stack (dev2: same prefix, longer stack name), a user.
LISTINGS = {
    "firewall rule": [
        {"name": "default-allow-ssh", "network": f"{LINK}/global/networks/default"},
        {"name": "gke-tpu-gke-dranet-dev-us-east5-5f3a-all", "network": f"{LINK}/global/networks/{VPC}"},
        {"name": "k8s-fw-l7--abc", "network": f"{LINK}/global/networks/{VPC}"},
        {"name": "tpu-gke-dranet-dev2-internal", "network": f"{LINK}/global/networks/tpu-gke-dranet-dev2-vpc"},
    ],
    "network endpoint group": [
        {"name": "k8s1-1a2b3c4d-inference-vllm-gemma-service-8000-5e6f", "network": f"{LINK}/global/networks/{VPC}"},
        {"name": "k8s1-9z-other", "network": f"{LINK}/global/networks/default"},
    ],
    "address": [
        {"name": "tpu-gke-dranet-dev-gateway-us-east5", "subnetwork": f"{LINK}/regions/us-east5/subnetworks/x"},
        {"name": "gkemcg1-ip", "subnetwork": f"{LINK}/regions/us-east5/subnetworks/{BASE}-node-us-east5"},
        {"name": "someone-elses"},
    ],
    "forwarding rule": [],
    "subnetwork": [{"name": f"{BASE}-proxy-us-east5", "network": f"{LINK}/global/networks/{VPC}"}],
    "network": [{"name": VPC}, {"name": "default"}, {"name": "tpu-gke-dranet-dev2-vpc"}],
    "bucket": [{"name": "tpu-gke-dranet-dev-weights-us-74d57e19"}, {"name": "e2e-scratch-state"}],
    "service account": [
        {"email": "tpu-gke-dranet-dev-fuse@e2e-scratch.iam.gserviceaccount.com", "name": "projects/e2e-scratch/x"},
        {"email": "deployer@e2e-scratch.iam.gserviceaccount.com"},
        {"email": "tpu-gke-dranet-dev2-fuse@e2e-scratch.iam.gserviceaccount.com"},
    ],
    "fleet membership": [{"name": "projects/e2e-scratch/locations/global/memberships/tpu-gke-dranet-dev-us-east5"}],
    "cluster": [{"name": "tpu-gke-dranet-dev2-us-east5", "network": "tpu-gke-dranet-dev2-vpc"}],
}


def test_leftovers_are_what_the_stack_named_or_what_sits_in_its_vpc():
    assert e2e.leftovers(LISTINGS, BASE, VPC) == [
        "address gkemcg1-ip",
        "address tpu-gke-dranet-dev-gateway-us-east5",
        "bucket tpu-gke-dranet-dev-weights-us-74d57e19",
        "firewall rule gke-tpu-gke-dranet-dev-us-east5-5f3a-all",
        "firewall rule k8s-fw-l7--abc",
        "fleet membership tpu-gke-dranet-dev-us-east5",
        "network endpoint group k8s1-1a2b3c4d-inference-vllm-gemma-service-8000-5e6f",
        "network tpu-gke-dranet-dev-vpc",
        "service account tpu-gke-dranet-dev-fuse@e2e-scratch.iam.gserviceaccount.com",
        "subnetwork tpu-gke-dranet-dev-proxy-us-east5",
    ]
    clean = {
        kind: [i for i in items if "dev2" in json.dumps(i) or "default" in json.dumps(i)]
        for kind, items in LISTINGS.items()
    }
    assert e2e.leftovers(clean, BASE, VPC) == []


def test_the_stack_prefix_and_vpc_come_from_the_stack_file_or_the_project_default(tmp_path):
    assert e2e.stack_base("dev") == (BASE, VPC)
    (tmp_path / "Pulumi.yaml").write_text("name: p\nconfig:\n  prefix:\n    default: dflt\n")
    (tmp_path / "Pulumi.dev.yaml").write_text("config:\n  p:prefix: mine\n")
    assert e2e.stack_base("dev", tmp_path) == ("mine-dev", "mine-dev-vpc")
    assert e2e.stack_base("e2e", tmp_path) == ("dflt-e2e", "dflt-e2e-vpc")


def test_a_project_of_a_checked_in_stack_is_refused():
    with pytest.raises(SystemExit, match="tpu-inference-dev is the project of Pulumi.dev.yaml"):
        e2e.refuse_checked_in_projects("tpu-inference-dev")
    e2e.refuse_checked_in_projects("e2e-scratch")


class FakeStack:
    def __init__(self, fail: str | None = None, error: type[BaseException] = RuntimeError):
        self.name, self.fail, self.error, self.calls = "dev", fail, error, []

    def _call(self, name: str, result=None):
        self.calls.append(name)
        if name == self.fail:
            raise self.error(f"{name} failed")
        return result

    def set_project(self, project):
        return self._call(f"set_project {project}")

    def up(self):
        return self._call("up")

    def outputs(self):
        return self._call("outputs", outputs())

    def destroy(self):
        return self._call("destroy")

    def remove(self):
        return self._call("remove")


def report(ok: bool) -> drill.Report:
    """What the drill reports for the stack's outputs: its default region down, requests from another."""
    target = drill.target_from_outputs("dev", outputs())
    down = target.regions[target.config_region]
    client = next(r for r in target.regions if r != down.name)
    r = drill.Report("dev", down.name, client, down.address, target.detection_seconds)
    budget = target.detection_seconds
    r.problems = [] if ok else [f"slow failover: {budget + 60:.1f} s, more than failoverDetectionSeconds {budget:g} s"]
    return r


def run(stack: FakeStack, *, drill_ok=True, listings=(None,), calls=None):
    calls = [] if calls is None else calls
    listed = iter(listings)
    steps = e2e.run(
        stack,
        "e2e-scratch",
        base=BASE,
        network=VPC,
        credentials=lambda outputs: calls.append("credentials"),
        test_requests=lambda outputs: calls.append("requests") or "us-east5: {...}",
        failover_drill=lambda outputs: calls.append("drill") or report(drill_ok),
        list_project=lambda: calls.append("list") or (next(listed) or {}),
        sleep=lambda s: calls.append(f"sleep {s:g}"),
    )
    return {s.name: s.ok for s in steps}, calls, steps


def test_a_good_run_goes_up_checks_destroys_finds_nothing_and_removes_the_stack():
    stack = FakeStack()
    results, calls, _ = run(stack)
    assert all(results.values()) and list(results) == [
        "configure", "pulumi up (dev)", "stack outputs", "cluster credentials", "test requests", "failover drill",
        "pulumi destroy (dev)", "leftovers", "remove the stack",
    ]  # fmt: skip
    assert stack.calls == ["set_project e2e-scratch", "up", "outputs", "destroy", "remove"]
    assert calls == ["credentials", "requests", "drill", "list"]


def test_a_failed_up_is_still_destroyed_and_checked():
    stack = FakeStack(fail="up")
    results, calls, steps = run(stack)
    assert results["pulumi up (dev)"] is False and "test requests" not in results
    assert stack.calls == ["set_project e2e-scratch", "up", "destroy", "remove"] and calls == ["list"]
    assert steps[1].detail == "RuntimeError: up failed"


def test_a_failed_drill_fails_the_run_and_the_stack_is_destroyed():
    results, calls, steps = run(FakeStack(), drill_ok=False)
    assert results["failover drill"] is False and results["pulumi destroy (dev)"] and results["leftovers"]
    assert "slow failover" in next(s.detail for s in steps if s.name == "failover drill")


def test_leftovers_fail_the_run_after_letting_deletions_settle_and_the_stack_is_kept():
    stack = FakeStack()
    results, calls, steps = run(stack, listings=[LISTINGS] * 3)
    assert results["leftovers"] is False and "remove the stack" not in results
    assert calls[-5:] == ["list", "sleep 60", "list", "sleep 60", "list"]
    assert steps[-1].detail.startswith("RuntimeError: left in e2e-scratch: address gkemcg1-ip, ")
    # A deletion that was still in progress is not a leftover.
    results, calls, _ = run(FakeStack(), listings=[LISTINGS, {}])
    assert results["leftovers"] and calls[-3:] == ["list", "sleep 60", "list"]


def test_a_failed_destroy_keeps_the_stack_for_a_manual_destroy():
    stack = FakeStack(fail="destroy")
    results, _, _ = run(stack)
    assert results["pulumi destroy (dev)"] is False and "remove the stack" not in results


def test_an_interrupted_run_still_destroys():
    stack = FakeStack(fail="up", error=KeyboardInterrupt)
    with pytest.raises(KeyboardInterrupt):
        run(stack)
    assert stack.calls == ["set_project e2e-scratch", "up", "destroy", "remove"]


class FakeRun:
    def __init__(self, answer=lambda command: (0, "[]")):
        self.answer, self.calls = answer, []

    def __call__(self, command, **kwargs):
        self.calls.append(command)
        code, stdout = self.answer(command)
        return subprocess.CompletedProcess(command, code, stdout, "")


def test_gcloud_lists_every_kind_in_the_project_as_json():
    fake = FakeRun()
    assert e2e.list_resources("e2e-scratch", run=fake) == {kind: [] for kind in e2e.LISTINGS}
    assert fake.calls[0] == ["gcloud", "compute", "firewall-rules", "list", "--project=e2e-scratch", "--format=json"]
    assert all(c[-2:] == ["--project=e2e-scratch", "--format=json"] for c in fake.calls)
    assert {"bucket", "service account", "fleet membership", "network endpoint group", "address"} <= set(e2e.LISTINGS)


def test_credentials_are_fetched_for_every_cluster():
    fake, clusters = FakeRun(), outputs()["clusters"]
    e2e.get_credentials(outputs(), PROJECT, run=fake)
    assert sorted(fake.calls) == sorted(
        [
            "gcloud",
            "container",
            "clusters",
            "get-credentials",
            c["name"],
            f"--zone={c['location']}",
            f"--project={PROJECT}",
        ]
        for c in clusters.values()
    )
    # The contexts gcloud writes are the ones the stack outputs name: gke_<project>_<zone>_<cluster>.
    for region, c in clusters.items():
        assert outputs()["kubeContexts"][region] == f"gke_{PROJECT}_{c['location']}_{c['name']}"


def test_credentials_go_through_the_dns_endpoint_where_the_cluster_has_one():
    """prod's IP endpoints admit no outside address: gcloud must write the DNS endpoint into the kubeconfig."""
    prod = plan_of("prod").outputs
    assert all(c["dnsEndpoint"] is True for c in prod["clusters"].values())
    assert all("dnsEndpoint" not in c for c in outputs()["clusters"].values())  # dev: the IP endpoint
    fake = FakeRun()
    e2e.get_credentials(prod, PROJECT, run=fake)
    assert fake.calls and all(call[-1] == "--dns-endpoint" for call in fake.calls)


def test_the_test_requests_run_the_stacks_own_commands_until_each_answers():
    out = outputs()
    first, settling = sorted(out["testRequests"])  # the second region's Gateway answers on its second try
    tries = {settling: 0}

    def answer(command):
        if command[0] == "kubectl" and "curl" in command:
            region = next(r for r, ctx in out["kubeContexts"].items() if command[2] == ctx)
            if region == settling and tries[settling] == 0:
                tries[settling] += 1
                return 0, "no healthy upstream"  # the Gateway still settling
            return 0, '{"id": "x", "choices": [{"message": {"content": "Paris"}}]}pod "curl-test" deleted\n'
        return 0, ""

    fake, slept = FakeRun(answer), []
    text = e2e.send_test_requests(out, run=fake, clock=lambda: 0.0, sleep=slept.append)
    assert slept == [30] and text.startswith(f'{first}: {{"id": "x", "choices"')
    requests = [c for c in fake.calls if "curl" in c]
    assert requests == [shlex.split(out["testRequests"][r]) for r in (first, settling, settling)]
    served = out["modelServer"]["servedModel"]
    assert json.loads(requests[-1][-1])["model"] == served  # the quoted body survives
    # Before each attempt, a curl-test pod an earlier attempt may have left is deleted.
    assert fake.calls[0][-4:] == ["delete", "pod", "curl-test", "--ignore-not-found"]
    with pytest.raises(RuntimeError, match=f"no completion from {first}, {settling} within 60 s"):
        ticks = iter(range(0, 1000, 45))
        e2e.send_test_requests(
            out, run=FakeRun(lambda c: (1, "")), clock=lambda: next(ticks), sleep=lambda s: None, timeout=60
        )


def test_the_summary_lists_every_step():
    _, _, steps = run(FakeStack(), drill_ok=False)
    text = e2e.summary(steps)
    assert "| failover drill | **failed** |" in text and "| pulumi destroy (dev) | ok |" in text
    assert "<details><summary>failover drill</summary>" in text


def test_with_several_models_each_models_request_is_sent_from_the_gateways_cluster():
    """A models stack's `modelTestRequests` are sent too, each with its objective header, from the cluster of
    the Gateway; a command that reads the Gateway's address first runs in a shell."""
    out = outputs() | {
        "modelTestRequests": {
            "llama": "kubectl --context ctx-a -n inference run curl-test -- curl -H 'x-gateway-inference-objective: o'",
            "sql": "IP=$(kubectl get gateway/g) && curl http://${IP}:80/v1/completions",
        }
    }
    out["gateway"]["kubeContext"] = "ctx-a"
    fake = FakeRun(lambda c: (0, '{"choices": [{"text": "Paris"}]}' if "curl" in " ".join(c) else ""))
    text = e2e.send_test_requests(out, run=fake, clock=lambda: 0.0, sleep=lambda s: None)
    assert "model llama: " in text and "model sql: " in text
    assert ["bash", "-c", out["modelTestRequests"]["sql"]] in fake.calls
    assert shlex.split(out["modelTestRequests"]["llama"]) in fake.calls
    # Before each model's request, a leftover curl-test pod is deleted in the Gateway's cluster.
    for command in out["modelTestRequests"].values():
        sent = fake.calls.index(e2e._command(command))
        assert fake.calls[sent - 1][:3] == ["kubectl", "--context", "ctx-a"] and "delete" in fake.calls[sent - 1]
