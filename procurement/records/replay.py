"""Replaying a project's records into the state they describe, and comparing it with the live
rows (pure: no database).

The record chain is the source of truth. Each record kind has one rule here saying what it did
to the project (its stage, registered fields and people, budget and funding sources, bill lines,
attached documents); folding the records through the rules gives the state the project must be
in. `procurement.records.integrity` loads the live rows into the same shape and reports the first
difference, so a row changed behind the services' back (stage set to closed, a budget x100, a
bill quantity x1000, a line added or deleted) is found even though no record was touched.

A record kind without a rule cannot be replayed and is reported: a capability that writes a new
kind adds its rule to `RULES` (tests/procurement/records/test_replay.py checks every kind the code
writes has one). Effects of a move that another capability installs (returning design to budget
reopens the budget) are part of the move's rule.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any, Callable

from core.i18n import N_, Term
from procurement.records.chain import ChainBreak, normalise_payload

# Registered fields of a project that records carry (`Project.snapshot`) and replay compares.
PROJECT_FIELDS = ("code", "name", "description", "purchaser_org_id", "city_id", "building_type", "floor_area_m2",
                  "green_star_target", "registered_on", "standard_edition_id", "standard_version_id")
BUDGET_FIELDS = ("total_fen", "green_share_bp", "status", "revision", "review_comment", "funding_sources")
LINE_FIELDS = ("category", "specification", "quantity_milli", "unit", "est_unit_price_fen", "green_required",
               "tightenings")
DOCUMENT_FIELDS = ("kind", "title", "sha256")

LIVE_DATA = N_("live data")


@dataclass
class ProjectState:
    """A project as its records describe it (replayed) or as its rows are (live).

    Lines are keyed by line number; a replayed line's ``category`` is ``("code", c)`` or
    ``("id", n)`` (whichever the record gave), a live line has both ``category_id`` and
    ``category_code``. Values are in their recorded JSON form (`normalise_payload`).
    """

    stage: str | None = None
    project: dict = field(default_factory=dict)
    people: list | None = None
    budget: dict | None = None
    lines: dict = field(default_factory=dict)
    documents: dict = field(default_factory=dict)


class ReplayError(Exception):
    """A record that cannot be applied to the state before it (a translatable template)."""

    def __init__(self, template: str, **params):
        super().__init__(template % params if params else template)
        self.template = template
        self.params = params


def _quantity_milli(view: dict):
    if "quantity_milli" in view:
        return view["quantity_milli"]
    try:
        return int(Decimal(str(view["quantity"])) * 1000)
    except (KeyError, InvalidOperation, ValueError):
        raise ReplayError(N_("its bill line has no readable quantity")) from None


def _line_from_view(view: dict) -> dict:
    category = view["category_id"] if "category_id" in view else view.get("category")
    return {"category": ("id", category) if isinstance(category, int) else ("code", category),
            "specification": view.get("specification"), "quantity_milli": _quantity_milli(view),
            "unit": view.get("unit"), "est_unit_price_fen": view.get("est_unit_price_fen"),
            "green_required": view.get("green_required"), "tightenings": view.get("tightenings") or {}}


def _registered(state: ProjectState, payload: dict) -> None:
    snapshot = payload["project"]
    state.project = {k: snapshot[k] for k in PROJECT_FIELDS if k in snapshot}
    state.people = snapshot.get("people")
    state.stage = snapshot.get("stage")


def _updated(state: ProjectState, payload: dict) -> None:
    for key, change in payload["changes"].items():
        if key == "people":
            state.people = change["to"]
        elif key in PROJECT_FIELDS:
            state.project[key] = change["to"]


def _budget(state: ProjectState) -> dict:
    if state.budget is None:
        raise ReplayError(N_("reviews a budget that the records never submitted"))
    return state.budget


def _budget_submitted(state: ProjectState, payload: dict) -> None:
    state.budget = {k: payload["budget"].get(k) for k in BUDGET_FIELDS}


def _budget_reviewed(status: str) -> Callable:
    def rule(state: ProjectState, payload: dict) -> None:
        budget = _budget(state)
        if payload.get("revision") != budget["revision"]:
            raise ReplayError(N_("reviews budget revision %(got)s, but the records' budget is revision %(want)s"),
                              got=payload.get("revision"), want=budget["revision"])
        budget["status"] = status
        budget["review_comment"] = payload.get("comment") or ""
    return rule


def _moved(state: ProjectState, payload: dict) -> None:
    if payload.get("from") != state.stage:
        raise ReplayError(N_("moves the project from the %(from)s stage, but the records had it in the %(stage)s "
                             "stage"), **{"from": Term(str(payload.get("from"))), "stage": Term(str(state.stage))})
    state.stage = payload["to"]
    # Effect installed by the budget capability: returning design to budget reopens the budget.
    if payload.get("from") == "design" and payload.get("to") == "budget" and state.budget is not None:
        state.budget["status"] = "returned"
        state.budget["review_comment"] = payload.get("reason") or ""


def _nothing(state: ProjectState, payload: dict) -> None:
    """A refused move changes nothing but the record."""


def _line_added(state: ProjectState, payload: dict) -> None:
    _add_line(state, payload["line"])


def _add_line(state: ProjectState, view: dict) -> None:
    line_no = view["line_no"]
    if line_no in state.lines:
        raise ReplayError(N_("adds bill line %(line)s, which the records already have"), line=line_no)
    state.lines[line_no] = _line_from_view(view)


def _line(state: ProjectState, line_no) -> dict:
    if line_no not in state.lines:
        raise ReplayError(N_("changes bill line %(line)s, which the records do not have"), line=line_no)
    return state.lines[line_no]


def _line_changed(state: ProjectState, payload: dict) -> None:
    line = _line(state, payload["line_no"])
    for key, change in payload["changes"].items():
        if key == "category_id":
            line["category"] = ("id", change["to"])
        elif key in LINE_FIELDS:
            line[key] = change["to"]


def _line_removed(state: ProjectState, payload: dict) -> None:
    line_no = payload["line"]["line_no"]
    _line(state, line_no)
    del state.lines[line_no]


def _bill_imported(state: ProjectState, payload: dict) -> None:
    if payload.get("replaced"):
        if payload.get("removed") != len(state.lines):
            raise ReplayError(N_("says it replaced %(n)s bill lines, but the records had %(m)s"),
                              n=payload.get("removed"), m=len(state.lines))
        state.lines = {}
    for view in payload["lines"]:
        _add_line(state, view)


def _document_attached(state: ProjectState, payload: dict) -> None:
    state.documents[payload["link_id"]] = {"kind": payload.get("kind"), "title": payload.get("title"),
                                           "sha256": (payload.get("file") or {}).get("sha256")}


RULES: dict[str, Callable[[ProjectState, dict], None]] = {
    "project_registered": _registered,
    "project_updated": _updated,
    "budget_submitted": _budget_submitted,
    "budget_approved": _budget_reviewed("approved"),
    "budget_returned": _budget_reviewed("returned"),
    "stage_advanced": _moved,
    "stage_returned": _moved,
    "transition_refused": _nothing,
    "bom_line_added": _line_added,
    "bom_line_changed": _line_changed,
    "bom_line_removed": _line_removed,
    "bom_imported": _bill_imported,
    "document_attached": _document_attached,
}

#: Records of the project's procurement (pooling, tenders and, later, bids, awards, contracts):
#: they tell the story on the project's chain but change none of the project's own rows, so
#: replaying them changes nothing. A capability that writes such a kind lists it here.
PROCUREMENT_KINDS = (
    "pooled_line_contributed", "pooled_line_withdrawn", "pooled_line_released",
    "tender_lot_assigned", "tender_lot_unassigned",
    "tender_submitted", "tender_returned", "tender_approved", "tender_published", "tender_amended",
    "tender_closed", "tender_cancelled", "tender_failed",
    "tender_approval_withdrawn",
    "tender_opened", "tender_lot_failed", "tender_lot_qualified", "tender_lot_next_step",
    "evaluation_panel_requested", "evaluation_panel_drawn", "evaluation_panel_seat_declined",
    "evaluation_panel_replacement_drawn", "evaluation_panel_completed", "evaluation_panel_cancelled",
    "tender_lot_evaluation_started", "tender_lot_justification_decided", "tender_lot_justification_lapsed",
    "tender_lot_report_issued", "tender_lot_report_withdrawn", "tender_lot_report_signed",
    "award_submitted", "award_returned", "award_approved", "award_published", "award_withdrawn", "award_offered",
    "award_offer_accepted", "award_offer_declined", "award_failed", "award_next_step", "award_challenged",
    "award_challenge_answered", "award_challenge_withdrawn", "award_complaint_lodged", "award_complaint_decided",
    "award_complaint_withdrawn",
    # negotiation rounds (issue 12): competitive negotiation / consultation, mini-competitions
    "negotiation_started", "negotiation_round_opened", "negotiation_round_closed", "negotiation_concluded",
    "negotiation_failed", "negotiation_cancelled",
    # inspections (issue 14): "double random" inspections and rectification notices
    "inspection_drawn", "inspection_recorded", "inspection_published", "rectification_issued",
    "rectification_responded", "rectification_closed", "rectification_escalated",
    # agreements and call-off orders (issue 13)
    "agreement_signed", "order_placed", "order_confirmed", "order_cancelled", "order_accepted",
    # deliveries and completion acceptance (issue 14)
    "delivery_recorded", "delivery_accepted", "delivery_rejected", "delivery_sampled", "delivery_sample_passed",
    "delivery_sample_failed", "acceptance_checklist_generated", "acceptance_signed_off", "supplier_paid",
)
RULES.update({kind: _nothing for kind in PROCUREMENT_KINDS})


def replay(records) -> tuple[ProjectState, ChainBreak | None]:
    """Fold records (oldest first; attributes ``seq, id, kind, stage, payload``) into the state
    they describe. The stage changes only by the moves on the record; each record was written in
    the stage it carries (a hashed column), so one written after the stage was changed behind the
    services' back (and which therefore carries the forged stage) is found too."""
    state = ProjectState()
    for rec in records:
        rule = RULES.get(rec.kind)
        if rule is None:
            return state, ChainBreak(rec.seq, rec.id, N_("no replay rule for record kind %(kind)s"), {"kind": rec.kind})
        try:
            if not isinstance(rec.payload, dict):
                raise ReplayError(N_("its payload is not an object"))
            rule(state, rec.payload)
        except ReplayError as exc:
            return state, ChainBreak(rec.seq, rec.id, exc.template, exc.params)
        except (KeyError, TypeError, AttributeError) as exc:
            return state, ChainBreak(rec.seq, rec.id, N_("cannot be replayed: %(error)s"),
                                     {"error": f"{type(exc).__name__} {exc}"[:80]})
        if rec.stage != state.stage:
            return state, ChainBreak(rec.seq, rec.id, N_("was written in the %(written)s stage, but the records had "
                                                         "the project in the %(stage)s stage"),
                                     {"written": Term(str(rec.stage)), "stage": Term(str(state.stage))})
    return state, None


