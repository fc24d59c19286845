"""Capacity: pods' requests against the allocatable capacity of the pools they land on (tools/capacity.py),
on small hand-made plans and on the real stacks."""

from __future__ import annotations

import pytest

from inference.core.facts import machines
from tests.conftest import plan_of, run
from tools import capacity, engine, pods
from tools import plan as plan_tool

API = {"Deployment": "apps/v1", "StatefulSet": "apps/v1", "DaemonSet": "apps/v1", "Job": "batch/v1", "Pod": "core/v1"}
TPU_SELECTOR = {"cloud.google.com/gke-tpu-accelerator": "tpu-v6e-slice", "cloud.google.com/gke-tpu-topology": "2x2"}
TPU_TOLERATION = {"key": "google.com/tpu", "operator": "Exists", "effect": "NoSchedule"}


def _reg(type_: str, name: str, inputs: dict, parent: str = "", provider: str = "", remote: bool = False):
    return engine.Registration(
        urn=f"urn:pulumi:test::proj::{type_}::{name}",
        type=type_,
        name=name,
        parent=parent,
        custom=not type_.startswith("inference:"),
        remote=remote,
        inputs=inputs,
        outputs={},
        provider=provider,
        dependencies=[],
        property_dependencies={},
        options={},
    )


def pool(name: str, machine_type: str, nodes: int = 1, **node_config) -> dict:
    return {"name": name, "nodeCount": nodes, "nodeConfig": {"machineType": machine_type, **node_config}}


def container(name: str = "main", cpu: str | None = None, memory: str | None = None, **extra) -> dict:
    requests = {k: v for k, v in (("cpu", cpu), ("memory", memory)) if v is not None}
    return {"name": name, "image": "busybox:1", **({"resources": {"requests": requests}} if requests else {}), **extra}


def workload(kind: str, name: str, containers: list[dict], replicas: int = 1, annotations=None, **pod_spec) -> dict:
    meta = {"name": name, "namespace": "apps"}
    pod = {
        "metadata": {"labels": {"app": name}, "annotations": annotations or {}},
        "spec": {**pod_spec, "containers": containers},
    }
    if kind == "Pod":
        return {"apiVersion": "v1", "kind": kind, "metadata": {**meta, **pod["metadata"]}, "spec": pod["spec"]}
    spec = {"template": pod} | ({"replicas": replicas} if kind in ("Deployment", "StatefulSet") else {})
    spec |= {"parallelism": replicas} if kind == "Job" else {}
    return {"apiVersion": API[kind], "kind": kind, "metadata": meta, "spec": spec}


def cluster_plan(pools: list[dict], objects: list[dict], cluster: str = "c1") -> engine.Plan:
    """One InferenceCluster-like component with its node pools and Kubernetes provider as children, and
    the objects on that provider (program objects and chart-rendered ones have the same inputs)."""
    component = _reg("inference:cluster:InferenceCluster", cluster, {})
    provider = _reg("pulumi:providers:kubernetes", f"{cluster}-k8s", {}, parent=component.urn)
    regs = [component, provider]
    regs += [
        _reg(capacity.NODE_POOL, f"{cluster}-{p['name']}", {"cluster": cluster, **p}, component.urn) for p in pools
    ]
    for obj in objects:
        type_ = f"kubernetes:{API[obj['kind']]}:{obj['kind']}"
        regs.append(_reg(type_, f"{cluster}-{obj['metadata']['name']}", obj, provider=f"{provider.urn}::id"))
    return engine.Plan(stack="test", project="proj", registrations=regs, outputs={})


def pool_named(result: capacity.Capacity, name: str) -> capacity.Pool:
    return next(p for p in result.pools if p.name == name)


# --------------------------------------------------------------------------------------- facts and units


