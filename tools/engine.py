"""Offline engine: runs the real `__main__.py` under Pulumi's mock runtime and records every registration.

Nothing in the program is mocked; only the engine and the providers are (tools/mocks.py). The recording
monitor keeps what the SDK sends with each registration (type, name, parent, inputs, options,
dependencies). The engine runs the program only: the Helm charts it registers are expanded by the plan
(tools/plan.py `render`, tools/charts.py), as the Kubernetes provider expands them.
"""

from __future__ import annotations

import asyncio
import contextvars
import gc
import json
import runpy
import sys
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tools import sdk, stack_file
from tools.mocks import PlatformMocks
from tools.stack_file import ROOT, STAND_IN

sdk.install()  # the program's SDK packages load only the modules it uses (tools/sdk.py)

TIMEOUT_SECONDS = 120
__all__ = ["ROOT", "STAND_IN", "EngineTimeout", "Plan", "Registration", "Secret", "run", "to_json"]


class Secret:
    """A value the program marked secret; renders as [secret] everywhere outside the tests."""

    def __init__(self, value: Any):
        self.value = value

    def __repr__(self) -> str:
        return "[secret]"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Secret) and other.value == self.value

    def __hash__(self) -> int:
        return hash(("secret", json.dumps(self.value, sort_keys=True, default=str)))


@dataclass
class Registration:
    urn: str
    type: str
    name: str
    parent: str  # URN, "" for the stack itself
    custom: bool
    remote: bool  # a component implemented by its provider (a Helm chart): it plans as one resource
    inputs: dict[str, Any]
    outputs: dict[str, Any]  # what the mock returned
    provider: str  # provider reference "urn::id", "" for the default provider
    dependencies: list[str]  # URNs the SDK reported: data flow and depends_on
    property_dependencies: dict[str, list[str]]
    options: dict[str, Any]  # protect, ignoreChanges, customTimeouts, ... when set
    rendered_by: str = ""  # the Helm chart's URN for an object the engine rendered from it (tools/charts.py)

    @property
    def id(self) -> str:
        return self.outputs.get("id", "")


@dataclass
class Plan:
    stack: str
    project: str  # the Pulumi project
    registrations: list[Registration]
    outputs: dict[str, Any]
    stand_ins: list[str] = field(default_factory=list)  # `secure:` keys whose ciphertext got a stand-in

    def by_type(self, type_: str) -> list[Registration]:
        return [r for r in self.registrations if r.type == type_]

    def one(self, type_: str, name: str) -> Registration:
        found = [r for r in self.registrations if r.type == type_ and r.name == name]
        if len(found) != 1:
            raise KeyError(f"{len(found)} registrations of {type_} named {name}")
        return found[0]

    def by_urn(self) -> dict[str, Registration]:
        return {r.urn: r for r in self.registrations}


class EngineTimeout(RuntimeError):
    pass


def _plain(value: Any) -> Any:
    """Deserialised SDK values -> plain data, with secrets wrapped in `Secret`."""
    from pulumi.runtime import rpc

    if rpc.is_rpc_secret(value):
        return Secret(_plain(rpc.unwrap_rpc_secret(value)))
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    if isinstance(value, float) and value.is_integer():
        return int(value)  # the wire format has only doubles; the program wrote integers
    return value


def _options(request) -> dict[str, Any]:
    opts: dict[str, Any] = {}
    if request.HasField("protect"):
        opts["protect"] = request.protect
    if request.HasField("retainOnDelete"):
        opts["retainOnDelete"] = request.retainOnDelete
    if request.deleteBeforeReplace:
        opts["deleteBeforeReplace"] = True
    for name in ("ignoreChanges", "replaceOnChanges", "additionalSecretOutputs"):
        values = list(getattr(request, name))
        if values:
            opts[name] = values
    if request.HasField("customTimeouts"):
        t = request.customTimeouts
        opts["customTimeouts"] = {
            k: v for k, v in (("create", t.create), ("update", t.update), ("delete", t.delete)) if v
        }
    if request.deletedWith:
        opts["deletedWith"] = request.deletedWith
    if list(request.aliases):
        from google.protobuf import json_format

        opts["aliases"] = [json_format.MessageToDict(a) for a in request.aliases]
    return opts


def _recording_monitor(mocks: PlatformMocks, log: list[Registration], on_register: Callable[[Registration], None]):
    from pulumi.runtime import mocks as pulumi_mocks
    from pulumi.runtime import rpc

    class RecordingMonitor(pulumi_mocks.MockMonitor):
        def RegisterResource(self, request):
            response = super().RegisterResource(request)
            if request.type == "pulumi:pulumi:Stack":
                return response
            inputs = _plain(rpc.deserialize_properties(request.object))
            inputs.pop("__provider", None)  # a dynamic resource's pickled provider code, not an input
            registered = self.resources[response.urn]
            reg = Registration(
                urn=response.urn,
                type=request.type,
                name=request.name,
                parent=request.parent,
                custom=request.custom,
                remote=request.remote,
                inputs=inputs,
                outputs=_plain(registered.state) | {"id": registered.id},
                # A remote component (a Helm chart) names its providers per package instead.
                provider=request.provider or request.providers.get(request.type.split(":")[0], ""),
                dependencies=sorted(set(request.dependencies)),
                property_dependencies={k: sorted(v.urns) for k, v in request.propertyDependencies.items() if v.urns},
                options=_options(request),
            )
            log.append(reg)
            on_register(reg)
            return response

    return RecordingMonitor(mocks)


