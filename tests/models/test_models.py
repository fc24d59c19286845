"""Several models behind one Gateway (inference/models/config.py, docs/models.md): the components from small args
(LoRA adapters on both backends, the objects the models of a cluster share, a pool's adapter objectives, the
body router, the download of every repository, the multi-cluster rules), and the checked-in `models` stack."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from types import SimpleNamespace

import pytest

from inference.common.reader import ConfigError
from inference.core import wiring as core_wiring
from inference.core.weights_download import DOWNLOAD_ALL_SCRIPT, DownloadTarget, WeightsDownload, WeightsDownloadArgs
from inference.models import facts
from inference.models.body_router import BodyRouter, BodyRouterArgs
from inference.multi_cluster.gateway import HealthCheckArgs, ModelRoute, MultiClusterGateway, MultiClusterGatewayArgs
from inference.serving.inference_pool import InferencePool
from inference.serving.model_server import LoraAdapter, ModelServer, SharedObjects, TpuServing
from tests import schemas
from tests.conftest import PLACEHOLDER, closure, components, placeholder, plan_of, run
from tests.serving.test_components import DEPLOYMENT, _pool_args, _server_args
from tools.plan import manifest

OBJECTIVE = "kubernetes:inference.networking.x-k8s.io/v1alpha2:InferenceObjective"
ROUTE = "kubernetes:gateway.networking.k8s.io/v1:HTTPRoute"
HPA = "kubernetes:autoscaling/v2:HorizontalPodAutoscaler"
ADAPTERS = [LoraAdapter("sql", "org/sql-lora", "v2"), LoraAdapter("chat", "org/chat-lora", "main")]


def _tpu() -> TpuServing:
    return TpuServing(
        accelerator_label="tpu-v6e-slice",
        topology="2x2",
        chips=4,
        tensor_parallel_size=4,
        bucket="b",
        weights_dir="org/model/main",
        model_revision="main",
        reader_gsa="r@p.iam.gserviceaccount.com",
        tpu_pool=placeholder("slice"),
        weights=placeholder("job"),
        memory_limit="192Gi",
    )


def _args(**changes):
    return _server_args(system_nodes=placeholder(f"nodes-{changes.get('name', 'srv')}"), **changes)


def _pod(plan) -> dict:
    (deployment,) = plan.by_type(DEPLOYMENT)
    return deployment.inputs["spec"]["template"]["spec"]


def test_vllm_loads_every_adapter_from_the_bucket_and_waits_for_each_adapters_marker():
    plan = components(lambda: ModelServer("m", _args(tpu=_tpu(), adapters=ADAPTERS, max_lora_rank=32)))
    pod = _pod(plan)
    (vllm,) = pod["containers"]
    args = vllm["args"]
    assert {"--enable-lora", "--max-loras=2", "--max-lora-rank=32"} <= set(args)
    modules = args[args.index("--lora-modules") + 1 :]
    assert modules == ["sql=/data/weights/org/sql-lora/v2", "chat=/data/weights/org/chat-lora/main"]
    assert {"name": "MODEL_IMPL_TYPE", "value": "vllm"} in vllm["env"]  # the path that serves LoRA on TPU
    waits = {c["name"]: {e["name"]: e["value"] for e in c["env"]} for c in pod["initContainers"]}
    assert waits["wait-for-adapter-0"] == {
        "MARKER": "/data/weights/org/sql-lora/v2/.download-complete",
        "WANTED": "org/sql-lora@v2",
    }
    assert waits["wait-for-adapter-1"]["WANTED"] == "org/chat-lora@main"
    assert waits["wait-for-weights"]["WANTED"] == "org/model@main"


def test_vllm_without_adapters_has_no_lora_flags_nor_waits():
    pod = _pod(components(lambda: ModelServer("m", _args(tpu=_tpu()))))
    (vllm,) = pod["containers"]
    assert not any("lora" in a for a in vllm["args"]) and "MODEL_IMPL_TYPE" not in {e["name"] for e in vllm["env"]}
    assert [c["name"] for c in pod["initContainers"]] == ["wait-for-weights"]


def test_the_simulator_lists_each_adapter_on_its_base_model():
    pod = _pod(components(lambda: ModelServer("m", _args(adapters=ADAPTERS))))
    (sim,) = pod["containers"]
    args = sim["args"]
    assert args[args.index("--max-loras") + 1] == "2"
    modules = [json.loads(m) for m in args[args.index("--lora-modules") + 1 :]]
    assert modules[0] == {"name": "sql", "path": "org/sql-lora", "base_model_name": "model"}
    assert [m["name"] for m in modules] == ["sql", "chat"]


def test_a_second_model_in_a_cluster_reuses_the_identity_and_claim_template_of_the_first():
    def build():
        first = ModelServer("a", _args(tpu=_tpu()))
        ModelServer(
            "b",
            _args(
                tpu=_tpu(),
                name="srv-b",
                create_namespace=False,
                shares=SharedObjects(first.service_account, first.claim_template),
            ),
        )

    plan = components(build)
    (account,) = plan.by_type("kubernetes:core/v1:ServiceAccount")
    (claim,) = plan.by_type("kubernetes:resource.k8s.io/v1:ResourceClaimTemplate")
    assert account.name == "a-ksa" and claim.name == "a-all-netdev"
    second = plan.one(DEPLOYMENT, "b-deployment")
    assert {account.urn, claim.urn} <= set(second.dependencies)


def test_a_second_pool_uses_the_clusters_objective_crd_and_adds_its_adapters_objectives():
    def build():
        first = InferencePool("p1", _pool_args())
        InferencePool(
            "p2",
            _pool_args(pool_name="pool-b", objective_name="obj-b", objective_crd=first.objective_crd,
                       adapter_objectives={"sql": 3}),
        )  # fmt: skip

    plan = components(build)
    (crd,) = plan.by_type("kubernetes:apiextensions.k8s.io/v1:CustomResourceDefinition")
    objectives = {o.name: o for o in plan.by_type(OBJECTIVE)}
    assert set(objectives) == {"p1-objective", "p2-objective", "p2-objective-sql"}  # the pool's own keeps its name
    sql = objectives["p2-objective-sql"]
    assert sql.inputs["spec"] == {"priority": 3, "poolRef": {"name": "pool-b", "group": "inference.networking.k8s.io"}}
    assert crd.urn in sql.dependencies and crd.urn in objectives["p2-objective"].dependencies


def test_the_body_router_is_the_vendored_chart_on_the_gateway():
    plan = components(
        lambda: BodyRouter("br", BodyRouterArgs(namespace="ns", gateway_name="gw", nodes=[placeholder("nodes")]))
    )
    (chart,) = plan.by_type("kubernetes:helm.sh/v4:Chart")
    assert chart.inputs["chart"] == "./components/charts/body-based-routing-v1.5.0"
    assert chart.inputs["values"] == {
        "provider": {"name": "gke"},
        "inferenceGateway": {"name": "gw"},
        "bbr": {"replicas": 2},
    }
    assert chart.inputs["postRenderer"]["args"][0] == "inference/common/post_render.py"
    assert plan.one(PLACEHOLDER, "nodes").urn in chart.dependencies


def _download(**more) -> WeightsDownloadArgs:
    return WeightsDownloadArgs(
        project="p",
        secret_id="tok",
        hf_token="secret-token",
        writer_email="w@p.iam.gserviceaccount.com",
        writer_member="serviceAccount:w@p.iam.gserviceaccount.com",
        model_id="org/model",
        revision="main",
        attempt=0,
        image="vllm/vllm-tpu:v0.12.0",
        timeout_minutes=30,
        targets={"US": DownloadTarget("job-us", "us-central1", "bucket-us", [])},
        **more,
    )


def _env(plan) -> tuple[list[str], dict[str, str]]:
    (job,) = plan.by_type("gcp:cloudrunv2/job:Job")
    (container,) = job.inputs["template"]["template"]["containers"]
    return container["commands"], {e["name"]: e["value"] for e in container["envs"]}


def test_the_download_fetches_every_model_and_adapter_each_into_its_revision():
    commands, env = _env(components(lambda: WeightsDownload("d", _download(more=[("org/sql-lora", "v2")]))))
    assert commands[-1] == DOWNLOAD_ALL_SCRIPT
    assert json.loads(env["DOWNLOADS"]) == [["org/model", "main"], ["org/sql-lora", "v2"]]
    assert env["WEIGHTS_ROOT"] == "/mnt/weights" and "MODEL_ID" not in env
    # the same marker, in each repository's own revision directory, as the servers wait for
    assert "target = root / model / revision" in DOWNLOAD_ALL_SCRIPT and ".download-complete" in DOWNLOAD_ALL_SCRIPT


def test_a_failed_repository_does_not_stop_the_others_and_fails_the_job(tmp_path):
    """The list's script itself, against a stand-in huggingface_hub: the gated repository fails, the others land."""
    (tmp_path / "huggingface_hub.py").write_text(
        "import pathlib\n"
        "def snapshot_download(repo_id, revision, local_dir, **kw):\n"
        "    if repo_id == 'org/gated': raise PermissionError('403')\n"
        "    pathlib.Path(local_dir).mkdir(parents=True, exist_ok=True)\n"
    )
    (tmp_path / "token").write_text("t")
    downloads = [["org/model", "main"], ["org/gated", "main"], ["org/sql-lora", "v2"]]
    env = {"WEIGHTS_ROOT": str(tmp_path / "w"), "HF_TOKEN_FILE": str(tmp_path / "token"), "PARALLEL_FILES": "4"}
    env |= {"DOWNLOADS": json.dumps(downloads), "PYTHONPATH": str(tmp_path), "PATH": os.environ["PATH"]}
    done = subprocess.run([sys.executable, "-c", DOWNLOAD_ALL_SCRIPT], env=env, capture_output=True, text=True)
    assert done.returncode == 1 and "not downloaded: org/gated@main" in done.stderr
    marked = sorted(str(m.relative_to(tmp_path / "w")) for m in (tmp_path / "w").rglob(".download-complete"))
    assert marked == ["org/model/main/.download-complete", "org/sql-lora/v2/.download-complete"]


