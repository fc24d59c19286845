"""Configuration: typed parsing and one clear error per bad value, before any resource exists."""

from __future__ import annotations

import copy
import json

import pytest

from stacks import config
from stacks.config import ConfigError
from tests.conftest import OPERATOR_SECRETS, run
from tools import engine
from tools.cli_config import CliConfigError


def stack_file(stack: str) -> dict:
    """The stack's config as the program sees it once the operator has set the token."""
    values, _, _ = engine.stack_config(stack, secrets=OPERATOR_SECRETS)
    return {k.split(":", 1)[1]: config._decode(v) for k, v in values.items()}


def prod_regions() -> list[dict]:
    return copy.deepcopy(stack_file("prod")["regions"])


def with_region(**changes) -> list[dict]:
    regions = prod_regions()
    regions[0].update(changes)
    return regions


def test_prod_config_is_the_codelab_system():
    cfg = config.parse(stack_file("prod"), "prod")
    assert [(r.name, r.zone, r.node_cidr, r.proxy_cidr) for r in cfg.regions] == [
        ("europe-west4", "europe-west4-a", "10.0.1.0/24", "10.1.1.0/24"),
        ("us-east5", "us-east5-b", "10.0.2.0/24", "10.1.2.0/24"),
    ]
    assert cfg.config_region == "us-east5"
    assert cfg.accelerator == config.Accelerator("ct6e-standard-4t", "2x2", 1, False, None)
    assert cfg.accelerator.chips == 4
    assert cfg.model == config.Model("google/gemma-3-27b-it", "google/gemma-3-27b-it", 4)
    assert cfg.mtu == 8896 and cfg.serving_port == 8000 and cfg.release_channel == "RAPID"
    assert cfg.system_pool == config.SystemPool("e2-standard-16", 1, 100)
    assert cfg.model_store == config.ModelStore("per-region", "US", False, True)
    assert cfg.deletion_protection is True and cfg.fleet.manage_features is True
    assert cfg.names.base == "tpu-gke-dranet-prod"


def test_dev_config_has_no_tpu_and_can_be_torn_down():
    cfg = config.parse(stack_file("dev"), "dev")
    assert cfg.accelerator is None
    assert cfg.model.tensor_parallel_size == 1
    assert cfg.model_store == config.ModelStore("single", "US", True, False)
    assert cfg.deletion_protection is False
    assert cfg.bucket_locations() == {"europe-west4": "US", "us-east5": "US"}


def test_config_values_arrive_as_pulumi_text():
    """Pulumi hands scalars over as strings and objects as JSON; parse reads both."""
    raw = {k: engine._config_text(v) for k, v in stack_file("prod").items()}
    decoded = {k: config._decode(v) for k, v in raw.items()}
    assert config.parse(decoded, "prod") == config.parse(stack_file("prod"), "prod")


def test_every_problem_is_reported_at_once_in_key_value_why_fix_form():
    raw = stack_file("prod") | {"servingPort": "http", "releaseChannel": "NIGHTLY", "configRegion": "asia-east1"}
    with pytest.raises(ConfigError) as err:
        config.parse(raw, "prod")
    assert [p.key for p in err.value.problems] == ["configRegion", "servingPort", "releaseChannel"]
    text = str(err.value)
    assert "stack 'prod' has 3 configuration problem(s)" in text
    assert 'releaseChannel: "NIGHTLY" — is not one of RAPID, REGULAR, STABLE, EXTENDED — choose one of' in text


