"""Lazy SDK packages for the offline engine: `install()` makes every generated package of pulumi-gcp and
pulumi-kubernetes (`pulumi_gcp.compute`, `pulumi_kubernetes.core.v1`, ...) load a resource module the first
time the program touches one of its names, instead of all of them when the package is first used.

A generated package's `__init__.py` star-imports every module it has (`from .network import *`, 285 of them in
`pulumi_gcp.compute`), and the program uses a few of each: importing the rest was most of a plan's time. The
rewritten package keeps the rest of its `__init__.py` as it is and answers a name from the module whose
`__all__` lists it, later modules winning as the star imports' order makes them win. A module without an
`__all__` (which would export every public name) leaves its package as upstream wrote it. Only the offline
engine installs this (tools/engine.py); `pulumi up` runs the SDK as it is. docs/offline-plan.md.
"""

from __future__ import annotations

import importlib
import importlib.abc
import importlib.machinery
import re
import sys
from pathlib import Path
from types import ModuleType

PACKAGES = ("pulumi_gcp.", "pulumi_kubernetes.")
_STAR = re.compile(r"(?m)^from \.(\w+) import \*\n")
_OUTPUTS = re.compile(r"(?m)^from \. import outputs\n")
_ALL = re.compile(r"(?ms)^__all__ = \[(.*?)\]")
_NAME = re.compile(r"'(\w+)'")


def exported_names(module_file: Path) -> list[str] | None:
    """The names a generated module's `__all__` lists, read from its text; None without an `__all__`."""
    text = ""
    with module_file.open() as file:
        while chunk := file.read(1 << 16):  # `__all__` is at the top: read no further than its end
            text += chunk
            found = _ALL.search(text)
            if found:
                return _NAME.findall(found.group(1))
    return None


def lazy_names(package_dir: Path, source: str) -> tuple[dict[str, str], set[str]] | None:
    """Name -> module of what a package's `__init__.py` (`source`) star-imports, and its modules; None when one
    of them has no `__all__`, or the package star-imports nothing."""
    modules = _STAR.findall(source)
    if not modules:
        return None
    names: dict[str, str] = {}
    for module in modules:
        exported = exported_names(package_dir / f"{module}.py")
        if exported is None:
            return None
        names.update(dict.fromkeys(exported, module))  # a later star import wins, as in Python
    return names, {*modules, *(["outputs"] if _OUTPUTS.search(source) else [])}


class LazyPackage(ModuleType):
    """A generated SDK package that imports a module on the first use of a name it exports (or of the module)."""

    _names: dict[str, str]  # exported name -> module
    _modules: set[str]

    def __getattr__(self, name: str):
        names, modules = self.__dict__.get("_names", {}), self.__dict__.get("_modules", set())
        module = names.get(name, name if name in modules else None)
        if module is None:
            raise AttributeError(f"module {self.__name__!r} has no attribute {name!r}")
        importlib.import_module(f"{self.__name__}.{module}")  # binds the name: __setattr__ below
        return self.__dict__[name] if name in self.__dict__ else getattr(sys.modules[f"{self.__name__}.{module}"], name)

    def __setattr__(self, name: str, value) -> None:
        # Importing a module binds it on its package; where a module is named after the class it exports
        # (`pulumi_kubernetes.core.v1.Namespace`), the package's name is the class, as after the star import.
        named = self.__dict__.get("_names", {}).get(name) == name
        if named and isinstance(value, ModuleType) and value.__name__ == f"{self.__name__}.{name}":
            value = getattr(value, name)
        super().__setattr__(name, value)

    def __dir__(self):
        return sorted({*self.__dict__, *self._names, *self._modules})


class _LazyPackageLoader(importlib.abc.Loader):
    def __init__(self, origin: str, source: str, names: dict[str, str], modules: set[str]):
        self.origin, self.source, self.names, self.modules = origin, source, names, modules

    def create_module(self, spec):
        return None

    def exec_module(self, module: ModuleType) -> None:
        module.__class__ = LazyPackage
        module.__dict__.update(_names=self.names, _modules=self.modules)
        rest = _OUTPUTS.sub("", _STAR.sub("", self.source))
        exec(compile(rest, self.origin, "exec"), module.__dict__)  # noqa: S102 - the package's own code


class _LazyPackageFinder(importlib.abc.MetaPathFinder):
    def find_spec(self, fullname, path, target=None):
        if not fullname.startswith(PACKAGES):
            return None
        spec = importlib.machinery.PathFinder.find_spec(fullname, path)
        if spec is None or not spec.submodule_search_locations or not str(spec.origin).endswith("__init__.py"):
            return spec
        origin = Path(spec.origin)
        source = origin.read_text()
        lazy = lazy_names(origin.parent, source)
        if lazy is not None:
            spec.loader = _LazyPackageLoader(str(origin), source, *lazy)
        return spec


_FINDER = _LazyPackageFinder()


def install() -> None:
    """From now on, SDK packages not imported yet load lazily, and registrations carry no stack trace; idempotent."""
    if _FINDER not in sys.meta_path:
        sys.meta_path.insert(0, _FINDER)
    from pulumi.runtime import resource
    from pulumi.runtime.proto import source_pb2

    # The SDK walks the Python stack at every registration to tell the engine where in the program it was made,
    # for the CLI's diagnostics; the offline engine records none of it, and the walk was a tenth of a run.
    resource._get_stack_trace = source_pb2.StackTrace
