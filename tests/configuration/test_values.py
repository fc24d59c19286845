"""Values whose grammar another system defines (docs/values.md): every form the receiving API accepts passes, what
it refuses, or cannot mean, is one clear error; names the charts derive; credentials in plain text in every stack;
weights that cannot fit a slice's HBM; and no input ends in a traceback."""

from __future__ import annotations

from fractions import Fraction

import pytest

from inference.common import credentials, image_reference, quantities
from inference.common.reader import ConfigError, Problem
from inference.common.validators import git_ref_problem
from inference.configuration import stack as config
from inference.core.facts import models
from tests.configuration.test_config import FOUR_CHIPS, ONE_CHIP, SMALL_EPP, stack_settings
from tests.configuration.test_project import known_keys
from tests.conftest import run
from tools import engine, kube_api, pods, stack_file

# --- Kubernetes quantities -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("500m", Fraction(1, 2)),
        ("2", 2),
        ("2.5", Fraction(5, 2)),
        (".5", Fraction(1, 2)),
        ("2.", 2),
        ("+1", 1),
        ("1G", 10**9),
        ("2.5Gi", 5 * 2**29),
        ("1e3", 1000),
        ("1E3", 1000),
        ("1E", 10**18),
        ("1Ei", 2**60),  # the binary exa suffix, not an exponent
        ("0.5Ei", 2**59),
        ("1e400", 10**400),
        ("100u", Fraction(1, 10**4)),
        ("3n", Fraction(3, 10**9)),
        ("1.5e-3", Fraction(3, 2000)),
        (2, 2),
        (0.5, Fraction(1, 2)),
        (0.1, Fraction(1, 10)),
    ],
)
def test_every_form_apimachinery_parses_is_a_quantity(text, value):
    assert quantities.parse(text) == value
    assert pods.quantity(text) == value  # the capacity check reads quantities with the same grammar


@pytest.mark.parametrize("text", ["", "four", "8GB", "500 m", "1e", "1.2.3", "Gi", ".", "1ki", "1e3.5", True, None])
def test_what_apimachinery_refuses_is_no_quantity(text):
    assert quantities.parse(text) is None


def test_a_huge_exponent_is_refused_without_computing_it():
    assert quantities.parse("1e999999999") is None


def test_a_cpu_written_as_a_yaml_number_counts_the_millicores_written():
    assert quantities.cpu_millicores(0.1) == 100 and quantities.cpu_millicores("0.0015") == 2  # finer: rounded up


def test_quantities_the_api_accepts_pass_in_every_form():
    """The issue's over-strict cases: `1G`, `2.5Gi`, `500m`, and a quantity written as a YAML number."""
    forms = {"cpuRequest": 2, "memoryRequest": "1G", "memoryLimit": "2.5Gi"}
    cfg = config.parse(stack_settings("dev") | {"inferencePool": {"endpointPicker": forms}}, "dev")
    picker = cfg.inference_pool.endpoint_picker
    assert (picker.cpu_request, picker.memory_request, picker.memory_limit) == ("2", "1G", "2.5Gi")
    cfg = config.parse(
        stack_settings("dev") | {"inferencePool": {"endpointPicker": {**forms, "cpuRequest": "500m"}}}, "dev"
    )
    assert cfg.inference_pool.endpoint_picker.cpu_request == "500m"


def test_a_decimal_memory_quantity_renders_into_the_chart():
    plan = run("dev", overrides={"inferencePool": {"endpointPicker": {"cpuRequest": "0.5", "memoryRequest": "1G",
                                                                       "memoryLimit": "2.5Gi"}}})  # fmt: skip
    pickers = [r for r in plan.by_type("kubernetes:apps/v1:Deployment") if r.name.endswith("/gemma-pool-epp")]
    assert len(pickers) == 2  # one per region's chart
    for deployment in pickers:
        (container,) = [c for c in deployment.inputs["spec"]["template"]["spec"]["containers"] if c["name"] == "epp"]
        assert container["resources"]["requests"] == {"cpu": "0.5", "memory": "1G"}
        assert container["resources"]["limits"]["memory"] == "2.5Gi"


