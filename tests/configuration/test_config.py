"""Configuration: typed parsing and one clear error per bad value, before any resource exists."""

from __future__ import annotations

import copy
import functools
import ipaddress
import os
from dataclasses import dataclass
from pathlib import Path

import pytest

from inference.common import credentials, name_rules
from inference.common.reader import ConfigError, name_problem, shown
from inference.configuration import stack as config
from inference.configuration.platform import PlatformConfig
from inference.core.config.compute import Accelerator, SystemPool
from inference.core.config.model import Model, ModelStore
from inference.core.facts import places, ranges
from tests.conftest import OPERATOR_SECRETS, run
from tools import engine
from tools import plan as plan_tool
from tools.cli_config import CliConfigError
from tools.stack_file import STAND_IN, config_text, stack_config


def stack_settings(stack: str) -> dict:
    """The stack's config as the program sees it once the operator has set the token."""
    values, _, _ = stack_config(stack, secrets=OPERATOR_SECRETS)
    return {k.split(":", 1)[1]: config._decode(v) for k, v in values.items()}


def prod_regions() -> list[dict]:
    return copy.deepcopy(stack_settings("prod")["regions"])


def with_region(**changes) -> list[dict]:
    regions = prod_regions()
    regions[0].update(changes)
    return regions


def test_prod_config_is_the_walkthrough_system():
    cfg = config.parse(stack_settings("prod"), "prod")
    assert [(r.name, r.zone, r.node_cidr, r.proxy_cidr) for r in cfg.regions] == [
        ("europe-west4", "europe-west4-a", "10.0.1.0/24", "10.1.1.0/24"),
        ("us-east5", "us-east5-b", "10.0.2.0/24", "10.1.2.0/24"),
    ]
    assert cfg.config_region == "us-east5"
    assert cfg.accelerator == Accelerator("ct6e-standard-4t", "2x2", 1, 2, False, None)
    assert cfg.accelerator.chips == 4
    assert cfg.model == Model("google/gemma-3-27b-it", "google/gemma-3-27b-it", 4)
    assert cfg.mtu == 8896 and cfg.serving_port == 8000 and cfg.release_channel == "RAPID"
    assert cfg.system_pool == SystemPool("e2-standard-16", 1, 100)
    assert cfg.model_store == ModelStore("per-region", "US", False, True, audit_logs=True)
    assert cfg.deletion_protection is True and cfg.fleet.manage_features is True
    assert cfg.names.base == "tpu-gke-dranet-prod"


def test_dev_config_has_no_tpu_and_can_be_torn_down():
    cfg = config.parse(stack_settings("dev"), "dev")
    assert cfg.accelerator is None
    assert cfg.model.tensor_parallel_size == 1
    assert cfg.model_store == ModelStore("single", "US", True, False)
    assert cfg.deletion_protection is False
    assert cfg.bucket_locations() == {"europe-west4": "US", "us-east5": "US"}


def test_config_values_arrive_as_pulumi_text():
    """Pulumi hands scalars over as strings and objects as JSON; parse reads both."""
    raw = {k: config_text(v) for k, v in stack_settings("prod").items()}
    decoded = {k: config._decode(v) for k, v in raw.items()}
    assert config.parse(decoded, "prod") == config.parse(stack_settings("prod"), "prod")


def test_every_problem_is_reported_at_once_in_key_value_why_fix_form():
    raw = stack_settings("prod") | {"servingPort": "http", "releaseChannel": "NIGHTLY", "configRegion": "asia-east1"}
    with pytest.raises(ConfigError) as err:
        config.parse(raw, "prod")
    assert [p.key for p in err.value.problems] == ["configRegion", "servingPort", "releaseChannel"]
    text = str(err.value)
    assert "stack 'prod' has 3 configuration problem(s)" in text
    assert 'releaseChannel: "NIGHTLY" — is not one of RAPID, REGULAR, STABLE, EXTENDED — choose one of' in text


# Each row: a change to a stack file (prod unless `stack` says otherwise), the exact key the error must
# name, the value as the message shows it, and a piece of its why or fix. Grouped by the classes of
# issue 10; `CLASS` below counts them.
@dataclass(frozen=True)
class Bad:
    desc: str
    change: dict
    key: str
    shown: str
    hint: str
    stack: str = "prod"


def single(location: str) -> dict:
    return {"modelStore": {"layout": "single", "location": location}}


SMALL_EPP = {"endpointPicker": {"cpuRequest": "500m", "memoryRequest": "1Gi", "memoryLimit": "2Gi"}}
LONG = "x" * 2000
KEYS = {r: f"projects/p-123456/locations/{r}/keyRings/r/cryptoKeys/k" for r in ("europe-west4", "us-east5")}

PLACES = [
    Bad(
        "region that does not exist",
        {"regions": with_region(name="europe-west7")},
        "regions[0].name",
        '"europe-west7"',
        "is not a Google Cloud region",
    ),
    Bad(
        "region with a stray hyphen",
        {"regions": with_region(name="europe-west-4")},
        "regions[0].name",
        '"europe-west-4"',
        "did you mean 'europe-west4'?",
    ),
    Bad(
        "region name typo",
        {"regions": with_region(name="europe_west4")},
        "regions[0].name",
        '"europe_west4"',
        "did you mean 'europe-west4'?",
    ),
    Bad(
        "zone that does not exist",
        {"regions": with_region(zone="europe-west4-d")},
        "regions[0].zone",
        '"europe-west4-d"',
        "use one of europe-west4-a, europe-west4-b, europe-west4-c",
    ),
    Bad(
        "zone of another region",
        {"regions": with_region(zone="us-east5-b")},
        "regions[0].zone",
        '"us-east5-b"',
        "is a zone of us-east5, not of europe-west4",
    ),
    Bad(
        "zone without TPU v6e",
        {"regions": with_region(zone="europe-west4-b")},
        "regions[0].zone",
        '"europe-west4-b"',
        "use europe-west4-a",
    ),
    Bad(
        "region without TPU v6e",
        {"regions": with_region(name="europe-west1", zone="europe-west1-b")},
        "regions[0].zone",
        '"europe-west1-b"',
        "serve from a region with v6e zones",
    ),
    Bad(
        "duplicate region",
        {"regions": prod_regions() + [prod_regions()[0] | {"nodeCidr": "10.0.9.0/24", "proxyCidr": "10.1.9.0/24"}]},
        "regions[2].name",
        '"europe-west4"',
        "list each region once",
    ),
    Bad(
        "config region not a region",
        {"configRegion": "asia-east1"},
        "configRegion",
        '"asia-east1"',
        "choose one of europe-west4, us-east5",
    ),
    Bad(
        "bucket location that is no location",
        single("MARS"),
        "modelStore.location",
        '"MARS"',
        "is not a Cloud Storage location",
    ),
    Bad(
        "bucket location that is a zone",
        single("us-east5-b"),
        "modelStore.location",
        '"us-east5-b"',
        "use its region US-EAST5",
    ),
    Bad("bucket dual-region typo", single("NAM5"), "modelStore.location", '"NAM5"', "did you mean 'NAM4'?"),
    Bad(
        "shared bucket away from every region that downloads into it",
        single("ASIA"),
        "modelStore.location",
        '"ASIA"',
        "use US, or modelStore.layout: per-region",
    ),
    Bad(
        "bucket location spelt out",
        single("europe"),
        "modelStore.location",
        '"europe"',
        "is not a Cloud Storage location",
    ),
    Bad(
        "bucket layout",
        {"modelStore": {"layout": "global"}},
        "modelStore.layout",
        '"global"',
        "choose one of per-region, single",
    ),
]

MACHINES = [
    Bad(
        "system machine type that does not exist",
        {"systemPool": {"machineType": "e2-standard-3"}},
        "systemPool.machineType",
        '"e2-standard-3"',
        "did you mean",
    ),
    Bad(
        "system machine type of another family",
        {"systemPool": {"machineType": "m1-ultramem-40"}},
        "systemPool.machineType",
        '"m1-ultramem-40"',
        "supported families",
    ),
    Bad(
        "system pool on a TPU host",
        {"systemPool": {"machineType": "ct6e-standard-4t"}},
        "systemPool.machineType",
        '"ct6e-standard-4t"',
        "is a TPU host",
    ),
    Bad(
        "unknown TPU machine type",
        {"accelerator": {"machineType": "ct5lp-hightpu-4t"}},
        "accelerator.machineType",
        '"ct5lp-hightpu-4t"',
        "choose one of ct6e-standard-1t",
    ),
    Bad(
        "TPU machine type without its suffix",
        {"accelerator": {"machineType": "ct6e-standard-4"}},
        "accelerator.machineType",
        '"ct6e-standard-4"',
        "did you mean 'ct6e-standard-4t'?",
    ),
    Bad(
        "topology of another shape",
        {"accelerator": {"machineType": "ct6e-standard-4t", "topology": "2x4"}},
        "accelerator.topology",
        '"2x4"',
        "set topology 2x2",
    ),
    Bad(
        "fewer autoscaled slices than the pool starts with",
        {"accelerator": {"nodesPerPool": 2, "maxNodes": 1}, "autoscaling": {"enabled": False}},
        "accelerator.maxNodes",
        "1",
        "set maxNodes >= nodesPerPool",
    ),
    Bad(
        "endpoint picker CPU over a node",
        {"systemPool": {"machineType": "e2-standard-8"}, "inferencePool": {"endpointPicker": {"cpuRequest": "8"}}},
        "inferencePool.endpointPicker.cpuRequest",
        '"8"',
        "at most 7390m",
    ),
    Bad(
        "endpoint picker memory over a node",
        {
            "systemPool": {"machineType": "e2-standard-8"},
            "inferencePool": {"endpointPicker": {"memoryRequest": "30Gi", "memoryLimit": "30Gi"}},
        },
        "inferencePool.endpointPicker.memoryRequest",
        '"30Gi"',
        "memoryRequest to at most 27462Mi, or a systemPool.machineType such as e2-standard-16",
    ),
    Bad(
        "chart-default endpoint picker on a small pool",
        {"inferencePool": None},
        "inferencePool.endpointPicker.cpuRequest",
        '"4"',
        "at most 3400m, or a systemPool.machineType such as e2-standard-8",
        stack="dev",
    ),
    Bad("no system node", {"systemPool": {"nodeCount": 0}}, "systemPool.nodeCount", "0", "set a number in 1..100"),
    Bad(
        "system pods that fit one by one but not together",
        {
            "systemPool": {"machineType": "e2-standard-4", "nodeCount": 1},
            "inferencePool": {"endpointPicker": {**SMALL_EPP["endpointPicker"], "cpuRequest": "3"}},
        },
        "systemPool.nodeCount",
        "1",
        "fits a e2-standard-4 node but not together",
    ),
    Bad(
        "boot disk below GKE's minimum",
        {"systemPool": {"diskSizeGb": 5}},
        "systemPool.diskSizeGb",
        "5",
        "set a number in 10..65536",
    ),
]

