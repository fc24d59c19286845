"""The offline providers: computed outputs per resource type, shaped like the real providers' (ids, emails,
self links, cluster endpoint and CA), so that every downstream input is exercised with realistic values."""

from __future__ import annotations

import base64
import hashlib
import ipaddress
from collections.abc import Callable

from tools import kube_api


def _digits(seed: str, n: int) -> str:
    return str(int(hashlib.sha256(seed.encode()).hexdigest(), 16))[:n]


def _hex(seed: str, n: int) -> str:
    return hashlib.sha256(seed.encode()).hexdigest()[:n]


class PlatformMocks:
    """Computed outputs per resource type, shaped like the real providers' (ids, emails, links)."""

    def __init__(self, project: str):
        self.project = project
        self.number = _digits(project, 12)
        self.subnets: dict[str, str] = {}  # subnet id -> CIDR, to hand out addresses inside it

    def call(self, args):
        raise RuntimeError(
            f"the program called provider function {args.token}: the offline plan answers none, "
            "so resolve the value from config or a resource output instead"
        )

    def new_resource(self, args) -> tuple[str, dict]:
        inputs = dict(args.inputs)
        handler: Callable[[dict, str], dict] | None = _OUTPUTS.get(args.typ)
        if handler is None:
            if args.typ.startswith("kubernetes:") or not args.custom:
                handler = kubernetes_object
            else:
                raise RuntimeError(f"no offline outputs for resource type {args.typ}; add them to tools/engine.py")
        if args.typ.startswith("kubernetes:") and args.custom and "kind" in inputs:
            kube_api.check(inputs, f"{inputs['kind']} {args.name}")
        computed = handler(self, inputs, args.name)
        state = {**inputs, **computed}
        return state.get("id") or f"{args.name}-id", state


def _link(path: str) -> str:
    return f"https://www.googleapis.com/compute/v1/{path}"


def _network(m: PlatformMocks, i: dict, name: str) -> dict:
    path = f"projects/{m.project}/global/networks/{i['name']}"
    return {"id": path, "selfLink": _link(path), "numericId": _digits(path, 19)}


def _subnetwork(m: PlatformMocks, i: dict, name: str) -> dict:
    path = f"projects/{m.project}/regions/{i['region']}/subnetworks/{i['name']}"
    m.subnets[path] = i["ipCidrRange"]
    gateway = str(next(ipaddress.IPv4Network(i["ipCidrRange"]).hosts()))
    return {"id": path, "selfLink": _link(path), "gatewayAddress": gateway, "subnetworkId": int(_digits(path, 15))}


def _address(m: PlatformMocks, i: dict, name: str) -> dict:
    path = f"projects/{m.project}/regions/{i['region']}/addresses/{i['name']}"
    net = ipaddress.IPv4Network(m.subnets[i["subnetwork"]])
    # GCP reserves a subnet's first two and last two addresses (https://cloud.google.com/vpc/docs/subnets#unusable-ip-addresses-in-every-subnet).
    offset = 2 + int(_digits(path, 6)) % (net.num_addresses - 4)
    return {"id": path, "selfLink": _link(path), "address": str(net.network_address + offset)}


def _firewall(m: PlatformMocks, i: dict, name: str) -> dict:
    path = f"projects/{m.project}/global/firewalls/{i['name']}"
    return {"id": path, "selfLink": _link(path)}


def _router(m: PlatformMocks, i: dict, name: str) -> dict:
    path = f"projects/{m.project}/regions/{i['region']}/routers/{i['name']}"
    return {"id": path, "selfLink": _link(path)}


def _router_nat(m: PlatformMocks, i: dict, name: str) -> dict:
    return {"id": f"{m.project}/{i['region']}/{i['router']}/{i['name']}"}


def _bucket(m: PlatformMocks, i: dict, name: str) -> dict:
    return {
        "id": i["name"],
        "url": f"gs://{i['name']}",
        "selfLink": f"https://www.googleapis.com/storage/v1/b/{i['name']}",
    }


