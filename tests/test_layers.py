"""The tree shows its layers: no import circle in the product code, and no import from a lower
layer to a higher one. Every import counts, also the ones inside functions.

    storage  <  bot.core  <  bot.domain  <  handlers  <  bot.runtime  <  bot.playground, bot.tools
             <  bot.cli  <  bot (the package and ``python -m bot``)

storage, bot.core and bot.domain never import ``telegram``: the rules stay testable without a
bot, and another channel stays possible.
"""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("bot", "handlers", "storage")
LAYERS = [
    ("storage", 0),
    ("bot.core", 1),
    ("bot.domain", 2),
    ("handlers", 3),
    ("bot.runtime", 4),
    ("bot.playground", 5),
    ("bot.tools", 5),
    ("bot.cli", 6),
    ("bot", 7),
]
NO_TELEGRAM = ("storage", "bot.core", "bot.domain")


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def modules() -> dict[str, Path]:
    found = {}
    for package in PACKAGES:
        for path in (ROOT / package).rglob("*.py"):
            found[_module_name(path)] = path
    return found


def imports_of(name: str, path: Path, known: set[str]) -> set[str]:
    """Modules (of ours, or 'telegram') that this module imports anywhere in its body."""
    tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
    is_package = path.name == "__init__.py"
    out: set[str] = set()
    for node in ast.walk(tree):
        targets: list[str] = []
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = name.split(".") if is_package else name.split(".")[:-1]
                anchor = anchor[: len(anchor) - (node.level - 1)]
                base = ".".join([*anchor, base] if base else anchor)
            named = [f"{base}.{alias.name}" for alias in node.names]
            # `from pkg import module` imports the module; `from pkg import name`, the package
            targets = [t for t in named if t in known] or [base]
        for target in targets:
            if target.split(".")[0] == "telegram":
                out.add("telegram")
                continue
            # the longest known module this names (a name imported from a module is that module)
            while target and target not in known:
                target = target.rpartition(".")[0]
            if target and target != name and not name.startswith(target + "."):
                out.add(target)  # (a module's own parent packages are imported anyway)
    return out


def layer(name: str) -> tuple[str, int]:
    for prefix, rank in LAYERS:
        if name == prefix or name.startswith(prefix + "."):
            return prefix, rank
    raise AssertionError(f"{name} belongs to no layer")


def graph() -> dict[str, set[str]]:
    mods = modules()
    known = set(mods)
    return {name: imports_of(name, path, known) for name, path in mods.items()}


def cycles(edges: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []
    counter = 0

    def visit(v: str) -> None:
        nonlocal counter
        index[v] = low[v] = counter
        counter += 1
        stack.append(v)
        on_stack.add(v)
        for w in edges.get(v, ()):
            if w not in edges:
                continue
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for v in sorted(edges):
        if v not in index:
            visit(v)
    return found


def upward(edges: dict[str, set[str]]) -> list[str]:
    wrong = []
    for name, targets in sorted(edges.items()):
        own, rank = layer(name)
        for target in sorted(targets):
            if target == "telegram":
                if own in NO_TELEGRAM:
                    wrong.append(f"{name} -> telegram")
                continue
            other, other_rank = layer(target)
            # a package's __init__ may not import its own sub-modules' upper layers either
            if other_rank > rank:
                wrong.append(f"{name} ({own}) -> {target} ({other})")
    return wrong


def test_no_import_circle():
    assert cycles(graph()) == []


def test_no_upward_import():
    assert upward(graph()) == []


def test_storage_imports_nothing_above_it():
    for name, targets in graph().items():
        if name.startswith("storage"):
            assert all(t.startswith("storage") for t in targets), (name, targets)


if __name__ == "__main__":  # python tests/test_layers.py: the measurements for a closing note
    g = graph()
    print("modules:", len(g))
    for c in cycles(g):
        print("cycle of", len(c), ":", " ".join(c))
    for line in upward(g):
        print("upward:", line)