RANGES = [
    Bad(
        "unparsable CIDR",
        {"regions": with_region(nodeCidr="10.0.1/24x")},
        "regions[0].nodeCidr",
        '"10.0.1/24x"',
        "write it like 10.0.1.0/24",
    ),
    Bad(
        "host bits set",
        {"regions": with_region(nodeCidr="10.0.1.7/24")},
        "regions[0].nodeCidr",
        '"10.0.1.7/24"',
        "use the network address 10.0.1.0/24",
    ),
    Bad(
        "bare address",
        {"regions": with_region(nodeCidr="10.0.1.1")},
        "regions[0].nodeCidr",
        '"10.0.1.1"',
        "e.g. 10.0.1.0/24",
    ),
    Bad(
        "netmask instead of prefix length",
        {"regions": with_region(nodeCidr="10.0.1.0/255.255.255.0")},
        "regions[0].nodeCidr",
        '"10.0.1.0/255.255.255.0"',
        "is not an IPv4 CIDR range",
    ),
    Bad(
        "public range",
        {"regions": with_region(proxyCidr="8.8.8.0/24")},
        "regions[0].proxyCidr",
        '"8.8.8.0/24"',
        "privately used public range",
    ),
    Bad(
        "range straddling RFC 1918",
        {"regions": with_region(nodeCidr="172.0.0.0/10")},
        "regions[0].nodeCidr",
        '"172.0.0.0/10"',
        "is not inside a private range",
    ),
    Bad(
        "link-local range",
        {"regions": with_region(nodeCidr="169.254.1.0/24")},
        "regions[0].nodeCidr",
        '"169.254.1.0/24"',
        "link-local",
    ),
    Bad(
        "loopback range",
        {"regions": with_region(proxyCidr="127.0.0.0/24")},
        "regions[0].proxyCidr",
        '"127.0.0.0/24"',
        "loopback",
    ),
    Bad(
        "current-network range",
        {"regions": with_region(nodeCidr="0.0.0.0/24")},
        "regions[0].nodeCidr",
        '"0.0.0.0/24"',
        "the current network",
    ),
    Bad(
        "multicast range",
        {"regions": with_region(serviceCidr="224.0.1.0/24")},
        "regions[0].serviceCidr",
        '"224.0.1.0/24"',
        "multicast",
    ),
    Bad(
        "Class E range over the broadcast address",
        {"regions": with_region(podCidr="240.0.0.0/4")},
        "regions[0].podCidr",
        '"240.0.0.0/4"',
        "the limited broadcast address",
    ),
    Bad(
        "node subnet below /29",
        {"regions": with_region(nodeCidr="10.0.1.0/30")},
        "regions[0].nodeCidr",
        '"10.0.1.0/30"',
        "is smaller than /29",
    ),
    Bad(
        "node subnet too small for its nodes",
        {"regions": with_region(nodeCidr="10.0.1.0/29")},
        "regions[0].nodeCidr",
        '"10.0.1.0/29"',
        "use a /28 or larger",
    ),
    Bad(
        "proxy subnet too small",
        {"regions": with_region(proxyCidr="10.1.1.0/27")},
        "regions[0].proxyCidr",
        '"10.1.1.0/27"',
        "Google recommends /23",
    ),
    Bad(
        "Pod range below one node's /24",
        {"regions": with_region(podCidr="10.8.0.0/25")},
        "regions[0].podCidr",
        '"10.8.0.0/25"',
        "is smaller than /24",
    ),
    Bad(
        "Pod range too small for its nodes",
        {"regions": with_region(podCidr="10.8.0.0/24")},
        "regions[0].podCidr",
        '"10.8.0.0/24"',
        "use a /22 or larger",
    ),
    Bad(
        "Pod range larger than GKE takes",
        {"regions": with_region(podCidr="10.0.0.0/8")},
        "regions[0].podCidr",
        '"10.0.0.0/8"',
        "larger than /9",
    ),
    Bad(
        "Service range below /27",
        {"regions": with_region(serviceCidr="10.9.0.0/28")},
        "regions[0].serviceCidr",
        '"10.9.0.0/28"',
        "is smaller than /27",
    ),
    Bad(
        "Service range larger than /16",
        {"regions": with_region(serviceCidr="10.64.0.0/12")},
        "regions[0].serviceCidr",
        '"10.64.0.0/12"',
        "larger than /16",
    ),
    Bad(
        "node overlaps other region",
        {"regions": with_region(nodeCidr="10.0.2.0/25")},
        "regions[0].nodeCidr",
        '"10.0.2.0/25"',
        "overlaps regions[1].nodeCidr",
    ),
    Bad(
        "pod range overlaps proxy",
        {"regions": with_region(podCidr="10.8.0.0/22", proxyCidr="10.8.0.0/24")},
        "regions[0].proxyCidr",
        '"10.8.0.0/24"',
        "overlaps regions[0].podCidr",
    ),
    Bad(
        "service range overlaps node",
        {"regions": with_region(serviceCidr="10.0.1.0/27")},
        "regions[0].nodeCidr",
        '"10.0.1.0/24"',
        "overlaps regions[0].serviceCidr",
    ),
    Bad(
        "authorized network as a bare address",
        {"privateNodes": {"masterAuthorizedNetworks": ["203.0.113.7"]}},
        "privateNodes.masterAuthorizedNetworks[0]",
        '"203.0.113.7"',
        "e.g. 203.0.113.0/24",
    ),
    Bad(
        "authorized network with host bits",
        {"privateNodes": {"masterAuthorizedNetworks": ["203.0.113.7/24"]}},
        "privateNodes.masterAuthorizedNetworks[0]",
        '"203.0.113.7/24"',
        "use the network address 203.0.113.0/24",
    ),
    Bad(
        "authorized networks as text",
        {"privateNodes": {"masterAuthorizedNetworks": "203.0.113.0/24"}},
        "privateNodes.masterAuthorizedNetworks",
        '"203.0.113.0/24"',
        "must be a list",
    ),
    Bad(
        "authorized network as a number",
        {"privateNodes": {"masterAuthorizedNetworks": [5]}},
        "privateNodes.masterAuthorizedNetworks[0]",
        "5",
        "is not an IPv4 CIDR range",
    ),
    Bad(
        "DNS endpoint as text",
        {"privateNodes": {"dnsEndpoint": "on"}},
        "privateNodes.dnsEndpoint",
        '"on"',
        "must be true or false",
    ),
    Bad(
        "intranode visibility as text", {"intranodeVisibility": "yes"}, "intranodeVisibility", '"yes"', "true or false"
    ),
    Bad(
        "Binary Authorization mode misspelt",
        {"binaryAuthorization": "PROJECT_SINGLETON_POLICY_ENFORCED"},
        "binaryAuthorization",
        '"PROJECT_SINGLETON_POLICY_ENFORCED"',
        "did you mean 'PROJECT_SINGLETON_POLICY_ENFORCE'?",
    ),
    Bad("weights audit logs as text", {"modelStore": {"auditLogs": "all"}}, "modelStore.auditLogs", '"all"', "true or"),
    Bad("MTU above GCP's maximum", {"network": {"mtu": 9000}}, "network.mtu", "9000", "1300 to 8896"),
    Bad("MTU below GCP's minimum", {"network": {"mtu": 576}}, "network.mtu", "576", "1300 to 8896"),
]

NAMES = [
    Bad(
        "prefix too long for GKE",
        {"prefix": "a-very-long-platform-prefix"},
        "prefix",
        '"a-very-long-platform-prefix-prod"',
        "at most 27 characters",
    ),
    Bad("prefix with uppercase", {"prefix": "TPU"}, "prefix", '"TPU"', "is not the start of a GCP name"),
    Bad("prefix ending in a hyphen", {"prefix": "tpu-"}, "prefix", '"tpu-"', "is not the start of a GCP name"),
    Bad(
        "prefix too long for service account ids",
        {"prefix": "abcdefghijklmnopqrstuv"},
        "prefix",
        '"abcdefghijklmnopqrstuv-prod"',
        "service account id",
    ),
    Bad(
        "bucket name too long in the single layout",
        {"prefix": "abcdefghijklmnopqrstuv", **single("NORTHAMERICA-NORTHEAST2")},
        "prefix",
        '"abcdefghijklmnopqrstuv-dev"',
        "Cloud Storage bucket name",
        stack="dev",  # nothing downloads into dev's bucket, so it may be anywhere
    ),
    Bad(
        "prefix with google in bucket names", {"prefix": "my-google"}, "prefix", '"my-google-prod"', "contains 'google'"
    ),
    Bad(
        "prefix with a google misspelling", {"prefix": "g00gle-lab"}, "prefix", '"g00gle-lab-prod"', "close misspelling"
    ),
    Bad("prefix starting with goog", {"prefix": "googly"}, "prefix", '"googly-prod"', "starts with 'goog'"),
    Bad("malformed project id", {"project": "My_Project"}, "project", '"My_Project"', "6-30 lowercase letters"),
    Bad("project id too short", {"project": "abc"}, "project", '"abc"', "is not a Google Cloud project ID"),
    Bad(
        "Service name starting with a digit",
        {"modelServer": {"namespace": "inference", "name": "1-gemma"}},
        "modelServer.name",
        '"1-gemma"',
        "'1-gemma-service' does not match",
    ),
    Bad(
        "Service name too long",
        {"modelServer": {"namespace": "inference", "name": "v" * 56}},
        "modelServer.name",
        f'"{"v" * 56}"',
        "at most 55 characters",
    ),
    Bad(
        "bad namespace",
        {"modelServer": {"namespace": "Inference_NS"}},
        "modelServer.namespace",
        '"Inference_NS"',
        "RFC 1123 label",
    ),
    Bad(
        "Kubernetes' own namespace",
        {"modelServer": {"namespace": "kube-system"}},
        "modelServer.namespace",
        '"kube-system"',
        "use a namespace of your own",
    ),
    Bad(
        "reserved namespace prefix",
        {"modelServer": {"namespace": "kube-inference"}},
        "modelServer.namespace",
        '"kube-inference"',
        "kube- prefix is reserved",
    ),
    Bad(
        "service account with an underscore",
        {"modelServer": {"namespace": "inference", "serviceAccount": "gemma_ksa"}},
        "modelServer.serviceAccount",
        '"gemma_ksa"',
        "RFC 1123 subdomain",
    ),
    Bad(
        "app label with a space",
        {"modelServer": {"namespace": "inference", "appLabel": "gemma server"}},
        "modelServer.appLabel",
        '"gemma server"',
        "Kubernetes label value",
    ),
    Bad(
        "app label too long",
        {"modelServer": {"namespace": "inference", "appLabel": "a" * 64}},
        "modelServer.appLabel",
        f'"{"a" * 64}"',
        "is 64 characters",
    ),
    Bad(
        "Helm release name too long",
        {"inferencePool": {"name": "p" * 54}},
        "inferencePool.name",
        f'"{"p" * 54}"',
        "Helm release name",
    ),
    Bad(
        "pool name starting with a digit",
        {"inferencePool": {"name": "1pool"}},
        "inferencePool.name",
        '"1pool"',
        "'1pool-epp'",
    ),
    Bad(
        "pool name with a dot",
        {"inferencePool": {"name": "gemma.pool"}},
        "inferencePool.name",
        '"gemma.pool"',
        "endpoint picker's Service",
    ),
    Bad(
        "Gateway name with uppercase",
        {"gateway": {"name": "Cross_Region"}},
        "gateway.name",
        '"Cross_Region"',
        "RFC 1123 subdomain",
    ),
    Bad(
        "objective name with uppercase",
        {"inferencePool": {"objectiveName": "Objective"}},
        "inferencePool.objectiveName",
        '"Objective"',
        "RFC 1123 subdomain",
    ),
    Bad(
        "metric export name with a dot",
        {"inferencePool": {"metricExportName": "tpu.cache"}},
        "inferencePool.metricExportName",
        '"tpu.cache"',
        "RFC 1123 label",
    ),
    Bad(
        "bad label key",
        {"labels": {"Team": "ML Platform"}},
        "labels.Team",
        '"ML Platform"',
        "is not a valid GCP label key",
    ),
    Bad(
        "label value with a space",
        {"labels": {"team": "ml platform"}},
        "labels.team",
        '"ml platform"',
        "is not a valid GCP label value",
    ),
    Bad(
        "label key starting with a digit",
        {"labels": {"1team": "ml"}},
        "labels.1team",
        '"ml"',
        "keys start with a letter",
    ),
    Bad(
        "label value too long", {"labels": {"team": "m" * 64}}, "labels.team", f'"{"m" * 64}"', "at most 63 characters"
    ),
    Bad(
        "label the program sets",
        {"labels": {"stack": "production"}},
        "labels.stack",
        '"production"',
        "set by the program",
    ),
    Bad(
        "too many labels",
        {"labels": {f"l{i}": "v" for i in range(63)}},
        "labels",
        '"63 labels"',
        "keep at most 62 labels",
    ),
    Bad(
        "reservation name with uppercase",
        {"accelerator": {"reservation": "TPU-RES"}},
        "accelerator.reservation",
        '"TPU-RES"',
        "name a specific reservation in the zone",
    ),
]

NOTHING = [
    Bad(
        "misspelt namespace",
        {"inference_platform:labels": {"team": "ml"}},
        "inference_platform:labels",
        '{"team": "ml"}',
        "did you mean 'inference-platform:labels'?",
    ),
    Bad(
        "misspelt provider namespace",
        {"gpc:region": "us-east5"},
        "gpc:region",
        '"us-east5"',
        "did you mean 'gcp:region'?",
    ),
    Bad(
        "unquoted number as a label value",
        {"labels": {"environment": "prod", "team": "ml-platform", "cost-center": 1234}},
        "labels.cost-center",
        "1234",
        'quote it: "1234"',
    ),
    Bad(
        "AI zone as the zonal cluster's zone",
        {
            "regions": [
                {"name": "us-south1", "zone": "us-south1-ai1b", "nodeCidr": "10.0.1.0/24", "proxyCidr": "10.1.1.0/24"}
            ],
            "configRegion": "us-south1",
        },
        "regions[0].zone",
        '"us-south1-ai1b"',
        "is an AI zone",
    ),
    Bad(
        "metric export name too long for a backend custom metric",
        {"inferencePool": {"metricExportName": "kv-cache-utilisation-of-the-tpu-v6e-model-servers"}},
        "inferencePool.metricExportName",
        '"kv-cache-utilisation-of-the-tpu-v6e-model-servers"',
        "use at most 46 characters",
    ),
    Bad(
        "kubernetes key the explicit providers never read",
        {"kubernetes:context": "gke_p_us-east5-b_c"},
        "kubernetes:context",
        '"gke_p_us-east5-b_c"',
        "nor a provider the program uses (gcp, pulumi) reads",
    ),
    Bad("namespace nothing reads", {"acme:owner": "me"}, "acme:owner", '"me"', "write it as inference-platform:owner"),
    Bad("misspelt top-level key", {"servingport": 8000}, "servingport", '"8000"', "did you mean 'servingPort'?"),
    Bad(
        "misspelt nested key",
        {"modelStore": {"layuot": "single"}},
        "modelStore.layuot",
        '"single"',
        "did you mean 'modelStore.layout'?",
    ),
    Bad(
        "unknown nested key in a region",
        {"regions": with_region(zonee="us-east5-b")},
        "regions[0].zonee",
        '"us-east5-b"',
        "did you mean 'regions[0].zone'?",
    ),
    Bad(
        "bucket location with per-region buckets",
        {"modelStore": {"location": "EU"}},
        "modelStore.location",
        '"EU"',
        "set modelStore.layout: single",
    ),
    Bad(
        "vLLM image on the simulator",
        {"modelServer": {"namespace": "inference", "backend": "simulator", "image": "vllm/vllm-tpu:v0.12.0"}},
        "modelServer.image",
        '"vllm/vllm-tpu:v0.12.0"',
        "does nothing with backend simulator",
        stack="dev",
    ),
    Bad(
        "download timeout on the simulator",
        {"modelServer": {"namespace": "inference", "backend": "simulator", "downloadTimeoutMinutes": 30}},
        "modelServer.downloadTimeoutMinutes",
        "30",
        "does nothing with backend simulator",
        stack="dev",
    ),
    Bad(
        "simulator image on TPU",
        {"modelServer": {"namespace": "inference", "simulatorImage": "ghcr.io/llm-d/llm-d-inference-sim:v0.7.1"}},
        "modelServer.simulatorImage",
        '"ghcr.io/llm-d/llm-d-inference-sim:v0.7.1"',
        "use backend: simulator",
    ),
    Bad(
        "tensor parallelism on the simulator",
        {"model": {"tensorParallelSize": 4}},
        "model.tensorParallelSize",
        "4",
        "does nothing with backend simulator",
        stack="dev",
    ),
    Bad(
        "model revision on the simulator",
        {"model": {"revision": "main"}},
        "model.revision",
        '"main"',
        "no weights are downloaded",
        stack="dev",
    ),
    Bad(
        "download attempt on the simulator",
        {"modelStore": {"layout": "single", "location": "US", "forceDestroy": True, "downloadAttempt": 1}},
        "modelStore.downloadAttempt",
        "1",
        "no weights are downloaded",
        stack="dev",
    ),
]

