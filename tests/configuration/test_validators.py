"""The shared validators and the region check, called directly (inference/common/validators.py,
inference/core/config/network.py, inference/common/credentials.py): each refusal names the key, the value and the
fix, and what the receiving system takes passes. tests/configuration/bad_inputs.txt holds the same refusals as a
stack meets them; these pin the validator itself, so a defect in one is caught twice, here and there."""

from __future__ import annotations

import pytest

from inference.common import credentials, name_rules, validators
from inference.common.reader import NOT_SET, Problem, Reader
from inference.core.config import network
from inference.core.facts import places


def read(validator, value, *args, **kwargs):
    """(what the validator returns, the problems) for `{"key": value}` in the section `sec`."""
    problems: list[Problem] = []
    raw = {} if value is NOT_SET else {"key": value}
    result = validator(Reader(raw, "sec", problems), "key", *args, **kwargs)
    return result, problems


def refused(validator, value, *args, **kwargs) -> Problem:
    result, problems = read(validator, value, *args, **kwargs)
    assert result is None, result
    (problem,) = problems
    assert problem.key == "sec.key" and problem.fix  # one problem, on the key, with a fix
    return problem


# --- names --------------------------------------------------------------------------------------------------------


def test_a_kubernetes_name_and_the_name_derived_from_it_obey_the_rule():
    rule = name_rules.NAME_RULES["dns-1035-label"]
    room = rule.longest - len("-service")
    assert read(validators.k8s_name, "a" * room, "d", "dns-1035-label", derived="{}-service") == ("a" * room, [])
    long = refused(validators.k8s_name, "a" * (room + 1), "d", "dns-1035-label", derived="{}-service")
    assert f"'{'a' * (room + 1)}-service' is {room + 1 + len('-service')} characters" in long.why
    assert f"at most {room} characters" in long.fix and rule.source in long.why
    assert "does not match" in refused(validators.k8s_name, "Gemma", "d", "dns-1035-label").why
    assert "starting with a letter" in refused(validators.k8s_name, "1pool", "d", "dns-1035-label").fix
    assert read(validators.k8s_name, NOT_SET, "gemma-pool", "dns-1035-label") == ("gemma-pool", [])


def test_a_helm_release_must_also_name_the_endpoint_pickers_service():
    assert read(validators.helm_release, "gemma-pool", "d", "the pool") == ("gemma-pool", [])
    # Valid Helm releases whose endpoint picker Service "<release>-epp" is no RFC 1035 label.
    for release in ("1pool", "gemma.pool"):
        assert (
            name_rules.NAME_RULES["helm-release"].pattern and validators.name_problem(release, "helm-release") is None
        )
        problem = refused(validators.helm_release, release, "d", "the pool")
        assert (
            f"'{validators.epp_service(release)}'" in problem.why and "the pool is its Helm release name" in problem.why
        )
    too_long = "a" * (name_rules.NAME_RULES["helm-release"].longest + 1)
    assert "characters" in refused(validators.helm_release, too_long, "d", "the pool").why


# --- images -------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "image",
    [
        "vllm/vllm-tpu:v0.12.0",
        "us-docker.pkg.dev/p/r/vllm:1.0",
        "registry.example.com:5000/team/vllm:2",
        "vllm/vllm-tpu@sha256:" + "a" * 64,
        "vllm/vllm-tpu:v0.12.0@sha512:" + "b" * 128,  # the other algorithm the OCI image spec registers
    ],
)
def test_pinned_images_pass(image):
    assert read(validators.image, image, "vllm/vllm-tpu:v0.12.0") == (image, [])


@pytest.mark.parametrize(
    ("image", "why"),
    [
        ("vllm/vllm-tpu:latest", "is tagged latest"),
        ("vllm/vllm-tpu", "names no tag or digest"),
        ("vllm/vllm-tpu:v0.12.0\n", "is not a container image reference"),
        ("VLLM/vllm-tpu:1", "is not a container image reference"),
        ("vllm/vllm-tpu@sha256:abc", "digest"),
        ("vllm/vllm-tpu@sha512:" + "b" * 64, "digest"),
    ],
)
def test_images_that_do_not_stay_one_release_are_refused(image, why):
    problem = refused(validators.image, image, "vllm/vllm-tpu:v0.12.0")
    assert why in problem.why and "vllm/vllm-tpu:v0.12.0" in problem.fix


def test_cloud_run_pulls_only_from_the_registries_it_imports_from():
    quay = "quay.io/team/downloader:1.0"
    assert read(validators.image, quay, "vllm/vllm-tpu:v0.12.0") == (quay, [])
    problem = refused(validators.image, quay, "vllm/vllm-tpu:v0.12.0", pulled_by_cloud_run=True)
    assert "is in the registry quay.io" in problem.why and "Artifact Registry" in problem.fix
    ghcr = "ghcr.io/team/downloader:1.0"
    assert read(validators.image, ghcr, "d:1", pulled_by_cloud_run=True) == (ghcr, [])


# --- quantities ---------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("value", ["500m", "2", "0.5", 2, "1.5", "176"])
def test_cpu_in_cores_or_millicores_passes(value):
    result, problems = read(validators.cpu, value, "1", most_cores=176)
    assert problems == [] and result == (value if isinstance(value, str) else f"{value:g}")


