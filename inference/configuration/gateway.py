"""`gateway`: which mode serves the pools (inference/common/modes.py), the Gateway's and route's names, its
class as the mode allows it, and the keys of the multi-cluster mode's balancing."""

from __future__ import annotations

from dataclasses import dataclass

from inference.common.modes import GATEWAY_MODES, ISTIO, MULTI_CLUSTER, SINGLE_CLUSTER
from inference.common.reader import Reader
from inference.common.validators import k8s_name
from inference.multi_cluster import config as multi_cluster
from inference.multi_cluster import facts as multi_cluster_facts
from inference.single_cluster import config as single_cluster


@dataclass(frozen=True)
class Gateway:
    name: str
    route_name: str
    programmed_timeout_minutes: int
    mode: str  # one of inference/common/modes.py GATEWAY_MODES
    class_name: str  # the GatewayClass: the multi-cluster class in multi-cluster mode, "istio" in istio mode
    balancing: multi_cluster.Balancing  # read in every mode; only the multi-cluster Gateway uses it


def mode_and_class(r: Reader) -> tuple[str | None, str | None]:
    """The mode, and the Gateway class it uses."""
    mode = r.choice("mode", MULTI_CLUSTER, GATEWAY_MODES)
    if mode == SINGLE_CLUSTER:
        return mode, single_cluster.class_name(r)
    if mode == ISTIO:
        return mode, r.choice("className", ISTIO, (ISTIO,))  # istiod owns the `istio` GatewayClass
    if mode == MULTI_CLUSTER:
        return mode, multi_cluster.class_name(r)
    return mode, r.get("className", multi_cluster_facts.GATEWAY_CLASS)  # an unknown mode: its problem says enough


def gateway(top: Reader) -> Gateway:
    r = top.mapping("gateway")
    health = multi_cluster.health_check(r)
    mode, class_name = mode_and_class(r)
    name = k8s_name(r, "name", "cross-region-gateway", "dns-1123-subdomain")
    route_name = k8s_name(r, "routeName", "gemma-route", "dns-1123-subdomain")
    balancing = multi_cluster.balancing(r, health)
    result = Gateway(
        name=name,
        route_name=route_name,
        programmed_timeout_minutes=r.integer("programmedTimeoutMinutes", 20, low=1, high=120),
        mode=mode,
        class_name=class_name,
        balancing=balancing,
    )
    r.finish()
    return result
