"""The shape of the code base, checked by reading the source (nothing is imported).

- `core` is the ground: it imports no domain package, no composition root, no entry point.
- Nothing imports the entry points (`wsgi`, `worker`); only they import the composition root.
- `catalog` does not know `procurement`; `procurement` uses the catalog only through
  `catalog.interface`.
- No import cycle between packages.
- Nothing registers itself by being imported: no module-level registration calls or
  registering decorators (session listeners, gates, blueprint record hooks) in the packages.
- Configuration is read from the environment in `config.py` only.
"""
from __future__ import annotations

import ast
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "bench"))

import import_graph  # noqa: E402  (bench/import_graph.py: the same graph the report prints)

pytestmark = pytest.mark.pure


def _edges():
    return import_graph.graph()


def _imports_by_module():
    out = {}
    for path in import_graph.source_files():
        out[import_graph.module_name(path)] = import_graph.imports_of(path)
    return out


def test_core_imports_no_domain_package_and_no_entry_point():
    bad = {(src, dst): sorted(mods) for (src, dst), mods in _edges().items() if src == "core"}
    assert not bad, f"core imports upward: {bad}"


def test_nothing_imports_the_entry_points():
    bad = {(src, dst): sorted(mods) for (src, dst), mods in _edges().items() if dst in ("wsgi", "worker")}
    assert not bad, f"modules import an entry point: {bad}"


def test_only_entry_points_import_the_composition_root():
    bad = {(src, dst): sorted(mods) for (src, dst), mods in _edges().items()
           if dst == "platform_app" and src not in ("wsgi", "worker")}
    assert not bad, bad


def test_catalog_does_not_know_procurement():
    bad = {(src, dst): sorted(mods) for (src, dst), mods in _edges().items()
           if src in ("catalog", "catalog.search") and dst in ("procurement", "platform_app")}
    assert not bad, bad


def test_procurement_uses_the_catalog_through_its_interface_only():
    bad = []
    for module, imports in _imports_by_module().items():
        if not module.startswith("procurement"):
            continue
        for target in imports:
            if target.startswith("catalog") and target.split(".")[:2] != ["catalog", "interface"] \
                    and target != "catalog":
                bad.append(f"{module} imports {target}")
            if target == "catalog":
                bad.append(f"{module} imports the catalog package itself")
    assert not bad, "\n".join(sorted(set(bad)))


def test_no_import_cycle_between_packages():
    assert import_graph.cycles(_edges()) == []


REGISTERING_CALLS = {"register_policy", "register_seeder", "listen", "add_command", "register_blueprint",
                     "register", "add", "init_app", "start", "install", "on_commit"}
REGISTERING_DECORATORS = {"gate", "record", "record_once", "before_app_request",
                          "app_context_processor", "app_template_filter", "app_template_global"}
GLOBAL_EVENT_TARGETS = {"Session", "Engine", "Mapper", "session", "engine"}


def _global_listener(deco) -> bool:
    """`@event.listens_for(Session, ...)` hooks every session in the process: that is wiring,
    done by `register(app)`. A mapper event on the module's own model class is part of the model."""
    return (isinstance(deco, ast.Call) and _name(deco) == "listens_for" and deco.args
            and _name(deco.args[0]) in GLOBAL_EVENT_TARGETS)


def _name(node):
    if isinstance(node, ast.Call):
        node = node.func
    if isinstance(node, ast.Attribute):
        return node.attr
    if isinstance(node, ast.Name):
        return node.id
    return None


def test_nothing_registers_itself_at_import():
    problems = []
    for path in import_graph.source_files():
        if path.parent == ROOT:
            continue  # wsgi.py and worker.py are entry points: building the app is their job
        tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
        for node in tree.body:
            where = f"{path.relative_to(ROOT)}:{node.lineno}"
            if isinstance(node, ast.Expr) and isinstance(node.value, ast.Call) \
                    and _name(node.value) in REGISTERING_CALLS:
                problems.append(f"{where}: module-level {ast.unparse(node.value)[:70]}")
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                for deco in node.decorator_list:
                    if _name(deco) in REGISTERING_DECORATORS or _global_listener(deco):
                        problems.append(f"{where}: @{ast.unparse(deco)[:70]} registers at import")
    assert not problems, "\n".join(problems)


def test_the_environment_is_read_in_config_only():
    problems = []
    for path in import_graph.source_files():
        if path.parent == ROOT:
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
        for node in ast.walk(tree):
            if isinstance(node, ast.Attribute) and node.attr in ("environ", "getenv", "putenv") \
                    and isinstance(node.value, ast.Name) and node.value.id == "os":
                problems.append(f"{path.relative_to(ROOT)}:{node.lineno}")
            if isinstance(node, ast.ImportFrom) and node.module == "os" \
                    and any(a.name in ("environ", "getenv") for a in node.names):
                problems.append(f"{path.relative_to(ROOT)}:{node.lineno}")
    assert not problems, "environment read outside config.py: " + ", ".join(problems)


def test_no_import_error_is_swallowed_around_the_projects_own_modules():
    problems = []
    for path in import_graph.source_files():
        tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
        for node in ast.walk(tree):
            if isinstance(node, ast.Try) and any(
                    _name(h.type) in ("ImportError", "ModuleNotFoundError") for h in node.handlers if h.type):
                own = [t for stmt in node.body for t in ast.walk(stmt)
                       if isinstance(t, (ast.Import, ast.ImportFrom))
                       and import_graph.package_of((getattr(t, "module", None) or t.names[0].name) or "")]
                if own:
                    problems.append(f"{path.relative_to(ROOT)}:{node.lineno}")
    assert not problems, problems


def test_the_checks_see_a_violation(tmp_path):
    """The graph itself: an upward import from core is found. (The probe is a temporary file
    read as if it were core/_probe.py, never written into the tree other workers read.)"""
    (tmp_path / "core").mkdir()
    probe = tmp_path / "core" / "_structure_probe.py"
    probe.write_text("def f():\n    from procurement import policy\n", encoding="utf-8")
    edges = import_graph.graph(extra=((probe, tmp_path),))
    assert "core._structure_probe" in edges[("core", "procurement")]
