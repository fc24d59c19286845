"""The failover drill on a stack with a capacity ladder: the target reads the output `capacityLadder`, and the report
lists how each rung's slice of the downed region would really go away, beside the figure it measures (which the
ladder does not change)."""

from __future__ import annotations

from inference.capacity import costs, facts
from tools import drill, timing

EU, US = "europe-west4", "us-east5"
CTX = {EU: "gke_p_europe-west4-a_c-eu", US: "gke_p_us-east5-b_c-us"}
OUTPUTS = {
    "gatewayAddresses": {EU: "10.0.1.10", US: "10.0.2.10"},
    "kubeContexts": CTX,
    "modelServer": {"namespace": "inference", "deployment": "vllm-gemma", "servedModel": "gemma"},
    "gateway": {"kubeContext": CTX[US]},
    "failoverDetectionSeconds": 15,
}
LADDER = [
    {"kind": "on-demand", "pool": "tpu-v6e-0-on-demand", "loss": facts.COSTS[facts.ON_DEMAND].loss}
    | costs.figures(facts.ON_DEMAND, None, OUTPUTS["failoverDetectionSeconds"]).output(),
    {"kind": "spot", "pool": "tpu-v6e-1-spot", "loss": facts.COSTS[facts.SPOT].loss}
    | costs.figures(facts.SPOT, None, OUTPUTS["failoverDetectionSeconds"], above=(facts.ON_DEMAND,)).output(),
]


class Unready:
    """Clusters whose model servers are not ready: the drill stops at its check and takes nothing down."""

    def __init__(self):
        self.scaled: list[tuple] = []

    def replicas(self, context, namespace, deployment):
        return 1

    def ready_replicas(self, context, namespace, deployment):
        return 0

    def scale(self, *args):
        self.scaled.append(args)

    def hpa(self, context, namespace, name):
        return None

    def start_client(self, context, namespace, name):
        pass

    def delete_client(self, context, namespace, name):
        pass

    def send_request(self, context, namespace, client, address, model, model_header=None):
        return drill.Response(False, "503")


def _report(outputs) -> drill.Report:
    cluster = Unready()
    report = drill.run_drill(drill.target_from_outputs("prod", outputs), cluster, log=lambda message: None)
    assert cluster.scaled == [] and not report.ok  # stopped before taking the region down
    return report


def test_the_report_states_each_rungs_loss_of_the_downed_region():
    report = _report(OUTPUTS | {"capacityLadder": {US: LADDER, EU: LADDER[:1]}})
    assert [r["kind"] for r in report.capacity] == ["on-demand", "spot"]  # us-east5, the config region, is downed
    text = report.text()
    assert f"capacity:  spot (tpu-v6e-1-spot): preempted at any time with {facts.SPOT_NOTICE_SECONDS} s notice" in text
    assert "capacity:  on-demand (tpu-v6e-0-on-demand): never preempted" in text
    # What a lost slice costs, as the stack computed it from the time-to-serve model's steps: the drill's own
    # failover figure is measured beside it.
    replace = timing.STEPS["tpu-node-pool"].seconds + timing.STEPS["model-load"].seconds
    assert f"a lost slice serves again after {replace} s, the other region answering within 15 s" in text
    # Spot, behind on-demand, is reached only after a fallback whose time GKE does not publish.
    assert f"after at least {replace} s, the other region answering within 15 s" in text
    assert "fallback time to this rung not published" in text


def test_a_ladder_output_without_figures_still_reports_the_loss():
    older = [{k: r[k] for k in ("kind", "pool", "loss")} for r in LADDER]
    text = _report(OUTPUTS | {"capacityLadder": {US: older}}).text()
    assert "capacity:  spot (tpu-v6e-1-spot): preempted" in text and "serves again" not in text


def test_without_a_ladder_the_report_has_no_capacity_line():
    report = _report(OUTPUTS)
    assert report.capacity == [] and "capacity:" not in report.text()