_PLAIN = (str, int, bool, type(None))


def _recorded(value: Any) -> Any:
    """A live value in its recorded JSON form (plain values as they are: the common case)."""
    return value if isinstance(value, _PLAIN) and not isinstance(value, float) else normalise_payload(value)


def _show(value: Any) -> str:
    text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False, sort_keys=True, default=str)
    return text if len(text) <= 80 else text[:77] + "..."


def _differs(template: str, **params) -> ChainBreak:
    return ChainBreak(None, None, template, {k: _show(v) if k in ("live", "expected") else v
                                             for k, v in params.items()}, place=LIVE_DATA)


def compare(expected: ProjectState, live: ProjectState) -> ChainBreak | None:
    """The first difference between the replayed state and the live rows, or None."""
    if live.stage != expected.stage:
        return ChainBreak(None, None, N_("the project is in the %(live)s stage, but its records end in the "
                                         "%(expected)s stage"),
                          {"live": Term(str(live.stage)), "expected": Term(str(expected.stage))}, place=LIVE_DATA)
    for key, value in expected.project.items():
        if _recorded(live.project.get(key)) != value:
            return _differs(N_("project field %(field)s is %(live)s, but the records say %(expected)s"),
                            field=key, live=live.project.get(key), expected=value)
    if expected.people is not None and _recorded(live.people) != expected.people:
        return _differs(N_("project field %(field)s is %(live)s, but the records say %(expected)s"),
                        field="people", live=live.people, expected=expected.people)
    problem = _compare_budget(expected.budget, live.budget)
    if problem is None:
        problem = _compare_lines(expected.lines, live.lines)
    if problem is None:
        problem = _compare_documents(expected.documents, live.documents)
    return problem


