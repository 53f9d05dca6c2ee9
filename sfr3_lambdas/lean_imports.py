"""Powertools packages whose `__init__` only re-exports, imported without it (issue 17).

Importing any submodule (`aws_lambda_powertools.event_handler.api_gateway`) runs its
package's `__init__` first, and two such `__init__`s import far more than a REST handler
uses: `event_handler`'s imports every resolver Powertools has (AppSync, with asyncio and
asyncio's ssl; AppSync Events, Bedrock agents, Lambda URLs, VPC Lattice, the local HTTP
resolver), and `utilities.data_classes`' every event source's data class (CodePipeline's
with zipfile and tempfile, Kafka's, S3's, ...). The API handler uses the REST resolver and
the API Gateway proxy event only: ~40-60 ms of its cold start went to the rest (3.12
bundle, `-X importtime`; docs/operations.md).

`defer(package)` registers such a package before anything imports it, built from its own
spec, with its `__init__` not run but read: when the `__init__` is nothing but a
docstring, `from ... import ...` statements and an `__all__` list (checked on its syntax
tree, else the package imports as usual), each name it re-exports becomes a PEP 562
lookup that imports the submodule defining it when the name is first read. So every name
the package has is still there, the same object; only the submodules nobody reads are
never imported. Submodules import as usual (the package's `__path__` is set).

A package already imported (a test session, another handler in the same process) is left
as it is. tests/test_lean_imports.py checks, in fresh interpreters, that every name of the
installed Powertools' packages resolves to the same class or function with and without
`defer`, and that the API's import loads no AppSync, asyncio or unused data class.

The other half of their cold start, the garbage collector's part, is `import_gc.py`.
"""

from __future__ import annotations

import ast
import importlib
import importlib.util
import sys
import threading
from pathlib import Path
from types import ModuleType
from typing import Any

# The packages the API's cold start defers (sfr3_lambdas/api/__init__.py).
POWERTOOLS_REEXPORTS = ("aws_lambda_powertools.event_handler",
                        "aws_lambda_powertools.utilities.data_classes")
_lock = threading.RLock()


def reexports(source: str, package: str) -> tuple[dict[str, tuple[str, str]], list[str]] | None:
    """(name -> (module, attribute), __all__) of an `__init__` that only re-exports; None
    for one that does anything else (a star import, a definition, a call, ...)."""
    names: dict[str, tuple[str, str]] = {}
    exported: list[str] = []
    for index, node in enumerate(ast.parse(source).body):
        if index == 0 and isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant):
            continue  # the docstring
        if isinstance(node, ast.ImportFrom) and node.module != "__future__":
            base = node.module or ""
            if node.level:
                anchor = package.rsplit(".", node.level - 1)[0] if node.level > 1 else package
                base = f"{anchor}.{base}" if base else anchor
            for alias in node.names:
                if alias.name == "*":
                    return None
                names[alias.asname or alias.name] = (base, alias.name)
        elif (isinstance(node, ast.Assign) and len(node.targets) == 1
              and isinstance(node.targets[0], ast.Name) and node.targets[0].id == "__all__"):
            try:
                exported = [str(name) for name in ast.literal_eval(node.value)]
            except ValueError:
                return None
        else:
            return None
    return names, exported


def defer(package: str) -> bool:
    """Register `package` with its re-exports resolved on first read; True if it did."""
    with _lock:
        if package in sys.modules:
            return False
        spec = importlib.util.find_spec(package)  # imports its parents, not the package
        if (spec is None or spec.loader is None or spec.origin is None
                or spec.submodule_search_locations is None):
            return False
        try:
            source = Path(spec.origin).read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError):
            return False  # no source to read (a pyc-only bundle): import it as usual
        found = reexports(source, package)
        if found is None:
            return False
        names, exported = found
        module = importlib.util.module_from_spec(spec)
        module.__class__ = _deferred_package(names)
        if exported:
            vars(module)["__all__"] = exported
        sys.modules[package] = module
        parent, _, child = package.rpartition(".")
        if parent:
            setattr(sys.modules[parent], child, module)
        return True


def _deferred_package(names: dict[str, tuple[str, str]]) -> type[ModuleType]:
    """A module class resolving `names` (name -> (module, attribute)) when first read."""

    class DeferredPackage(ModuleType):
        def __getattr__(self, name: str) -> Any:
            """A re-exported name, from the submodule that defines it; else a submodule."""
            if name in names:
                source, attribute = names[name]
                value = getattr(_import(source), attribute)
                setattr(self, name, value)
                return value
            if not name.startswith("__") and importlib.util.find_spec(f"{self.__name__}.{name}"):
                return _import(f"{self.__name__}.{name}")
            raise AttributeError(f"module {self.__name__!r} has no attribute {name!r}")

        def __dir__(self) -> list[str]:
            """The names the `__init__` would have bound, resolved or not."""
            return sorted(set(vars(self)) | set(names))

        def __setattr__(self, name: str, value: Any) -> None:
            """Importing a submodule binds it on its package; where the `__init__` would
            have rebound that name to what it re-exports from it (`data_classes.event_source`
            is a function, from the submodule `event_source`), bind that instead."""
            if (name in names and isinstance(value, ModuleType)
                    and value.__name__ == names[name][0]):
                value = getattr(value, names[name][1])
            super().__setattr__(name, value)

    return DeferredPackage


def _import(name: str) -> ModuleType:
    """`name` imported through `__import__` (not importlib.import_module), so that
    `python -X importtime` lists it with the rest."""
    __import__(name)
    return sys.modules[name]