TEXT = [
    Bad(
        "image cache given as a disk, not a disk image",
        {
            "accelerator": {
                "machineType": "ct6e-standard-4t",
                "topology": "2x2",
                "nodesPerPool": 1,
                "maxNodes": 2,
                "imageCacheDiskImage": "zones/us-east5-b/disks/vllm-cache",
            }
        },
        "accelerator.imageCacheDiskImage",
        '"zones/us-east5-b/disks/vllm-cache"',
        "write global/images/NAME",
    ),
    Bad(
        "model revision that climbs out of the repository",
        {"model": {"id": "google/gemma-3-27b-it", "tensorParallelSize": 4, "revision": "../main"}},
        "model.revision",
        '"../main"',
        "a 40-character commit hash",
    ),
    Bad(
        "region name with a trailing newline",
        {"regions": with_region(name="europe-west4\n")},
        "regions[0].name",
        '"europe-west4\\n"',
        "did you mean 'europe-west4'?",
    ),
    Bad(
        "GKE version with a trailing newline",
        {"gkeVersion": "1.35\n"},
        "gkeVersion",
        '"1.35\\n"',
        "is not a GKE version",
    ),
    Bad(
        "image tag with a trailing newline",
        {"modelServer": {"namespace": "inference", "image": "vllm/vllm-tpu:v0.12.0\n"}},
        "modelServer.image",
        '"vllm/vllm-tpu:v0.12.0\\n"',
        "is not a container image reference",
    ),
    Bad(
        "KMS key with a trailing newline",
        {
            "secretsEncryptionKeys": {
                "europe-west4": "projects/p-123456/locations/europe-west4/keyRings/r/cryptoKeys/k\n",
                "us-east5": "projects/p-123456/locations/us-east5/keyRings/r/cryptoKeys/k",
            }
        },
        "secretsEncryptionKeys.europe-west4",
        '"projects/p-123456/locations/europe-west4/keyRings/r/cryptoKeys/k\\n"',
        "is not a Cloud KMS key id",
    ),
    Bad(
        "full-width digits",
        {"modelServer": {"namespace": "inference", "maxModelLen": "８１９２"}},
        "modelServer.maxModelLen",
        '"８１９２"',
        "must be a whole number",
    ),
    Bad(
        "Arabic-Indic digits",
        {"gateway": {"timeoutSec": "١٠٠"}},
        "gateway.timeoutSec",
        '"١٠٠"',
        "must be a whole number",
    ),
    Bad(
        "non-ASCII letter in a namespace",
        {"modelServer": {"namespace": "inférence"}},
        "modelServer.namespace",
        '"inférence"',
        "RFC 1123 label",
    ),
    Bad(
        "non-ASCII letter in a model id",
        {"model": {"id": "google/gemma-3-27b-ït"}},
        "model.id",
        '"google/gemma-3-27b-ït"',
        "is not a Hugging Face repository id",
    ),
    Bad(
        "Cyrillic letter in a region",
        {"regions": with_region(name="\u0435urope-west4")},
        "regions[0].name",
        '"еurope-west4"',
        "is not a Google Cloud region",
    ),
    Bad(
        "model id with a double hyphen",
        {"model": {"id": "google/gemma--3"}},
        "model.id",
        '"google/gemma--3"',
        "is not a Hugging Face repository id",
    ),
    Bad(
        "a YAML null for a name",
        {"modelServer": {"namespace": "inference", "name": None}},
        "modelServer.name",
        "null",
        'remove the key to use the default ("vllm-gemma")',
    ),
    Bad(
        "a YAML null for a number",
        {"gateway": {"healthCheck": {"intervalSec": None}}},
        "gateway.healthCheck.intervalSec",
        "null",
        "has no value (a YAML null)",
    ),
    Bad(
        "a YAML null for a region's zone",
        {"regions": with_region(zone=None)},
        "regions[0].zone",
        "null",
        "has no value (a YAML null)",
    ),
    Bad("empty prefix", {"prefix": ""}, "prefix", '""', "is empty"),
    Bad(
        "boolean in capitals",
        {"accelerator": {"spot": "True"}},
        "accelerator.spot",
        '"True"',
        "set accelerator.spot to true or false",
    ),
    Bad(
        "served name with a space",
        {"model": {"servedName": "gemma 3"}},
        "model.servedName",
        '"gemma 3"',
        "is not a model name clients can send",
    ),
    Bad(
        "served name with a quote",
        {"model": {"servedName": "it's"}},
        "model.servedName",
        '"it\'s"',
        "is not a model name clients can send",
    ),
    Bad(
        "CPU in scientific notation",
        {"inferencePool": {"endpointPicker": {"cpuRequest": "1e3"}}},
        "inferencePool.endpointPicker.cpuRequest",
        '"1e3"',
        "is 1,000 cores",
    ),
    Bad(
        "memory in decimal gigabytes",
        {"inferencePool": {"endpointPicker": {"memoryRequest": "8GB"}}},
        "inferencePool.endpointPicker.memoryRequest",
        '"8GB"',
        "is not a Kubernetes quantity",
    ),
    Bad(
        "EPP CPU not a quantity",
        {"inferencePool": {"endpointPicker": {"cpuRequest": "four"}}},
        "inferencePool.endpointPicker.cpuRequest",
        '"four"',
        'e.g. "2" or "500m"',
    ),
    Bad(
        "EPP memory without a unit",
        {"inferencePool": {"endpointPicker": {"memoryRequest": "8"}}},
        "inferencePool.endpointPicker.memoryRequest",
        '"8"',
        "is 8 bytes (a quantity without a suffix counts bytes",
    ),
    Bad("huge text", {"model": {"id": LONG}}, "model.id", f'"{LONG[:118]}…', "is 2000 characters long, at most 200"),
    Bad(
        "huge number",
        {"modelServer": {"namespace": "inference", "maxModelLen": 10**30}},
        "modelServer.maxModelLen",
        str(10**30),
        "must be in 256..131072",
    ),
    Bad(
        "fraction where a count is meant",
        {"modelServer": {"namespace": "inference", "replicas": 1.5}, "autoscaling": {"enabled": False}},
        "modelServer.replicas",
        "1.5",
        "must be a whole number",
    ),
    Bad(
        "wrong type: regions as text",
        {"regions": "europe-west4"},
        "regions",
        '"europe-west4"',
        "must be a non-empty list",
    ),
    Bad("wrong type: MTU as text", {"network": {"mtu": "jumbo"}}, "network.mtu", '"jumbo"', "must be a whole number"),
    Bad("wrong type: spot as text", {"accelerator": {"spot": "yes"}}, "accelerator.spot", '"yes"', "true or false"),
    Bad("wrong type: dry run", {"gateway": {"dryRun": "maybe"}}, "gateway.dryRun", '"maybe"', "true or false"),
    Bad("wrong type: labels as a list", {"labels": ["team"]}, "labels", '["team"]', "write labels as a YAML mapping"),
    Bad(
        "wrong type: a region as text",
        {"regions": ["europe-west4"]},
        "regions[0]",
        '"europe-west4"',
        "give name, zone, nodeCidr and proxyCidr",
    ),
    Bad("empty model id", {"model": {"id": ""}}, "model.id", '""', "is empty"),
    Bad("no regions", {"regions": []}, "regions", "[]", "list at least one region"),
    Bad(
        "missing zone",
        {"regions": [{k: v for k, v in prod_regions()[0].items() if k != "zone"}], "configRegion": "europe-west4"},
        "regions[0].zone",
        "(not set)",
        "set the zone that has TPU v6e capacity",
    ),
    Bad(
        "missing node range",
        {"regions": [{k: v for k, v in prod_regions()[0].items() if k != "nodeCidr"}], "configRegion": "europe-west4"},
        "regions[0].nodeCidr",
        "(not set)",
        "set a private CIDR range",
    ),
    Bad(
        "GKE version as a word",
        {"gkeVersion": "latest"},
        "gkeVersion",
        '"latest"',
        "write a minor version such as 1.35",
    ),
    Bad(
        "negative download attempt",
        {"modelStore": {"downloadAttempt": -1}},
        "modelStore.downloadAttempt",
        "-1",
        "raise it by one to run the weights download again",
    ),
]

COMBINATIONS = [
    Bad(
        "GKE minor before managed DRANET",
        {"gkeVersion": "1.34"},
        "gkeVersion",
        '"1.34"',
        "first version with managed DRANET",
    ),
    Bad(
        "GKE patch before managed DRANET",
        {"gkeVersion": "1.34.1-gke.1127000"},
        "gkeVersion",
        '"1.34.1-gke.1127000"',
        "remove it to take the channel's default",
    ),
    Bad("release channel", {"releaseChannel": "NIGHTLY"}, "releaseChannel", '"NIGHTLY"', "choose one of RAPID"),
    Bad(
        "tensor parallel size != chips",
        {"model": {"tensorParallelSize": 8}},
        "model.tensorParallelSize",
        "8",
        "set tensorParallelSize to 4",
    ),
    Bad(
        "spot and reservation",
        {"accelerator": {"spot": True, "reservation": "tpu-res"}},
        "accelerator.reservation",
        '"tpu-res"',
        "use either Spot capacity or a reservation",
    ),
    Bad(
        "more replicas than TPU slices",
        {"modelServer": {"namespace": "inference", "replicas": 3}, "autoscaling": {"enabled": False}},
        "modelServer.replicas",
        "3",
        "each replica takes a whole TPU slice",
    ),
    Bad(
        "negative replicas",
        {"modelServer": {"namespace": "inference", "replicas": -1}, "autoscaling": {"enabled": False}},
        "modelServer.replicas",
        "-1",
        "use 0..2",
    ),
    Bad(
        "TPU backend without an accelerator",
        {"accelerator": None},
        "modelServer.backend",
        '"vllm-tpu"',
        "or use backend: simulator",
    ),
    Bad(
        "simulator with a TPU pool",
        {"modelServer": {"namespace": "inference", "backend": "simulator"}},
        "accelerator",
        '{"machineType": "ct6e-standard-4t", "topology": "2x2", "nodesPerPool": 1, "maxNodes": 2, "spot": false}',
        "remove accelerator",
    ),
    Bad(
        "unknown backend",
        {"modelServer": {"backend": "gpu"}},
        "modelServer.backend",
        '"gpu"',
        "choose one of vllm-tpu, simulator",
    ),
    Bad(
        "EPP memory limit under its request",
        {"inferencePool": {"endpointPicker": {"memoryRequest": "8Gi", "memoryLimit": "4Gi"}}},
        "inferencePool.endpointPicker.memoryLimit",
        '"4Gi"',
        "set memoryLimit >= memoryRequest",
    ),
    Bad(
        "EPP resources on a chart without them",
        {"inferencePool": {"chartVersion": "v1.1.0", "endpointPicker": {"cpuRequest": "1"}}},
        "inferencePool.endpointPicker",
        '{"cpuRequest": "1"}',
        "use chartVersion v1.5.0",
    ),
    Bad(
        "chart version without its CRD",
        {"inferencePool": {"chartVersion": "v1.2.0"}},
        "inferencePool.chartVersion",
        '"v1.2.0"',
        "choose one of v1.5.0, v1.1.0",
    ),
    Bad(
        "health-check timeout above interval",
        {"gateway": {"healthCheck": {"intervalSec": 5, "timeoutSec": 10}}},
        "gateway.healthCheck.timeoutSec",
        "10",
        "set timeoutSec <= intervalSec",
    ),
    Bad(
        "health-check timeout of five seconds over the default interval",
        {"gateway": {"healthCheck": {"timeoutSec": 5}}},
        "gateway.healthCheck.timeoutSec",
        "5",
        "is longer than intervalSec (2)",
    ),
    Bad(
        "health check that never takes a backend out",
        {"gateway": {"healthCheck": {"unhealthyThreshold": 0}}},
        "gateway.healthCheck.unhealthyThreshold",
        "0",
        "must be in 1..10",
    ),
    Bad(
        "utilization over 100 percent",
        {"gateway": {"maxUtilizationPercent": 150}},
        "gateway.maxUtilizationPercent",
        "150",
        "a percentage of KV-cache use",
    ),
    Bad(
        "utilization of 0 percent",
        {"gateway": {"maxUtilizationPercent": 0}},
        "gateway.maxUtilizationPercent",
        "0",
        "a percentage of KV-cache use",
    ),
    Bad(
        "production without deletion protection",
        {"deletionProtection": False},
        "deletionProtection",
        "false",
        "set production to false first",
    ),
    Bad(
        "production without protected weights",
        {"modelStore": {"protect": False}},
        "modelStore.protect",
        "false",
        "keep the weights protected",
    ),
    Bad(
        "production with force-destroyed weights",
        {"modelStore": {"forceDestroy": True}},
        "modelStore.forceDestroy",
        "true",
        "set production to false first",
    ),
    Bad(
        "encryption key for a region not listed",
        {
            "secretsEncryptionKeys": {
                **KEYS,
                "asia-east1": "projects/p-123456/locations/asia-east1/keyRings/r/cryptoKeys/k",
            }
        },
        "secretsEncryptionKeys.asia-east1",
        '"projects/p-123456/locations/asia-east1/keyRings/r/cryptoKeys/k"',
        "use one of europe-west4, us-east5",
    ),
    Bad(
        "encryption key in another region",
        {
            "secretsEncryptionKeys": {
                "europe-west4": "projects/p-123456/locations/us-east5/keyRings/r/cryptoKeys/k",
                "us-east5": "projects/p-123456/locations/us-east5/keyRings/r/cryptoKeys/k",
            }
        },
        "secretsEncryptionKeys.europe-west4",
        '"projects/p-123456/locations/us-east5/keyRings/r/cryptoKeys/k"',
        "in the cluster's own region",
    ),
    Bad(
        "image tagged latest",
        {"modelServer": {"namespace": "inference", "image": "vllm/vllm-tpu:latest"}},
        "modelServer.image",
        '"vllm/vllm-tpu:latest"',
        "is tagged latest, which moves",
    ),
    Bad(
        "untagged downloader image",
        {"modelServer": {"namespace": "inference", "downloaderImage": "vllm/vllm-tpu"}},
        "modelServer.downloaderImage",
        '"vllm/vllm-tpu"',
        "names no tag or digest",
    ),
    Bad(
        "token in plain text",
        {"hfToken": "hf_PlainTextTokenValue"},
        "hfToken",
        '"[not shown]"',
        "pulumi config set --secret hfToken",
    ),
    Bad(
        "image cache disk without image streaming",
        {
            "accelerator": {
                "machineType": "ct6e-standard-4t",
                "topology": "2x2",
                "nodesPerPool": 1,
                "maxNodes": 2,
                "imageCacheDiskImage": "global/images/vllm-tpu-v0-12-0",
                "imageStreaming": False,
            }
        },
        "accelerator.imageStreaming",
        "false",
        "set accelerator.imageStreaming: true",
    ),
]

