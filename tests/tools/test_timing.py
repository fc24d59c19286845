"""Time-to-serve model and dependency graph: prod's critical path runs through its slow steps one after another,
and the graph is as parallel as the real dependencies allow."""

from __future__ import annotations

import re

import pytest

from tests.conftest import closure
from tools import engine, graph, timing
from tools import plan as plan_tool

README = (engine.ROOT / "README.md").read_text()
TIME_TO_SERVE_DOC = (engine.ROOT / "docs" / "time-to-serve.md").read_text()


def test_prod_critical_path_runs_through_the_slow_steps_one_after_another(prod):
    chain = timing.critical_path(prod)
    assert [link.reg.name for link in chain] == [
        "apis-compute",
        "network-vpc",
        "network-node-europe-west4",
        "network-leftover-sweeper",  # waits for the node subnets, so destroy sweeps before them
        "cluster-europe-west4-gke",
        # The weights are in the bucket by now (a Cloud Run job, tests below): the model waits for its slice.
        "cluster-europe-west4-tpu",
        "model-server-europe-west4-deployment",
        "autoscaling-europe-west4-hpa",  # takes over the replica count once the model serves
    ]
    assert chain[0].start == 0
    finish = timing.finish_times(prod)
    for before, link in zip(chain, chain[1:], strict=False):
        # Each link starts once the one before it is done, and takes its step's typical duration...
        assert link.start == finish[before.reg.name] and link.seconds == timing.seconds_of(link.reg)
        # ...and is on the path because that one is among what it waits for.
        assert before.reg.urn in closure(prod, link.reg.urn)
    assert timing.total_seconds(chain) == chain[-1].start + chain[-1].seconds == max(finish.values())
    # The sweeper takes no time: the cluster starts with it, right after the node subnet.
    assert chain[3].seconds == 0 and chain[4].start == chain[3].start


def test_prod_serves_in_at_most_half_the_walkthroughs_sequential_time(prod):
    assert timing.walkthrough_seconds() == 44 * 60 + 30  # 4 + 12.5 + 4 + 7.5 + 7.5 + 9 min
    assert timing.total_seconds(timing.critical_path(prod)) / timing.walkthrough_seconds() <= 0.5
    assert all(stage.source.startswith(timing.WALKTHROUGH) for stage in timing.WALKTHROUGH_STAGES)


def test_the_plan_prints_the_time_to_serve_the_walkthroughs_sum_and_the_ratio(prod):
    chain = timing.critical_path(prod)
    total, walkthrough = timing.total_seconds(chain), timing.walkthrough_seconds()
    lines = timing.render(chain).splitlines()
    assert (
        lines[0] == f"Time to serve (modelled, empty project to the last resource ready): {timing.minutes(total)} min"
    )
    assert lines[1] == (
        "Walkthrough's stages one after another (midpoints of its stated times): "
        f"{timing.minutes(walkthrough)} min; ratio {total / walkthrough:.2f}"
    )
    assert timing.minutes(90) == "1:30" and timing.minutes(21 * 60 + 5) == "21:05"
    # One line per link: its start, its duration, its step and its name.
    for link, line in zip(chain, lines[3:], strict=True):
        assert line.replace("+", " ").split() == [
            timing.minutes(link.start),
            timing.minutes(link.seconds),
            timing.step_of(link.reg),
            link.reg.name,
        ]


def test_the_weights_download_needs_no_cluster_and_ends_before_the_tpu_slices(prod):
    done = timing.finish_times(prod)
    for region in ("europe-west4", "us-east5"):
        job = prod.one("gcp:cloudrunv2/job:Job", f"weights-download-{region}")
        waits = closure(prod, job.urn)
        assert not [r.name for r in prod.registrations if r.urn in waits and r.type.startswith("gcp:container/")]
        assert done[job.name] < done[f"cluster-{region}-tpu"]


def test_dev_critical_path_ends_at_the_programmed_gateway(dev):
    chain = timing.critical_path(dev)
    assert [link.reg.name for link in chain][-3:] == ["fleet-europe-west4", "fleet-mci", "gateway-gateway"]
    # The simulator needs no TPU slice: nothing after the Gateway, which is the last resource ready.
    assert timing.total_seconds(chain) == max(timing.finish_times(dev).values())
    assert not [link for link in chain if link.reg.type == "gcp:container/nodePool:NodePool"]


