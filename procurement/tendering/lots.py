"""Building lots from pooled demand (used by the tender draft in `tendering/services.py`).

The centre's tender draft takes the contributed lines of a closed pooling round and turns them
into lots::

    plans = lots.group_lines(round_lines)              # proposed lots, nothing written
    for number, plan in enumerate(plans, 1):
        lots.validate_lot(plan.lines, pooling_round=the_round)
        lot = Lot(number=number, title=plan.title, category_id=plan.category_id,
                  specification=plan.specification, unit=plan.unit, quantity_milli=plan.quantity_milli,
                  ceiling_fen=plan.ceiling_fen, bond_fen=0, requirements=plan.requirements)
        tender.lots.append(lot); db.session.flush()
        lots.assign_lines(lot, plan.lines, actor)       # lines -> assigned, a record per project
    ...
    problems = lots.budget_problems(lots.lines_by_project(all_lines))   # at finance review

Rules (issue 10):
- a lot is one category and one specification (compared normalised: case, width and spaces do
  not matter) in one unit; quantities in units that measure the same thing convert exactly
  (t and kg, m³ and litres) into the unit the category is priced in, otherwise the finest unit
  of the lines; units that do not convert make separate lots;
- a lot's requirements are the strictest of its lines' effective requirements (the city's
  standard rules under each project's edition plus each designer's tightenings);
- its ceiling is the sum of the lines' estimated amounts, and no project's part of the lots it
  is in may exceed what is left of its approved budget (`budget_problems`);
- every pooled line keeps its project and bill line, so awards flow back.

Everything here runs in the caller's transaction (no commit). `assign_lines`, `unassign_lines`
and `release_lines` lock the projects concerned in id order before they move any line (the
order every use case touching pooled lines follows, so none can deadlock with another).
"""

from __future__ import annotations

import unicodedata
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Iterable, Mapping, Sequence

from sqlalchemy import select

import catalog.interface as catalog
from core.errors import ValidationError
from core.extensions import db
from core.i18n import N_, Term, message_payload
from core.money import format_fen
from core.timeutil import utcnow
from procurement.pooling.models import (LINE_ASSIGNED, LINE_CONTRIBUTED, LIVE_LINE_STATES, POOLED_LINE,
                                        PooledLine)
from procurement.quantities import QuantityError, canonical_unit

#: How many of a measure's smallest purchase unit one unit holds (exact conversions only).
#: Units not listed convert to nothing but themselves.
_FACTORS = {"kg": ("mass", 1), "t": ("mass", 1000), "L": ("volume", 1), "m3": ("volume", 1000)}

LOT_TITLE_MAX = 200


# --------------------------------------------------------------------------- plans


@dataclass
class LotPlan:
    """A proposed lot: what `Lot` needs, plus the pooled lines it would hold.

    ``quantity_milli`` is the lines' quantities converted to ``unit``; ``ceiling_fen`` the sum
    of their estimated amounts; ``requirements`` JSON-able rule dicts (see `lot_requirements`).
    """

    category_id: int
    specification: str
    unit: str
    quantity_milli: int
    ceiling_fen: int
    requirements: list[dict]
    lines: list = field(default_factory=list)
    title: str = ""

    @property
    def project_ids(self) -> list[int]:
        return sorted({ln.project_id for ln in self.lines})


def normalise_specification(text: str) -> str:
    """The specification as lots compare it: Unicode-compatible form (full-width letters and
    digits as ASCII), case folded, runs of spaces as one."""
    return " ".join(unicodedata.normalize("NFKC", text or "").casefold().split())


def _unit_family(unit: str) -> tuple[str, str]:
    """Units of one family convert into each other exactly."""
    if unit in _FACTORS:
        return ("measure", _FACTORS[unit][0])
    return ("unit", unit)


def convert_milli(quantity_milli: int, from_unit: str, to_unit: str) -> int | None:
    """`quantity_milli` thousandths of `from_unit` in thousandths of `to_unit`, or None when the
    units do not convert or the result would not be a whole number of thousandths."""
    if from_unit == to_unit:
        return quantity_milli
    if _unit_family(from_unit) != _unit_family(to_unit) or from_unit not in _FACTORS:
        return None
    numerator = quantity_milli * _FACTORS[from_unit][1]
    denominator = _FACTORS[to_unit][1]
    if numerator % denominator:
        return None
    return numerator // denominator


