"""The model servers' pod templates: vLLM on a TPU slice reading its weights over GCS FUSE (with the init
container that waits for them), and the vLLM simulator on the system pool."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

import pulumi_kubernetes as k8s

from inference.capacity.facts import COMPUTE_CLASS_LABEL
from inference.common.images import WEIGHTS_WAIT_IMAGE
from inference.common.kubernetes import (
    NOBODY,
    NONROOT_UID,
    POD_IDENTITY,
    field_env,
    nonroot_pod,
    restricted,
    scratch,
    seccomp_pod,
)
from inference.core.weights_download import MARKER, weights_dir
from inference.models.facts import LORA_TPU_ENV
from inference.serving.facts import NODE_POOL_LABEL, VLLM_MEMORY_REQUEST_GI

if TYPE_CHECKING:
    from collections.abc import Sequence

    from inference.serving.model_server import LoraAdapter, ModelServerArgs, TpuServing

FUSE_DRIVER = "gcsfuse.csi.storage.gke.io"
WEIGHTS_MOUNT = "/data/weights"
NETDEV_CLAIM = "netdev"
# The GCS FUSE sidecar's default CPU, memory and disk limits throttle a 50 GB read; "0" lifts them.
FUSE_POD_ANNOTATIONS = {
    "gke-gcsfuse/volumes": "true",
    "gke-gcsfuse/cpu-limit": "0",
    "gke-gcsfuse/memory-limit": "0",
    "gke-gcsfuse/ephemeral-storage-limit": "0",
}
# GKE's guidance for serving: parallel downloads into the file cache, range reads cached, metadata
# cached for the life of the mount and the kernel's directory listings kept (weights never change).
SERVING_MOUNT_OPTIONS = ",".join(
    [
        "implicit-dirs",
        "file-cache:enable-parallel-downloads:true",
        "file-cache:parallel-downloads-per-file:100",
        "file-cache:max-parallel-downloads:-1",
        "file-cache:download-chunk-size-mb:10",
        "file-system:kernel-list-cache-ttl-secs:-1",
    ]
)
SERVING_VOLUME_ATTRIBUTES = {
    "mountOptions": SERVING_MOUNT_OPTIONS,
    "fileCacheCapacity": "-1",
    "fileCacheForRangeRead": "true",
    "metadataCacheTTLSeconds": "-1",
    "metadataStatCacheCapacity": "-1",
    "metadataTypeCacheCapacity": "-1",
    "gcsfuseMetadataPrefetchOnMount": "true",
}
# vLLM on TPU compiles its XLA graphs on first start and reuses them from VLLM_XLA_CACHE_PATH
# (https://docs.vllm.ai/en/latest/configuration/tpu.html, "Compilation and Caching"): kept in the bucket,
# under the one prefix the serving identity may write (inference/core/model_store.py), a second start in the
# region (a new replica, a node repair, an upgrade) skips compilation.
COMPILATION_CACHE_MOUNT = "/data/xla-cache"
COMPILATION_CACHE_MOUNT_OPTIONS = "implicit-dirs,only-dir=xla-cache"
# No model server before the weights, at run time too: an init container waits until the download's marker on
# the read-only weights mount names this model and revision (a download that failed, or was never run, leaves
# none). GKE runs the FUSE sidecar as a native sidecar, so init containers can read FUSE volumes
# (GoogleCloudPlatform/gcs-fuse-csi-driver docs/releases.md: "Cloud Storage FUSE volumes in init containers",
# GKE 1.29.3-gke.1093000 or later; the clusters run 1.34 or later, inference/core/config/compute.py).
WEIGHTS_WAIT_SCRIPT = (
    'until [ "$(cat "$MARKER" 2>/dev/null)" = "$WANTED" ]; do '
    'echo "waiting for $WANTED in $MARKER (written when the weights download completes)"; sleep 15; done'
)


# vLLM runs as the image's root user: the TPU's device files belong to root, and the image documents no other
# user (docs/security.md). Its root filesystem is read-only all the same; what it writes (libtpu's logs and
# temporary files, vLLM's and torch's caches under $HOME) goes to these emptyDirs.
VLLM_SCRATCH = (("tmp", "/tmp"), ("cache", "/root/.cache"))


def probes(port: int, startup_period: int, startup_failures: int) -> dict:
    def http(path: str, period: int, failures: int) -> k8s.core.v1.ProbeArgs:
        return k8s.core.v1.ProbeArgs(
            http_get=k8s.core.v1.HTTPGetActionArgs(path=path, port=port),
            period_seconds=period,
            failure_threshold=failures,
            timeout_seconds=5,
        )

    return {
        "startup_probe": http("/health", startup_period, startup_failures),
        "readiness_probe": http("/health", 5, 3),
        "liveness_probe": http("/health", 15, 4),
    }


def vllm_pod(args: ModelServerArgs, tpu: TpuServing, labels: dict[str, str]) -> k8s.core.v1.PodTemplateSpecArgs:
    return k8s.core.v1.PodTemplateSpecArgs(
        metadata=k8s.meta.v1.ObjectMetaArgs(labels=labels, annotations=FUSE_POD_ANNOTATIONS),
        spec=k8s.core.v1.PodSpecArgs(
            service_account_name=args.service_account,
            node_selector={
                "cloud.google.com/gke-tpu-accelerator": tpu.accelerator_label,
                "cloud.google.com/gke-tpu-topology": tpu.topology,
                **({COMPUTE_CLASS_LABEL: tpu.compute_class} if tpu.compute_class else {}),
                **({NODE_POOL_LABEL: tpu.node_pool} if tpu.node_pool else {}),
            },
            tolerations=_class_toleration(tpu.compute_class),
            resource_claims=[
                k8s.core.v1.PodResourceClaimArgs(name=NETDEV_CLAIM, resource_claim_template_name="all-netdev")
            ],
            security_context=seccomp_pod(),
            # No Kubernetes API call: GCS FUSE gets the pod's token from the kubelet (the CSI driver's
            # tokenRequests), not from a mounted one.
            automount_service_account_token=False,
            termination_grace_period_seconds=60,
            init_containers=[weights_wait(args, tpu), *(adapter_wait(args, a, i) for i, a in enumerate(args.adapters))],
            containers=[_vllm(args, tpu)],
            volumes=_vllm_volumes(tpu),
        ),
    )


def _class_toleration(compute_class: str | None) -> list[k8s.core.v1.TolerationArgs] | None:
    """A capacity ladder's pools are tainted with their ComputeClass; its Pods tolerate that taint."""
    if not compute_class:
        return None
    return [
        k8s.core.v1.TolerationArgs(key=COMPUTE_CLASS_LABEL, operator="Equal", value=compute_class, effect="NoSchedule")
    ]


