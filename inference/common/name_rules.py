"""What each API accepts for a name the program builds from configuration (GCP, Kubernetes, Helm,
Cloud Run, Hugging Face), each with its source and the date it was read."""

from __future__ import annotations

from dataclasses import dataclass

# ======================================================================================================
# Names: what each API accepts for a name the program builds from config (used by the configuration), read
# 2026-11-25
# ======================================================================================================

NAMES_READ_ON = "2026-11-25"
K8S_NAMES = "https://kubernetes.io/docs/concepts/overview/working-with-objects/names/"
# pulumi-gcp cloudrunv2.Job `runExecutionToken`: "the sum of job name and token length must be fewer than 63
# characters" (https://www.pulumi.com/registry/packages/gcp/api-docs/cloudrunv2/job/, pulumi_gcp 10.2.0
# cloudrunv2/job.py). The weights download's tokens are this many hex characters
# (inference/core/weights_download.py execution_token).
RUN_EXECUTION_NAME_LIMIT = 63
DOWNLOAD_TOKEN_LENGTH = 12


@dataclass(frozen=True)
class NameRule:
    what: str
    pattern: str  # a regular expression the whole name must match (ASCII only)
    shortest: int
    longest: int
    source: str


_LABEL = r"[a-z0-9]([-a-z0-9]*[a-z0-9])?"
NAME_RULES: dict[str, NameRule] = {
    "gce": NameRule(
        "Compute Engine resource name (RFC 1035)",
        r"[a-z]([-a-z0-9]*[a-z0-9])?",
        1,
        63,
        "https://cloud.google.com/compute/docs/naming-resources#resource-name-format",
    ),
    "gke-cluster": NameRule(
        "GKE cluster name",
        r"[a-z]([-a-z0-9]*[a-z0-9])?",
        1,
        40,
        "https://cloud.google.com/kubernetes-engine/docs/reference/rest/v1/projects.locations.clusters#Cluster",
    ),
    "membership": NameRule(
        "fleet membership id (RFC 1123 label)",
        _LABEL,
        1,
        63,
        "https://cloud.google.com/kubernetes-engine/fleet-management/docs/reference/rest/v1/"
        "projects.locations.memberships/create",
    ),
    "service-account": NameRule(
        "service account id",
        r"[a-z]([-a-z0-9]*[a-z0-9])",
        6,
        30,
        "https://cloud.google.com/iam/docs/reference/rest/v1/projects.serviceAccounts/create",
    ),
    "bucket": NameRule(
        "Cloud Storage bucket name",
        r"[a-z0-9][-a-z0-9_]*[a-z0-9]",  # dots are allowed too, but only in domain-verified names
        3,
        63,
        "https://cloud.google.com/storage/docs/buckets#naming",
    ),
    "dns-1123-label": NameRule("Kubernetes name (RFC 1123 label)", _LABEL, 1, 63, f"{K8S_NAMES}#dns-label-names"),
    "dns-1123-subdomain": NameRule(
        "Kubernetes name (RFC 1123 subdomain)",
        rf"{_LABEL}(\.{_LABEL})*",
        1,
        253,
        f"{K8S_NAMES}#dns-subdomain-names",
    ),
    "dns-1035-label": NameRule(
        "Kubernetes Service name (RFC 1035 label: starts with a letter)",
        r"[a-z]([-a-z0-9]*[a-z0-9])?",
        1,
        63,
        f"{K8S_NAMES}#rfc-1035-label-names",
    ),
    "k8s-label-value": NameRule(
        "Kubernetes label value",
        r"([A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?)?",
        0,
        63,
        "https://kubernetes.io/docs/concepts/overview/working-with-objects/labels/#syntax-and-character-set",
    ),
    # A Cloud Run job name is an RFC 1035 label, and pulumi-gcp's `run_execution_token` requires the job
    # name and the token together to be shorter than RUN_EXECUTION_NAME_LIMIT (cloudrunv2.Job docs); the
    # program's tokens are DOWNLOAD_TOKEN_LENGTH characters long, so the name keeps 62 - 12 = 50.
    "cloud-run-job": NameRule(
        f"Cloud Run job name (with its {DOWNLOAD_TOKEN_LENGTH}-character execution token)",
        r"[a-z]([-a-z0-9]*[a-z0-9])?",
        1,
        RUN_EXECUTION_NAME_LIMIT - 1 - DOWNLOAD_TOKEN_LENGTH,
        "https://cloud.google.com/run/docs/reference/rest/v2/projects.locations.jobs/create; "
        "https://www.pulumi.com/registry/packages/gcp/api-docs/cloudrunv2/job/ (runExecutionToken)",
    ),
    "secret": NameRule(
        "Secret Manager secret id",
        r"[A-Za-z0-9_-]+",
        1,
        255,
        "https://cloud.google.com/secret-manager/docs/reference/rest/v1/projects.secrets/create",
    ),
    "helm-release": NameRule(
        "Helm release name",
        rf"{_LABEL}(\.{_LABEL})*",
        1,
        53,
        "helm/helm pkg/chartutil/validate_name.go ValidateReleaseName",
    ),
}
# The inferencepool charts (v0.5.1, v1.1.0, v1.5.0, components/charts/) name the endpoint picker's Deployment,
# Service and service account `{{ .Release.Name | trunc 40 }}-epp` (templates/_helpers.tpl
# "gateway-api-inference-extension.name"): two releases whose names share their first 40 characters in one
# namespace would name the same Service.
INFERENCEPOOL_EPP_NAME_SOURCE = "the inferencepool chart's _helpers.tpl: trunc 40, then -epp"
INFERENCEPOOL_RELEASE_KEPT = 40
# Charts v1.1.0 and v1.5.0 name their ClusterRole and its binding `printf "%s-%s-epp" <release, trunc 40>
# <namespace, trunc 40> | quote | trunc 84` ("gateway-api-inference-extension.cluster-rbac-name"): the quotes count
# towards the 84, so past 84 the closing quote is cut and `helm template` fails on its own YAML ("did not find
# expected key", seen rendering a 53-character release in a 63-character namespace).
INFERENCEPOOL_CLUSTER_RBAC_SOURCE = "the inferencepool chart's _helpers.tpl cluster-rbac-name: quote | trunc 84"
INFERENCEPOOL_CLUSTER_RBAC_LONGEST = 84
# Bucket names must not start with "goog" nor contain "google" or close misspellings of it such as
# "g00gle" (https://cloud.google.com/storage/docs/buckets#naming). The misspellings are read as the
# letter-for-digit swaps below.
BUCKET_FORBIDDEN_PREFIX = "goog"
BUCKET_FORBIDDEN_WORD = r"g[o0]{2,}g[l1i][e3]"
# GCP labels (https://cloud.google.com/compute/docs/labeling-resources#requirements): at most 64 per
# resource; keys 1-63 characters starting with a lowercase letter, values 0-63 characters; lowercase
# letters (international ones allowed), digits, underscores and hyphens only.
GCP_LABELS_SOURCE = "https://cloud.google.com/compute/docs/labeling-resources#requirements"
GCP_LABELS_PER_RESOURCE = 64
GCP_LABEL_LONGEST = 63
# Namespaces every cluster already has, and the prefix Kubernetes reserves for its own
# (https://kubernetes.io/docs/concepts/overview/working-with-objects/namespaces/#initial-namespaces).
K8S_INITIAL_NAMESPACES = ("default", "kube-node-lease", "kube-public", "kube-system")
K8S_RESERVED_NAMESPACE_PREFIX = "kube-"
# Hugging Face repository ids (huggingface_hub utils/_validators.py validate_repo_id): "name" or
# "namespace/name", ASCII letters, digits, "-", "_" and ".", not starting or ending with "-" or ".",
# a name of at most 96 characters, no "--" or "..", not ending in ".git".
HF_REPO_ID_SOURCE = "huggingface_hub utils/_validators.py validate_repo_id"
HF_REPO_NAME_LONGEST = 96