def test_prod_is_faster_than_the_walkthroughs_staged_flow(prod):
    """The walkthrough runs §3–§8 one after another: 3+10+3+5+5+8 = 34 min at the low end of its ranges."""
    chain = timing.critical_path(prod)
    assert timing.total_seconds(chain) < 34 * 60


def test_both_regions_are_built_in_parallel(prod):
    done = timing.finish_times(prod)
    for kind in ("gke", "system", "tpu"):
        assert done[f"cluster-europe-west4-{kind}"] == done[f"cluster-us-east5-{kind}"]
    assert done["model-server-europe-west4-deployment"] == done["model-server-us-east5-deployment"]


def test_gateway_programming_overlaps_the_model_load(prod):
    done = timing.finish_times(prod)
    gateway = prod.one("kubernetes:gateway.networking.k8s.io/v1:Gateway", "gateway-gateway")
    gateway_start = done[gateway.name] - timing.seconds_of(gateway)
    assert gateway_start < done["model-server-us-east5-deployment"] - timing.seconds_of(
        prod.one("kubernetes:apps/v1:Deployment", "model-server-us-east5-deployment")
    )
    assert done[gateway.name] < done["model-server-us-east5-deployment"]


@pytest.mark.parametrize(
    "type_,name",
    [
        ("kubernetes:gateway.networking.k8s.io/v1:Gateway", "gateway-gateway"),
        ("kubernetes:core/v1:Namespace", "model-server-us-east5-namespace"),
        ("kubernetes:apiextensions.k8s.io/v1:CustomResourceDefinition", "inference-pool-us-east5-objective-crd"),
        ("gcp:gkehub/feature:Feature", "fleet-mci"),
    ],
)
def test_control_plane_objects_do_not_wait_for_node_pools(prod, type_, name):
    waits = closure(prod, prod.one(type_, name).urn)
    assert not [r.name for r in prod.by_type("gcp:container/nodePool:NodePool") if r.urn in waits]


@pytest.mark.parametrize(
    "type_,name",
    [
        ("kubernetes:helm.sh/v4:Chart", "inference-pool-us-east5-chart"),
        ("kubernetes:monitoring.googleapis.com/v1:PodMonitoring", "model-server-us-east5-monitoring"),
        ("kubernetes:apps/v1:Deployment", "model-server-us-east5-deployment"),
    ],
)
def test_objects_that_run_pods_wait_for_the_system_pool(prod, dev, type_, name):
    for plan in (prod, dev):
        pool = plan.one("gcp:container/nodePool:NodePool", "cluster-us-east5-system")
        assert pool.urn in plan.one(type_, name).dependencies


def test_the_model_waits_only_for_its_own_regions_bucket_and_download(prod):
    """The one cross-region wait: Workload Identity members need the project's identity pool, which
    the config cluster's creation brings into being."""
    waits = closure(prod, prod.one("kubernetes:apps/v1:Deployment", "model-server-europe-west4-deployment").urn)
    us_cluster = prod.one("gcp:container/cluster:Cluster", "cluster-us-east5-gke").urn
    assert {r.urn for r in prod.registrations if r.urn in waits and "us-east5" in r.name} == {
        us_cluster,
        *(u for u in closure(prod, us_cluster) if "us-east5" in u),
    }
    grants = {"weights-europe-west4-read", "weights-reader-workload-identity", "weights-download-europe-west4"}
    assert grants <= {r.name for r in prod.registrations if r.urn in waits}


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_every_resource_has_a_typical_duration(stack, request):
    plan = request.getfixturevalue(stack)
    assert {timing.step_of(r) for r in plan.registrations if r.custom or r.remote} <= set(timing.STEPS)


def test_an_unknown_type_has_no_duration():
    type_ = "gcp:sql/databaseInstance:DatabaseInstance"
    reg = engine.Registration("u", type_, "db", "", True, False, {}, {}, "", [], {}, {})
    with pytest.raises(KeyError, match="no typical duration for gcp:sql/databaseInstance"):
        timing.step_of(reg)