def _vllm(args: ModelServerArgs, tpu: TpuServing) -> k8s.core.v1.ContainerArgs:
    port = args.serving_port
    return k8s.core.v1.ContainerArgs(
        name="vllm-tpu",
        image=args.image,
        command=["python3", "-m", "vllm.entrypoints.openai.api_server"],
        args=[
            f"--model={WEIGHTS_MOUNT}/{tpu.weights_dir}",
            f"--served-model-name={args.served_name}",
            f"--tensor-parallel-size={tpu.tensor_parallel_size}",
            f"--max-model-len={args.max_model_len}",
            "--host=0.0.0.0",
            f"--port={port}",
            *lora_args(args),
        ],
        env=[
            k8s.core.v1.EnvVarArgs(name="PYTHONUNBUFFERED", value="1"),
            k8s.core.v1.EnvVarArgs(name="HF_HUB_OFFLINE", value="1"),  # weights come from the bucket
            k8s.core.v1.EnvVarArgs(name="VLLM_XLA_CACHE_PATH", value=COMPILATION_CACHE_MOUNT),
            *(k8s.core.v1.EnvVarArgs(name=k, value=v) for k, v in (LORA_TPU_ENV if args.adapters else ())),
            # No usage report to vLLM's servers, nor its file under ~/.config on the read-only root
            # (https://docs.vllm.ai/en/latest/usage/usage_stats.html, "Opting out").
            k8s.core.v1.EnvVarArgs(name="VLLM_NO_USAGE_STATS", value="1"),
        ],
        ports=[k8s.core.v1.ContainerPortArgs(name="http", container_port=port)],
        resources=k8s.core.v1.ResourceRequirementsArgs(
            requests={"google.com/tpu": str(tpu.chips), "cpu": "8", "memory": f"{VLLM_MEMORY_REQUEST_GI}Gi"},
            limits={"google.com/tpu": str(tpu.chips), "memory": tpu.memory_limit},  # fits the node (serving/facts.py)
            claims=[k8s.core.v1.ResourceClaimArgs(name=NETDEV_CLAIM)],
        ),
        # Loading 27B from the bucket and compiling for TPU takes minutes: 30 min budget.
        **probes(port, startup_period=30, startup_failures=60),
        security_context=restricted(read_only_root=True),
        volume_mounts=[
            k8s.core.v1.VolumeMountArgs(name="dshm", mount_path="/dev/shm"),
            k8s.core.v1.VolumeMountArgs(name="weights", mount_path=WEIGHTS_MOUNT, read_only=True),
            k8s.core.v1.VolumeMountArgs(name="xla-cache", mount_path=COMPILATION_CACHE_MOUNT),
            *scratch(*VLLM_SCRATCH)[1],
        ],
    )


