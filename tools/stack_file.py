"""Stack files read as the Pulumi CLI reads them, and the config it hands the program.

`stack_config` applies the CLI's own checks (tools/cli_config.py); the engine (tools/engine.py) passes
the result to the program, and the plan and the workflows read stack files through it.
"""

from __future__ import annotations

import copy
import functools
import json
import re
from pathlib import Path
from typing import Any

import yaml

from tools import cli_config

ROOT = Path(__file__).resolve().parent.parent
STAND_IN = "offline-stand-in-for-{key}"  # for `secure:` values, which need the stack's key


def stack_names(root: Path | None = None) -> list[str]:
    """Every stack the repository has a `Pulumi.<stack>.yaml` for, sorted."""
    return sorted(p.name[len("Pulumi.") : -len(".yaml")] for p in (root or ROOT).glob("Pulumi.*.yaml"))


def project_file(root: Path | None = None) -> dict[str, Any]:
    return copy.deepcopy(_parsed_project(((root or ROOT) / "Pulumi.yaml").read_text()))


@functools.lru_cache(maxsize=8)
def _parsed_project(text: str) -> dict[str, Any]:
    """Pulumi.yaml parsed once per content: every plan and stack-file read needs it."""
    return yaml.safe_load(text)


# The keys of a stack file (pulumi/pulumi sdk/go/common/workspace/project.go `ProjectStack`).
STACK_FILE_KEYS = ("config", "secretsprovider", "encryptedkey", "encryptionsalt", "environment")
STACK_FILE_NESTING = 64  # levels of lists and mappings; the program's deepest key is 4
_BOOL = "tag:yaml.org,2002:bool"


class _CliRules:
    """A key written twice is an error, as for the CLI (gopkg.in/yaml.v3)."""

    def construct_mapping(self, node, deep=False):
        lines: dict = {}
        for key_node, _ in node.value:
            if key_node.tag == "tag:yaml.org,2002:merge":
                continue
            key = self.construct_object(key_node, deep=True)
            try:
                seen = lines.get(key)
            except TypeError:
                raise yaml.constructor.ConstructorError(
                    None, None, "a mapping key is a list or a mapping", key_node.start_mark
                ) from None
            if seen:
                raise yaml.constructor.ConstructorError(
                    None, None, f"mapping key {key!r} already defined at line {seen}", key_node.start_mark
                )
            lines[key] = key_node.start_mark.line + 1
        return super().construct_mapping(node, deep)


class _StackFileLoader(_CliRules, yaml.SafeLoader):
    """YAML as the Pulumi CLI reads a stack file (gopkg.in/yaml.v3): YAML 1.2 booleans (yes, no, on and off
    stay text), no timestamps (a date stays text), and a key written twice is an error. Nesting is capped
    well below Python's recursion limit, so no document can make the reader itself fail."""

    depth = 0

    def compose_node(self, parent, index):
        self.depth += 1
        try:
            if self.depth > STACK_FILE_NESTING:
                raise yaml.composer.ComposerError(
                    None, None, f"nests deeper than {STACK_FILE_NESTING} levels", self.peek_event().start_mark
                )
            return super().compose_node(parent, index)
        finally:
            self.depth -= 1


