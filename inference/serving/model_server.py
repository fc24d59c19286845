"""ModelServer: the model servers of one cluster — vLLM on a TPU slice reading weights over GCS FUSE,
or the vLLM simulator on CPU — with their identity and their metrics."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import pulumi
import pulumi_kubernetes as k8s

from inference.core.weights_download import MARKER

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
WEIGHTS_WAIT_IMAGE = "busybox:1.37.0"
WEIGHTS_WAIT_SCRIPT = (
    'until [ "$(cat "$MARKER" 2>/dev/null)" = "$WANTED" ]; do '
    'echo "waiting for $WANTED in $MARKER (written when the weights download completes)"; sleep 15; done'
)
NOBODY = 65534


@dataclass(frozen=True)
class TpuServing:
    accelerator_label: str  # cloud.google.com/gke-tpu-accelerator
    topology: str
    chips: int
    tensor_parallel_size: int
    bucket: pulumi.Input[str]
    weights_dir: str  # `<model>/<revision>` in the bucket (inference/core/weights_download.py weights_dir)
    model_revision: str
    reader_gsa: pulumi.Input[str]  # email the serving KSA impersonates
    tpu_pool: pulumi.Resource
    weights: pulumi.Resource  # the download job: ready once its execution has filled the bucket
    # The bucket roles and Workload Identity member behind the serving identity: pods start after them.
    reader_grants: Sequence[pulumi.Resource] = ()


@dataclass(frozen=True)
class ModelServerArgs:
    namespace: str
    create_namespace: bool
    name: str
    labels: Mapping[str, str]
    service_account: str
    serving_port: int
    replicas: int | None  # None: a HorizontalPodAutoscaler owns the count, so `pulumi up` leaves it alone
    model_id: str
    served_name: str
    max_model_len: int
    image: str
    load_timeout_minutes: int
    system_pool: str  # node pool name for CPU work (the simulator)
    # That pool: pods wait for its nodes on create and go before it on destroy.
    system_nodes: pulumi.Resource
    tpu: TpuServing | None  # None: the simulator backend


def _meta(args: ModelServerArgs, name: str, **extra) -> k8s.meta.v1.ObjectMetaArgs:
    return k8s.meta.v1.ObjectMetaArgs(name=name, namespace=args.namespace, **extra)


def _restricted() -> k8s.core.v1.SecurityContextArgs:
    return k8s.core.v1.SecurityContextArgs(
        allow_privilege_escalation=False, capabilities=k8s.core.v1.CapabilitiesArgs(drop=["ALL"])
    )


class ModelServer(pulumi.ComponentResource):
    """Every object the pool selects carries the same labels and port on both backends, so the
    routing plane above (InferencePool, Gateway, policies) is identical for vLLM and the simulator."""

    def __init__(self, name: str, args: ModelServerArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("inference:serving:ModelServer", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        self.namespace = args.namespace
        self.labels = dict(args.labels)
        depends: list[pulumi.Resource] = []
        self.namespace_resource: k8s.core.v1.Namespace | None = None
        if args.create_namespace:
            self.namespace_resource = k8s.core.v1.Namespace(
                f"{name}-namespace",
                metadata=k8s.meta.v1.ObjectMetaArgs(
                    name=args.namespace,
                    # The vLLM TPU image's user and capabilities are not documented: baseline, not restricted.
                    labels={"pod-security.kubernetes.io/enforce": "baseline"},
                ),
                opts=child,
            )
            depends.append(self.namespace_resource)
        in_ns = pulumi.ResourceOptions(parent=self, depends_on=depends)

        tpu = args.tpu
        self.service_account = k8s.core.v1.ServiceAccount(
            f"{name}-ksa",
            metadata=_meta(
                args,
                args.service_account,
                annotations={"iam.gke.io/gcp-service-account": tpu.reader_gsa} if tpu else None,
            ),
            opts=pulumi.ResourceOptions.merge(in_ns, pulumi.ResourceOptions(depends_on=list(tpu.reader_grants)))
            if tpu
            else in_ns,
        )
        waits_for: list[pulumi.Resource] = []
        if tpu:
            waits_for.append(tpu.weights)  # no model server starts before its bucket holds the weights
            self.claim_template = k8s.resource.v1.ResourceClaimTemplate(
                f"{name}-all-netdev",
                metadata=_meta(args, "all-netdev"),
                spec=k8s.resource.v1.ResourceClaimTemplateSpecArgs(
                    spec=k8s.resource.v1.ResourceClaimSpecArgs(
                        devices=k8s.resource.v1.DeviceClaimArgs(
                            requests=[
                                k8s.resource.v1.DeviceRequestArgs(
                                    name="req-netdev",
                                    exactly=k8s.resource.v1.ExactDeviceRequestArgs(
                                        device_class_name="netdev.google.com", allocation_mode="All"
                                    ),
                                )
                            ]
                        )
                    )
                ),
                opts=in_ns,
            )
            waits_for += [self.claim_template, tpu.tpu_pool]

        self.deployment = k8s.apps.v1.Deployment(
            f"{name}-deployment",
            metadata=_meta(args, args.name, labels=self.labels),
            spec=k8s.apps.v1.DeploymentSpecArgs(
                replicas=args.replicas,
                selector=k8s.meta.v1.LabelSelectorArgs(match_labels=self.labels),
                # A TPU replica holds its slice: the old pod must go before the new one can start.
                strategy=k8s.apps.v1.DeploymentStrategyArgs(
                    type="RollingUpdate",
                    rolling_update=k8s.apps.v1.RollingUpdateDeploymentArgs(max_surge=0, max_unavailable=1),
                )
                if tpu
                else None,
                template=self._vllm_pod(args, tpu) if tpu else self._simulator_pod(args),
            ),
            opts=pulumi.ResourceOptions(
                parent=self,
                depends_on=[*depends, self.service_account, args.system_nodes, *waits_for],
                # Pulumi waits for the rollout; a cold 27B load on TPU takes many minutes.
                custom_timeouts=pulumi.CustomTimeouts(
                    create=f"{args.load_timeout_minutes}m", update=f"{args.load_timeout_minutes}m"
                ),
            ),
        )
        self.service = k8s.core.v1.Service(
            f"{name}-service",
            metadata=_meta(args, f"{args.name}-service", labels=self.labels),
            spec=k8s.core.v1.ServiceSpecArgs(
                type="ClusterIP",
                selector=self.labels,
                ports=[
                    k8s.core.v1.ServicePortArgs(
                        name="http", protocol="TCP", port=args.serving_port, target_port=args.serving_port
                    )
                ],
            ),
            opts=in_ns,
        )
        # Node upgrades and repairs evict one model server at a time; the other region carries traffic
        # meanwhile. A pod that never became ready can always be evicted, so it cannot block a drain.
        self.disruption_budget = k8s.policy.v1.PodDisruptionBudget(
            f"{name}-disruption-budget",
            metadata=_meta(args, f"{args.name}-pdb", labels=self.labels),
            spec=k8s.policy.v1.PodDisruptionBudgetSpecArgs(
                max_unavailable=1,
                selector=k8s.meta.v1.LabelSelectorArgs(match_labels=self.labels),
                unhealthy_pod_eviction_policy="AlwaysAllow",
            ),
            opts=in_ns,
        )
        self.pod_monitoring = k8s.apiextensions.CustomResource(
            f"{name}-monitoring",
            api_version="monitoring.googleapis.com/v1",
            kind="PodMonitoring",
            metadata=_meta(args, f"{args.name}-monitoring"),
            spec={
                "selector": {"matchLabels": self.labels},
                "endpoints": [{"port": args.serving_port, "interval": "15s", "path": "/metrics"}],
            },
            # Managed Prometheus's operator runs on the nodes and removes this object's finalizer.
            opts=pulumi.ResourceOptions.merge(in_ns, pulumi.ResourceOptions(depends_on=[args.system_nodes])),
        )
        self.register_outputs({"deployment": self.deployment.metadata.name, "service": self.service.metadata.name})

    @staticmethod
    def _probes(port: int, startup_period: int, startup_failures: int) -> dict:
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

    def _vllm_pod(self, args: ModelServerArgs, tpu: TpuServing) -> k8s.core.v1.PodTemplateSpecArgs:
        port = args.serving_port
        return k8s.core.v1.PodTemplateSpecArgs(
            metadata=k8s.meta.v1.ObjectMetaArgs(labels=self.labels, annotations=FUSE_POD_ANNOTATIONS),
            spec=k8s.core.v1.PodSpecArgs(
                service_account_name=args.service_account,
                node_selector={
                    "cloud.google.com/gke-tpu-accelerator": tpu.accelerator_label,
                    "cloud.google.com/gke-tpu-topology": tpu.topology,
                },
                resource_claims=[
                    k8s.core.v1.PodResourceClaimArgs(name=NETDEV_CLAIM, resource_claim_template_name="all-netdev")
                ],
                security_context=k8s.core.v1.PodSecurityContextArgs(
                    seccomp_profile=k8s.core.v1.SeccompProfileArgs(type="RuntimeDefault")
                ),
                termination_grace_period_seconds=60,
                init_containers=[self._weights_wait(args, tpu)],
                containers=[
                    k8s.core.v1.ContainerArgs(
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
                        ],
                        env=[
                            k8s.core.v1.EnvVarArgs(name="PYTHONUNBUFFERED", value="1"),
                            k8s.core.v1.EnvVarArgs(name="HF_HUB_OFFLINE", value="1"),  # weights come from the bucket
                            k8s.core.v1.EnvVarArgs(name="VLLM_XLA_CACHE_PATH", value=COMPILATION_CACHE_MOUNT),
                        ],
                        ports=[k8s.core.v1.ContainerPortArgs(name="http", container_port=port)],
                        resources=k8s.core.v1.ResourceRequirementsArgs(
                            requests={"google.com/tpu": str(tpu.chips), "cpu": "8", "memory": "64Gi"},
                            limits={"google.com/tpu": str(tpu.chips)},
                            claims=[k8s.core.v1.ResourceClaimArgs(name=NETDEV_CLAIM)],
                        ),
                        # Loading 27B from the bucket and compiling for TPU takes minutes: 30 min budget.
                        **self._probes(port, startup_period=30, startup_failures=60),
                        security_context=k8s.core.v1.SecurityContextArgs(allow_privilege_escalation=False),
                        volume_mounts=[
                            k8s.core.v1.VolumeMountArgs(name="dshm", mount_path="/dev/shm"),
                            k8s.core.v1.VolumeMountArgs(name="weights", mount_path=WEIGHTS_MOUNT, read_only=True),
                            k8s.core.v1.VolumeMountArgs(name="xla-cache", mount_path=COMPILATION_CACHE_MOUNT),
                        ],
                    )
                ],
                volumes=[
                    k8s.core.v1.VolumeArgs(
                        name="dshm", empty_dir=k8s.core.v1.EmptyDirVolumeSourceArgs(medium="Memory")
                    ),
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
                            volume_attributes={
                                "bucketName": tpu.bucket,
                                "mountOptions": COMPILATION_CACHE_MOUNT_OPTIONS,
                            },
                        ),
                    ),
                    # The FUSE file cache lives in RAM: a v6e host has far more memory than the weights need.
                    k8s.core.v1.VolumeArgs(
                        name="gke-gcsfuse-cache", empty_dir=k8s.core.v1.EmptyDirVolumeSourceArgs(medium="Memory")
                    ),
                ],
            ),
        )

    @staticmethod
    def _weights_wait(args: ModelServerArgs, tpu: TpuServing) -> k8s.core.v1.ContainerArgs:
        return k8s.core.v1.ContainerArgs(
            name="wait-for-weights",
            image=WEIGHTS_WAIT_IMAGE,
            command=["sh", "-c", WEIGHTS_WAIT_SCRIPT],
            env=[
                k8s.core.v1.EnvVarArgs(name="MARKER", value=f"{WEIGHTS_MOUNT}/{tpu.weights_dir}/{MARKER}"),
                k8s.core.v1.EnvVarArgs(name="WANTED", value=f"{args.model_id}@{tpu.model_revision}"),
            ],
            resources=k8s.core.v1.ResourceRequirementsArgs(
                requests={"cpu": "10m", "memory": "16Mi"}, limits={"memory": "32Mi"}
            ),
            security_context=k8s.core.v1.SecurityContextArgs(
                run_as_non_root=True,
                run_as_user=NOBODY,
                run_as_group=NOBODY,
                read_only_root_filesystem=True,
                allow_privilege_escalation=False,
                capabilities=k8s.core.v1.CapabilitiesArgs(drop=["ALL"]),
            ),
            volume_mounts=[k8s.core.v1.VolumeMountArgs(name="weights", mount_path=WEIGHTS_MOUNT, read_only=True)],
        )

    def _simulator_pod(self, args: ModelServerArgs) -> k8s.core.v1.PodTemplateSpecArgs:
        port = args.serving_port
        field_env = [
            k8s.core.v1.EnvVarArgs(
                name=var,
                value_from=k8s.core.v1.EnvVarSourceArgs(field_ref=k8s.core.v1.ObjectFieldSelectorArgs(field_path=path)),
            )
            for var, path in (
                ("POD_NAME", "metadata.name"),
                ("NAMESPACE", "metadata.namespace"),
                ("POD_IP", "status.podIP"),
            )
        ]
        return k8s.core.v1.PodTemplateSpecArgs(
            metadata=k8s.meta.v1.ObjectMetaArgs(labels=self.labels),
            spec=k8s.core.v1.PodSpecArgs(
                service_account_name=args.service_account,
                node_selector={"cloud.google.com/gke-nodepool": args.system_pool},
                security_context=k8s.core.v1.PodSecurityContextArgs(
                    run_as_non_root=True,
                    run_as_user=65532,
                    seccomp_profile=k8s.core.v1.SeccompProfileArgs(type="RuntimeDefault"),
                ),
                containers=[
                    k8s.core.v1.ContainerArgs(
                        name="vllm-sim",
                        image=args.image,
                        args=["--model", args.served_name, "--port", str(port)],
                        env=field_env,
                        ports=[k8s.core.v1.ContainerPortArgs(name="http", container_port=port)],
                        resources=k8s.core.v1.ResourceRequirementsArgs(
                            requests={"cpu": "100m", "memory": "128Mi"}, limits={"memory": "512Mi"}
                        ),
                        **self._probes(port, startup_period=5, startup_failures=24),
                        security_context=_restricted(),
                    )
                ],
            ),
        )
