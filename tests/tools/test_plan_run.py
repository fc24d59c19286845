"""What keeps a plan fast: the offline engine's lazy SDK packages (tools/sdk.py), with the same names as the SDK's own
star imports and fewer modules loaded; one run of the program per plan; manifests written only where they change."""

from __future__ import annotations

import importlib
import sys
from pathlib import Path

from tools import plan, sdk


def _loaded(prefix: str) -> set[str]:
    return {m for m in sys.modules if m.startswith(prefix)}


def test_a_package_loads_a_module_on_the_first_use_of_one_of_its_names():
    assert sdk._FINDER in sys.meta_path  # importing the engine installs it
    bigquery = importlib.import_module("pulumi_gcp.bigquery")  # the program uses none of it
    before = _loaded("pulumi_gcp.bigquery.")
    assert "pulumi_gcp.bigquery.dataset" not in before
    assert bigquery.Dataset.__module__ == "pulumi_gcp.bigquery.dataset"
    assert isinstance(bigquery, sdk.LazyPackage)  # once used: pulumi_gcp hands its packages over unexecuted
    assert bigquery.DatasetArgs.__module__ == "pulumi_gcp.bigquery.dataset"
    new = _loaded("pulumi_gcp.bigquery.") - before
    # its module, and the package's shared inputs and outputs it imports; not the package's other modules
    assert "pulumi_gcp.bigquery.dataset" in new and "pulumi_gcp.bigquery.table" not in new
    assert {"Dataset", "Table", "dataset", "outputs"} <= set(dir(bigquery))


def test_the_names_are_those_of_the_sdks_star_imports():
    compute = importlib.import_module("pulumi_gcp.compute")
    init = Path(compute.__file__)
    names, modules = sdk.lazy_names(init.parent, init.read_text())
    assert names["Network"] == names["NetworkArgs"] == "network" and "network" in modules
    assert names["SubnetworkSecondaryIpRangeArgs"] == "_inputs"  # the package's types, star-imported last
    assert (
        compute.SubnetworkSecondaryIpRangeArgs
        is vars(sys.modules["pulumi_gcp.compute._inputs"])["SubnetworkSecondaryIpRangeArgs"]
    )
    assert sdk.lazy_names(init.parent, "import typing\n") is None  # a package without star imports stays as it is


def test_a_module_named_after_its_class_leaves_the_class_on_the_package():
    """pulumi-kubernetes names each module after its resource: after the star import the package's name is the
    class, also once the module itself was imported."""
    batch = importlib.import_module("pulumi_kubernetes.batch.v1")
    importlib.import_module("pulumi_kubernetes.batch.v1.CronJob")
    assert isinstance(batch.CronJob, type) and batch.CronJob.__name__ == "CronJob"
    assert isinstance(batch.Job, type)


def test_a_plan_runs_the_program_once_even_with_a_stand_in_for_a_missing_secret(monkeypatch):
    """The validation, not a failed run, tells which secrets get a stand-in (prod's stack file has no hfToken)."""
    runs: list[tuple[str, dict]] = []
    monkeypatch.setattr(plan, "render", lambda stack, **kwargs: runs.append((stack, kwargs)) or stack)
    assert plan.run_offline("dev") == ("dev", "")
    rendered, note = plan.run_offline("prod")
    assert runs == [("dev", {}), ("prod", {"secrets": {"hfToken": plan.OPERATOR_STAND_INS["hfToken"]}})]
    assert "hfToken: (not set) — is required to download the weights" in note and rendered == "prod"


def test_the_manifests_are_rewritten_only_where_they_change(prod, tmp_path):
    written = plan.write_manifests(prod, tmp_path)
    gone = tmp_path / "manifests" / "a-cluster-no-more" / "Deployment-x.yaml"
    gone.parent.mkdir()
    gone.write_text("kind: Deployment\n")
    changed = written[0]
    original = changed.read_text()
    changed.write_text("edited by hand\n")
    times = {p: p.stat().st_mtime_ns for p in written[1:]}
    assert plan.write_manifests(prod, tmp_path) == written
    assert {p: p.stat().st_mtime_ns for p in written[1:]} == times  # the same text: not written again
    assert changed.read_text() == original
    assert not gone.parent.exists()
    assert sorted(tmp_path.joinpath("manifests").rglob("*.yaml")) == sorted(written)
