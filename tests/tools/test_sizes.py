"""Small units: no function of the program, its tools or its policy pack is longer than a screen, and no module
longer than a few hundred lines (ruff.toml adds complexity, branch and statement limits)."""

from __future__ import annotations

import ast
import tomllib

from tools import engine

ROOT = engine.ROOT
FUNCTION_LINES = 60
FILE_LINES = 500
SOURCES = sorted(
    p for folder in ("inference", "tools", "policy", "components") for p in (ROOT / folder).rglob("*.py")
) + [ROOT / "__main__.py"]


def _functions(tree: ast.AST):
    for node in ast.walk(tree):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            yield node


def test_every_function_fits_a_screen():
    long = [
        f"{path.relative_to(ROOT)}: {node.name} ({node.end_lineno - node.lineno + 1} lines)"
        for path in SOURCES
        for node in _functions(ast.parse(path.read_text()))
        if node.end_lineno - node.lineno + 1 > FUNCTION_LINES
    ]
    assert long == []


def test_every_module_is_a_few_hundred_lines():
    long = [f"{p.relative_to(ROOT)}: {n} lines" for p in SOURCES if (n := len(p.read_text().splitlines())) > FILE_LINES]
    assert long == []


def test_the_lint_keeps_functions_simple():
    lint = tomllib.loads((ROOT / "ruff.toml").read_text())["lint"]
    assert {"C901", "PLR0912", "PLR0915"} <= set(lint["select"])
    assert lint["mccabe"]["max-complexity"] <= 12 and lint["pylint"]["max-statements"] <= 60
