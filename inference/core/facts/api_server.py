"""Where the Kubernetes API server's connections to a pod come from (its webhooks, its aggregated APIs), for the
network policies of the namespaces it calls into (inference/common/network_policy.py). Read 2026-12-07."""

from __future__ import annotations

API_SERVER_READ_ON = "2026-12-07"

# GKE runs the API server with --enable-aggregator-routing: it calls a webhook's or an APIService's pod at the
# endpoint's address, not the Service's (kubernetes/kubernetes#79739, maintainers' answer; GKE's firewall
# admits the control plane to nodes only on 443 and 10250, which is why a webhook's *pod* port matters).
#
# What GKE does not document is the source address that call arrives with under Dataplane V2. It is
# - the konnectivity agents' pods in kube-system where GKE tunnels control-plane-to-node traffic through
#   Konnectivity (GKE's system pods include `konnectivity-agent`, inference/core/facts/machines.py; Calico's
#   operator found admission calls arriving from those pods on GKE and AKS: tigera/operator#5212, merged
#   2026-08-18), whose labels are GKE's own and not a published interface;
# - otherwise the control plane's address: the peering range (`privateClusterConfig.masterIpv4CidrBlock`, which
#   this program does not set), a Private Service Connect endpoint in the node subnet, or a public address;
#   and on a cluster the program does not make (Istio mode's existing cluster, kind), the control-plane node.
# An ipBlock cannot stand in for the pod case: Kubernetes says ipBlocks "should be cluster-external IPs"
# (https://kubernetes.io/docs/concepts/services-networking/network-policies/, "ipBlock"), and Cilium, which
# Dataplane V2 is built on, matches a pod by its identity, not by an ipBlock.
#
# So a port the API server calls is admitted from every source (a rule without `from`), as Istio's own chart
# does for istiod's webhook (istio/istio@1.29.6 manifests/charts/istio-control/istio-discovery/templates/
# networkpolicy.yaml, "Webhook from kube-apiserver": `from: []`). Only that port: every other port of the pod
# stays denied. What it exposes: the metrics adapter's API authenticates every caller through the API server
# (its `system:auth-delegator` binding), and istiod's webhook port answers admission reviews only.
API_SERVER_PEERS = None  # a Rule's peers: every source
