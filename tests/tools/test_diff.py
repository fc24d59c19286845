"""The offline plan diff: real plans of prod under changed configuration, and small hand-made plans."""

from __future__ import annotations

import functools
import importlib.util
import json
import re
from pathlib import Path

import pytest

from tests.conftest import plan_of, run
from tools import diff, engine, replacements, stack_file, timing
from tools import plan as plan_tool
from tools.benchmark import regions

TWO = ["europe-west4", "us-east5"]


@functools.cache
def rendered(stack: str = "prod", region_count: int = 2, **overrides) -> dict:
    """resources.json data of a stack, as the plan command writes it (through JSON, as it is read back)."""
    if region_count == 2 and not overrides:
        plan = plan_of(stack)
    else:
        plan = run(stack, overrides={"regions": regions(region_count), **overrides})
    names = [r["name"] for r in regions(region_count)] if region_count != 2 else TWO
    return json.loads(json.dumps(plan_tool.document(plan, names)))


def counts(text: str) -> dict[str, int]:
    """The summary line's figures: add, change, replace, delete, unchanged."""
    found = re.match(r"\*\*\w+\*\*: (\d+) to add, (\d+) to change, (\d+) to replace.*?, (\d+) to delete \((\d+)", text)
    return dict(zip(("add", "change", "replace", "delete", "unchanged"), map(int, found.groups()), strict=True))


def total(plan: dict) -> int:
    return sum(1 for r in plan["resources"] if r["custom"] or r["remote"])


def test_no_change_prints_no_changes():
    base = rendered()
    serve = timing.minutes(base["timeToServeSeconds"])
    assert diff.markdown("prod", base, base) == (
        f"**prod**: no changes ({total(base)} resources) · time to serve {serve} min (unchanged)\n"
    )


# A region's resources are its own; what the regions share gains an entry for it, in place.
SHARED = {
    "gateway-gateway": ["spec.addresses[2].type", "spec.addresses[2].value"],  # the Gateway listens in it too
    "network-allow-internal": ["sourceRanges[2]"],  # its node range
    "network-allow-proxies": ["sourceRanges[2]"],  # its proxy-only range
    "network-leftover-sweeper": ["subnetworks[2]"],  # sweeps its subnet's leftovers too
}


def test_a_third_region_is_added_in_its_own_groups():
    base, head = rendered(), rendered(region_count=3)
    text = diff.markdown("prod", base, head)
    changes = diff.compare(base, head)
    added = {c.resource["urn"] for c in changes if c.action == "add"}
    assert added == {r["urn"] for r in head["resources"] if (r["custom"] or r["remote"]) and r["region"] == "us-east1"}
    updated = {c.resource["name"]: [p for p, _, _ in c.properties] for c in changes if c.action == "update"}
    # Every cluster's network policies admit the new region's proxy-only range too (the Gateway spans it).
    policies = {f"network-policies-{r}-{kind}" for r in TWO for kind in ("model-servers", "endpoint-pickers")}
    assert {k: updated[k] for k in SHARED} == SHARED and set(updated) == set(SHARED) | policies
    assert {c.action for c in changes} == {"add", "update"}
    assert counts(text) == {
        "add": len(added), "change": len(updated), "replace": 0, "delete": 0, "unchanged": total(base) - len(updated)
    }  # fmt: skip
    assert "#### cluster-us-east1 (InferenceCluster) · us-east1" in text
    assert "- `+` add `gcp:container/cluster:Cluster` **cluster-us-east1-gke** `tpu-gke-dranet-prod-us-east1`" in text
    assert "- `+` add `gcp:compute/subnetwork:Subnetwork` **network-proxy-us-east1**" in text
    # The one Gateway gets an address in the new region; the route targets the pool by name.
    assert '  - `spec.addresses[2].value`: `(none)` → `"regions/us-east1/addresses/' in text
    assert "gateway-route" not in text
    assert '  - `sourceRanges[2]`: `(none)` → `"10.1.3.0/24"`' in text
    # Every cluster's model servers and pickers admit the new region's proxies (network policies).
    assert '  - `spec.ingress[0].from[2].ipBlock.cidr`: `"130.211.0.0/22"` → `"10.1.3.0/24"`' in text


def test_a_removed_region_is_deleted():
    base, head = rendered(region_count=3), rendered()
    text = diff.markdown("prod", base, head)
    changes = diff.compare(base, head)
    deleted = {c.resource["urn"] for c in changes if c.action == "delete"}
    assert deleted == {
        r["urn"] for r in base["resources"] if (r["custom"] or r["remote"]) and r["region"] == "us-east1"
    }
    policies = {f"network-policies-{r}-{kind}" for r in TWO for kind in ("model-servers", "endpoint-pickers")}
    updated = {c.resource["name"] for c in changes if c.action == "update"}
    assert updated == set(SHARED) | policies
    assert counts(text) | {"unchanged": 0} == {
        "add": 0, "change": len(updated), "replace": 0, "delete": len(deleted), "unchanged": 0
    }  # fmt: skip
    # a production stack protects its TPU pools: the diff says `pulumi up` would stop there
    assert (
        "- `-` delete (protected: `pulumi up` stops until it is unprotected) `gcp:container/nodePool:NodePool` "
        "**cluster-us-east1-tpu**" in text
    )


