"""The layout by feature (docs/architecture.md): one package per gateway mode and add-on, each with its config
section, facts where it has some, its components and one wiring function; a thin composition; components that
see only their typed args; no import cycles; tests that mirror the packages."""

from __future__ import annotations

import ast
from pathlib import Path

from tools import engine

ROOT = engine.ROOT
PACKAGE = ROOT / "inference"
FEATURES = (
    "core",
    "serving",
    "multi_cluster",
    "single_cluster",
    "istio",
    "existing_cluster",
    "guards",
    "observability",
    "autoscaling",
    "migration",
    "models",
    "capacity",
)


def module_name(path: Path) -> str:
    return ".".join(path.relative_to(ROOT).with_suffix("").parts).removesuffix(".__init__")


def _runtime_nodes(tree: ast.AST):
    """Every node but those under `if TYPE_CHECKING:`, which only the type checker imports."""
    for node in ast.iter_child_nodes(tree):
        if isinstance(node, ast.If) and isinstance(node.test, ast.Name) and node.test.id == "TYPE_CHECKING":
            continue
        yield node
        yield from _runtime_nodes(node)


def imports(path: Path) -> set[str]:
    """The inference.* modules `path` imports at run time (`from pkg import name` counts as pkg.name when that
    is a module)."""
    found: set[str] = set()
    for node in _runtime_nodes(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found |= {a.name for a in node.names if a.name.startswith("inference")}
        elif isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("inference"):
            for alias in node.names:
                sub = f"{node.module}.{alias.name}"
                is_module = (ROOT / Path(*sub.split("."))).with_suffix(".py").is_file()
                found.add(sub if is_module else node.module)
    return found


MODULES = {module_name(p): p for p in PACKAGE.rglob("*.py")}


def defines_component(path: Path) -> bool:
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ClassDef):
            for base in node.bases:
                if isinstance(base, ast.Attribute) and base.attr in ("ComponentResource", "Resource"):
                    return True
    return False


def test_each_feature_is_a_package_with_its_wiring_and_its_tests():
    for feature in FEATURES:
        assert (PACKAGE / feature / "wiring.py").is_file(), feature
        assert (ROOT / "tests" / feature).is_dir() or feature == "existing_cluster", feature
        has_config = (PACKAGE / feature / "config.py").is_file() or (PACKAGE / feature / "config").is_dir()
        assert has_config or feature == "serving" and (PACKAGE / feature / "config.py").is_file(), feature


def test_components_never_import_configuration_wiring_or_the_composition():
    for name, path in MODULES.items():
        if not defines_component(path):
            continue
        bad = {
            m
            for m in imports(path)
            if m.startswith(("inference.configuration", "inference.composition"))
            or m.endswith((".config", ".wiring"))
            or ".config." in m
        }
        assert bad == set(), f"{name} imports {sorted(bad)}"


def test_no_import_cycles():
    graph = {name: {m for m in imports(path) if m in MODULES} for name, path in MODULES.items()}
    state: dict[str, int] = {}

    def visit(node: str, trail: list[str]) -> list[str] | None:
        state[node] = 1
        for nxt in sorted(graph[node]):
            if state.get(nxt) == 1:
                return [*trail, node, nxt]
            if nxt not in state and (cycle := visit(nxt, [*trail, node])):
                return cycle
        state[node] = 2
        return None

    for name in sorted(graph):
        if name not in state:
            assert visit(name, []) is None


def test_the_composition_only_picks_the_mode_and_applies_the_add_ons():
    composition = PACKAGE / "composition.py"
    assert len(composition.read_text().splitlines()) <= 150
    wired = {m.split(".")[1] for m in imports(composition) if m.endswith(".wiring")}
    assert wired == set(FEATURES)  # serving: the modes wire it, the composition names its result
    assert not any(m.startswith("inference.core.") and not m.endswith("wiring") for m in imports(composition))


def test_the_entry_point_is_three_lines():
    code = [line for line in (ROOT / "__main__.py").read_text().splitlines() if line and not line.startswith('"""')]
    assert len([line for line in code if not line.startswith(("from ", "import "))]) == 1


def test_tests_mirror_the_packages():
    folders = {p.name for p in (ROOT / "tests").iterdir() if p.is_dir() and (p / "__init__.py").is_file()}
    assert set(FEATURES) - {"existing_cluster"} <= folders  # the existing cluster's tests are Istio's
    assert folders - set(FEATURES) <= {"configuration", "tools", "stacks"}