# Gateway mode istio (Istio's guide), on the program's GKE (prod, dev) or on an existing cluster (istio).
ISTIO_ON_DEV = {"gateway": {"mode": "istio"}, "autoscaling": None, "inferencePool": None, "modelStore": None}
GKE_MODES_ONLY = {"autoscaling": None, "inferencePool": None, "modelStore": None, "observability": None, "fleet": None}
ISTIO = [
    Bad("gateway mode typo", {"gateway": {"mode": "istoi"}}, "gateway.mode", '"istoi"', "did you mean 'istio'?"),
    Bad("project missing", {"project": None}, "project", "(not set)", "pulumi config set project"),
    Bad(
        "istio settings without istio mode",
        {"istio": {"version": "1.29.6"}},
        "istio",
        '{"version": "1.29.6"}',
        "unless gateway.mode is istio",
        stack="dev",
    ),
    Bad(
        "istio mode with the TPU backend",
        {"gateway": {"mode": "istio"}, **GKE_MODES_ONLY},
        "modelServer.backend",
        '"vllm-tpu"',
        "runs the guide's vLLM simulator",
    ),
    Bad(
        "istio mode with autoscaling",
        ISTIO_ON_DEV | {"autoscaling": {"enabled": True}},
        "autoscaling.enabled",
        "true",
        "gateway mode istio does not create",
        stack="dev",
    ),
    Bad(
        "istio CRDs on GKE",
        ISTIO_ON_DEV | {"istio": {"installCrds": True}},
        "istio.installCrds",
        "true",
        "GKE manages the Gateway API and InferencePool CRDs",
        stack="dev",
    ),
    Bad(
        "GKE gateway key in istio mode",
        ISTIO_ON_DEV | {"fleet": {"manageFeatures": False}},
        "fleet",
        '{"manageFeatures": false}',
        "which gateway mode istio does not build",
        stack="dev",
    ),
    Bad("istio version range", {"istio": {"version": "1.29"}}, "istio.version", '"1.29"', "not an exact", "istio"),
    Bad(
        "istio version latest", {"istio": {"version": "latest"}}, "istio.version", '"latest"', "pin a release", "istio"
    ),
    Bad(
        "istio version not vendored",
        {"istio": {"version": "1.28.0"}},
        "istio.version",
        '"1.28.0"',
        "no vendored charts",
        "istio",
    ),
    Bad(
        "unknown scorer",
        {"istio": {"scorers": {"queue-scorer": 2, "latency-scorer": 1}}},
        "istio.scorers.latency-scorer",
        "1",
        "is not a scorer the endpoint picker (v1.1.0) registers",
        "istio",
    ),
    Bad(
        "misspelt scorer",
        {"istio": {"scorers": {"prefix-cache-scorers": 3}}},
        "istio.scorers.prefix-cache-scorers",
        "3",
        "did you mean 'prefix-cache-scorer'?",
        "istio",
    ),
    Bad(
        "zero scorer weight",
        {"istio": {"scorers": {"queue-scorer": 0}}},
        "istio.scorers.queue-scorer",
        "0",
        "a positive whole weight",
        "istio",
    ),
    Bad(
        "negative scorer weight",
        {"istio": {"scorers": {"kv-cache-utilization-scorer": -2}}},
        "istio.scorers.kv-cache-utilization-scorer",
        "-2",
        "must be in 1..1000",
        "istio",
    ),
    Bad(
        "fractional scorer weight",
        {"istio": {"scorers": {"prefix-cache-scorer": 1.5}}},
        "istio.scorers.prefix-cache-scorer",
        "1.5",
        "must be a whole number",
        "istio",
    ),
    Bad("no scorer", {"istio": {"scorers": {}}}, "istio.scorers", "{}", "pick at random", "istio"),
    Bad(
        "kube context missing",
        {"existingCluster": {}},
        "existingCluster.kubeContext",
        "(not set)",
        "kubectl config get-contexts",
        "istio",
    ),
    Bad(
        "kube context empty",
        {"existingCluster": {"kubeContext": ""}},
        "existingCluster.kubeContext",
        '""',
        "is empty",
        "istio",
    ),
    Bad(
        "existing cluster in another gateway mode",
        {"gateway": {"mode": "multi-cluster"}},
        "gateway.mode",
        '"multi-cluster"',
        "must be istio on an existing cluster",
        "istio",
    ),
    Bad(
        "GCP key on an existing cluster",
        {"regions": [{"name": "us-east5", "zone": "us-east5-b"}]},
        "regions",
        '[{"name": "us-east5", "zone": "us-east5-b"}]',
        "does nothing on an existing cluster",
        "istio",
    ),
    Bad(
        "istio load balancer typo",
        ISTIO_ON_DEV | {"istio": {"loadBalancer": "internl"}},
        "istio.loadBalancer",
        '"internl"',
        "did you mean 'internal'?",
        stack="dev",
    ),
    Bad(
        "istio load balancer on an existing cluster",
        {"istio": {"loadBalancer": "internal"}},
        "istio.loadBalancer",
        '"internal"',
        "chooses a GKE load balancer",
        "istio",
    ),
    Bad(
        "unknown istio key",
        {"istio": {"revision": "canary"}},
        "istio.revision",
        '"canary"',
        "is not a known key",
        "istio",
    ),
]

ARMOR = {"enabled": True, "location": "us-central1"}
APIGEE = {"enabled": True, "organization": "my-apigee-org", "environment": "inference"}
NEW_APIGEE = {"enabled": True, "environment": "inference"}  # guards.apigee.create names the organization
CREATE_APIGEE = {"billingType": "PAYG", "hostnames": ["llm.example.com"]}
PEERED = {**CREATE_APIGEE, "network": "peering"}
GUARDS = [
    Bad(
        "Model Armor where it does not run",
        {"guards": {"modelArmor": {"enabled": True, "location": "us-east5"}}},
        "guards.modelArmor.location",
        '"us-east5"',
        "choose one of asia-southeast1",
    ),
    Bad(
        "Model Armor in a multi-region",
        {"guards": {"modelArmor": {"enabled": True, "location": "us"}}},
        "guards.modelArmor.location",
        '"us"',
        "is a multi-region of Model Armor, and the Gateway's callout names a regional endpoint",
    ),
    Bad(
        "Model Armor without a location",
        {"guards": {"modelArmor": {"enabled": True}}},
        "guards.modelArmor.location",
        "(not set)",
        "set guards.modelArmor.location",
    ),
    Bad(
        "Model Armor template id in capitals",
        {"guards": {"modelArmor": {**ARMOR, "templateId": "LLM"}}},
        "guards.modelArmor.templateId",
        '"LLM"',
        "lowercase",
    ),
    Bad(
        "Model Armor on the cross-region Gateway",
        {"guards": {"modelArmor": ARMOR}},
        "guards.modelArmor.enabled",
        "true",
        "gateway.mode: single-cluster",
    ),
    Bad(
        "Apigee on the cross-region Gateway",
        {"guards": {"apigee": APIGEE}},
        "guards.apigee.enabled",
        "true",
        "gateway.className one of gke-l7-regional-external-managed, gke-l7-rilb",
    ),
    Bad(
        "Apigee without an organization",
        {"guards": {"apigee": {"enabled": True, "environment": "inference"}}},
        "guards.apigee.organization",
        "(not set)",
        "an existing Apigee organization",
    ),
    Bad(
        "Apigee without an environment",
        {"guards": {"apigee": {"enabled": True, "organization": "my-apigee-org"}}},
        "guards.apigee.environment",
        "(not set)",
        "attached to an instance in the Gateway's region",
    ),
    Bad(
        "Apigee charts unpinned",
        {"guards": {"apigee": {**APIGEE, "chartVersion": "latest"}}},
        "guards.apigee.chartVersion",
        '"latest"',
        "1.1.1",
    ),
    Bad(
        "a misspelt guard",
        {"guards": {"modelArmour": ARMOR}},
        "guards.modelArmour",
        '{"enabled": true, "location": "us-central1"}',
        "did you mean 'guards.modelArmor'?",
    ),
    Bad(
        "Apigee organization created without a billing type",
        {"guards": {"apigee": {**NEW_APIGEE, "create": {"hostnames": ["llm.example.com"]}}}},
        "guards.apigee.create.billingType",
        "(not set)",
        "choose one of EVALUATION, PAYG, SUBSCRIPTION",
        "guarded",
    ),
    Bad(
        "Apigee evaluation organization in production",
        {
            "guards": {"apigee": {**NEW_APIGEE, "create": {**CREATE_APIGEE, "billingType": "EVALUATION"}}},
            "production": True,
            "deletionProtection": True,
            "modelStore": {"forceDestroy": False, "protect": True},
        },
        "guards.apigee.create.billingType",
        '"EVALUATION"',
        "expires after 60 days",
        "guarded",
    ),
    Bad(
        "Apigee Base environment for the extension processor",
        {"guards": {"apigee": {**NEW_APIGEE, "create": {**CREATE_APIGEE, "environmentType": "BASE"}}}},
        "guards.apigee.create.environmentType",
        '"BASE"',
        "choose one of INTERMEDIATE, COMPREHENSIVE",
        "guarded",
    ),
    Bad(
        "Apigee environment type of a subscription organization",
        {
            "guards": {
                "apigee": {
                    **NEW_APIGEE,
                    "create": {**CREATE_APIGEE, "billingType": "SUBSCRIPTION", "environmentType": "INTERMEDIATE"},
                }
            }
        },
        "guards.apigee.create.environmentType",
        '"INTERMEDIATE"',
        "set billingType: PAYG",
        "guarded",
    ),
    Bad(
        "Apigee organization created in another project",
        {"guards": {"apigee": {**NEW_APIGEE, "organization": "my-apigee-org", "create": CREATE_APIGEE}}},
        "guards.apigee.organization",
        '"my-apigee-org"',
        "an Apigee organization is named after the project",
        "guarded",
    ),
    Bad(
        "Apigee group hostname with an underscore",
        {"guards": {"apigee": {**NEW_APIGEE, "create": {**CREATE_APIGEE, "hostnames": ["llm_api.example.com"]}}}},
        "guards.apigee.create.hostnames",
        '["llm_api.example.com"]',
        "not a lowercase DNS name",
        "guarded",
    ),
    Bad(
        "Apigee group without hostnames",
        {"guards": {"apigee": {**NEW_APIGEE, "create": {"billingType": "PAYG", "hostnames": []}}}},
        "guards.apigee.create.hostnames",
        "[]",
        "must be a non-empty list of hostnames",
        "guarded",
    ),
    Bad(
        "Apigee analytics in a zone",
        {"guards": {"apigee": {**NEW_APIGEE, "create": {**CREATE_APIGEE, "analyticsRegion": "us-central1-b"}}}},
        "guards.apigee.create.analyticsRegion",
        '"us-central1-b"',
        "is a zone of us-central1, not a region",
        "guarded",
    ),
    Bad(
        "Apigee peering without a range",
        {"guards": {"apigee": {**NEW_APIGEE, "create": {**CREATE_APIGEE, "network": "peering"}}}},
        "guards.apigee.create.peeringRange",
        "(not set)",
        "reserve a private /21 or larger",
        "guarded",
    ),
    Bad(
        "Apigee peering range smaller than an instance",
        {"guards": {"apigee": {**NEW_APIGEE, "create": {**PEERED, "peeringRange": "10.50.0.0/24"}}}},
        "guards.apigee.create.peeringRange",
        '"10.50.0.0/24"',
        "an Apigee instance takes a /22",
        "guarded",
    ),
    Bad(
        "Apigee peering range without room for the support range",
        {"guards": {"apigee": {**NEW_APIGEE, "create": {**PEERED, "peeringRange": "10.50.0.0/22"}}}},
        "guards.apigee.create.peeringRange",
        '"10.50.0.0/22"',
        "a /28 more",
        "guarded",
    ),
    Bad(
        "Apigee peering range over the node subnet",
        {"guards": {"apigee": {**NEW_APIGEE, "create": {**PEERED, "peeringRange": "10.10.0.0/21"}}}},
        "guards.apigee.create.peeringRange",
        '"10.10.0.0/21"',
        "overlaps regions[0].nodeCidr (10.10.3.0/24)",
        "guarded",
    ),
    Bad(
        "Apigee peering range without peering",
        {"guards": {"apigee": {**NEW_APIGEE, "create": {**CREATE_APIGEE, "peeringRange": "10.50.0.0/21"}}}},
        "guards.apigee.create.peeringRange",
        '"10.50.0.0/21"',
        "set network: peering",
        "guarded",
    ),
    Bad(
        "Apigee outside the default namespace",
        {"modelServer": {"namespace": "inference", "backend": "simulator"}},
        "guards.apigee.enabled",
        "true",
        "set modelServer.namespace: default",
        "guarded",
    ),
    Bad(
        "guarded Gateway name with a dot",
        {"gateway": {"name": "inference.gateway", "mode": "single-cluster", "className": "gke-l7-rilb"}},
        "gateway.name",
        '"inference.gateway"',
        "extensionChains[].name",
        "guarded",
    ),
    Bad(
        "guarded Gateway name too long for its chain",
        {"gateway": {"name": "g" * 52, "mode": "single-cluster", "className": "gke-l7-rilb"}},
        "gateway.name",
        '"' + "g" * 52 + '"',
        "at most 51 characters",
        "guarded",
    ),
    Bad(
        "project grants decided without Model Armor",
        {"guards": {"apigee": APIGEE, "manageProjectGrants": False}},
        "guards.manageProjectGrants",
        "false",
        "turn guards.modelArmor on",
        "guarded",
    ),
]

