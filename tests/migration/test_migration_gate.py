"""The migration's guard rails: the gate's transition table (through the dynamic provider's check, as
Pulumi calls it), tools.phases refusing the same steps, the runbook's sequence with custom weights, and the
route's readiness wait on the route's current generation (against a fake Kubernetes API: no cloud call)."""

from __future__ import annotations

import itertools
import json

import pytest

from inference.common.reader import ConfigError
from inference.configuration import stack as config
from inference.configuration.platform import PlatformConfig
from inference.migration import gate as migration_gate
from inference.migration.config import PHASES
from inference.single_cluster import route_readiness
from tests.configuration.test_config import stack_settings
from tests.conftest import run
from tools import phases

STACK = "migration"


def gate(phase: str, path: str = "zero-downtime", managed: bool = True, weights=(100, 0)) -> dict:
    return {"phase": phase, "path": path, "alphaWeight": weights[0], "v1Weight": weights[1], "legacyManaged": managed}


def check(olds: dict, news: dict):
    return migration_gate._GateProvider().check(olds, news)


ZERO_DOWNTIME_ALLOWED = {
    ("alpha", "side-by-side"),
    ("side-by-side", "split"),
    ("split", "v1"),
    ("v1", "cleanup"),
    ("side-by-side", "alpha"),
    ("split", "side-by-side"),
    ("v1", "split"),
}


@pytest.mark.parametrize(("before", "after"), list(itertools.product(PHASES, PHASES)))
def test_the_zero_downtime_path_moves_one_phase_at_a_time_and_never_back_from_cleanup(before, after):
    result = check(gate(before), gate(after))
    allowed = before == after or (before, after) in ZERO_DOWNTIME_ALLOWED
    assert result.inputs == gate(after)
    if allowed:
        assert result.failures == []
    else:
        (failure,) = result.failures
        assert failure.property == "phase"
        assert failure.reason.startswith(f"migration.phase {before} -> {after}")


@pytest.mark.parametrize(("before", "after"), [("alpha", "cleanup"), ("alpha", "alpha"), ("cleanup", "cleanup")])
def test_the_simple_path_goes_from_alpha_to_cleanup(before, after):
    assert check(gate(before, "simple"), gate(after, "simple")).failures == []


def test_refused_jumps_say_what_to_set_instead():
    reasons = {
        (a, b): check(gate(a), gate(b, path)).failures[0].reason
        for a, b, path in [
            ("split", "cleanup", "zero-downtime"),
            ("alpha", "split", "zero-downtime"),
            ("split", "cleanup", "simple"),
            ("alpha", "cleanup", "zero-downtime"),
            ("cleanup", "v1", "zero-downtime"),
        ]
    }
    assert reasons[("split", "cleanup")] == (
        "migration.phase split -> cleanup skips the runbook's steps on the simple path; the stack last applied "
        "phase split: set migration.phase to split, one `pulumi up` per phase (docs/migration.md)"
    )
    assert "set migration.phase to alpha or side-by-side" in reasons[("alpha", "split")]
    assert "set migration.phase to alpha or side-by-side" in reasons[("alpha", "cleanup")]
    assert reasons[("cleanup", "v1")] == (
        "migration.phase cleanup -> v1: clean-up deleted the alpha side, so there is no going back; "
        "keep migration.phase: cleanup (docs/migration.md)"
    )
    zero_downtime = check(gate("split"), gate("cleanup")).failures[0].reason
    assert "set migration.phase to split, v1 or side-by-side" in zero_downtime


def test_a_first_apply_may_start_at_any_phase():
    for phase in PHASES:
        assert check({}, gate(phase)).failures == []


