"""Capacity: do the pods a plan creates fit on the node pools it creates?

From a Plan: the GKE node pools of each cluster (machine type, node count, labels, taints), the objects
that run pods in that cluster (Deployment, StatefulSet, ReplicaSet, Job, DaemonSet, Pod; created by the
program or rendered from a Helm chart), each pod's effective requests (Kubernetes' rule for init and
sidecar containers, plus the Cloud Storage FUSE sidecars GKE injects), and the pools each pod may land on
(nodeSelector, required node affinity, taints against tolerations). Each node offers GKE's allocatable
less the GKE system pods that run on every node (inference/core/facts/machines.py); pods are packed
first-fit-decreasing.
A pod that fits no node, or a pool that cannot hold its pods, is a problem. docs/capacity.md explains it.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field

from inference.core.facts import machines
from tools import engine
from tools.pods import Pod, Workload, add, fits, fmt, sub, workload_of

NODE_POOL = "gcp:container/nodePool:NodePool"
CLUSTER = "inference:cluster:InferenceCluster::"  # in the URN of the cluster component (its type and name)
K8S_PROVIDER = "pulumi:providers:kubernetes"
CHART = "kubernetes:helm.sh/v4:Chart"
HPA = "kubernetes:autoscaling/v2:HorizontalPodAutoscaler"
POOL_LABEL = "cloud.google.com/gke-nodepool"
# GKE's API spells taint effects as enums (NodeTaint.effect).
TAINT_EFFECTS = {"NO_SCHEDULE": "NoSchedule", "PREFER_NO_SCHEDULE": "PreferNoSchedule", "NO_EXECUTE": "NoExecute"}

# --- pools -----------------------------------------------------------------------------------------------


@dataclass
class Pool:
    cluster: str
    name: str
    machine_type: str
    nodes: int
    labels: dict[str, str]
    taints: list[dict]
    machine: machines.MachineType | None
    allocatable: dict[str, int] = field(default_factory=dict)  # per node
    node_system: dict[str, int] = field(default_factory=dict)  # GKE DaemonSets, per node
    node_daemons: dict[str, int] = field(default_factory=dict)  # the workloads' DaemonSets, per node
    workloads: dict[str, int] = field(default_factory=dict)  # total requested by workloads
    system: dict[str, int] = field(default_factory=dict)  # total requested by GKE system pods

    @property
    def label(self) -> str:
        return f"pool {self.name} ({self.machine_type} x {self.nodes})"

    @property
    def room(self) -> dict[str, int]:
        """What one node has for the other pods once every DaemonSet runs on it."""
        return sub(sub(self.allocatable, self.node_system), self.node_daemons)


def pool_of(cluster: str, reg: engine.Registration) -> Pool:
    i = engine.to_json(reg.inputs)
    config = i.get("nodeConfig") or {}
    machine_type = config.get("machineType") or "e2-medium"  # GKE's default machine type
    machine = machines.MACHINE_TYPES.get(machine_type)
    autoscaling = i.get("autoscaling") or {}
    counts = (autoscaling.get("maxNodeCount"), i.get("nodeCount"), i.get("initialNodeCount"))
    per_zone = next((c for c in counts if c is not None), 1)
    nodes = autoscaling.get("totalMaxNodeCount") or per_zone * max(1, len(i.get("nodeLocations") or []))
    name = i.get("name") or reg.name
    # Labels every node carries: Kubernetes' well-known ones (https://kubernetes.io/docs/reference/
    # labels-annotations-taints/), GKE's pool, machine family and Spot labels, the TPU labels GKE sets on
    # slice nodes (plan-tpus, inference/core/facts/machines.py), then the pool's own Kubernetes labels
    # (nodeConfig.labels).
    labels = {
        POOL_LABEL: name,
        "node.kubernetes.io/instance-type": machine_type,
        "cloud.google.com/machine-family": machine_type.split("-")[0],
        "kubernetes.io/os": "linux",
        "kubernetes.io/arch": "amd64",
    }
    if i.get("location"):
        labels["topology.kubernetes.io/zone"] = i["location"]
    if config.get("spot"):
        labels["cloud.google.com/gke-spot"] = "true"
    taints = [{**t, "effect": TAINT_EFFECTS.get(t.get("effect"), t.get("effect"))} for t in config.get("taints") or []]
    if machine and machine.tpu_chips:
        topology = (i.get("placementPolicy") or {}).get("tpuTopology") or machine.tpu_topology
        labels |= {"cloud.google.com/gke-tpu-accelerator": machine.tpu_accelerator}
        labels |= {"cloud.google.com/gke-tpu-topology": topology}
        taints.append(dict(machines.TPU_TAINT))
    labels |= config.get("labels") or {}
    pool = Pool(cluster, name, machine_type, int(nodes), labels, taints, machine)
    if machine:
        pool.allocatable = machines.allocatable(machine)
        daemons = [*machines.NODE_SYSTEM_PODS, *(machines.TPU_NODE_SYSTEM_PODS if machine.tpu_chips else ())]
        for d in daemons:
            pool.node_system = add(pool.node_system, {"cpu": d.cpu_milli, "memory": d.memory, "pods": 1})
    return pool


def _matches(expr: dict, labels: dict[str, str]) -> bool:
    key, op, values = expr.get("key"), expr.get("operator"), [str(v) for v in expr.get("values") or []]
    value = labels.get(key)
    if op == "In":
        return value in values
    if op == "NotIn":
        return value not in values
    if op == "Exists":
        return key in labels
    if op == "DoesNotExist":
        return key not in labels
    if op in ("Gt", "Lt") and value is not None and value.lstrip("-").isdigit():
        return int(value) > int(values[0]) if op == "Gt" else int(value) < int(values[0])
    return False


def _tolerates(tolerations: list[dict], taint: dict) -> bool:
    for t in tolerations:
        if t.get("effect") and t["effect"] != taint.get("effect"):
            continue
        if t.get("operator") == "Exists" and not t.get("key"):
            return True
        if t.get("key") != taint.get("key"):
            continue
        if t.get("operator") == "Exists" or str(t.get("value", "")) == str(taint.get("value", "")):
            return True
    return False


def why_not(pod: Pod, pool: Pool) -> str:
    """Why the scheduler never puts `pod` on a node of `pool` ("" when it may)."""
    for key, value in pod.node_selector.items():
        if pool.labels.get(key) != str(value):
            return f"nodeSelector {key}={value} does not match"
    # Required node affinity: any term, all its expressions; matchFields (node names) cannot be known
    # offline, so a term with only those is taken to match.
    terms = pod.affinity_terms
    if terms is not None and not any(
        all(_matches(e, pool.labels) for e in t.get("matchExpressions") or []) for t in terms
    ):
        return "required node affinity does not match"
    for taint in pool.taints:
        if taint.get("effect") in ("NoSchedule", "NoExecute") and not _tolerates(pod.tolerations, taint):
            return f"taint {taint.get('key')}={taint.get('value', '')}:{taint.get('effect')} is not tolerated"
    return ""


# --- the check ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Problem:
    cluster: str
    pool: str
    pods: tuple[str, ...]
    message: str

    def __str__(self) -> str:
        return self.message


@dataclass
class Capacity:
    pools: list[Pool]
    problems: list[Problem]
    notes: list[str]


def _cluster_of(reg: engine.Registration, regs: dict[str, engine.Registration], providers: dict[str, str]) -> str:
    """The cluster component a Kubernetes object's provider belongs to (the provider's own parent), found
    on the object or, for a chart-rendered object without one, on the nearest ancestor that has one."""
    node: engine.Registration | None = reg
    while node is not None:
        if node.provider:
            return providers.get(node.provider.rsplit("::", 1)[0], "")
        node = regs.get(node.parent)
    return ""


def _descends(reg: engine.Registration, urn: str, regs: dict[str, engine.Registration]) -> bool:
    if getattr(reg, "rendered_by", "") == urn:
        return True
    node = regs.get(reg.parent)
    while node is not None:
        if node.urn == urn:
            return True
        node = regs.get(node.parent)
    return False


def analyse(plan: engine.Plan) -> Capacity:
    regs = plan.by_urn()
    pools_of: dict[str, list[Pool]] = defaultdict(list)
    names: dict[str, str] = {}
    problems: list[Problem] = []
    notes: list[str] = []
    # A pool outside the cluster's component (a capacity ladder's) counts with the cluster it names.
    owners = {
        str(engine.to_json(r.inputs).get("cluster")): r.parent for r in plan.by_type(NODE_POOL) if CLUSTER in r.parent
    }
    for reg in plan.by_type(NODE_POOL):
        cluster = engine.to_json(reg.inputs).get("cluster")
        owner = owners.get(str(cluster), reg.parent)
        names.setdefault(owner, cluster if isinstance(cluster, str) else owner.rsplit("::", 1)[-1])
        pool = pool_of(names[owner], reg)
        pools_of[owner].append(pool)
        if pool.machine is None:
            problems.append(
                Problem(
                    pool.cluster,
                    pool.name,
                    (),
                    f"cluster {pool.cluster}: {pool.label}: machine type {pool.machine_type} is not in "
                    "inference/core/facts/machines.py MACHINE_TYPES, so its capacity is unknown; add it "
                    "(docs/capacity.md)",
                )
            )
    providers = {r.urn: r.parent for r in plan.by_type(K8S_PROVIDER)}
    scaled = _autoscaled(plan, regs, providers)
    workloads: dict[str, list[Workload]] = defaultdict(list)
    for reg in plan.registrations:
        workload = workload_of(reg)
        if workload is None:
            continue
        cluster = _cluster_of(reg, regs, providers)
        if (cluster, workload.kind, workload.owner) in scaled:
            # An HPA owns the count: count the most it may scale to.
            workload.count = scaled[(cluster, workload.kind, workload.owner)]
        if cluster in pools_of:
            workloads[cluster].append(workload)
        else:
            notes.append(f"{workload.owner}: not counted, its cluster has no node pool in the plan")
        if workload.pod.missing:
            notes.append(f"{workload.owner}: {workload.pod.missing}, counted as zero")
    for chart in plan.by_type(CHART):
        if not any(_descends(r, chart.urn, regs) for r in plan.registrations):
            notes.append(f"chart {chart.name}: its objects are not in the plan, their pods are not counted")
    clusters = sorted(pools_of, key=lambda c: names[c])
    for cluster in clusters:
        pools_of[cluster].sort(key=lambda p: p.name)
        problems += _pack(names[cluster], [p for p in pools_of[cluster] if p.machine], workloads[cluster])
    system = (*machines.NODE_SYSTEM_PODS, *machines.TPU_NODE_SYSTEM_PODS, *machines.CLUSTER_SYSTEM_PODS)
    notes.append(f"GKE system pods with estimated requests: {', '.join(p.name for p in system if p.estimate)}")
    return Capacity([p for c in clusters for p in pools_of[c]], problems, list(dict.fromkeys(notes)))


def _autoscaled(
    plan: engine.Plan, regs: dict[str, engine.Registration], providers: dict[str, str]
) -> dict[tuple[str, str, str], int]:
    """(cluster, kind, owner) -> maxReplicas of the HorizontalPodAutoscaler that scales it."""
    found = {}
    for reg in plan.by_type(HPA):
        obj = engine.to_json(reg.inputs)
        target, namespace = obj["spec"]["scaleTargetRef"], obj["metadata"].get("namespace", "default")
        owner = f"{target['kind']} {namespace}/{target['name']}"
        found[(_cluster_of(reg, regs, providers), target["kind"], owner)] = int(obj["spec"]["maxReplicas"])
    return found


def check(plan: engine.Plan) -> list[Problem]:
    """Every capacity problem of the plan: [] when every pod fits."""
    return analyse(plan).problems


def _daemons(cluster: str, pools: list[Pool], workloads: list[Workload]) -> list[Problem]:
    """Every node starts with its allocatable less GKE's DaemonSets and the workloads' DaemonSets."""
    problems: list[Problem] = []
    for pool in pools:
        pool.system = add({}, pool.node_system, pool.nodes)
    for w in [w for w in workloads if w.kind == "DaemonSet"]:
        for pool in pools:
            if why_not(w.pod, pool):
                continue
            pool.workloads = add(pool.workloads, w.pod.requests, pool.nodes)
            if fits(w.pod.requests, pool.room):
                pool.node_daemons = add(pool.node_daemons, w.pod.requests)
            else:  # Pending on every node: it takes nothing there
                problems.append(_too_big(cluster, w.owner, w.pod, [pool]))
    return problems


def _pods(workloads: list[Workload]) -> list[Pod]:
    """Every pod the cluster runs besides DaemonSets, GKE's own included, largest first (first-fit decreasing)."""
    pods = [w.pod for w in workloads if w.kind != "DaemonSet" for _ in range(w.count)]
    for s in machines.CLUSTER_SYSTEM_PODS:
        pods += [Pod(f"GKE {s.name}", {"cpu": s.cpu_milli, "memory": s.memory, "pods": 1}, system=True)] * s.replicas
    order = (machines.TPU_RESOURCE, "cpu", "memory")
    return sorted(pods, key=lambda p: tuple(p.requests.get(r, 0) for r in order), reverse=True)


