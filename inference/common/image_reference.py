"""Container image references as the container runtimes parse them, and the registries Cloud Run pulls from.

The grammar is distribution/reference's (regexp.go, reference.go; containerd and Docker parse with it):

    reference   := name [ ":" tag ] [ "@" digest ]
    name        := [ domain "/" ] path-component [ "/" path-component ]*   (255 characters at most)
    domain      := host [ ":" port ]   (a DNS name, an IPv4 address or a bracketed IPv6 address)
    path-component := [a-z0-9]+ ( ( "." | "_" | "__" | "-"+ ) [a-z0-9]+ )*
    tag         := [A-Za-z0-9_][A-Za-z0-9_.-]{0,127}
    digest      := algorithm ":" hex   (sha256: 64 hex digits, sha512: 128)

The first component is a registry host only when it holds a "." or a ":" or is `localhost` (normalize.go
splitDockerDomain); otherwise the image is on Docker Hub.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

REFERENCE_SOURCE = "distribution/reference regexp.go"
NAME_LONGEST = 255  # reference.go NameTotalLengthMax
_COMPONENT = r"[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*"
_DOMAIN_COMPONENT = r"(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])"
_HOST = rf"(?:{_DOMAIN_COMPONENT}(?:\.{_DOMAIN_COMPONENT})*|\[[a-fA-F0-9:]+\])(?::[0-9]+)?"
_REFERENCE = re.compile(
    rf"(?:(?P<domain>{_HOST})/)?(?P<path>{_COMPONENT}(?:/{_COMPONENT})*)"
    r"(?::(?P<tag>[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}))?"
    r"(?:@(?P<digest>[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*:[0-9a-fA-F]{32,}))?"
)
_COMPONENT_RE = re.compile(_COMPONENT)
# The algorithms the OCI image spec registers (opencontainers/image-spec descriptor.md "Registered algorithms").
_DIGEST = re.compile(r"sha256:[0-9a-f]{64}|sha512:[0-9a-f]{128}")

# Cloud Run imports an image when a job is deployed, from the registries "Supported container registries and
# images" lists (https://cloud.google.com/run/docs/deploying, read 2026-11-25): Artifact Registry, and public
# images from Docker Hub or the GitHub Container Registry (an older copy names Artifact Registry and Docker
# Hub only, and other registries through an Artifact Registry remote repository). The gcr.io hosts are
# Artifact Registry's since Container Registry's shutdown (https://cloud.google.com/artifact-registry/docs/
# transition/gcr-repositories).
CLOUD_RUN_REGISTRIES_SOURCE = "https://cloud.google.com/run/docs/deploying#images"
DOCKER_HUB_HOSTS = ("docker.io", "index.docker.io", "registry-1.docker.io")
CLOUD_RUN_HOSTS = (*DOCKER_HUB_HOSTS, "gcr.io", "ghcr.io")
CLOUD_RUN_HOST_SUFFIXES = ("-docker.pkg.dev", ".gcr.io")  # Artifact Registry's, e.g. us-docker.pkg.dev


@dataclass(frozen=True)
class ImageReference:
    registry: str  # "docker.io" when the reference names no registry host
    path: str
    tag: str | None
    digest: str | None


def parse(text: str) -> ImageReference | None:
    """The reference's parts, or None when containerd would refuse it."""
    match = _REFERENCE.fullmatch(text)
    if not match:
        return None
    domain, path = match["domain"], match["path"]
    if domain and not ("." in domain or ":" in domain or domain == "localhost"):
        if not _COMPONENT_RE.fullmatch(domain):  # "Vllm/vllm-tpu": a path component, and not lowercase
            return None
        path, domain = f"{domain}/{path}", None  # "library/ubuntu": the first component is a path
    if len(f"{domain}/{path}" if domain else path) > NAME_LONGEST:
        return None
    return ImageReference(domain or "docker.io", path, match["tag"], match["digest"])


def digest_problem(ref: ImageReference) -> str | None:
    if ref.digest and not _DIGEST.fullmatch(ref.digest):
        return f"has the digest {ref.digest[:20]}…, not sha256: and 64 lowercase hex digits (or sha512: and 128)"
    return None


def cloud_run_pulls(ref: ImageReference) -> bool:
    """Cloud Run can import the image from its registry (CLOUD_RUN_REGISTRIES_SOURCE)."""
    host = ref.registry.lower()
    return host in CLOUD_RUN_HOSTS or host.endswith(CLOUD_RUN_HOST_SUFFIXES)