def _random_id(m: PlatformMocks, i: dict, name: str) -> dict:
    raw = hashlib.sha256(f"{m.project}/{name}".encode()).digest()[: int(i["byteLength"])]
    b64url = base64.urlsafe_b64encode(raw).decode().rstrip("=")
    return {
        "id": b64url,
        "hex": raw.hex(),
        "b64Url": b64url,
        "b64Std": base64.b64encode(raw).decode(),
        "dec": str(int.from_bytes(raw, "big")),
    }


def _service_account(m: PlatformMocks, i: dict, name: str) -> dict:
    email = f"{i['accountId']}@{m.project}.iam.gserviceaccount.com"
    path = f"projects/{m.project}/serviceAccounts/{email}"
    return {
        "id": path,
        "name": path,
        "email": email,
        "member": f"serviceAccount:{email}",
        "uniqueId": _digits(email, 21),
    }


def _iam_member(m: PlatformMocks, i: dict, name: str) -> dict:
    scope = i.get("project") or i.get("bucket") or i.get("serviceAccountId") or i.get("cryptoKeyId")
    return {"id": f"{scope}/{i['role']}/{i['member']}", "etag": "BwY" + _hex(name, 9)}


def _cluster(m: PlatformMocks, i: dict, name: str) -> dict:
    path = f"projects/{m.project}/locations/{i['location']}/clusters/{i['name']}"
    endpoint = str(ipaddress.IPv4Address("34.0.0.0") + int(_digits(path, 8)) % (1 << 22))
    ca = base64.b64encode(
        f"-----BEGIN CERTIFICATE-----\nMIIE{_hex(path, 60)}\n-----END CERTIFICATE-----\n".encode()
    ).decode()
    return {
        "id": path,
        "selfLink": f"https://container.googleapis.com/v1/{path}",
        "endpoint": endpoint,
        "masterAuth": {"clusterCaCertificate": ca, "clientCertificateConfig": {"issueClientCertificate": False}},
        "masterVersion": "1.35.2-gke.1842000",
        "labelFingerprint": _hex(path, 8),
        **_dns_endpoint(i, path),
    }


def _dns_endpoint(i: dict, path: str) -> dict:
    """GKE names a cluster's DNS-based endpoint `gke-<hash>-<project number>.<region>.gke.goog`."""
    dns = (i.get("controlPlaneEndpointsConfig") or {}).get("dnsEndpointConfig")
    if not dns:
        return {}
    region = i["location"].rsplit("-", 1)[0] if i["location"].count("-") == 2 else i["location"]
    endpoint = f"gke-{_hex(path, 32)}-{_digits(path, 12)}.{region}.gke.goog"
    return {
        "controlPlaneEndpointsConfig": {
            **i["controlPlaneEndpointsConfig"],
            "dnsEndpointConfig": {**dns, "endpoint": endpoint},
        }
    }


def _node_pool(m: PlatformMocks, i: dict, name: str) -> dict:
    path = f"projects/{m.project}/locations/{i['location']}/clusters/{i['cluster']}/nodePools/{i['name']}"
    return {"id": path, "version": "1.35.2-gke.1842000", "instanceGroupUrls": [_link(f"{path}/instanceGroup")]}


def _membership(m: PlatformMocks, i: dict, name: str) -> dict:
    path = f"projects/{m.project}/locations/{i.get('location', 'global')}/memberships/{i['membershipId']}"
    return {"id": path, "name": path}


def _feature(m: PlatformMocks, i: dict, name: str) -> dict:
    return {"id": f"projects/{m.project}/locations/{i['location']}/features/{i['name']}"}


def _service_identity(m: PlatformMocks, i: dict, name: str) -> dict:
    agent = {
        "multiclusteringress.googleapis.com": "gcp-sa-multiclusteringress",
        "container.googleapis.com": "container-engine-robot",
    }.get(i["service"], "gcp-sa-" + i["service"].split(".")[0])
    email = f"service-{m.number}@{agent}.iam.gserviceaccount.com"
    return {"id": f"projects/{m.project}/services/{i['service']}", "email": email, "member": f"serviceAccount:{email}"}