def test_quantities():
    assert pods.amount("cpu", "250m") == 250
    assert pods.amount("cpu", "4") == 4000
    assert pods.amount("cpu", 0.5) == 500
    assert pods.amount("cpu", "1e1") == 10000
    assert pods.amount("memory", "8Gi") == 8 * 2**30
    assert pods.amount("memory", "36M") == 36_000_000
    assert pods.amount("google.com/tpu", "4") == 4
    with pytest.raises(ValueError):
        pods.quantity("four")


def test_allocatable_follows_gke_reservations():
    # CPU: 6 % of the first core, 1 % of the second, 0.5 % of cores 3-4, 0.25 % above.
    assert machines.allocatable(machines.MACHINE_TYPES["e2-standard-4"])["cpu"] == 3920
    assert machines.allocatable(machines.MACHINE_TYPES["e2-standard-16"])["cpu"] == 15890
    # Memory: 25 % of the first 4 GiB, 20 % of the next 4, 10 % of the next 8, 6 % up to 128, 2 % above.
    assert machines.kube_reserved_memory_mib(16 * 1024) == pytest.approx(1024 + 819.2 + 819.2)
    assert machines.kube_reserved_memory_mib(256 * 1024) == pytest.approx(
        2662.4 + 0.06 * 112 * 1024 + 0.02 * 128 * 1024
    )
    assert machines.kube_reserved_memory_mib(512) == 255
    e2 = machines.allocatable(machines.MACHINE_TYPES["e2-standard-4"])
    expected = 16384 - machines.kernel_reserved_mib(16384) - 2662.4 - 100
    assert e2["memory"] == int(expected * machines.MI)
    assert 12.5 * machines.GI < e2["memory"] < 13.5 * machines.GI
    # A GKE user reports ~163 GB allocatable on ct6e-standard-1t nodes (docs/capacity.md).
    assert machines.allocatable(machines.MACHINE_TYPES["ct6e-standard-1t"])["memory"] == pytest.approx(
        163 * machines.GI, rel=0.01
    )
    assert machines.allocatable(machines.MACHINE_TYPES["ct6e-standard-4t"])["google.com/tpu"] == 4


def test_every_machine_type_is_sourced_and_has_room():
    for name, machine in machines.MACHINE_TYPES.items():
        assert machine.source.startswith("https://"), name
        room = machines.allocatable(machine)
        assert 0 < room["cpu"] < machine.vcpus * 1000
        assert 0 < room["memory"] < machine.memory_gib * machines.GI
    for pod in (*machines.NODE_SYSTEM_PODS, *machines.TPU_NODE_SYSTEM_PODS, *machines.CLUSTER_SYSTEM_PODS):
        assert pod.source and pod.cpu_milli > 0 and pod.memory > 0, pod.name


# --------------------------------------------------------------------------------------- pod requests


def test_init_containers_count_by_their_peak_not_their_sum():
    spec = {
        "initContainers": [container("migrate", cpu="3", memory="1Gi")],
        "containers": [container("app", cpu="1", memory="2Gi"), container("log", cpu="500m", memory="1Gi")],
    }
    assert pods.effective_requests({}, spec) == {"cpu": 3000, "memory": 3 * 2**30, "pods": 1}


def test_sidecars_add_to_the_containers_and_to_later_init_containers():
    spec = {
        "initContainers": [
            container("proxy", cpu="500m", memory="128Mi", restartPolicy="Always"),
            container("migrate", cpu="2", memory="128Mi"),
        ],
        "containers": [container("app", cpu="1", memory="1Gi")],
    }
    # max(app + proxy, migrate + proxy)
    assert pods.effective_requests({}, spec) == {"cpu": 2500, "memory": 2**30 + 128 * 2**20, "pods": 1}


def test_a_limit_without_a_request_is_the_request():
    tpu = {"name": "vllm", "resources": {"limits": {"google.com/tpu": "4", "memory": "1Gi"}, "requests": {"cpu": "8"}}}
    assert pods.effective_requests({}, {"containers": [tpu]}) == {
        "cpu": 8000,
        "memory": 2**30,
        "google.com/tpu": 4,
        "pods": 1,
    }


