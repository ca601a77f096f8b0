"""The city's evaluation expert pool, kept by its finance office.

Expert accounts live in the city's expert-pool organisation (kind `expert_pool`, made on first
use, verified, administered by the finance office rather than by an administrator of its own).
Adding an expert creates the account (role `expert`) and e-mails an invitation link to set a
password (`core.people`'s invitation tokens); until then the expert is not drawn
(`account_not_active`). Deactivated experts stay in the pool's history and are not drawn.
Every change commits once with its audit event.
"""

from __future__ import annotations

from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy import func, select

import catalog.interface as catalog
from core import audit, uscc
from core.errors import NotFound, PermissionDenied, ValidationError
from core.extensions import db
from core.i18n import N_
from core.mail import queue_mail
from core.models import City, Organisation, User, UserRole
from core.notifications import absolute_link
from core.people import INVITE, UNUSABLE_PASSWORD, issue_token
from core.services import unit_of_work
from core.timeutil import utcnow
from core.validation import Errors, boolean, text
from procurement.blueprints import page_path
from procurement.evaluation import policy
from procurement.evaluation.models import Expert

MAX_SPECIALITIES = 30
PER_PAGE = 50


def pool_org(city: City) -> Organisation:
    """The city's expert-pool organisation (created, verified, on first use; no commit)."""
    org = db.session.execute(select(Organisation).where(Organisation.kind == policy.POOL_ORG_KIND,
                                                        Organisation.city_id == city.id)).scalar_one_or_none()
    if org is None:
        org = Organisation(kind=policy.POOL_ORG_KIND, city_id=city.id, status="verified", verified_at=utcnow(),
                           name_en=f"{city.name_en} Government Procurement Evaluation Expert Pool",
                           name_zh=f"{city.name_zh}市政府采购评审专家库")
        db.session.add(org)
        db.session.flush()
        audit.record("expert_pool.create", org, after=org.snapshot())
    return org


def _specialities(raw, errors: Errors) -> list[str]:
    if isinstance(raw, str):
        raw = [part for part in raw.replace("，", ",").replace("\n", ",").split(",")]
    if not isinstance(raw, list) or not all(isinstance(x, str) for x in raw):
        errors.add("specialities", N_("Give a list of category codes."))
        return []
    codes = []
    for item in raw:
        code = item.strip()
        if not code:
            continue
        info = catalog.find_category(code) if len(code) <= 80 and not code.isdigit() else None
        if info is None:
            errors.add("specialities", N_("Unknown category “%(code)s”."), code=code[:40])
            return []
        if info.code not in codes:
            codes.append(info.code)
    if not codes:
        errors.add("specialities", N_("Give at least one category the expert evaluates."))
    elif len(codes) > MAX_SPECIALITIES:
        errors.add("specialities", N_("At most %(n)s categories."), n=MAX_SPECIALITIES)
    return codes


def clean_profile(data: dict, *, partial: bool = False) -> dict:
    """Validated profile fields; with `partial`, only those present in `data`."""
    errors = Errors()
    out = {}
    if not partial or "specialities" in data:
        out["specialities"] = _specialities(data.get("specialities"), errors)
    if not partial or "employer_name" in data:
        out["employer_name"] = text(data, "employer_name", errors, max_len=200)
    if not partial or "employer_credit_code" in data:
        raw = data.get("employer_credit_code")
        code = None
        if raw not in (None, ""):
            if not isinstance(raw, str):
                errors.add("employer_credit_code", N_("Must be text."))
            else:
                try:
                    code = uscc.validate(raw)
                except uscc.USCCError as exc:
                    errors.add("employer_credit_code", exc.template, **exc.params)
        out["employer_credit_code"] = code
    for key in ("province", "locality"):
        if not partial or key in data:
            out[key] = text(data, key, errors, required=False, max_len=80)
    errors.raise_if_any(N_("The expert's details were not accepted."))
    return out


def _city_of(actor) -> City:
    city_id = policy.finance_city_of(actor)
    if city_id is None:
        raise PermissionDenied(N_("Only a city's finance office keeps its expert pool."))
    return db.session.get(City, city_id)


