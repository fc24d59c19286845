"""WeightsDownload: fills each weights bucket from Hugging Face with a Cloud Run job that `pulumi up` runs
and waits for, as soon as the bucket exists, instead of a Kubernetes Job that waits for a cluster."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import pulumi
import pulumi_gcp as gcp
import pulumi_random as random
import pulumiverse_time as time

from inference.common import name_rules

WEIGHTS_MOUNT = "/mnt/weights"
TOKEN_MOUNT = "/var/run/secrets/huggingface"
MARKER = ".download-complete"  # in the revision's directory, naming `<model>@<revision>` once it is complete
# Cloud Run jobs: at most 8 vCPU with 32 GiB (https://cloud.google.com/run/docs/configuring/jobs/memory-limits).
# "When writing to Cloud Storage, the entire file is staged in Cloud Run memory before the file is written"
# (https://cloud.google.com/run/docs/configuring/jobs/cloud-storage-volume-mounts, "Memory requirements"), and
# the container's own file system is in memory too: PARALLEL_FILES shards of at most LARGEST_FILE_GIB each,
# plus HEADROOM_GIB for Python, huggingface_hub and the FUSE caches, must fit in MEMORY (tested).
CPU = "8"
MEMORY = "32Gi"
PARALLEL_FILES = 4
LARGEST_FILE_GIB = 5  # gemma-3-27b-it's safetensors shards are about 5 GB each (the model's file list on the Hub)
HEADROOM_GIB = 4
# Xet's chunk cache defaults to 10 GB under $HF_HOME/xet (xet-runtime src/config/groups/chunk_cache.rs,
# `HF_XET_CHUNK_CACHE_SIZE_BYTES`): on Cloud Run that is memory. A one-off download has nothing to reuse, so 0.
DOWNLOAD_ENV = (
    ("HF_HUB_DISABLE_TELEMETRY", "1"),
    ("HF_XET_CHUNK_CACHE_SIZE_BYTES", "0"),
)
RETRIES = 3  # a retried task resumes where the last attempt stopped
# Cloud Run checks at job creation that the job's identity can read its secrets, and fails the creation if it
# cannot (https://cloud.google.com/run/docs/configuring/jobs/secrets, "How secrets are checked"): the job
# waits this long after its grants, as the walkthrough's time_sleep does for the fleet's grants.
IAM_PROPAGATION = "60s"
# A completed download leaves a marker naming the model and revision: a re-run (a new job execution with
# the same model, a retried task) finishes at once; an interrupted one resumes, huggingface_hub skips the
# files it already has. Each revision has its own directory, so a new revision never overwrites the files
# running servers read.
DOWNLOAD_SCRIPT = """\
import os, pathlib, sys
from huggingface_hub import snapshot_download

model, revision = os.environ["MODEL_ID"], os.environ["REVISION"]
target = pathlib.Path(os.environ["TARGET_DIR"])
marker = target / ".download-complete"
wanted = f"{model}@{revision}"
if marker.exists() and marker.read_text().strip() == wanted:
    print(f"{wanted} is already in the bucket; nothing to do")
    sys.exit(0)
token = pathlib.Path(os.environ["HF_TOKEN_FILE"]).read_text().strip()
snapshot_download(repo_id=model, revision=revision, local_dir=target, token=token,
                  max_workers=int(os.environ["PARALLEL_FILES"]), ignore_patterns=["original/*"])
marker.write_text(wanted)
print(f"{wanted} downloaded to {target}")
"""

# Several models, or LoRA adapters (inference/models/config.py): the same steps for each repository in turn, each
# into its own `<repository>/<revision>` with its own marker, so every server waits for exactly what it reads. A
# repository that fails does not stop the others (each model's servers wait only for theirs); the job then fails.
DOWNLOAD_ALL_SCRIPT = """\
import json, os, pathlib, sys, traceback
from huggingface_hub import snapshot_download

root = pathlib.Path(os.environ["WEIGHTS_ROOT"])
token = pathlib.Path(os.environ["HF_TOKEN_FILE"]).read_text().strip()
failed = []
for model, revision in json.loads(os.environ["DOWNLOADS"]):
    target = root / model / revision
    marker = target / ".download-complete"
    wanted = f"{model}@{revision}"
    if marker.exists() and marker.read_text().strip() == wanted:
        print(f"{wanted} is already in the bucket; nothing to do")
        continue
    try:
        snapshot_download(repo_id=model, revision=revision, local_dir=target, token=token,
                          max_workers=int(os.environ["PARALLEL_FILES"]), ignore_patterns=["original/*"])
    except Exception:
        traceback.print_exc()
        failed.append(wanted)
        continue
    marker.write_text(wanted)
    print(f"{wanted} downloaded to {target}")
if failed:
    sys.exit("not downloaded: " + ", ".join(failed))
"""


def weights_dir(model_id: str, revision: str) -> str:
    """Where a revision's files live in the bucket: the download's TARGET_DIR and vLLM's --model."""
    return f"{model_id}/{revision}"