def test_gke_fuse_sidecars_follow_the_annotations():
    spec = {"containers": [container(cpu="1", memory="1Gi")]}
    base = {"cpu": 1000, "memory": 2**30, "pods": 1}

    def requests(annotations, volumes=()):
        return pods.effective_requests({"annotations": annotations}, {**spec, "volumes": list(volumes)})

    assert requests({}) == base  # no annotation, no sidecar
    on = {"gke-gcsfuse/volumes": "true"}
    assert requests(on) == {**base, "cpu": 1250, "memory": 2**30 + 256 * 2**20}  # defaults 250m / 256Mi
    # A limit of "0" lifts the limit and keeps the default request (what the program's pods set).
    unlimited = {**on, "gke-gcsfuse/cpu-limit": "0", "gke-gcsfuse/memory-limit": "0"}
    assert requests(unlimited) == requests(on)
    assert requests({**on, "gke-gcsfuse/cpu-limit": "2"})["cpu"] == 3000  # the request follows the limit
    assert requests({**on, "gke-gcsfuse/cpu-request": "0", "gke-gcsfuse/cpu-limit": "0"})["cpu"] == 1000
    prefetch = {
        "name": "w",
        "csi": {"driver": pods.FUSE_DRIVER, "volumeAttributes": {"gcsfuseMetadataPrefetchOnMount": "true"}},
    }
    assert requests(on, [prefetch]) == {**base, "cpu": 1260, "memory": 2**30 + 266 * 2**20}


# --------------------------------------------------------------------------------------- placement and fit


def test_a_pod_that_fits_on_no_node_is_a_problem_naming_pool_pod_and_capacity():
    plan = cluster_plan(
        [pool("system", "e2-standard-4", nodes=3)],
        [workload("Deployment", "epp", [container(cpu="4", memory="8Gi")], replicas=2)],
    )
    [problem] = capacity.check(plan)
    assert (problem.cluster, problem.pool, problem.pods) == ("c1", "system", ("Deployment apps/epp",))
    message = str(problem)
    assert "pool system (e2-standard-4 x 3)" in message and "cpu 4, memory 8Gi" in message
    assert "cpu 3.92" in message and "stays Pending" in message


def test_pods_that_fit_alone_but_not_together_overflow_the_pool():
    three = cluster_plan(
        [pool("system", "e2-standard-16")], [workload("Deployment", "big", [container(cpu="6")], replicas=3)]
    )
    [problem] = capacity.check(three)
    assert (problem.pool, problem.pods) == ("system", ("Deployment apps/big",))
    assert "1 x Deployment apps/big (cpu 6" in str(problem) and "first-fit-decreasing" in str(problem)
    two = cluster_plan(
        [pool("system", "e2-standard-16")], [workload("Deployment", "big", [container(cpu="6")], replicas=2)]
    )
    assert capacity.check(two) == []


def test_fragmentation_is_a_problem_even_when_the_sum_fits():
    # Two e2-standard-8 nodes have ~14 CPUs left in total, but only one 4-CPU pod fits on each.
    plan = cluster_plan(
        [pool("system", "e2-standard-8", nodes=2)], [workload("StatefulSet", "db", [container(cpu="4")], replicas=3)]
    )
    result = capacity.analyse(plan)
    [problem] = result.problems
    assert problem.pods == ("StatefulSet apps/db",)
    system = pool_named(result, "system")
    total = 2 * system.allocatable["cpu"]
    assert system.workloads["cpu"] + system.system["cpu"] < total  # the sum alone would pass


