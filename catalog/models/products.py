"""Products a supplier lists, with their evidence: indicator values, certificates,
test reports, documents, carbon declarations, and the stored per-city verdicts.

Lifecycle (`Product.status`): the transition table in `catalog.product_states`.
"""
from __future__ import annotations

import datetime as dt
from typing import Optional

from sqlalchemy import (
    JSON,
    BigInteger,
    CheckConstraint,
    Date,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from core.documents import Document
from core.extensions import db
from core.timeutil import UTCDateTime, utcnow

from catalog.product_states import CERTIFICATE_STATUSES, PRODUCT_STATUSES

DOCUMENT_KINDS = ("certificate", "test_report", "other")
VERDICTS = ("pass", "fail", "incomplete")


def _in(column, values):
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


class Product(db.Model):
    """A supplier's product (one SKU)."""

    __tablename__ = "products"
    __table_args__ = (
        UniqueConstraint("supplier_id", "sku", name="uq_products_supplier_sku"),
        CheckConstraint("list_price_fen >= 0", name="price_nonnegative"),
        CheckConstraint(_in("status", PRODUCT_STATUSES), name="status"),
        Index("ix_products_category_status", "category_id", "status"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    supplier_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    sku: Mapped[str] = mapped_column(String(64))
    name_zh: Mapped[str] = mapped_column(String(200), default="")
    name_en: Mapped[str] = mapped_column(String(200), default="")
    category_id: Mapped[int] = mapped_column(ForeignKey("categories.id"))
    brand: Mapped[str] = mapped_column(String(120), default="")
    model_spec: Mapped[str] = mapped_column(String(200), default="")
    unit: Mapped[str] = mapped_column(String(32), default="")
    list_price_fen: Mapped[int] = mapped_column(BigInteger, default=0)
    manufacturer: Mapped[str] = mapped_column(String(200), default="")
    plant: Mapped[str] = mapped_column(String(200), default="")
    description: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[str] = mapped_column(String(16), default="draft", index=True)
    suspended_reason: Mapped[Optional[str]] = mapped_column(String(500))
    # "certificate" (automatic: expiry or revocation) or "review" (a reviewer's decision).
    suspension_kind: Mapped[Optional[str]] = mapped_column(String(16))
    review_note: Mapped[Optional[str]] = mapped_column(String(500))
    submitted_at: Mapped[Optional[dt.datetime]] = mapped_column(UTCDateTime)
    verified_at: Mapped[Optional[dt.datetime]] = mapped_column(UTCDateTime)
    listed_at: Mapped[Optional[dt.datetime]] = mapped_column(UTCDateTime)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    # Bulk import: digest of the file row last imported into this product, and `updated_at` as
    # that import left it. A re-imported row with the same digest is skipped while `updated_at`
    # still equals `imported_at` (any other change of the product moves `updated_at`).
    import_digest: Mapped[Optional[str]] = mapped_column(String(32))
    imported_at: Mapped[Optional[dt.datetime]] = mapped_column(UTCDateTime)

    supplier = relationship("Organisation", lazy="joined")
    category = relationship("Category", lazy="joined")
    indicator_values: Mapped[list["ProductIndicatorValue"]] = relationship(
        back_populates="product", cascade="all, delete-orphan", order_by="ProductIndicatorValue.key"
    )
    certificates: Mapped[list["Certificate"]] = relationship(
        back_populates="product", cascade="all, delete-orphan", order_by="Certificate.expires_on.desc()"
    )
    test_reports: Mapped[list["TestReport"]] = relationship(
        back_populates="product", cascade="all, delete-orphan", order_by="TestReport.issued_on.desc()"
    )
    carbon_declarations: Mapped[list["CarbonDeclaration"]] = relationship(
        back_populates="product", cascade="all, delete-orphan", order_by="CarbonDeclaration.id.desc()"
    )
    verdicts: Mapped[list["ProductVerdict"]] = relationship(back_populates="product", cascade="all, delete-orphan")
    document_links: Mapped[list["ProductDocument"]] = relationship(
        back_populates="product", cascade="all, delete-orphan"
    )

    @property
    def name(self) -> str:
        return self.name_en or self.name_zh

    def indicator_dict(self) -> dict:
        """Declared values as `{key: (value, unit)}`, value numeric when it is a number."""
        return {
            iv.key: (iv.value_num if iv.value_num is not None else iv.value_text, iv.unit)
            for iv in self.indicator_values
        }

    def current_carbon(self) -> Optional["CarbonDeclaration"]:
        return self.carbon_declarations[0] if self.carbon_declarations else None

    def snapshot(self) -> dict:
        """Plain-data view for audit records."""
        return {
            "sku": self.sku,
            "name_zh": self.name_zh,
            "name_en": self.name_en,
            "category_id": self.category_id,
            "brand": self.brand,
            "model_spec": self.model_spec,
            "unit": self.unit,
            "list_price_fen": self.list_price_fen,
            "manufacturer": self.manufacturer,
            "plant": self.plant,
            "status": self.status,
            "suspended_reason": self.suspended_reason,
            "indicators": {iv.key: [iv.value_num if iv.value_num is not None else iv.value_text, iv.unit]
                           for iv in self.indicator_values},
        }

    def __repr__(self):
        return f"<Product {self.id} {self.sku!r} {self.status}>"


class ProductIndicatorValue(db.Model):
    """One declared indicator value; numeric values in `value_num`, others in `value_text`."""

    __tablename__ = "product_indicator_values"
    __table_args__ = (UniqueConstraint("product_id", "key", name="uq_product_indicator_values_product_key"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    product_id: Mapped[int] = mapped_column(ForeignKey("products.id", ondelete="CASCADE"))
    key: Mapped[str] = mapped_column(String(64))
    value_num: Mapped[Optional[float]] = mapped_column(Float)
    value_text: Mapped[Optional[str]] = mapped_column(String(200))
    unit: Mapped[str] = mapped_column(String(32), default="")

    product: Mapped[Product] = relationship(back_populates="indicator_values")

    @property
    def value(self):
        return self.value_num if self.value_num is not None else self.value_text


class ProductDocument(db.Model):
    """Links a document to a product, saying what it is and what its uploader called it (the
    stored `Document` is shared by everyone who uploaded the same bytes)."""

    __tablename__ = "product_documents"
    __table_args__ = (
        UniqueConstraint("product_id", "document_id", name="uq_product_documents_product_document"),
        CheckConstraint(_in("kind", DOCUMENT_KINDS), name="kind"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    product_id: Mapped[int] = mapped_column(ForeignKey("products.id", ondelete="CASCADE"), index=True)
    document_id: Mapped[int] = mapped_column(ForeignKey("documents.id"), index=True)
    kind: Mapped[str] = mapped_column(String(16), default="other")
    display_name: Mapped[str] = mapped_column(String(255), default="")
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)

    product: Mapped[Product] = relationship(back_populates="document_links")
    document: Mapped[Document] = relationship(lazy="joined")

    @property
    def name(self) -> str:
        """The name to show and to download under (never another uploader's)."""
        return self.display_name or f"{self.kind}-{self.document.sha256[:12]}"


class Certificate(db.Model):
    """A green building material product certificate (1-3 stars, valid for a period)."""

    __tablename__ = "certificates"
    __table_args__ = (
        CheckConstraint("star_grade >= 1 AND star_grade <= 3", name="star_grade"),
        CheckConstraint("expires_on > issued_on", name="expiry_after_issue"),
        CheckConstraint(_in("status", CERTIFICATE_STATUSES), name="status"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    product_id: Mapped[int] = mapped_column(ForeignKey("products.id", ondelete="CASCADE"), index=True)
    number: Mapped[str] = mapped_column(String(64), index=True)
    body: Mapped[str] = mapped_column(String(200), default="")
    star_grade: Mapped[int] = mapped_column(Integer)
    standard: Mapped[str] = mapped_column(String(200), default="")
    issued_on: Mapped[dt.date] = mapped_column(Date)
    expires_on: Mapped[dt.date] = mapped_column(Date, index=True)
    status: Mapped[str] = mapped_column(String(16), default="valid")
    changed_on: Mapped[Optional[dt.date]] = mapped_column(Date)
    document_id: Mapped[Optional[int]] = mapped_column(ForeignKey("documents.id"))
    # The expiry date the supplier was last warned about (the daily job warns once per date).
    expiry_notice_for: Mapped[Optional[dt.date]] = mapped_column(Date)

    product: Mapped[Product] = relationship(back_populates="certificates")
    document = relationship("Document")

    def effective_status(self, today: dt.date) -> str:
        """`expired` once past the expiry date even before the nightly job has run."""
        if self.status == "valid" and self.expires_on < today:
            return "expired"
        return self.status

    def is_valid_on(self, today: dt.date) -> bool:
        return self.effective_status(today) == "valid"


class TestReport(db.Model):
    """A third-party test report covering some indicators (by key)."""

    __tablename__ = "test_reports"
    __test__ = False  # not a pytest class

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    product_id: Mapped[int] = mapped_column(ForeignKey("products.id", ondelete="CASCADE"), index=True)
    number: Mapped[str] = mapped_column(String(64))
    lab: Mapped[str] = mapped_column(String(200), default="")
    issued_on: Mapped[dt.date] = mapped_column(Date)
    covers: Mapped[list] = mapped_column(JSON, default=list)
    document_id: Mapped[Optional[int]] = mapped_column(ForeignKey("documents.id"))

    product: Mapped[Product] = relationship(back_populates="test_reports")
    document = relationship("Document")


class CarbonDeclaration(db.Model):
    """Embodied carbon (openEPD style): GWP A1-A3 in kg CO2e per declared unit."""

    __tablename__ = "carbon_declarations"
    __table_args__ = (CheckConstraint("gwp_a1a3 >= 0", name="gwp_nonnegative"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    product_id: Mapped[int] = mapped_column(ForeignKey("products.id", ondelete="CASCADE"), index=True)
    declared_unit: Mapped[str] = mapped_column(String(32))
    gwp_a1a3: Mapped[float] = mapped_column(Float)
    valid_until: Mapped[Optional[dt.date]] = mapped_column(Date)
    program_operator: Mapped[str] = mapped_column(String(200), default="")
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)

    product: Mapped[Product] = relationship(back_populates="carbon_declarations")


class VerdictDetail(db.Model):
    """The engine's per-indicator results of a verdict, stored once per distinct value (many
    products and cities share the same details) and referenced from `ProductVerdict` by digest
    (`catalog.services.verdicts.details_digest`)."""

    __tablename__ = "verdict_details"

    digest: Mapped[str] = mapped_column(String(32), primary_key=True)
    details: Mapped[dict] = mapped_column(JSON)


class ProductVerdict(db.Model):
    """Stored outcome of the compliance engine for one product in one city."""

    __tablename__ = "product_verdicts"
    __table_args__ = (
        UniqueConstraint("product_id", "city_id", name="uq_product_verdicts_product_city"),
        CheckConstraint(_in("verdict", VERDICTS), name="verdict"),
        Index("ix_product_verdicts_city_verdict", "city_id", "verdict"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    product_id: Mapped[int] = mapped_column(ForeignKey("products.id", ondelete="CASCADE"))
    city_id: Mapped[int] = mapped_column(ForeignKey("cities.id"))
    standard_version_id: Mapped[Optional[int]] = mapped_column(ForeignKey("standard_versions.id"))
    verdict: Mapped[str] = mapped_column(String(16))
    # The per-indicator results live in `verdict_details` (shared); lists and imports need only
    # the verdict, the product page loads the details.
    details_digest: Mapped[Optional[str]] = mapped_column(ForeignKey("verdict_details.digest"))
    evaluated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)

    product: Mapped[Product] = relationship(back_populates="verdicts")
    city = relationship("City", lazy="joined")
    detail: Mapped[Optional[VerdictDetail]] = relationship(lazy="select")

    @property
    def details(self) -> dict:
        """The engine's results (`compliance.Evaluation.to_dict()`); {} when none are stored."""
        if self.details_digest is None:
            return {}
        found = self.detail
        if found is None or found.digest != self.details_digest:
            found = db.session.get(VerdictDetail, self.details_digest)
        return found.details if found is not None else {}

    @details.setter
    def details(self, value: dict) -> None:
        from catalog.services.verdicts import store_details

        self.details_digest = store_details(value) if value else None