def _priced_unit(info) -> str | None:
    try:
        return canonical_unit(info.default_unit) if info is not None and info.default_unit else None
    except QuantityError:
        return None


def _common_unit(units: set[str], priced_per: str | None, lines) -> str:
    """The unit a lot of `lines` (all of one unit family) is counted in: the category's priced
    unit when every line converts to it exactly, else the finest of the lines' units."""
    if len(units) == 1:
        return next(iter(units))
    if priced_per is not None and all(convert_milli(ln.quantity_milli, ln.unit, priced_per) is not None
                                      for ln in lines):
        return priced_per
    return min(units, key=lambda u: _FACTORS[u][1])


def group_lines(lines: Iterable[PooledLine]) -> list[LotPlan]:
    """Proposed lots for contributed pooled lines: one per category + normalised specification
    + unit family (lines of units that do not convert into each other go to separate lots).

    Lots come in catalogue order of their categories, then by specification and unit; lines in
    a lot by project and bill line. Nothing is written.
    """
    lines = list(lines)
    if not lines:
        return []
    infos = {c.id: c for c in catalog.categories({ln.category_id for ln in lines})}
    order = {cid: i for i, cid in enumerate(infos)}
    groups: dict[tuple, list] = defaultdict(list)
    for ln in lines:
        groups[(ln.category_id, normalise_specification(ln.specification), _unit_family(ln.unit))].append(ln)
    plans = []
    for (category_id, spec, _family), members in groups.items():
        members.sort(key=lambda ln: (ln.project_id, ln.bom_line_id, ln.id or 0))
        unit = _common_unit({ln.unit for ln in members}, _priced_unit(infos.get(category_id)), members)
        specification = members[0].specification.strip()
        plans.append(LotPlan(
            category_id=category_id, specification=specification, unit=unit,
            quantity_milli=sum(convert_milli(ln.quantity_milli, ln.unit, unit) for ln in members),
            ceiling_fen=lot_ceiling(members), requirements=lot_requirements(members), lines=members,
            title=specification[:LOT_TITLE_MAX]))
    plans.sort(key=lambda p: (order.get(p.category_id, len(order)), normalise_specification(p.specification),
                              p.unit))
    return plans


def lot_ceiling(lines: Iterable[PooledLine]) -> int:
    """The lot's ceiling in fen: the sum of the lines' estimated amounts."""
    return sum(ln.est_amount_fen for ln in lines)


# --------------------------------------------------------------------------- requirements


def rule_dict(rule: catalog.Rule) -> dict:
    """A rule as a lot stores it (JSON-able)."""
    limit = list(rule.limit) if isinstance(rule.limit, (list, tuple, set, frozenset)) else rule.limit
    return {"key": rule.key, "comparison": rule.comparison, "limit": limit, "unit": rule.unit or "",
            "kind": rule.kind, "name_en": rule.name_en or "", "name_zh": rule.name_zh or "",
            "scale": list(rule.scale) if rule.scale else None}


def rule_from_dict(data: Mapping) -> catalog.Rule:
    """A stored requirement back as a rule (for `catalog.interface.meets` and `describe_limit`)."""
    return catalog.Rule(key=data["key"], comparison=data["comparison"], limit=data["limit"],
                        unit=data.get("unit") or "", kind=data.get("kind") or "quality",
                        name_en=data.get("name_en") or "", name_zh=data.get("name_zh") or "",
                        scale=tuple(data["scale"]) if data.get("scale") else None)


def _at_least_as_strict(candidate: catalog.Rule, than: catalog.Rule) -> bool:
    """Does meeting `candidate` imply meeting `than`? (same key and comparison only)"""
    if candidate.comparison != than.comparison:
        return False
    ok, _reason = catalog.check_tightening(than, candidate.limit, candidate.unit or None)
    return ok


def _merge(kept: list[catalog.Rule], rule: catalog.Rule) -> list[catalog.Rule]:
    """Add `rule` to the non-redundant rules of one key: dropped when a kept rule is at least as
    strict, replacing the kept rules it is stricter than; two `in` rules merge into their
    common values."""
    for i, other in enumerate(kept):
        if rule.comparison == "in" and other.comparison == "in":
            values = [v for v in other.limit or [] if any(str(v).strip().casefold() == str(w).strip().casefold()
                                                          for w in rule.limit or [])]
            kept[i] = catalog.tightened([other], {other.key: values})[0]
            return kept
        if _at_least_as_strict(other, rule):
            return kept
    kept = [other for other in kept if not _at_least_as_strict(rule, other)]
    kept.append(rule)
    return kept