def test_the_sleep_takes_its_own_duration(prod):
    sleep = prod.one("time:index/sleep:Sleep", "fleet-mci-iam-propagation")
    assert sleep.inputs["createDuration"] == "60s" and timing.seconds_of(sleep) == 60
    assert timing._duration("1m30s") == 90 and timing._duration("2h") == 7200


def test_the_tpu_pool_and_the_model_load_are_recognised(prod, dev):
    assert timing.step_of(prod.one("gcp:container/nodePool:NodePool", "cluster-us-east5-tpu")) == "tpu-node-pool"
    assert timing.step_of(prod.one("kubernetes:apps/v1:Deployment", "model-server-us-east5-deployment")) == "model-load"
    assert timing.step_of(dev.one("kubernetes:apps/v1:Deployment", "model-server-us-east5-deployment")) == (
        "workload-rollout"
    )


def test_the_time_to_serve_doc_documents_every_duration_with_its_source():
    section = TIME_TO_SERVE_DOC[TIME_TO_SERVE_DOC.index("## Durations") :]
    rows = dict(re.findall(r"^\| `([a-z-]+)` \| (\d+) s \|", section, re.M))
    assert {k: int(v) for k, v in rows.items()} == {k: s.seconds for k, s in timing.STEPS.items()}


def test_the_doc_states_the_current_figures_and_the_readme_links_it_without_any(prod):
    """The doc's critical path gives prod's modelled time, the walkthrough's sum and the ratio as the model
    computes them; the README's summary carries no figure that goes stale, and links the doc."""
    total = timing.total_seconds(timing.critical_path(prod))
    ratio = f"{total / timing.walkthrough_seconds():.2f}"
    assert f"{timing.minutes(total)} min" in TIME_TO_SERVE_DOC
    assert f"{timing.minutes(timing.walkthrough_seconds())} min" in TIME_TO_SERVE_DOC
    assert f"**{ratio}**" in TIME_TO_SERVE_DOC
    summary = README[README.index("### Time to serve") :].split("\n## ", 1)[0].split("\n### ", 1)[0]
    assert "docs/time-to-serve.md" in summary and timing.minutes(total) not in summary and ratio not in summary


def test_reduce_drops_only_implied_edges():
    assert graph._reduce({"a": {"b", "c"}, "b": {"c"}, "c": set()}) == {"a": {"b"}, "b": {"c"}, "c": set()}
    assert graph._reduce({"a": {"b", "c"}, "b": set(), "c": set()}) == {"a": {"b", "c"}, "b": set(), "c": set()}


def test_graph_has_every_resource_grouped_and_the_critical_path_marked(prod, tmp_path):
    text = plan_tool.write_graph(prod, tmp_path).read_text()
    resources = [r for r in prod.registrations if r.custom or r.remote]
    nodes = re.findall(r'^    (\w+)\["([^<]+)<br/>', text, re.M)
    assert sorted(n for _, n in nodes) == sorted(r.name for r in resources)
    assert text.startswith("flowchart LR\n")
    assert 'subgraph g0["apis (ProjectApis)"]' in text
    assert "  network_vpc --> network_node_europe_west4\n" in text
    assert "  cluster_us_east5_k8s -.-> model_server_us_east5_namespace\n" in text  # via the provider
    assert "  apis_compute --> network_node_europe_west4\n" not in text  # implied by network-vpc
    critical = re.search(r"^  class (\S+) critical$", text, re.M).group(1).split(",")
    assert critical == [re.sub(r"\W", "_", link.reg.name) for link in timing.critical_path(prod)]


def test_the_gateways_chain_bounds_prod_above_four_tenths_of_the_walkthrough(prod):
    """A model that loaded in no time would leave the time to serve at the Gateway's chain (cluster, fleet,
    programming, all at the walkthrough's stated times): 0.40 of the walkthrough needs a shorter Gateway."""
    assert timing.floor_seconds(prod) == timing.total_seconds(timing.critical_path(prod))  # nothing left out
    floor = timing.floor_seconds(prod, "model-load", "weights-download")
    assert floor == timing.finish_times(prod)["gateway-gateway"] < timing.total_seconds(timing.critical_path(prod))
    assert floor / timing.walkthrough_seconds() > 0.40
    assert timing.floor_seconds(prod, "model-load", "gateway-programming") / timing.walkthrough_seconds() <= 0.40