def _project_service(m: PlatformMocks, i: dict, name: str) -> dict:
    return {"id": f"{m.project}/{i['service']}"}


def _alert_policy(m: PlatformMocks, i: dict, name: str) -> dict:
    path = f"projects/{m.project}/alertPolicies/{_digits(name, 19)}"
    return {"id": path, "name": path}


def _log_metric(m: PlatformMocks, i: dict, name: str) -> dict:
    return {"id": i["name"]}


def _dashboard(m: PlatformMocks, i: dict, name: str) -> dict:
    return {"id": f"projects/{m.number}/dashboards/{_hex(name, 8)}-{_hex(name + '/', 4)}"}


def _model_armor_template(m: PlatformMocks, i: dict, name: str) -> dict:
    path = f"projects/{m.project}/locations/{i['location']}/templates/{i['templateId']}"
    return {"id": path, "name": path}


def _apigee_organization(m: PlatformMocks, i: dict, name: str) -> dict:
    return {"id": f"organizations/{i['projectId']}", "name": i["projectId"], "subscriptionType": "PAID"}


def _apigee_instance(m: PlatformMocks, i: dict, name: str) -> dict:
    region = i["location"]
    return {
        "id": f"{i['orgId']}/instances/{i['name']}",
        "host": "10.0.0.2",
        "port": "443",
        "serviceAttachment": f"projects/{_hex(name, 8)}-tp/regions/{region}/serviceAttachments/apigee-{region}",
    }


def _apigee_child(kind: str) -> Callable[[PlatformMocks, dict, str], dict]:
    """Environments and environment groups: `{org}/{kind}/{name}`, the provider's id format."""
    return lambda m, i, name: {"id": f"{i['orgId']}/{kind}/{i['name']}", "name": i["name"]}


def _apigee_attachment(m: PlatformMocks, i: dict, name: str) -> dict:
    return {"id": f"{i.get('instanceId') or i.get('envgroupId')}/attachments/{_hex(name, 8)}"}


def _global_address(m: PlatformMocks, i: dict, name: str) -> dict:
    path = f"projects/{m.project}/global/addresses/{i['name']}"
    return {"id": path, "selfLink": _link(path)}


def _service_networking(m: PlatformMocks, i: dict, name: str) -> dict:
    """The provider's id: `{network}:{service}`; the peering it makes is `servicenetworking-googleapis-com`."""
    return {"id": f"{i['network']}:{i['service']}", "peering": "servicenetworking-googleapis-com"}


def _sleep(m: PlatformMocks, i: dict, name: str) -> dict:
    return {"id": "2026-01-01T00:00:00Z"}


def _dynamic(m: PlatformMocks, i: dict, name: str) -> dict:
    """Dynamic resources of the program (the leftover-firewall sweeper) are keyed by their network."""
    network = i.get("network", "")
    return {"id": network[network.index("projects/") :] if "projects/" in network else name}


def _migration_gate(m: PlatformMocks, i: dict, name: str) -> dict:
    """The migration gate records the last applied step; its id is the one its provider gives."""
    return {"id": "migration"}


def _route_readiness(m: PlatformMocks, i: dict, name: str) -> dict:
    """The route's readiness wait is keyed by the route; offline nothing is polled."""
    return {"id": f"{i['namespace']}/{i['route']}"}


def _secret(m: PlatformMocks, i: dict, name: str) -> dict:
    return {
        "id": f"projects/{m.project}/secrets/{i['secretId']}",
        "name": f"projects/{m.number}/secrets/{i['secretId']}",
    }


def _secret_version(m: PlatformMocks, i: dict, name: str) -> dict:
    """The first version of the secret: the one the download job mounts."""
    path = f"{i['secret'].replace(m.project, m.number, 1)}/versions/1"
    return {"id": path, "name": path, "version": "1"}