def _vllm_volumes(tpu: TpuServing) -> list[k8s.core.v1.VolumeArgs]:
    memory = k8s.core.v1.EmptyDirVolumeSourceArgs(medium="Memory")
    return [
        k8s.core.v1.VolumeArgs(name="dshm", empty_dir=memory),
        k8s.core.v1.VolumeArgs(
            name="weights",
            csi=k8s.core.v1.CSIVolumeSourceArgs(
                driver=FUSE_DRIVER,
                read_only=True,
                volume_attributes={"bucketName": tpu.bucket, **SERVING_VOLUME_ATTRIBUTES},
            ),
        ),
        k8s.core.v1.VolumeArgs(
            name="xla-cache",
            csi=k8s.core.v1.CSIVolumeSourceArgs(
                driver=FUSE_DRIVER,
                volume_attributes={"bucketName": tpu.bucket, "mountOptions": COMPILATION_CACHE_MOUNT_OPTIONS},
            ),
        ),
        # The FUSE file cache lives in RAM: a v6e host has far more memory than the weights need.
        k8s.core.v1.VolumeArgs(name="gke-gcsfuse-cache", empty_dir=memory),
        *scratch(*VLLM_SCRATCH)[0],
    ]


def lora_args(args: ModelServerArgs) -> list[str]:
    """vLLM's LoRA flags (inference/models/facts.py): every adapter from its directory in the bucket."""
    if not args.adapters:
        return []
    modules = [f"{a.name}={WEIGHTS_MOUNT}/{weights_dir(a.source, a.revision)}" for a in args.adapters]
    return [
        "--enable-lora",
        f"--max-loras={len(args.adapters)}",
        f"--max-lora-rank={args.max_lora_rank}",
        "--lora-modules",
        *modules,
    ]


def adapter_wait(args: ModelServerArgs, adapter: LoraAdapter, index: int) -> k8s.core.v1.ContainerArgs:
    """The weights' wait, for an adapter's marker: the same download writes it (inference/core/weights_download.py)."""
    return _marker_wait(
        f"wait-for-adapter-{index}", weights_dir(adapter.source, adapter.revision), adapter.source, adapter.revision
    )


def weights_wait(args: ModelServerArgs, tpu: TpuServing) -> k8s.core.v1.ContainerArgs:
    return _marker_wait("wait-for-weights", tpu.weights_dir, args.model_id, tpu.model_revision)


def _marker_wait(name: str, directory: str, repo: str, revision: str) -> k8s.core.v1.ContainerArgs:
    return k8s.core.v1.ContainerArgs(
        name=name,
        image=WEIGHTS_WAIT_IMAGE,
        command=["sh", "-c", WEIGHTS_WAIT_SCRIPT],
        env=[
            k8s.core.v1.EnvVarArgs(name="MARKER", value=f"{WEIGHTS_MOUNT}/{directory}/{MARKER}"),
            k8s.core.v1.EnvVarArgs(name="WANTED", value=f"{repo}@{revision}"),
        ],
        resources=k8s.core.v1.ResourceRequirementsArgs(
            requests={"cpu": "10m", "memory": "16Mi"}, limits={"memory": "32Mi"}
        ),
        security_context=restricted(user=NOBODY, read_only_root=True),
        volume_mounts=[k8s.core.v1.VolumeMountArgs(name="weights", mount_path=WEIGHTS_MOUNT, read_only=True)],
    )


def simulator_pod(args: ModelServerArgs, labels: dict[str, str]) -> k8s.core.v1.PodTemplateSpecArgs:
    port = args.serving_port
    return k8s.core.v1.PodTemplateSpecArgs(
        metadata=k8s.meta.v1.ObjectMetaArgs(labels=labels),
        spec=k8s.core.v1.PodSpecArgs(
            service_account_name=args.service_account,
            node_selector={NODE_POOL_LABEL: args.system_pool},
            security_context=nonroot_pod(NONROOT_UID, NONROOT_UID),
            automount_service_account_token=False,  # the simulator calls no Kubernetes API
            containers=[
                k8s.core.v1.ContainerArgs(
                    name="vllm-sim",
                    image=args.image,
                    args=["--model", args.served_name, "--port", str(port), *simulator_lora_args(args)],
                    env=field_env(*POD_IDENTITY),
                    ports=[k8s.core.v1.ContainerPortArgs(name="http", container_port=port)],
                    resources=k8s.core.v1.ResourceRequirementsArgs(
                        requests={"cpu": "100m", "memory": "128Mi"}, limits={"memory": "512Mi"}
                    ),
                    **probes(port, startup_period=5, startup_failures=24),
                    security_context=restricted(read_only_root=True),  # it writes no file
                )
            ],
        ),
    )


def simulator_lora_args(args: ModelServerArgs) -> list[str]:
    """The simulator's LoRA flags (inference/models/facts.py): one JSON module per adapter, on its base model."""
    if not args.adapters:
        return []
    return ["--max-loras", str(len(args.adapters)), "--lora-modules", *lora_modules(args.served_name, args.adapters)]


def lora_modules(served_name: str, adapters: Sequence[LoraAdapter]) -> list[str]:
    """The simulator's `--lora-modules` values: a JSON module per adapter (its name and source) on `served_name`."""
    return [
        json.dumps({"name": a.name, "path": a.source, "base_model_name": served_name}, sort_keys=True) for a in adapters
    ]