def test_tpu_pods_land_only_on_the_tpu_pool():
    vllm = container("vllm", cpu="8", memory="64Gi")
    vllm["resources"]["limits"] = {"google.com/tpu": "4"}
    pools = [pool("system", "e2-standard-16"), pool("tpu", "ct6e-standard-4t")]
    plan = cluster_plan(pools, [workload("Deployment", "vllm", [vllm], nodeSelector=TPU_SELECTOR)])
    result = capacity.analyse(plan)
    assert result.problems == []
    assert pool_named(result, "tpu").workloads == {"cpu": 8000, "memory": 64 * 2**30, "google.com/tpu": 4, "pods": 1}
    assert pool_named(result, "system").workloads == {}
    # Without a node selector it still cannot go to the system pool (no chips there); a second 4-chip pod
    # has no node left on a one-node slice.
    two = cluster_plan(pools, [workload("Deployment", "vllm", [vllm], replicas=2)])
    [problem] = capacity.check(two)
    assert (problem.pool, problem.pods) == ("tpu", ("Deployment apps/vllm",))


def test_pods_without_a_tpu_toleration_never_land_on_the_tpu_pool():
    pools = [pool("system", "e2-standard-4"), pool("tpu", "ct6e-standard-4t")]
    big = cluster_plan(pools, [workload("Deployment", "cpu-heavy", [container(cpu="10")])])
    [problem] = capacity.check(big)  # plenty of room on the TPU host, but its taint keeps the pod off
    assert problem.pool == "system" and "pool tpu" not in str(problem)
    pinned = cluster_plan(pools, [workload("Deployment", "helper", [container(cpu="1")], nodeSelector=TPU_SELECTOR)])
    [problem] = capacity.check(pinned)
    assert problem.pool == "" and "taint google.com/tpu=present:NoSchedule is not tolerated" in str(problem)
    tolerated = cluster_plan(
        pools,
        [
            workload(
                "Deployment", "helper", [container(cpu="1")], nodeSelector=TPU_SELECTOR, tolerations=[TPU_TOLERATION]
            )
        ],
    )
    assert capacity.check(tolerated) == []


def test_taints_tolerations_and_affinity_of_custom_pools():
    gpu_taint = {"key": "dedicated", "value": "batch", "effect": "NO_SCHEDULE"}
    pools = [pool("batch", "n2-standard-8", taints=[gpu_taint], labels={"team": "batch"})]
    pod = pods.Pod("p", {"cpu": 100})
    [batch] = capacity.analyse(cluster_plan(pools, [])).pools
    assert batch.taints == [{"key": "dedicated", "value": "batch", "effect": "NoSchedule"}]
    assert "taint dedicated=batch:NoSchedule" in capacity.why_not(pod, batch)
    pod.tolerations = [{"key": "dedicated", "operator": "Equal", "value": "other", "effect": "NoSchedule"}]
    assert capacity.why_not(pod, batch)
    pod.tolerations = [{"key": "dedicated", "operator": "Equal", "value": "batch"}]
    assert capacity.why_not(pod, batch) == ""
    pod.tolerations = [{"operator": "Exists"}]
    assert capacity.why_not(pod, batch) == ""
    pod.affinity_terms = [{"matchExpressions": [{"key": "team", "operator": "In", "values": ["web"]}]}]
    assert capacity.why_not(pod, batch) == "required node affinity does not match"
    pod.affinity_terms.append({"matchExpressions": [{"key": "team", "operator": "Exists"}]})
    assert capacity.why_not(pod, batch) == ""
    pod.node_selector = {"cloud.google.com/gke-nodepool": "batch", "node.kubernetes.io/instance-type": "n2-standard-8"}
    assert capacity.why_not(pod, batch) == ""


def test_daemonsets_run_on_every_node_of_every_pool_they_may_use():
    agent = workload("DaemonSet", "agent", [container(cpu="1", memory="1Gi")])
    plan = cluster_plan([pool("system", "e2-standard-4", nodes=3), pool("tpu", "ct6e-standard-1t")], [agent])
    result = capacity.analyse(plan)
    assert result.problems == []
    assert pool_named(result, "system").workloads == {"cpu": 3000, "memory": 3 * 2**30, "pods": 3}
    assert pool_named(result, "tpu").workloads == {}  # the TPU taint keeps it off
    # What the DaemonSet takes on each node is no longer there for the other pods.
    app = workload("Deployment", "app", [container(cpu="2500m")])
    [problem] = capacity.check(cluster_plan([pool("system", "e2-standard-4", nodes=3)], [agent, app]))
    assert problem.pods == ("Deployment apps/app",) and "DaemonSets cpu 1" in str(problem)
    hog = workload("DaemonSet", "hog", [container(cpu="3500m")])
    [problem] = capacity.check(cluster_plan([pool("system", "e2-standard-4")], [hog]))
    assert problem.pods == ("DaemonSet apps/hog",)