def test_a_changed_value_shows_its_path_old_and_new():
    base, head = rendered(), rendered(servingPort=8080)
    text = diff.markdown("prod", base, head)
    changes = diff.compare(base, head)
    # Only updates, each of a value that held the port: it goes from the default to the new port.
    assert changes and {c.action for c in changes} == {"update"}
    for c in changes:
        for _, old, new in c.properties:
            assert "8000" in str(old) and str(old).replace("8000", "8080") == str(new), c.resource["name"]
    # It reaches everything that serves, checks or allows the port, in every region.
    names = {c.resource["name"] for c in changes}
    for region in TWO:
        assert {f"model-server-{region}-{k}" for k in ("deployment", "service", "monitoring")} <= names
    assert {"gateway-health-check", "gateway-route", "network-allow-health-checks", "network-allow-proxies"} <= names
    assert counts(text)["change"] == len(changes) and counts(text)["unchanged"] == total(base) - len(changes)
    assert '  - `allows[0].ports[0]`: `"8000"` → `"8080"`' in text
    assert "  - `spec.ports[0].targetPort`: `8000` → `8080`" in text
    assert "  - `spec.default.config.httpHealthCheck.port`: `8000` → `8080`" in text
    assert "#### network (Network) · global" in text


def test_a_nested_change_names_the_full_path():
    text = diff.markdown("prod", rendered(), rendered(modelServer='{"namespace": "inference", "maxModelLen": 4096}'))
    assert '  - `spec.template.spec.containers[0].args[3]`: `"--max-model-len=8192"` → `"--max-model-len=4096"`' in text


def test_a_new_prefix_replaces_every_named_resource():
    text = diff.markdown("prod", rendered(), rendered(prefix="tpu-gke-blue"))
    assert (
        "- `+-` replace (name `tpu-gke-dranet-prod-vpc` → `tpu-gke-blue-prod-vpc`; forces replacement: `name`)" in text
    )
    assert "to replace" in text.splitlines()[0]


def resource(name: str, inputs: dict, type_: str = "gcp:compute/firewall:Firewall", **extra) -> engine.Registration:
    return engine.Registration(
        urn=f"urn:pulumi:prod::inference-platform::{type_}::{name}",
        type=type_,
        name=name,
        parent="",
        custom=True,
        remote=False,
        inputs=inputs,
        outputs={},
        provider=extra.get("provider", ""),
        dependencies=sorted({u for urns in extra.get("deps", {}).values() for u in urns}),
        property_dependencies=extra.get("deps", {}),
        options=extra.get("options", {}),
    )


def doc(*regs: engine.Registration) -> dict:
    plan = engine.Plan(stack="prod", project="inference-platform", registrations=list(regs), outputs={})
    return json.loads(json.dumps(plan_tool.document(plan, TWO)))


def test_nested_lists_and_added_or_removed_keys():
    before = resource("fw", {"name": "fw", "allows": [{"protocol": "tcp", "ports": ["80", "443"]}], "priority": 1})
    after = resource("fw", {"name": "fw", "allows": [{"protocol": "tcp", "ports": ["80", "8443"]}], "disabled": True})
    text = diff.markdown("prod", doc(before), doc(after))
    assert text.splitlines()[1:] == [
        "",
        "#### stack · global",
        "- `~` change `gcp:compute/firewall:Firewall` **fw** `fw`",
        '  - `allows[0].ports[1]`: `"443"` → `"8443"`',
        "  - `disabled`: `(none)` → `true`",
        "  - `priority`: `1` → `(none)`",
    ]


def test_options_are_compared_too():
    before = resource("fw", {"name": "fw"})
    after = resource("fw", {"name": "fw"}, options={"protect": True})
    assert "  - `options.protect`: `(none)` → `true`" in diff.markdown("prod", doc(before), doc(after))


def test_a_changed_secret_is_reported_without_its_value():
    before = resource("tok", {"metadata": {"name": "hf"}, "stringData": engine.Secret({"token": "hf_old_value"})})
    after = resource("tok", {"metadata": {"name": "hf"}, "stringData": engine.Secret({"token": "hf_new_value"})})
    text = diff.markdown("prod", doc(before), doc(after))
    assert "  - `stringData`: `[secret]` → `[secret]`" in text
    assert "hf_old_value" not in text and "hf_new_value" not in text
    assert "hf_new_value" not in json.dumps(doc(after))
    assert diff.markdown("prod", doc(after), doc(after)).startswith("**prod**: no changes")


def test_a_value_becoming_secret_shows_only_the_old_public_value():
    before = resource("tok", {"metadata": {"name": "hf"}, "data": "public"})
    after = resource("tok", {"metadata": {"name": "hf"}, "data": engine.Secret("now-private")})
    text = diff.markdown("prod", doc(before), doc(after))
    assert '  - `data`: `"public"` → `[secret]`' in text and "now-private" not in text


