"""ModelStore: the buckets that hold model weights and the identities that read and write them."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import pulumi
import pulumi_gcp as gcp
import pulumi_random as random

READER_ROLE = "roles/storage.objectViewer"  # serving pods mount the weights read-only
WRITER_ROLE = "roles/storage.objectUser"  # the download job creates, renames and overwrites objects
# vLLM's XLA compilation cache lives under this prefix of each bucket; the serving identity may write
# there and nowhere else (an IAM condition on the object name, which needs uniform bucket-level access:
# https://cloud.google.com/storage/docs/access-control/iam#conditions; object names in conditions are
# projects/_/buckets/BUCKET/objects/OBJECT, https://cloud.google.com/iam/docs/conditions-resource-attributes).
COMPILATION_CACHE_PREFIX = "xla-cache/"
# Versioning keeps an overwritten or deleted object as a noncurrent version; after this many days the lifecycle
# rule deletes it, so a mistake stays recoverable for a week and the copies cost a week of storage (docs/weights.md).
NONCURRENT_DAYS = 7


@dataclass(frozen=True)
class ModelStoreArgs:
    project: str
    bucket_stems: Mapping[str, str]  # bucket location (a region, or a multi-region like US) -> name stem
    reader_account_id: str
    writer_account_id: str | None  # None: nothing downloads weights (the simulator backend)
    workload_pool: pulumi.Input[str]  # from a cluster: the pool exists only once a cluster has it
    namespace: str
    reader_ksa: str | None  # the serving pods' KSA; None when no model server reads the weights (simulator)
    compilation_cache: bool  # the serving identity may write under COMPILATION_CACHE_PREFIX
    force_destroy: bool
    protect: bool
    retain_on_delete: bool  # production: `pulumi destroy` leaves the weights (and their bucket) in place
    labels: Mapping[str, str] = field(default_factory=dict)
    depends_on: Sequence[pulumi.Resource] = ()  # Storage and IAM APIs
    audit_logs: bool = False  # Cloud Storage's Data Access audit logs: every read and write of the weights logged


def _cache_only(bucket: gcp.storage.Bucket) -> gcp.storage.BucketIAMMemberConditionArgs:
    """Objects under the compilation cache's prefix of this bucket, and nothing else."""
    return gcp.storage.BucketIAMMemberConditionArgs(
        title="compilation-cache-only",
        description="vLLM's XLA compilation cache; the weights stay read-only",
        expression=bucket.name.apply(
            lambda b: f'resource.name.startsWith("projects/_/buckets/{b}/objects/{COMPILATION_CACHE_PREFIX}")'
        ),
    )


def _noncurrent_versions_expire() -> gcp.storage.BucketLifecycleRuleArgs:
    """Deletes a version NONCURRENT_DAYS after it stopped being the live one; live objects never match (the
    condition applies to noncurrent versions only, and no `age` is sent)."""
    return gcp.storage.BucketLifecycleRuleArgs(
        action=gcp.storage.BucketLifecycleRuleActionArgs(type="Delete"),
        condition=gcp.storage.BucketLifecycleRuleConditionArgs(
            days_since_noncurrent_time=NONCURRENT_DAYS, with_state="ARCHIVED"
        ),
    )


