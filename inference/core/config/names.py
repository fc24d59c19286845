"""Names the program builds from `prefix` and the stack, and `labels`: each checked against the rule of
the API that receives it (inference/common/name_rules.py NAME_RULES, bucket words, GCP label rules)."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

from inference.common import name_rules
from inference.common.reader import Reader, name_problem, shown


@dataclass(frozen=True)
class Names:
    """Every GCP name the stack creates, derived from `<prefix>-<stack>` so stacks never collide."""

    base: str

    @property
    def network(self) -> str:
        return f"{self.base}-vpc"

    def node_subnet(self, region: str) -> str:
        return f"{self.base}-node-{region}"

    def proxy_subnet(self, region: str) -> str:
        return f"{self.base}-proxy-{region}"

    def gateway_address(self, region: str) -> str:
        return f"{self.base}-gateway-ip-{region}"

    def firewall(self, purpose: str) -> str:
        return f"{self.base}-allow-{purpose}"

    def router(self, region: str) -> str:
        """Cloud Router of a region with private nodes, and its NAT below."""
        return f"{self.network}-router-{region}"

    def nat(self, region: str) -> str:
        return f"{self.network}-nat-{region}"

    def cluster(self, region: str) -> str:
        return f"{self.base}-{region}"

    def membership(self, region: str) -> str:
        return self.cluster(region)

    def bucket_stem(self, location: str) -> str:
        """Bucket names are global: the ModelStore appends a random hex suffix to this stem."""
        return f"{self.base}-weights-{location.lower()}"

    def service_account(self, purpose: str) -> str:
        return f"{self.base}-{purpose}"

    def download_job(self, location: str) -> str:
        """The Cloud Run job that fills the bucket at `location`."""
        return f"{self.base}-dl-{location.lower()}"

    @property
    def hf_token_secret(self) -> str:
        return f"{self.base}-hf-token"


BUCKET_SUFFIX_HEX = 8  # random.RandomId(byte_length=4).hex, appended to every bucket stem
_FORBIDDEN_WORD = re.compile(name_rules.BUCKET_FORBIDDEN_WORD)


def program_labels(stack: str) -> dict[str, str]:
    """The labels the program adds to every labelled resource (PlatformConfig.resource_labels)."""
    return {"stack": stack, "managed-by": "pulumi"}


PROGRAM_LABELS = tuple(program_labels(""))


def derived_names(
    names: Names, regions: list[str], bucket_locations: list[str], private_nodes: bool, *, download: bool = False
) -> list[tuple[str, str]]:
    """(name, rule) for every name built from `<prefix>-<stack>` in this stack."""
    rules = [(names.network, "gce")] + [(names.firewall(p), "gce") for p in ("internal", "health-checks", "proxies")]
    for region in regions:
        rules += [
            (names.node_subnet(region), "gce"),
            (names.proxy_subnet(region), "gce"),
            (names.gateway_address(region), "gce"),
            (names.cluster(region), "gke-cluster"),
            (names.membership(region), "membership"),
        ]
        if private_nodes:
            rules += [(names.router(region), "gce"), (names.nat(region), "gce")]
    rules += [(f"{names.bucket_stem(loc)}-{'0' * BUCKET_SUFFIX_HEX}", "bucket") for loc in bucket_locations]
    rules += [(names.service_account(p), "service-account") for p in ("fuse", "node")]
    if download:
        rules += [(names.service_account("dl"), "service-account"), (names.hf_token_secret, "secret")]
        rules += [(names.download_job(loc), "cloud-run-job") for loc in bucket_locations]
    return rules


def check_names(
    top: Reader, names: Names, regions: list[str], bucket_locations: list[str], private_nodes: bool, *, download: bool
) -> None:
    """Blames `prefix` when a derived name breaks its API's rule: the one thing to change is the prefix
    (the stack's name is the other half, and regions and locations are what they are)."""
    for name, rule in derived_names(names, regions, bucket_locations, private_nodes, download=download):
        why = name_problem(name, rule)
        reserved = name.startswith(name_rules.BUCKET_FORBIDDEN_PREFIX) or _FORBIDDEN_WORD.search(name)
        if why is None and rule == "bucket" and reserved:
            why = f"bucket name '{name}' starts with 'goog' or contains 'google' or a close misspelling of it"
        if why is None:
            continue
        r = name_rules.NAME_RULES[rule]
        room = r.longest - (len(name) - len(names.base))
        source = "https://cloud.google.com/storage/docs/buckets#naming" if rule == "bucket" else r.source
        if len(name) > r.longest:
            fix = f"shorten the prefix so that '<prefix>-<stack>' has at most {room} characters"
        elif rule == "bucket":
            fix = "choose a prefix (and stack name) without 'goog' at the start and without 'google'"
        else:
            fix = "use a lowercase stack name, and a prefix of lowercase letters, digits and hyphens"
        top.problem("prefix", names.base, f"{why} ({source})", fix)
        return


def _gcp_label_text(text: str, *, key: bool) -> bool:
    """GCP's label rule: lowercase letters (international ones too), ASCII digits, '_' and '-'; a key starts
    with a lowercase letter."""
    if key and not (text and text[0].islower()):
        return False
    return len(text) <= name_rules.GCP_LABEL_LONGEST and all(c.islower() or c in "0123456789_-" for c in text)


def labels(top: Reader) -> dict[str, str]:
    raw = top.get("labels", {})
    if raw is None:
        return {}
    if not isinstance(raw, Mapping):
        why = 'is empty (a YAML null or "" in the stack file)' if raw == "" else "must be an object of key: value"
        top.problem("labels", raw, why, "write labels as a YAML mapping")
        return {}
    fix = (
        "use lowercase letters, digits, _ and - (keys start with a letter), at most 63 characters "
        f"({name_rules.GCP_LABELS_SOURCE})"
    )
    good: dict[str, str] = {}
    for k, v in raw.items():
        key = f"labels.{k}"
        if k in PROGRAM_LABELS:
            top.problem(key, v, "is set by the program on every resource and would be overwritten", "remove it")
        elif not _gcp_label_text(str(k), key=True):
            top.problem(key, v, f"the key '{k}' is not a valid GCP label key", fix)
        elif isinstance(v, (int, float)) and not isinstance(v, bool):
            top.problem(key, v, "is a YAML number, and a GCP label value is text", f'quote it: "{v}"')
        elif not isinstance(v, str) or not _gcp_label_text(v, key=False):
            top.problem(key, v, f"{shown(v)} is not a valid GCP label value", fix)
        else:
            good[k] = v
    if len(raw) + len(PROGRAM_LABELS) > name_rules.GCP_LABELS_PER_RESOURCE:
        top.problem(
            "labels",
            f"{len(raw)} labels",
            f"with the program's {len(PROGRAM_LABELS)} that is more than the "
            f"{name_rules.GCP_LABELS_PER_RESOURCE} a resource can carry ({name_rules.GCP_LABELS_SOURCE})",
            f"keep at most {name_rules.GCP_LABELS_PER_RESOURCE - len(PROGRAM_LABELS)} labels",
        )
    return good
