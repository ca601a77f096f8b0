"""Pages: public category catalogue, a standard's rules per city, admin category edit."""
from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms import StringField, SubmitField
from wtforms.validators import DataRequired, Length, Optional

from core import roles as R
from core.errors import NotFound, ServiceError, ValidationError
from core.extensions import db
from core.forms import apply_form_errors
from core.policy import roles_required

from catalog import bp, compliance, policy
from catalog.models.standards import Category
from catalog.rules import Rule
from catalog.services import standards as svc
from catalog.services.category_admin import update_category
from catalog.services.verdicts import pilot_cities


class CategoryForm(FlaskForm):
    name_en = StringField(_l("Name (English)"), validators=[DataRequired(), Length(max=200)])
    name_zh = StringField(_l("Name (Chinese)"), validators=[DataRequired(), Length(max=200)])
    default_unit = StringField(_l("Default unit"), validators=[Optional(), Length(max=32)],
                               description=_l("Unit products of this category are sold in, e.g. m2, m3, t, piece."))
    submit = SubmitField(_l("Save"))


@bp.get("/categories")
def categories():
    reqs = {}
    editions = svc.list_editions()
    for ed in editions:
        version = svc.current_version(ed)
        reqs[ed.code] = svc.requirements(version) if version else {}
    return render_template("catalog/standards/categories.html", groups=svc.list_groups(), editions=editions, reqs=reqs)


@bp.get("/standards")
def standards():
    editions = svc.list_editions()
    current = {ed.code: svc.current_version(ed) for ed in editions}
    return render_template("catalog/standards/index.html", editions=editions, current=current,
                           applicable=svc.applicable_version(), groups=svc.list_groups())


def _cell(rule: Rule | None) -> dict | None:
    if rule is None:
        return None
    return {"text": rule.limit_reason().localised(), "scope": rule.scope, "rule": rule}


@bp.get("/standards/<edition>/categories/<code>")
def standard_category(edition, code):
    try:
        ed = svc.get_edition(edition)
        cat = svc.get_category(code)
    except NotFound:
        abort(404)
    at = request.args.get("at") or None
    try:
        version = svc.current_version(ed, at)
    except ValidationError:
        abort(400)
    cities = pilot_cities()
    rules = svc.version_rules(version, cat) if version else []
    keys: list[str] = []
    meta: dict[str, Rule] = {}
    for rule in rules:
        if rule.key not in meta:
            keys.append(rule.key)
            meta[rule.key] = rule
    matrix = {}
    for city in cities:
        resolved = {r.key: r for r in compliance.resolve_rules(rules, city.code, city.climate_zone)}
        matrix[city.code] = {k: _cell(resolved.get(k)) for k in keys}
    requirement = svc.requirements(version).get(cat.code) if version else None
    return render_template("catalog/standards/category.html", edition=ed, category=cat, version=version, cities=cities,
                           keys=keys, meta=meta, matrix=matrix, rules=rules, requirement=requirement,
                           editions=svc.list_editions())


@bp.route("/admin/categories/<int:category_id>/edit", methods=["GET", "POST"])
@roles_required(R.PLATFORM_ADMIN)
def edit_category(category_id):
    if not policy.can_edit_categories(current_user):
        abort(403)
    category = db.session.get(Category, category_id)
    if category is None:
        abort(404)
    form = CategoryForm(obj=category)
    if form.validate_on_submit():
        try:
            update_category(category.id, {"name_en": form.name_en.data, "name_zh": form.name_zh.data,
                                          "default_unit": form.default_unit.data}, actor=current_user)
        except ServiceError as exc:
            apply_form_errors(form, exc)
        else:
            flash(_("Category saved."), "success")
            return redirect(url_for("catalog.categories"))
    return render_template("catalog/standards/category_edit.html", form=form, category=category)