# The Gateway modes (inference/configuration/gateway.py), on dev: single-cluster needs one region.
ONE_REGION = {
    "regions": [{"name": "us-east5", "zone": "us-east5-b", "nodeCidr": "10.10.2.0/24", "proxyCidr": "10.11.2.0/24"}]
}
SINGLE = {"mode": "single-cluster"}

GATEWAY_MODES = [
    Bad("unknown gateway mode", {"gateway": {"mode": "single"}}, "gateway.mode", '"single"', "did you mean", "dev"),
    Bad(
        "single-cluster Gateway over two regions",
        {"gateway": SINGLE},
        "regions",
        '["europe-west4", "us-east5"]',
        "list one region",
        "dev",
    ),
    Bad(
        "single-cluster Gateway of a global class",
        {**ONE_REGION, "gateway": {**SINGLE, "className": "gke-l7-global-external-managed"}},
        "gateway.className",
        '"gke-l7-global-external-managed"',
        "choose one of gke-l7-regional-external-managed, gke-l7-rilb",
        "dev",
    ),
    Bad(
        "multi-cluster Gateway of a single-cluster class",
        {"gateway": {"className": "gke-l7-rilb"}},
        "gateway.className",
        '"gke-l7-rilb"',
        "set gateway.mode: single-cluster",
        "dev",
    ),
    Bad(
        "health check of the multi-cluster Gateway in single-cluster mode",
        {**ONE_REGION, "gateway": {**SINGLE, "healthCheck": {"intervalSec": 5}}},
        "gateway.healthCheck",
        '{"intervalSec": 5}',
        "chart's own policies target the InferencePool",
        "dev",
    ),
    Bad(
        "fleet features in single-cluster mode",
        {**ONE_REGION, "gateway": SINGLE, "fleet": {"manageFeatures": False}},
        "fleet.manageFeatures",
        "false",
        "set gateway.mode: multi-cluster",
        "dev",
    ),
    Bad(
        "error metric in single-cluster mode",
        {**ONE_REGION, "gateway": SINGLE, "observability": {"errorMetric": True}},
        "observability.errorMetric",
        "true",
        "multi-cluster Gateway's load-balancer logs",
        "dev",
    ),
]


def migration(**changes) -> dict:
    """The migration stack's `migration` section with `changes`."""
    return {"migration": {**stack_settings("migration")["migration"], **changes}}


MIGRATIONS = [
    Bad(
        "unknown migration phase",
        migration(phase="finish"),
        "migration.phase",
        '"finish"',
        "choose one of alpha",
        "migration",
    ),
    Bad(
        "negative migration weight",
        migration(phase="split", weights={"alpha": -10, "v1": 110}),
        "migration.weights.alpha",
        "-10",
        "must be in 0..1000000",
        "migration",
    ),
    Bad(
        "migration weights that sum to zero",
        migration(phase="split", weights={"alpha": 0, "v1": 0}),
        "migration.weights",
        '{"alpha": 0, "v1": 0}',
        "sum to zero",
        "migration",
    ),
    Bad(
        "migration on the multi-cluster Gateway",
        {"migration": stack_settings("migration")["migration"]},
        "migration.phase",
        '"alpha"',
        "set gateway.mode: single-cluster",
        "dev",
    ),
    Bad(
        "one migration weight alone",
        migration(phase="split", weights={"alpha": 90}),
        "migration.weights.v1",
        "(not set)",
        "set both migration.weights.alpha and migration.weights.v1",
        "migration",
    ),
    Bad(
        "clean-up while the route still sends to the alpha pool",
        migration(phase="cleanup", weights={"alpha": 50, "v1": 50}),
        "migration.weights",
        '{"alpha": 50, "v1": 50}',
        "which cleanup deletes",
        "migration",
    ),
    Bad(
        "weights in a phase that sets them",
        migration(phase="side-by-side", weights={"alpha": 50, "v1": 50}),
        "migration.weights",
        '{"alpha": 50, "v1": 50}',
        "or set phase: split",
        "migration",
    ),
    Bad(
        "split on the simple path",
        migration(phase="split", path="simple"),
        "migration.phase",
        '"split"',
        "goes from alpha to cleanup in one `pulumi up`",
        "migration",
    ),
    Bad(
        "alpha pool named like the v1 pool",
        migration(legacy={"poolName": "vllm-llama3-8b-instruct-ga"}),
        "migration.legacy.poolName",
        '"vllm-llama3-8b-instruct-ga"',
        "need their own names",
        "migration",
    ),
    Bad(
        "model without a name",
        migration(models=[{"modelName": "food-review", "priority": 2}]),
        "migration.models[0].name",
        "(not set)",
        "migration.models[0].name",
        "migration",
    ),
    Bad(
        "unknown criticality",
        migration(models=[{"name": "food-review", "modelName": "food-review", "criticality": "Urgent"}]),
        "migration.models[0].criticality",
        '"Urgent"',
        "choose one of Critical, Standard, Sheddable",
        "migration",
    ),
    Bad(
        "pool objective during a migration",
        {"inferencePool": {"name": "vllm-llama3-8b-instruct-ga", "objectiveName": "food-review"}},
        "inferencePool.objectiveName",
        '"food-review"',
        "come from migration.models",
        "migration",
    ),
    Bad(
        "autoscaling before the v1 pool exists",
        {**migration(phase="alpha"), "autoscaling": {"enabled": True, "minReplicas": 1, "maxReplicas": 2}},
        "autoscaling.enabled",
        "true",
        "phase alpha has no v1 pool yet",
        "migration",
    ),
]

# Issue 26: the values each API defines (a quantity, an image reference, a git ref, a reservation, a region), names
# the charts derive, credentials in plain text, and weights that cannot fit a slice's HBM, in every section.
ONE_CHIP = {"machineType": "ct6e-standard-1t", "topology": "1x1", "nodesPerPool": 1, "maxNodes": 2, "spot": False}
FOUR_CHIPS = {"machineType": "ct6e-standard-4t", "topology": "2x2", "nodesPerPool": 1, "maxNodes": 2, "spot": False}
KUBECONFIG_SET = {"kubeconfig": {"secure": "v1:set-outside-the-repository"}}
POOL_40 = "vllm-llama3-8b-instruct-served-on-tpu-v6e"  # 41 characters: the charts keep the first 40


def epp(**changes) -> dict:
    return {"inferencePool": {"endpointPicker": {**SMALL_EPP["endpointPicker"], **changes}}}


def apigee_in(region: str, zone: str, **create) -> dict:
    """The guarded stack creating its Apigee organization, with its one region moved to `region`."""
    regions = [{**stack_settings("guarded")["regions"][0], "name": region, "zone": zone}]
    apigee = {**NEW_APIGEE, "create": {**CREATE_APIGEE, **create}}
    return {"regions": regions, "guards": {"modelArmor": {"enabled": False}, "apigee": apigee}}


QUANTITIES = [
    Bad("CPU in mega, not milli", epp(cpuRequest="500M"), "inferencePool.endpointPicker.cpuRequest", '"500M"',
        "is 500,000,000 cores (M is mega"),
    Bad("CPU finer than a millicore", epp(cpuRequest="0.0001"), "inferencePool.endpointPicker.cpuRequest",
        '"0.0001"', "finer than 1m"),
    Bad("negative memory", epp(memoryRequest="-1Gi"), "inferencePool.endpointPicker.memoryRequest", '"-1Gi"',
        "is negative"),
    Bad("memory in millibytes", epp(memoryLimit="512m"), "inferencePool.endpointPicker.memoryLimit", '"512m"',
        "m is thousandths"),
    Bad("memory beyond any machine", epp(memoryLimit="2Pi"), "inferencePool.endpointPicker.memoryLimit", '"2Pi"',
        "no machine type the checks know has more than"),
    Bad("quantity of 36 digits", epp(cpuRequest="0." + "0" * 33 + "1"), "inferencePool.endpointPicker.cpuRequest",
        '"0.' + "0" * 33 + '1"', "is 36 characters long, at most 32"),
    Bad("quantity with a space", epp(cpuRequest="500 m"), "inferencePool.endpointPicker.cpuRequest", '"500 m"',
        "is not a Kubernetes quantity"),
    Bad("memory in binary exa", epp(memoryLimit="1Ei"), "inferencePool.endpointPicker.memoryLimit", '"1Ei"',
        "no machine type the checks know has more than"),
    Bad("CPU in binary exa", epp(cpuRequest="2Ei"), "inferencePool.endpointPicker.cpuRequest", '"2Ei"',
        "is 2.305843009e+18 cores"),
    Bad("CPU past a float", epp(cpuRequest="1e400"), "inferencePool.endpointPicker.cpuRequest", '"1e400"',
        "is 1.000000000e+400 cores"),
    Bad("memory past a float", epp(memoryRequest="1e400"), "inferencePool.endpointPicker.memoryRequest", '"1e400"',
        "no machine type the checks know has more than"),
    Bad("model server memory over its node", {"modelServer": {"memoryLimit": "800Gi"}}, "modelServer.memoryLimit",
        '"800Gi"', "is more than one ct6e-standard-4t node leaves the model server"),
    Bad("model server memory below its request", {"modelServer": {"memoryLimit": "8Gi"}}, "modelServer.memoryLimit",
        '"8Gi"', "is below the model server's memory request (64Gi)"),
    Bad("model server memory on the simulator", {"modelServer": {"backend": "simulator", "memoryLimit": "8Gi"}},
        "modelServer.memoryLimit",
        '"8Gi"', "does nothing with backend simulator", "dev"),
]  # fmt: skip

IMAGES = [
    Bad("image with a space", {"modelServer": {"namespace": "inference", "image": "vllm/vllm-tpu: v0.12.0"}},
        "modelServer.image", '"vllm/vllm-tpu: v0.12.0"', "is not a container image reference"),
    Bad("image in capitals", {"modelServer": {"namespace": "inference", "image": "VLLM/vllm-tpu:v0.12.0"}},
        "modelServer.image", '"VLLM/vllm-tpu:v0.12.0"', "is not a container image reference"),
    Bad("simulator image with a short digest",
        {"modelServer": {"namespace": "inference", "backend": "simulator",
                         "simulatorImage": "ghcr.io/llm-d/llm-d-inference-sim@sha256:" + "ab" * 16}},
        "modelServer.simulatorImage", f'"ghcr.io/llm-d/llm-d-inference-sim@sha256:{"ab" * 16}"',
        "not sha256: and 64 lowercase hex digits (or sha512", "dev"),
    Bad("downloader image Cloud Run cannot import",
        {"modelServer": {"namespace": "inference", "downloaderImage": "quay.io/vllm/vllm-tpu:v0.12.0"}},
        "modelServer.downloaderImage", '"quay.io/vllm/vllm-tpu:v0.12.0"', "is in the registry quay.io"),
    Bad("vLLM image from a private registry, downloaded by Cloud Run",
        {"modelServer": {"namespace": "inference", "image": "registry.example.com:5000/vllm/vllm-tpu:v0.12.0"}},
        "modelServer.downloaderImage", "(not set)", "takes modelServer.image"),
]  # fmt: skip

REVISIONS_AND_RESERVATIONS = [
    Bad("model revision ending in .lock", {"model": {"id": "google/gemma-3-27b-it", "revision": "v1.lock"}},
        "model.revision", '"v1.lock"', "ends with .lock"),
    Bad("model revision with a space", {"model": {"id": "google/gemma-3-27b-it", "revision": "my branch"}},
        "model.revision", '"my branch"', "holds a space or a control character"),
    Bad("model revision ending in a slash", {"model": {"id": "google/gemma-3-27b-it", "revision": "release/"}},
        "model.revision", '"release/"', "begins or ends with a slash"),
    Bad("model revision with a Kubernetes variable", {"model": {"id": "google/gemma-3-27b-it", "revision": "$(HOME)"}},
        "model.revision", '"$(HOME)"', "which Kubernetes expands"),
    Bad("shared reservation of a malformed project",
        {"accelerator": {**FOUR_CHIPS, "reservation": "projects/Other/reservations/tpu-res"}},
        "accelerator.reservation", '"projects/Other/reservations/tpu-res"', "is not a Google Cloud project ID"),
    Bad("reservation given as a zonal path",
        {"accelerator": {**FOUR_CHIPS, "reservation": "zones/us-east5-b/reservations/tpu-res"}},
        "accelerator.reservation", '"zones/us-east5-b/reservations/tpu-res"', "projects/PROJECT/reservations/NAME"),
]  # fmt: skip