def _served(model: str, revision: str, adapter: str, adapter_revision: str) -> SimpleNamespace:
    lora = SimpleNamespace(source=adapter, revision=adapter_revision)
    return SimpleNamespace(model=SimpleNamespace(id=model, revision=revision), adapters=[lora])


def test_the_list_goes_model_by_model_each_with_its_adapters():
    cfg = SimpleNamespace(served_models=[_served("a", "1", "a-lora", "2"), _served("b", "3", "b-lora", "4")])
    assert core_wiring._more_downloads(cfg) == [("a-lora", "2"), ("b", "3"), ("b-lora", "4")]


def test_the_download_of_one_model_keeps_its_script_and_variables():
    commands, env = _env(components(lambda: WeightsDownload("d", _download())))
    assert commands[-1] != DOWNLOAD_ALL_SCRIPT and env["MODEL_ID"] == "org/model" and "DOWNLOADS" not in env


def multi_cluster_routes(routes: list[ModelRoute]):
    """The multi-cluster Gateway's components, from small args, with these model routes."""

    def build():
        MultiClusterGateway(
            "g",
            MultiClusterGatewayArgs(
                namespace="ns",
                gateway_name="gw",
                route_name="rt",
                pool_name="pool",
                serving_port=9000,
                addresses={"a-r1": "ip-a"},
                health_check=HealthCheckArgs(4, 3, 2, 3),
                metric_export_name="kv",
                max_utilization_percent=70,
                dry_run=False,
                timeout_sec=30,
                programmed_timeout_minutes=15,
                access_log_sample_rate=None,
                exports=[placeholder("export")],
                model_routes=routes,
            ),
        )

    return components(build)


