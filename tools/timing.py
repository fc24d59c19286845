"""Time-to-serve model: typical durations per kind of resource, and the critical path of a plan.

`pulumi up` creates a resource as soon as everything it depends on exists, so the time from an empty
project to a gateway serving traffic is the longest chain of the captured dependency graph, each
resource weighted by how long its creation typically takes. The durations are the walkthrough's stated
times split over the resources its steps create, and Google's documentation where it states one.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from inference.core.facts import durations  # the two durations the capacity ladder's rung costs share
from tools import engine

WALKTHROUGH = durations.WALKTHROUGH


@dataclass(frozen=True)
class Step:
    seconds: int
    source: str


# What Pulumi waits for, per kind of resource. Keep docs/time-to-serve.md § Durations in step with this table.
# A TPU node and a model load are also what replacing a lost slice costs (inference/capacity/costs.py).
STEPS: dict[str, Step] = {
    "api-enablement": Step(
        60, "Service Usage: enabling an API takes up to a few minutes; walkthrough §3 (3–5 min) and §4"
    ),
    "network": Step(40, f"{WALKTHROUGH} §3: VPC, subnets, addresses, firewalls, bucket and IAM in 3–5 min"),
    "subnet": Step(30, f"{WALKTHROUGH} §3 (3–5 min for the network and storage step)"),
    "address-or-firewall": Step(15, f"{WALKTHROUGH} §3 (3–5 min for the network and storage step)"),
    "router-or-nat": Step(30, f"{WALKTHROUGH} §3 (3–5 min for the network and storage step)"),
    "bucket": Step(5, f"{WALKTHROUGH} §3 (3–5 min for the network and storage step)"),
    "identity": Step(10, f"{WALKTHROUGH} §3 (3–5 min for the network and storage step)"),
    "iam-member": Step(10, f"{WALKTHROUGH} §3 and §4 (one read-modify-write of a policy)"),
    "iam-propagation-sleep": Step(60, f"{WALKTHROUGH} §4: time_sleep of 60 s (the Sleep's own createDuration wins)"),
    "gke-cluster": Step(480, f"{WALKTHROUGH} §3: clusters and TPU pools in 10–15 min"),
    "node-pool": Step(180, f"{WALKTHROUGH} §3: clusters and TPU pools in 10–15 min"),
    "tpu-node-pool": Step(durations.TPU_NODE_POOL_SECONDS, durations.TPU_NODE_POOL_SOURCE),
    "fleet-membership": Step(30, f"{WALKTHROUGH} §4: fleet registration and features in 3–5 min"),
    "fleet-feature": Step(90, f"{WALKTHROUGH} §4: fleet registration and features in 3–5 min"),
    "weights-download": Step(
        450,
        f"{WALKTHROUGH} §5: download of gemma-3-27b-it in 5–10 min; here a Cloud Run job execution, which the "
        "provider waits for (pulumi-gcp cloudrunv2.Job runExecutionToken)",
    ),
    # Before its first execution Cloud Run pulls the downloader image, the multi-GB vLLM TPU image from Docker
    # Hub; no published figure. Counted into the job's own duration (seconds_of).
    "cloud-run-image-import": Step(180, "pull of the multi-GB downloader image before the first execution, estimate"),
    "secret-write": Step(5, "one Secret Manager API write (a secret, or a version of it)"),
    "model-load": Step(durations.MODEL_LOAD_SECONDS, durations.MODEL_LOAD_SOURCE),
    "workload-rollout": Step(30, "a small CPU Deployment becoming ready (the simulator), estimate"),
    "inference-pool-chart": Step(60, f"{WALKTHROUGH} §7: helm install of the InferencePool and its endpoint picker"),
    "gateway-programming": Step(540, f"{WALKTHROUGH} §8: the Gateway is programmed in 8–10 min"),
    "istio-chart": Step(60, "helm install of Istio's base or istiod chart, istiod ready; estimate"),
    "istio-gateway": Step(
        30,
        "istiod deploys the Gateway's Envoy Deployment and Service itself "
        "(https://istio.io/latest/docs/tasks/traffic-management/ingress/gateway-api/#automated-deployment); estimate",
    ),
    "route-applied": Step(
        60,
        "the route's readiness wait (inference/single_cluster/route_readiness.py): GKE's Gateway controller "
        "reports the new generation of the route once it updated the load balancer's URL map; estimate, no "
        "published figure",
    ),
    "monitoring-config": Step(5, "one Cloud Monitoring or Logging API write (alert policy, log metric, dashboard)"),
    "model-armor-template": Step(5, "one Model Armor API write (a template), estimate"),
    # Apigee publishes no typical provisioning time; the provider's create timeouts are the documented bounds
    # (terraform-provider-google website/docs/r/apigee_organization.html.markdown and apigee_instance...: 45 and
    # 60 min), so the model takes them: an upper bound of what `pulumi up` may wait.
    "apigee-organization": Step(2700, "terraform-provider-google apigee_organization create timeout (45 min)"),
    "apigee-instance": Step(3600, "terraform-provider-google apigee_instance create timeout (60 min)"),
    "apigee-config": Step(60, "one Apigee long-running operation (environment, group, attachment), estimate"),
    "service-networking": Step(120, "a Service Networking connection (VPC peering with the producer), estimate"),
    "operator-chart": Step(
        90, "helm install --atomic of an operator chart: its Deployment ready (Apigee install guide), estimate"
    ),
    "kubernetes-object": Step(2, "one API server write, no readiness to wait for"),
    "instant": Step(0, "no cloud call (random suffix, provider config, firewall sweeper record, migration gate)"),
}

_BY_TYPE = {
    "gcp:projects/service:Service": "api-enablement",
    "gcp:compute/network:Network": "network",
    "gcp:compute/subnetwork:Subnetwork": "subnet",
    "gcp:compute/address:Address": "address-or-firewall",
    "gcp:compute/firewall:Firewall": "address-or-firewall",
    "gcp:compute/router:Router": "router-or-nat",
    "gcp:compute/routerNat:RouterNat": "router-or-nat",
    "gcp:storage/bucket:Bucket": "bucket",
    "gcp:serviceaccount/account:Account": "identity",
    "gcp:projects/serviceIdentity:ServiceIdentity": "identity",
    "time:index/sleep:Sleep": "iam-propagation-sleep",
    "gcp:container/cluster:Cluster": "gke-cluster",
    "gcp:gkehub/membership:Membership": "fleet-membership",
    "gcp:gkehub/feature:Feature": "fleet-feature",
    "gcp:cloudrunv2/job:Job": "weights-download",
    "gcp:secretmanager/secret:Secret": "secret-write",
    "gcp:secretmanager/secretVersion:SecretVersion": "secret-write",
    "gcp:secretmanager/secretIamMember:SecretIamMember": "iam-member",
    "kubernetes:helm.sh/v4:Chart": "inference-pool-chart",
    "kubernetes:gateway.networking.k8s.io/v1:Gateway": "gateway-programming",
    "gcp:monitoring/alertPolicy:AlertPolicy": "monitoring-config",
    "gcp:monitoring/dashboard:Dashboard": "monitoring-config",
    "gcp:logging/metric:Metric": "monitoring-config",
    "gcp:modelarmor/template:Template": "model-armor-template",
    "gcp:apigee/organization:Organization": "apigee-organization",
    "gcp:apigee/instance:Instance": "apigee-instance",
    "gcp:apigee/environment:Environment": "apigee-config",
    "gcp:apigee/envGroup:EnvGroup": "apigee-config",
    "gcp:apigee/instanceAttachment:InstanceAttachment": "apigee-config",
    "gcp:apigee/envGroupAttachment:EnvGroupAttachment": "apigee-config",
    "gcp:compute/globalAddress:GlobalAddress": "address-or-firewall",
    "gcp:servicenetworking/connection:Connection": "service-networking",
    "kubernetes:helm.sh/v3:Release": "operator-chart",
    "random:index/randomId:RandomId": "instant",
    "pulumi:providers:kubernetes": "instant",
    "pulumi-python:dynamic:Resource": "instant",
    "pulumi-python:dynamic/migration:Gate": "instant",
    "pulumi-python:dynamic/gateway:RouteReadiness": "route-applied",
}


def step_of(reg: engine.Registration) -> str:
    if reg.type == "kubernetes:helm.sh/v4:Chart" and "/istio" in str(reg.inputs.get("chart", "")):
        return "istio-chart"
    if reg.type == "kubernetes:gateway.networking.k8s.io/v1:Gateway" and _gateway_class(reg) == "istio":
        return "istio-gateway"
    if reg.type in _BY_TYPE:
        return _BY_TYPE[reg.type]
    if reg.type.endswith(("IAMMember", "IAMAuditConfig")):  # both one read-modify-write of the project's policy
        return "iam-member"
    if reg.type == "gcp:container/nodePool:NodePool":
        # Cloud TPU machine types are the `ct*` family (ct5lp-, ct6e-, ...).
        machine = (reg.inputs.get("nodeConfig") or {}).get("machineType", "")
        return "tpu-node-pool" if machine.startswith("ct") else "node-pool"
    if reg.type == "kubernetes:apps/v1:Deployment":
        return "model-load" if "google.com/tpu" in repr(reg.inputs) else "workload-rollout"
    if reg.type.startswith("kubernetes:"):
        return "kubernetes-object"
    raise KeyError(f"no typical duration for {reg.type}; add it to tools/timing.py")


def _gateway_class(reg: engine.Registration) -> str:
    spec = reg.inputs.get("spec")
    return spec.get("gatewayClassName", "") if isinstance(spec, dict) else ""


def seconds_of(reg: engine.Registration) -> int:
    if reg.type == "time:index/sleep:Sleep":
        return _duration(reg.inputs.get("createDuration", "")) or STEPS["iam-propagation-sleep"].seconds
    if reg.type == "gcp:cloudrunv2/job:Job":
        return STEPS["cloud-run-image-import"].seconds + STEPS["weights-download"].seconds
    return STEPS[step_of(reg)].seconds


def _duration(text: str) -> int:
    """Seconds in a Go duration such as "60s" or "1m30s" (what time.Sleep takes)."""
    units = {"h": 3600, "m": 60, "s": 1}
    return sum(int(n) * units[u] for n, u in re.findall(r"(\d+)([hms])", str(text)))


def prerequisites(reg: engine.Registration) -> list[str]:
    """What a resource waits for: its dependencies and, for Kubernetes objects, its cluster's provider."""
    provider = [reg.provider.rsplit("::", 1)[0]] if reg.provider else []
    return sorted({*reg.dependencies, *provider})