def _unschedulable(cluster: str, pod: Pod, pools: list[Pool]) -> Problem:
    reasons = "; ".join(f"pool {p.name}: {why_not(pod, p)}" for p in pools) or "the cluster has no pool"
    return Problem(cluster, "", (pod.owner,), f"cluster {cluster}: {pod.owner} fits no pool: {reasons}")


def _pack(cluster: str, pools: list[Pool], workloads: list[Workload]) -> list[Problem]:
    if not pools:  # no pool of a known machine type: already a problem
        return []
    problems = _daemons(cluster, pools, workloads)
    nodes = [(pool, pool.room) for pool in pools for _ in range(pool.nodes)]
    free = [room for _, room in nodes]
    unplaced: dict[str, list[Pod]] = defaultdict(list)  # pool name -> pods that fit no node left there
    reported: set[str] = set()
    for pod in _pods(workloads):
        eligible = [pool for pool in pools if not why_not(pod, pool)]
        i = next((i for i, (pool, _) in enumerate(nodes) if pool in eligible and fits(pod.requests, free[i])), None)
        if i is not None:
            free[i] = sub(free[i], pod.requests)
            pool = nodes[i][0]
        elif not eligible:
            if pod.owner not in reported:
                problems.append(_unschedulable(cluster, pod, pools))
                reported.add(pod.owner)
            continue
        elif roomy := [p for p in eligible if fits(pod.requests, p.room)]:
            pool = roomy[0]  # it would fit on an empty node there: the pool is full
            unplaced[pool.name].append(pod)
        else:
            if pod.owner not in reported:
                problems.append(_too_big(cluster, pod.owner, pod, eligible))
                reported.add(pod.owner)
            pool = eligible[0]
        if pod.system:
            pool.system = add(pool.system, pod.requests)
        else:
            pool.workloads = add(pool.workloads, pod.requests)
    problems += [_overflow(cluster, pool, unplaced[pool.name]) for pool in pools if unplaced[pool.name]]
    return problems