@pytest.mark.parametrize("phase", ["alpha", "side-by-side", "split", "v1"])
def test_legacy_managed_does_not_flip_while_the_alpha_side_exists(phase):
    (off,) = check(gate(phase), gate(phase, managed=False)).failures
    assert off.property == "legacyManaged"
    assert off.reason.startswith(f"migration.legacy.managed true -> false in phase {phase} would delete the alpha")
    assert off.reason.endswith("keep migration.legacy.managed: true until the migration is through cleanup")
    (on,) = check(gate(phase, managed=False), gate(phase)).failures
    assert "over the ones another tool installed" in on.reason


def test_legacy_managed_is_free_after_cleanup_and_weights_move_freely_within_split():
    assert check(gate("cleanup"), gate("cleanup", managed=False)).failures == []
    assert check(gate("split", weights=(90, 10)), gate("split", weights=(50, 50))).failures == []


def test_neither_dynamic_provider_ever_replaces():
    for provider in (migration_gate._GateProvider(), route_readiness._RouteReadinessProvider()):
        result = provider.diff("id", {"phase": "v1", "specHash": "a"}, {"phase": "cleanup", "specHash": "b"})
        assert result.changes is True and result.replaces == []
        assert provider.diff("id", {"phase": "v1"}, {"phase": "v1"}).changes is False


@pytest.mark.parametrize(("start", "end"), [("split", "cleanup"), ("alpha", "split"), ("cleanup", "v1")])
def test_the_phases_tool_refuses_with_the_gates_message(start, end, capsys):
    assert phases.main([STACK, start, end]) == 2
    expected = migration_gate.refusal(gate(start), gate(end))[1]
    assert capsys.readouterr().err == f"error: {expected}\n"


def parse(migration: dict) -> PlatformConfig:
    return config.parse(stack_settings(STACK) | {"migration": migration}, STACK)


def test_the_runbook_with_custom_weights_passes_config_and_the_gate_at_every_step():
    """docs/migration.md: a 90/10 first split, then 50/50, then `pulumi config rm migration.weights` for v1."""
    base = {k: v for k, v in stack_settings(STACK)["migration"].items() if k != "weights"}
    steps = [
        {**base, "phase": "alpha"},
        {**base, "phase": "side-by-side"},
        {**base, "phase": "split", "weights": {"alpha": 90, "v1": 10}},
        {**base, "phase": "split", "weights": {"alpha": 50, "v1": 50}},
        {**base, "phase": "v1"},
        {**base, "phase": "cleanup"},
    ]
    applied = None
    for step in steps:
        m = parse(step).migration
        inputs = gate(m.phase, m.path, m.legacy_managed, (m.alpha_weight, m.v1_weight))
        assert check(applied or {}, inputs).failures == [], step
        applied = inputs
    assert [parse(s).migration.alpha_weight for s in steps] == [100, 100, 90, 50, 0, 0]
    # Forgetting `pulumi config rm migration.weights` before v1 is refused, naming the key and the fix.
    with pytest.raises(ConfigError) as err:
        parse({**base, "phase": "v1", "weights": {"alpha": 50, "v1": 50}})
    (problem,) = err.value.problems
    assert problem.key == "migration.weights" and "remove migration.weights" in problem.fix


def test_cleanup_of_a_legacy_side_another_tool_installed():
    migration = phases.phase_config(STACK, "cleanup") | {"legacy": {"managed": False}}
    p = run(STACK, overrides={"migration": migration})
    (route,) = p.by_type("kubernetes:gateway.networking.k8s.io/v1:HTTPRoute")
    v1 = {"group": "inference.networking.k8s.io", "kind": "InferencePool", "name": "vllm-llama3-8b-instruct-ga"}
    assert route.inputs["spec"]["rules"] == [{"backendRefs": [{**v1, "weight": 100}]}]
    assert not [r for r in p.registrations if "x-k8s.io/v1alpha2:Inference" in r.type and "Objective" not in r.type]
    assert p.outputs["migration"]["legacyManagedByStack"] is False
    assert check(gate("v1", managed=False), gate("cleanup", managed=False)).failures == []


# ------------------------------------------------------------------------------ the readiness wait


