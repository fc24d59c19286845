"""The Pulumi CLI's config rules, applied offline exactly as `pulumi preview` / `pulumi up` apply them.

Sources (pulumi/pulumi at 1b5949891b3c, 2026-08-21):
- `sdk/go/common/workspace/project.go` `Project.Validate` (L837-890) and `ValidateConfigValue` (L771-831):
  the rules for `Pulumi.yaml`'s `config:` block and the type check of a value;
- `pkg/workspace/config.go` `mergeConfig` / `ValidateStackConfigAndApplyProjectConfig` (L255-378):
  a declared project-namespace key with neither `default` nor `value` must be set by every stack; defaults
  are copied into the stack as plain text; then every explicitly typed key is checked: `secret: true`
  needs an encrypted (`secure:`) value, and the value must be of the declared type.
The messages are the CLI's own, so a test (and a reviewer) sees what `pulumi up` would print.
"""

from __future__ import annotations

import json
import re
from typing import Any

SCALAR_TYPES = ("string", "integer", "boolean")


class CliConfigError(Exception):
    """What the CLI prints before it runs the program; nothing is registered."""


def namespaced(project: str, key: str) -> str:
    """`parseConfigKey`: a key without a namespace belongs to the project."""
    return key if ":" in key else f"{project}:{key}"


def validate_project(project: dict[str, Any]) -> None:
    """`Project.Validate`: the declarations in `Pulumi.yaml` themselves."""
    name = project["name"]
    for key, decl in (project.get("config") or {}).items():
        if not isinstance(decl, dict):
            continue  # shorthand: a default (project namespace) or a value (another namespace)
        if "default" in decl and "value" in decl:
            raise CliConfigError(f"project config '{key}' cannot have both a 'default' and 'value' attribute")
        ours = ":" not in key or key.startswith(f"{name}:")
        if not ours:
            if "type" in decl:
                raise CliConfigError(
                    f"Configuration key '{key}' is not namespaced by the project and should not define a type"
                )
            if "default" in decl:
                raise CliConfigError(
                    f"Configuration key '{key}' is not namespaced by the project and should not define a default "
                    "value. Did you mean to use the 'value' attribute instead of 'default'?"
                )
            if "value" not in decl:
                raise CliConfigError(f"Configuration key '{key}' is namespaced and must provide an attribute 'value'")
        typ = decl.get("type")
        if typ == "array" and "items" not in decl:
            raise CliConfigError(
                f"The configuration key '{key}' declares an array but does not specify the underlying type "
                "via the 'items' attribute"
            )
        if typ and "default" in decl and not value_of_type(typ, decl.get("items"), decl["default"]):
            raise CliConfigError(
                f"The default value specified for configuration key '{key}' is not of the expected type "
                f"'{full_type_name(typ, decl.get('items'))}'"
            )


def value_of_type(typ: str, items: dict | None, value: Any) -> bool:
    """`ValidateConfigValue`: scalars arrive as text; an integer may be text that parses as one."""
    if typ == "string":
        return isinstance(value, str)
    if typ == "integer":
        if isinstance(value, bool):
            return False
        if isinstance(value, int) or (isinstance(value, float) and value.is_integer()):
            return True
        return isinstance(value, str) and re.fullmatch(r"[+-]?[0-9]+", value) is not None
    if typ == "boolean":
        return isinstance(value, bool) or value in ("true", "false")
    if typ == "object":
        return isinstance(value, dict)
    if not isinstance(value, list) or not items:
        return False
    return all(value_of_type(items.get("type", ""), items.get("items"), item) for item in value)


def full_type_name(typ: str, items: dict | None) -> str:
    """`InferFullTypeName`: array<string>, array<array<integer>>, ..."""
    if typ == "array" and items:
        return f"array<{full_type_name(items.get('type', ''), items.get('items'))}>"
    return typ


def _is_secure(value: Any) -> bool:
    return isinstance(value, dict) and set(value) == {"secure"}


def _as_stack_value(value: Any) -> Any:
    """A stack value as `validateStackConfigValue` sees it: objects decoded, scalars as their text."""
    if isinstance(value, (dict, list)):
        return json.loads(json.dumps(value))
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def merge(stack: str, project: dict[str, Any], stack_values: dict[str, Any]) -> dict[str, Any]:
    """`ValidateStackConfigAndApplyProjectConfig`: the stack's namespaced values with the project's
    defaults and values applied, or the CLI's error. `stack_values` holds `secure:` mappings as they
    are in the stack file."""
    validate_project(project)
    name = project["name"]
    merged = {namespaced(name, k): v for k, v in stack_values.items()}
    declared = project.get("config") or {}
    missing = []
    for key in sorted(declared):
        decl = declared[key] if isinstance(declared[key], dict) else _shorthand(name, key, declared[key])
        full = namespaced(name, key)
        if full in merged:
            continue
        if "value" in decl or "default" in decl:
            merged[full] = decl.get("default", decl.get("value"))
        elif full.startswith(f"{name}:"):
            missing.append(key)
    if missing:
        noun = "value" if len(missing) == 1 else "values"
        raise CliConfigError(f"Stack '{stack}' is missing configuration {noun} {_format_missing(missing)}")
    for key in sorted(declared):
        decl = declared[key]
        if not isinstance(decl, dict) or "type" not in decl:
            continue  # only explicitly typed declarations are checked
        value = merged[namespaced(name, key)]
        if decl.get("secret") and not _is_secure(value):
            raise CliConfigError(f"Stack '{stack}' with configuration key '{key}' must be encrypted as it's secret")
        if _is_secure(value):
            continue  # the CLI decrypts it first; offline the ciphertext cannot be read
        if not value_of_type(decl["type"], decl.get("items"), _as_stack_value(value)):
            raise CliConfigError(
                f"Stack '{stack}' with configuration key '{key}' must be of type "
                f"'{full_type_name(decl['type'], decl.get('items'))}'"
            )
    return merged


def _shorthand(project: str, key: str, value: Any) -> dict[str, Any]:
    """`RewriteShorthandConfigValues`: a bare value is a default in the project namespace, else a value."""
    return {"default": value} if namespaced(project, key).startswith(f"{project}:") else {"value": value}


def _format_missing(keys: list[str]) -> str:
    """`formatMissingKeys`: 'a', or 'a', 'b' and 'c'."""
    if len(keys) == 1:
        return f"'{keys[0]}'"
    return ", ".join(f"'{k}'" for k in keys[:-1]) + f" and '{keys[-1]}'"
