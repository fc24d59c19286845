"""The core's components built from small args, without a stack: what each makes, named and wired from its
args alone (the whole stacks' tests are in tests/stacks/ and beside each component's feature)."""

from __future__ import annotations

from inference.core.apis import ProjectApis, ProjectApisArgs
from inference.core.cluster import InferenceCluster, InferenceClusterArgs, TpuPool
from inference.core.model_store import ModelStore, ModelStoreArgs
from inference.core.network import Network, NetworkArgs, SubnetRanges
from inference.core.node_identity import NODE_ROLES, NodeIdentity, NodeIdentityArgs
from inference.core.weights_download import DownloadTarget, WeightsDownload, WeightsDownloadArgs
from tests.conftest import PLACEHOLDER, components, placeholder

NETWORK = "gcp:compute/network:Network"
SUBNET = "gcp:compute/subnetwork:Subnetwork"


def _ranges(region: str, n: int, *, address: bool = True, nat: bool = False) -> SubnetRanges:
    return SubnetRanges(
        node_subnet=f"n-{region}",
        proxy_subnet=f"p-{region}",
        gateway_address=f"ip-{region}" if address else None,
        node_cidr=f"10.{n}.0.0/24",
        proxy_cidr=f"10.{n + 1}.0.0/23",
        router=f"r-{region}" if nat else None,
        nat=f"nat-{region}" if nat else None,
    )


def test_a_network_of_two_regions_with_nat_and_gateway_addresses():
    args = NetworkArgs(
        project="p",
        network_name="vpc",
        mtu=1460,
        regions={"a-r1": _ranges("a-r1", 10, nat=True), "b-r1": _ranges("b-r1", 20, nat=True)},
        firewall_names={"internal": "fw-i", "health-checks": "fw-h", "proxies": "fw-p"},
        serving_port=9000,
        nat=True,
        proxy_purpose="REGIONAL_MANAGED_PROXY",
    )
    plan = components(lambda: Network("net", args))
    (vpc,) = plan.by_type(NETWORK)
    assert vpc.inputs["name"] == "vpc" and vpc.inputs["mtu"] == 1460 and vpc.inputs["routingMode"] == "GLOBAL"
    proxies = [s for s in plan.by_type(SUBNET) if s.inputs.get("purpose")]
    assert {s.inputs["purpose"] for s in proxies} == {"REGIONAL_MANAGED_PROXY"} and len(proxies) == 2
    routers = {r.inputs["name"] for r in plan.by_type("gcp:compute/router:Router")}
    nats = {r.inputs["name"] for r in plan.by_type("gcp:compute/routerNat:RouterNat")}
    assert routers == {"r-a-r1", "r-b-r1"} and nats == {"nat-a-r1", "nat-b-r1"}  # the names it is given
    addresses = {a.inputs["name"]: a.inputs["addressType"] for a in plan.by_type("gcp:compute/address:Address")}
    assert addresses == {"ip-a-r1": "INTERNAL", "ip-b-r1": "INTERNAL"}
    firewalls = {f.inputs["name"]: f.inputs for f in plan.by_type("gcp:compute/firewall:Firewall")}
    assert firewalls["fw-h"]["allows"] == [{"protocol": "tcp", "ports": ["9000"]}]
    assert firewalls["fw-p"]["sourceRanges"] == ["10.11.0.0/23", "10.21.0.0/23"]
    assert firewalls["fw-i"]["sourceRanges"] == ["10.10.0.0/24", "10.20.0.0/24"]


def test_a_network_without_nat_or_addresses_makes_neither():
    args = NetworkArgs(
        project="p",
        network_name="vpc",
        mtu=8896,
        regions={"a-r1": _ranges("a-r1", 10, address=False)},
        firewall_names={"internal": "i", "health-checks": "h", "proxies": "x"},
        serving_port=8000,
    )
    plan = components(lambda: Network("net", args))
    for kind in ("router:Router", "routerNat:RouterNat", "address:Address"):
        assert plan.by_type(f"gcp:compute/{kind}") == []


def _cluster_args(**changes) -> InferenceClusterArgs:
    base = dict(
        project="p",
        cluster_name="c1",
        zone="z1-a",
        kube_context="ctx",
        network="net-id",
        subnetwork="subnet-id",
        release_channel="REGULAR",
        protect=False,
        min_version=None,
        deletion_protection=False,
        node_service_account="nodes@p.iam.gserviceaccount.com",
        system_machine_type="e2-standard-4",
        system_node_count=1,
        system_disk_size_gb=50,
        tpu=None,
    )
    return InferenceClusterArgs(**(base | changes))