def test_renaming_in_the_program_is_a_replacement_with_a_hint():
    before = resource("allow-web", {"name": "fw-web"})
    after = resource("allow-web-traffic", {"name": "fw-web"})
    text = diff.markdown("prod", doc(before), doc(after))
    assert text.splitlines()[0].startswith("**prod**: 0 to add, 0 to change, 1 to replace, 0 to delete")
    assert "replace (renamed in the program from **allow-web**; add an alias to keep it)" in text


def test_keys_that_are_not_identifiers_are_quoted():
    before = resource("ns", {"metadata": {"labels": {"app.kubernetes.io/name": "a"}}}, "kubernetes:core/v1:Namespace")
    after = resource("ns", {"metadata": {"labels": {"app.kubernetes.io/name": "b"}}}, "kubernetes:core/v1:Namespace")
    assert '  - `metadata.labels["app.kubernetes.io/name"]`: `"a"` → `"b"`' in diff.markdown(
        "prod", doc(before), doc(after)
    )


def test_the_command_diffs_against_a_base_folder_without_overwriting_it(tmp_path, capsys):
    base = tmp_path / "base"
    assert plan_tool.main(["dev", "--out", str(base)]) == 0
    before = (base / "resources.json").read_text()
    assert (base / "graph.mmd").exists() and (base / "manifests").is_dir()
    capsys.readouterr()
    assert plan_tool.main(["dev", "--diff", str(base), "--out", str(base)]) == 0
    assert capsys.readouterr().out.startswith("**dev**: no changes (")
    assert plan_tool.main(["dev", "--diff", str(tmp_path / "missing"), "--out", str(tmp_path / "head")]) == 0
    assert " to add, 0 to change, 0 to replace, 0 to delete (0 unchanged)" in capsys.readouterr().out
    # The base is read before --out overwrites it: a resource missing from it shows as added.
    data = json.loads(before)
    data["resources"] = [r for r in data["resources"] if r["name"] != "apis-iam"]
    (base / "resources.json").write_text(json.dumps(data))
    assert plan_tool.main(["dev", "--diff", str(base), "--out", str(base)]) == 0
    assert capsys.readouterr().out.startswith("**dev**: 1 to add, 0 to change")


def test_the_command_fails_a_diff_with_an_update_the_api_would_refuse(tmp_path, capsys):
    """A base whose download job differs from the head in a label only: the head's update keeps its token."""
    base = tmp_path / "base"
    data = json.loads(json.dumps(rendered()))  # a copy: rendered() is shared
    job = next(r for r in data["resources"] if r["name"] == "weights-download-us-east5")
    job["inputs"]["labels"] = {**job["inputs"]["labels"], "team": "another"}
    base.mkdir()
    (base / "resources.json").write_text(json.dumps(data))
    assert plan_tool.main(["prod", "--diff", str(base), "--out", str(tmp_path / "head")]) == 2
    printed = capsys.readouterr()
    assert "  - **refused**: the provider sends `runExecutionToken` with every update" in printed.out
    assert "error: the update of weights-download-us-east5 would be refused" in printed.err


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_rendered_plans_hold_no_secret_value(stack):
    text = json.dumps(rendered(stack))
    assert stack_file.STAND_IN.format(key="hfToken") not in text


# ---------------------------------------------------------------- replacements (tools/replacements.py)

PROD_REGIONS = [
    {"name": "europe-west4", "zone": "europe-west4-a", "nodeCidr": "10.0.1.0/24", "proxyCidr": "10.1.1.0/24"},
    {"name": "us-east5", "zone": "us-east5-b", "nodeCidr": "10.0.2.0/24", "proxyCidr": "10.1.2.0/24"},
]


def replaced_lines(text: str) -> list[str]:
    return [line for line in text.splitlines() if line.startswith("- `+-")]


def label(r: dict) -> str:
    return f"`{r['type']}` **{r['name']}**" + (f" `{r['physicalName']}`" if r["physicalName"] else "")