def test_the_multi_cluster_route_has_a_rule_per_model_and_every_imported_pool_its_policies():
    routes = [
        ModelRoute(facts.MODEL_HEADER, ["gemma", "sql"], "pool", "kv"),
        ModelRoute(facts.MODEL_HEADER, ["llama"], "pool-llama", "kv-llama"),
    ]
    plan = multi_cluster_routes(routes)
    (route,) = plan.by_type(ROUTE)
    rules = route.inputs["spec"]["rules"]
    assert [[m["headers"][0]["value"] for m in r["matches"]] for r in rules] == [["gemma", "sql"], ["llama"]]
    assert {m["headers"][0]["name"] for r in rules for m in r["matches"]} == {"X-Gateway-Model-Name"}
    assert [r["backendRefs"][0]["name"] for r in rules] == ["pool", "pool-llama"]
    policies = plan.by_type("kubernetes:networking.gke.io/v1:GCPBackendPolicy")
    targets = {p.inputs["spec"]["targetRef"]["name"]: p.inputs["spec"] for p in policies}
    assert set(targets) == {"pool", "pool-llama"}
    assert targets["pool-llama"]["default"]["customMetrics"][0]["name"] == "gke.named_metrics.kv-llama"
    checks = plan.by_type("kubernetes:networking.gke.io/v1:HealthCheckPolicy")
    assert {c.inputs["metadata"]["name"] for c in checks} == {"pool-health-check", "pool-llama-health-check"}