def route_status(generation: int, observed: dict[str, int], status: dict[str, str] | None = None) -> dict:
    """An HTTPRoute as the API returns it, with one parent's conditions observed at `observed` generations."""
    status = status or {}
    return {
        "metadata": {"generation": generation},
        "status": {
            "parents": [
                {
                    "parentRef": {"name": "inference-gateway"},
                    "conditions": [
                        {"type": kind, "status": status.get(kind, "True"), "observedGeneration": gen, "reason": "R"}
                        for kind, gen in observed.items()
                    ],
                }
            ]
        },
    }


def test_a_condition_of_an_older_generation_does_not_count():
    gateways = ["inference-gateway"]
    assert route_readiness.unready(route_status(3, {"Accepted": 3, "ResolvedRefs": 3}), gateways) == []
    stale = route_readiness.unready(route_status(4, {"Accepted": 4, "ResolvedRefs": 3}), gateways)
    assert stale == ["Gateway inference-gateway: ResolvedRefs not reported for generation 4 yet"]
    refused = route_readiness.unready(
        route_status(4, {"Accepted": 4, "ResolvedRefs": 4}, {"ResolvedRefs": "False"}), gateways
    )
    assert refused == ["Gateway inference-gateway: ResolvedRefs=False (R: None)"]
    assert route_readiness.unready({"metadata": {"generation": 1}}, gateways) == [
        "Gateway inference-gateway has not reported on the route yet"
    ]


class FakeRoutes:
    def __init__(self, answers: list[dict]):
        self.answers, self.calls = answers, 0

    def get_route(self, namespace: str, name: str) -> dict:
        self.calls += 1
        return self.answers[min(self.calls, len(self.answers)) - 1]


class FakeClock:
    def __init__(self):
        self.now = 0.0

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.now += seconds


def test_the_wait_polls_until_the_current_generation_is_applied():
    api = FakeRoutes(
        [route_status(2, {"Accepted": 1, "ResolvedRefs": 1}), route_status(2, {"Accepted": 2, "ResolvedRefs": 2})]
    )
    clock = FakeClock()
    route_readiness.wait_for_route(api, "inference", "llm-route", ["inference-gateway"], 60, clock, clock.sleep)
    assert api.calls == 2 and clock.now == route_readiness.POLL_SECONDS


def test_the_wait_ends_with_a_clear_error_on_timeout():
    api = FakeRoutes([route_status(2, {"Accepted": 2, "ResolvedRefs": 1})])
    clock = FakeClock()
    with pytest.raises(TimeoutError) as err:
        route_readiness.wait_for_route(api, "inference", "llm-route", ["inference-gateway"], 30, clock, clock.sleep)
    assert str(err.value) == (
        "HTTPRoute inference/llm-route was not applied within 30 s: Gateway inference-gateway: ResolvedRefs not "
        "reported for generation 2 yet. Read `kubectl -n inference describe httproute llm-route`; raise "
        "gateway.programmedTimeoutMinutes if the controller is only slow"
    )


def _rest_api(session, credentials=None):
    import requests

    class Credentials:
        valid, token = False, "ya29.token"

        def refresh(self, request):
            self.valid = True

    api = route_readiness.RestRouteApi.__new__(route_readiness.RestRouteApi)
    api.credentials, api.refresh, api.endpoint = credentials or Credentials(), None, "203.0.113.7"
    api.session, api.requests, api.ca_file = session, requests, "/tmp/cluster-ca.pem"
    return api


def _response(status: int, body: dict | None = None):
    import requests

    response = requests.Response()
    response.status_code, response._content = status, json.dumps(body or {}).encode()
    return response