# --- image references ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "registry", "path", "tag"),
    [
        ("vllm/vllm-tpu:v0.12.0", "docker.io", "vllm/vllm-tpu", "v0.12.0"),
        ("busybox:1.37.0", "docker.io", "busybox", "1.37.0"),
        ("registry.example.com:5000/team/vllm:v1", "registry.example.com:5000", "team/vllm", "v1"),
        ("localhost:5000/vllm:v1", "localhost:5000", "vllm", "v1"),
        ("localhost/vllm:v1", "localhost", "vllm", "v1"),
        ("[::1]:5000/vllm:v1", "[::1]:5000", "vllm", "v1"),
        ("us-docker.pkg.dev/p-1/repo/vllm:v1", "us-docker.pkg.dev", "p-1/repo/vllm", "v1"),
        ("ghcr.io/llm-d/llm-d-inference-sim:v0.7.1", "ghcr.io", "llm-d/llm-d-inference-sim", "v0.7.1"),
        ("a__b/c--d/e.f_g:T_a.g-1", "docker.io", "a__b/c--d/e.f_g", "T_a.g-1"),
    ],
)
def test_references_parse_as_containerd_parses_them(text, registry, path, tag):
    ref = image_reference.parse(text)
    assert (ref.registry, ref.path, ref.tag) == (registry, path, tag)


@pytest.mark.parametrize(
    "text",
    [
        "VLLM/vllm:v1",
        "vllm/vllm-tpu: v1",
        "vllm:v1\n",
        "a:b:c",
        "vllm:" + "t" * 129,
        "x/" * 130 + "y:1",
        "-a:v1",
        "a/:1",
    ],
)
def test_references_containerd_refuses_do_not_parse(text):
    assert image_reference.parse(text) is None


def test_a_long_adversarial_reference_is_refused_quickly():
    assert image_reference.parse("a" * 255 + "-" * 256 + "!") is None


def test_images_with_a_registry_port_pass_where_the_nodes_pull_them():
    """`host:5000/path:tag` is a reference; the download job, which Cloud Run imports, gets an image it can pull."""
    server = {
        "namespace": "inference",
        "image": "registry.example.com:5000/vllm/vllm-tpu:v0.12.0",
        "downloaderImage": "us-docker.pkg.dev/my-project/mirror/vllm-tpu:v0.12.0",
    }
    cfg = config.parse(stack_settings("prod") | {"modelServer": server}, "prod")
    assert cfg.model_server.image == server["image"]
    for pullable in ("ghcr.io/org/dl:v1", "gcr.io/p/dl:v1", "docker.io/vllm/vllm-tpu:v0.12.0", "eu.gcr.io/p/dl:v1"):
        cfg = config.parse(stack_settings("prod") | {"modelServer": {**server, "downloaderImage": pullable}}, "prod")
        assert cfg.model_server.downloader_image == pullable


# --- git revisions, reservations -----------------------------------------------------------------------------


@pytest.mark.parametrize("revision", ["main", "refs/pr/1", "v1.0+build", "a" * 40, "release-2025.11", "feature/x_y"])
def test_git_accepts_these_revisions(revision):
    assert git_ref_problem(revision) is None
    assert config.parse(stack_settings("prod") | {"model": {"id": "google/gemma-3-27b-it", "revision": revision}},
                        "prod").model.revision == revision  # fmt: skip


@pytest.mark.parametrize(
    ("revision", "why"),
    [
        ("../main", "two dots"),
        (".hidden", "begins with a dot"),
        ("a/.b", "begins with a dot"),
        ("v1.lock", ".lock"),
        ("a.lock/b", ".lock"),
        ("a//b", "slash"),
        ("/a", "slash"),
        ("a.", "ends with a dot"),
        ("a@{1}", "@{"),
        ("@", "single character @"),
        ("a~1", "~ ^ :"),
        ("a:b", "~ ^ :"),
        ("a?", "~ ^ :"),
        ("a\\b", "~ ^ :"),
        ("-x", "hyphen"),
        ("a\tb", "control character"),
        ("a\x7fb", "control character"),
    ],
)
def test_git_check_ref_format_refuses_these(revision, why):
    assert why in git_ref_problem(revision)