def test_moving_a_zone_replaces_the_cluster_its_pools_membership_provider_and_every_object_on_it():
    # us-east5-a also offers TPU v6e (inference/core/facts/places.py): the move is valid, and the config
    # cluster goes too
    moved = [PROD_REGIONS[0], dict(PROD_REGIONS[1], zone="us-east5-a")]
    head = rendered(regions=json.dumps(moved))
    text = diff.markdown("prod", rendered(), head)
    provider = next(r for r in head["resources"] if r["name"] == "cluster-us-east5-k8s")
    on_it = [r for r in head["resources"] if r["provider"].startswith(provider["urn"] + "::")]
    pools = [r for r in head["resources"] if r["type"] == "gcp:container/nodePool:NodePool" and "east5" in r["name"]]
    assert on_it and len(pools) >= 2
    # The grants whose member names the project's identity pool (the MCS importer's, the metrics adapter's, the
    # serving identity's): an output of this (the config) cluster, unknown until it is replaced.
    cluster = next(r for r in head["resources"] if r["name"] == "cluster-us-east5-gke")
    grants = [r for r in head["resources"] if cluster["urn"] in (r["propertyDependencies"] or {}).get("member", [])]
    assert grants
    by_name = {r["name"]: r["urn"] for r in head["resources"] if not r["renderedBy"]}
    replaced = {c.resource["urn"] for c in diff.compare(rendered(), head) if c.action == "replace"}
    assert replaced == {
        *(r["urn"] for r in [*on_it, *pools, *grants]),
        *(by_name[n] for n in ("cluster-us-east5-gke", "cluster-us-east5-k8s", "fleet-us-east5")),
    }
    # and MCI's config membership changes with it
    assert text.splitlines()[0].startswith(f"**prod**: 0 to add, 1 to change, {len(replaced)} to replace, 0 to delete")
    assert "- `~` change `gcp:gkehub/feature:Feature` **fleet-mci** `multiclusteringress`" in text
    assert "  - `spec`: " in text and "→ `(known once **fleet-us-east5** is replaced)`" in text
    assert (
        "- `+-` replace (forces replacement: `location`; protected: `pulumi up` stops until it is unprotected; "
        "`deletionProtection` is on: the provider refuses to delete "
        "it until it is off) `gcp:container/cluster:Cluster` **cluster-us-east5-gke** "
        "`tpu-gke-dranet-prod-us-east5`" in text
    )
    for pool in pools:
        protected = "; protected: `pulumi up` stops until it is unprotected" if "tpu" in pool["name"] else ""
        assert (
            "- `+-` replace (forces replacement: `location`; because **cluster-us-east5-gke** is replaced "
            f"(`cluster`){protected}) {label(pool)}" in text
        )
    provider_line = "- `+-` replace (forces replacement: `clusterIdentifier`) `pulumi:providers:kubernetes`"
    assert f"{provider_line} **cluster-us-east5-k8s**" in text
    assert (
        "- `+-` replace (forces replacement: `authority.issuer`, `endpoint`; because **cluster-us-east5-gke** "
        "is replaced (`endpoint`)) `gcp:gkehub/membership:Membership` **fleet-us-east5**" in text
    )
    for r in on_it:  # the Helm chart's objects as well as the program's
        assert f"- `+-` replace (replaced with its provider **cluster-us-east5-k8s**) {label(r)}" in text
    # Nothing of the other region or of the shared network, fleet features and buckets.
    assert all("europe-west4" not in line for line in replaced_lines(text))


def test_a_new_tpu_shape_may_replace_the_tpu_pools_and_updates_the_servers():
    text = diff.markdown(
        "prod",
        rendered(),
        rendered(
            accelerator='{"machineType": "ct6e-standard-8t", "topology": "2x4", "nodesPerPool": 1, "maxNodes": 2}',
            model='{"id": "google/gemma-3-27b-it", "tensorParallelSize": 8}',
        ),
    )
    # Only the TPU pools may be replaced (possibly), and the servers follow the new slice in place.
    assert text.splitlines()[0].startswith(
        f"**prod**: 0 to add, {len(TWO)} to change, {len(TWO)} to replace ({len(TWO)} possible)"
    )
    assert replaced_lines(text) == [
        "- `+-?` replace (possible replacement: `nodeConfig.machineType`; protected: `pulumi up` stops until it is "
        "unprotected) `gcp:container/nodePool:NodePool` "
        f"**cluster-{region}-tpu** `tpu-v6e-pool`"
        for region in ("europe-west4", "us-east5")
    ]
    assert '  - `nodeConfig.machineType`: `"ct6e-standard-4t"` → `"ct6e-standard-8t"`' in text
    assert (
        "- `~` change `kubernetes:apps/v1:Deployment` **model-server-us-east5-deployment** `inference/vllm-gemma`"
        in text
    )
    assert (
        '  - `spec.template.spec.containers[0].args[2]`: `"--tensor-parallel-size=4"` → `"--tensor-parallel-size=8"`'
        in text
    )
    assert '  - `spec.template.spec.nodeSelector["cloud.google.com/gke-tpu-topology"]`: `"2x2"` → `"2x4"`' in text


def test_a_new_downloader_image_updates_the_download_jobs_only():
    text = diff.markdown(
        "prod",
        rendered(),
        rendered(modelServer='{"namespace": "inference", "downloaderImage": "vllm/vllm-tpu:v0.11.0"}'),
    )
    # The jobs change in place, each with a new execution token: the new execution finds the revision's marker
    # and ends at once, nothing is downloaded again.
    changes = diff.compare(
        rendered(), rendered(modelServer='{"namespace": "inference", "downloaderImage": "vllm/vllm-tpu:v0.11.0"}')
    )
    assert {(c.action, c.resource["name"]) for c in changes} == {
        *(("update", f"weights-download-{r}") for r in TWO),
        *(("replace", f"weights-download-{r}-execution") for r in TWO),  # a new random execution token
    }
    assert '  - `template.template.containers[0].image`: `"vllm/vllm-tpu:v0.12.0"` → `"vllm/vllm-tpu:v0.11.0"`' in text
    assert "  - `runExecutionToken`: " in text and "**refused**" not in text