@pytest.mark.parametrize(
    ("value", "why"),
    [
        ("500M", "(M is mega, 10^6; millicores are a lowercase m)"),
        ("1e3", "no machine type the checks know has more than 176 vCPUs"),
        ("0.0001", "finer than 1m"),
        ("-1", "is negative"),
        ("two", "is not a Kubernetes quantity"),
        ("1" * 33, "at most 32"),
    ],
)
def test_cpu_slips_are_refused(value, why):
    assert why in refused(validators.cpu, value, "1", most_cores=176).why


def test_memory_between_the_bounds_passes_and_a_bare_number_is_bytes():
    gib = 2**30
    assert read(validators.memory, "2Gi", "1Gi", least=2**20, most=64 * gib) == ("2Gi", [])
    assert read(validators.memory, "2G", "1Gi", least=2**20, most=64 * gib) == ("2G", [])
    bare = refused(validators.memory, "512", "1Gi", least=2**20, most=64 * gib)
    assert "a quantity without a suffix counts bytes" in bare.why and "2Gi" in bare.fix
    assert (
        "no machine type the checks know has more than"
        in refused(validators.memory, "1Ti", "1Gi", least=2**20, most=64 * gib).why
    )


# --- revisions and fractions --------------------------------------------------------------------------------------


@pytest.mark.parametrize("value", ["main", "v1.2.3", "release/2025-01", "0123456789abcdef0123456789abcdef01234567"])
def test_git_revisions_pass(value):
    assert read(validators.git_revision, value, "main") == (value, [])


@pytest.mark.parametrize(
    ("value", "why"),
    [
        ("a..b", "two dots"),
        ("-rf", "begins with a hyphen"),
        ("ref.lock", ".lock"),
        ("$(HOME)", "expands as a variable"),
    ],
)
def test_git_revisions_git_or_kubernetes_would_misread_are_refused(value, why):
    assert why in refused(validators.git_revision, value, "main").why


@pytest.mark.parametrize(("value", "expected"), [("0.5", 0.5), (1, 1.0), (0.92, 0.92), (".3", 0.3)])
def test_fractions_pass_as_numbers_or_text(value, expected):
    assert read(validators.fraction, value, 0.9) == (expected, [])


@pytest.mark.parametrize(("value", "why"), [(60, "fraction in (0, 1]"), (0, "fraction in (0, 1]"), (True, "number")])
def test_what_is_no_fraction_is_refused(value, why):
    assert why in refused(validators.fraction, value, 0.9).why
    assert read(validators.fraction, 0, 0.9, low_open=False) == (0.0, [])


# --- regions and zones --------------------------------------------------------------------------------------------


def test_every_region_of_the_table_is_one_and_its_zones_are_not():
    for region in places.REGION_ZONES:
        assert network.region_problem(region) is None
        for zone in places.zones_of(region):
            assert network.region_problem(zone) == (f"is a zone of {region}, not a region", f"use its region {region}")


def test_a_misspelt_region_gets_the_closest_one():
    why, fix = network.region_problem("europe-wset4")
    assert why.startswith("is not a Google Cloud region") and places.REGIONS_SOURCE in why
    assert fix == "did you mean 'europe-west4'?"
    assert network.region_problem("nowhere")[1] == "use a region such as us-east5 or europe-west4"


def _region(**item) -> list[Problem]:
    problems: list[Problem] = []
    network._name_and_zone(Reader(item, "regions[0]", problems), set())
    return problems


def test_a_zone_must_be_a_standard_zone_of_its_region():
    assert _region(name="us-east5", zone="us-east5-b") == []
    (other,) = _region(name="us-east5", zone="europe-west4-a")
    assert (other.key, other.why) == ("regions[0].zone", "is a zone of europe-west4, not of us-east5")
    ai = next(r for r in places.REGION_ZONES if places.ai_zones_of(r))
    (problem,) = _region(name=ai, zone=places.ai_zones_of(ai)[0])
    assert problem.why.startswith("is an AI zone") and places.ai_zones_of(ai)[0] not in problem.fix


# --- credentials --------------------------------------------------------------------------------------------------


def test_a_credential_in_plain_text_is_one_problem_that_does_not_repeat_it():
    raw = {"hfToken": "hf_abcdef", "prefix": "tpu"}
    (problem,) = credentials.plain_text(raw, {}, secret_keys=set(), fix={})
    assert (problem.key, problem.value) == ("hfToken", credentials.PLAIN_TEXT) and "hf_abcdef" not in str(problem)
    assert credentials.plain_text(raw, {}, secret_keys={"hfToken"}, fix={}) == []


def test_a_problem_with_a_secret_value_shows_it_masked():
    problems = [Problem("hfToken", "hf_abcdef", "is too short", "set it again"), Problem("prefix", "x", "w", "f")]
    shown = credentials.masked(problems, {"hfToken"}, {"hfToken": "hf_abcdef", "prefix": "x"})
    assert [p.value for p in shown] == [credentials.SECRET, "x"]
    assert "hf_abcdef" not in "".join(str(p) for p in shown)
    # Without the list of secret keys, every key that holds a credential counts as secret.
    assert credentials.masked(problems, None, {"hfToken": "hf_abcdef", "prefix": "x"})[0].value == credentials.SECRET