def _in_thread(fn: Callable[[], Plan], timeout: float, what: str) -> Plan:
    """`fn` in a thread of its own context, so a future that never resolves cannot hang the caller."""
    result: dict[str, Any] = {}

    def target() -> None:
        try:
            result["plan"] = fn()
        except BaseException as e:  # noqa: BLE001 - re-raised in the caller's thread
            result["error"] = e

    thread = threading.Thread(target=lambda: contextvars.Context().run(target), daemon=True)
    # The imports and registrations of a run make millions of objects that all live until the plan is made:
    # the collector would only scan them again and again, a quarter of a plan's time (docs/offline-plan.md).
    collecting = gc.isenabled()
    gc.disable()
    try:
        thread.start()
        thread.join(timeout)
    finally:
        if collecting:
            gc.enable()
    if thread.is_alive():
        raise EngineTimeout(f"the offline run of {what} did not finish in {timeout:.0f}s (an output never resolved)")
    if "error" in result:
        raise result["error"]
    return result["plan"]


def run(
    stack: str,
    *,
    root: Path | None = None,
    overrides: dict[str, Any] | None = None,
    secrets: dict[str, str] | None = None,
    timeout: float = TIMEOUT_SECONDS,
    on_register: Callable[[Registration], None] = lambda reg: None,
) -> Plan:
    """Runs `root/__main__.py` for `stack` offline and returns every registration and the outputs; `on_register`
    sees each registration as it is made."""
    root = root or ROOT
    config, secret_keys, stand_ins = stack_file.stack_config(stack, root, overrides, secrets)
    project_name = stack_file.project_file(root)["name"]
    project_id = config.get(f"{project_name}:project", "offline-project")

    def program() -> None:
        sys.path.insert(0, str(root))
        try:
            runpy.run_path(str(root / "__main__.py"), run_name="__main__")
        finally:
            sys.path.remove(str(root))

    plan = _in_thread(
        lambda: _run_in_fresh_runtime(stack, project_name, project_id, config, secret_keys, program, on_register),
        timeout,
        f"stack '{stack}'",
    )
    plan.stand_ins = stand_ins
    return plan


def run_components(
    build: Callable[[], Any],
    *,
    stack: str = "test",
    project_id: str = "test-project",
    timeout: float = TIMEOUT_SECONDS,
) -> Plan:
    """Runs `build()` (a few components made from small args, no configuration) under the same mocks and
    returns what it registered: a component's own tests, without a whole stack."""
    return _in_thread(
        lambda: _run_in_fresh_runtime(stack, "inference-platform", project_id, {}, [], build), timeout, "components"
    )


def _run_in_fresh_runtime(
    stack: str,
    project_name: str,
    project_id: str,
    config: dict[str, str],
    secret_keys: list[str],
    body: Callable[[], Any],
    on_register: Callable[[Registration], None] = lambda reg: None,
) -> Plan:
    import pulumi
    from pulumi.runtime import mocks as pulumi_mocks
    from pulumi.runtime import settings
    from pulumi.runtime.stack import run_pulumi_func

    loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)
    log: list[Registration] = []
    mocks = PlatformMocks(project_id)
    monitor = _recording_monitor(mocks, log, on_register)
    # The SDK keeps pending outputs in a context property whose fallback is shared by the whole
    # process; a failed run would leave its tasks there for the next one. Give each run its own.
    settings.SETTINGS.outputs = set()
    settings.SETTINGS.lock = threading.Lock()
    pulumi_mocks.set_mocks(mocks, project=project_name, stack=stack, preview=False, monitor=monitor)
    pulumi.runtime.set_all_config(config, secret_keys)

    outputs: dict[str, Any] = {}

    async def program() -> None:
        body()
        stack_resource = settings.get_root_resource()
        for name, value in stack_resource.outputs.items():
            output = pulumi.Output.from_input(value)
            resolved = await output.future()
            outputs[name] = Secret(resolved) if await output.is_secret() else resolved

    try:
        loop.run_until_complete(run_pulumi_func(program))
    except BaseException as e:
        e.registrations = log  # what was registered before the failure: tests assert it is nothing
        # The run's futures that hold the same error, unread, would report it again whenever they are collected
        # (with the collector off during runs, long after, outside the test that caused it): it is raised here.
        loop.set_exception_handler(lambda loop, context: None)
        raise
    finally:
        loop.close()
    return Plan(stack=stack, project=project_name, registrations=log, outputs=_plain_outputs(outputs))


def _plain_outputs(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _plain_outputs(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain_outputs(v) for v in value]
    return value


def to_json(value: Any, reveal: bool = False) -> Any:
    """JSON-ready data; secrets become "[secret]" unless `reveal` (tests only)."""
    if isinstance(value, Secret):
        return to_json(value.value, reveal) if reveal else "[secret]"
    if isinstance(value, dict):
        return {k: to_json(v, reveal) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [to_json(v, reveal) for v in value]
    return value