class ModelStore(pulumi.ComponentResource):
    """Buckets live next to the clusters that read them (one per region by default), so a cold start
    never pulls 50 GB of weights across an ocean. Serving can only read; only the downloader writes."""

    def __init__(self, name: str, args: ModelStoreArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("inference:storage:ModelStore", name, None, opts)
        child = pulumi.ResourceOptions(parent=self, depends_on=list(args.depends_on))
        self.buckets = self._buckets(name, args, child)
        self.reader = gcp.serviceaccount.Account(
            f"{name}-reader",
            project=args.project,
            account_id=args.reader_account_id,
            display_name="Model servers: read model weights through GCS FUSE",
            opts=child,
        )
        # What each identity needs on each bucket before a pod or job may use it, for those to wait on.
        self.reader_grants = self._reader_grants(name, args, child)
        self.writer_grants: dict[str, list[pulumi.Resource]] = {location: [] for location in self.buckets}
        self.writer = self._writer(name, args, child) if args.writer_account_id else None
        self.bucket_names = {location: bucket.name for location, bucket in self.buckets.items()}
        self.reader_email = self.reader.email
        self.writer_email = self.writer.email if self.writer else None
        self.audit_config = self._audit_config(name, args, child) if args.audit_logs else None
        self.register_outputs({"buckets": self.bucket_names, "reader": self.reader_email, "writer": self.writer_email})

    def _buckets(self, name: str, args: ModelStoreArgs, child: pulumi.ResourceOptions) -> dict[str, gcp.storage.Bucket]:
        # Bucket names are global across all of Google Cloud; a stable random suffix keeps ours unique.
        suffix = random.RandomId(f"{name}-suffix", byte_length=4, opts=pulumi.ResourceOptions(parent=self))
        kept = pulumi.ResourceOptions(protect=args.protect, retain_on_delete=args.retain_on_delete)
        return {
            location: gcp.storage.Bucket(
                f"{name}-{location.lower()}",
                project=args.project,
                name=suffix.hex.apply(lambda hex_, stem=stem: f"{stem}-{hex_}"),
                location=location.upper(),
                storage_class="STANDARD",
                uniform_bucket_level_access=True,
                public_access_prevention="enforced",
                versioning=gcp.storage.BucketVersioningArgs(enabled=True),
                lifecycle_rules=[_noncurrent_versions_expire()],
                force_destroy=args.force_destroy,
                labels=dict(args.labels),
                opts=pulumi.ResourceOptions.merge(child, kept),
            )
            for location, stem in args.bucket_stems.items()
        }

    def _reader_grants(
        self, name: str, args: ModelStoreArgs, child: pulumi.ResourceOptions
    ) -> dict[str, list[pulumi.Resource]]:
        grants: dict[str, list[pulumi.Resource]] = {location: [] for location in self.buckets}
        for location, bucket in self.buckets.items():
            grants[location].append(
                gcp.storage.BucketIAMMember(
                    f"{name}-{location.lower()}-read",
                    bucket=bucket.name,
                    role=READER_ROLE,
                    member=self.reader.member,
                    opts=child,
                )
            )
            if args.compilation_cache:
                grants[location].append(
                    gcp.storage.BucketIAMMember(
                        f"{name}-{location.lower()}-compilation-cache",
                        bucket=bucket.name,
                        role=WRITER_ROLE,
                        member=self.reader.member,
                        condition=_cache_only(bucket),
                        opts=child,
                    )
                )
        # Workload Identity: a member on the service account (never a project-wide binding) lets exactly
        # one Kubernetes service account act as it, in every cluster of the fleet. Only where the model
        # servers read the weights: the simulator reads nothing, so no pod may act as the reader there.
        if args.reader_ksa:
            reader_identity = gcp.serviceaccount.IAMMember(
                f"{name}-reader-workload-identity",
                service_account_id=self.reader.name,
                role="roles/iam.workloadIdentityUser",
                member=pulumi.Output.from_input(args.workload_pool).apply(
                    lambda pool: f"serviceAccount:{pool}[{args.namespace}/{args.reader_ksa}]"
                ),
                opts=child,
            )
            for location_grants in grants.values():
                location_grants.append(reader_identity)
        return grants

    def _writer(self, name: str, args: ModelStoreArgs, child: pulumi.ResourceOptions) -> gcp.serviceaccount.Account:
        """The download job's own identity (Cloud Run runs it as this account: no Workload Identity)."""
        writer = gcp.serviceaccount.Account(
            f"{name}-writer",
            project=args.project,
            account_id=args.writer_account_id,
            display_name="Weights download job: write model weights",
            opts=child,
        )
        for location, bucket in self.buckets.items():
            self.writer_grants[location].append(
                gcp.storage.BucketIAMMember(
                    f"{name}-{location.lower()}-write",
                    bucket=bucket.name,
                    role=WRITER_ROLE,
                    member=writer.member,
                    opts=child,
                )
            )
        return writer

    @staticmethod
    def _audit_config(name: str, args: ModelStoreArgs, child: pulumi.ResourceOptions) -> gcp.projects.IAMAuditConfig:
        """Data Access audit logs of Cloud Storage (https://cloud.google.com/storage/docs/audit-logging): reads
        and writes of objects, by whom. An audit config is per service: this resource owns the project's config
        of storage.googleapis.com only, and leaves every IAM binding and every other service's logs alone
        (docs/security.md, "Access logs of the weights")."""
        return gcp.projects.IAMAuditConfig(
            f"{name}-data-access-logs",
            project=args.project,
            service="storage.googleapis.com",
            audit_log_configs=[
                gcp.projects.IAMAuditConfigAuditLogConfigArgs(log_type=t) for t in ("DATA_READ", "DATA_WRITE")
            ],
            opts=child,
        )