def execution_token(model_id: str, revision: str, attempt: int, spec: str = "") -> str:
    """The job's `run_execution_token`: a new execution starts whenever it changes (pulumi-gcp cloudrunv2.Job,
    https://www.pulumi.com/registry/packages/gcp/api-docs/cloudrunv2/job/), and the provider sends it with every
    update of the job, which Cloud Run refuses when the execution `<job>-<token>` already exists
    (terraform-provider-google resource_cloud_run_v2_job.go Update; GoogleCloudPlatform/magic-modules#19060).
    So it covers the whole job (`spec`, the canonical text of every other input): any update of the job is a new
    execution. `attempt` (modelStore.downloadAttempt) forces a new execution of an unchanged job."""
    text = f"{weights_dir(model_id, revision)}#{attempt}#{spec}"
    return hashlib.sha256(text.encode()).hexdigest()[: name_rules.DOWNLOAD_TOKEN_LENGTH]


def canonical(value: Any) -> Any:
    """A resolved input (dicts, lists, typed `*Args`, scalars) as plain data: an args class by its properties."""
    if isinstance(value, dict):
        return {str(k): canonical(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [canonical(v) for v in value]
    if value is None or isinstance(value, str | int | float | bool):
        return value
    return {k: canonical(v) for k, v in vars(value).items()}


def job_token(args: WeightsDownloadArgs, inputs: Mapping[str, Any]) -> pulumi.Output[str]:
    """`execution_token` of a job with these inputs: known once they are (a rotated token's new secret version
    is known only when it exists, so the job's token is too)."""
    resolved = pulumi.Output.from_input(dict(inputs))
    return resolved.apply(
        lambda plain: execution_token(
            args.model_id, args.revision, args.attempt, json.dumps(canonical(plain), sort_keys=True)
        )
    )


@dataclass(frozen=True)
class DownloadTarget:
    job_name: str
    region: str  # Cloud Run region, inside the bucket's location
    bucket: pulumi.Input[str]
    writer_grants: Sequence[pulumi.Resource]  # the job's role on this bucket


@dataclass(frozen=True)
class WeightsDownloadArgs:
    project: str
    secret_id: str
    hf_token: pulumi.Input[str]  # secret
    writer_email: pulumi.Input[str]
    writer_member: pulumi.Input[str]
    model_id: str
    revision: str
    attempt: int  # modelStore.downloadAttempt
    image: str
    timeout_minutes: int
    targets: Mapping[str, DownloadTarget]  # by bucket location
    labels: Mapping[str, str] = field(default_factory=dict)
    depends_on: Sequence[pulumi.Resource] = ()  # Cloud Run and Secret Manager APIs
    # (repository, revision) of every other model and LoRA adapter the servers read, downloaded after the first.
    more: Sequence[tuple[str, str]] = ()


class WeightsDownload(pulumi.ComponentResource):
    """The token is a Secret Manager secret that only the job's own service account can read; each job
    mounts its bucket as a Cloud Storage volume and the token as a file."""

    def __init__(self, name: str, args: WeightsDownloadArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("inference:storage:WeightsDownload", name, None, opts)
        child = pulumi.ResourceOptions(parent=self, depends_on=list(args.depends_on))
        self.secret = gcp.secretmanager.Secret(
            f"{name}-hf-token",
            project=args.project,
            secret_id=args.secret_id,
            # Automatic replication: a region added to the stack later reads it as it is. Replicas pinned to
            # the stack's regions would be ForceNew (tools/replacements.py), and a replacement under the same
            # secret id would collide with the secret it replaces.
            replication=gcp.secretmanager.SecretReplicationArgs(auto=gcp.secretmanager.SecretReplicationAutoArgs()),
            labels=dict(args.labels),
            opts=child,
        )
        self.version = gcp.secretmanager.SecretVersion(
            f"{name}-hf-token-version",
            secret=self.secret.id,
            secret_data=pulumi.Output.secret(args.hf_token),
            opts=pulumi.ResourceOptions(parent=self, additional_secret_outputs=["secretData"]),
        )
        self.access = gcp.secretmanager.SecretIamMember(
            f"{name}-hf-token-access",
            project=args.project,
            secret_id=self.secret.secret_id,
            role="roles/secretmanager.secretAccessor",
            member=args.writer_member,
            opts=pulumi.ResourceOptions(parent=self),
        )
        self.jobs = {
            location: self._job(f"{name}-{location.lower()}", args, target) for location, target in args.targets.items()
        }
        self.register_outputs({"jobs": {loc: job.name for loc, job in self.jobs.items()}})

    def _job(self, name: str, args: WeightsDownloadArgs, target: DownloadTarget) -> gcp.cloudrunv2.Job:
        # Each job waits after its own grants only, so a region never waits for another region's bucket.
        iam_propagation = time.Sleep(
            f"{name}-iam-propagation",
            create_duration=IAM_PROPAGATION,
            opts=pulumi.ResourceOptions(parent=self, depends_on=[self.access, *target.writer_grants]),
        )
        waited = args.timeout_minutes * (RETRIES + 1)
        inputs = self._job_inputs(args, target)
        # A new random token whenever the job's inputs change, back to earlier ones too (a revert): Cloud Run
        # refuses an execution name it has had, which a hash of the inputs alone would repeat.
        execution = random.RandomId(
            f"{name}-execution",
            byte_length=name_rules.DOWNLOAD_TOKEN_LENGTH // 2,
            keepers={"job": job_token(args, inputs)},
            opts=pulumi.ResourceOptions(parent=self),
        )
        return gcp.cloudrunv2.Job(
            name,
            **inputs,
            # Creating or updating the job starts an execution and waits until it has completed; every update of
            # the job has a new token, so no update reuses an execution's name. `start_execution_token` would
            # not wait.
            run_execution_token=execution.hex,
            opts=pulumi.ResourceOptions(
                parent=self,
                depends_on=[*args.depends_on, self.access, *target.writer_grants, iam_propagation],
                # `pulumi up --replace <this job's URN>` re-runs a failed download (docs/weights.md): the old job
                # goes first, since the new one has the same name. The job holds no data.
                delete_before_replace=True,
                # The resource is ready when the execution has completed (a 27B model is about 55 GB): Pulumi
                # waits for every attempt the task may take.
                custom_timeouts=pulumi.CustomTimeouts(create=f"{waited}m", update=f"{waited}m"),
            ),
        )

    def _job_inputs(self, args: WeightsDownloadArgs, target: DownloadTarget) -> dict[str, Any]:
        """Every input of the job but its execution token, which is made from them."""
        run = gcp.cloudrunv2
        return dict(
            project=args.project,
            name=target.job_name,
            location=target.region,
            # The provider refuses to delete a job unless this is false; the job holds no data.
            deletion_protection=False,
            labels=dict(args.labels),
            template=run.JobTemplateArgs(
                task_count=1,
                template=run.JobTemplateTemplateArgs(
                    service_account=args.writer_email,
                    execution_environment="EXECUTION_ENVIRONMENT_GEN2",
                    # A task is retried from where it stopped; the timeout applies to each attempt
                    # (https://cloud.google.com/run/docs/configuring/task-timeout).
                    max_retries=RETRIES,
                    timeout=f"{args.timeout_minutes * 60}s",
                    containers=[_container(args)],
                    volumes=self._volumes(target),
                ),
            ),
        )

    def _volumes(self, target: DownloadTarget) -> list[gcp.cloudrunv2.JobTemplateTemplateVolumeArgs]:
        """The bucket, mounted read-write, and the token's secret version as a file."""
        run = gcp.cloudrunv2
        return [
            run.JobTemplateTemplateVolumeArgs(
                name="weights",
                gcs=run.JobTemplateTemplateVolumeGcsArgs(
                    bucket=target.bucket, read_only=False, mount_options=["implicit-dirs"]
                ),
            ),
            run.JobTemplateTemplateVolumeArgs(
                name="hf-token",
                secret=run.JobTemplateTemplateVolumeSecretArgs(
                    secret=self.secret.secret_id,
                    items=[run.JobTemplateTemplateVolumeSecretItemArgs(path="token", version=self.version.version)],
                ),
            ),
        ]


def _script_and_env(args: WeightsDownloadArgs) -> tuple[str, tuple[tuple[str, str], ...]]:
    """One model: the script and variables every deployed job has; several: every repository in turn."""
    if args.more:
        downloads = json.dumps([[args.model_id, args.revision], *(list(m) for m in args.more)])
        return DOWNLOAD_ALL_SCRIPT, (("DOWNLOADS", downloads), ("WEIGHTS_ROOT", WEIGHTS_MOUNT))
    return DOWNLOAD_SCRIPT, (
        ("MODEL_ID", args.model_id),
        ("REVISION", args.revision),
        ("TARGET_DIR", f"{WEIGHTS_MOUNT}/{weights_dir(args.model_id, args.revision)}"),
    )


def _container(args: WeightsDownloadArgs) -> gcp.cloudrunv2.JobTemplateTemplateContainerArgs:
    run = gcp.cloudrunv2
    script, which = _script_and_env(args)
    env = (
        *which,
        ("HF_TOKEN_FILE", f"{TOKEN_MOUNT}/token"),
        ("PARALLEL_FILES", str(PARALLEL_FILES)),
        *DOWNLOAD_ENV,
    )
    return run.JobTemplateTemplateContainerArgs(
        image=args.image,
        commands=["python3", "-c", script],
        envs=[run.JobTemplateTemplateContainerEnvArgs(name=k, value=v) for k, v in env],
        resources=run.JobTemplateTemplateContainerResourcesArgs(limits={"cpu": CPU, "memory": MEMORY}),
        volume_mounts=[
            run.JobTemplateTemplateContainerVolumeMountArgs(name="weights", mount_path=WEIGHTS_MOUNT),
            run.JobTemplateTemplateContainerVolumeMountArgs(name="hf-token", mount_path=TOKEN_MOUNT),
        ],
    )
