"""Facts the single-cluster Gateway relies on: the GatewayClasses GKE Inference Gateway serves InferencePools
from in one cluster, and the proxy-only subnets they need, each with its source, read 2026-11-25."""

from __future__ import annotations

from inference.core.facts.ranges import REGIONAL_PROXY_PURPOSE

# Single-cluster classes GKE Inference Gateway serves InferencePools from: the regional external and the
# regional internal Application Load Balancer. Sources: GKE "Deploy GKE Inference Gateway"
# (https://cloud.google.com/kubernetes-engine/docs/how-to/deploy-gke-inference-gateway, "Deploy the
# Gateway"), llm-d's GKE guide which mirrors it ("GKE supports two types of Application Load Balancers":
# https://llm-d.ai/docs/infrastructure/gateway/gke), and the migration guide, whose Gateway is
# gke-l7-regional-external-managed. The capability table lists both as single-cluster classes
# (https://cloud.google.com/kubernetes-engine/docs/how-to/gatewayclass-capabilities).
EXTERNAL_CLASS, INTERNAL_CLASS = "gke-l7-regional-external-managed", "gke-l7-rilb"
GATEWAY_CLASSES = (EXTERNAL_CLASS, INTERNAL_CLASS)
# Regional load balancers: their proxies run in REGIONAL_MANAGED_PROXY subnets (GKE:
# https://cloud.google.com/kubernetes-engine/docs/how-to/deploying-gateways#configure_a_proxy-only_subnet).
PROXY_SUBNET_PURPOSE = REGIONAL_PROXY_PURPOSE
