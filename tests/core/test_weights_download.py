"""The weights download: a Cloud Run job per bucket, run and waited for by `pulumi up`, with its own identity,
the token from a secret only it can read, its bucket mounted, idempotent, and every model server after it."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import textwrap

import pytest

from inference.common import images, name_rules
from inference.common.reader import name_problem
from inference.configuration import stack as config
from inference.core import weights_download
from inference.core.facts import places
from inference.serving import pods
from tests.conftest import OPERATOR_SECRETS, closure, run
from tools import engine, stack_file, timing

REGIONS = ("europe-west4", "us-east5")
WRITER = "tpu-gke-dranet-prod-dl@tpu-inference-prod.iam.gserviceaccount.com"
TOKEN = stack_file.STAND_IN.format(key="hfToken")


def job(plan: engine.Plan, region: str) -> engine.Registration:
    return plan.one("gcp:cloudrunv2/job:Job", f"weights-download-{region}")


def execution(plan: engine.Plan, region: str) -> engine.Registration:
    return plan.one("random:index/randomId:RandomId", f"weights-download-{region}-execution")


@pytest.mark.parametrize("region", REGIONS)
def test_one_job_per_bucket_in_its_region_run_and_waited_for(prod, region):
    j = job(prod, region)
    assert j.inputs["name"] == f"tpu-gke-dranet-prod-dl-{region}"
    assert j.inputs["location"] == region
    assert j.inputs["project"] == "tpu-inference-prod"
    # runExecutionToken, not startExecutionToken: the resource is ready only when the execution completed.
    assert re.fullmatch(r"[0-9a-f]{12}", j.inputs["runExecutionToken"])
    assert "startExecutionToken" not in j.inputs
    # A random token, new whenever any other input of the job changes (its keepers are made from them all, so it
    # waits for whatever they wait for, a new secret version included).
    token = execution(prod, region)
    assert j.property_dependencies["runExecutionToken"] == [token.urn]
    assert j.inputs["runExecutionToken"] == token.outputs["hex"]
    others = {u for key, urns in j.property_dependencies.items() if key != "runExecutionToken" for u in urns}
    assert others and set(token.property_dependencies["keepers"]) == others
    assert len(j.inputs["name"]) + len(j.inputs["runExecutionToken"]) < 63  # the provider's limit
    assert j.inputs["deletionProtection"] is False  # or `pulumi destroy` fails on it
    assert j.options["customTimeouts"] == {"create": "360m", "update": "360m"}  # four attempts of 90 min
    # `pulumi up --replace` re-runs a failed download: the old job (same name) must go first.
    assert j.options["deleteBeforeReplace"] is True
    job_type = "inference:storage:WeightsDownload$gcp:cloudrunv2/job:Job"  # the URN docs/weights.md gives
    assert j.urn == f"urn:pulumi:prod::inference-platform::{job_type}::weights-download-{region}"
    task = j.inputs["template"]["template"]
    assert task["timeout"] == "5400s" and task["maxRetries"] == 3
    assert j.inputs["template"]["taskCount"] == 1


@pytest.mark.parametrize("region", REGIONS)
def test_the_job_runs_as_its_own_identity_with_its_bucket_and_the_token_mounted(prod, region):
    task = job(prod, region).inputs["template"]["template"]
    assert task["serviceAccount"] == WRITER
    (c,) = task["containers"]
    assert c["image"] == "vllm/vllm-tpu:v0.12.0"  # pinned, from Docker Hub, and it ships huggingface_hub
    assert c["commands"] == ["python3", "-c", weights_download.DOWNLOAD_SCRIPT]
    assert "pip install" not in json.dumps(c)
    env = {e["name"]: e["value"] for e in c["envs"]}
    assert env["MODEL_ID"] == "google/gemma-3-27b-it" and env["REVISION"] == "main"
    assert env["TARGET_DIR"] == "/mnt/weights/google/gemma-3-27b-it/main"  # a directory per revision
    assert env["HF_XET_CHUNK_CACHE_SIZE_BYTES"] == "0"  # Xet's 10 GB chunk cache would live in memory
    assert env["HF_TOKEN_FILE"] == "/var/run/secrets/huggingface/token"
    assert not [e for e in c["envs"] if "valueSource" in e], "the token is mounted as a file, not an env var"
    assert c["resources"]["limits"] == {"cpu": "8", "memory": "32Gi"}
    assert {m["name"]: m["mountPath"] for m in c["volumeMounts"]} == {
        "weights": "/mnt/weights",
        "hf-token": "/var/run/secrets/huggingface",
    }
    volumes = {v["name"]: v for v in task["volumes"]}
    assert volumes["weights"]["gcs"] == {
        "bucket": prod.outputs["buckets"][region],
        "readOnly": False,
        "mountOptions": ["implicit-dirs"],
    }
    assert volumes["hf-token"]["secret"] == {
        "secret": "tpu-gke-dranet-prod-hf-token",
        "items": [{"path": "token", "version": "1"}],  # the version `pulumi up` created, not "latest"
    }


def test_the_token_is_a_secret_only_the_job_can_read(prod):
    (secret,) = prod.by_type("gcp:secretmanager/secret:Secret")
    assert secret.inputs["secretId"] == "tpu-gke-dranet-prod-hf-token"
    assert secret.inputs["replication"] == {"auto": {}}  # a region added later changes nothing here
    (version,) = prod.by_type("gcp:secretmanager/secretVersion:SecretVersion")
    assert version.inputs["secretData"] == engine.Secret(TOKEN)
    assert "secretData" in version.options["additionalSecretOutputs"]
    (access,) = prod.by_type("gcp:secretmanager/secretIamMember:SecretIamMember")
    assert access.inputs == {
        "project": "tpu-inference-prod",
        "secretId": "tpu-gke-dranet-prod-hf-token",
        "role": "roles/secretmanager.secretAccessor",
        "member": f"serviceAccount:{WRITER}",
    }
    # Nothing else grants Secret Manager roles, on the secret or the project.
    roles = [r.inputs["role"] for r in prod.registrations if r.type.endswith(("IAMMember", "IamMember"))]
    assert [r for r in roles if r.startswith("roles/secretmanager.")] == ["roles/secretmanager.secretAccessor"]
    for region in REGIONS:
        assert access.urn in job(prod, region).dependencies


def test_the_token_never_appears_in_plain_text(prod):
    def leaks(value, inside_secret=False):
        if isinstance(value, engine.Secret):
            return leaks(value.value, True)
        if isinstance(value, dict):
            return any(leaks(v, inside_secret) for v in value.values())
        if isinstance(value, list):
            return any(leaks(v, inside_secret) for v in value)
        return isinstance(value, str) and TOKEN in value and not inside_secret

    assert not [r.name for r in prod.registrations if leaks(r.inputs) or leaks(r.outputs)]
    assert TOKEN not in json.dumps(engine.to_json([r.inputs for r in prod.registrations]))
    assert TOKEN not in json.dumps(engine.to_json(prod.outputs))
    assert [r.name for r in prod.registrations if TOKEN in repr(engine.to_json(r.inputs, reveal=True))] == [
        "weights-download-hf-token-version"
    ]


@pytest.mark.parametrize("region", REGIONS)
def test_the_job_starts_after_its_grants_and_needs_no_cluster(prod, region):
    j = job(prod, region)
    names = {r.urn: r.name for r in prod.registrations}
    assert {f"weights-{region}-write", "weights-download-hf-token-access", "apis-run", "apis-secretmanager"} <= {
        names[d] for d in j.dependencies
    }
    waits = closure(prod, j.urn)
    assert not [names[u] for u in waits if prod.by_urn()[u].type.startswith(("gcp:container/", "kubernetes:"))]


@pytest.mark.parametrize("region", REGIONS)
def test_no_model_server_starts_before_its_bucket_holds_the_weights(prod, region):
    deployment = prod.one("kubernetes:apps/v1:Deployment", f"model-server-{region}-deployment")
    assert job(prod, region).urn in deployment.dependencies
    other = next(r for r in REGIONS if r != region)
    assert job(prod, other).urn not in closure(prod, deployment.urn)  # each region waits for its own bucket


def test_a_changed_job_runs_again_and_an_unchanged_one_does_not(prod):
    """The token is the job's whole spec with the model, revision and attempt: the same job never runs twice,
    and no update of the job reuses an execution name (tests/tools/test_diff.py: labels, image, timeout, token)."""
    base = weights_download.execution_token("google/gemma-3-27b-it", "main", 0, "{}")
    assert weights_download.execution_token("google/gemma-3-27b-it", "main", 0, "{}") == base
    assert weights_download.execution_token("google/gemma-3-12b-it", "main", 0, "{}") != base
    assert weights_download.execution_token("google/gemma-3-27b-it", "0123abc", 0, "{}") != base
    assert weights_download.execution_token("google/gemma-3-27b-it", "main", 1, "{}") != base
    assert weights_download.execution_token("google/gemma-3-27b-it", "main", 0, '{"labels": {}}') != base
    # The random token is kept while the keepers are the same, and drawn again when they change.
    assert execution(run("prod"), "us-east5").inputs["keepers"] == execution(prod, "us-east5").inputs["keepers"]
    plan = run(
        "prod",
        overrides={
            "model": {"id": "google/gemma-3-27b-it", "tensorParallelSize": 4, "revision": "v2"},
            "modelStore": {"downloadAttempt": 2},
        },
    )
    keepers = {execution(p, "us-east5").inputs["keepers"]["job"] for p in (prod, plan)}
    assert len(keepers) == 2
    # A new revision goes to its own directory: the servers roll to it, never read a half-replaced model.
    deployment = plan.one("kubernetes:apps/v1:Deployment", "model-server-us-east5-deployment")
    (vllm,) = deployment.inputs["spec"]["template"]["spec"]["containers"]
    assert "--model=/data/weights/google/gemma-3-27b-it/v2" in vllm["args"]


def test_download_script_is_idempotent(tmp_path):
    """Runs the job's script against a stand-in huggingface_hub: the second run downloads nothing, another
    revision downloads again."""
    fake = tmp_path / "lib" / "huggingface_hub"
    fake.mkdir(parents=True)
    (fake / "__init__.py").write_text(
        textwrap.dedent(
            """
            import json, os, pathlib
            def snapshot_download(**kwargs):
                log = pathlib.Path(os.environ["CALLS"])
                log.write_text(log.read_text() + json.dumps({k: str(v) for k, v in kwargs.items()}) + "\\n")
                (pathlib.Path(kwargs["local_dir"]) / "model.safetensors").write_text("weights")
            """
        )
    )
    (tmp_path / "token").write_text("hf_example\n")
    calls = tmp_path / "calls"
    calls.write_text("")
    target = tmp_path / "bucket" / "google" / "gemma-3-27b-it" / "main"
    target.mkdir(parents=True)
    env = {
        **os.environ,
        "PYTHONPATH": str(tmp_path / "lib"),
        "CALLS": str(calls),
        "MODEL_ID": "google/gemma-3-27b-it",
        "REVISION": "main",
        "TARGET_DIR": str(target),
        "HF_TOKEN_FILE": str(tmp_path / "token"),
        "PARALLEL_FILES": "4",
    }

    def download(**change):
        script = [sys.executable, "-c", weights_download.DOWNLOAD_SCRIPT]
        return subprocess.run(script, env={**env, **change}, capture_output=True, text=True)

    first, second = download(), download()
    assert first.returncode == second.returncode == 0, first.stderr + second.stderr
    (call,) = [json.loads(line) for line in calls.read_text().splitlines()]
    assert call["repo_id"] == "google/gemma-3-27b-it" and call["revision"] == "main"
    assert call["token"] == "hf_example" and call["max_workers"] == "4"
    assert (target / weights_download.MARKER).read_text() == "google/gemma-3-27b-it@main"
    assert "already in the bucket" in second.stdout
    assert "hf_example" not in first.stdout + second.stdout
    assert download(REVISION="v2").returncode == 0
    assert len(calls.read_text().splitlines()) == 2
    assert (target / ".download-complete").read_text() == "google/gemma-3-27b-it@v2"


def test_a_multi_region_bucket_is_filled_from_a_region_inside_it():
    plan = run("prod", overrides={"modelStore": {"layout": "single", "location": "EU"}})
    (j,) = plan.by_type("gcp:cloudrunv2/job:Job")
    assert j.inputs["location"] == "europe-west4"  # the config region us-east5 is not in the EU
    assert j.inputs["name"] == "tpu-gke-dranet-prod-dl-eu"


def test_places_the_download_relies_on():
    assert {z.rsplit("-", 1)[0] for z in places.TPU_V6E_ZONES} <= set(places.CLOUD_RUN_REGIONS)
    assert set(places.CLOUD_RUN_REGIONS) <= set(places.REGION_ZONES)
    assert places.regions_in_bucket_location("NAM4") == ("us-central1", "us-east1")
    assert "europe-west4" in places.regions_in_bucket_location("EU")
    assert "europe-west2" not in places.regions_in_bucket_location("EU")
    assert places.regions_in_bucket_location("us-east5") == ("us-east5",)


def test_dev_downloads_nothing(dev):
    for type_ in (
        "gcp:cloudrunv2/job:Job",
        "gcp:secretmanager/secret:Secret",
        "gcp:secretmanager/secretVersion:SecretVersion",
        "gcp:secretmanager/secretIamMember:SecretIamMember",
    ):
        assert dev.by_type(type_) == [], type_
    services = {s.inputs["service"] for s in dev.by_type("gcp:projects/service:Service")}
    assert not services & {"run.googleapis.com", "secretmanager.googleapis.com"}


@pytest.mark.parametrize("region", REGIONS)
def test_each_job_waits_for_its_own_grants_to_propagate(prod, region):
    """Cloud Run refuses to create a job whose identity cannot read its secret yet."""
    sleep = prod.one("time:index/sleep:Sleep", f"weights-download-{region}-iam-propagation")
    assert sleep.inputs == {"createDuration": "60s"} and timing.seconds_of(sleep) == 60
    names = {r.urn: r.name for r in prod.registrations}
    assert {names[d] for d in sleep.dependencies} == {"weights-download-hf-token-access", f"weights-{region}-write"}
    assert sleep.urn in job(prod, region).dependencies


def pod_of(plan: engine.Plan, region: str) -> dict:
    return plan.one("kubernetes:apps/v1:Deployment", f"model-server-{region}-deployment").inputs["spec"]["template"]


@pytest.mark.parametrize("region", REGIONS)
def test_vllm_waits_at_run_time_for_its_revisions_marker(prod, region):
    spec = pod_of(prod, region)["spec"]
    (wait,) = spec["initContainers"]
    assert wait["image"] == images.WEIGHTS_WAIT_IMAGE == images.pinned("busybox:1.37.0")  # pinned by tag
    assert wait["image"].startswith("busybox:1.37.0@sha256:")  # and by the digest Docker's record states
    assert wait["command"] == ["sh", "-c", pods.WEIGHTS_WAIT_SCRIPT]
    assert {e["name"]: e["value"] for e in wait["env"]} == {
        "MARKER": "/data/weights/google/gemma-3-27b-it/main/.download-complete",
        "WANTED": "google/gemma-3-27b-it@main",
    }
    assert wait["volumeMounts"] == [{"name": "weights", "mountPath": "/data/weights", "readOnly": True}]
    assert wait["resources"] == {"requests": {"cpu": "10m", "memory": "16Mi"}, "limits": {"memory": "32Mi"}}
    assert wait["securityContext"] == {
        "runAsNonRoot": True,
        "runAsUser": 65534,
        "runAsGroup": 65534,
        "readOnlyRootFilesystem": True,
        "allowPrivilegeEscalation": False,
        "capabilities": {"drop": ["ALL"]},
    }
    (vllm,) = spec["containers"]
    assert "--model=/data/weights/google/gemma-3-27b-it/main" in vllm["args"]
    assert weights_download.MARKER in weights_download.DOWNLOAD_SCRIPT  # the file the job writes last


def test_the_wait_ends_only_when_the_marker_names_the_revision(tmp_path):
    marker = tmp_path / ".download-complete"
    env = {"PATH": os.environ["PATH"], "MARKER": str(marker), "WANTED": "google/gemma-3-27b-it@v2"}

    def waits() -> bool:
        try:
            subprocess.run(["sh", "-c", pods.WEIGHTS_WAIT_SCRIPT], env=env, capture_output=True, timeout=0.5)
        except subprocess.TimeoutExpired:
            return True
        return False

    assert waits()  # no marker: a failed or missing download
    marker.write_text("google/gemma-3-27b-it@main")
    assert waits()  # another revision's marker
    marker.write_text("google/gemma-3-27b-it@v2")
    assert not waits()


def test_the_download_fits_the_jobs_memory(prod):
    """A Cloud Storage volume stages each file it writes whole in memory."""
    assert weights_download.MEMORY.endswith("Gi")
    staged = weights_download.PARALLEL_FILES * weights_download.LARGEST_FILE_GIB + weights_download.HEADROOM_GIB
    assert staged <= int(weights_download.MEMORY[:-2])
    (c,) = job(prod, "us-east5").inputs["template"]["template"]["containers"]
    env = {e["name"]: e["value"] for e in c["envs"]}
    assert env["PARALLEL_FILES"] == str(weights_download.PARALLEL_FILES)
    assert c["resources"]["limits"]["memory"] == weights_download.MEMORY


@pytest.mark.parametrize("stack", ["prod", "p", "production-europe"])
def test_job_name_and_token_stay_under_the_providers_limit_for_any_accepted_prefix(stack):
    assert (
        name_rules.NAME_RULES["cloud-run-job"].longest + name_rules.DOWNLOAD_TOKEN_LENGTH
        == name_rules.RUN_EXECUTION_NAME_LIMIT - 1
    )
    assert name_problem("a" * name_rules.NAME_RULES["cloud-run-job"].longest, "cloud-run-job") is None
    assert name_problem("a" * (name_rules.NAME_RULES["cloud-run-job"].longest + 1), "cloud-run-job")
    values, _, _ = stack_file.stack_config("prod", secrets=OPERATOR_SECRETS)
    raw = {k.split(":", 1)[1]: config._decode(v) for k, v in values.items()}
    accepted = 0
    for length in range(1, 60):
        for store in ({"layout": "per-region"}, {"layout": "single", "location": "EUR4"}):
            try:
                cfg = config.parse({**raw, "prefix": "p" * length, "modelStore": store}, stack)
            except config.ConfigError:
                continue
            accepted += 1
            for location in cfg.download_regions:
                token = weights_download.execution_token(cfg.model.id, cfg.model.revision, 9999, "{}")
                assert len(cfg.names.download_job(location)) + len(token) < name_rules.RUN_EXECUTION_NAME_LIMIT
    assert accepted