def add_expert(actor, data: dict) -> Expert:
    """Add an expert to the actor's city pool: the account (invited by e-mail) and its profile."""
    city = _city_of(actor)
    errors = Errors()
    email = (data.get("email") or "").strip().lower() if isinstance(data.get("email"), str) else ""
    if "@" not in email or len(email) > 254:
        errors.add("email", N_("Enter a valid email address."))
    name = text(data, "name", errors, max_len=120)
    try:
        profile = clean_profile(data)
    except ValidationError as exc:
        errors.fields.update({k: v for k, v in exc.fields.items() if k not in errors.fields})
    errors.raise_if_any(N_("The expert's details were not accepted."))
    if db.session.execute(select(User.id).where(User.email == email)).first():
        raise ValidationError(N_("Please correct the marked fields."),
                              {"email": N_("This email already has an account on the platform.")})
    with unit_of_work(N_("This email already has an account.")):
        org = pool_org(city)
        user = User(email=email, name=name, password_hash=UNUSABLE_PASSWORD, organisation_id=org.id, active=False,
                    roles=[UserRole(role=r) for r in policy.EXPERT_ROLES])
        db.session.add(user)
        db.session.flush()
        expert = Expert(user_id=user.id, pool_org_id=org.id, city_id=city.id, created_by_id=actor.id, **profile)
        db.session.add(expert)
        db.session.flush()
        token = issue_token(user, INVITE, actor)
        link = absolute_link(page_path("core.accept_invitation", token=token))
        # In Chinese unless the finance officer chose another language (the expert has none yet).
        with force_locale(getattr(actor, "locale", None) or "zh_Hans"):
            queue_mail(email, _("You are invited to the evaluation expert pool"),
                       _("%(office)s added you to the government procurement evaluation expert pool of %(city)s. "
                         "Set your password here (the link works for 7 days):\n\n%(link)s",
                         office=actor.organisation.name_zh or actor.organisation.name_en, city=city.name_zh,
                         link=link), "evaluation.expert_invitation")
        audit.record("expert.add", expert, actor=actor, after={**expert.snapshot(), "email": email})
    return expert


def get_expert(actor, expert_id) -> Expert:
    expert = db.session.get(Expert, int(expert_id)) if str(expert_id).isdigit() and len(str(expert_id)) <= 9 else None
    if expert is None or not policy.can_view_expert(actor, expert):
        raise NotFound(N_("No such expert."))
    return expert


def own_profile(actor) -> Expert | None:
    if not policy.is_expert(actor):
        return None
    return db.session.execute(select(Expert).where(Expert.user_id == actor.id)).scalar_one_or_none()


def update_expert(actor, expert_id, data: dict) -> Expert:
    """Change an expert's specialities, employer or location; `active` (true/false) reactivates
    or deactivates. The pool's finance office only."""
    errors = Errors()
    active = boolean(data, "active", errors) if "active" in data else None
    errors.raise_if_any(N_("The expert's details were not accepted."))
    changes = clean_profile({k: v for k, v in data.items() if k != "active"}, partial=True)
    with unit_of_work():
        expert = get_expert(actor, expert_id)
        if not policy.can_manage_pool(actor, expert.city_id):
            raise PermissionDenied(N_("Only a city's finance office keeps its expert pool."))
        before = expert.snapshot()
        for key, value in changes.items():
            setattr(expert, key, value)
        if active is not None and active != expert.active:
            expert.active = active
            expert.deactivated_at = None if active else utcnow()
        action = "expert.update" if active is None or active == before["active"] else (
            "expert.activate" if active else "expert.deactivate")
        audit.record(action, expert, actor=actor, before=before, after=expert.snapshot())
    return expert


def list_pool(actor, *, active: bool | None = None, speciality: str | None = None,
              page: int = 1) -> tuple[list[Expert], int]:
    """The experts of the actor's city pool (finance office), by name; filtered and paged."""
    city = _city_of(actor)
    stmt = select(Expert).join(User, User.id == Expert.user_id).where(Expert.city_id == city.id)
    if active is not None:
        stmt = stmt.where(Expert.active.is_(active))
    rows = list(db.session.execute(stmt.order_by(User.name, Expert.id)).scalars())
    if speciality:
        rows = [e for e in rows if speciality in (e.specialities or [])]
    total = len(rows)
    start = (max(page, 1) - 1) * PER_PAGE
    return rows[start:start + PER_PAGE], total


def pool_counts(city_id: int) -> dict:
    """Active and inactive experts of a city's pool."""
    rows = db.session.execute(select(Expert.active, func.count(Expert.id)).where(Expert.city_id == city_id)
                              .group_by(Expert.active)).all()
    counts = {bool(a): n for a, n in rows}
    return {"active": counts.get(True, 0), "inactive": counts.get(False, 0)}
