"""gansrc has no import circle: statically (the graph of its imports, read with ast) and in practice
(every module imports first, and then all the others in several orders, in a fresh interpreter)."""
from __future__ import annotations

import ast
import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "gansrc"


def module_names() -> dict[str, Path]:
    """Every importable module of gansrc (``__main__`` files run when imported, so they are left out)."""
    names = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        parts = list(path.relative_to(ROOT).with_suffix("").parts)
        if parts[-1] == "__main__":
            continue
        if parts[-1] == "__init__":
            parts = parts[:-1]
        names[".".join(parts)] = path
    return names


def imported(module: str, path: Path, modules: dict[str, Path]) -> set[str]:
    """The gansrc modules that ``module`` imports, anywhere in its body (inside functions too).

    Importing ``a.b.c`` runs ``a/__init__`` and ``a/b/__init__`` first, so a module depends on the
    packages above each module it imports, except on its own parents (which run before it anyway).
    """
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    targets: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            targets.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - (node.level - 1)]
                name = ".".join(base + ([node.module] if node.module else []))
            else:
                name = node.module or ""
            targets.add(name)
            targets.update(f"{name}.{alias.name}" for alias in node.names)
    found = set()
    for target in targets:
        parts = target.split(".")
        for i in range(1, len(parts) + 1):
            name = ".".join(parts[:i])
            if name in modules and name != module and not module.startswith(name + "."):
                found.add(name)
    return found


def find_cycle(graph: dict[str, set[str]]) -> list[str]:
    """One import circle of ``graph`` as [a, b, ..., a], or [] when there is none."""
    state: dict[str, int] = {}  # 1: on the current path, 2: finished
    path: list[str] = []

    def visit(node: str) -> list[str]:
        state[node] = 1
        path.append(node)
        for nxt in sorted(graph[node]):
            if state.get(nxt) == 1:
                return path[path.index(nxt):] + [nxt]
            if nxt not in state and (cycle := visit(nxt)):
                return cycle
        path.pop()
        state[node] = 2
        return []

    for start in sorted(graph):
        if start not in state and (cycle := visit(start)):
            return cycle
    return []


def import_graph() -> dict[str, set[str]]:
    modules = module_names()
    return {name: imported(name, path, modules) for name, path in modules.items()}


def test_the_import_graph_has_no_cycle():
    graph = import_graph()
    assert len(graph) > 40 and "gansrc.data.batches" in graph["gansrc.metrics"]  # the graph reads the code
    cycle = find_cycle(graph)
    assert not cycle, "import circle: " + " -> ".join(cycle)


def test_the_cycle_check_finds_a_circle():
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}
    assert find_cycle(graph) == ["a", "b", "c", "a"]
    assert find_cycle({"a": {"b"}, "b": set()}) == []


def test_the_graph_counts_imports_inside_functions_and_the_packages_they_run(tmp_path):
    pkg = tmp_path / "gansrc"
    (pkg / "train").mkdir(parents=True)
    (pkg / "__init__.py").write_text("")
    (pkg / "train" / "__init__.py").write_text("from .loop import run\n")
    (pkg / "train" / "loop.py").write_text("def run():\n    from ..metrics import score\n")
    (pkg / "metrics.py").write_text("from .train.loop import run\n")
    modules = {"gansrc": pkg / "__init__.py", "gansrc.train": pkg / "train" / "__init__.py",
               "gansrc.train.loop": pkg / "train" / "loop.py", "gansrc.metrics": pkg / "metrics.py"}
    graph = {name: imported(name, path, modules) for name, path in modules.items()}
    assert graph["gansrc.train.loop"] == {"gansrc.metrics"}
    assert graph["gansrc.metrics"] == {"gansrc.train", "gansrc.train.loop"}
    assert find_cycle(graph) == ["gansrc.metrics", "gansrc.train", "gansrc.train.loop", "gansrc.metrics"]


IMPORT_IN_ORDERS = r"""
import importlib, json, random, sys
names = json.loads(sys.argv[1])
def fresh():
    for name in [m for m in sys.modules if m == "gansrc" or m.startswith("gansrc.")]:
        del sys.modules[name]
orders = [[first] for first in names]  # each module first, alone (it imports what it needs)
orders += [names[::-1], random.Random(0).sample(names, len(names))]
for order in orders:
    fresh()
    for name in order:
        importlib.import_module(name)
print("imported", len(orders), "orders")
"""


def test_every_module_imports_first_and_in_any_order():
    names = sorted(module_names())
    result = subprocess.run([sys.executable, "-c", IMPORT_IN_ORDERS, json.dumps(names)], cwd=ROOT,
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr[-3000:]
    assert f"imported {len(names) + 2} orders" in result.stdout
