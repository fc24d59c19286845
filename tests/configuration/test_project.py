"""Project files: Pulumi.yaml declares the scalar keys with the defaults the program uses; the README
documents every key; dependencies are pinned; the plan command works and fails clearly."""

from __future__ import annotations

import copy
import json
import re
import shutil

import pytest
import yaml

from inference.configuration import stack as config
from tests.configuration.test_config import stack_settings
from tools import cli_config, engine, plan, stack_file

README = (engine.ROOT / "README.md").read_text()
CONFIG_DOC = (engine.ROOT / "docs" / "configuration.md").read_text()
PROJECT = yaml.safe_load((engine.ROOT / "Pulumi.yaml").read_text())
ATTRIBUTE = {
    "prefix": "prefix",
    "servingPort": "serving_port",
    "releaseChannel": "release_channel",
    "deletionProtection": "deletion_protection",
    "production": "production",
}


def known_keys(raw: dict, path: str = "") -> list[str]:
    """The keys parse reads at one level, taken from its own unknown-key error."""
    with pytest.raises(config.ConfigError) as err:
        config.parse(raw | {"zzz_unknown": 1}, "prod")
    (problem,) = [p for p in err.value.problems if p.key.endswith("zzz_unknown")]
    return [k.split(".")[-1] for k in problem.fix.split("known keys: ")[1].split(", ")]


def all_keys() -> list[str]:
    prod = stack_settings("prod")
    keys = known_keys(prod)
    nested = []
    for key in (
        "privateNodes",
        "network",
        "accelerator",
        "systemPool",
        "model",
        "modelStore",
        "modelServer",
        "fleet",
        "inferencePool",
        "gateway",
        "observability",
        "autoscaling",
    ):
        with pytest.raises(config.ConfigError) as err:
            config.parse(prod | {key: {**prod.get(key, {}), "zzz_unknown": 1}}, "prod")
        (problem,) = err.value.problems
        nested += [f"{key}.{k}" for k in problem.fix.split("known keys: ")[1].split(", ")]
    regions = copy.deepcopy(prod["regions"])
    regions[0]["zzz_unknown"] = 1
    with pytest.raises(config.ConfigError) as err:
        config.parse(prod | {"regions": regions}, "prod")
    nested += [f"regions[].{k.split('.')[-1]}" for k in err.value.problems[0].fix.split("known keys: ")[1].split(", ")]
    with pytest.raises(config.ConfigError) as err:
        config.parse(prod | {"gateway": {"healthCheck": {"zzz_unknown": 1}}}, "prod")
    nested += [f"gateway.healthCheck.{k}" for k in err.value.problems[0].fix.split("known keys: ")[1].split(", ")]
    for section in ("alerts", "accessLogging"):
        with pytest.raises(config.ConfigError) as err:
            config.parse(prod | {"observability": {section: {"zzz_unknown": 1}}}, "prod")
        fix = err.value.problems[0].fix
        nested += [f"observability.{section}.{k}" for k in fix.split("known keys: ")[1].split(", ")]
    return keys + nested + mode_keys()


def _unknown_key_fix(stack: str, path: list, raw: dict | None = None) -> list[str]:
    """The keys parse reads at `path` (keys and list indexes) of `stack`, from its unknown-key error."""
    raw = copy.deepcopy(raw or stack_settings(stack))
    node = raw
    for part in path:
        node = node.setdefault(part, {}) if isinstance(part, str) else node[part]
    node["zzz_unknown"] = 1
    with pytest.raises(config.ConfigError) as err:
        config.parse(raw, stack)
    (problem,) = [p for p in err.value.problems if p.key.endswith("zzz_unknown")]
    return [k.split(".")[-1] for k in problem.fix.split("known keys: ")[1].split(", ")]


