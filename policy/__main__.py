"""The policy pack CrossGuard runs: `pulumi preview --policy-pack policy` from the project root."""

from policies import POLICIES
from pulumi_policy import EnforcementLevel, PolicyPack

PolicyPack(
    name="inference-platform",
    description="Security and production guardrails for the multi-region LLM inference platform on GKE.",
    policies=POLICIES,
    enforcement_level=EnforcementLevel.MANDATORY,
)