def test_a_shared_reservation_of_another_project_passes_to_the_node_pool():
    accelerator = {**FOUR_CHIPS, "reservation": "projects/owner-project/reservations/tpu-res"}
    plan = run("prod", overrides={"accelerator": accelerator})
    affinities = [
        r.inputs["nodeConfig"].get("reservationAffinity") for r in plan.by_type("gcp:container/nodePool:NodePool")
    ]
    assert [a["values"] for a in affinities if a] == [[accelerator["reservation"]]] * 2  # the TPU pool of each region


# --- weights in HBM ------------------------------------------------------------------------------------------


def test_models_that_fit_their_slice_pass():
    prod = stack_settings("prod")
    assert config.parse(prod, "prod").model.id == "google/gemma-3-27b-it"  # 51 GiB on 4 chips
    small = {"accelerator": ONE_CHIP, "model": {"id": "meta-llama/Llama-3.1-8B-Instruct"}}  # 15 GiB on one chip
    assert config.parse(prod | small, "prod").accelerator.chips == 1
    stated = {"accelerator": ONE_CHIP, "model": {"id": "my-org/private", "billionParameters": 13}}  # 24.2 < 29.4 GiB
    assert config.parse(prod | stated, "prod").model.id == "my-org/private"
    quantized = {"accelerator": ONE_CHIP, "model": {"id": "my-org/private-AWQ"}}  # bytes a parameter unknown
    assert config.parse(prod | quantized, "prod").model.id == "my-org/private-AWQ"


def test_a_model_of_unknown_size_on_a_slice_needs_its_size():
    unknown = {"model": {"id": "my-org/private"}}
    with pytest.raises(ConfigError) as err:
        config.parse(stack_settings("prod") | unknown, "prod")
    assert [p.key for p in err.value.problems] == ["model.billionParameters"]
    assert config.parse(stack_settings("dev") | unknown, "dev").model.id == "my-org/private"  # the simulator


@pytest.mark.parametrize(
    ("model_id", "billions"),
    [
        ("google/gemma-3-27b-it", 27.4),
        ("Qwen/Qwen2.5-72B-Instruct", 72.0),
        ("org/Llama-3.1-8B-Instruct-ft", 8.0),
        ("org/model-1.5b", 1.5),
        ("mistralai/Mixtral-8x7B-Instruct-v0.1", None),  # a mixture states no total
        ("org/Llama-3.1-70B-Instruct-AWQ", None),  # quantized: fewer bytes a parameter
        ("org/model", None),
    ],
)
def test_a_model_is_sized_by_the_table_or_its_name(model_id, billions):
    found = models.billion_parameters(model_id)
    assert (found[0] if found else None) == billions


# --- names the charts and the API derive; no traceback for any name -------------------------------------------


def test_the_longest_names_each_key_takes_render_without_the_api_refusing_them():
    """At each name key's limit, every object the program registers and every chart renders passes the API
    server's rules (tools/kube_api.py): a derived name the checks missed would fail here."""
    names = {
        "inferencePool": {"name": "p" * 53, "objectiveName": "o" * 253, "metricExportName": "m" * 46, **SMALL_EPP},
        "modelServer": {"namespace": "n" * 37, "backend": "simulator", "name": "v" * 55, "appLabel": "a" * 63,
                        "serviceAccount": "s" * 253},
        "gateway": {"name": "g" * 253, "routeName": "r" * 253},
    }  # fmt: skip
    plan = run("dev", overrides=names)
    assert any(r.inputs.get("metadata", {}).get("name") == "p" * 40 + "-epp" for r in plan.registrations)
    legacy = {"poolName": "l" * 53, "managed": True}
    models_ = [{"name": "m" * 253, "modelName": "food-review", "criticality": "Standard", "priority": 2}]
    migration = {
        **stack_settings("migration")["migration"],
        "phase": "side-by-side",
        "legacy": legacy,
        "models": models_,
    }
    plan = run("migration", overrides={"migration": migration})
    assert any(r.inputs.get("metadata", {}).get("name") == "l" * 40 + "-epp" for r in plan.registrations)
    run("guarded", overrides={"gateway": {**stack_settings("guarded")["gateway"], "name": "g" * 51}})