# The checked-in stack: two models on the simulator, the first with an adapter, body-based routing.
@pytest.fixture(scope="module")
def models():
    return plan_of("models")


def _k8s(plan, kind: str) -> list:
    return [r for r in plan.registrations if r.type.startswith("kubernetes:") and r.type.endswith(f":{kind}")]


def test_the_route_sends_each_model_and_adapter_to_its_pool(models):
    (route,) = [r for r in models.by_type(ROUTE) if r.name == "gateway-route"]
    rules = {
        r["backendRefs"][0]["name"]: [m["headers"][0]["value"] for m in r["matches"]]
        for r in route.inputs["spec"]["rules"]
    }
    assert rules == {"gemma-pool": ["gemma-3-27b", "gemma-sql"], "gemma-pool-llama": ["llama-3.1-8b"]}
    header = {h["name"] for r in route.inputs["spec"]["rules"] for m in r["matches"] for h in m["headers"]}
    assert header == {facts.MODEL_HEADER}


def test_the_route_waits_for_every_pool_every_objective_and_the_body_router(models):
    (route,) = [r for r in models.by_type(ROUTE) if r.name == "gateway-route"]
    waits = closure(models, route.urn)
    charts = {c.name: c.urn for c in models.by_type("kubernetes:helm.sh/v4:Chart")}
    assert {"inference-pool-us-central1-chart", "inference-pool-llama-us-central1-chart", "body-router-chart"} <= set(
        charts
    )
    assert set(charts.values()) <= waits
    objectives = {o.inputs["metadata"]["name"]: o.urn for o in models.by_type(OBJECTIVE)}
    assert set(objectives) == {"gemma-objective", "gemma-sql", "gemma-objective-llama"}
    assert set(objectives.values()) <= waits


def test_body_based_routing_attaches_to_the_gateway_on_a_class_that_supports_it(models):
    requests = models.outputs["modelTestRequests"]
    assert set(requests) == {"gemma-3-27b", "gemma-sql", "llama-3.1-8b"}
    assert all("X-Gateway-Model-Name" not in r for r in requests.values())  # the body router sets it
    assert all("X-Gateway-Model-Name" not in r for r in models.outputs["testRequests"].values())
    # Each request picks its own objective, one that exists on the pool the model reaches.
    pools = {o.inputs["metadata"]["name"]: o.inputs["spec"]["poolRef"]["name"] for o in models.by_type(OBJECTIVE)}
    for name, request in requests.items():
        (objective,) = re.findall(rf"-H '{facts.OBJECTIVE_HEADER}: ([^']+)'", request)
        assert pools[objective] == models.outputs["models"][name]
    assert re.search(rf"-H '{facts.OBJECTIVE_HEADER}: gemma-sql'", requests["gemma-sql"])
    (extension,) = _k8s(models, "GCPRoutingExtension")
    assert extension.inputs["spec"]["targetRefs"][0]["name"] == "inference-gateway"
    (gateway,) = _k8s(models, "Gateway")
    assert gateway.inputs["spec"]["gatewayClassName"] in facts.ROUTING_EXTENSION_CLASSES


def test_each_model_has_its_servers_pool_hpa_and_dashboard_tiles(models):
    deployments = {d.inputs["metadata"]["name"] for d in models.by_type(DEPLOYMENT) if d.name.startswith("model-")}
    assert deployments == {"vllm-gemma", "vllm-gemma-llama"}
    hpas = {h.inputs["metadata"]["name"]: h.inputs["spec"]["scaleTargetRef"]["name"] for h in models.by_type(HPA)}
    assert hpas == {"gemma-pool": "vllm-gemma", "gemma-pool-llama": "vllm-gemma-llama"}
    (dashboard,) = models.by_type("gcp:monitoring/dashboard:Dashboard")
    titles = [t["widget"]["title"] for t in json.loads(dashboard.inputs["dashboardJson"])["mosaicLayout"]["tiles"]]
    assert any(t.endswith("pool gemma-pool-llama") for t in titles) and "Requests per second, by model" in titles
    # one Namespace and one serving identity per cluster, whatever the number of models
    assert len(_k8s(models, "Namespace")) == 1 + 1  # the serving namespace and the metrics adapter's
    accounts = [a.inputs["metadata"]["name"] for a in models.by_type("kubernetes:core/v1:ServiceAccount")]
    assert accounts.count("gemma-ksa") == 1


