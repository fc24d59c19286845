"""Where the vendored upstream files are (components/README.md): the CRDs the program reads, and the local
chart paths it hands to Helm. A chart path is an input of its Chart resource, so it stays as deployed
stacks have it: relative to the project root, where Pulumi runs the program, the same on every machine."""

from __future__ import annotations

from pathlib import Path

VENDORED = Path(__file__).resolve().parents[2] / "components"
CRDS = VENDORED / "crds"
MANIFESTS = VENDORED / "manifests"


def chart(folder: str) -> str:
    """A vendored chart by folder name, as the Chart resource's `chart` input: `./components/charts/<folder>`."""
    return f"./components/charts/{folder}"
