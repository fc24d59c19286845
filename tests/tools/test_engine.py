"""The offline engine itself: config as the CLI gives it, secrets kept secret, realistic outputs, a timeout."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from tests.conftest import run
from tools import cli_config, engine


def tiny_project(tmp_path: Path, program: str, stack_config: str, project_config: str = "") -> Path:
    (tmp_path / "Pulumi.yaml").write_text(
        "name: tiny\nruntime: python\nconfig:\n"
        + (project_config or "  greeting:\n    type: string\n    default: hello\n")
    )
    (tmp_path / "Pulumi.test.yaml").write_text(textwrap.dedent(stack_config))
    (tmp_path / "__main__.py").write_text(textwrap.dedent(program))
    return tmp_path


SECRET_PROGRAM = """
    import pulumi
    import pulumi_kubernetes as k8s

    cfg = pulumi.Config()
    token = cfg.require_secret("token")
    k8s.core.v1.Secret("s", metadata={"name": "s"}, string_data={"token": token})
    pulumi.export("token", token)
    pulumi.export("greeting", cfg.require("greeting"))
    pulumi.export("sizes", cfg.require_object("sizes"))
"""


def test_secure_values_get_a_stand_in_that_stays_secret(tmp_path):
    root = tiny_project(
        tmp_path,
        SECRET_PROGRAM,
        """
        config:
          tiny:token:
            secure: v1:abc:def
          tiny:sizes: [1, 2]
        """,
    )
    plan = engine.run("test", root=root)
    assert plan.outputs["token"] == engine.Secret("offline-stand-in-for-token")
    assert plan.outputs["greeting"] == "hello"  # Pulumi.yaml default, as the CLI applies it
    assert plan.outputs["sizes"] == [1, 2]
    (secret,) = plan.registrations
    assert secret.inputs["stringData"] == engine.Secret({"token": "offline-stand-in-for-token"})
    assert engine.to_json(secret.inputs)["stringData"] == "[secret]"
    assert plan.stand_ins == ["tiny:token"]


def test_an_operators_secret_is_set_as_with_config_set_secret(tmp_path):
    root = tiny_project(tmp_path, SECRET_PROGRAM, "config:\n  tiny:sizes: []\n")
    plan = engine.run("test", root=root, secrets={"token": "from-the-operator"})
    assert plan.outputs["token"] == engine.Secret("from-the-operator")
    assert plan.stand_ins == []


TOKEN = "  token:\n    type: string\n    secret: true\n"


# Pulumi.yaml declarations and stack values against the CLI's own words (pulumi/pulumi
# pkg/workspace/config.go mergeConfig, sdk/go/common/workspace/project.go Project.Validate).
CLI_RULES = [
    (
        "declared secret unset",
        TOKEN,
        "config:\n  tiny:sizes: []\n",
        "Stack 'test' is missing configuration value 'token'",
    ),
    (
        "several unset",
        TOKEN + "  zone:\n    type: string\n  able:\n    type: boolean\n",
        "config: {}\n",
        "Stack 'test' is missing configuration values 'able', 'token' and 'zone'",
    ),
    (
        "secret in plain text",
        TOKEN,
        "config:\n  tiny:token: hunter2\n",
        "Stack 'test' with configuration key 'token' must be encrypted as it's secret",
    ),
    (
        "secret with a default",
        "  token:\n    type: string\n    secret: true\n    default: ''\n",
        "config: {}\n",
        "Stack 'test' with configuration key 'token' must be encrypted as it's secret",
    ),
    (
        "wrong type",
        "  size:\n    type: integer\n    default: 1\n",
        "config:\n  tiny:size: large\n",
        "Stack 'test' with configuration key 'size' must be of type 'integer'",
    ),
    (
        "array items",
        "  zones:\n    type: array\n    items:\n      type: string\n",
        "config:\n  tiny:zones: [1, 2]\n",
        "Stack 'test' with configuration key 'zones' must be of type 'array<string>'",
    ),
    (
        "array without items",
        "  zones:\n    type: array\n",
        "config: {}\n",
        "The configuration key 'zones' declares an array but does not specify the underlying type via the "
        "'items' attribute",
    ),
    (
        "default of the wrong type",
        "  size:\n    type: integer\n    default: big\n",
        "config: {}\n",
        "The default value specified for configuration key 'size' is not of the expected type 'integer'",
    ),
    (
        "default and value",
        "  size:\n    default: 1\n    value: 2\n",
        "config: {}\n",
        "project config 'size' cannot have both a 'default' and 'value' attribute",
    ),
    (
        "typed provider key",
        "  gcp:region:\n    type: string\n    value: us-east5\n",
        "config: {}\n",
        "Configuration key 'gcp:region' is not namespaced by the project and should not define a type",
    ),
]


@pytest.mark.parametrize(
    ("project_config", "stack_config", "message"), [r[1:] for r in CLI_RULES], ids=[r[0] for r in CLI_RULES]
)
def test_the_clis_config_rules_apply_before_the_program_runs(tmp_path, project_config, stack_config, message):
    root = tiny_project(tmp_path, "raise SystemExit('the program must not run')\n", stack_config, project_config)
    with pytest.raises(cli_config.CliConfigError) as err:
        engine.run("test", root=root)
    assert str(err.value) == message


def test_values_the_cli_accepts(tmp_path):
    project_config = (
        "  size:\n    type: integer\n    default: 1\n  enabled:\n    type: boolean\n    default: false\n"
        "  token:\n    type: string\n    secret: true\n  gcp:project:\n    value: p\n"
    )
    stack_config = "config:\n  tiny:size: '42'\n  tiny:enabled: 'true'\n  tiny:token:\n    secure: v1:x\n"
    root = tiny_project(
        tmp_path,
        "import pulumi\npulumi.export('size', pulumi.Config().require_int('size'))\n",
        stack_config,
        project_config,
    )
    plan = engine.run("test", root=root)
    assert plan.outputs["size"] == 42


def test_provider_functions_are_refused_so_the_plan_never_depends_on_a_cloud_answer(tmp_path):
    root = tiny_project(
        tmp_path,
        "import pulumi_gcp as gcp\ngcp.organizations.get_project()\n",
        "config: {}\n",
    )
    with pytest.raises(Exception, match="gcp:organizations/getProject:getProject"):
        engine.run("test", root=root)


def test_a_program_that_never_finishes_times_out(tmp_path):
    root = tiny_project(
        tmp_path,
        """
        import asyncio
        import pulumi
        pulumi.export("never", pulumi.Output.from_input(asyncio.get_event_loop().create_future()))
        """,
        "config: {}\n",
    )
    with pytest.raises(engine.EngineTimeout, match="did not finish in 1s"):
        engine.run("test", root=root, timeout=1)


def test_unknown_resource_types_are_refused_rather_than_given_made_up_outputs(tmp_path):
    root = tiny_project(
        tmp_path,
        'import pulumi_gcp as gcp\ngcp.compute.Instance("vm", machine_type="e2-small",'
        ' zone="us-east5-b", boot_disk={"initialize_params": {"image": "debian-12"}},'
        ' network_interfaces=[{"network": "default"}])\n',
        "config: {}\n",
    )
    with pytest.raises(Exception, match="no offline outputs for resource type gcp:compute/instance:Instance"):
        engine.run("test", root=root)


def test_mock_outputs_look_like_the_real_providers(prod):
    cluster = prod.one("gcp:container/cluster:Cluster", "cluster-us-east5-gke")
    assert cluster.id == "projects/tpu-inference-prod/locations/us-east5-b/clusters/tpu-gke-dranet-prod-us-east5"
    assert cluster.outputs["endpoint"].count(".") == 3
    assert cluster.outputs["masterAuth"]["clusterCaCertificate"].startswith("LS0tLS1CRUdJTi")  # base64 PEM
    account = prod.one("gcp:serviceaccount/account:Account", "weights-reader")
    assert account.outputs["email"] == "tpu-gke-dranet-prod-fuse@tpu-inference-prod.iam.gserviceaccount.com"
    subnet = prod.one("gcp:compute/subnetwork:Subnetwork", "network-node-us-east5")
    assert subnet.outputs["selfLink"] == (
        "https://www.googleapis.com/compute/v1/projects/tpu-inference-prod/regions/us-east5/subnetworks/"
        "tpu-gke-dranet-prod-node-us-east5"
    )


def test_runs_are_isolated_and_deterministic():
    a, b = run("prod"), run("prod")
    assert sorted((r.urn, repr(r.inputs)) for r in a.registrations) == sorted(
        (r.urn, repr(r.inputs)) for r in b.registrations
    )
    assert a.outputs == b.outputs
