"""The repository stands alone: every upstream file the program or a test reads is vendored under components/
with its origin (components/UPSTREAM.txt), unchanged, and no tracked file reaches outside the clone."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest

from tools import engine, upstream

ROOT = engine.ROOT
GIE = "https://raw.githubusercontent.com/kubernetes-sigs/gateway-api-inference-extension"


def test_every_vendored_file_is_the_upstream_file_it_names():
    assert upstream.check() == []


def test_the_list_names_each_file_once_at_a_pinned_url():
    listed = upstream.entries()
    assert len({e.path for e in listed}) == len(listed)
    for e in listed:
        # Release tags (or a commit) in every URL, except the one repository that publishes none.
        pinned = "/main/" not in e.url and "/master/" not in e.url
        assert pinned or e.path.startswith(("crds/gke-gateway-api/", "manifests/custom-metrics")), e.url


def _copy(tmp_path, *paths: str):
    """A vendored tree of just these files, with their rows."""
    rows = upstream.by_path()
    for path in paths:
        (tmp_path / path).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(upstream.VENDORED / path, tmp_path / path)
    lines = [f"{rows[p].sha256}  {p}  {rows[p].url}  {rows[p].mark}".rstrip() for p in paths]
    (tmp_path / "UPSTREAM.txt").write_text("\n".join(lines) + "\n")
    for folder in upstream.FOLDERS:
        (tmp_path / folder).mkdir(exist_ok=True)
    return tmp_path


CRD = "crds/gateway-api-inference-extension-v1.5.0/inference.networking.x-k8s.io_inferenceobjectives.yaml"
STAMPED = "charts/inferencepool-v1.5.0/Chart.yaml"


def test_an_edited_copy_is_caught(tmp_path):
    tree = _copy(tmp_path, CRD, STAMPED)
    assert upstream.check(tree) == []
    (tree / CRD).write_text((tree / CRD).read_text().replace("priority", "priorty", 1))
    assert upstream.check(tree) == [f"{CRD}: differs from the upstream file ({upstream.by_path()[CRD].url})"]


def test_a_chart_yaml_with_more_than_the_release_stamp_is_caught(tmp_path):
    tree = _copy(tmp_path, STAMPED)
    (tree / STAMPED).write_text((tree / STAMPED).read_text() + "# local edit\n")
    assert upstream.check(tree) == [f"{STAMPED}: is not upstream's Chart.yaml with the release stamp v1.5.0"]


def test_a_vendored_file_without_its_origin_is_caught(tmp_path):
    tree = _copy(tmp_path, CRD)
    (tree / "crds" / "extra.yaml").write_text("kind: CustomResourceDefinition\n")
    assert upstream.check(tree) == ["crds/extra.yaml: vendored but not listed in UPSTREAM.txt with its upstream URL"]


def test_the_release_stamp_is_what_helm_package_writes():
    original = 'apiVersion: v2\nname: inferencepool\nversion: 0.0.0\nappVersion: "0.0.0"\n'
    assert (
        upstream.stamp(original, "v1.5.0")
        == 'apiVersion: v2\nname: inferencepool\nversion: v1.5.0\nappVersion: "v1.5.0"\n'
    )


@pytest.mark.parametrize("version", ["v1.5.0", "v1.1.0", "v0.5.1"])
def test_each_inferencepool_chart_is_the_tags_config_charts(version):
    """File by file the tag's `config/charts/inferencepool/` (and `epplib`, unpacked where `helm dependency
    update` puts it), with the repository's LICENSE; only Chart.yaml carries the release's stamp."""
    rows = upstream.by_path()
    folder = upstream.VENDORED / "charts" / f"inferencepool-{version}"
    files = [p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file()]
    assert "Chart.yaml" in files and "LICENSE" in files
    for rel in files:
        row = rows[f"charts/inferencepool-{version}/{rel}"]
        if rel == "LICENSE":
            assert row.url == f"{GIE}/{version}/LICENSE"
        elif rel.startswith("charts/inference-extension/"):
            assert row.url == f"{GIE}/{version}/config/charts/epplib/{rel.split('/', 2)[2]}"
        else:
            assert row.url == f"{GIE}/{version}/config/charts/inferencepool/{rel}"
        assert row.mark == ("stamped" if rel == "Chart.yaml" else "")


def _tracked_text_files():
    listed = subprocess.run(["git", "ls-files", "-z"], cwd=ROOT, capture_output=True, check=True).stdout
    for name in listed.decode().split("\0"):
        path = ROOT / name
        if name and path.is_file() and not name.startswith("docs/"):
            try:
                yield name, path.read_text()
            except UnicodeDecodeError:
                continue


def test_no_tracked_file_outside_docs_reaches_beside_the_clone():
    """A clone from GitHub has nothing beside it: no test, tool, workflow or CI step may read the folder beside it."""
    beside = "../" + "shared"  # spelled in two parts so that this file does not name it
    needles = (beside, "shared/" + "reference", "shared/" + "seeds", 'parent / "' + 'shared"')
    # In code, any string naming a folder "shared" as a path part, however it is joined.
    spelled = re.compile(r"""["'](\.\./|/)?""" + "sha" + r"""red(/[^"']*)?["']""")
    code = (".py", ".sh", ".mk", ".yml", ".yaml", ".toml", ".cfg", "Makefile", "run")
    this = Path(__file__).relative_to(ROOT).as_posix()
    reaching = [
        name
        for name, text in _tracked_text_files()
        if any(n in text for n in needles) or name.endswith(code) and name != this and spelled.search(text)
    ]
    assert reaching == []