def _compare_budget(expected: dict | None, live: dict | None) -> ChainBreak | None:
    if expected is None and live is None:
        return None
    if expected is None:
        return _differs(N_("the project has a budget that its records never submitted"))
    if live is None:
        return _differs(N_("the budget is missing, but the records have one"))
    for key in BUDGET_FIELDS:
        if _recorded(live.get(key)) != expected.get(key):
            return _differs(N_("budget field %(field)s is %(live)s, but the records say %(expected)s"),
                            field=key, live=live.get(key), expected=expected.get(key))
    return None


def _line_values(key: str, want: dict, have: dict):
    if key == "category":  # compared as recorded: by code, or by id after a change of category
        kind, value = want["category"]
        return value, have.get("category_id") if kind == "id" else have.get("category_code")
    return want.get(key), _recorded(have.get(key))


def _compare_keyed(expected: dict, live: dict, fields, messages: tuple[str, str, str],
                   values=lambda key, want, have: (want.get(key), _recorded(have.get(key)))) -> ChainBreak | None:
    """The first item (by key) missing, extra or with a field that differs; ``messages`` are the
    templates for those three cases (parameters ``id``, ``field``, ``live``, ``expected``)."""
    missing, extra, differs = messages
    for key in sorted(set(expected) | set(live)):
        if key not in live:
            return _differs(missing, id=key)
        if key not in expected:
            return _differs(extra, id=key)
        for name in fields:
            value, current = values(name, expected[key], live[key])
            if current != value:
                return _differs(differs, id=key, field=name, live=current, expected=value)
    return None


def _compare_lines(expected: dict, live: dict) -> ChainBreak | None:
    return _compare_keyed(expected, live, LINE_FIELDS, (
        N_("bill line %(id)s is missing, but the records have it"), N_("bill line %(id)s is not in the records"),
        N_("bill line %(id)s: %(field)s is %(live)s, but the records say %(expected)s")), _line_values)


def _compare_documents(expected: dict, live: dict) -> ChainBreak | None:
    return _compare_keyed(expected, live, DOCUMENT_FIELDS, (
        N_("document %(id)s is missing, but the records have it"), N_("document %(id)s is not in the records"),
        N_("document %(id)s: %(field)s is %(live)s, but the records say %(expected)s")))