# Issue 22: the capacity ladder's rungs (inference/capacity/config.py), each refused as GKE would or as doing nothing.
OD, SPOT_RUNG = {"kind": "on-demand"}, {"kind": "spot"}
CAPACITY_LADDER = [
    Bad("capacity rung of an unknown kind", {"capacity": {"ladder": [{"kind": "preemptible"}]}},
        "capacity.ladder[0].kind", '"preemptible"', "choose one of reservation, on-demand, flex-start, spot"),
    Bad("capacity rung without a kind", {"capacity": {"ladder": [{}]}}, "capacity.ladder[0].kind", "(not set)",
        "set kind to one of"),
    Bad("capacity ladder empty", {"capacity": {"ladder": []}}, "capacity.ladder", "[]", "must be a list of 1..6"),
    Bad("capacity ladder longer than six rungs", {"capacity": {"ladder": [OD] + [{"kind": "reservation",
        "reservation": f"r{i}"} for i in range(6)]}}, "capacity.ladder",
        '[{"kind": "on-demand"}, {"kind": "reservation", "reservation": "r0"}, {"kind": "reservation", '
        '"reservation": "r1"}, {"k…', "must be a list of 1..6"),
    Bad("capacity rung listed twice", {"capacity": {"ladder": [OD, OD]}}, "capacity.ladder[1].kind", '"on-demand"',
        "list each way to get capacity once"),
    Bad("reservation rung without a name", {"capacity": {"ladder": [{"kind": "reservation"}]}},
        "capacity.ladder[0].reservation", "(not set)", "projects/PROJECT/reservations/NAME"),
    Bad("reservation rung with an uppercase name", {"capacity": {"ladder": [{"kind": "reservation",
        "reservation": "TPU-RES"}]}}, "capacity.ladder[0].reservation", '"TPU-RES"', "name a specific reservation"),
    Bad("reservation rung shared by a malformed project", {"capacity": {"ladder": [{"kind": "reservation",
        "reservation": "projects/Other/reservations/r"}]}}, "capacity.ladder[0].reservation",
        '"projects/Other/reservations/r"', "is not a Google Cloud project ID"),
    Bad("reservation affinity misspelt", {"capacity": {"ladder": [{"kind": "reservation", "reservation": "r",
        "affinity": "specfic"}]}}, "capacity.ladder[0].affinity", '"specfic"', "did you mean 'specific'?"),
    Bad("reservation affinity any with a name", {"capacity": {"ladder": [{"kind": "reservation", "affinity": "any",
        "reservation": "r"}]}}, "capacity.ladder[0].reservation", '"r"', "takes no name"),
    Bad("spot rung with a reservation", {"capacity": {"ladder": [OD, {"kind": "spot", "reservation": "r"}]}},
        "capacity.ladder[1].reservation", '"r"', "a Spot or flex-start node consumes no reservation"),
    Bad("flex-start run longer than seven days", {"capacity": {"ladder": [OD, {"kind": "flex-start",
        "maxRunDurationHours": 200}], "regions": {"europe-west4": [OD]}}}, "capacity.ladder[1].maxRunDurationHours",
        "200", "flex-start nodes run at most seven days"),
    Bad("run duration on an on-demand rung", {"capacity": {"ladder": [{"kind": "on-demand",
        "maxRunDurationHours": 24}]}}, "capacity.ladder[0].maxRunDurationHours", "24", "only applies to a flex-start"),
    Bad("flex-start in a zone without flex-start v6e", {"capacity": {"ladder": [OD, {"kind": "flex-start"}]}},
        "capacity.ladder[1].kind", '"flex-start"', "europe-west4-a, europe-west4's zone"),
    Bad("flex-start as the first rung", {"capacity": {"ladder": [OD], "regions": {"us-east5": [
        {"kind": "flex-start"}, SPOT_RUNG]}}}, "capacity.regions.us-east5[0].kind", '"flex-start"',
        "put a reservation, on-demand or spot rung first"),
    Bad("ladder for a region the stack does not serve", {"capacity": {"ladder": [OD], "regions": {
        "asia-east1": [OD]}}}, "capacity.regions.asia-east1", '[{"kind": "on-demand"}]',
        "use one of europe-west4, us-east5"),
    Bad("ladder missing for a region", {"capacity": {"regions": {"us-east5": [OD]}}}, "capacity.ladder", "(not set)",
        "europe-west4 has no ladder of its own"),
    Bad("capacity without an accelerator", {"capacity": {"ladder": [OD]}}, "capacity",
        '{"ladder": [{"kind": "on-demand"}]}', "does nothing without accelerator", stack="dev"),
    Bad("accelerator spot beside a ladder", {"accelerator": {**FOUR_CHIPS, "spot": True}, "capacity": {"ladder": [OD]}},
        "accelerator.spot", "true", "add a spot rung to the ladder"),
    # One error each, not a second about what the first refusal left unset.
    Bad("accelerator spot as text beside a ladder", {"accelerator": {**FOUR_CHIPS, "spot": "False"},
        "capacity": {"ladder": [OD]}}, "accelerator.spot", '"False"', "must be true or false"),
    Bad("empty accelerator reservation beside a ladder", {"accelerator": {**FOUR_CHIPS, "reservation": ""},
        "capacity": {"ladder": [OD]}}, "accelerator.reservation", '""', "is empty"),
    Bad("capacity that is not an object", {"capacity": "on-demand"}, "capacity", '"on-demand"', "must be an object"),
    Bad("reservation affinity in capitals", {"capacity": {"ladder": [{"kind": "reservation", "affinity": "ANY"}]}},
        "capacity.ladder[0].affinity", '"ANY"', "did you mean 'any'?"),
    Bad("reservation rung twice under two spellings", {"capacity": {"ladder": [{"kind": "reservation",
        "reservation": "r"}, {"kind": "reservation", "reservation": "projects/tpu-inference-prod/reservations/r"}]}},
        "capacity.ladder[1].kind", '"reservation"', "list each way to get capacity once"),
]  # fmt: skip

WEIGHTS_IN_HBM = [
    Bad("27B model on a one-chip slice", {"accelerator": ONE_CHIP, "model": {"id": "google/gemma-3-27b-it"}},
        "model.id", '"google/gemma-3-27b-it"', "its weights take 51.0 GiB"),
    Bad("70B model on four chips", {"model": {"id": "meta-llama/Llama-3.1-70B-Instruct"}}, "model.id",
        '"meta-llama/Llama-3.1-70B-Instruct"', "tensorParallelSize 4 chips x 32 GiB HBM"),
    Bad("model sized by its name", {"model": {"id": "Qwen/Qwen2.5-72B-Instruct"}}, "model.id",
        '"Qwen/Qwen2.5-72B-Instruct"', "the size in its name"),
    Bad("stated size over the slice", {"model": {"id": "my-org/private-model", "billionParameters": 120}},
        "model.id", '"my-org/private-model"', "use accelerator.machineType ct6e-standard-8t"),
    Bad("model of unknown size on a TPU slice", {"model": {"id": "my-org/private-model"}},
        "model.billionParameters", "(not set)", "set model.billionParameters to its parameter count"),
    Bad("mixture of experts sized by its experts", {"model": {"id": "mistralai/Mixtral-8x22B-Instruct-v0.1"}},
        "model.billionParameters", "(not set)", "its name states none"),
    Bad("model size as a word", {"model": {"id": "my-org/private-model", "billionParameters": "large"}},
        "model.billionParameters", '"large"', "must be a number of billions"),
    Bad("model size on the simulator", {"model": {"id": "google/gemma-3-27b-it", "billionParameters": 27.4}},
        "model.billionParameters", "27.4", "does nothing with backend simulator", "dev"),
]  # fmt: skip

SECRETS = [
    Bad("token in plain text on the simulator", {"hfToken": "hf_PlainTextTokenValue"}, "hfToken", '"[not shown]"',
        "is stored in plain text", "dev"),
    Bad("kubeconfig in plain text", {"kubeconfig": "apiVersion: v1"}, "kubeconfig", '"[not shown]"',
        "--context kind-inference", "istio"),
    Bad("token in plain text on an existing cluster", {"hfToken": "hf_PlainTextTokenValue", **KUBECONFIG_SET},
        "hfToken", '"[not shown]"', "is stored in plain text", "istio"),
    Bad("kubeconfig in plain text in a GKE stack", {"kubeconfig": "apiVersion: v1"}, "kubeconfig", '"[not shown]"',
        "a stack that creates its GKE clusters reads none", "dev"),
    Bad("service account key in plain text", {"gcp:credentials": '{"private_key": "-----BEGIN"}'},
        "gcp:credentials", '"[not shown]"', "pulumi config set --secret gcp:credentials", "guarded"),
    Bad("access token in plain text", {"gcp:accessToken": "ya29.PlainTextAccessToken"}, "gcp:accessToken",
        '"[not shown]"', "gcloud auth application-default login", "migration"),
    Bad("Kubernetes provider kubeconfig in plain text", {"kubernetes:kubeconfig": "apiVersion: v1", **KUBECONFIG_SET},
        "kubernetes:kubeconfig", '"[not shown]"', "rotate the credentials", "istio"),
    Bad("password under a key nothing reads", {"apiPassword": "hunter2-plain"}, "apiPassword", '"[not shown]"',
        "the program reads no such key"),
    Bad("secret under a misspelt key", {"hfTokne": {"secure": "v1:set-outside-the-repository"}}, "hfTokne",
        '"[secret]"', "did you mean 'hfToken'?"),
    Bad("token in plain text under a misspelt key", {"hfTokne": "hf_PlainTextTokenValue"}, "hfTokne",
        '"[not shown]"', "did you mean 'hfToken'?"),
    Bad("token in plain text nested under a known key", {"modelServer": {"namespace": "inference",
        "hfToken": "hf_PlainTextTokenValue"}}, "modelServer.hfToken", '"[not shown]"', "is not a known key"),
    Bad("client secret nested under a guard", {"observability": {"apigeeClientSecret": "s3cr3t-plain"}},
        "observability.apigeeClientSecret", '"[not shown]"', "is not a known key"),
    Bad("credentials inside an unknown mapping", {"modelStores": {"key": '{"private_key": "-----BEGIN"}'}},
        "modelStores", '"[not shown]"', "did you mean 'modelStore'?"),
]  # fmt: skip

DERIVED_NAMES_AND_LOCATIONS = [
    Bad("alpha pool name too long for Helm", migration(legacy={"poolName": "l" * 54}), "migration.legacy.poolName",
        f'"{"l" * 54}"', "is 54 characters, the API allows 1 to 53", "migration"),
    Bad("alpha pool name with a dot", migration(legacy={"poolName": "vllm.alpha"}), "migration.legacy.poolName",
        '"vllm.alpha"', "'vllm.alpha-epp'", "migration"),
    Bad("two pools whose endpoint pickers share a name",
        {**migration(legacy={"poolName": f"{POOL_40[:40]}-alpha"}),
         "inferencePool": {"name": f"{POOL_40[:40]}-v1", **SMALL_EPP}},
        "migration.legacy.poolName", f'"{POOL_40[:40]}-alpha"', "would name their endpoint picker", "migration"),
    Bad("pool name and namespace the chart cannot render together",
        {"inferencePool": {"name": "p" * 40, **SMALL_EPP},
         "modelServer": {"namespace": "n" * 38, "backend": "simulator"}},
        "inferencePool.name", f'"{"p" * 40}"', "breaking its own YAML", "dev"),
    Bad("Apigee analytics where Apigee does not run",
        {"guards": {"apigee": {**NEW_APIGEE, "create": {**CREATE_APIGEE, "analyticsRegion": "europe-north2"}}}},
        "guards.apigee.create.analyticsRegion", '"europe-north2"', "is not a region where Apigee runs", "guarded"),
    Bad("Apigee analytics region misspelt",
        {"guards": {"apigee": {**NEW_APIGEE, "create": {**CREATE_APIGEE, "analyticsRegion": "us-centrall1"}}}},
        "guards.apigee.create.analyticsRegion", '"us-centrall1"', "did you mean 'us-central1'?", "guarded"),
    Bad("Apigee instance where Apigee does not run", apigee_in("europe-north2", "europe-north2-a"), "regions[0].name",
        '"europe-north2"', "guards.apigee.create puts the instance there", "guarded"),
]  # fmt: skip

DEV_SCALING = {"enabled": True, "minReplicas": 2, "maxReplicas": 4, "targetKvCacheUtilization": 0.5}


def alerts(**changes) -> dict:
    return {"observability": {"alerts": {"enabled": True, **changes}}}