def test_one_model_in_the_list_plans_exactly_what_the_model_key_plans(dev):
    """The first model keeps today's names: a one-entry list is the same stack, resource for resource."""
    listed = run("dev", overrides={"model": None, "models": [{"id": "google/gemma-3-27b-it"}]})
    assert {r.urn: repr(r.inputs) for r in listed.registrations} == {r.urn: repr(r.inputs) for r in dev.registrations}


def test_the_models_stacks_custom_resources_fit_their_crds(models):
    folders = {
        "InferenceObjective": "gateway-api-inference-extension-v1.5.0",
        "InferencePool": "gateway-api-inference-extension-v1.5.0",
        "HTTPRoute": "gateway-api-v1.4.0",
        "HealthCheckPolicy": "gke-gateway-api",
        "GCPBackendPolicy": "gke-gateway-api",
        "GCPRoutingExtension": "gke-gateway-api",
    }
    checked = []
    for reg in models.registrations:
        obj = manifest(reg) if reg.type.startswith("kubernetes:") and reg.custom else None
        if obj and obj.get("kind") in folders:
            schemas.validate_custom(obj, folders[obj["kind"]], patch=reg.type.endswith("Patch"))
            checked.append(obj["kind"])
    assert set(checked) == set(folders) and checked.count("InferencePool") == 2


def test_on_the_multi_cluster_gateway_the_client_header_routes_to_pools_exported_from_every_cluster():
    two = [{"id": "google/gemma-3-27b-it", "servedName": "gemma"}, {"name": "llama", "id": "meta-llama/Llama-3.1-8B"}]
    plan = run("dev", overrides={"model": None, "models": two})
    (route,) = plan.by_type(ROUTE)
    rules = {r["backendRefs"][0]["name"]: r for r in route.inputs["spec"]["rules"]}
    assert {n: [m["headers"][0]["value"] for m in r["matches"]] for n, r in rules.items()} == {
        "gemma-pool": ["gemma"],
        "gemma-pool-llama": ["meta-llama/Llama-3.1-8B"],
    }
    assert all(r["backendRefs"][0]["kind"] == "GCPInferencePoolImport" for r in rules.values())
    assert _k8s(plan, "GCPRoutingExtension") == []  # nothing reads the body: the client sets the header
    exports = plan.by_type("kubernetes:inference.networking.k8s.io/v1:InferencePoolPatch")
    assert sorted(e.inputs["metadata"]["name"] for e in exports) == ["gemma-pool"] * 2 + ["gemma-pool-llama"] * 2
    assert {e.urn for e in exports} <= closure(plan, route.urn)
    requests = plan.outputs["modelTestRequests"]
    assert set(requests) == {"gemma", "meta-llama/Llama-3.1-8B"}
    assert "-H 'X-Gateway-Model-Name: gemma'" in requests["gemma"] and '"model": "gemma"' in requests["gemma"]
    assert f"-H '{facts.OBJECTIVE_HEADER}: gemma-objective-llama'" in requests["meta-llama/Llama-3.1-8B"]
    # Each region's test request names the first model, in the body and in the header the route matches.
    assert set(plan.outputs["testRequests"]) == {"europe-west4", "us-east5"}
    for request in plan.outputs["testRequests"].values():
        assert "-H 'X-Gateway-Model-Name: gemma'" in request and '"model": "gemma"' in request


def test_on_a_single_cluster_gateway_with_header_routing_every_test_request_sends_the_model_header():
    plan = run("models", overrides={"modelRouting": "header"})
    assert _k8s(plan, "GCPRoutingExtension") == []
    ((region, request),) = plan.outputs["testRequests"].items()
    assert region == "us-central1" and "-H 'X-Gateway-Model-Name: gemma-3-27b'" in request
    assert '"model": "gemma-3-27b"' in request
    for name, request in plan.outputs["modelTestRequests"].items():
        assert f"-H 'X-Gateway-Model-Name: {name}'" in request


def _router(plan) -> dict:
    (router,) = [d for d in plan.by_type(DEPLOYMENT) if "BodyRouter" in d.urn]
    return router.inputs


