"""The offline engine itself: config as the CLI gives it, secrets kept secret, realistic outputs, a timeout."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from tools import engine


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


def test_secure_values_become_placeholders_that_stay_secret(tmp_path):
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
    assert plan.outputs["token"] == engine.Secret("offline-placeholder-for-token")
    assert plan.outputs["greeting"] == "hello"  # Pulumi.yaml default, as the CLI applies it
    assert plan.outputs["sizes"] == [1, 2]
    (secret,) = plan.registrations
    assert secret.inputs["stringData"] == engine.Secret({"token": "offline-placeholder-for-token"})
    assert engine.to_json(secret.inputs)["stringData"] == "[secret]"
    assert plan.placeholders == ["tiny:token"]


def test_declared_secret_keys_missing_from_the_stack_file_get_a_placeholder(tmp_path):
    root = tiny_project(
        tmp_path,
        SECRET_PROGRAM,
        "config:\n  tiny:sizes: []\n",
        project_config="  greeting: hi\n  token:\n    type: string\n    secret: true\n",
    )
    plan = engine.run("test", root=root)
    assert plan.outputs["token"] == engine.Secret("offline-placeholder-for-token")
    assert plan.outputs["greeting"] == "hi"
    with pytest.raises(Exception, match="Missing required configuration variable 'tiny:token'"):
        engine.run("test", root=root, fill_secrets=False)


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
    with pytest.raises(engine.EngineTimeout, match="did not finish in 2s"):
        engine.run("test", root=root, timeout=2)


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
    a, b = engine.run("prod"), engine.run("prod")
    assert sorted((r.urn, repr(r.inputs)) for r in a.registrations) == sorted(
        (r.urn, repr(r.inputs)) for r in b.registrations
    )
    assert a.outputs == b.outputs
