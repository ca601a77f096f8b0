"""JSON API of challenges and complaints, under /api/v1:

- ``GET awards/{id}/challenges``: every challenge's number, dates and status (public once the
  notice is published); text, answer and complaint for those who may read them;
- ``POST awards/{id}/challenges`` (``{"text"}``): a bidder of the lot, within the window (201;
  409 after it, naming the end in China time);
- ``GET award-challenges/{id}``; ``POST award-challenges/{id}/answer`` (``{"text"}``, the centre);
  ``POST award-challenges/{id}/withdraw`` (the challenger);
- ``POST award-challenges/{id}/complaint`` (``{"text"}``, the challenger, 201);
- ``POST award-complaints/{id}/decide`` (``{"outcome", "reason"}``, the finance office of the
  tender's city); ``POST award-complaints/{id}/withdraw`` (the challenger).
"""

from __future__ import annotations

from flask import g, jsonify

from core.api import api_auth, json_body
from core.extensions import db
from procurement.awards import challenges, policy, reading, services
from procurement.awards.api import (
    OPENAPI,
    TAG,
    TIME,
    error,
    firm,
    path_id,
    public_challenge_json,
    responses,
    time,
)
from procurement.awards.blueprints import api_bp
from procurement.awards.models import Challenge
from procurement.awards.states import DECISIONS
from procurement.blueprints import body_ref, ref


def complaint_json(c) -> dict | None:
    if c is None:
        return None
    return {"id": c.id, "status": c.status, "text": c.text, "lodged_at": time(c.lodged_at),
            "decision_due_at": time(c.decision_due_at), "overdue": c.decision_overdue_at is not None,
            "decision": c.decision or None, "decided_at": time(c.decided_at)}


def challenge_json(viewer, c) -> dict:
    out = {**public_challenge_json(reading.public_challenge(c)), "id": c.id, "award_id": c.award_id,
           "private": False}
    if policy.can_see_challenge(viewer, c):
        out.update({"private": True, "supplier": firm(c.supplier), "text": c.text, "answer": c.answer or None,
                    "complaint_detail": complaint_json(c.complaint)})
    return out


OPENAPI.schema("AwardComplaint", {"type": "object", "nullable": True, "properties": {
    "id": {"type": "integer"}, "status": {"type": "string"}, "text": {"type": "string"}, "lodged_at": TIME,
    "decision_due_at": TIME, "overdue": {"type": "boolean"}, "decision": {"type": "string", "nullable": True},
    "decided_at": TIME}})
OPENAPI.schema("AwardChallenge", {"allOf": [ref("AwardChallengeStatus"), {
    "type": "object", "required": ["id", "award_id", "private"], "properties": {
        "id": {"type": "integer"}, "award_id": {"type": "integer"}, "private": {"type": "boolean"},
        "supplier": {"type": "object", "nullable": True}, "text": {"type": "string"},
        "answer": {"type": "string", "nullable": True}, "complaint_detail": ref("AwardComplaint")}}]})
OPENAPI.schema("AwardText", {"type": "object", "required": ["text"], "properties": {
    "text": {"type": "string", "minLength": challenges.TEXT_MIN, "maxLength": challenges.TEXT_MAX}}})
OPENAPI.schema("AwardComplaintDecision", {"type": "object", "required": ["outcome", "reason"], "properties": {
    "outcome": {"type": "string", "enum": sorted(DECISIONS)},
    "reason": {"type": "string", "minLength": challenges.TEXT_MIN, "maxLength": challenges.TEXT_MAX}}})
CHALLENGE_BODY = {"type": "object", "required": ["challenge"], "properties": {"challenge": ref("AwardChallenge")}}
NOT_FOUND = {"404": error("No such award, challenge or complaint (or not visible to you)")}


def _challenge_body(viewer, challenge_id) -> dict:
    found = db.session.get(Challenge, int(challenge_id))
    return {"challenge": challenge_json(viewer, found)}


@api_bp.get("/awards/<int:award_id>/challenges")
@api_auth(public=True)
def award_challenges(award_id):
    found = services.get_award(award_id)
    if found is not None:
        services.catch_up(found)
    award = services.visible_award(g.api_user, award_id)
    return jsonify({"award_id": award.id, "challenge_until": time(award.challenge_until),
                    "challenges": [challenge_json(g.api_user, c) for c in reading.challenges_of(award.id)]})


