"""Validators every section shares, one per kind of value, each against the grammar of the system that receives
it: a Kubernetes name (and the names derived from it), a Helm release, a container image, a Kubernetes CPU or
memory quantity, a git revision and a fraction."""

from __future__ import annotations

import re
from fractions import Fraction

from inference.common import image_reference, name_rules, quantities
from inference.common.reader import Reader, name_problem

# A number as YAML and Pulumi hand it over: a number, or its text.
NUMBER = re.compile(r"[+-]?([0-9]+\.?[0-9]*|\.[0-9]+)")


def k8s_name(r: Reader, name: str, default: str, rule: str, *, derived: str = "{}") -> str | None:
    """A Kubernetes name; `derived` is the name the program builds from it (e.g. "{}-service"): that
    name must obey `rule`."""
    value = r.string(name, default, longest=253)
    if value is None:
        return None
    why = name_problem(derived.format(value), rule)
    if why:
        r.problem(name, value, f"{why} ({name_rules.NAME_RULES[rule].source})", _fix(rule, derived))
        return None
    return value


def _fix(rule: str, derived: str) -> str:
    r = name_rules.NAME_RULES[rule]
    room = r.longest - (len(derived) - 2)
    starts = "a letter" if r.pattern.startswith("[a-z]") else "a lowercase letter or digit"
    return f"use lowercase letters, digits and hyphens, starting with {starts}, at most {room} characters"


def helm_release(r: Reader, name: str, default: str, what: str) -> str | None:
    """The name of an inferencepool chart release: Helm's release rule, and the endpoint picker's Service the chart
    names after it (`<the release's first 40 characters>-epp`, an RFC 1035 label); `what` says what it names."""
    value = r.string(name, default, longest=253)
    if value is None:
        return None
    why = name_problem(value, "helm-release") or name_problem(epp_service(value), "dns-1035-label")
    if why:
        r.problem(
            name,
            value,
            f"{why}: {what} is its Helm release name ({name_rules.NAME_RULES['helm-release'].source}) and names "
            f"the endpoint picker's Service <name>-epp ({name_rules.INFERENCEPOOL_EPP_NAME_SOURCE})",
            "use lowercase letters, digits and hyphens, starting with a letter, at most "
            f"{name_rules.NAME_RULES['helm-release'].longest} characters",
        )
        return None
    return value


def epp_service(release: str) -> str:
    """The inferencepool charts' endpoint picker name: the release cut to 40 characters, then `-epp`."""
    return f"{release[: name_rules.INFERENCEPOOL_RELEASE_KEPT]}-epp"


def image(r: Reader, name: str, default: str, *, pulled_by_cloud_run: bool = False) -> str | None:
    """A container image reference that parses, names a tag or a digest and is not tagged latest; with
    `pulled_by_cloud_run`, in a registry Cloud Run imports from."""
    value = r.string(name, default, longest=512)
    if value is None:
        return None
    problem = image_problem(value, default, pulled_by_cloud_run)
    if problem:
        r.problem(name, value, *problem)
        return None
    return value


def image_problem(value: str, default: str, pulled_by_cloud_run: bool) -> tuple[str, str] | None:
    """(why, fix) when the image cannot be pulled as written, or would not stay the same release."""
    ref = image_reference.parse(value)
    if ref is None:
        grammar = "[host[:port]/]path[:tag][@digest]"
        why = f"is not a container image reference ({image_reference.REFERENCE_SOURCE}: {grammar})"
        return why, f"write it like {default}: lowercase, no spaces, no trailing newline"
    pin = f"pin a release, e.g. {default}"
    if why := image_reference.digest_problem(ref):
        return why, pin
    if not ref.tag and not ref.digest:
        return "names no tag or digest, so each pull takes whatever `latest` is then", pin
    if ref.tag == "latest" and not ref.digest:
        return "is tagged latest, which moves: each pull may run another release", pin
    if pulled_by_cloud_run and not image_reference.cloud_run_pulls(ref):
        why = (
            f"is in the registry {ref.registry}, and Cloud Run imports images only from Artifact Registry "
            "(*-docker.pkg.dev, gcr.io), Docker Hub and the GitHub Container Registry "
            f"({image_reference.CLOUD_RUN_REGISTRIES_SOURCE})"
        )
        return why, "use a copy of the image in Artifact Registry, or proxy its registry with a remote repository there"
    return None


def _quantity_text(r: Reader, name: str, default: str, fix: str) -> tuple[str, Fraction] | None:
    """A quantity in any form the API takes, as text and as its exact value."""
    value = r.get(name, default)
    if value is None:
        return None
    if isinstance(value, str) and len(value) > 32:  # no request needs more digits: a slip, or garbage
        r.problem(name, value, f"is {len(value)} characters long, at most 32", fix)
        return None
    amount = quantities.parse(value)
    if amount is None:
        why = f"is not a Kubernetes quantity ({quantities.QUANTITY_SOURCE}: a number and a suffix such as m, Mi, G)"
        r.problem(name, value, why, fix)
        return None
    if amount < 0:
        r.problem(name, value, "is negative, and Kubernetes refuses a negative request or limit", fix)
        return None
    return (value if isinstance(value, str) else f"{value:g}"), amount


