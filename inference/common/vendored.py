"""Where the vendored upstream files are (components/README.md): the CRDs the program reads, and the local
chart paths it hands to Helm. A chart path is an input of its Chart resource, so it stays as deployed
stacks have it: relative to the project root, where Pulumi runs the program, the same on every machine."""

from __future__ import annotations

import copy
import functools
from pathlib import Path
from typing import Any

import yaml

VENDORED = Path(__file__).resolve().parents[2] / "components"
CRDS = VENDORED / "crds"
MANIFESTS = VENDORED / "manifests"


def chart(folder: str) -> str:
    """A vendored chart by folder name, as the Chart resource's `chart` input: `./components/charts/<folder>`."""
    return f"./components/charts/{folder}"


def parsed(path: Path) -> Any:
    """A vendored YAML file's document, a fresh copy the caller may change. Parsed once per content: a CRD is
    hundreds of kilobytes that every run of the program (every test's) would parse again."""
    return copy.deepcopy(_parsed(path.read_text()))


@functools.lru_cache(maxsize=32)
def _parsed(text: str) -> Any:
    return yaml.safe_load(text)
