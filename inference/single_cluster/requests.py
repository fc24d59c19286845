"""Completion requests to the single-cluster Gateway, as commands an operator pastes: the Gateway's address
is read from its status, and an internal class's address is reached from a pod inside the VPC."""

from __future__ import annotations

import json
from typing import Any

from inference.common.images import CURL_IMAGE
from inference.models.facts import OBJECTIVE_HEADER
from inference.single_cluster.facts import INTERNAL_CLASS  # the one class whose address is internal

GATEWAY_PORT = 80  # the single-cluster Gateway's HTTP listener (inference/single_cluster/gateway.py)


def completion(
    *,
    context: str,
    namespace: str,
    gateway: str,
    class_name: str,
    body: dict[str, Any],
    pod: str,
    api_key: bool = False,
    model_header: str | None = None,
    objective: str | None = None,
) -> str:
    """A completion request to the Gateway; with `api_key`, curl reads the `x-api-key` header from its
    standard input, so the key is neither in the stack's outputs, nor in the pod's spec, nor in a command line.
    `objective`: the InferenceObjective the request picks, in the header the endpoint picker reads."""
    kubectl = f"kubectl --context {context} -n {namespace}"
    address = f"IP=$({kubectl} get gateway/{gateway} -o jsonpath='{{.status.addresses[0].value}}')"
    in_pod = (
        f"{kubectl} run {pod} --rm -i --restart=Never --image={CURL_IMAGE} -- " if class_name == INTERNAL_CLASS else ""
    )
    key = "printf 'x-api-key: %s\\n' \"${API_KEY:?export API_KEY first}\" | " if api_key else ""
    header = " -H @-" if api_key else ""
    if model_header:  # header routing (docs/models.md): the client names the model the body names
        header += f" -H '{model_header}: {body['model']}'"
    if objective:
        header += f" -H '{OBJECTIVE_HEADER}: {objective}'"
    curl = f"curl -i http://${{IP}}:{GATEWAY_PORT}/v1/completions -H 'Content-Type: application/json'{header}"
    return f"{address} && {key}{in_pod}{curl} -d '{json.dumps(body)}'"


def test_request(
    *,
    context: str,
    namespace: str,
    gateway: str,
    class_name: str,
    served_model: str,
    model_header: str | None = None,
    objective: str | None = None,
) -> str:
    """The migration guide's check: a completion request to the single-cluster Gateway; `model_header`: the header
    the client sets to the model when the route matches it and nothing reads the body; `objective`: the
    InferenceObjective the request picks."""
    body = {"model": served_model, "prompt": "What is the capital of France?", "max_tokens": 100, "temperature": 0}
    return completion(
        context=context,
        namespace=namespace,
        gateway=gateway,
        class_name=class_name,
        body=body,
        pod="curl-test",
        model_header=model_header,
        objective=objective,
    )
