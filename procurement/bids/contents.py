"""What a bid says, checked before it is sealed: the client's request id, the product (the firm's
own, listed, of the lot's category, passing in the city, meeting the lot's requirements), the
prices, the technical documents; or an envelope the client sealed itself."""


from __future__ import annotations

import base64
import binascii
import re

import catalog.interface as catalog
from core.errors import ValidationError
from core.i18n import N_
from procurement.bids import sealing
from core.validation import Errors, integer

MAX_DOCUMENTS = 5
MAX_DOCUMENT_BYTES = 2 * 1024 * 1024
MAX_ENVELOPE_BYTES = 12 * 1024 * 1024
MAX_PRICE_FEN = 10**13
IDEMPOTENCY_RE = re.compile(r"^[A-Za-z0-9._:-]{8,80}$")
SHA256_RE = re.compile(r"^[0-9a-f]{64}$")




def clean_idempotency_key(value) -> str:
    if not isinstance(value, str) or not IDEMPOTENCY_RE.match(value.strip()):
        raise ValidationError(N_("Please correct the marked fields."), {"idempotency_key": N_(
            "Send a client request id (Idempotency-Key) of 8 to 80 letters, digits or . _ : -, new for each "
            "submission.")})
    return value.strip()


def _decode_b64(value, field_name: str, errors: Errors, limit: int) -> bytes | None:
    if not isinstance(value, str) or not value:
        errors.add(field_name, N_("Must be base64 text."))
        return None
    if len(value) > limit * 4 // 3 + 8:
        errors.add(field_name, N_("Too large: at most %(n)s bytes."), n=limit)
        return None
    try:
        return base64.b64decode(value.encode("ascii"), validate=True)
    except (binascii.Error, ValueError, UnicodeEncodeError):
        errors.add(field_name, N_("Must be base64 text."))
        return None


def clean_documents(raw, errors: Errors) -> list[dict]:
    """Technical documents as ``[{"name", "content" (base64)}]`` or ``[(name, bytes)]`` (forms):
    at most `MAX_DOCUMENTS`, each at most `MAX_DOCUMENT_BYTES`. Sealed into the envelope with
    their SHA-256; never stored in clear."""
    if raw in (None, ""):
        return []
    if not isinstance(raw, list):
        errors.add("documents", N_("Must be a list."))
        return []
    if len(raw) > MAX_DOCUMENTS:
        errors.add("documents", N_("At most %(n)s documents."), n=MAX_DOCUMENTS)
        return []
    out = []
    for item in raw:
        if isinstance(item, tuple):
            name, content = item
        elif isinstance(item, dict):
            name = item.get("name")
            content = _decode_b64(item.get("content"), "documents", errors, MAX_DOCUMENT_BYTES)
            if content is None:
                return []
        else:
            errors.add("documents", N_("Each document needs a name and a content."))
            return []
        if not isinstance(name, str) or not name.strip() or len(name) > 200:
            errors.add("documents", N_("Each document needs a name of at most 200 characters."))
            return []
        if len(content) > MAX_DOCUMENT_BYTES:
            errors.add("documents", N_("Too large: at most %(n)s bytes."), n=MAX_DOCUMENT_BYTES)
            return []
        out.append({"name": name.strip(), "sha256": sealing.sha256_hex(content),
                    "content": base64.b64encode(content).decode("ascii")})
    return out


def expected_total(unit_price_fen: int, quantity_milli: int) -> int:
    """Unit price x the lot's quantity, rounded half up to the fen."""
    return (unit_price_fen * quantity_milli + 500) // 1000


def _check_product(actor, tender, lot, product_id: int, errors: Errors) -> None:
    """The product is the bidder's own, listed, of the lot's category, passing in the tender's
    city and meeting the lot's requirements."""
    from procurement.tendering.lots import rule_from_dict

    requirements = lot.requirements or []
    # The lean lookup: plain columns, the declared values only when the lot has requirements.
    facts = catalog.bid_facts(product_id, tender.city_id, with_values=bool(requirements))
    if facts is None or facts["supplier_id"] != actor.organisation_id:
        errors.add("product_id", N_("No such product in your firm's catalogue."))
        return
    if facts["status"] != "listed":
        errors.add("product_id", N_("This product is not listed (status “%(status)s”): only listed products can be "
                                    "offered."), status=facts["status"])
        return
    if facts["category_id"] != lot.category_id:
        category = catalog.find_category(lot.category_id)
        errors.add("product_id", N_("This product is not of the lot's category (%(category)s)."),
                   category=category.name if category else lot.category_id)
        return
    passing = facts["verdict"] == catalog.PASS
    rules = [rule_from_dict(r) for r in requirements]
    if not passing or (rules and not catalog.meets(rules, facts["values"])):
        errors.add("product_id", N_("This product does not meet the lot's requirements (its verdict for the city "
                                    "or its declared values)."))


def checked_contents(actor, tender, lot, data: dict, errors: Errors, notes: list) -> dict | None:
    product_id = integer(data, "product_id", errors, minimum=1, maximum=2**31 - 1)
    unit_price = integer(data, "unit_price_fen", errors, minimum=1, maximum=MAX_PRICE_FEN)
    total = integer(data, "total_fen", errors, minimum=1, maximum=MAX_PRICE_FEN, required=False)
    documents = clean_documents(data.get("documents"), errors)
    if errors:
        return None
    _check_product(actor, tender, lot, product_id, errors)
    want = expected_total(unit_price, lot.quantity_milli)
    if total is None:
        total = want
    elif total != want:
        errors.add("total_fen", N_("The total must be the unit price times the lot's quantity: %(total)s fen."),
                   total=want)
    if errors:
        return None
    if total > lot.ceiling_fen:
        notes.append((N_("Your total is above the lot's ceiling price. The bid is accepted sealed and will be "
                         "screened at opening, where a bid above the ceiling is rejected."), {}))
    return {"tender": tender.reference, "lot": lot.id, "supplier_org": actor.organisation_id,
            "product_id": product_id, "unit_price_fen": unit_price, "total_fen": total, "documents": documents}


def client_envelope(data: dict, errors: Errors, notes: list) -> bytes | None:
    envelope = _decode_b64(data.get("envelope"), "envelope", errors, MAX_ENVELOPE_BYTES)
    if envelope is None:
        return None
    if len(envelope) > MAX_ENVELOPE_BYTES:
        errors.add("envelope", N_("Too large: at most %(n)s bytes."), n=MAX_ENVELOPE_BYTES)
        return None
    if not sealing.looks_sealed(envelope):
        errors.add("envelope", N_("This is not a sealed box: seal the bid's JSON to the tender's opening public key "
                                  "(X25519 sealed box)."))
        return None
    notes.append((N_("You sealed this bid yourself: the platform cannot read it, so the product's compliance, the "
                     "total and the ceiling price are checked at opening."), {}))
    return envelope