def _cloud_run_job(m: PlatformMocks, i: dict, name: str) -> dict:
    path = f"projects/{m.project}/locations/{i['location']}/jobs/{i['name']}"
    return {"id": path, "uid": _hex(path, 32)}


def _audit_config(m: PlatformMocks, i: dict, name: str) -> dict:
    """The provider's id of a project's audit config: `<project>/audit_config/<service>`."""
    return {"id": f"{i['project']}/audit_config/{i['service']}", "etag": "BwY" + _hex(name, 9)}


def _provider(m: PlatformMocks, i: dict, name: str) -> dict:
    return {"id": _hex(name, 8) + "-" + _hex(name + "/", 4)}


def kubernetes_object(m: PlatformMocks, i: dict, name: str) -> dict:
    meta = i.get("metadata") or {}
    ns = meta.get("namespace")
    obj_name = meta.get("name") or name
    return {"id": f"{ns}/{obj_name}" if ns else obj_name}


_OUTPUTS: dict[str, Callable[[PlatformMocks, dict, str], dict]] = {
    "gcp:compute/network:Network": _network,
    "gcp:compute/subnetwork:Subnetwork": _subnetwork,
    "gcp:compute/address:Address": _address,
    "gcp:compute/firewall:Firewall": _firewall,
    "gcp:compute/router:Router": _router,
    "gcp:compute/routerNat:RouterNat": _router_nat,
    "gcp:kms/cryptoKeyIAMMember:CryptoKeyIAMMember": _iam_member,
    "gcp:storage/bucket:Bucket": _bucket,
    "gcp:storage/bucketIAMMember:BucketIAMMember": _iam_member,
    "random:index/randomId:RandomId": _random_id,
    "gcp:serviceaccount/account:Account": _service_account,
    "gcp:serviceaccount/iAMMember:IAMMember": _iam_member,
    "gcp:projects/iAMMember:IAMMember": _iam_member,
    "gcp:projects/iAMAuditConfig:IAMAuditConfig": _audit_config,
    "gcp:container/cluster:Cluster": _cluster,
    "gcp:container/nodePool:NodePool": _node_pool,
    "gcp:gkehub/membership:Membership": _membership,
    "gcp:gkehub/feature:Feature": _feature,
    "gcp:projects/serviceIdentity:ServiceIdentity": _service_identity,
    "gcp:projects/service:Service": _project_service,
    "time:index/sleep:Sleep": _sleep,
    "gcp:monitoring/alertPolicy:AlertPolicy": _alert_policy,
    "gcp:logging/metric:Metric": _log_metric,
    "gcp:monitoring/dashboard:Dashboard": _dashboard,
    "pulumi:providers:kubernetes": _provider,
    "gcp:secretmanager/secret:Secret": _secret,
    "gcp:secretmanager/secretVersion:SecretVersion": _secret_version,
    "gcp:secretmanager/secretIamMember:SecretIamMember": _iam_member,
    "gcp:cloudrunv2/job:Job": _cloud_run_job,
    "pulumi-python:dynamic:Resource": _dynamic,
    "gcp:modelarmor/template:Template": _model_armor_template,
    "gcp:apigee/organization:Organization": _apigee_organization,
    "gcp:apigee/instance:Instance": _apigee_instance,
    "gcp:apigee/environment:Environment": _apigee_child("environments"),
    "gcp:apigee/envGroup:EnvGroup": _apigee_child("envgroups"),
    "gcp:apigee/instanceAttachment:InstanceAttachment": _apigee_attachment,
    "gcp:apigee/envGroupAttachment:EnvGroupAttachment": _apigee_attachment,
    "gcp:compute/globalAddress:GlobalAddress": _global_address,
    "gcp:servicenetworking/connection:Connection": _service_networking,
    "pulumi-python:dynamic/migration:Gate": _migration_gate,
    "pulumi-python:dynamic/gateway:RouteReadiness": _route_readiness,
}