def strictest(rules: Iterable[catalog.Rule]) -> list[catalog.Rule]:
    """The strictest rules of several lines, one per indicator key (two rules of one key that
    cannot be compared, e.g. different comparisons, are both kept: a product meets them all)."""
    by_key: dict[str, list[catalog.Rule]] = {}
    for rule in rules:
        by_key[rule.key] = _merge(by_key.get(rule.key, []), rule)
    return [rule for kept in by_key.values() for rule in kept]


def lot_requirements(lines: Iterable[PooledLine]) -> list[dict]:
    """The lot's requirements: for each indicator key the strictest limit across the lines'
    effective rules (the city standard under each line's project edition plus its designer's
    tightenings), as rule dicts ``{key, comparison, limit, unit, kind, name_en, name_zh, scale}``
    in the order the rules first appear."""
    from procurement.design.requirements import effective_rules

    rules: list[catalog.Rule] = []
    for ln in lines:
        rules.extend(effective_rules(ln.project, ln.bom_line))
    return [rule_dict(r) for r in strictest(rules)]


# --------------------------------------------------------------------------- budgets


@dataclass(frozen=True)
class BudgetProblem:
    """A project whose part of the lots is more than its approved budget leaves."""

    project_id: int
    project_code: str
    message: str          # a translatable template (N_)
    params: dict
    amount_fen: int = 0
    remaining_fen: int = 0

    @property
    def text(self):
        """(template, params): for `ValidationError` fields and `core.i18n.translate_message`."""
        return (self.message, self.params)

    def to_dict(self) -> dict:
        return {"project_id": self.project_id, "project_code": self.project_code,
                "message": message_payload(self.message, self.params), "amount_fen": self.amount_fen,
                "remaining_fen": self.remaining_fen}


def lines_by_project(lines: Iterable[PooledLine]) -> dict[int, list[PooledLine]]:
    """Pooled lines grouped by project id."""
    out: dict[int, list[PooledLine]] = defaultdict(list)
    for ln in lines:
        out[ln.project_id].append(ln)
    return dict(out)


