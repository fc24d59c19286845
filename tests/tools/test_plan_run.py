"""What keeps a plan fast: the offline engine's lazy SDK packages (tools/sdk.py), with the same names as the SDK's own
star imports and fewer modules loaded; one run of the program per plan; charts rendered while the program runs, each
release once; stack files and vendored files parsed once per content; no stack trace per registration; manifests
written only where they change."""

from __future__ import annotations

import importlib
import json
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from tests.tools.test_charts import tiny_chart_project
from tools import charts, cli_config, engine, helm, plan, sdk, stack_file

Loader = stack_file._StackFileLoader


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


def test_the_engine_hands_each_registration_over_as_it_is_made(tmp_path):
    seen: list[engine.Registration] = []
    (tmp_path / "charts" / "web").mkdir(parents=True)
    run = engine.run("test", root=tiny_chart_project(tmp_path, "./charts/web"), on_register=seen.append)
    assert seen == run.registrations and [r.type for r in seen] == [charts.CHART]


def test_a_chart_starts_rendering_when_it_is_registered_not_when_the_run_ends(monkeypatch, tmp_path):
    started = threading.Event()
    monkeypatch.setattr(charts, "expand", lambda chart, root: started.set() or [chart.name])
    chart = engine.Registration("urn:chart", charts.CHART, "web", "", False, True, {}, {}, "", [], {}, {})
    other = engine.Registration(
        "urn:other", "kubernetes:core/v1:Namespace", "apps", "", True, False, {}, {}, "", [], {}, {}
    )
    with charts.Expansion(tmp_path) as expansion:
        expansion.registered(other)
        expansion.registered(chart)
        assert started.wait(10)  # before the plan asks for the chart's objects
        assert expansion.registrations([other, chart]) == ["web"]


def test_one_release_rendered_by_two_threads_at_once_runs_helm_once(monkeypatch, tmp_path):
    chart = tmp_path / "web"
    (chart / "templates").mkdir(parents=True)
    (chart / "Chart.yaml").write_text("apiVersion: v2\nname: web\nversion: 1.0.0\n")
    (chart / "templates" / "cm.yaml").write_text("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: cm}\n")
    helm.binary()  # its version is checked once per process, before the count starts
    renders, real = [], subprocess.run

    def slow_helm(cmd, **kwargs):
        renders.append(cmd[1])
        time.sleep(0.2)  # long enough for the other thread to ask for the same release meanwhile
        return real(cmd, **kwargs)

    monkeypatch.setattr(charts.subprocess, "run", slow_helm)
    values = {"nonce": str(tmp_path)}  # a release no other test rendered in this process
    results: list[list[dict]] = []
    threads = [threading.Thread(target=lambda: results.append(charts.render(chart, "r", "ns", values))) for _ in "ab"]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert renders == ["template"] and results[0] == results[1] and results[0][0]["metadata"]["name"] == "cm"
    results[0][0]["metadata"]["name"] = "changed"
    assert results[1][0]["metadata"]["name"] == "cm"  # each caller has its own copy


def test_helms_version_is_checked_once_however_many_charts_ask_at_once(monkeypatch):
    checks, real = [], helm.version_of
    monkeypatch.setattr(helm, "version_of", lambda path: checks.append(path) or time.sleep(0.1) or real(path))
    helm._binary.cache_clear()
    threads = [threading.Thread(target=helm.binary) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert checks == [helm.BINARY] and helm.binary() == helm.BINARY


def test_a_stack_file_is_parsed_once_per_content_and_each_reader_gets_its_own_copy(tmp_path, monkeypatch):
    (tmp_path / "Pulumi.yaml").write_text("name: tiny\nruntime: python\n")
    stack = tmp_path / "Pulumi.test.yaml"
    stack.write_text("config:\n  tiny:regions: [{name: r1}]\n")
    loaders = []
    monkeypatch.setattr(stack_file, "_FastStackFileLoader", lambda text: loaders.append(text) or Loader(text))
    first, _, _ = stack_file.stack_config("test", tmp_path, overrides={"extra": "x"})
    again, _, _ = stack_file.stack_config("test", tmp_path)
    assert len(loaders) == 1 and first["tiny:extra"] == "x" and "tiny:extra" not in again  # overrides stay apart
    stack.write_text("config:\n  tiny:regions: [{name: r2}]\n")  # any change to the text is read again
    assert json.loads(stack_file.stack_config("test", tmp_path)[0]["tiny:regions"]) == [{"name": "r2"}]
    assert len(loaders) == 2


@pytest.mark.parametrize("stack", stack_file.stack_names())
def test_libyaml_reads_every_stack_file_as_the_python_reader_does(stack):
    """The CLI's rules on libyaml's parser (a clean document) and on PyYAML's (which words every refusal)."""
    text = (stack_file.ROOT / f"Pulumi.{stack}.yaml").read_text()
    python, fast = (
        stack_file._read_with(c, text, "x", "inference-platform")
        for c in (stack_file._StackFileLoader, stack_file._FastStackFileLoader)
    )
    assert repr(fast) == repr(python)


def test_a_document_libyaml_cannot_take_is_read_and_refused_by_the_python_reader():
    deep = "config:\n  tiny:x: " + "[" * 80 + "]" * 80 + "\n"
    assert not stack_file._shallow(deep)
    with pytest.raises(cli_config.CliConfigError, match="nests deeper than 64 levels"):
        stack_file._parsed_stack_file(deep, "Pulumi.test.yaml", "tiny")
    twice = "config:\n  tiny:x: 1\n  tiny:x: 2\n"
    with pytest.raises(cli_config.CliConfigError, match="already defined at line 2"):
        stack_file._parsed_stack_file(twice, "Pulumi.test.yaml", "tiny")


def test_offline_registrations_carry_no_stack_trace_the_engine_would_only_drop():
    from pulumi.runtime import resource
    from pulumi.runtime.proto import source_pb2

    sdk.install()  # again: idempotent
    assert resource._get_stack_trace() == source_pb2.StackTrace()


def test_a_vendored_file_is_parsed_once_per_content_and_each_caller_gets_its_own_copy(tmp_path):
    from inference.common import vendored

    crd = tmp_path / "crd.yaml"
    crd.write_text("spec: {names: {kind: Pool}}\n")
    first = vendored.parsed(crd)
    first["spec"]["names"]["kind"] = "changed by a caller"
    assert vendored.parsed(crd) == {"spec": {"names": {"kind": "Pool"}}}
    crd.write_text("spec: {names: {kind: Objective}}\n")
    assert vendored.parsed(crd)["spec"]["names"]["kind"] == "Objective"