def mode_keys() -> list[str]:
    """The sections of the gateway modes, the migration, the guards and Istio, read on the stack files
    that use them (the apigee.create section on the guarded stack with creation asked for)."""
    guarded = stack_settings("guarded")
    creating = copy.deepcopy(guarded)
    creating["guards"]["apigee"].pop("organization")
    creating["guards"]["apigee"]["create"] = {"billingType": "PAYG", "hostnames": ["llm.example.com"]}
    sections = [
        ("guarded", ["guards"], "guards", None),
        ("guarded", ["guards", "modelArmor"], "guards.modelArmor", None),
        ("guarded", ["guards", "apigee"], "guards.apigee", None),
        ("guarded", ["guards", "apigee", "create"], "guards.apigee.create", creating),
        ("migration", ["migration"], "migration", None),
        ("migration", ["migration", "legacy"], "migration.legacy", None),
        ("migration", ["migration", "models", 0], "migration.models[]", None),
        ("istio", ["istio"], "istio", None),
        ("istio", ["existingCluster"], "existingCluster", None),
    ]
    return [f"{prefix}.{k}" for stack, path, prefix, raw in sections for k in _unknown_key_fix(stack, path, raw)]


def test_the_mode_sections_are_walked():
    keys = mode_keys()
    for key in ("guards.apigee.create.billingType", "migration.phase", "migration.models[].priority", "istio.scorers"):
        assert key in keys


def test_runtime_is_python_in_a_virtualenv():
    assert PROJECT["runtime"] == {"name": "python", "options": {"toolchain": "pip", "virtualenv": "venv"}}


def test_scalar_keys_are_declared_with_type_description_and_the_programs_default():
    declared = PROJECT["config"]
    assert sorted(declared) == sorted(ATTRIBUTE)
    base = stack_settings("prod")
    for key, decl in declared.items():
        assert decl["type"] in ("string", "integer", "boolean", "array") and decl["description"]
        if "default" in decl:
            cfg = config.parse({k: v for k, v in base.items() if k != key}, "prod")
            assert getattr(cfg, ATTRIBUTE[key]) == decl["default"], key


@pytest.mark.parametrize("stack", sorted(p.name.split(".")[1] for p in engine.ROOT.glob("Pulumi.*.yaml")))
def test_every_stack_file_passes_the_clis_config_rules_as_checked_in(stack):
    """`pulumi preview -s <stack>` must get past the CLI's config merge with the file as it is."""
    raw = yaml.safe_load((engine.ROOT / f"Pulumi.{stack}.yaml").read_text())["config"]
    merged = cli_config.merge(stack, PROJECT, raw)
    # A stack on an existing cluster creates no GCP resource and has no project; every other stack has one.
    assert bool(merged.get("inference-platform:project")) != ("inference-platform:existingCluster" in merged)


def test_keys_without_a_default_are_only_those_every_stack_sets():
    required = [k for k, d in PROJECT["config"].items() if "default" not in d and "value" not in d]
    assert required == []  # `project` too: a stack on an existing cluster has none (the program requires it)
    assert not any(d.get("secret") for d in PROJECT["config"].values()), "a declared secret is required everywhere"


def test_every_key_the_program_reads_is_in_the_readme():
    keys = all_keys()
    assert len(keys) >= 30
    missing = [k for k in keys if f"`{k}`" not in CONFIG_DOC and f"`{k}." not in CONFIG_DOC]
    assert missing == []


def test_runtime_requirements_are_pinned():
    for name in ("requirements.txt", "requirements-dev.txt"):
        for line in (engine.ROOT / name).read_text().splitlines():
            line = line.split("#")[0].strip()
            if line and not line.startswith("-r"):
                assert re.fullmatch(r"[A-Za-z0-9_.-]+==[0-9][\w.]*", line), line
    runtime = (engine.ROOT / "requirements.txt").read_text()
    for package in ("pulumi", "pulumi-gcp", "pulumi-kubernetes", "pulumi-random", "pulumiverse-time"):
        assert re.search(rf"^{package}==", runtime, re.M), package


