"""What the pack lets through, each with why: broad project roles a Google setup guide prescribes, and
containers an upstream chart renders without a value for what a rule asks. docs/policy.md lists them."""

from __future__ import annotations

import re

# Broad project roles a Google setup guide prescribes: (role, member pattern, why).
EXEMPTIONS = (
    (
        "roles/container.admin",
        re.compile(r"^serviceAccount:service-\d+@gcp-sa-multiclusteringress\.iam\.gserviceaccount\.com$"),
        "the multi-cluster ingress service agent; Google's multi-cluster Gateway setup requires it",
    ),
    (
        "roles/container.admin",
        re.compile(r"^serviceAccount:service-\d+@gcp-sa-dep\.iam\.gserviceaccount\.com$"),
        "the Service Extensions service agent; the customisation guide's Model Armor setup grants it "
        "(inference/guards/guard.py). "
        "Google's Model Armor page lists calloutUser, serviceUsageConsumer and user for it, not container.admin: "
        "that one is the guide's (docs/policy.md)",
    ),
    *(
        (
            role,
            # <prefix>-<stack>-apim (a 6-30 character account id) of the project the grant is made in
            re.compile(
                r"^serviceAccount:[a-z][-a-z0-9]{0,24}-apim@(?P<project>[a-z][-a-z0-9]{4,28}[a-z0-9])"
                r"\.iam\.gserviceaccount\.com$"
            ),
            "the Apigee APIM operator's own service account, in the project it is granted on; Apigee's "
            "operator install guide grants it (inference/guards/guard.py)",
        )
        for role in (
            "roles/apigee.admin",
            "roles/networkservices.serviceExtensionsAdmin",
            "roles/compute.networkAdmin",
            "roles/compute.loadBalancerAdmin",
        )
    ),
)
# Containers rendered by an upstream chart release that offers no value for what a rule asks:
# (rule, URN pattern of the rendered workload, container name, image, why).
CHART_EXEMPTIONS = (
    (
        "container-resource-requests",
        re.compile(r"inference:serving:InferencePool\$kubernetes:helm\.sh/v4:Chart\$kubernetes:apps/v1:Deployment::"),
        "epp",
        "registry.k8s.io/gateway-api-inference-extension/epp:v1.1.0",
        "the endpoint picker of the InferencePool chart v1.1.0 (the walkthrough's pin): its "
        "templates/epp-deployment.yaml has no value for resources; v1.5.0's has one (and defaults it)",
    ),
)
