"""Resolves the digest of every image inference/common/images.py pins by tag, and records it next to the tag
(inference/common/image_digests.json): `python -m tools.pin_digests` prints them, `--write` records them. Run it
online when an image is bumped; offline (this repository's CI) nothing can be resolved and nothing changes.

Each record names its source and the day it was read. What the registry answers wins: a digest recorded from a
public record (docs/security.md, "Images by digest") that the registry no longer serves for the tag is replaced,
with the registry as its source; one the registry confirms keeps its record.

A digest comes from `crane digest` when crane is on the PATH (github.com/google/go-containerregistry), else from
the registry's own API: a HEAD of the tag's manifest, whose `Docker-Content-Digest` header is the digest, with an
anonymous pull token when the registry asks for one (the OCI distribution spec's "Pulling manifests", and the
token flow of https://distribution.github.io/distribution/spec/auth/token/).
"""

from __future__ import annotations

import argparse
import datetime
import json
import re
import shutil
import subprocess
import sys
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable

from inference.common import image_reference, images

# Docker Hub's API host and token service (normalize.go: docker.io is an alias of the registry's name).
REGISTRY_HOSTS = {"docker.io": "registry-1.docker.io"}
MANIFEST_TYPES = ", ".join(
    [
        "application/vnd.oci.image.index.v1+json",
        "application/vnd.docker.distribution.manifest.list.v2+json",
        "application/vnd.oci.image.manifest.v1+json",
        "application/vnd.docker.distribution.manifest.v2+json",
    ]
)
_CHALLENGE = re.compile(r'(\w+)="([^"]*)"')
Opener = Callable[[urllib.request.Request], object]


def tagged() -> list[str]:
    """Every image images.py pins, the charts' included (`*_IMAGES`: one per chart version), as repository:tag
    (a digest left off)."""
    refs = [v for k, v in vars(images).items() if k.endswith("_IMAGE") and isinstance(v, str)]
    charts = [m for k, m in vars(images).items() if k.endswith("_IMAGES") and isinstance(m, dict)]
    per_chart = [v for m in charts for v in m.values()]
    return sorted({ref.split("@", 1)[0] for ref in [*refs, *per_chart]})


def _request(url: str, token: str | None = None) -> urllib.request.Request:
    headers = {"Accept": MANIFEST_TYPES, **({"Authorization": f"Bearer {token}"} if token else {})}
    return urllib.request.Request(url, headers=headers, method="HEAD")


def _token(challenge: str, open_: Opener) -> str:
    """An anonymous pull token from the realm a `WWW-Authenticate: Bearer realm=...,service=...,scope=...` names."""
    fields = dict(_CHALLENGE.findall(challenge))
    query = urllib.parse.urlencode({k: v for k, v in fields.items() if k in ("service", "scope")})
    with open_(urllib.request.Request(f"{fields['realm']}?{query}")) as answer:
        body = json.loads(answer.read())
    return body.get("token") or body["access_token"]


def manifest_url(image: str) -> str:
    """Where the registry serves `image`'s manifest (the distribution spec's `/v2/<name>/manifests/<tag>`)."""
    ref = image_reference.parse(image)
    if ref is None or not ref.tag:
        raise ValueError(f"{image} is not a repository:tag reference")
    path = f"library/{ref.path}" if ref.registry == "docker.io" and "/" not in ref.path else ref.path
    return f"https://{REGISTRY_HOSTS.get(ref.registry, ref.registry)}/v2/{path}/manifests/{ref.tag}"


def registry_digest(image: str, open_: Opener = urllib.request.urlopen) -> str:
    """The digest the registry serves for `image`'s tag."""
    url = manifest_url(image)
    try:
        answer = open_(_request(url))
    except urllib.error.HTTPError as refused:
        if refused.code != 401:
            raise
        answer = open_(_request(url, _token(refused.headers["WWW-Authenticate"], open_)))
    with answer:
        digest = answer.headers.get("Docker-Content-Digest")
    if not re.fullmatch(r"sha256:[0-9a-f]{64}", digest or ""):
        raise ValueError(f"{image}: the registry answered no sha256 digest ({digest!r})")
    return digest


def digest(image: str) -> str:
    crane = shutil.which("crane")
    if crane:
        return subprocess.run([crane, "digest", image], capture_output=True, text=True, check=True).stdout.strip()
    return registry_digest(image)


def record(image: str, resolved: str, records: dict[str, dict[str, str]], today: datetime.date) -> dict[str, str]:
    """The record of `image` once the registry answered `resolved`: the one there when it says the same."""
    known = records.get(image)
    if known and known["digest"] == resolved:
        return known
    return {"digest": resolved, "source": manifest_url(image), "recorded": today.isoformat()}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--write", action="store_true", help=f"record the digests in {images.DIGESTS_FILE.name}")
    args = parser.parse_args(argv)
    found, failed = dict(images.RECORDS), []
    for image in tagged():
        try:
            found[image] = record(image, digest(image), images.RECORDS, datetime.date.today())
            print(f"{image}@{found[image]['digest']}")
        except (OSError, ValueError, subprocess.CalledProcessError) as error:  # offline, refused, unknown tag
            failed.append(image)
            print(f"{image}: not resolved ({error})", file=sys.stderr)
    if args.write:
        images.DIGESTS_FILE.write_text(json.dumps(dict(sorted(found.items())), indent=2) + "\n")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
