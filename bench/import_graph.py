"""Print the import graph between the top-level packages and the module sizes.

    .venv/bin/python bench/import_graph.py [--modules]

Reads the source with `ast` (nothing is imported). An arrow `a -> b: n` means n modules of
package a import something from package b; `--modules` lists the importing modules.
Packages: core, catalog (without search), catalog.search, procurement, platform_app, and the
entry points wsgi/worker. Also prints cycles between packages and the largest modules.
"""
from __future__ import annotations

import ast
import sys
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("platform_app", "procurement", "catalog.search", "catalog", "core")
ENTRY_POINTS = ("wsgi", "worker")


def package_of(module: str) -> str | None:
    """The top-level package (catalog.search counted apart) a dotted module name belongs to."""
    for name in (*PACKAGES, *ENTRY_POINTS):
        if module == name or module.startswith(name + "."):
            return name
    return None


def module_name(path: Path, root: Path = ROOT) -> str:
    rel = path.relative_to(root).with_suffix("")
    parts = rel.parts[:-1] if rel.name == "__init__" else rel.parts
    return ".".join(parts)


def imports_of(path: Path, root: Path = ROOT) -> set[str]:
    """Every absolute module a file imports (function-level imports included)."""
    tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
    here = module_name(path, root)
    is_package = path.name == "__init__.py"
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = here.split(".")
                base = base if is_package else base[:-1]
                base = base[: len(base) - (node.level - 1)]
                mod = ".".join(base + ([node.module] if node.module else []))
            else:
                mod = node.module or ""
            found.add(mod)
            found.update(f"{mod}.{alias.name}" for alias in node.names)
    return found


def source_files():
    for name in ("core", "catalog", "procurement", "platform_app"):
        folder = ROOT / name
        if folder.is_dir():
            yield from sorted(folder.rglob("*.py"))
    for name in ENTRY_POINTS:
        if (ROOT / f"{name}.py").exists():
            yield ROOT / f"{name}.py"


def graph(extra: tuple[tuple[Path, Path], ...] = ()):
    """{(from_package, to_package): [importing modules]}. `extra`: (file, root) pairs read as
    if they were part of the tree (the tests' probes)."""
    edges = defaultdict(set)
    for path, root in (*((p, ROOT) for p in source_files()), *extra):
        src = package_of(module_name(path, root))
        for target in imports_of(path, root):
            dst = package_of(target)
            if dst and src and dst != src:
                edges[(src, dst)].add(module_name(path, root))
    return edges


def cycles(edges) -> list[tuple[str, str]]:
    return sorted({tuple(sorted(pair)) for pair in edges if (pair[1], pair[0]) in edges})


def main(argv) -> int:
    edges = graph()
    print("import graph between packages (arrow: importer -> imported, count of importing modules)")
    for (src, dst), mods in sorted(edges.items()):
        print(f"  {src:15} -> {dst:15} {len(mods):3}")
        if "--modules" in argv:
            for mod in sorted(mods):
                print(f"        {mod}")
    found = cycles(edges)
    print("cycles between packages:", ", ".join(f"{a} <-> {b}" for a, b in found) or "none")
    sizes = sorted(((sum(1 for _ in p.open(encoding="utf-8")), p.relative_to(ROOT)) for p in source_files()), reverse=True)
    total = sum(n for n, _ in sizes)
    print(f"modules: {len(sizes)}, lines: {total}, mean {total / len(sizes):.0f}, over 400 lines: "
          f"{sum(1 for n, _ in sizes if n > 400)}")
    for n, p in sizes[:10]:
        print(f"  {n:5} {p}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