# Each row: a change to the prod stack file, and the exact key the error must name.
BAD_INPUTS = [
    ("GKE minor before managed DRANET", {"gkeVersion": "1.34"}, "gkeVersion"),
    ("GKE patch before managed DRANET", {"gkeVersion": "1.34.1-gke.1127000"}, "gkeVersion"),
    ("GKE version as a word", {"gkeVersion": "latest"}, "gkeVersion"),
    (
        "EPP CPU not a quantity",
        {"inferencePool": {"endpointPicker": {"cpuRequest": "four"}}},
        "inferencePool.endpointPicker.cpuRequest",
    ),
    (
        "EPP memory without a unit",
        {"inferencePool": {"endpointPicker": {"memoryRequest": "8"}}},
        "inferencePool.endpointPicker.memoryRequest",
    ),
    (
        "EPP memory limit under its request",
        {"inferencePool": {"endpointPicker": {"memoryRequest": "8Gi", "memoryLimit": "4Gi"}}},
        "inferencePool.endpointPicker.memoryLimit",
    ),
    (
        "EPP resources on a chart without them",
        {"inferencePool": {"chartVersion": "v1.1.0", "endpointPicker": {"cpuRequest": "1"}}},
        "inferencePool.endpointPicker",
    ),
    ("malformed project id", {"project": "My_Project"}, "project"),
    ("no regions", {"regions": []}, "regions"),
    ("zone of another region", {"regions": with_region(zone="us-east5-b")}, "regions[0].zone"),
    ("region name typo", {"regions": with_region(name="europe_west4")}, "regions[0].name"),
    (
        "duplicate region",
        {"regions": prod_regions() + [prod_regions()[0] | {"nodeCidr": "10.0.9.0/24", "proxyCidr": "10.1.9.0/24"}]},
        "regions[2].name",
    ),
    ("unparsable CIDR", {"regions": with_region(nodeCidr="10.0.1/24x")}, "regions[0].nodeCidr"),
    ("host bits set", {"regions": with_region(nodeCidr="10.0.1.7/24")}, "regions[0].nodeCidr"),
    ("public range", {"regions": with_region(proxyCidr="8.8.8.0/24")}, "regions[0].proxyCidr"),
    ("proxy subnet too small", {"regions": with_region(proxyCidr="10.1.1.0/27")}, "regions[0].proxyCidr"),
    ("node overlaps other region", {"regions": with_region(nodeCidr="10.0.2.0/25")}, "regions[0].nodeCidr"),
    ("pod range overlaps proxy", {"regions": with_region(podCidr="10.1.1.0/25")}, "regions[0].proxyCidr"),
    ("service range overlaps node", {"regions": with_region(serviceCidr="10.0.1.128/25")}, "regions[0].nodeCidr"),
    ("config region not a region", {"configRegion": "asia-east1"}, "configRegion"),
    ("MTU above GCP's maximum", {"network": {"mtu": 9000}}, "network.mtu"),
    ("MTU below GCP's minimum", {"network": {"mtu": 576}}, "network.mtu"),
    ("unknown machine type", {"accelerator": {"machineType": "ct5lp-hightpu-4t"}}, "accelerator.machineType"),
    (
        "topology of another shape",
        {"accelerator": {"machineType": "ct6e-standard-4t", "topology": "2x4"}},
        "accelerator.topology",
    ),
    ("tensor parallel size != chips", {"model": {"tensorParallelSize": 8}}, "model.tensorParallelSize"),
    ("more nodes than a single-host slice", {"accelerator": {"nodesPerPool": 2}}, "accelerator.nodesPerPool"),
    ("spot and reservation", {"accelerator": {"spot": True, "reservation": "tpu-res"}}, "accelerator.reservation"),
    ("prefix too long for GKE", {"prefix": "a-very-long-platform-prefix"}, "prefix"),
    ("prefix with uppercase", {"prefix": "TPU"}, "prefix"),
    ("release channel", {"releaseChannel": "NIGHTLY"}, "releaseChannel"),
    ("misspelt top-level key", {"servingport": 8000}, "servingport"),
    ("misspelt nested key", {"modelStore": {"layuot": "single"}}, "modelStore.layuot"),
    ("bad label", {"labels": {"Team": "ML Platform"}}, "labels.Team"),
    ("bucket layout", {"modelStore": {"layout": "global"}}, "modelStore.layout"),
    ("bad namespace", {"modelServer": {"namespace": "Inference_NS"}}, "modelServer.namespace"),
    ("negative replicas", {"modelServer": {"replicas": -1}}, "modelServer.replicas"),
    ("more replicas than TPU slices", {"modelServer": {"replicas": 2}}, "modelServer.replicas"),
    ("utilization over 100 percent", {"gateway": {"maxUtilizationPercent": 150}}, "gateway.maxUtilizationPercent"),
    ("utilization of 0 percent", {"gateway": {"maxUtilizationPercent": 0}}, "gateway.maxUtilizationPercent"),
    (
        "health-check timeout above interval",
        {"gateway": {"healthCheck": {"intervalSec": 5, "timeoutSec": 10}}},
        "gateway.healthCheck.timeoutSec",
    ),
    ("image tagged latest", {"modelServer": {"image": "vllm/vllm-tpu:latest"}}, "modelServer.image"),
    (
        "untagged image",
        {"modelServer": {"simulatorImage": "ghcr.io/llm-d/llm-d-inference-sim"}},
        "modelServer.simulatorImage",
    ),
    ("unknown backend", {"modelServer": {"backend": "gpu"}}, "modelServer.backend"),
    ("TPU backend without an accelerator", {"accelerator": None}, "modelServer.backend"),
    ("simulator with a TPU pool", {"modelServer": {"backend": "simulator"}}, "accelerator"),
    ("chart version without its CRD", {"inferencePool": {"chartVersion": "v1.2.0"}}, "inferencePool.chartVersion"),
    ("token in plain text", {"hfToken": "hf_PlainTextTokenValue"}, "hfToken"),
    ("empty model id", {"model": {"id": ""}}, "model.id"),
    ("wrong type: regions as text", {"regions": "europe-west4"}, "regions"),
    ("wrong type: MTU as text", {"network": {"mtu": "jumbo"}}, "network.mtu"),
    ("wrong type: spot as text", {"accelerator": {"spot": "yes"}}, "accelerator.spot"),
    ("wrong type: dry run", {"gateway": {"dryRun": "maybe"}}, "gateway.dryRun"),
    ("wrong type: labels as a list", {"labels": ["team"]}, "labels"),
    ("missing zone", {"regions": [{k: v for k, v in prod_regions()[0].items() if k != "zone"}]}, "regions[0].zone"),
    (
        "missing node range",
        {"regions": [{k: v for k, v in prod_regions()[0].items() if k != "nodeCidr"}]},
        "regions[0].nodeCidr",
    ),
    ("unknown nested key in a region", {"regions": with_region(zonee="us-east5-b")}, "regions[0].zonee"),
]