def test_plan_prints_the_summary_and_writes_resources_json(tmp_path, capsys):
    assert plan.main(["prod", "--out", str(tmp_path)]) == 0
    printed = capsys.readouterr().out
    assert printed.startswith("Stack prod: 182 resources in 19 components")  # 142 declared, 40 rendered
    assert "\n40 of them rendered by Helm from 2 charts, as the Kubernetes provider expands them\n" in printed
    assert "cluster-us-east5 (InferenceCluster): 4\n  us-east5\n" in printed
    assert "   17  gcp:projects/service:Service" in printed
    context = "gke_tpu-inference-prod_europe-west4-a_tpu-gke-dranet-prod-europe-west4"
    assert f'  kubeContexts: {{"europe-west4": "{context}"' in printed
    manifests = {p.relative_to(tmp_path / "manifests").as_posix() for p in (tmp_path / "manifests").rglob("*.yaml")}
    # the program's objects (serving, network policies, autoscaling), then each object its two charts render
    assert len(manifests) == 28 + 6 + 28 + 40
    assert "tpu-gke-dranet-prod-us-east5/Gateway-inference-cross-region-gateway.yaml" in manifests
    assert not [m for m in manifests if m.startswith("tpu-gke-dranet-prod-europe-west4/Gateway")]
    deployment = yaml.safe_load(
        (tmp_path / "manifests/tpu-gke-dranet-prod-europe-west4/Deployment-inference-vllm-gemma.yaml").read_text()
    )
    assert (deployment["apiVersion"], deployment["kind"]) == ("apps/v1", "Deployment")
    assert "replicas" not in deployment["spec"]  # the HPA's
    chart = yaml.safe_load((tmp_path / "manifests/tpu-gke-dranet-prod-us-east5/Chart-gemma-pool.yaml").read_text())
    assert chart["helmChart"]["chart"] == "./components/charts/inferencepool-v1.5.0"
    epp = yaml.safe_load(
        (tmp_path / "manifests/tpu-gke-dranet-prod-us-east5/Deployment-inference-gemma-pool-epp.yaml").read_text()
    )
    assert epp["spec"]["template"]["spec"]["containers"][0]["image"].endswith("/epp:v1.5.0")
    data = json.loads((tmp_path / "resources.json").read_text())
    assert len(data["resources"]) == 161 + 40  # every registration (components too), then the rendered objects
    assert sum(1 for r in data["resources"] if r["renderedBy"]) == 40
    assert data["outputs"]["network"] == "tpu-gke-dranet-prod-vpc"


def test_plan_fails_with_the_config_error_for_a_bad_stack_file(tmp_path, capsys, monkeypatch):
    for name in ("Pulumi.yaml", "__main__.py"):
        shutil.copy(engine.ROOT / name, tmp_path / name)
    for name in ("inference", "components"):
        (tmp_path / name).symlink_to(engine.ROOT / name)
    bad = yaml.safe_load((engine.ROOT / "Pulumi.prod.yaml").read_text())
    bad["config"]["inference-platform:network"] = {"mtu": 9001}
    (tmp_path / "Pulumi.bad.yaml").write_text(yaml.safe_dump(bad))
    monkeypatch.setattr(engine, "ROOT", tmp_path)
    monkeypatch.setattr(stack_file, "ROOT", tmp_path)
    assert plan.main(["bad", "--out", str(tmp_path / "out")]) == 2
    err = capsys.readouterr().err
    assert "network.mtu: 9001 — must be in 1300..8896 — GCP VPCs accept an MTU from 1300 to 8896" in err
    assert not (tmp_path / "out").exists()
    assert plan.main(["missing"]) == 2


def test_the_readme_holds_no_figure_that_goes_stale_with_a_commit():
    """Test counts, resource counts and timings belong to `make bench` and the docs, not the front door."""
    readme = (engine.ROOT / "README.md").read_text()
    stale = re.findall(r"\b\d+ (?:tests|resources)\b|\(\d{2,4}\) \||\b\d+\.\d+ s\b|\b\d+:\d\d min\b", readme)
    assert stale == []
