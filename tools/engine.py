"""Offline engine: runs the real `__main__.py` under Pulumi's mock runtime and records every registration.

Nothing in the program is mocked; only the engine and the providers are. The recording monitor keeps
what the SDK sends with each registration (type, name, parent, inputs, options, dependencies), and the
mocks answer with the computed outputs the real providers would return (ids, emails, self links,
cluster endpoint and CA) so that every downstream input is exercised with realistic values.
"""

from __future__ import annotations

import asyncio
import base64
import contextvars
import hashlib
import ipaddress
import json
import re
import runpy
import sys
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from tools import cli_config

ROOT = Path(__file__).resolve().parent.parent
STAND_IN = "offline-stand-in-for-{key}"  # for `secure:` values, which need the stack's key
TIMEOUT_SECONDS = 120


class Secret:
    """A value the program marked secret; renders as [secret] everywhere outside the tests."""

    def __init__(self, value: Any):
        self.value = value

    def __repr__(self) -> str:
        return "[secret]"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Secret) and other.value == self.value

    def __hash__(self) -> int:
        return hash(("secret", json.dumps(self.value, sort_keys=True, default=str)))


@dataclass
class Registration:
    urn: str
    type: str
    name: str
    parent: str  # URN, "" for the stack itself
    custom: bool
    remote: bool  # a component implemented by its provider (a Helm chart): it plans as one resource
    inputs: dict[str, Any]
    outputs: dict[str, Any]  # what the mock returned
    provider: str  # provider reference "urn::id", "" for the default provider
    dependencies: list[str]  # URNs the SDK reported: data flow and depends_on
    property_dependencies: dict[str, list[str]]
    options: dict[str, Any]  # protect, ignoreChanges, customTimeouts, ... when set
    rendered_by: str = ""  # the Helm chart's URN for an object the engine rendered from it (tools/charts.py)

    @property
    def id(self) -> str:
        return self.outputs.get("id", "")


@dataclass
class Plan:
    stack: str
    project: str  # the Pulumi project
    registrations: list[Registration]
    outputs: dict[str, Any]
    stand_ins: list[str] = field(default_factory=list)  # `secure:` keys whose ciphertext got a stand-in

    def by_type(self, type_: str) -> list[Registration]:
        return [r for r in self.registrations if r.type == type_]

    def one(self, type_: str, name: str) -> Registration:
        found = [r for r in self.registrations if r.type == type_ and r.name == name]
        if len(found) != 1:
            raise KeyError(f"{len(found)} registrations of {type_} named {name}")
        return found[0]

    def by_urn(self) -> dict[str, Registration]:
        return {r.urn: r for r in self.registrations}


class EngineTimeout(RuntimeError):
    pass


# --------------------------------------------------------------------------------------- config


def project_file(root: Path | None = None) -> dict[str, Any]:
    return yaml.safe_load(((root or ROOT) / "Pulumi.yaml").read_text())


# The keys of a stack file (pulumi/pulumi sdk/go/common/workspace/project.go `ProjectStack`).
STACK_FILE_KEYS = ("config", "secretsprovider", "encryptedkey", "encryptionsalt", "environment")
STACK_FILE_NESTING = 64  # levels of lists and mappings; the program's deepest key is 4
_BOOL = "tag:yaml.org,2002:bool"


class _StackFileLoader(yaml.SafeLoader):
    """YAML as the Pulumi CLI reads a stack file (gopkg.in/yaml.v3): YAML 1.2 booleans (yes, no, on and off
    stay text), no timestamps (a date stays text), and a key written twice is an error. Nesting is capped
    well below Python's recursion limit, so no document can make the reader itself fail."""

    depth = 0

    def compose_node(self, parent, index):
        self.depth += 1
        try:
            if self.depth > STACK_FILE_NESTING:
                raise yaml.composer.ComposerError(
                    None, None, f"nests deeper than {STACK_FILE_NESTING} levels", self.peek_event().start_mark
                )
            return super().compose_node(parent, index)
        finally:
            self.depth -= 1

    def construct_mapping(self, node, deep=False):
        lines: dict = {}
        for key_node, _ in node.value:
            if key_node.tag == "tag:yaml.org,2002:merge":
                continue
            key = self.construct_object(key_node, deep=True)
            try:
                seen = lines.get(key)
            except TypeError:
                raise yaml.constructor.ConstructorError(
                    None, None, "a mapping key is a list or a mapping", key_node.start_mark
                ) from None
            if seen:
                raise yaml.constructor.ConstructorError(
                    None, None, f"mapping key {key!r} already defined at line {seen}", key_node.start_mark
                )
            lines[key] = key_node.start_mark.line + 1
        return super().construct_mapping(node, deep)