@functools.cache
def rotated() -> dict:
    """prod after `pulumi config set --secret hfToken <another token>`."""
    plan = plan_tool.render("prod", secrets={**plan_tool.OPERATOR_STAND_INS, "hfToken": "hf_rotated"})
    return json.loads(json.dumps(plan_tool.document(plan, TWO)))


@pytest.mark.parametrize(
    "change",
    ["labels", "image", "timeout", "attempt", "token rotation"],
)
def test_every_update_of_a_download_job_carries_a_new_execution_token(change):
    """terraform-provider-google sends the token with every update of the job, and Cloud Run refuses an execution
    name it already has: each change the job sees must come with a new token (diff.ONCE_PER_UPDATE)."""
    head = {
        "labels": lambda: rendered(labels='{"environment": "prod", "team": "ml-platform", "cost-center": "ai"}'),
        "image": lambda: rendered(modelServer='{"namespace": "inference", "downloaderImage": "vllm/vllm-tpu:v0.11.0"}'),
        "timeout": lambda: rendered(modelServer='{"namespace": "inference", "downloadTimeoutMinutes": 120}'),
        "attempt": lambda: rendered(modelStore='{"layout": "per-region", "protect": true, "downloadAttempt": 1}'),
        "token rotation": rotated,
    }[change]()
    jobs = [c for c in diff.compare(rendered(), head) if c.resource["type"] == "gcp:cloudrunv2/job:Job"]
    assert [c.action for c in jobs] == ["update", "update"]
    for c in jobs:
        assert "runExecutionToken" in {path for path, _, _ in c.properties}, c.resource["name"]
    assert diff.refusals(rendered(), head) == []


def _job(label: str, token: str, **deps) -> engine.Registration:
    inputs = {"name": "dl", "location": "us-east5", "labels": {"v": label}, "runExecutionToken": token}
    return resource("dl", inputs, "gcp:cloudrunv2/job:Job", deps=deps)


def test_an_update_that_keeps_the_execution_token_is_refused():
    text = diff.markdown("prod", doc(_job("1", "abc")), doc(_job("2", "abc")))
    assert "- `~` change `gcp:cloudrunv2/job:Job` **dl** `dl`" in text
    assert "  - **refused**: the provider sends `runExecutionToken` with every update" in text
    ((name, why),) = diff.refusals(doc(_job("1", "abc")), doc(_job("2", "abc")))
    assert name == "dl" and "the API accepts each value once" in why
    assert diff.refusals(doc(_job("1", "abc")), doc(_job("2", "def"))) == []


def test_a_job_fed_by_a_replaced_secret_version_needs_its_token_fed_by_it_too():
    """A rotated token is a new secret version, known once it exists: the job's mount of it changes then, and so
    must its execution token, or the update is refused."""
    version = resource("v", {"secretData": "a"}, "gcp:secretmanager/secretVersion:SecretVersion")
    rotated_version = resource("v", {"secretData": "b"}, "gcp:secretmanager/secretVersion:SecretVersion")
    only_mount = _job("1", "abc", labels=[version.urn])  # the version feeds an input, not the token
    assert diff.refusals(doc(version, only_mount), doc(rotated_version, only_mount)) != []
    both = _job("1", "abc", labels=[version.urn], runExecutionToken=[version.urn])
    assert diff.refusals(doc(version, both), doc(rotated_version, both)) == []


def test_one_bucket_instead_of_one_per_region():
    text = diff.markdown(
        "prod", rendered(), rendered(modelStore='{"layout": "single", "location": "US", "protect": true}')
    )
    protected = "(protected: `pulumi up` stops until it is unprotected)"
    assert "- `+` add `gcp:storage/bucket:Bucket` **weights-us** `tpu-gke-dranet-prod-weights-us-" in text
    for region in ("europe-west4", "us-east5"):
        assert f"- `-` delete {protected} `gcp:storage/bucket:Bucket` **weights-{region}**" in text
        assert f"- `-` delete `gcp:cloudrunv2/job:Job` **weights-download-{region}**" in text
    for grant, role in (("read", "objectViewer"), ("write", "objectUser")):
        assert (
            f"- `+-` replace (renamed in the program from **weights-europe-west4-{grant}**; forces replacement: "
            f"`bucket`) `gcp:storage/bucketIAMMember:BucketIAMMember` **weights-us-{grant}** `roles/storage.{role}`"
        ) in text
    # The new bucket gets its own download job, run in the config region inside it; the servers only remount.
    assert "- `+` add `gcp:cloudrunv2/job:Job` **weights-download-us** `tpu-gke-dranet-prod-dl-us`" in text
    assert "- `~` change `kubernetes:apps/v1:Deployment` **model-server-europe-west4-deployment**" in text
    assert "alias" not in text