@dataclass(frozen=True)
class Link:
    reg: engine.Registration
    start: int
    seconds: int


def _schedule(
    plan: engine.Plan, seconds_of: Callable[[engine.Registration], int] = seconds_of
) -> tuple[dict[str, engine.Registration], dict[str, int], dict[str, str | None]]:
    """Each resource finishes its own duration after its last prerequisite; ties go to the
    prerequisite that sorts first by name, so the critical path is stable between runs."""
    regs = {r.urn: r for r in plan.registrations if r.custom or r.remote}
    finish: dict[str, int] = {}
    last_before: dict[str, str | None] = {}

    def done(urn: str) -> int:
        if urn not in finish:
            waits = sorted((u for u in prerequisites(regs[urn]) if u in regs), key=lambda u: regs[u].name)
            last = max(waits, key=done, default=None)
            last_before[urn] = last
            finish[urn] = (done(last) if last else 0) + seconds_of(regs[urn])
        return finish[urn]

    for urn in sorted(regs, key=lambda u: regs[u].name):
        done(urn)
    return regs, finish, last_before


def finish_times(plan: engine.Plan) -> dict[str, int]:
    """Seconds from an empty project until each resource (by name) is ready."""
    regs, finish, _ = _schedule(plan)
    return {regs[urn].name: t for urn, t in finish.items()}