def _too_big(cluster: str, owner: str, pod: Pod, pools: list[Pool]) -> Problem:
    where = "; ".join(
        f"a node of {p.label} has {fmt(p.allocatable)} allocatable, GKE system pods request {fmt(p.node_system)}"
        + (f" and DaemonSets {fmt(p.node_daemons)}" if p.node_daemons else "")
        + f" of it, leaving {fmt(p.room)}"
        for p in pools
    )
    return Problem(
        cluster,
        ", ".join(p.name for p in pools),
        (owner,),
        f"cluster {cluster}: {owner} requests {fmt(pod.requests)} per pod, more than any node it may use "
        f"can give: {where}; the pod stays Pending",
    )


def _overflow(cluster: str, pool: Pool, pods: list[Pod]) -> Problem:
    counts = Counter(p.owner for p in pods)
    left = ", ".join(
        f"{n} x {owner} ({fmt(next(p.requests for p in pods if p.owner == owner))})" for owner, n in counts.items()
    )
    capacity = add({}, pool.allocatable, pool.nodes)
    return Problem(
        cluster,
        pool.name,
        tuple(counts),
        f"cluster {cluster}: {pool.label} cannot hold its pods: {left} fit on no node after first-fit-decreasing "
        f"packing; its pods request {fmt(add(pool.workloads, pool.system))} against {fmt(capacity)} allocatable",
    )