SECTIONS = [
    Bad("notification channel without its project", alerts(notificationChannels=["123456"]),
        "observability.alerts.notificationChannels[0]", '"123456"', "projects/PROJECT/notificationChannels/ID"),
    Bad("latency threshold as a word", alerts(latencyP99Seconds="fast"), "observability.alerts.latencyP99Seconds",
        '"fast"', "must be a number of seconds"),
    Bad("error rate as a percentage", alerts(errorRate=5), "observability.alerts.errorRate", "5",
        "write the error ratio, e.g. 0.05 for 5 %"),
    Bad("access logs sampling nothing", {"observability": {"accessLogging": {"enabled": True, "sampleRate": 0}}},
        "observability.accessLogging.sampleRate", "0", "a number of requests per million"),
    Bad("KV-cache target as a percentage", {"autoscaling": {**DEV_SCALING, "targetKvCacheUtilization": 50}},
        "autoscaling.targetKvCacheUtilization", "50", "the metric is a fraction of the KV cache", "dev"),
    Bad("autoscaling without the picker's metrics",
        {"autoscaling": DEV_SCALING, "observability": {"eppMetrics": False}}, "autoscaling.enabled", "true",
        "observability.eppMetrics: false turns off", "dev"),
    Bad("autoscaled past the TPU slices", {"autoscaling": {**DEV_SCALING, "minReplicas": 1, "maxReplicas": 3}},
        "autoscaling.maxReplicas", "3", "the TPU pool holds at most 2"),
    Bad("fleet features as a word", {"fleet": {"manageFeatures": "no"}}, "fleet.manageFeatures", '"no"',
        "must be true or false"),
    Bad("serving port below 1024", {"servingPort": 80}, "servingPort", "80", "use an unprivileged port"),
    Bad("release channel in lowercase", {"releaseChannel": "rapid"}, "releaseChannel", '"rapid"',
        "choose one of RAPID, REGULAR, STABLE, EXTENDED"),
    Bad("existing cluster with a misspelt key", {"existingCluster": {"kubeContext": "kind-inference",
                                                                     "kubeContex": "kind-inference"}},
        "existingCluster.kubeContex", '"kind-inference"', "did you mean 'existingCluster.kubeContext'?", "istio"),
]  # fmt: skip

GEMMA = {"id": "google/gemma-3-27b-it", "servedName": "gemma-3-27b"}
LLAMA = {"name": "llama", "id": "meta-llama/Llama-3.1-8B-Instruct", "servedName": "llama-3.1-8b"}
MODELS_GATEWAY = stack_settings("models")["gateway"]
GEMMA_TPU = {"id": "google/gemma-3-27b-it"}
# A second model on a TPU stack (prod) with a one-chip shape of its own, a pool of two slices.
SMALL_OWN = {
    "name": "small",
    "id": "google/gemma-3-4b-it",
    "accelerator": {"machineType": "ct6e-standard-1t", "maxNodes": 2},
}


def several(*extra: dict, first: dict | None = None) -> dict:
    return {"models": [first or GEMMA, *extra]}


SEVERAL_MODELS = [
    Bad("models beside model", {"models": [GEMMA]}, "models", '[{"id": "google/gemma-3-27b-it", "servedName": '
        '"gemma-3-27b"}]', "move model into models[0]", "dev"),
    Bad("models as an empty list", {"models": []}, "models", "[]", "must be a non-empty list", "models"),
    Bad("second model without a name", several({"id": "meta-llama/Llama-3.1-8B-Instruct"}), "models[1].name",
        "(not set)", "its servers and pool are named after it", "models"),
    Bad("model name in capitals", several({**LLAMA, "name": "Llama"}), "models[1].name", '"Llama"',
        "is not a short Kubernetes name", "models"),
    Bad("model name that overflows the pool's release", {**several({**LLAMA, "name": "l" * 20}),
        "inferencePool": {"name": "p" * 40}}, "models[1].name", '"llllllllllllllllllll"',
        "the pool's Helm release", "models"),
    Bad("adapter named like another model", several(LLAMA, first={**GEMMA, "adapters": [
        {"name": "llama-3.1-8b", "source": "org/lora"}]}), "models[1].servedName", '"llama-3.1-8b"',
        "is the served name models[0].adapters[0].name gives too", "models"),
    Bad("adapter objective named like a model's", several(LLAMA, first={**GEMMA, "adapters": [
        {"name": "sql", "source": "org/lora", "objectiveName": "gemma-objective-llama"}]}), "models[1].name",
        '"llama"', "makes the objective 'gemma-objective-llama', which is the objective "
        "models[0].adapters[0].objectiveName gives too", "models"),
    Bad("model served like another", several({**LLAMA, "servedName": "gemma-3-27b"}), "models[1].servedName",
        '"gemma-3-27b"', "is the served name models[0].servedName gives too", "models"),
    Bad("two models by one name", several(LLAMA, {**LLAMA, "servedName": "llama-2"}), "models[2].name", '"llama"',
        "is the name models[1].name gives too", "models"),
    Bad("adapter served like another model's adapter", several({**LLAMA, "adapters": [{"name": "sql", "source":
        "org/lora"}]}, first={**GEMMA, "adapters": [{"name": "sql", "source": "org/lora"}]}),
        "models[1].adapters[0].name", '"sql"', "is the served name models[0].adapters[0].name gives too", "models"),
    Bad("second model without an id", several({"name": "llama", "servedName": "llama"}), "models[1].id",
        "(not set)", "set models[1].id to the model's Hugging Face id", "models"),
    Bad("adapter name no objective takes", several(LLAMA, first={**GEMMA, "adapters": [
        {"name": "Gemma_SQL", "source": "org/lora"}]}), "models[0].adapters[0].name", '"Gemma_SQL"',
        "or set the adapter's objectiveName", "models"),
    Bad("more route matches than an HTTPRoute holds", {"models": [
        {**GEMMA, "adapters": [{"name": f"a{i}", "source": "org/lora"} for i in range(63)]},
        {**LLAMA, "adapters": [{"name": f"b{i}", "source": "org/lora"} for i in range(63)]},
        {**LLAMA, "name": "third", "servedName": "third"}]}, "models", '"129 route matches"',
        "list fewer models or adapters: at most 128 names in all", "models"),
    Bad("model memory over its own shape's node", {"model": None, **several({**SMALL_OWN, "memoryLimit": "170Gi"},
        first=GEMMA_TPU)}, "models[1].memoryLimit", '"170Gi"', "set models[1].memoryLimit to at most 161Gi"),
    Bad("model memory on the simulator", several({**LLAMA, "memoryLimit": "100Gi"}), "models[1].memoryLimit",
        '"100Gi"', "does nothing with backend simulator", "models"),
    Bad("LoRA adapters on an older vllm-tpu on another Docker Hub host", {"model": None, "models": [{**GEMMA,
        "adapters": [{"name": "sql", "source": "org/lora"}]}], "modelServer": {"image":
        "index.docker.io/vllm/vllm-tpu:v0.13.2"}}, "models[0].adapters", '["sql"]', "tpu-inference 0.13.2"),
    Bad("adapter without a source", several(LLAMA, first={**GEMMA, "adapters": [{"name": "sql"}]}),
        "models[0].adapters[0].source", "(not set)", "is required", "models"),
    Bad("adapter revision on the simulator", several(LLAMA, first={**GEMMA, "adapters": [
        {"name": "sql", "source": "org/lora", "revision": "v1"}]}), "models[0].adapters[0].revision", '"v1"',
        "no adapter is downloaded", "models"),
    Bad("model revision in the list on the simulator", several({**LLAMA, "revision": "main"}), "models[1].revision",
        '"main"', "no weights are downloaded", "models"),
    Bad("LoRA rank vLLM refuses", several(LLAMA, first={**GEMMA, "maxLoraRank": 12}), "models[0].maxLoraRank",
        "12", "is not a rank vLLM accepts", "models"),
    Bad("LoRA rank without adapters", several({**LLAMA, "maxLoraRank": 32}), "models[1].maxLoraRank", "32",
        "does nothing without adapters", "models"),
    Bad("body-based routing on the multi-cluster Gateway", {"model": None, **several(LLAMA), "modelRouting": "body"},
        "modelRouting", '"body"', "use modelRouting: header", "dev"),
    Bad("body-based routing on a refused Gateway class", {"gateway": {**MODELS_GATEWAY, "className": "gke-l7-rlib"}},
        "gateway.className", '"gke-l7-rlib"', "did you mean 'gke-l7-rilb'?", "models"),
    Bad("model routing with one model", {"modelRouting": "header"}, "modelRouting", '"header"',
        "does nothing with one model", "dev"),
    Bad("model replicas under the HPA", several({**LLAMA, "replicas": 2}), "models[1].replicas", "2",
        "is owned by the HorizontalPodAutoscaler", "models"),
    Bad("model bounds upside down", several({**LLAMA, "minReplicas": 3, "maxReplicas": 2}),
        "models[1].minReplicas", "3", "is above maxReplicas", "models"),
    Bad("a model's own accelerator on the simulator", several({**LLAMA, "accelerator": {
        "machineType": "ct6e-standard-1t"}}), "models[1].accelerator", '{"machineType": "ct6e-standard-1t"}',
        "the simulator runs on the system pool", "models"),
    Bad("the first model's own accelerator", {"model": None, **several(SMALL_OWN, first={**GEMMA_TPU,
        "accelerator": {"machineType": "ct6e-standard-8t"}})}, "models[0].accelerator",
        '{"machineType": "ct6e-standard-8t"}', "move it to accelerator"),
    Bad("a model too large for its own shape", {"model": None, **several({**SMALL_OWN,
        "id": "meta-llama/Llama-3.1-70B-Instruct"}, first=GEMMA_TPU)}, "models[1].id",
        '"meta-llama/Llama-3.1-70B-Instruct"', "use models[1].accelerator.machineType ct6e-standard-8t"),
    Bad("a model's own machine type misspelt", {"model": None, **several({**SMALL_OWN, "accelerator": {
        "machineType": "ct6e-standard-9t"}}, first=GEMMA_TPU)}, "models[1].accelerator.machineType",
        '"ct6e-standard-9t"', "did you mean 'ct6e-standard-8t'?"),
    Bad("accelerator as text with several models", {"model": None, "accelerator": "ct6e-standard-4t",
        **several(SMALL_OWN, first=GEMMA_TPU)}, "accelerator", '"ct6e-standard-4t"', "write accelerator as a YAML"),
    Bad("a model's own pool past the node range", {"model": None, "regions": with_region(nodeCidr="10.0.1.0/28"),
        **several({**SMALL_OWN, "accelerator": {"machineType": "ct6e-standard-1t", "nodesPerPool": 8, "maxNodes": 8}},
                  first=GEMMA_TPU)}, "regions[0].nodeCidr", '"10.0.1.0/28"', "fewer than the 13 nodes"),
    Bad("a model's own pool past its slices", {"model": None, **several({**SMALL_OWN, "accelerator": {
        "machineType": "ct6e-standard-1t"}}, first=GEMMA_TPU)}, "models[1]", '"google/gemma-3-4b-it"',
        "raise models[1].accelerator.maxNodes"),
    Bad("model scaled to zero", several({**LLAMA, "minReplicas": 0}), "models[1].minReplicas", "0",
        "an HPA never scales to zero here", "models"),
    Bad("models past the TPU slices", {"model": None, **several(
        {"name": "small", "id": "google/gemma-3-4b-it"}, first={"id": "google/gemma-3-27b-it"})},
        "models", '["google/gemma-3-27b-it", "google/gemma-3-4b-it"]', "each takes a whole TPU slice"),
    Bad("more models than route rules", {"models": [GEMMA, *({**LLAMA, "name": f"m{i}", "servedName": f"m{i}"}
        for i in range(16))]}, "models", '"17 models"', "an HTTPRoute holds 16 rules", "models"),
    Bad("more adapters than a rule matches", several(LLAMA, first={**GEMMA, "adapters": [
        {"name": f"a{i}", "source": "org/lora"} for i in range(64)]}), "models[0].adapters", '"64 adapters"',
        "list at most 63 adapters per model", "models"),
    Bad("LoRA adapters on the pinned vllm-tpu image", {"model": None, "models": [{**GEMMA, "adapters": [
        {"name": "sql", "source": "org/lora"}]}]}, "models[0].adapters", '["sql"]',
        "or set modelServer.image to a vllm-tpu image on tpu-inference 0.25.0 or later"),
    Bad("a model's replica bounds in Istio mode", {**ISTIO_ON_DEV, "model": None, **several({**LLAMA,
        "maxReplicas": 2})}, "models[1].maxReplicas", "2", "set models[1].replicas: Istio mode has no autoscaling",
        "dev"),
    Bad("models on an existing cluster", several(LLAMA), "models", '[{"id": "google/gemma-3-27b-it", "servedName": '
        '"gemma-3-27b"}, {"name": "llama", "id": "meta-llama/Llama-3.1-8B-Instruc…',
        "does nothing on an existing cluster", "istio"),
    Bad("models during a migration", {"model": None, **several(LLAMA)}, "models",
        '["google/gemma-3-27b-it", "meta-llama/Llama-3.1-8B-Instruct"]', "a migration moves one model", "migration"),
]  # fmt: skip

CLASSES = {
    "places": PLACES,
    "machine types": MACHINES,
    "network ranges": RANGES,
    "names": NAMES,
    "keys that do nothing": NOTHING,
    "text that only looks right": TEXT,
    "combinations": COMBINATIONS,
    "istio mode": ISTIO,
    "guards": GUARDS,
    "gateway modes": GATEWAY_MODES,
    "migrations": MIGRATIONS,
    "quantities": QUANTITIES,
    "image references": IMAGES,
    "revisions and reservations": REVISIONS_AND_RESERVATIONS,
    "capacity ladder": CAPACITY_LADDER,
    "weights in HBM": WEIGHTS_IN_HBM,
    "secrets": SECRETS,
    "derived names and locations": DERIVED_NAMES_AND_LOCATIONS,
    "every section": SECTIONS,
    "several models": SEVERAL_MODELS,
}
BAD_INPUTS = [bad for rows in CLASSES.values() for bad in rows]


REVIEWED = Path(__file__).parent / "bad_inputs.txt"


@functools.cache
def _reviewed() -> dict[str, str]:
    lines = REVIEWED.read_text().splitlines() if REVIEWED.exists() else []
    return dict(line.split("\t", 1) for line in lines if "\t" in line)


def reviewed_message(desc: str, actual: str) -> str:
    if os.environ.get("UPDATE_BAD_INPUTS"):
        _reviewed()[desc] = actual
        REVIEWED.write_text("".join(f"{d}\t{m}\n" for d, m in sorted(_reviewed().items())))
    return _reviewed().get(desc, f"(no reviewed message for {desc!r} in {REVIEWED.name})")


