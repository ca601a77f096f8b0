"""Every message a user sees is a translatable template with parameters.

Static half: every `raise SomeServiceError(...)` in the application passes a string literal (or
`N_("...")`) as its message, never an f-string, `%`-formatted or concatenated text, and that
literal is a translated entry of the Chinese catalogue. Field messages (`fields={...}`) follow
the same rule. The runtime half lives in tests/conftest.py: a ServiceError raised anywhere in
the suite with a message outside the catalogue fails the test that raised it.
"""
from __future__ import annotations

import ast
from pathlib import Path

import pytest

from tests.message_catalogue import translated_msgids

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("core", "catalog", "procurement", "platform_app")
# unit_of_work(message) raises Conflict(message) on an IntegrityError.
BASE_ERRORS = {"ServiceError", "ValidationError", "PermissionDenied", "NotFound", "Conflict", "Unauthorized",
               "unit_of_work"}


def _sources():
    for package in PACKAGES:
        yield from sorted((ROOT / package).rglob("*.py"))


def _error_classes(trees) -> set[str]:
    """ServiceError and every class of the project derived from it (by name, to a fixpoint)."""
    names = set(BASE_ERRORS)
    changed = True
    while changed:
        changed = False
        for tree in trees.values():
            for node in ast.walk(tree):
                if isinstance(node, ast.ClassDef) and node.name not in names:
                    bases = {b.id if isinstance(b, ast.Name) else getattr(b, "attr", None) for b in node.bases}
                    if bases & names:
                        names.add(node.name)
                        changed = True
    return names


def _literal(node):
    """The message text of an argument, or None when it is not a plain literal."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    if isinstance(node, ast.Call) and getattr(node.func, "id", None) in ("N_", "_l", "gettext", "_") \
            and node.args and isinstance(node.args[0], ast.Constant) and isinstance(node.args[0].value, str):
        return node.args[0].value
    return None


def _problems(extra_files=()):
    trees = {path: ast.parse(path.read_text(encoding="utf-8"), str(path)) for path in (*_sources(), *extra_files)}
    error_names = _error_classes(trees)
    catalogue = translated_msgids()
    problems = []

    def check_text(path, node, text_node, what):
        where = f"{path.relative_to(ROOT) if path.is_relative_to(ROOT) else path.name}:{text_node.lineno}"
        if isinstance(text_node, ast.Name):
            return  # a constant defined elsewhere in the module; its definition is a literal checked here too
        text = _literal(text_node)
        if text is None:
            problems.append(f"{where}: {what} is not a literal template ({ast.unparse(text_node)[:60]})")
        elif text not in catalogue:
            problems.append(f"{where}: {what} {text[:60]!r} is not translated in the catalogue")

    for path, tree in trees.items():
        for node in ast.walk(tree):
            if not (isinstance(node, ast.Call) and isinstance(node.func, (ast.Name, ast.Attribute))):
                continue
            name = node.func.id if isinstance(node.func, ast.Name) else node.func.attr
            if name not in error_names or (not node.args and not node.keywords):
                continue
            if node.args:
                check_text(path, node, node.args[0], "message")
            fields = node.args[1] if len(node.args) > 1 else next(
                (k.value for k in node.keywords if k.arg == "fields"), None)
            if isinstance(fields, ast.Dict):
                for value in fields.values:
                    if isinstance(value, ast.Tuple) and value.elts:
                        value = value.elts[0]
                    check_text(path, node, value, "field message")
    return problems


@pytest.mark.pure
def test_service_errors_raise_translatable_templates():
    problems = _problems()
    assert not problems, f"{len(problems)} untranslatable service errors:\n" + "\n".join(problems)


@pytest.mark.pure
def test_the_check_catches_an_f_string(tmp_path):
    """The checker itself: an f-string message is reported. (The probe lives in a temporary
    folder, never in the source tree other test processes are reading.)"""
    bad = tmp_path / "_message_probe.py"
    bad.write_text('from core.errors import Conflict\n\ndef f(x):\n    raise Conflict(f"bad {x}")\n', encoding="utf-8")
    problems = _problems(extra_files=[bad])
    assert any("_message_probe.py:4" in p and "not a literal" in p for p in problems)
