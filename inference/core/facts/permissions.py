"""What the core's identities need (the nodes, the weights' reader and downloader, GKE's agent for the
secrets key), read 2026-11-25; the features' own grants are in their packages' facts."""

from __future__ import annotations

from inference.common.permissions import Grant

IDENTITIES = {
    "node": "the node pools' dedicated service account (<prefix>-<stack>-node)",
    "fuse-reader": "the serving pods' Google service account (<prefix>-<stack>-fuse)",
    "downloader": "the weights download Cloud Run job's own service account (<prefix>-<stack>-dl)",
    "reader-ksa": "PROJECT.svc.id.goog[<namespace>/<modelServer.serviceAccount>]",
    "gke-agent": "service-PROJECT_NUMBER@container-engine-robot.iam.gserviceaccount.com",
}

_HARDENING = "https://cloud.google.com/kubernetes-engine/docs/how-to/hardening-your-cluster#use_least_privilege_sa"
_FUSE = "https://cloud.google.com/kubernetes-engine/docs/how-to/persistent-volumes/cloud-storage-fuse-csi-driver-setup"
_WI = "https://cloud.google.com/kubernetes-engine/docs/how-to/workload-identity#kubernetes-sa-to-iam"

PERMISSIONS = (
    Grant("node", "roles/logging.logWriter", "project", "nodes write their logs", _HARDENING),
    Grant("node", "roles/monitoring.metricWriter", "project", "nodes and managed Prometheus write metrics", _HARDENING),
    Grant(
        "node",
        "roles/stackdriver.resourceMetadata.writer",
        "project",
        "the metrics carry their resource metadata",
        _HARDENING,
    ),
    Grant(
        "node",
        "roles/autoscaling.metricsWriter",
        "project",
        "AutoscalingMetric exports reach the load balancer (`autoscaling.sites.writeMetrics`); without it the "
        "GCPBackendPolicy's CUSTOM_METRICS has nothing to balance on",
        "https://cloud.google.com/kubernetes-engine/docs/how-to/setup-multicluster-inference-gateway "
        '("Your node service accounts must have permissions to write metrics to the Autoscaling API"); '
        "https://cloud.google.com/iam/docs/roles-permissions/autoscaling",
    ),
    Grant("fuse-reader", "roles/storage.objectViewer", "bucket", "serving pods mount the weights read-only", _FUSE),
    # Cloud Run's page asks for roles/storage.admin on a mounted bucket; reading and writing objects through
    # Cloud Storage FUSE needs only the object permissions (the FUSE page above), so the job gets no more.
    Grant(
        "downloader",
        "roles/storage.objectUser",
        "bucket",
        "the download job writes the weights through its Cloud Storage volume",
        f"{_FUSE}; https://cloud.google.com/run/docs/configuring/jobs/cloud-storage-volume-mounts",
        "tpu",
    ),
    Grant(
        "downloader",
        "roles/secretmanager.secretAccessor",
        "secret",
        "the download job reads the Hugging Face token, on that one secret only",
        "https://cloud.google.com/run/docs/configuring/jobs/secrets#access-secret",
        "tpu",
    ),
    Grant(
        "fuse-reader",
        "roles/storage.objectUser",
        "object-prefix",
        "vLLM persists its XLA compilation cache under xla-cache/ of its bucket; an IAM condition on the "
        "object name keeps the weights read-only",
        "https://docs.vllm.ai/en/latest/configuration/tpu.html (VLLM_XLA_CACHE_PATH); "
        "https://cloud.google.com/storage/docs/access-control/iam#conditions",
        "tpu",
    ),
    Grant(
        "reader-ksa",
        "roles/iam.workloadIdentityUser",
        "service-account",
        "the serving pods act as the FUSE reader (the vllm-tpu backend: the simulator reads no weights)",
        _WI,
        "tpu",
    ),
    Grant(
        "gke-agent",
        "roles/cloudkms.cryptoKeyEncrypterDecrypter",
        "kms-key",
        "GKE encrypts Kubernetes Secrets with the stack's key",
        "https://cloud.google.com/kubernetes-engine/docs/how-to/encrypting-secrets#grant_permission_to_use_the_key",
        "kms",
    ),
)