@pytest.mark.parametrize(
    ("overrides", "expected"),
    [
        (
            {"labels": '{"environment": "prod", "team": "ml-platform", "cost-center": "ai"}'},
            "- `~` change `gcp:container/cluster:Cluster` **cluster-us-east5-gke**",
        ),
        (
            {"autoscaling": '{"enabled": true, "minReplicas": 2, "maxReplicas": 2}'},
            "- `~` change `kubernetes:autoscaling/v2:HorizontalPodAutoscaler` **autoscaling-us-east5-hpa**",
        ),
    ],
    ids=["labels", "replicas"],
)
def test_labels_and_replicas_update_in_place(overrides, expected):
    text = diff.markdown("prod", rendered(), rendered(**overrides))
    # Nothing is replaced but the download jobs' random execution tokens, drawn again when a job's labels change.
    tokens = {
        "- `+-` replace (forces replacement: `keepers`) `random:index/randomId:RandomId` "
        f"**weights-download-{r}-execution**"
        for r in TWO
    }
    assert set(replaced_lines(text)) <= tokens
    assert " 0 to delete" in text.splitlines()[0] and expected in text


def test_a_replaced_resource_replaces_what_takes_a_force_new_input_from_it():
    # The mock's RandomId output does not change with its keepers; a real one is regenerated, and with it
    # the bucket named from it and the grant on that bucket. A label taken from it updates in place, once known.
    suffix = resource(
        "suffix", {"byteLength": 4, "keepers": {"layout": "per-region"}}, "random:index/randomId:RandomId"
    )
    changed = resource("suffix", {"byteLength": 4, "keepers": {"layout": "single"}}, "random:index/randomId:RandomId")
    bucket = resource(
        "weights", {"name": "w-1a2b", "location": "US"}, "gcp:storage/bucket:Bucket", deps={"name": [suffix.urn]}
    )
    grant = resource(
        "read",
        {"bucket": "w-1a2b", "member": "user:a@example.com", "role": "roles/storage.objectViewer"},
        "gcp:storage/bucketIAMMember:BucketIAMMember",
        deps={"bucket": [bucket.urn]},
    )
    tagged = resource(
        "logs",
        {"name": "logs", "location": "US", "labels": {"s": "1a2b"}},
        "gcp:storage/bucket:Bucket",
        deps={"labels": [suffix.urn]},
    )
    text = diff.markdown("prod", doc(suffix, bucket, grant, tagged), doc(changed, bucket, grant, tagged))
    assert text.startswith("**prod**: 0 to add, 1 to change, 3 to replace, 0 to delete (0 unchanged)")
    # The label is unknown until the suffix exists again, and the engine updates the bucket with it.
    assert '- `~` change `gcp:storage/bucket:Bucket` **logs** `logs`\n  - `labels`: `{"s": "1a2b"}` → ' in text
    assert "`(known once **suffix** is replaced)`" in text
    assert "- `+-` replace (forces replacement: `keepers`) `random:index/randomId:RandomId` **suffix**" in text
    assert (
        "- `+-` replace (because **suffix** is replaced (`name`)) `gcp:storage/bucket:Bucket` **weights** `w-1a2b`"
        in text
    )
    grant_line = "- `+-` replace (because **weights** is replaced (`bucket`))"
    assert f"{grant_line} `gcp:storage/bucketIAMMember:BucketIAMMember` **read**" in text
    assert "replace (because **suffix** is replaced (`labels`))" not in text  # a label is no force-new input


def kube(cluster_id: str | None, kubeconfig: str = "ca-1", **extra) -> engine.Registration:
    inputs = {"kubeconfig": kubeconfig} | ({"clusterIdentifier": cluster_id} if cluster_id else {})
    return resource("k8s", inputs | extra, "pulumi:providers:kubernetes")


def on(provider: engine.Registration, name: str, inputs: dict, type_: str = "kubernetes:apps/v1:Deployment"):
    return resource(name, inputs, type_, provider=f"{provider.urn}::04da6b54")


DEPLOYMENT = {"metadata": {"name": "vllm", "namespace": "inference"}, "spec": {"replicas": 1}}