def ceiling_shares(ceiling_fen: int, lines: Sequence[PooledLine]) -> dict[int, int]:
    """A lot's ceiling split over its projects in proportion to their lines' estimated amounts
    (largest remainder: the parts add up to the ceiling). Use it when a ceiling differs from
    the sum of the lines, and pass the sums of the parts as `budget_problems(amounts=...)`."""
    weights = {pid: sum(ln.est_amount_fen for ln in ls) for pid, ls in lines_by_project(lines).items()}
    total = sum(weights.values())
    if not weights:
        return {}
    if total == 0:  # nothing estimated: equal parts
        weights = {pid: 1 for pid in weights}
        total = len(weights)
    shares = {pid: ceiling_fen * w // total for pid, w in weights.items()}
    left = ceiling_fen - sum(shares.values())
    for pid in sorted(weights, key=lambda p: (-(ceiling_fen * weights[p] % total), p))[:left]:
        shares[pid] += 1
    return shares


def budget_problems(lines_by_project: Mapping[int, Iterable[PooledLine]], *,
                    amounts: Mapping[int, int] | None = None) -> list[BudgetProblem]:
    """Projects whose lines in these lots are more than their remaining approved budget.

    `lines_by_project`: ``{project id: its pooled lines in the lots being checked}`` (one lot,
    or every lot of a tender). A project's part is the sum of those lines' estimated amounts, or
    ``amounts[project id]`` when given (see `ceiling_shares`). Its remaining budget is its
    approved `Budget.total_fen` minus the estimated amounts of its other live pooled lines (in
    other rounds and lots). A project without an approved budget, or no longer in the
    procurement stage, is a problem too. Problems come in project id order.
    """
    from procurement.budget.models import Budget
    from procurement.machine.stages import PROCUREMENT
    from procurement.projects.models import Project

    given = {pid: list(ls) for pid, ls in lines_by_project.items()}
    if not given:
        return []
    ids = sorted(given)
    projects = {p.id: p for p in db.session.execute(select(Project).where(Project.id.in_(ids))).scalars()}
    budgets = {b.project_id: b for b in db.session.execute(select(Budget).where(Budget.project_id.in_(ids))
                                                           .execution_options(populate_existing=True)).scalars()}
    line_ids = {ln.id for ls in given.values() for ln in ls if ln.id is not None}
    others: dict[int, int] = defaultdict(int)
    query = (select(PooledLine.project_id, PooledLine.id, PooledLine.est_amount_fen)
             .where(PooledLine.project_id.in_(ids), PooledLine.status.in_(LIVE_LINE_STATES)))
    for pid, lid, amount in db.session.execute(query):
        if lid not in line_ids:
            others[pid] += amount
    problems = []
    for pid in ids:
        project = projects.get(pid)
        code = project.code if project is not None else str(pid)
        amount = (amounts or {}).get(pid, sum(ln.est_amount_fen for ln in given[pid]))
        if project is None or project.stage != PROCUREMENT:
            problems.append(BudgetProblem(pid, code, N_("Project %(code)s is no longer in the procurement stage."),
                                          {"code": code}, amount, 0))
            continue
        budget = budgets.get(pid)
        if budget is None or not budget.is_approved:
            problems.append(BudgetProblem(pid, code, N_("Project %(code)s has no approved budget."),
                                          {"code": code}, amount, 0))
            continue
        remaining = budget.total_fen - others[pid]
        if amount > remaining:
            problems.append(BudgetProblem(
                pid, code, N_("Project %(code)s: its part of the lots, %(amount)s, exceeds what remains of its "
                              "approved budget, %(remaining)s (budget %(budget)s, other pooled lines %(other)s)."),
                {"code": code, "amount": format_fen(amount), "remaining": format_fen(max(remaining, 0)),
                 "budget": format_fen(budget.total_fen), "other": format_fen(others[pid])}, amount, remaining))
    return problems


# --------------------------------------------------------------------------- checks


def _line_label(ln: PooledLine) -> str:
    """How messages name a pooled line: project code and bill line number."""
    bom = ln.bom_line
    project = ln.project
    return f"{project.code if project is not None else ln.project_id} #{bom.line_no if bom is not None else ln.bom_line_id}"


def validate_lot(lines: Sequence[PooledLine], *, pooling_round=None, lot=None) -> None:
    """Refuse (ValidationError, field ``lines``) a lot that mixes categories, holds units that do
    not convert into each other, lines not available (withdrawn, released, or in another lot
    than `lot`), lines of different rounds or of another round or city than `pooling_round`, or
    lines without any estimated amount (a lot's ceiling must be above zero)."""
    lines = list(lines)
    if not lines:
        raise ValidationError(N_("A lot needs at least one pooled line."),
                              {"lines": N_("Choose at least one pooled line.")})
    categories = sorted({ln.category_id for ln in lines})
    if len(categories) > 1:
        names = ", ".join(c.code for c in catalog.categories(categories))
        raise ValidationError(N_("A lot holds one category only; these lines are of %(categories)s."),
                              {"lines": (N_("Mixed categories: %(categories)s."), {"categories": names})},
                              categories=names)
    families = {_unit_family(ln.unit) for ln in lines}
    if len(families) > 1:
        units = ", ".join(sorted({ln.unit for ln in lines}))
        raise ValidationError(N_("The lines' units (%(units)s) do not convert into one another; put them in "
                                 "separate lots."), {"lines": (N_("Units: %(units)s."), {"units": units})},
                              units=units)
    rounds = {ln.round_id for ln in lines}
    if len(rounds) > 1 or (pooling_round is not None and rounds != {pooling_round.id}):
        raise ValidationError(N_("A lot holds lines of its own pooling round only."),
                              {"lines": N_("Some lines belong to another pooling round.")})
    if pooling_round is not None:
        strangers = [_line_label(ln) for ln in lines if ln.project.city_id != pooling_round.city_id]
        if strangers:
            raise ValidationError(N_("A lot holds lines of the round's city only."),
                                  {"lines": (N_("Lines of another city: %(lines)s."),
                                             {"lines": ", ".join(strangers)})})
    if lot_ceiling(lines) <= 0:
        raise ValidationError(N_("The lines of a lot must have an estimated amount: its ceiling is their sum."),
                              {"lines": N_("No estimated amount.")})
    lot_id = getattr(lot, "id", None)
    for ln in lines:
        if ln.status == LINE_ASSIGNED and lot_id is not None and ln.lot_id == lot_id:
            continue
        if ln.status == LINE_ASSIGNED:
            raise ValidationError(N_("Pooled line %(line)s is already in another lot."),
                                  {"lines": (N_("Already in another lot: %(line)s."), {"line": _line_label(ln)})},
                                  line=_line_label(ln))
        if ln.status != LINE_CONTRIBUTED:
            raise ValidationError(N_("Pooled line %(line)s is %(status)s; it cannot go into a lot."),
                                  {"lines": (N_("Not available: %(line)s."), {"line": _line_label(ln)})},
                                  line=_line_label(ln), status=Term(ln.status))


# --------------------------------------------------------------------------- moving lines


def _lock_projects(lines) -> dict:
    from procurement.records.services import lock_project

    return {pid: lock_project(pid) for pid in sorted({ln.project_id for ln in lines})}


def _line_entry(ln: PooledLine) -> dict:
    return {"pooled_line_id": ln.id, "line_no": ln.bom_line.line_no if ln.bom_line is not None else None,
            "quantity_milli": ln.quantity_milli, "unit": ln.unit, "est_amount_fen": ln.est_amount_fen}


def _lot_ref(lot) -> dict:
    tender = lot.tender
    return {"tender_id": lot.tender_id, "reference": tender.reference if tender is not None else None,
            "lot_id": lot.id, "lot_number": lot.number, "lot_title": lot.title}


def move_lines(lines, action: str, kind: str, payload: dict, actor, **values) -> None:
    """Apply `action` to each line (atomic conditional UPDATE: a line moved meanwhile is a 409)
    and write one `kind` record per project, after locking the projects in id order."""
    from procurement.records.services import append_record

    lines = sorted(lines, key=lambda ln: ln.id)
    projects = _lock_projects(lines)
    entries: dict[int, list[dict]] = defaultdict(list)
    for ln in lines:
        entries[ln.project_id].append(_line_entry(ln))
        POOLED_LINE.apply(PooledLine, ln.id, action, **values)
    db.session.flush()
    for pid, project in projects.items():
        append_record(project, kind, {**payload, "lines": entries[pid]}, actor=actor, action=f"project.{kind}")


def assign_lines(lot, lines: Iterable[PooledLine], actor) -> None:
    """Put contributed lines into `lot` (flushed, so it has an id): each line -> assigned, and one
    ``tender_lot_assigned`` record on each project's chain naming the tender, the lot and its
    lines. A line withdrawn or assigned meanwhile is a Conflict (409)."""
    lines = list(lines)
    if not lines:
        return
    if lot.id is None:
        db.session.flush()
    move_lines(lines, "assign", "tender_lot_assigned", _lot_ref(lot), actor, lot_id=lot.id)


def unassign_lines(lot, actor, lines: Iterable[PooledLine] | None = None) -> list[PooledLine]:
    """Take lines (default: all assigned lines of `lot`) out of it, back to contributed, with one
    ``tender_lot_unassigned`` record per project. Returns the lines moved."""
    chosen = list(lines) if lines is not None else list(db.session.execute(
        select(PooledLine).where(PooledLine.lot_id == lot.id, PooledLine.status == LINE_ASSIGNED)).scalars())
    if chosen:
        move_lines(chosen, "unassign", "tender_lot_unassigned", _lot_ref(lot), actor, lot_id=None)
    return chosen


def release_lines(lines: Iterable[PooledLine], actor, *, reason: str, tender=None) -> list[PooledLine]:
    """End lines whose tender ended without buying them (-> released, for good), with one
    ``pooled_line_released`` record per project; `reason` is a short code (e.g. ``tender_cancelled``)."""
    chosen = [ln for ln in lines if ln.status in LIVE_LINE_STATES]
    if chosen:
        payload = {"reason": reason}
        if tender is not None:
            payload.update({"tender_id": tender.id, "reference": tender.reference})
        move_lines(chosen, "release", "pooled_line_released", payload, actor, ended_at=utcnow())
    return chosen

