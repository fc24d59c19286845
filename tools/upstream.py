"""Vendored upstream files: `python -m tools.upstream [--fetch]`.

Everything the program installs or the tests validate against (Helm charts, CRDs, manifests) is vendored
under components/ and listed in components/UPSTREAM.txt with the sha256 of the upstream file and its URL.
Without `--fetch` the copies are checked against the list (what `make test` runs); with `--fetch` each URL
is downloaded and compared, which needs the network and is for whoever moves a pin (components/README.md).
"""

from __future__ import annotations

import argparse
import hashlib
import re
import sys
import urllib.request
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
VENDORED = ROOT / "components"
MANIFEST = VENDORED / "UPSTREAM.txt"
FOLDERS = ("charts", "crds", "manifests")  # every file under these is upstream's and must be listed
MARKS = ("", "stamped", "as-vendored", "extracted")  # components/README.md says what each means


@dataclass(frozen=True)
class Entry:
    sha256: str  # of the upstream file (of the copy itself for as-vendored and extracted)
    path: str  # under components/
    url: str
    mark: str  # "" | stamped | as-vendored | extracted


def entries(manifest: Path = MANIFEST) -> list[Entry]:
    found = []
    for line in manifest.read_text().splitlines():
        if line.strip() and not line.startswith("#"):
            sha, path, url, *mark = line.split()
            found.append(Entry(sha, path, url, mark[0] if mark else ""))
    return found


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def stamp(chart_yaml: str, version: str) -> str:
    """What a release does to the tagged Chart.yaml (`helm package --version V --app-version V`)."""
    stamped = chart_yaml.replace("\nversion: 0.0.0\n", f"\nversion: {version}\n")
    return stamped.replace('\nappVersion: "0.0.0"\n', f'\nappVersion: "{version}"\n')


def release_of(entry: Entry) -> str:
    """The release a stamped chart carries: `inferencepool-v1.5.0` -> v1.5.0."""
    return entry.path.split("/")[1].split("-", 1)[1]


def by_path(manifest: Path = MANIFEST) -> dict[str, Entry]:
    return {e.path: e for e in entries(manifest)}


def check(vendored: Path = VENDORED) -> list[str]:
    """Problems: a listed file missing or changed, a vendored file nobody listed, a malformed row."""
    problems = []
    manifest = vendored / MANIFEST.name
    listed = entries(manifest)
    for e in listed:
        if e.mark not in MARKS or not re.fullmatch(r"[0-9a-f]{64}", e.sha256) or not e.url.startswith("https://"):
            problems.append(f"{e.path}: malformed row ({e.sha256[:12]}, {e.url}, {e.mark!r})")
            continue
        file = vendored / e.path
        if not file.is_file():
            problems.append(f"{e.path}: listed in {manifest.name} but not vendored")
            continue
        data = file.read_bytes()
        if e.mark == "stamped":
            # The copy is upstream's file with the release's two stamped lines, and nothing else.
            head = data.decode()
            original = head.replace(f"\nversion: {release_of(e)}\n", "\nversion: 0.0.0\n").replace(
                f'\nappVersion: "{release_of(e)}"\n', '\nappVersion: "0.0.0"\n'
            )
            if sha256(original.encode()) != e.sha256 or stamp(original, release_of(e)) != head or original == head:
                problems.append(f"{e.path}: is not upstream's Chart.yaml with the release stamp {release_of(e)}")
        elif sha256(data) != e.sha256:
            problems.append(f"{e.path}: differs from the upstream file ({e.url})")
    paths = {e.path for e in listed}
    for folder in FOLDERS:
        for file in sorted((vendored / folder).rglob("*")):
            rel = file.relative_to(vendored).as_posix()
            if file.is_file() and rel not in paths:
                problems.append(f"{rel}: vendored but not listed in {manifest.name} with its upstream URL")
    return problems


def fetch(entry: Entry) -> str | None:
    """Downloads the entry's URL; the problem, or None when the copy is upstream's. What was extracted from
    a rendered documentation page (its `kubectl apply` YAML, its shell steps) is compared by reading the page."""
    if entry.mark == "extracted":
        return None
    with urllib.request.urlopen(entry.url, timeout=60) as response:  # noqa: S310 - https URLs from the manifest
        data = response.read()
    ours = (VENDORED / entry.path).read_bytes()
    if entry.mark == "stamped":
        data = stamp(data.decode(), release_of(entry)).encode()
    return None if data == ours else f"{entry.path}: differs from {entry.url}"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tools.upstream", description=__doc__.splitlines()[0])
    parser.add_argument("--fetch", action="store_true", help="compare every copy with its URL (network)")
    args = parser.parse_args(argv)
    problems = check()
    if args.fetch:
        for e in entries():
            try:
                problem = fetch(e)
            except OSError as error:
                problem = f"{e.path}: {e.url} could not be fetched ({error})"
            if problem:
                problems.append(problem)
    for problem in problems:
        print(f"error: {problem}", file=sys.stderr)
    print(f"{len(entries())} vendored files, {len(problems)} problem(s)")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