# (stack, section, key, the longest name it takes): what becomes of it is checked, the derived names included.
NAME_KEYS = [
    ("dev", "inferencePool", "name", 53),
    ("dev", "inferencePool", "objectiveName", 253),
    ("dev", "inferencePool", "metricExportName", 46),
    ("dev", "modelServer", "name", 55),
    ("dev", "modelServer", "namespace", 63),
    ("dev", "modelServer", "serviceAccount", 253),
    ("dev", "modelServer", "appLabel", 63),
    ("dev", "gateway", "name", 253),
    ("dev", "gateway", "routeName", 253),
    ("guarded", "gateway", "name", 51),
    ("migration", "inferencePool", "name", 53),
]


@pytest.mark.parametrize("over", [1, 200, 1000])
@pytest.mark.parametrize(
    ("stack", "section", "key", "longest"), NAME_KEYS, ids=[f"{s}:{a}.{k}" for s, a, k, _ in NAME_KEYS]
)
def test_a_name_too_long_for_its_object_is_one_clear_error_never_a_traceback(stack, section, key, longest, over):
    """One character past the longest name a key takes (the test above renders that one), and far past it."""
    settings = stack_settings(stack)
    change = {section: {**settings.get(section, {}), key: "n" * (longest + over)}}
    with pytest.raises(ConfigError) as err:
        run(stack, overrides=change)
    assert [p.key for p in err.value.problems] == [f"{section}.{key}"], str(err.value)
    assert err.value.registrations == []


def test_a_pool_name_and_namespace_the_chart_cannot_render_together_are_one_clear_error():
    """Each fits its own rule; together they overflow the chart's quoted, truncated ClusterRole name."""
    change = {"inferencePool": {"name": "p" * 40, **SMALL_EPP}, "modelServer": {"namespace": "n" * 38,
                                                                                 "backend": "simulator"}}  # fmt: skip
    with pytest.raises(ConfigError) as err:
        run("dev", overrides=change)
    assert [p.key for p in err.value.problems] == ["inferencePool.name"]
    assert "breaking its own YAML" in err.value.problems[0].why
    run("dev", overrides={**change, "modelServer": {"namespace": "n" * 37, "backend": "simulator"}})  # 84: it renders


@pytest.mark.parametrize("length", [54, 300])
def test_an_alpha_pool_name_too_long_for_helm_is_one_clear_error(length):
    migration = {**stack_settings("migration")["migration"], "legacy": {"poolName": "l" * length, "managed": True}}
    with pytest.raises(ConfigError) as err:
        run("migration", overrides={"migration": migration})
    assert [p.key for p in err.value.problems] == ["migration.legacy.poolName"]


def test_an_alpha_pool_the_stack_does_not_install_is_named_as_an_inferencepool():
    """Another tool installed it: its name is an InferencePool's (a subdomain), not a release of this stack."""
    legacy = {"poolName": "vllm.alpha-pool", "managed": False}
    cfg = config.parse(stack_settings("migration") | {"migration": {**stack_settings("migration")["migration"],
                                                                     "legacy": legacy}}, "migration")  # fmt: skip
    assert cfg.migration.legacy_pool == "vllm.alpha-pool"


@pytest.mark.parametrize(
    ("kind", "name", "why"),
    [
        ("Service", "a.b", "RFC 1035"),
        ("Service", "1a", "RFC 1035"),
        ("Namespace", "a.b", "RFC 1123 label"),
        ("Deployment", "a_b", "RFC 1123 subdomain"),
        ("Deployment", "d" * 254, "254 characters"),
        ("ClusterRole", "a/b", "path segment"),
    ],
)
def test_the_engine_refuses_what_the_api_server_refuses(kind, name, why):
    assert why in kube_api.name_refusal(kind, name)


def test_the_engine_takes_what_the_api_server_takes():
    assert kube_api.refusals({"kind": "ClusterRole", "metadata": {"name": "system:a:b"}}) == []
    assert kube_api.refusals({"kind": "Deployment", "metadata": {"name": "a.b-c", "labels": {"k8s.io/x": ""}}}) == []
    bad = {
        "kind": "Deployment",
        "metadata": {"name": "d"},
        "spec": {"template": {"metadata": {"labels": {"a": "v" * 64}}}},
    }
    assert kube_api.refusals(bad) == [
        "label a: Kubernetes label value '" + "v" * 64 + "' is 64 characters, the API allows 0 to 63"
    ]
    assert "qualified name" in kube_api.label_refusal("-a", "x")