# --- output ----------------------------------------------------------------------------------------------


def render(result: Capacity) -> str:
    """The plan's "Capacity per pool" section."""
    lines = ["Capacity per pool (requests against allocatable; GKE system pods per inference/core/facts/machines.py):"]
    rows = [("cluster", "pool", "machine x nodes", "allocatable per node", "workloads", "GKE system", "free")]
    for p in result.pools:
        total = add({}, p.allocatable, p.nodes)
        free = sub(sub(total, p.workloads), p.system)
        keys = ["cpu", "memory", *([machines.TPU_RESOURCE] if machines.TPU_RESOURCE in p.allocatable else [])]
        cells = [
            fmt({k: r.get(k, 0) for k in keys}) if p.machine else "unknown"
            for r in (p.allocatable, p.workloads, p.system, free)
        ]
        rows.append((p.cluster, p.name, f"{p.machine_type} x {p.nodes}", *cells))
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    lines += ["  " + "  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)).rstrip() for r in rows]
    lines += [f"  ! {p}" for p in result.problems]
    lines += [f"  note: {n}" for n in result.notes]
    return "\n".join(lines)


def error(problems: list[Problem]) -> str:
    """One error for `python -m tools.plan`, naming every pool and pod that does not fit."""
    head = f"capacity: the pods of this plan do not fit its node pools ({len(problems)} problem(s)):"
    return "\n  ".join([head, *map(str, problems)])