OPENAPI.spec("/awards/{award_id}/challenges", "get", {
    "summary": "The award's challenges: number, dates and status for everyone; text, answer and complaint for the "
               "challenger, the centre, the finance office and platform staff", "tags": TAG,
    "parameters": path_id("award_id"), "security": [{}, {"bearer": []}],
    "responses": responses("The challenges", forbidden=False, schema={
        "type": "object", "required": ["award_id", "challenges"], "properties": {
            "award_id": {"type": "integer"}, "challenge_until": TIME,
            "challenges": {"type": "array", "items": ref("AwardChallenge")}}})})


@api_bp.post("/awards/<int:award_id>/challenges")
@api_auth()
def lodge(award_id):
    body = json_body()
    challenge = challenges.lodge(g.api_user, award_id, body.get("text"))
    return jsonify(_challenge_body(g.api_user, challenge.id)), 201


OPENAPI.spec("/awards/{award_id}/challenges", "post", {
    "summary": "Challenge the award (a firm that bid on the lot, within the challenge window from the notice)",
    "tags": TAG, "parameters": path_id("award_id"), "requestBody": body_ref("AwardText"),
    "responses": responses("The challenge", status="201", schema=CHALLENGE_BODY,
                           conflict="The challenge window has ended (the message names its end in China time), or "
                                    "the award cannot be challenged now")})


@api_bp.get("/award-challenges/<int:challenge_id>")
@api_auth()
def challenge(challenge_id):
    found = db.session.get(Challenge, challenge_id)
    if found is not None:
        services.catch_up(found.award)
    return jsonify({"challenge": challenge_json(g.api_user, challenges._challenge(g.api_user, challenge_id,
                                                                                  lock=False))})


OPENAPI.spec("/award-challenges/{challenge_id}", "get", {
    "summary": "One challenge with its answer and complaint (the challenger, the centre, the finance office, "
               "platform staff)", "tags": TAG, "parameters": path_id("challenge_id"),
    "responses": responses("The challenge", forbidden=False, schema=CHALLENGE_BODY)})


def _post(path, param, summary, body_schema, call, *, created=False, conflict=None):
    def view(**kwargs):
        body = json_body() if body_schema else {}
        challenge_id = call(g.api_user, kwargs[param], body)
        return jsonify(_challenge_body(g.api_user, challenge_id)), 201 if created else 200

    base = "award-challenges" if param == "challenge_id" else "award-complaints"
    view.__name__ = f"{base.replace('-', '_')}_{path}"
    api_bp.add_url_rule(f"/{base}/<int:{param}>/{path}", view_func=api_auth()(view), methods=["POST"])
    spec = {"summary": summary, "tags": TAG, "parameters": path_id(param),
            "responses": {**responses("The challenge", status="201" if created else "200", schema=CHALLENGE_BODY,
                                      conflict=conflict), **NOT_FOUND}}
    if body_schema:
        spec["requestBody"] = body_ref(body_schema)
    OPENAPI.spec(f"/{base}/{{{param}}}/{path}", "post", spec)


_post("answer", "challenge_id", "Answer a challenge (the tender's centre)", "AwardText",
      lambda u, i, b: challenges.answer(u, i, b.get("text")).id, conflict="Already answered or withdrawn")
_post("withdraw", "challenge_id", "Withdraw your firm's challenge (before its answer)", None,
      lambda u, i, b: challenges.withdraw_challenge(u, i).id, conflict="Already answered or withdrawn")
_post("complaint", "challenge_id", "Complain to the finance office of the tender's city about the answer (or the "
      "missing answer), within the complaint window", "AwardText",
      lambda u, i, b: challenges.complain(u, i, b.get("text")).challenge_id, created=True,
      conflict="Not answered and not overdue yet, the complaint window has ended, or a complaint was lodged")
_post("decide", "complaint_id", "Decide a complaint (the finance office of the tender's city): upheld makes the "
      "award fail", "AwardComplaintDecision",
      lambda u, i, b: challenges.decide(u, i, b.get("outcome"), b.get("reason")).challenge_id,
      conflict="Already decided or withdrawn")
_post("withdraw", "complaint_id", "Withdraw your firm's complaint (before its decision)", None,
      lambda u, i, b: challenges.withdraw_complaint(u, i).challenge_id, conflict="Already decided or withdrawn")