def test_the_kubernetes_provider_is_replaced_when_its_cluster_identifier_changes_and_takes_its_objects_along():
    same, moved = kube("gke_p_europe-west4-a_c"), kube("gke_p_europe-west4-b_c", "ca-2")
    text = diff.markdown("prod", doc(same, on(same, "app", DEPLOYMENT)), doc(moved, on(moved, "app", DEPLOYMENT)))
    assert text.splitlines()[0].startswith("**prod**: 0 to add, 0 to change, 2 to replace, 0 to delete")
    assert "- `+-` replace (forces replacement: `clusterIdentifier`) `pulumi:providers:kubernetes` **k8s**" in text
    assert (
        "- `+-` replace (replaced with its provider **k8s**) `kubernetes:apps/v1:Deployment` **app** `inference/vllm`"
        in text
    )
    # A new kubeconfig for the same cluster (a rotated CA) updates the provider; without an identifier,
    # pulumi-kubernetes replaces it only if the active cluster changes, which the diff cannot tell.
    rotated = kube("gke_p_europe-west4-a_c", "ca-2")
    assert "0 to replace" in diff.markdown("prod", doc(same), doc(rotated))
    text = diff.markdown(
        "prod",
        doc(kube(None), on(kube(None), "app", DEPLOYMENT)),
        doc(kube(None, "ca-2"), on(kube(None), "app", DEPLOYMENT)),
    )
    assert text.splitlines()[0].startswith("**prod**: 0 to add, 0 to change, 2 to replace (2 possible), 0 to delete")
    assert "- `+-?` replace (possible replacement: `kubeconfig`) `pulumi:providers:kubernetes` **k8s**" in text
    assert (
        "- `+-?` replace (possibly replaced with its provider **k8s**) `kubernetes:apps/v1:Deployment` **app**" in text
    )


@pytest.mark.parametrize(
    ("type_", "before", "after", "expected"),
    [
        (
            "kubernetes:apps/v1:Deployment",
            DEPLOYMENT,
            {**DEPLOYMENT, "metadata": {"name": "vllm", "namespace": "serving"}},
            "+- forces replacement: `metadata.namespace`",
        ),
        (
            "kubernetes:apps/v1:Deployment",
            {**DEPLOYMENT, "spec": {"selector": {"matchLabels": {"app": "a"}}}},
            {**DEPLOYMENT, "spec": {"selector": {"matchLabels": {"app": "b"}}}},
            "+- forces replacement: `spec.selector`",
        ),
        ("kubernetes:apps/v1:Deployment", DEPLOYMENT, {**DEPLOYMENT, "spec": {"replicas": 3}}, "~"),
        (
            "kubernetes:core/v1:Service",
            {"metadata": {"name": "s"}, "spec": {"type": "ClusterIP"}},
            {"metadata": {"name": "s"}, "spec": {"type": "NodePort"}},
            "~",
        ),
        (
            "kubernetes:core/v1:Service",
            {"metadata": {"name": "s"}, "spec": {"clusterIP": "10.0.0.1"}},
            {"metadata": {"name": "s"}, "spec": {"clusterIP": "10.0.0.2"}},
            "+- forces replacement: `spec.clusterIP`",
        ),
        (
            "kubernetes:core/v1:PersistentVolumeClaim",
            {"metadata": {"name": "c"}, "spec": {"storageClassName": "a"}},
            {"metadata": {"name": "c"}, "spec": {"storageClassName": "b"}},
            "+- forces replacement: `spec.storageClassName`",
        ),
        (
            "kubernetes:core/v1:ConfigMap",
            {"metadata": {"name": "c"}, "data": {"k": "1"}},
            {"metadata": {"name": "c"}, "data": {"k": "2"}},
            "+- forces replacement: `data`",
        ),
        (
            "kubernetes:core/v1:Secret",
            {"metadata": {"name": "hf"}, "stringData": engine.Secret({"t": "a"})},
            {"metadata": {"name": "hf"}, "stringData": engine.Secret({"t": "b"})},
            "+- forces replacement: `stringData`",
        ),
        (
            "kubernetes:policy/v1:PodDisruptionBudget",
            {"metadata": {"name": "p"}, "spec": {"maxUnavailable": 1}},
            {"metadata": {"name": "p"}, "spec": {"maxUnavailable": 2}},
            "~",
        ),
        (
            "kubernetes:rbac.authorization.k8s.io/v1:RoleBinding",
            {"metadata": {"name": "b"}, "roleRef": {"name": "x"}},
            {"metadata": {"name": "b"}, "roleRef": {"name": "y"}},
            "+- forces replacement: `roleRef`",
        ),
        (
            "kubernetes:inference.networking.k8s.io/v1:InferencePoolPatch",
            {"metadata": {"name": "p", "annotations": {"e": "1"}}},
            {"metadata": {"name": "p", "annotations": {"e": "2"}}},
            "~",
        ),
        (
            "kubernetes:inference.networking.x-k8s.io/v1alpha2:InferenceObjective",
            {"metadata": {"name": "o"}, "spec": {"priority": 1}},
            {"metadata": {"name": "o"}, "spec": {"priority": 2}},
            "~",
        ),
        (
            "kubernetes:inference.networking.x-k8s.io/v1alpha2:InferenceObjective",
            {"metadata": {"name": "o"}},
            {"metadata": {"name": "o2"}},
            "+- forces replacement: `metadata.name`",
        ),
        (
            "kubernetes:helm.sh/v4:Chart",
            {"name": "pool", "namespace": "a"},
            {"name": "pool", "namespace": "b"},
            "+-? possible replacement: `namespace`",
        ),
        (
            "kubernetes:helm.sh/v4:Chart",
            {"name": "pool", "values": {"r": 1}},
            {"name": "pool", "values": {"r": 2}},
            "~",
        ),
    ],
)
def test_kubernetes_objects_follow_pulumi_kubernetes_force_new_fields(type_, before, after, expected):
    text = diff.markdown("prod", doc(resource("o", before, type_)), doc(resource("o", after, type_)))
    symbol, _, reason = expected.partition(" ")
    line = next(line for line in text.splitlines() if line.startswith("- "))
    assert line.startswith(f"- `{symbol}` ") and reason in line


