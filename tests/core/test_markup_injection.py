"""User text never becomes markup: every query parameter any view reads is sent with HTML in
it to every page, and the HTML never comes back unescaped (nor as a server error)."""
from __future__ import annotations

import ast
from pathlib import Path

from flask import render_template_string

from tests.factories import login_as, make_role_user

ROOT = Path(__file__).resolve().parents[2]
MARKUP = '<h2 id="injected">x</h2>'


def _query_parameter_names() -> set[str]:
    """Names read from query arguments anywhere in the application: request.args.get/getlist,
    request.args[...], and helpers called as `helper(args, "name")`."""
    names = set()
    for package in ("core", "catalog", "procurement"):
        for path in (ROOT / package).rglob("*.py"):
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
                if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) \
                        and node.func.attr in ("get", "getlist") and node.args \
                        and isinstance(node.args[0], ast.Constant) and isinstance(node.args[0].value, str) \
                        and "args" in ast.unparse(node.func.value):
                    names.add(node.args[0].value)
                if isinstance(node, ast.Call):  # helpers such as _single(args, "q")
                    for first, second in zip(node.args, node.args[1:]):
                        if ast.unparse(first).endswith("args") and isinstance(second, ast.Constant) \
                                and isinstance(second.value, str):
                            names.add(second.value)
                if isinstance(node, ast.Subscript) and ast.unparse(node.value).endswith("args") \
                        and isinstance(node.slice, ast.Constant) and isinstance(node.slice.value, str):
                    names.add(node.slice.value)
    return names


def test_the_parameter_list_is_not_empty():
    names = _query_parameter_names()
    assert {"q", "city", "category", "sort", "page"} <= names


def test_translating_a_value_in_a_template_escapes_it(app):
    with app.test_request_context():
        html = render_template_string("{{ _(value) }}|{{ _('Use at least %(n)s characters.', n=value) }}", value=MARKUP)
    assert MARKUP not in html and "&lt;h2" in html


def test_markup_in_every_query_parameter_comes_back_escaped(app, client):
    names = sorted(_query_parameter_names())
    query = {name: MARKUP for name in names}
    routes = [rule for rule in app.url_map.iter_rules()
              if "GET" in rule.methods and not rule.arguments and not rule.rule.startswith(("/static", "/bootstrap"))]
    assert len(routes) > 10
    problems = []
    for who in (None, "supplier", "purchaser", "platform_reviewer"):
        if who:
            login_as(client, make_role_user(who))
        for rule in routes:
            response = client.get(rule.rule, query_string=query)
            if response.mimetype in ("application/zip", "application/pdf", "application/octet-stream",
                                     "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"):
                if response.status_code >= 500:  # binary downloads: no page to inject into, but no crash
                    problems.append(f"{who or 'anonymous'} GET {rule.rule} -> {response.status_code}")
                continue
            body = response.get_data(as_text=True)
            if response.status_code >= 500 or MARKUP in body:
                problems.append(f"{who or 'anonymous'} GET {rule.rule} -> {response.status_code}")
    assert not problems, problems
