"""The observability component built from small args: alert policies per rule, the error metric, the dashboard."""

from __future__ import annotations

from inference.observability.monitoring import Observability, ObservabilityArgs, alert_rules
from tests.conftest import components


def _args(**changes) -> ObservabilityArgs:
    base = dict(
        project="p",
        name_prefix="x-dev",
        pool_name="pool",
        gateway_namespace="ns",
        gateway_name="gw",
        tpu_pool=None,
        alerts=alert_rules(2.0, 0.05, 10, 0.9),
        notification_channels=("projects/p/notificationChannels/1",),
        error_metric=True,
        dashboard=True,
        labels={"team": "ml"},
    )
    return ObservabilityArgs(**(base | changes))


def test_every_rule_is_a_policy_and_the_error_metric_reads_this_gateways_load_balancer():
    plan = components(lambda: Observability("o", _args()))
    policies = plan.by_type("gcp:monitoring/alertPolicy:AlertPolicy")
    assert len(policies) == len(alert_rules(2.0, 0.05, 10, 0.9))
    assert all(p.inputs["notificationChannels"] == ["projects/p/notificationChannels/1"] for p in policies)
    assert all(p.inputs["displayName"].startswith("x-dev: ") for p in policies)
    (metric,) = plan.by_type("gcp:logging/metric:Metric")
    assert metric.inputs["name"] == "x-dev-error_detail_metric" and '"gkemcg1-ns-gw-"' in metric.inputs["filter"]
    assert len(plan.by_type("gcp:monitoring/dashboard:Dashboard")) == 1


def test_nothing_on_makes_nothing():
    plan = components(lambda: Observability("o", _args(alerts=[], error_metric=False, dashboard=False)))
    assert [r.type for r in plan.registrations] == ["inference:observability:Observability"]