_StackFileLoader.yaml_implicit_resolvers = {
    first: [(tag, rx) for tag, rx in resolvers if tag not in (_BOOL, "tag:yaml.org,2002:timestamp")]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
_StackFileLoader.add_implicit_resolver(_BOOL, re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"), list("tTfF"))


def _read_stack_file(root: Path, stack: str) -> dict[str, Any]:
    """`Pulumi.<stack>.yaml`'s `config:` as the CLI reads it: `namespace:key` -> value, where a scalar is
    the text written in the file (a YAML null is "", pulumi/pulumi sdk/go/common/resource/config/value.go)
    and an object or a list is plain data. A file the CLI could not read, or one whose keys would do
    nothing, is one clear error naming the file (never a traceback)."""
    path = root / f"Pulumi.{stack}.yaml"
    label = path.name
    if not path.is_file():
        stacks = sorted(p.name[len("Pulumi.") : -len(".yaml")] for p in root.glob("Pulumi.*.yaml"))
        raise cli_config.CliConfigError(
            f"no stack file {label} in {root}; the stacks here are: {', '.join(stacks) or 'none'}"
        )
    try:
        text = path.read_bytes().decode("utf-8")
    except UnicodeDecodeError as e:
        raise cli_config.CliConfigError(f"{label}: is not UTF-8 text (byte {e.start})") from None
    except OSError as e:
        raise cli_config.CliConfigError(f"{label}: cannot be read ({e.strerror})") from None
    loader = None
    try:
        loader = _StackFileLoader(text)
        document = loader.get_single_node()
        if document is None:
            return {}
        if not isinstance(document, yaml.MappingNode):
            kind = "a list" if isinstance(document, yaml.SequenceNode) else f"the text {document.value[:40]!r}"
            raise cli_config.CliConfigError(
                f"{label}: the top level must be a mapping with a config: section, not {kind}"
            )
        loader.construct_mapping(document, deep=True)  # duplicate keys at the top level
        config = None
        for key_node, value_node in document.value:
            key = key_node.value if isinstance(key_node, yaml.ScalarNode) else "?"
            if key == "config":
                config = value_node
            elif ":" in key:
                raise cli_config.CliConfigError(
                    f"{label}: line {key_node.start_mark.line + 1}: '{key[:80]}' sits at the top level, outside "
                    "config:, so nothing reads it; indent it under config:"
                )
            elif key not in STACK_FILE_KEYS:
                raise cli_config.CliConfigError(
                    f"{label}: line {key_node.start_mark.line + 1}: '{key[:80]}' is not a stack file key "
                    f"({', '.join(STACK_FILE_KEYS)}): Pulumi ignores it, so it would do nothing"
                )
        if config is None or (isinstance(config, yaml.ScalarNode) and config.tag == "tag:yaml.org,2002:null"):
            return {}
        if not isinstance(config, yaml.MappingNode):
            kind = "a list" if isinstance(config, yaml.SequenceNode) else "text"
            raise cli_config.CliConfigError(f"{label}: config: must be a mapping of namespace:key: value, not {kind}")
        loader.construct_mapping(config, deep=True)  # duplicate config keys
        values: dict[str, Any] = {}
        for key_node, value_node in config.value:
            line = key_node.start_mark.line + 1
            if not isinstance(key_node, yaml.ScalarNode):
                raise cli_config.CliConfigError(f"{label}: line {line}: a config key must be text")
            key = key_node.value
            if ":" not in key:  # `stackConfigNamespacedWithProject` (sdk/go/common/workspace/loaders.go)
                key = f"{project_file(root)['name']}:{key}"
            parts = key.split(":")
            if len(parts) == 3 and parts[1] == "config":  # the old `<namespace>:config:<name>` form
                key = f"{parts[0]}:{parts[2]}"
            elif len(parts) != 2:
                raise cli_config.CliConfigError(
                    f"{label}: line {line}: could not parse {key[:80]} as a configuration key "
                    "(configuration keys should be of the form `<namespace>:<name>`)"
                )
            if isinstance(value_node, yaml.ScalarNode):
                null = value_node.tag == "tag:yaml.org,2002:null"
                values[key] = "" if null else value_node.value
            else:
                value = loader.construct_object(value_node, deep=True)
                try:
                    json.dumps(value)
                except (TypeError, ValueError):
                    raise cli_config.CliConfigError(
                        f"{label}: line {line}: the value of {key[:80]} is not plain data (numbers, text, true/false, "
                        "lists and mappings)"
                    ) from None
                values[key] = value
        return values
    except yaml.MarkedYAMLError as e:
        mark = e.problem_mark or e.context_mark
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        raise cli_config.CliConfigError(f"{label}: is not valid YAML: {e.problem or e.context}{where}") from None
    except yaml.reader.ReaderError as e:
        raise cli_config.CliConfigError(
            f"{label}: is not valid YAML: it holds the control character #x{e.character:02x} at offset {e.position}"
        ) from None
    except yaml.YAMLError as e:
        raise cli_config.CliConfigError(f"{label}: is not valid YAML: {str(e).splitlines()[0]}") from None
    except RecursionError:
        raise cli_config.CliConfigError(f"{label}: nests too deeply to read") from None
    finally:
        if loader is not None:
            loader.dispose()


def stack_config(
    stack: str,
    root: Path | None = None,
    overrides: dict[str, Any] | None = None,
    secrets: dict[str, str] | None = None,
) -> tuple[dict[str, str], list[str], list[str]]:
    """The config the Pulumi CLI would hand the program, after the CLI's own checks (tools/cli_config.py).

    `overrides` maps `key` (project namespace) or `ns:key` to a value, or to None to remove the key.
    `secrets` maps keys to values set as `pulumi config set --secret` sets them: an operator's secret
    that is not in the repository. `secure:` ciphertext in a stack file cannot be decrypted offline: it
    gets a stand-in value that stays secret. Returns (config, secret keys, keys given a stand-in).
    """
    root = root or ROOT
    project = project_file(root)
    name = project["name"]
    values = _read_stack_file(root, stack)
    for key, value in (overrides or {}).items():
        if value is None:
            values.pop(cli_config.namespaced(name, key), None)
        else:
            values[cli_config.namespaced(name, key)] = value
    operator_secrets = {cli_config.namespaced(name, k): v for k, v in (secrets or {}).items()}
    values |= {k: {"secure": "v1:set-outside-the-repository"} for k in operator_secrets}
    merged = cli_config.merge(stack, project, values)
    secret_keys = sorted(k for k, v in merged.items() if isinstance(v, dict) and set(v) == {"secure"})
    stand_ins = sorted(set(secret_keys) - set(operator_secrets))
    for key in secret_keys:
        merged[key] = operator_secrets.get(key) or STAND_IN.format(key=key.split(":")[-1])
    return {k: _config_text(v) for k, v in merged.items()}, secret_keys, stand_ins


def _config_text(value: Any) -> str:
    """Pulumi passes config to programs as text: JSON for objects and lists."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (dict, list)):
        return json.dumps(value)
    return str(value)


# --------------------------------------------------------------------------------------- mocks


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
                handler = _kubernetes_object
            else:
                raise RuntimeError(f"no offline outputs for resource type {args.typ}; add them to tools/engine.py")
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


def _provider(m: PlatformMocks, i: dict, name: str) -> dict:
    return {"id": _hex(name, 8) + "-" + _hex(name + "/", 4)}


def _kubernetes_object(m: PlatformMocks, i: dict, name: str) -> dict:
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


# --------------------------------------------------------------------------------------- engine


def _plain(value: Any) -> Any:
    """Deserialised SDK values -> plain data, with secrets wrapped in `Secret`."""
    from pulumi.runtime import rpc

    if rpc.is_rpc_secret(value):
        return Secret(_plain(rpc.unwrap_rpc_secret(value)))
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    if isinstance(value, float) and value.is_integer():
        return int(value)  # the wire format has only doubles; the program wrote integers
    return value


def _options(request) -> dict[str, Any]:
    opts: dict[str, Any] = {}
    if request.HasField("protect"):
        opts["protect"] = request.protect
    if request.HasField("retainOnDelete"):
        opts["retainOnDelete"] = request.retainOnDelete
    if request.deleteBeforeReplace:
        opts["deleteBeforeReplace"] = True
    for name in ("ignoreChanges", "replaceOnChanges", "additionalSecretOutputs"):
        values = list(getattr(request, name))
        if values:
            opts[name] = values
    if request.HasField("customTimeouts"):
        t = request.customTimeouts
        opts["customTimeouts"] = {
            k: v for k, v in (("create", t.create), ("update", t.update), ("delete", t.delete)) if v
        }
    if request.deletedWith:
        opts["deletedWith"] = request.deletedWith
    if list(request.aliases):
        from google.protobuf import json_format

        opts["aliases"] = [json_format.MessageToDict(a) for a in request.aliases]
    return opts


def _recording_monitor(mocks: PlatformMocks, log: list[Registration]):
    from pulumi.runtime import mocks as pulumi_mocks
    from pulumi.runtime import rpc

    class RecordingMonitor(pulumi_mocks.MockMonitor):
        def RegisterResource(self, request):
            response = super().RegisterResource(request)
            if request.type == "pulumi:pulumi:Stack":
                return response
            inputs = _plain(rpc.deserialize_properties(request.object))
            inputs.pop("__provider", None)  # a dynamic resource's pickled provider code, not an input
            registered = self.resources[response.urn]
            log.append(
                Registration(
                    urn=response.urn,
                    type=request.type,
                    name=request.name,
                    parent=request.parent,
                    custom=request.custom,
                    remote=request.remote,
                    inputs=inputs,
                    outputs=_plain(registered.state) | {"id": registered.id},
                    # A remote component (a Helm chart) names its providers per package instead.
                    provider=request.provider or request.providers.get(request.type.split(":")[0], ""),
                    dependencies=sorted(set(request.dependencies)),
                    property_dependencies={
                        k: sorted(v.urns) for k, v in request.propertyDependencies.items() if v.urns
                    },
                    options=_options(request),
                )
            )
            return response

    return RecordingMonitor(mocks)


def run(
    stack: str,
    *,
    root: Path | None = None,
    overrides: dict[str, Any] | None = None,
    secrets: dict[str, str] | None = None,
    timeout: float = TIMEOUT_SECONDS,
) -> Plan:
    """Runs `root/__main__.py` for `stack` offline and returns every registration and the outputs."""
    root = root or ROOT
    config, secret_keys, stand_ins = stack_config(stack, root, overrides, secrets)
    project_name = project_file(root)["name"]
    project_id = config.get(f"{project_name}:project", "offline-project")
    result: dict[str, Any] = {}

    def target() -> None:
        try:
            result["plan"] = _run_in_fresh_runtime(stack, project_name, project_id, config, secret_keys, root)
        except BaseException as e:  # noqa: BLE001 - re-raised in the caller's thread
            result["error"] = e

    thread = threading.Thread(target=lambda: contextvars.Context().run(target), daemon=True)
    thread.start()
    thread.join(timeout)
    if thread.is_alive():
        raise EngineTimeout(
            f"the offline run of stack '{stack}' did not finish in {timeout:.0f}s (an output never resolved)"
        )
    if "error" in result:
        raise result["error"]
    plan: Plan = result["plan"]
    plan.stand_ins = stand_ins
    from tools import charts  # imports this module

    plan.registrations += charts.expand_all(plan.registrations, root)  # what the provider registers per chart
    return plan


def _run_in_fresh_runtime(
    stack: str, project_name: str, project_id: str, config: dict[str, str], secret_keys: list[str], root: Path
) -> Plan:
    import pulumi
    from pulumi.runtime import mocks as pulumi_mocks
    from pulumi.runtime import settings
    from pulumi.runtime.stack import run_pulumi_func

    loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)
    log: list[Registration] = []
    mocks = PlatformMocks(project_id)
    monitor = _recording_monitor(mocks, log)
    # The SDK keeps pending outputs in a context property whose fallback is shared by the whole
    # process; a failed run would leave its tasks there for the next one. Give each run its own.
    settings.SETTINGS.outputs = set()
    settings.SETTINGS.lock = threading.Lock()
    pulumi_mocks.set_mocks(mocks, project=project_name, stack=stack, preview=False, monitor=monitor)
    pulumi.runtime.set_all_config(config, secret_keys)

    outputs: dict[str, Any] = {}

    async def program() -> None:
        sys.path.insert(0, str(root))
        try:
            runpy.run_path(str(root / "__main__.py"), run_name="__main__")
        finally:
            sys.path.remove(str(root))
        stack_resource = settings.get_root_resource()
        for name, value in stack_resource.outputs.items():
            output = pulumi.Output.from_input(value)
            resolved = await output.future()
            outputs[name] = Secret(resolved) if await output.is_secret() else resolved

    try:
        loop.run_until_complete(run_pulumi_func(program))
    except BaseException as e:
        e.registrations = log  # what was registered before the failure: tests assert it is nothing
        raise
    finally:
        loop.close()
    return Plan(stack=stack, project=project_name, registrations=log, outputs=_plain_outputs(outputs))


def _plain_outputs(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _plain_outputs(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain_outputs(v) for v in value]
    return value


def to_json(value: Any, reveal: bool = False) -> Any:
    """JSON-ready data; secrets become "[secret]" unless `reveal` (tests only)."""
    if isinstance(value, Secret):
        return to_json(value.value, reveal) if reveal else "[secret]"
    if isinstance(value, dict):
        return {k: to_json(v, reveal) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [to_json(v, reveal) for v in value]
    return value
