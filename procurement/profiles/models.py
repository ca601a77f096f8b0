"""`ProcedureProfile`: the numbers of one procurement method on one legal track, from a date."""

from __future__ import annotations

import datetime as dt
from typing import Optional

from sqlalchemy import BigInteger, CheckConstraint, Date, ForeignKey, Index, Integer, String, Text, event
from sqlalchemy.orm import Mapped, mapped_column, relationship

from core.extensions import db
from core.timeutil import UTCDateTime, utcnow
from procurement.constraints import one_of

PUBLIC_TENDER = "public_tender"
COMPETITIVE_NEGOTIATION = "competitive_negotiation"
COMPETITIVE_CONSULTATION = "competitive_consultation"
FRAMEWORK_AGREEMENT = "framework_agreement"
CALL_OFF = "call_off"
METHODS = (PUBLIC_TENDER, COMPETITIVE_NEGOTIATION, COMPETITIVE_CONSULTATION, FRAMEWORK_AGREEMENT, CALL_OFF)

#: Legal tracks: the Government Procurement Law (MOF Orders 87/94/110) for goods bought by
#: public bodies, and the Tendering and Bidding Law for goods bought as part of construction works.
GPL = "gpl"
TBL = "tbl"
TRACKS = (GPL, TBL)

#: The numbers a profile holds, in the order pages show them (all integers; see the columns).
RULE_FIELDS = (
    "min_tender_days", "doc_availability_working_days", "clarification_cutoff_days", "bond_cap_bp",
    "min_valid_bidders", "price_weight_floor_goods_bp", "price_weight_floor_services_bp",
    "award_confirm_working_days", "award_notice_working_days", "standstill_working_days",
    "challenge_working_days", "challenge_answer_working_days", "complaint_working_days",
    "complaint_decision_working_days",
    "contract_sign_days", "contract_publish_working_days", "bond_refund_working_days",
    "panel_min_size", "panel_large_size", "panel_large_budget_fen", "min_negotiation_rounds",
)


class ProcedureProfile(db.Model):
    """The rules of `method` on `track` in force from `effective_from` (nationally when
    `city_id` is NULL, else for that city). Immutable once written."""

    __tablename__ = "procedure_profiles"
    __table_args__ = (
        CheckConstraint(one_of("method", METHODS), name="method"),
        CheckConstraint(one_of("track", TRACKS), name="track"),
        CheckConstraint("min_tender_days >= 0 AND doc_availability_working_days >= 0 "
                        "AND clarification_cutoff_days >= 0", name="periods"),
        CheckConstraint("bond_cap_bp BETWEEN 0 AND 10000", name="bond_cap"),
        CheckConstraint("min_valid_bidders >= 1", name="min_bidders"),
        CheckConstraint("price_weight_floor_goods_bp BETWEEN 0 AND 10000 "
                        "AND price_weight_floor_services_bp BETWEEN 0 AND 10000", name="price_weights"),
        CheckConstraint("panel_min_size >= 1 AND panel_large_size >= panel_min_size", name="panel"),
        # One row per method, track, city and date (NULL city: the national default).
        Index("uq_procedure_profiles_national", "method", "track", "effective_from", unique=True,
              sqlite_where=db.text("city_id IS NULL"), postgresql_where=db.text("city_id IS NULL")),
        Index("uq_procedure_profiles_city", "method", "track", "city_id", "effective_from", unique=True,
              sqlite_where=db.text("city_id IS NOT NULL"), postgresql_where=db.text("city_id IS NOT NULL")),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    method: Mapped[str] = mapped_column(String(40))
    track: Mapped[str] = mapped_column(String(10))
    city_id: Mapped[Optional[int]] = mapped_column(ForeignKey("cities.id"), index=True)
    effective_from: Mapped[dt.date] = mapped_column(Date)
    legal_basis: Mapped[str] = mapped_column(String(300), default="")
    note: Mapped[str] = mapped_column(Text, default="")

    # Calendar days from publishing the documents to the bid deadline (public tender: 20).
    min_tender_days: Mapped[int] = mapped_column(Integer)
    # Working days the documents stay available from publication (5).
    doc_availability_working_days: Mapped[int] = mapped_column(Integer)
    # A clarification or amendment later than this many days before the deadline moves it (15).
    clarification_cutoff_days: Mapped[int] = mapped_column(Integer)
    # Bid bond cap as a share of the lot's budget, 1/100 % (2 % = 200).
    bond_cap_bp: Mapped[int] = mapped_column(Integer)
    # Fewer valid bids than this fails a lot (3).
    min_valid_bidders: Mapped[int] = mapped_column(Integer)
    # Comprehensive scoring: the least weight price may have, 1/100 % (goods 30 %, services 10 %).
    price_weight_floor_goods_bp: Mapped[int] = mapped_column(Integer)
    price_weight_floor_services_bp: Mapped[int] = mapped_column(Integer)
    # Award: winner confirmed within (5 wd), award notice shown for (1 wd), standstill (wd).
    award_confirm_working_days: Mapped[int] = mapped_column(Integer)
    award_notice_working_days: Mapped[int] = mapped_column(Integer)
    standstill_working_days: Mapped[int] = mapped_column(Integer)
    # Challenges: lodged within (7 wd), answered within (7 wd); complaint after the answer (15 wd).
    challenge_working_days: Mapped[int] = mapped_column(Integer)
    challenge_answer_working_days: Mapped[int] = mapped_column(Integer)
    complaint_working_days: Mapped[int] = mapped_column(Integer)
    # The finance office decides a complaint within (30 wd; migration 0019_awards adds the column).
    complaint_decision_working_days: Mapped[int] = mapped_column(Integer, default=30)
    # Contract signed within (30 days) of the award notice, published within (2 wd) of signing.
    contract_sign_days: Mapped[int] = mapped_column(Integer)
    contract_publish_working_days: Mapped[int] = mapped_column(Integer)
    # Bid bonds refunded within (5 wd) of the award notice (losers) or signing (winner).
    bond_refund_working_days: Mapped[int] = mapped_column(Integer)
    # Evaluation panel: at least (5, odd); (7) when the budget is at least (CNY 10 M).
    panel_min_size: Mapped[int] = mapped_column(Integer)
    panel_large_size: Mapped[int] = mapped_column(Integer)
    panel_large_budget_fen: Mapped[int] = mapped_column(BigInteger)
    # Negotiation procedures: rounds of improved offers before final offers (0 = none).
    min_negotiation_rounds: Mapped[int] = mapped_column(Integer, default=0)

    created_by_id: Mapped[Optional[int]] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)

    city = relationship("City")

    def rules(self) -> dict:
        """The numbers, by field name."""
        return {name: getattr(self, name) for name in RULE_FIELDS}

    def snapshot(self) -> dict:
        return {"id": self.id, "method": self.method, "track": self.track, "city_id": self.city_id,
                "effective_from": self.effective_from.isoformat(), **self.rules()}

    def __repr__(self):
        return f"<ProcedureProfile {self.method}/{self.track} city={self.city_id} from {self.effective_from}>"


class ImmutableProfile(Exception):
    """Raised when code tries to change a stored profile (a rule change is a new dated row)."""


@event.listens_for(ProcedureProfile, "before_update")
def _refuse_edits(_mapper, _connection, target):  # part of the model: rows are append-only
    raise ImmutableProfile(f"procedure profile {target.id} is immutable; add a row with a later effective date")