@pytest.mark.parametrize(("change", "key"), [(c, k) for _, c, k in BAD_INPUTS], ids=[d for d, _, _ in BAD_INPUTS])
def test_bad_input_names_the_key_and_registers_nothing(change, key):
    with pytest.raises(ConfigError) as err:
        # the token case checks a token set in plain text instead of with `--secret`
        (engine.run if "hfToken" in change else run)("prod", overrides=change)
    keys = [p.key for p in err.value.problems]
    assert key in keys, str(err.value)
    assert len(keys) == 1, f"one clear error expected, got: {err.value}"
    assert err.value.registrations == [], "resources were registered before validation"
    problem = err.value.problems[0]
    assert problem.why and problem.fix
    assert str(problem).startswith(f"{key}: {json.dumps(problem.value, default=str)} — ")
    for secret in ("hf_PlainTextTokenValue", engine.STAND_IN.format(key="hfToken")):
        assert secret not in str(err.value)


# Values the Pulumi CLI itself refuses before the program runs (tools/cli_config.py), with its words.
CLI_REFUSALS = [
    ({"project": None}, "Stack 'prod' is missing configuration value 'project'"),
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


def test_the_table_covers_many_distinct_keys():
    assert len(BAD_INPUTS) >= 45 and len({k for _, _, k in BAD_INPUTS}) >= 35


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
        config.parse(stack_file("prod") | {"prefix": "a-very-long-platform-prefix"}, "prod")
    (problem,) = err.value.problems
    assert "GKE cluster name 'a-very-long-platform-prefix-prod-europe-west4'" in problem.why
    assert "GCP allows 40" in problem.why
    assert "at most 27 characters" in problem.fix


def test_gke_version_floor_follows_the_features_in_use():
    """Managed DRANET (TPU pools) needs 1.34.1-gke.1829001; without TPU the inference gateway's
    1.34.1-gke.1127000 is the floor (stacks/facts.py, with sources)."""
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