# "Kubernetes doesn't allow you to specify CPU resources with a precision finer than 1m or 0.001 CPU."
CPU_UNITS_SOURCE = "https://kubernetes.io/docs/concepts/configuration/manage-resources-containers/#meaning-of-cpu"


def cpu(r: Reader, name: str, default: str, *, most_cores: int) -> str | None:
    """A CPU quantity: cores or millicores; finer than 1m or more cores than any known machine has is a slip."""
    fix = 'write cores or millicores, e.g. "2" or "500m"'
    parsed = _quantity_text(r, name, default, fix)
    if parsed is None:
        return None
    text, cores = parsed
    if 0 < cores < Fraction(1, 1000):
        why = f"is {quantities.shown_cores(cores)}, finer than 1m, which Kubernetes refuses ({CPU_UNITS_SOURCE})"
        r.problem(name, text, why, fix)
        return None
    if cores > most_cores:
        mega = " (M is mega, 10^6; millicores are a lowercase m)" if text.endswith("M") else ""
        r.problem(
            name,
            text,
            f"is {quantities.shown_cores(cores)}{mega}: a valid quantity, but no machine type the checks know has more "
            f"than {most_cores} vCPUs",
            fix,
        )
        return None
    return text


def memory(r: Reader, name: str, default: str, *, least: int, most: int) -> str | None:
    """A memory quantity in bytes; below `least` or above `most` bytes is valid to the API but a slip."""
    fix = 'write memory with a binary suffix, e.g. "2Gi" or "512Mi"'
    parsed = _quantity_text(r, name, default, fix)
    if parsed is None:
        return None
    text, amount = parsed
    if amount < least:
        bare = text[-1:].isdigit() or text[-1:] == "m"
        unit = " (a quantity without a suffix counts bytes, and m is thousandths)" if bare else ""
        r.problem(
            name,
            text,
            f"is {quantities.shown_bytes(amount)}{unit}: a valid quantity, but below {quantities.shown_bytes(least)}, "
            "far less than any container needs",
            fix,
        )
        return None
    if amount > most:
        r.problem(
            name,
            text,
            f"is {quantities.shown_bytes(amount)}: a valid quantity, but no machine type the checks know has more than "
            f"{quantities.shown_bytes(most)}",
            fix,
        )
        return None
    return text


# git check-ref-format (https://git-scm.com/docs/git-check-ref-format), rules 1, 3-10 and --branch: what a
# branch or tag name may not be; a commit hash is hexadecimal and passes every rule.
GIT_REF_SOURCE = "https://git-scm.com/docs/git-check-ref-format"
_GIT_REF_RULES: tuple[tuple[re.Pattern, str], ...] = (
    (re.compile(r"[\x00-\x20\x7f]"), "holds a space or a control character"),
    (re.compile(r"[~^:?*\[\\]"), "holds one of ~ ^ : ? * [ \\"),
    (re.compile(r"\.\."), "holds two dots in a row"),
    (re.compile(r"@\{"), "holds @{"),
    (re.compile(r"^/|/$|//"), "begins or ends with a slash, or holds two in a row"),
    (re.compile(r"(^|/)\."), "has a component that begins with a dot"),
    (re.compile(r"\.lock(/|$)"), "has a component that ends with .lock"),
    (re.compile(r"\.$"), "ends with a dot"),
    (re.compile(r"^-"), "begins with a hyphen, which git reads as an option"),
    (re.compile(r"^@$"), "is the single character @"),
)


K8S_EXPANSION_SOURCE = (
    "https://kubernetes.io/docs/tasks/inject-data-application/define-interdependent-environment-variables/"
)


def git_ref_problem(value: str) -> str | None:
    return next((why for pattern, why in _GIT_REF_RULES if pattern.search(value)), None)


def git_revision(r: Reader, name: str, default: str) -> str | None:
    """A branch, a tag or a commit: a name `git check-ref-format --branch` accepts."""
    value = r.string(name, default, longest=255)
    if value is None:
        return None
    why = git_ref_problem(value)
    if why is None and "$(" in value:  # the revision goes into the model server's args and env
        why = f"holds $(, which Kubernetes expands as a variable in a container's args and env ({K8S_EXPANSION_SOURCE})"
    if why:
        r.problem(
            name,
            value,
            why if "$(" in why else f"{why}, so it is not a git branch, tag or commit ({GIT_REF_SOURCE})",
            "use a branch or tag name, or a 40-character commit hash, e.g. main",
        )
        return None
    return value


def fraction(r: Reader, name: str, default: float, *, low_open: bool = True, fix: str = "") -> float | None:
    """A number in (0, 1] (or [0, 1] when not `low_open`): YAML and Pulumi hand it over as a number or text."""
    value = r.get(name, default)
    if value is None:
        return None
    if isinstance(value, str) and NUMBER.fullmatch(value):
        value = float(value)
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        r.problem(name, value, "must be a number", fix or "write a fraction such as 0.8")
        return None
    if not (0 < value <= 1 if low_open else 0 <= value <= 1):
        r.problem(name, value, "must be a fraction in (0, 1]", fix or "write a fraction such as 0.8, not a percentage")
        return None
    return float(value)