def floor_seconds(plan: engine.Plan, *steps: str) -> int:
    """The time to serve if every resource of `steps` took no time at all: the most that shortening those
    steps can ever give, since the rest of the graph keeps its sourced durations."""
    _, finish, _ = _schedule(plan, lambda reg: 0 if step_of(reg) in steps else seconds_of(reg))
    return max(finish.values(), default=0)


def critical_path(plan: engine.Plan) -> list[Link]:
    """The longest chain of the graph: what decides the time to serve."""
    regs, finish, last_before = _schedule(plan)
    urn: str | None = max(sorted(regs, key=lambda u: regs[u].name), key=finish.__getitem__)
    chain: list[Link] = []
    while urn:
        seconds = seconds_of(regs[urn])
        chain.append(Link(regs[urn], finish[urn] - seconds, seconds))
        urn = last_before[urn]
    return chain[::-1]


def total_seconds(chain: list[Link]) -> int:
    """The modelled time to serve: when the last link of the critical path is done."""
    return chain[-1].start + chain[-1].seconds if chain else 0


@dataclass(frozen=True)
class Stage:
    what: str
    low_minutes: int
    high_minutes: int
    source: str

    @property
    def seconds(self) -> int:
        return (self.low_minutes + self.high_minutes) * 30  # the midpoint of the stated range


# The walkthrough runs its stages one after another, each with its stated duration; the table above splits
# the same durations over the resources each stage creates. Lines of the guide file.
WALKTHROUGH_STAGES = (
    Stage("network, bucket and IAM (network.tf, fuse.tf)", 3, 5, f"{WALKTHROUGH} §3, line 207"),
    Stage("clusters and TPU pools (gke.tf)", 10, 15, f"{WALKTHROUGH} §3, line 267"),
    Stage("fleet registration and features (fleet.tf)", 3, 5, f"{WALKTHROUGH} §4, line 359"),
    Stage("weights download Job", 5, 10, f"{WALKTHROUGH} §5, line 435"),
    Stage("vLLM in both regions", 5, 10, f"{WALKTHROUGH} §6, line 563"),
    Stage("Gateway programmed", 8, 10, f"{WALKTHROUGH} §8, line 651"),
)


def walkthrough_seconds() -> int:
    """The walkthrough's sequential sum: every stage waits for the one before it."""
    return sum(stage.seconds for stage in WALKTHROUGH_STAGES)


def minutes(seconds: int) -> str:
    return f"{seconds // 60}:{seconds % 60:02d}"


def render(chain: list[Link]) -> str:
    total = total_seconds(chain)
    lines = [f"Time to serve (modelled, empty project to the last resource ready): {minutes(total)} min"]
    lines.append(
        "Walkthrough's stages one after another (midpoints of its stated times): "
        f"{minutes(walkthrough_seconds())} min; "
        f"ratio {total / walkthrough_seconds():.2f}"
    )
    lines.append("Critical path (start → +duration):")
    for link in chain:
        lines.append(
            f"  {minutes(link.start):>6}  +{minutes(link.seconds):>5}  {step_of(link.reg):<22} {link.reg.name}"
        )
    return "\n".join(lines)