def test_every_reviewed_message_belongs_to_a_case():
    assert set(_reviewed()) == {b.desc for b in BAD_INPUTS}


# The first row of each class runs the whole program, which must stop before it registers anything. The others go
# through the validation the program's `load()` runs first (tools/plan.py `config_error`): the same error, word for
# word, without a run of the program per row.
PROGRAM_RUNS = {rows[0].desc for rows in CLASSES.values()}


def refusal(bad: Bad) -> ConfigError:
    plain = set(bad.change) & set(OPERATOR_SECRETS)  # an operator secret in plain text instead of with `--secret`
    if bad.desc not in PROGRAM_RUNS:
        error = plan_tool.config_error(bad.stack, overrides=bad.change, secrets=None if plain else OPERATOR_SECRETS)
        assert error is not None, f"the validation takes {bad.change}"
        return error
    with pytest.raises(ConfigError) as err:
        (engine.run if plain else run)(bad.stack, overrides=bad.change)
    assert err.value.registrations == [], "resources were registered before validation"
    return err.value


@pytest.mark.parametrize("bad", BAD_INPUTS, ids=[b.desc for b in BAD_INPUTS])
def test_bad_input_names_the_key_shows_the_value_offers_the_fix_and_registers_nothing(bad):
    error = refusal(bad)
    assert [p.key for p in error.problems] == [bad.key], f"one clear error expected, got: {error}"
    (problem,) = error.problems
    assert shown(problem.value) == bad.shown
    assert bad.hint in f"{problem.why} — {problem.fix}"
    assert str(problem).startswith(f"{bad.key}: {bad.shown} — ")
    # The whole message, the fix offered included, exactly as reviewed (tests/configuration/bad_inputs.txt; regenerate
    # with UPDATE_BAD_INPUTS=1 and review the diff).
    assert str(problem) == reviewed_message(bad.desc, str(problem))
    given = [v for k, v in bad.change.items() if credentials.is_credential(k) and isinstance(v, str)]
    for secret in (*given, "hf_PlainTextTokenValue", *(STAND_IN.format(key=k) for k in OPERATOR_SECRETS)):
        assert secret not in str(error)


# Values the Pulumi CLI itself refuses before the program runs (tools/cli_config.py), with its words.
CLI_REFUSALS = [
    ({"servingPort": "eighty"}, "Stack 'prod' with configuration key 'servingPort' must be of type 'integer'"),
    ({"servingPort": [8000]}, "Stack 'prod' with configuration key 'servingPort' must be of type 'integer'"),
    (
        {"deletionProtection": "yes"},
        "Stack 'prod' with configuration key 'deletionProtection' must be of type 'boolean'",
    ),
    (
        {"releaseChannel": {"name": "RAPID"}},
        "Stack 'prod' with configuration key 'releaseChannel' must be of type 'string'",
    ),
]


@pytest.mark.parametrize(("change", "message"), CLI_REFUSALS, ids=[m.split("key ")[-1] for _, m in CLI_REFUSALS])
def test_the_cli_refuses_before_the_program_runs(change, message):
    with pytest.raises(CliConfigError) as err:
        run("prod", overrides=change)
    assert str(err.value) == message


def test_an_integer_written_as_text_passes_the_cli_as_it_does_for_real():
    plan = run("prod", overrides={"servingPort": "9000"})
    firewall = plan.one("gcp:compute/firewall:Firewall", "network-allow-health-checks")
    assert firewall.inputs["allows"] == [{"protocol": "tcp", "ports": ["9000"]}]


def test_the_table_covers_every_class_of_bad_input():
    assert len(BAD_INPUTS) >= 100 and len({b.key for b in BAD_INPUTS}) >= 60
    assert {name: len(rows) for name, rows in CLASSES.items()} == {
        "places": 15,
        "machine types": 13,
        "network ranges": 32,
        "names": 31,
        "keys that do nothing": 17,  # - a quantity as a YAML number, which the API takes
        "text that only looks right": 38,  # + a negative downloadAttempt
        "combinations": 27,  # + an image cache disk without image streaming, + two health-check rows
        "istio mode": 23,
        "guards": 27,
        "gateway modes": 7,
        "migrations": 13,
        "quantities": 14,  # + the model server's memory limit: over its node, below its request, on the simulator
        "image references": 5,
        "revisions and reservations": 6,
        "weights in HBM": 8,
        "secrets": 13,
        "derived names and locations": 7,
        "every section": 11,
        "several models": 41,  # + ids, leaf keys of duplicates, route matches, memory limits, older vllm-tpu tags
        "capacity ladder": 24,  # + one error each (refused accelerator, capacity, affinity), + a reservation twice
    }
    assert len({b.desc for b in BAD_INPUTS}) == len(BAD_INPUTS)


def test_a_missing_token_is_reported_for_the_tpu_backend_only():
    with pytest.raises(ConfigError) as err:
        engine.run("prod")
    (problem,) = err.value.problems
    assert problem.key == "hfToken" and "pulumi config set --secret hfToken" in problem.fix
    assert err.value.registrations == []
    assert engine.run("dev").outputs["modelServer"]["backend"] == "simulator"


def test_an_unknown_key_gets_a_did_you_mean_hint():
    with pytest.raises(ConfigError) as err:
        run("prod", overrides={"gateway": {"maxUtilisationPercent": 50}})
    (problem,) = err.value.problems
    assert problem.fix == "did you mean 'gateway.maxUtilizationPercent'?"


def test_prefix_error_says_how_short_it_must_be():
    with pytest.raises(ConfigError) as err:
        config.parse(stack_settings("prod") | {"prefix": "a-very-long-platform-prefix"}, "prod")
    (problem,) = err.value.problems
    assert "GKE cluster name 'a-very-long-platform-prefix-prod-europe-west4' is 45 characters" in problem.why
    assert "the API allows 1 to 40" in problem.why
    assert "at most 27 characters" in problem.fix


def test_a_value_two_checks_refuse_gets_one_error():
    """A null where single-cluster mode refuses the key at all: the first check's error, not both."""
    one_region = [{"name": "us-east5", "zone": "us-east5-b", "nodeCidr": "10.0.2.0/24", "proxyCidr": "10.1.2.0/24"}]
    raw = stack_settings("prod") | {
        "gateway": {"mode": "single-cluster"},
        "regions": one_region,
        "observability": {"accessLogging": None},
    }
    with pytest.raises(ConfigError) as err:
        config.parse(raw, "prod")
    (problem,) = err.value.problems
    assert problem.key == "observability.accessLogging"
    assert "single-cluster mode does not build" in problem.why


def test_gke_version_floor_follows_the_features_in_use():
    """Managed DRANET (TPU pools) needs 1.34.1-gke.1829001; without TPU the inference gateway's
    1.34.1-gke.1127000 is the floor (inference/core/facts/versions.py, with sources)."""
    tpu = run("prod", overrides={"gkeVersion": "1.34.1-gke.1829001"})
    assert {c.inputs["minMasterVersion"] for c in tpu.by_type("gcp:container/cluster:Cluster")} == {
        "1.34.1-gke.1829001"
    }
    simulator = run("dev", overrides={"gkeVersion": "1.34.1-gke.1127000"})
    assert {c.inputs["minMasterVersion"] for c in simulator.by_type("gcp:container/cluster:Cluster")} == {
        "1.34.1-gke.1127000"
    }
    with pytest.raises(ConfigError, match="first version with managed DRANET"):
        run("prod", overrides={"gkeVersion": "1.34.1-gke.1127000"})


def parses(stack: str, **changes) -> PlatformConfig:
    return config.parse(stack_settings(stack) | changes, stack)


def test_ranges_gcp_accepts_besides_rfc_1918_pass():
    """https://cloud.google.com/vpc/docs/subnets#valid-ranges: shared address space, the documentation and
    benchmark ranges and Class E are valid subnet ranges, and GKE does not masquerade to them."""
    regions = [
        {"name": "europe-west4", "zone": "europe-west4-a", "nodeCidr": "100.64.1.0/24", "proxyCidr": "198.18.0.0/23"},
        {
            "name": "us-east5",
            "zone": "us-east5-b",
            "nodeCidr": "192.0.2.0/24",
            "proxyCidr": "203.0.113.0/24",
            "podCidr": "240.10.0.0/16",
            "serviceCidr": "198.51.100.0/24",
        },
    ]
    cfg = parses("prod", regions=regions)
    assert [r.node_cidr for r in cfg.regions] == ["100.64.1.0/24", "192.0.2.0/24"]


def test_places_from_the_tables_pass():
    """Another region's standard v6e zone, a predefined dual-region and a region as bucket locations."""
    regions = [{"name": "us-east1", "zone": "us-east1-d", "nodeCidr": "10.0.1.0/24", "proxyCidr": "10.1.1.0/24"}]
    cfg = parses("prod", regions=regions, configRegion="us-east1", modelStore={"layout": "single", "location": "nam4"})
    assert (cfg.regions[0].zone, cfg.model_store.location) == ("us-east1-d", "NAM4")
    assert parses("prod", modelStore={"layout": "single", "location": "us-east5"}).model_store.location == "US-EAST5"


def test_gcp_labels_take_international_lowercase_letters():
    """GCP's label rule allows international characters, lowercase (labeling-resources#requirements)."""
    assert parses("prod", labels={"équipe": "données-ml"}).labels == {"équipe": "données-ml"}
    with pytest.raises(ConfigError, match="is not a valid GCP label value"):
        parses("prod", labels={"team": "Données"})


def test_a_typo_in_the_config_regions_entry_is_one_error():
    regions = prod_regions()
    regions[1]["name"] = "us-east-5"
    with pytest.raises(ConfigError) as err:
        parses("prod", regions=regions)
    assert [p.key for p in err.value.problems] == ["regions[1].name"]


def test_a_null_nested_value_is_refused_not_defaulted():
    with pytest.raises(ConfigError) as err:
        parses("prod", modelServer={"namespace": "inference", "image": None})
    (problem,) = err.value.problems
    assert str(problem) == (
        "modelServer.image: null — has no value (a YAML null) — give it a value, or remove the key to use "
        'the default ("vllm/vllm-tpu:v0.12.0")'
    )


def test_the_tables_the_checks_rely_on_are_sourced_and_dated():
    assert places.PLACES_READ_ON == ranges.NETWORK_READ_ON == name_rules.NAMES_READ_ON == "2026-11-25"
    assert all(z in places.zones_of(z.rsplit("-", 1)[0]) for z in places.TPU_V6E_ZONES)
    assert all(rule.source for rule in name_rules.NAME_RULES.values())
    for region in places.REGION_ZONES:
        assert region.upper() in places.GCS_REGIONS
    for pair in places.GCS_DUAL_REGIONS.values():
        assert set(pair) <= set(places.REGION_ZONES)


@pytest.mark.parametrize("stack", ["prod", "dev"])
def test_every_name_the_plan_registers_obeys_its_api(stack):
    """The config check and the components build the same names: every physical name in the plan passes
    the rule of the API that receives it (inference/common/name_rules.py NAME_RULES)."""
    plan = run(stack, overrides={"privateNodes": {"enabled": True}})  # with Cloud Routers and NATs
    rules = {
        "gcp:compute/network:Network": ("name", "gce"),
        "gcp:compute/subnetwork:Subnetwork": ("name", "gce"),
        "gcp:compute/address:Address": ("name", "gce"),
        "gcp:compute/firewall:Firewall": ("name", "gce"),
        "gcp:compute/router:Router": ("name", "gce"),
        "gcp:compute/routerNat:RouterNat": ("name", "gce"),
        "gcp:container/cluster:Cluster": ("name", "gke-cluster"),
        "gcp:gkehub/membership:Membership": ("membershipId", "membership"),
        "gcp:serviceaccount/account:Account": ("accountId", "service-account"),
        "gcp:storage/bucket:Bucket": ("name", "bucket"),
        "gcp:cloudrunv2/job:Job": ("name", "cloud-run-job"),
        "gcp:secretmanager/secret:Secret": ("secretId", "secret"),
    }
    checked = 0
    for reg in plan.registrations:
        if reg.type in rules:
            field, rule = rules[reg.type]
            assert name_problem(reg.inputs[field], rule) is None, reg.inputs[field]
            checked += 1
        elif reg.type == "kubernetes:core/v1:Service":
            assert name_problem(reg.inputs["metadata"]["name"], "dns-1035-label") is None
            checked += 1
    assert checked > 20


@pytest.mark.parametrize(
    "node_cidr",
    [
        "10.10.1.0/24",
        "10.10.1.0/28",
        "10.10.1.0/29",
    ],
)
def test_the_gateway_address_lies_in_its_own_node_subnet(node_cidr):
    """The program reserves each region's Gateway address in that region's node subnet (GCP picks it);
    no config can move it elsewhere, and the offline engine must hand out one inside too."""
    regions = copy.deepcopy(stack_settings("dev")["regions"])
    regions[0]["nodeCidr"] = node_cidr
    plan = run("dev", overrides={"regions": regions})
    address = plan.one("gcp:compute/address:Address", "network-gateway-ip-europe-west4").outputs["address"]
    assert ipaddress.IPv4Address(address) in ipaddress.IPv4Network(node_cidr)


def test_a_key_in_a_namespace_nothing_reads_is_refused_with_a_did_you_mean():
    with pytest.raises(ConfigError) as err:
        config.parse(
            stack_settings("prod"), "prod", other_namespaces={"inference_platform:regions": [], "gcp:project": "x"}
        )
    (problem,) = err.value.problems
    assert problem.key == "inference_platform:regions"
    assert problem.fix == "did you mean 'inference-platform:regions'?"