def test_jobs_and_bare_pods_count_and_missing_requests_count_as_zero():
    job = workload("Job", "download", [container(cpu="3")], replicas=2)
    bare = workload("Pod", "debug", [container()])
    result = capacity.analyse(cluster_plan([pool("system", "e2-standard-8")], [job, bare]))
    assert pool_named(result, "system").workloads == {"cpu": 6000, "pods": 3}
    assert "Pod apps/debug: container(s) main request nothing, counted as zero" in result.notes


def test_unknown_machine_types_and_unrendered_charts_are_reported():
    plan = cluster_plan([pool("system", "z9-mega-4")], [])
    [problem] = capacity.check(plan)
    assert "z9-mega-4 is not in inference/core/facts/machines.py" in str(problem)
    chart = _reg(capacity.CHART, "pool-chart", {"chart": "x"}, remote=True)
    plan.registrations.append(chart)
    assert (
        "chart pool-chart: its objects are not in the plan, their pods are not counted" in capacity.analyse(plan).notes
    )


# --------------------------------------------------------------------------------------- whole stacks

# dev as first checked in (chart v1.5.0's endpoint picker at cpu 4 on e2-standard-4) is now refused by
# the configuration itself (inference/serving/config.py packs the endpoint picker, the download Job and GKE's system
# pods); what only the plan sees is every other pod: dev on one node with a 2.5-CPU endpoint picker fits
# the configuration's check, but not with the simulators, the metrics adapter and the chart's pods.
CROWDED = "dev on one node with a 2.5-CPU endpoint picker"
CROWDED_OVERRIDES = {
    "systemPool": {"machineType": "e2-standard-4", "nodeCount": 1, "diskSizeGb": 50},
    "inferencePool": {"endpointPicker": {"cpuRequest": "2500m", "memoryRequest": "1Gi", "memoryLimit": "2Gi"}},
}
EXPECTED = {"prod": 0, "dev": 0, CROWDED: 2}  # problems: one per cluster


def stack_plan(case: str) -> engine.Plan:
    return run("dev", overrides=CROWDED_OVERRIDES) if case == CROWDED else plan_of(case)


@pytest.mark.parametrize("case", EXPECTED)
def test_whole_stacks(case):
    plan = stack_plan(case)
    problems = capacity.check(plan)
    assert len(problems) == EXPECTED[case], [str(p) for p in problems]
    for problem in problems:
        assert problem.pool == "system" and "pool system (e2-standard-4 x 1) cannot hold its pods" in str(problem)
        assert "Deployment inference/vllm-gemma" in problem.pods
    result = capacity.analyse(plan)
    assert not [n for n in result.notes if "not counted" in n]  # every chart's pods are in the plan
    assert {p.machine_type for p in result.pools} <= set(machines.MACHINE_TYPES)


def test_plan_prints_capacity_and_fails_on_a_stack_that_cannot_fit(monkeypatch, capsys, tmp_path):
    unsized = stack_plan(CROWDED)
    monkeypatch.setattr(engine, "run", lambda stack, **kwargs: unsized)
    assert plan_tool.main(["dev", "--out", str(tmp_path)]) == 2
    out, err = capsys.readouterr()
    assert "Capacity per pool" in out and "e2-standard-4 x 1" in out
    assert err.count("error: capacity") == 1
    assert "pool system" in err and "Deployment inference/vllm-gemma" in err