def test_the_rest_api_reads_the_route_with_a_bearer_token_and_the_clusters_ca():
    class Session:
        def get(self, url, headers, verify, timeout):
            self.call = (url, headers, verify, timeout)
            return _response(200, {"kind": "HTTPRoute"})

    api = _rest_api(Session())
    assert api.get_route("inference", "llm-route") == {"kind": "HTTPRoute"}
    assert api.credentials.valid
    assert api.session.call == (
        "https://203.0.113.7/apis/gateway.networking.k8s.io/v1/namespaces/inference/httproutes/llm-route",
        {"Authorization": "Bearer ya29.token"},
        "/tmp/cluster-ca.pem",
        30,
    )


def test_a_ca_bundle_in_the_environment_does_not_replace_the_clusters_ca(monkeypatch):
    """requests lets REQUESTS_CA_BUNDLE override a session's `verify`; the CA goes on each request instead."""
    import requests

    monkeypatch.setenv("REQUESTS_CA_BUNDLE", "/etc/ssl/certs/corporate.pem")
    sent = {}

    class Adapter(requests.adapters.HTTPAdapter):
        def send(self, request, **kwargs):
            sent.update(kwargs)
            return _response(200, {"kind": "HTTPRoute"})

    session = requests.Session()
    session.mount("https://", Adapter())
    _rest_api(session).get_route("inference", "llm-route")
    assert sent["verify"] == "/tmp/cluster-ca.pem"


@pytest.mark.parametrize("failure", ["connection", "timeout", 429, 503])
def test_a_passing_api_failure_keeps_the_wait_polling(failure):
    import requests

    class Session:
        calls = 0

        def get(self, url, headers, verify, timeout):
            self.calls += 1
            if self.calls == 1:
                if failure == "connection":
                    raise requests.ConnectionError("control plane repairing")
                if failure == "timeout":
                    raise requests.Timeout("read timed out")
                return _response(failure)
            return _response(200, route_status(1, {"Accepted": 1, "ResolvedRefs": 1}))

    session, clock = Session(), FakeClock()
    route_readiness.wait_for_route(
        _rest_api(session), "inference", "llm-route", ["inference-gateway"], 60, clock, clock.sleep
    )
    assert session.calls == 2


def test_a_refused_read_ends_the_wait_at_once():
    import requests

    class Session:
        def get(self, url, headers, verify, timeout):
            return _response(403)

    clock = FakeClock()
    with pytest.raises(requests.HTTPError):
        route_readiness.wait_for_route(
            _rest_api(Session()), "inference", "llm-route", ["inference-gateway"], 60, clock, clock.sleep
        )
    assert clock.now == 0


def test_a_condition_without_observed_generation_says_so():
    route = route_status(2, {"Accepted": 2, "ResolvedRefs": 2})
    for condition in route["status"]["parents"][0]["conditions"]:
        del condition["observedGeneration"]
    assert route_readiness.unready(route, ["inference-gateway"]) == [
        "Gateway inference-gateway: Accepted carries no observedGeneration, so it cannot be trusted",
        "Gateway inference-gateway: ResolvedRefs carries no observedGeneration, so it cannot be trusted",
    ]


def test_create_and_every_update_wait_with_the_clusters_ca(monkeypatch):
    seen = []

    class Api:
        def __init__(self, endpoint, ca_file):
            with open(ca_file, "rb") as f:
                seen.append((endpoint, f.read()))

        def get_route(self, namespace, name):
            return route_status(1, {"Accepted": 1, "ResolvedRefs": 1})

    monkeypatch.setattr(route_readiness, "RestRouteApi", Api)
    props = {
        "endpoint": "203.0.113.7",
        "caCertificate": "UEVN",  # base64 of b"PEM"
        "namespace": "inference",
        "route": "llm-route",
        "gateways": ["inference-gateway"],
        "specHash": "a",
        "timeoutSeconds": 60,
    }
    provider = route_readiness._RouteReadinessProvider()
    assert provider.create(props).id == "inference/llm-route"
    provider.update("inference/llm-route", props, {**props, "specHash": "b"})
    assert seen == [("203.0.113.7", b"PEM")] * 2