def test_mutable_secrets_update_in_place_unless_marked_immutable():
    before = {"metadata": {"name": "hf"}, "stringData": engine.Secret({"t": "a"})}
    after = {"metadata": {"name": "hf"}, "stringData": engine.Secret({"t": "b"})}
    mutable = kube("gke_p_z_c", enableSecretMutable="true")
    pair = [doc(mutable, on(mutable, "s", v, "kubernetes:core/v1:Secret")) for v in (before, after)]
    assert "- `~` change `kubernetes:core/v1:Secret` **s**" in diff.markdown("prod", *pair)
    frozen = [
        doc(mutable, on(mutable, "s", v | {"immutable": True}, "kubernetes:core/v1:Secret")) for v in (before, after)
    ]
    assert "- `+-` replace (forces replacement: `stringData`)" in diff.markdown("prod", *frozen)


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        ({"ipCidrRange": "10.0.0.0/23"}, "- `~` change"),  # a subnet may grow in place
        ({"ipCidrRange": "10.0.2.0/24"}, "- `+-` replace (forces replacement: `ipCidrRange`)"),
        ({"purpose": "REGIONAL_MANAGED_PROXY"}, "- `+-?` replace (possible replacement: `purpose`)"),
        ({"region": "us-east5"}, "- `+-` replace (forces replacement: `region`)"),
    ],
)
def test_conditional_and_possible_replacements(change, expected):
    base = {"name": "node", "region": "europe-west4", "ipCidrRange": "10.0.1.0/24", "purpose": "PRIVATE"}
    type_ = "gcp:compute/subnetwork:Subnetwork"
    text = diff.markdown("prod", doc(resource("s", base, type_)), doc(resource("s", base | change, type_)))
    assert f"{expected} `{type_}` **s** `node`" in text


def test_ignore_changes_and_replace_on_changes_count_as_pulumi_applies_them():
    type_ = "gcp:container/nodePool:NodePool"
    base = {"name": "tpu", "nodeConfig": {"spot": False, "resourceLabels": {"a": "1"}}}
    after = {"name": "tpu", "nodeConfig": {"spot": True, "resourceLabels": {"a": "2"}}}
    plain = diff.markdown("prod", doc(resource("p", base, type_)), doc(resource("p", after, type_)))
    assert "- `+-` replace (forces replacement: `nodeConfig.spot`)" in plain
    options = {"ignoreChanges": ["nodeConfig.spot"], "replaceOnChanges": ["nodeConfig.resourceLabels"]}
    opts = diff.markdown(
        "prod", doc(resource("p", base, type_, options=options)), doc(resource("p", after, type_, options=options))
    )
    assert "- `+-` replace (forces replacement: `nodeConfig.resourceLabels`)" in opts


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_every_resource_type_of_the_stacks_has_replacement_rules(stack):
    resources = [r for r in rendered(stack)["resources"] if r["custom"] or r["remote"]]
    assert {r["type"] for r in resources if replacements.rule_for(r) is None} == set()
    # Types the program creates under other configuration (private nodes, customer-managed keys).
    for type_ in (
        "gcp:compute/router:Router",
        "gcp:compute/routerNat:RouterNat",
        "gcp:kms/cryptoKeyIAMMember:CryptoKeyIAMMember",
    ):
        assert replacements.GCP[type_].forces and replacements.GCP[type_].source.startswith("https://")


def _sdk_names(type_: str) -> set[str]:
    """Every input and output property name of the type's module in its Pulumi Python SDK."""
    package = {"gcp": "pulumi_gcp", "random": "pulumi_random", "time": "pulumiverse_time"}[type_.split(":")[0]]
    folder = Path(importlib.util.find_spec(package).submodule_search_locations[0])
    if package == "pulumi_gcp":
        folder /= type_.split(":")[1].split("/")[0]
    text = "".join(p.read_text() for p in folder.glob("*.py"))
    names = set(re.findall(r'@pulumi\.getter\(name="(\w+)"\)', text))
    return names | {re.sub(r"_(\w)", lambda m: m.group(1).upper(), n) for n in re.findall(r"def (\w+)\(self\)", text)}


@pytest.mark.parametrize("type_", [t for t in replacements.GCP if t.split(":")[0] in ("gcp", "random", "time")])
def test_table_paths_are_the_sdk_property_names(type_):
    rule = replacements.GCP[type_]
    names = _sdk_names(type_)
    paths = (*rule.forces, *rule.blocks, *rule.possible, *rule.when, *rule.possible_when)
    unknown = {part for path in paths for part in path.replace("[*]", "").split(".") if part not in names}
    assert unknown == set()