def test_the_body_router_runs_two_hardened_replicas_spread_over_nodes_and_zones(models):
    router = _router(models)
    assert router["spec"]["replicas"] == 2
    pod = router["spec"]["template"]["spec"]
    assert pod["securityContext"]["runAsNonRoot"] is True
    assert pod["securityContext"]["seccompProfile"] == {"type": "RuntimeDefault"}
    spread = {c["topologyKey"]: c for c in pod["topologySpreadConstraints"]}
    assert set(spread) == {"kubernetes.io/hostname", "topology.kubernetes.io/zone"}
    assert all(c["labelSelector"] == {"matchLabels": {"app": "body-based-router"}} for c in spread.values())
    assert router["spec"]["selector"]["matchLabels"] == {"app": "body-based-router"}  # what the spread counts


def test_the_body_router_container_has_resources_probes_and_a_restricted_context(models):
    (bbr,) = _router(models)["spec"]["template"]["spec"]["containers"]
    assert bbr["resources"]["requests"] == {"cpu": "250m", "memory": "256Mi"}
    assert bbr["resources"]["limits"] == {"memory": "1Gi"}
    health = {p["containerPort"] for p in bbr["ports"]} - {facts.BODY_ROUTER_PORT}
    assert {bbr["readinessProbe"]["grpc"]["port"], bbr["livenessProbe"]["grpc"]["port"]} == health
    assert bbr["securityContext"] == {
        "allowPrivilegeEscalation": False,
        "capabilities": {"drop": ["ALL"]},
        "readOnlyRootFilesystem": True,
    }


def test_the_body_router_keeps_one_replica_through_a_drain_and_admits_only_the_gateway(models):
    (budget,) = [b for b in models.by_type("kubernetes:policy/v1:PodDisruptionBudget") if "BodyRouter" in b.urn]
    assert budget.inputs["spec"]["maxUnavailable"] == 1 < _router(models)["spec"]["replicas"]
    assert budget.inputs["spec"]["selector"] == {"matchLabels": {"app": "body-based-router"}}
    (policy,) = [p for p in models.by_type("kubernetes:networking.k8s.io/v1:NetworkPolicy") if "BodyRouter" in p.urn]
    (rule,) = policy.inputs["spec"]["ingress"]
    assert {p["port"] for p in rule["ports"]} == {facts.BODY_ROUTER_PORT, facts.BODY_ROUTER_HEALTH_PORT}
    (pickers,) = [
        p for p in _k8s(models, "NetworkPolicy") if p.inputs["metadata"]["name"] == "endpoint-pickers-ingress"
    ]
    assert rule["from"] == pickers.inputs["spec"]["ingress"][0]["from"]  # the same callers: proxies, health checks
    (service,) = [s for s in _k8s(models, "Service") if "BodyRouter" in s.urn]
    assert {p["targetPort"] for p in service.inputs["spec"]["ports"]} <= {p["port"] for p in rule["ports"]}


def test_adapters_on_tpu_wait_for_an_image_whose_worker_loads_them():
    """The pinned vllm-tpu refuses them (the table in tests/configuration); an image of the stack's own serves them."""
    one = {"id": "google/gemma-3-27b-it", "servedName": "gemma-3-27b"}
    stack = {"model": None, "models": [{**one, "adapters": [{"name": "sql", "source": "org/sql-lora"}]}]}
    image = "us-docker.pkg.dev/p/serving/vllm-tpu:with-server-lora"
    plan = run("prod", overrides={**stack, "modelServer": {"image": image}})
    servers = [d for d in plan.by_type(DEPLOYMENT) if d.name.startswith("model-")]
    assert servers
    for server in servers:
        (vllm,) = server.inputs["spec"]["template"]["spec"]["containers"]
        assert vllm["image"] == image and "--enable-lora" in vllm["args"]


@pytest.mark.parametrize("image", ["docker.io/vllm/vllm-tpu:v0.12.0", "vllm/vllm-tpu:v0.12.0@sha256:" + "0" * 64])
def test_the_pinned_image_is_refused_adapters_however_it_is_written(image):
    stack = {"model": None, "models": [{"id": "google/gemma-3-27b-it", "adapters": [{"name": "a", "source": "o/a"}]}]}
    with pytest.raises(ConfigError) as err:
        run("prod", overrides={**stack, "modelServer": {"image": image}})
    (problem,) = err.value.problems
    assert problem.key == "models[0].adapters" and "tpu-inference 0.12.0" in problem.why