def test_a_component_with_a_name_the_api_refuses_fails_the_offline_run():
    import pulumi_kubernetes as k8s

    meta = k8s.meta.v1.ObjectMetaArgs(name="model.server")
    with pytest.raises(kube_api.KubernetesApiRefusal, match="Service s: Kubernetes Service name"):
        engine.run_components(lambda: k8s.core.v1.Service("s", metadata=meta))


# --- credentials ---------------------------------------------------------------------------------------------

STACKS = stack_file.stack_names()


@pytest.mark.parametrize("stack", STACKS)
@pytest.mark.parametrize(
    "key", ["hfToken", "kubeconfig", "gcp:credentials", "gcp:accessToken", "gcp:externalCredentials"]
)
def test_a_credential_in_plain_text_is_refused_in_every_stack_and_mode(stack, key):
    secret = {k: {"secure": "v1:set-outside-the-repository"} for k in ("hfToken", "kubeconfig") if k != key}
    with pytest.raises(ConfigError) as err:
        engine.run(stack, overrides={**secret, key: "PlainTextCredentialValue"})
    assert [p.key for p in err.value.problems] == [key]
    assert "is stored in plain text in the stack file" in str(err.value)
    assert "PlainTextCredentialValue" not in str(err.value) and err.value.registrations == []


@pytest.mark.parametrize("stack", STACKS)
def test_credentials_set_with_secret_pass(stack):
    raw = stack_settings(stack) | {"hfToken": "hf_x", "kubeconfig": "apiVersion: v1"}
    if stack != "istio":
        raw.pop("kubeconfig")
    other = {"gcp:credentials": "{}", "gcp:accessToken": "ya29.x"}
    config.parse(raw, stack, other_namespaces=other, secret_keys={"hfToken", "kubeconfig", *other})


@pytest.mark.parametrize(
    ("key", "credential"),
    [
        ("hfToken", True),
        ("gcp:credentials", True),
        ("githubToken", True),
        ("dbPassword", True),
        ("openaiApiKey", True),
        ("tls:private_key", True),
        ("secretsEncryptionKeys", False),
        ("gcp:project", False),
        ("regions", False),
    ],
)
def test_which_keys_hold_a_credential(key, credential):
    assert credentials.is_credential(key) is credential


def test_no_key_the_program_reads_is_mistaken_for_a_credential():
    """A key whose name looks like a credential's is one (and must be a secret) or is listed as not one."""
    read = known_keys(stack_settings("prod"))
    looks = [k for k in read if credentials.is_credential(k)]
    assert set(looks) <= {*credentials.CREDENTIAL_KEYS, *credentials.NOT_CREDENTIALS}, looks


def test_no_error_shows_a_secret_value():
    secret = "v1-StandInForASecretValue"
    raw = stack_settings("prod") | {"modelServer": {"namespace": "inference", "image": secret}}
    with pytest.raises(ConfigError) as err:
        config.parse(raw, "prod", secret_keys={"hfToken", "modelServer"})
    assert secret not in str(err.value) and '"[secret]"' in str(err.value)


@pytest.mark.parametrize(
    "value",
    [
        "hf_PlainTextTokenValue",
        "ya29.a0AfB",
        '{"type": "service_account", "private_key": "x"}',
        "apiVersion: v1\nusers:\n- user:\n    token: abc\n",
        "-----BEGIN RSA PRIVATE KEY-----\nMII",
        {"nested": {"clientSecret": "x"}},
        [{"key": "hf_abc"}],
    ],
)
def test_a_credential_is_recognised_by_its_form_whatever_key_holds_it(value):
    assert credentials.holds_credential(value)
    (problem,) = credentials.masked([Problem("someKey", value, "is not a known key", "remove it")], set(), {})
    assert problem.value == credentials.PLAIN_TEXT and "rotate the credential" in problem.fix


@pytest.mark.parametrize("value", ["google/gemma-3-27b-it", "tokenizer-free", {"port": 8000}, ["hf", "x"], 8000, None])
def test_ordinary_values_are_shown(value):
    assert not credentials.holds_credential(value)
    (problem,) = credentials.masked([Problem("servingPort", value, "is wrong", "fix it")], set(), {})
    assert problem.value == value and problem.fix == "fix it"
