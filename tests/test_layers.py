"""The package's layers import downward only (read from the source with ``ast``).

Units are the subpackages (``rat_lava.deploy``, ``rat_lava.lava``, ...) and the top-level
modules (``rat_lava.cli``, ``rat_lava.metrics``, ...); the root ``rat_lava/__init__.py`` (which
imports ``LavaDecoder`` lazily) and ``__main__`` sit above everything and are left out.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

import rat_lava

PACKAGE_DIR = Path(rat_lava.__file__).parent

FORBIDDEN = [
    ("reference", "lava", "the reference must check Lava independently"),
    ("lava", "reference", "the Lava models must not share code with the reference checking them"),
    ("reference", "kernel", "the reference is the compiled kernel's oracle"),
    ("kernel", "reference", "the compiled kernel is checked against the reference"),
    ("kernel", "lava", "the kernel is plain numba below Lava"),
    ("export", "lava", "the export file format must not depend on the Lava runtime"),
    ("deploy", "lava", "the deployed network is a numpy description below Lava"),
    ("lava", "train", "running an export must not need the training code"),
    ("probes", "lava", "probes count what Lava recorded; the decoder calls them"),
    ("data", "model", "data is the bottom layer"),
    ("model", "train", "the model does not know how it is trained"),
]
"""(importer, imported, why): unit pairs that must never be linked by an import."""

DEPLOY_THIRD_PARTY = {"numpy", "scipy", "h5py"}
"""The only outside packages the deployed-network description may import."""

OUTSIDE_BENCH = {"bench"}
"""Benchmark helpers: nothing else in the package imports them."""


def _module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE_DIR.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _imports(path: Path) -> set[str]:
    """Every module ``path`` imports, relative imports resolved, ``from X import y`` as ``X.y``
    when ``X.y`` is a module of the package."""
    module = _module_name(path)
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - (node.level - 1)]
                base = ".".join([*anchor, base] if base else anchor)
            found.add(base)
            for alias in node.names:
                candidate = f"{base}.{alias.name}"
                if _is_module(candidate):
                    found.add(candidate)
    return found


def _is_module(name: str) -> bool:
    if not name.startswith("rat_lava."):
        return False
    rel = Path(*name.split(".")[1:])
    return (PACKAGE_DIR / rel).with_suffix(".py").is_file() or (PACKAGE_DIR / rel).is_dir()


def _unit(module: str) -> str | None:
    """``deploy`` for ``rat_lava.deploy.graph``, ``cli`` for ``rat_lava.cli``; None for the root."""
    parts = module.split(".")
    if parts[0] != "rat_lava" or len(parts) == 1 or parts[1] == "__main__":
        return None
    return parts[1]


def _graph() -> tuple[dict[str, set[str]], dict[str, set[str]]]:
    """(unit -> units it imports, unit -> outside top-level packages it imports)."""
    units: dict[str, set[str]] = {}
    outside: dict[str, set[str]] = {}
    for path in sorted(PACKAGE_DIR.rglob("*.py")):
        unit = _unit(_module_name(path))
        if unit is None:
            continue
        units.setdefault(unit, set())
        outside.setdefault(unit, set())
        for name in _imports(path):
            target = _unit(name)
            if name.split(".")[0] != "rat_lava":
                outside[unit].add(name.split(".")[0])
            elif target is not None and target != unit:
                units[unit].add(target)
    return units, outside


UNITS, OUTSIDE = _graph()


def test_the_walk_sees_the_layers() -> None:
    """The walk finds the layers and edges known to exist (guards against a walk that sees
    nothing and so passes every rule)."""
    assert {"data", "model", "train", "deploy", "export", "reference", "lava", "probes"} <= set(
        UNITS
    )
    assert {"runs", "bench", "cli"} <= set(UNITS)
    assert "deploy" in UNITS["reference"] and "lava" in UNITS["runs"]
    assert "torch" in OUTSIDE["model"] and "lava" in OUTSIDE["lava"]


def _cycle(units: dict[str, set[str]]) -> list[str] | None:
    """One import cycle of ``units`` (a path that ends where it starts), or None."""
    state: dict[str, str] = {}

    def visit(unit: str, path: list[str]) -> list[str] | None:
        state[unit] = "open"
        for target in sorted(units.get(unit, ())):
            if state.get(target) == "open":
                return [*path[path.index(target) :], target]
            if target not in state and (found := visit(target, [*path, target])):
                return found
        state[unit] = "done"
        return None

    for unit in sorted(units):
        if unit not in state and (found := visit(unit, [unit])):
            return found
    return None


def test_no_import_cycle_between_units() -> None:
    cycle = _cycle(UNITS)
    assert cycle is None, "import cycle: " + " -> ".join(cycle or [])


@pytest.mark.parametrize(("importer", "imported", "why"), FORBIDDEN)
def test_forbidden_imports(importer: str, imported: str, why: str) -> None:
    assert imported not in UNITS[importer], (
        f"rat_lava.{importer} imports rat_lava.{imported}: {why}"
    )


def test_runtime_never_imports_benchmark_helpers() -> None:
    users = sorted(unit for unit, targets in UNITS.items() if targets & OUTSIDE_BENCH)
    assert users == [], f"benchmark helpers (rat_lava.bench) imported by {users}"


def test_deploy_is_numpy_only() -> None:
    """The deployed network imports no torch, no Lava, and of rat_lava only the base modules
    (errors, constants, metrics)."""
    assert UNITS["deploy"] <= {"errors", "constants", "metrics"}, sorted(UNITS["deploy"])
    stdlib_or_allowed = OUTSIDE["deploy"] - DEPLOY_THIRD_PARTY
    assert not stdlib_or_allowed & {"torch", "lava", "rat_lava"}, sorted(stdlib_or_allowed)


def test_the_cycle_check_finds_a_planted_cycle() -> None:
    """deploy -> lava closes a loop through lava -> deploy: the check must see it."""
    planted = {unit: set(targets) for unit, targets in UNITS.items()}
    planted["deploy"].add("lava")
    cycle = _cycle(planted)
    assert cycle is not None and cycle[0] == cycle[-1] and {"deploy", "lava"} <= set(cycle)
