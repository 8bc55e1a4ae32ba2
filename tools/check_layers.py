"""The package's layers, checked: ``python tools/check_layers.py [ROOT]`` exits 1 and names each
forbidden import.

    optio.pricing  ←  optio.sdk  ←  optio.formats  ←  optio.keepers | optio.risk | optio.sim  ←  optio.cli

A module may import its own layer's package and any lower layer; never a higher one, never a
sibling service (keepers, risk and sim do not import each other), and the import graph between
modules has no cycle. Imports inside functions count the same as those at the top: a lazy import
is still a dependency. Written here rather than taken from import-linter because the whole rule is
these forty lines and the suite already runs Python; ``tests/tools/test_check_layers.py`` shows it
failing on a forbidden import.
"""

from __future__ import annotations

import ast
import sys
from pathlib import Path

#: Package → layer (lower numbers are lower layers); a module belongs to its longest prefix here.
LAYERS = {
    "optio.pricing": 0,
    "optio.sdk": 1,
    "optio.formats": 2,
    "optio.keepers": 3,
    "optio.risk": 3,
    "optio.sim": 3,
    "optio.cli": 4,
}


def package_of(module: str) -> str | None:
    """The layered package ``module`` belongs to (None for ``optio`` itself)."""
    parts = module.split(".")
    for n in range(len(parts), 0, -1):
        if ".".join(parts[:n]) in LAYERS:
            return ".".join(parts[:n])
    return None


def module_name(root: Path, path: Path) -> str:
    rel = path.relative_to(root).with_suffix("")
    parts = rel.parts[:-1] if rel.name == "__init__" else rel.parts
    return ".".join(parts)


def imports_of(module: str, tree: ast.AST, is_package: bool, modules: set[str]) -> set[str]:
    """The modules of ``modules`` that ``tree`` imports (relative imports resolved). ``from P
    import m`` names the submodule ``P.m`` where there is one, and the package ``P`` only for the
    names that are not submodules."""
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = module.split(".")[: len(module.split(".")) - node.level + (1 if is_package else 0)]
                base = ".".join([*anchor, base] if base else anchor)
            submodules = {f"{base}.{a.name}" for a in node.names} & modules
            found |= submodules
            if len(submodules) < len(node.names):
                found.add(base)
    return found & modules


def graph(root: Path) -> dict[str, set[str]]:
    """Module → the project modules it imports, for every ``*.py`` under ``root/optio``."""
    files = {module_name(root, p): p for p in (root / "optio").rglob("*.py")}
    modules = set(files)
    return {name: imports_of(name, ast.parse(path.read_text(), str(path)), path.name == "__init__.py", modules) - {name}
            for name, path in files.items()}


def violations(root: Path) -> list[str]:
    """One line per forbidden import and per import cycle."""
    edges = graph(root)
    out = []
    for source, targets in sorted(edges.items()):
        src_pkg = package_of(source)
        for target in sorted(targets):
            dst_pkg = package_of(target)
            if src_pkg is None or dst_pkg is None or src_pkg == dst_pkg:
                continue
            if LAYERS[dst_pkg] > LAYERS[src_pkg] or (LAYERS[dst_pkg] == LAYERS[src_pkg]):
                out.append(f"{source} imports {target}: {src_pkg} may not import {dst_pkg}")
    out += [f"import cycle: {' -> '.join(c)}" for c in cycles(edges)]
    return out


def cycles(edges: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components of more than one module (Tarjan), each as a loop."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in sorted(edges.get(v, ())):
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
                found.append([*sorted(component), sorted(component)[0]])

    for v in sorted(edges):
        if v not in index:
            visit(v)
    return found


def main(argv: list[str]) -> int:
    root = Path(argv[0]) if argv else Path(__file__).resolve().parents[1]
    problems = violations(root)
    for line in problems:
        print(f"error: {line}")
    if not problems:
        print(f"layers: {len(graph(root))} modules, no forbidden import, no cycle")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
