"""The offline plan diff: real plans of prod under changed configuration, and small hand-made plans."""

from __future__ import annotations

import functools
import json

import pytest

from tests.conftest import plan_of
from tools import diff, engine
from tools import plan as plan_tool
from tools.benchmark import regions

TWO = ["europe-west4", "us-east5"]


@functools.cache
def rendered(stack: str = "prod", region_count: int = 2, **overrides) -> dict:
    """resources.json data of a stack, as the plan command writes it (through JSON, as it is read back)."""
    if region_count == 2 and not overrides:
        plan = plan_of(stack)
    else:
        plan = engine.run(stack, overrides={"regions": regions(region_count), **overrides})
    names = [r["name"] for r in regions(region_count)] if region_count != 2 else TWO
    return json.loads(json.dumps(plan_tool.document(plan, names)))


def test_no_change_prints_no_changes():
    assert diff.markdown("prod", rendered(), rendered()) == (
        "**prod**: no changes (88 resources) · time to serve 28:10 min (unchanged)\n"
    )


def test_a_third_region_is_added_in_its_own_groups():
    text = diff.markdown("prod", rendered(), rendered(region_count=3))
    first = text.splitlines()[0]
    assert first.startswith("**prod**: 26 to add, 3 to change, 0 to replace, 0 to delete (85 unchanged)")
    assert "#### cluster-us-east1 (InferenceCluster) · us-east1" in text
    assert "- `+` add `gcp:container/cluster:Cluster` **cluster-us-east1-gke** `tpu-gke-dranet-prod-us-east1`" in text
    assert "- `+` add `gcp:compute/subnetwork:Subnetwork` **network-proxy-us-east1**" in text
    # The one Gateway gets an address in the new region; the route targets the pool by name.
    assert '  - `spec.addresses[2].value`: `(none)` → `"regions/us-east1/addresses/' in text
    assert "gateway-route" not in text
    assert '  - `sourceRanges[2]`: `(none)` → `"10.1.3.0/24"`' in text


def test_a_removed_region_is_deleted():
    text = diff.markdown("prod", rendered(region_count=3), rendered())
    assert text.splitlines()[0].startswith("**prod**: 0 to add, 3 to change, 0 to replace, 26 to delete")
    assert "- `-` delete `gcp:container/nodePool:NodePool` **cluster-us-east1-tpu**" in text


def test_a_changed_value_shows_its_path_old_and_new():
    text = diff.markdown("prod", rendered(), rendered(servingPort=8080))
    assert text.splitlines()[0].startswith("**prod**: 0 to add, 14 to change, 0 to replace, 0 to delete (74 unchanged)")
    assert '  - `allows[0].ports[0]`: `"8000"` → `"8080"`' in text
    assert "  - `spec.ports[0].targetPort`: `8000` → `8080`" in text
    assert "#### network (Network) · global" in text


def test_a_nested_change_names_the_full_path():
    text = diff.markdown("prod", rendered(), rendered(modelServer='{"namespace": "inference", "maxModelLen": 4096}'))
    assert '  - `spec.template.spec.containers[0].args[3]`: `"--max-model-len=8192"` → `"--max-model-len=4096"`' in text


def test_a_new_prefix_replaces_every_named_resource():
    text = diff.markdown("prod", rendered(), rendered(prefix="tpu-gke-blue"))
    assert "- `+-` replace (name `tpu-gke-dranet-prod-vpc` → `tpu-gke-blue-prod-vpc`)" in text
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
        provider="",
        dependencies=[],
        property_dependencies={},
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


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_rendered_plans_hold_no_secret_value(stack):
    text = json.dumps(rendered(stack))
    assert engine.SECRET_PLACEHOLDER.format(key="hfToken") not in text