def test_a_cluster_without_an_accelerator_has_the_system_pool_only():
    plan = components(lambda: InferenceCluster("c", _cluster_args()))
    pools = plan.by_type("gcp:container/nodePool:NodePool")
    assert [p.inputs["name"] for p in pools] == ["system"]
    (cluster,) = plan.by_type("gcp:container/cluster:Cluster")
    assert cluster.inputs["releaseChannel"] == {"channel": "REGULAR"} and "privateClusterConfig" not in cluster.inputs
    (provider,) = plan.by_type("pulumi:providers:kubernetes")
    assert provider.inputs["clusterIdentifier"] == "ctx"


def test_a_cluster_with_an_autoscaled_tpu_pool_on_a_reservation_and_private_nodes():
    tpu = TpuPool("ct6e-standard-4t", 1, 3, spot=False, reservation="res-1")
    args = _cluster_args(tpu=tpu, protect=True, private_nodes=True, master_authorized_networks=("203.0.113.0/24",))
    plan = components(lambda: InferenceCluster("c", args))
    tpu_pool = plan.one("gcp:container/nodePool:NodePool", "c-tpu")
    assert tpu_pool.inputs["autoscaling"] == {"minNodeCount": 1, "maxNodeCount": 3}
    assert tpu_pool.inputs["nodeConfig"]["reservationAffinity"]["values"] == ["res-1"]
    assert tpu_pool.options["protect"] is True and "nodeCount" in tpu_pool.options["ignoreChanges"]
    (cluster,) = plan.by_type("gcp:container/cluster:Cluster")
    assert cluster.inputs["privateClusterConfig"]["enablePrivateNodes"] is True
    assert cluster.inputs["masterAuthorizedNetworksConfig"]["cidrBlocks"][0]["cidrBlock"] == "203.0.113.0/24"


def test_a_model_store_of_two_locations_reads_everywhere_and_writes_only_with_a_writer():
    args = ModelStoreArgs(
        project="p",
        bucket_stems={"us": "w-us", "EU": "w-eu"},
        reader_account_id="reader",
        writer_account_id=None,
        workload_pool="p.svc.id.goog",
        namespace="ns",
        reader_ksa=None,
        compilation_cache=False,
        force_destroy=True,
        protect=False,
        retain_on_delete=False,
    )
    plan = components(lambda: ModelStore("s", args))
    buckets = {b.inputs["location"] for b in plan.by_type("gcp:storage/bucket:Bucket")}
    assert buckets == {"US", "EU"}
    roles = [m.inputs["role"] for m in plan.by_type("gcp:storage/bucketIAMMember:BucketIAMMember")]
    assert roles == ["roles/storage.objectViewer"] * 2  # no writer, no cache: read-only
    assert plan.by_type("gcp:serviceaccount/iAMMember:IAMMember") == []  # no KSA may act as the reader


def test_a_node_identity_is_one_account_with_the_nodes_roles_as_members():
    plan = components(lambda: NodeIdentity("n", NodeIdentityArgs(project="p", account_id="nodes")))
    assert sorted(m.inputs["role"] for m in plan.by_type("gcp:projects/iAMMember:IAMMember")) == sorted(NODE_ROLES)
    assert plan.by_type("gcp:projects/iAMBinding:IAMBinding") == []


def test_apis_are_never_disabled_and_agents_follow_their_api():
    args = ProjectApisArgs(
        project="p", services=("a.googleapis.com", "b.googleapis.com"), service_agents=("b.googleapis.com",)
    )
    plan = components(lambda: ProjectApis("apis", args))
    services = plan.by_type("gcp:projects/service:Service")
    assert {s.inputs["service"] for s in services} == {"a.googleapis.com", "b.googleapis.com"}
    assert all(s.inputs["disableOnDestroy"] is False for s in services)
    (agent,) = plan.by_type("gcp:projects/serviceIdentity:ServiceIdentity")
    assert plan.one("gcp:projects/service:Service", "apis-b").urn in agent.dependencies


def test_a_weights_download_of_one_bucket_waits_for_its_grants():
    def build():
        grant = placeholder("grant")
        WeightsDownload(
            "dl",
            WeightsDownloadArgs(
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
                targets={"US": DownloadTarget("job-us", "us-central1", "bucket-us", [grant])},
            ),
        )

    plan = components(build)
    (job,) = plan.by_type("gcp:cloudrunv2/job:Job")
    assert job.inputs["name"] == "job-us" and job.inputs["location"] == "us-central1"
    assert job.options["customTimeouts"] == {"create": "120m", "update": "120m"}  # every retry waited for
    grant = plan.one(PLACEHOLDER, "grant")
    assert grant.urn in job.dependencies
    (version,) = plan.by_type("gcp:secretmanager/secretVersion:SecretVersion")
    assert str(version.inputs["secretData"]) == "[secret]"