_StackFileLoader.yaml_implicit_resolvers = {
    first: [(tag, rx) for tag, rx in resolvers if tag not in (_BOOL, "tag:yaml.org,2002:timestamp")]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
_StackFileLoader.add_implicit_resolver(_BOOL, re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"), list("tTfF"))


class _FastStackFileLoader(_CliRules, yaml.CSafeLoader):
    """The same rules on libyaml's parser, for documents that read cleanly: `_parsed_stack_file` tries it first
    and leaves every document it refuses, or that nests too deeply for it, to `_StackFileLoader`, whose error is the
    one reported (libyaml's composer recurses in C, with no cap: the nesting is counted first, from its events)."""

    yaml_implicit_resolvers = _StackFileLoader.yaml_implicit_resolvers


def _shallow(text: str) -> bool:
    depth = 0
    for event in yaml.parse(text, Loader=yaml.CSafeLoader):
        if isinstance(event, yaml.CollectionStartEvent):
            depth += 1
            if depth > STACK_FILE_NESTING:
                return False
        elif isinstance(event, yaml.CollectionEndEvent):
            depth -= 1
    return True


def _read_with(loader_class: type, text: str, label: str, project: str) -> dict[str, Any]:
    loader = loader_class(text)
    try:
        document = loader.get_single_node()
        config = _config_node(loader, document, label) if document is not None else None
        return _values(loader, config, label, project) if config is not None else {}
    finally:
        loader.dispose()


def _text(path: Path, root: Path) -> str:
    label = path.name
    if not path.is_file():
        stacks = stack_names(root)
        raise cli_config.CliConfigError(
            f"no stack file {label} in {root}; the stacks here are: {', '.join(stacks) or 'none'}"
        )
    try:
        return path.read_bytes().decode("utf-8")
    except UnicodeDecodeError as e:
        raise cli_config.CliConfigError(f"{label}: is not UTF-8 text (byte {e.start})") from None
    except OSError as e:
        raise cli_config.CliConfigError(f"{label}: cannot be read ({e.strerror})") from None


def _config_node(loader: _StackFileLoader, document: yaml.Node, label: str) -> yaml.Node | None:
    """The document's `config:` mapping; top-level keys the CLI would not read are errors."""
    if not isinstance(document, yaml.MappingNode):
        kind = "a list" if isinstance(document, yaml.SequenceNode) else f"the text {document.value[:40]!r}"
        raise cli_config.CliConfigError(f"{label}: the top level must be a mapping with a config: section, not {kind}")
    loader.construct_mapping(document, deep=True)  # duplicate keys at the top level
    config = None
    for key_node, value_node in document.value:
        key = key_node.value if isinstance(key_node, yaml.ScalarNode) else "?"
        if key == "config":
            config = value_node
        elif ":" in key:
            raise cli_config.CliConfigError(
                f"{label}: line {key_node.start_mark.line + 1}: '{key[:80]}' sits at the top level, outside "
                "config:, so nothing reads it; indent it under config:"
            )
        elif key not in STACK_FILE_KEYS:
            raise cli_config.CliConfigError(
                f"{label}: line {key_node.start_mark.line + 1}: '{key[:80]}' is not a stack file key "
                f"({', '.join(STACK_FILE_KEYS)}): Pulumi ignores it, so it would do nothing"
            )
    if config is None or (isinstance(config, yaml.ScalarNode) and config.tag == "tag:yaml.org,2002:null"):
        return None
    if not isinstance(config, yaml.MappingNode):
        kind = "a list" if isinstance(config, yaml.SequenceNode) else "text"
        raise cli_config.CliConfigError(f"{label}: config: must be a mapping of namespace:key: value, not {kind}")
    return config


def _key(key_node: yaml.Node, label: str, project: str) -> str:
    """A config key as the CLI namespaces it (sdk/go/common/workspace/loaders.go)."""
    line = key_node.start_mark.line + 1
    if not isinstance(key_node, yaml.ScalarNode):
        raise cli_config.CliConfigError(f"{label}: line {line}: a config key must be text")
    key = key_node.value
    if ":" not in key:  # `stackConfigNamespacedWithProject`
        key = f"{project}:{key}"
    parts = key.split(":")
    if len(parts) == 3 and parts[1] == "config":  # the old `<namespace>:config:<name>` form
        return f"{parts[0]}:{parts[2]}"
    if len(parts) != 2:
        raise cli_config.CliConfigError(
            f"{label}: line {line}: could not parse {key[:80]} as a configuration key "
            "(configuration keys should be of the form `<namespace>:<name>`)"
        )
    return key


def _values(loader: _StackFileLoader, config: yaml.Node, label: str, project: str) -> dict[str, Any]:
    loader.construct_mapping(config, deep=True)  # duplicate config keys
    values: dict[str, Any] = {}
    for key_node, value_node in config.value:
        key = _key(key_node, label, project)
        if isinstance(value_node, yaml.ScalarNode):
            null = value_node.tag == "tag:yaml.org,2002:null"
            values[key] = "" if null else value_node.value
            continue
        value = loader.construct_object(value_node, deep=True)
        try:
            json.dumps(value)
        except (TypeError, ValueError):
            raise cli_config.CliConfigError(
                f"{label}: line {key_node.start_mark.line + 1}: the value of {key[:80]} is not plain data (numbers, "
                "text, true/false, lists and mappings)"
            ) from None
        values[key] = value
    return values


def _read_stack_file(root: Path, stack: str) -> dict[str, Any]:
    """`Pulumi.<stack>.yaml`'s `config:` as the CLI reads it: `namespace:key` -> value, where a scalar is
    the text written in the file (a YAML null is "", pulumi/pulumi sdk/go/common/resource/config/value.go)
    and an object or a list is plain data. A file the CLI could not read, or one whose keys would do
    nothing, is one clear error naming the file (never a traceback)."""
    path = root / f"Pulumi.{stack}.yaml"
    return copy.deepcopy(_parsed_stack_file(_text(path, root), path.name, project_file(root)["name"]))


@functools.lru_cache(maxsize=32)
def _parsed_stack_file(text: str, label: str, project: str) -> dict[str, Any]:
    """A stack file's config parsed once per content: every plan and test of a stack reads the same text again and
    again. libyaml reads it when it can (PyYAML's Python reader took most of a refused run's time)."""
    try:
        if _shallow(text):
            return _read_with(_FastStackFileLoader, text, label, project)
    except (yaml.YAMLError, cli_config.CliConfigError, RecursionError):
        pass  # what it refuses, the Python reader refuses in the CLI's words
    try:
        return _read_with(_StackFileLoader, text, label, project)
    except yaml.MarkedYAMLError as e:
        mark = e.problem_mark or e.context_mark
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        raise cli_config.CliConfigError(f"{label}: is not valid YAML: {e.problem or e.context}{where}") from None
    except yaml.reader.ReaderError as e:
        raise cli_config.CliConfigError(
            f"{label}: is not valid YAML: it holds the control character #x{e.character:02x} at offset {e.position}"
        ) from None
    except yaml.YAMLError as e:
        raise cli_config.CliConfigError(f"{label}: is not valid YAML: {str(e).splitlines()[0]}") from None
    except RecursionError:
        raise cli_config.CliConfigError(f"{label}: nests too deeply to read") from None


def stack_config(
    stack: str,
    root: Path | None = None,
    overrides: dict[str, Any] | None = None,
    secrets: dict[str, str] | None = None,
) -> tuple[dict[str, str], list[str], list[str]]:
    """The config the Pulumi CLI would hand the program, after the CLI's own checks (tools/cli_config.py).

    `overrides` maps `key` (project namespace) or `ns:key` to a value, or to None to remove the key.
    `secrets` maps keys to values set as `pulumi config set --secret` sets them: an operator's secret
    that is not in the repository. `secure:` ciphertext in a stack file cannot be decrypted offline: it
    gets a stand-in value that stays secret. Returns (config, secret keys, keys given a stand-in).
    """
    root = root or ROOT
    project = project_file(root)
    name = project["name"]
    values = _read_stack_file(root, stack)
    for key, value in (overrides or {}).items():
        if value is None:
            values.pop(cli_config.namespaced(name, key), None)
        else:
            values[cli_config.namespaced(name, key)] = value
    operator_secrets = {cli_config.namespaced(name, k): v for k, v in (secrets or {}).items()}
    values |= {k: {"secure": "v1:set-outside-the-repository"} for k in operator_secrets}
    merged = cli_config.merge(stack, project, values)
    secret_keys = sorted(k for k, v in merged.items() if isinstance(v, dict) and set(v) == {"secure"})
    stand_ins = sorted(set(secret_keys) - set(operator_secrets))
    for key in secret_keys:
        merged[key] = operator_secrets.get(key) or STAND_IN.format(key=key.split(":")[-1])
    return {k: config_text(v) for k, v in merged.items()}, secret_keys, stand_ins


def config_text(value: Any) -> str:
    """Pulumi passes config to programs as text: JSON for objects and lists."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (dict, list)):
        return json.dumps(value)
    return str(value)
