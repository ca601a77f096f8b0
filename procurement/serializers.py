"""JSON shapes of projects, budgets, bill lines and records (API and record downloads)."""

from __future__ import annotations

from procurement.chain import canonical_time
from procurement.quantities import format_quantity


def person(p) -> dict:
    return {"role": p.role, "name": p.name, "phone": p.phone}


def budget(b) -> dict | None:
    if b is None:
        return None
    return {
        "status": b.status, "revision": b.revision, "total_fen": b.total_fen, "green_share_bp": b.green_share_bp,
        "funding_total_fen": b.funding_total_fen,
        "funding_sources": [{"kind": f.kind, "description": f.description, "amount_fen": f.amount_fen}
                            for f in b.funding_sources],
        "submitted_at": canonical_time(b.submitted_at), "reviewed_at": canonical_time(b.reviewed_at),
        "review_comment": b.review_comment,
    }


def project(p, *, detail: bool = False) -> dict:
    out = {
        "id": p.id, "code": p.code, "name": p.name, "stage": p.stage,
        "city": p.city.code, "purchaser": {"id": p.purchaser_org_id, "name_en": p.purchaser.name_en,
                                           "name_zh": p.purchaser.name_zh},
        "building_type": p.building_type, "floor_area_m2": p.floor_area_m2, "green_star_target": p.green_star_target,
        "registered_on": p.registered_on.isoformat(),
        "standard": {"edition": p.standard_edition.code, "version_at_registration": p.standard_version.number},
        "stage_changed_at": canonical_time(p.stage_changed_at),
    }
    if detail:
        out["description"] = p.description
        out["people"] = [person(x) for x in p.people]
        out["budget"] = budget(p.budget)
        out["records"] = {"count": p.record_count, "head_hash": p.record_head_hash}
    return out


def bom_line(line, offer: dict | None = None) -> dict:
    out = {
        "line_no": line.line_no, "category": line.category.code, "specification": line.specification,
        "quantity": format_quantity(line.quantity_milli), "unit": line.unit,
        "est_unit_price_fen": line.est_unit_price_fen, "total_fen": line.total_fen,
        "green_required": line.green_required, "tightenings": dict(line.tightenings or {}),
    }
    if offer is not None:
        out["products"] = {
            "count": offer["count"], "min_price_fen": offer["min_price_fen"], "max_price_fen": offer["max_price_fen"],
            "cheapest": [{"id": p.id, "sku": p.sku, "name": p.name, "price_fen": p.list_price_fen, "unit": p.unit}
                         for p in offer["products"]],
        }
    return out


def record(r) -> dict:
    return {
        "seq": r.seq, "kind": r.kind, "stage": r.stage,
        "actor": ({"id": r.actor_id, "name": r.actor.name} if r.actor is not None else None),
        "created_at": canonical_time(r.created_at), "payload": r.payload,
        "prev_hash": r.prev_hash, "hash": r.hash, "audit_event_id": r.audit_event_id,
    }


def check(c) -> dict:
    return c.to_dict()
