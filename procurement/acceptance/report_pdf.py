"""The loop-closure report as a PDF (reportlab), in the reader's language.

Chinese text uses reportlab's built-in CID font ``STSong-Light`` (Adobe's Asian font pack names
it; PDF readers supply the glyphs), so no font file ships with the platform. The figures are the
ones of `report.closure_report`, the same as the page and the API.
"""

from __future__ import annotations

import io

from flask_babel import gettext as _
from flask_babel import ngettext

from core.money import format_fen
from core.timeutil import china_time
from procurement.quantities import format_bp, format_quantity

FONT = "STSong-Light"


def _font() -> str:
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.cidfonts import UnicodeCIDFont

    if FONT not in pdfmetrics.getRegisteredFontNames():
        pdfmetrics.registerFont(UnicodeCIDFont(FONT))
    return FONT


def _fen(value) -> str:
    return "—" if value is None else format_fen(value)


def _pct(bp) -> str:
    return "—" if bp is None else f"{format_bp(bp)} %"


def render_pdf(project, report: dict) -> bytes:
    """The report as PDF bytes."""
    from xml.sax.saxutils import escape

    from reportlab.lib import colors
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.lib.units import cm
    from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

    font = _font()
    body = ParagraphStyle("body", fontName=font, fontSize=9.5, leading=13, wordWrap="CJK")
    small = ParagraphStyle("small", parent=body, fontSize=7.5, leading=10)
    h1 = ParagraphStyle("h1", parent=body, fontSize=15, leading=20, spaceAfter=6)
    h2 = ParagraphStyle("h2", parent=body, fontSize=11.5, leading=16, spaceBefore=8, spaceAfter=3)

    def p(text, style=body):
        return Paragraph(escape(str(text)), style)

    def table(rows, widths=None):
        t = Table([[p(c) if not isinstance(c, Paragraph) else c for c in row] for row in rows], colWidths=widths,
                  hAlign="LEFT")
        t.setStyle(TableStyle([("GRID", (0, 0), (-1, -1), 0.25, colors.grey), ("VALIGN", (0, 0), (-1, -1), "TOP"),
                               ("BACKGROUND", (0, 0), (-1, 0), colors.whitesmoke)]))
        return t

    m, gr, c, ins, chain = report["money"], report["green"], report["carbon"], report["inspections"], report["chain"]
    story = [p(f"{_('Loop-closure report')}: {project.code} {project.name}", h1),
             p(f"{report['project']['purchaser']} · {report['project']['city']} · {report['project']['edition']}")]
    if not report["final"]:
        story.append(p(_("Provisional: the project is not closed yet.")))
    story += [p(_("Budget, orders and payments"), h2), table([
        [_("Approved budget"), _fen(m["budget_fen"])],
        [_("Bill of materials estimate"), _fen(m["estimate_fen"])],
        [_("Ordered"), _fen(m["ordered_fen"])],
        [_("Saving against the budget"), f"{_fen(m['saving_vs_budget_fen'])} ({_pct(m['saving_vs_budget_bp'])})"],
        [_("Saving against the lot ceilings"),
         f"{_fen(m['saving_vs_ceiling_fen'])} ({_pct(m['saving_vs_ceiling_bp'])})"],
        [_("Due for the accepted quantities"), _fen(m["due_fen"])],
        [_("Settled (paid and retained)"),
         f"{_fen(m['settled_fen'])} = {_fen(m['paid_fen'])} + {_fen(m['retention_fen'])} {_('retention')}"],
    ], widths=[6 * cm, 11 * cm])]
    if m["orders"]:
        story.append(Spacer(1, 4))
        story.append(table([[_("Order"), _("Supplier"), _("Amount"), _("Retention"), _("Paid")]] + [
            [o["reference"], o["supplier"], _fen(o["amount_fen"]), _fen(o["retention_fen"]), _fen(o["paid_fen"])]
            for o in m["orders"]], widths=[3.5 * cm, 5.5 * cm, 2.7 * cm, 2.7 * cm, 2.7 * cm]))
    story += [p(_("Green share achieved"), h2),
              p(_("Mandatory lines green: %(g)s of %(n)s.", g=gr["mandatory_green"], n=gr["mandatory_lines"])
                + " " + (_("met") if gr["mandatory_ok"] else _("not met"))),
              p(_("Optional material kinds green: %(g)s of %(n)s (at least %(r)s required, %(share)s).",
                  g=gr["optional_green"], n=gr["optional_kinds"], r=gr["optional_required"],
                  share=gr["optional_required_share"]) + " " + (_("met") if gr["optional_ok"] else _("not met"))),
              p(_("Embodied carbon"), h2),
              p(_("Delivered: %(kg)s kg CO2e; at the category medians: %(median)s kg CO2e; difference %(saving)s kg "
                  "CO2e.", kg=f"{c['kg']:,.1f}", median=f"{c['median_kg']:,.1f}", saving=f"{c['saving_kg']:,.1f}"))]
    if c["rows"]:
        story.append(table([[_("Line"), _("Product"), _("Quantity"), _("GWP per unit"), _("Category median"),
                             _("kg CO2e")]] + [
            [r["line_no"], r["sku"], f"{format_quantity(r['quantity_milli'])} {r['unit']}",
             "—" if r["gwp"] is None else r["gwp"], "—" if r["median"] is None else f"{r['median']:.2f}",
             "—" if r["kg"] is None else r["kg"]] for r in c["rows"]]))
    checklist = report["checklist"]
    story.append(p(_("Acceptance checklist"), h2))
    if checklist is None:
        story.append(p(_("No acceptance checklist has been generated.")))
    else:
        signed = f" · {checklist['signed_by']} · {china_time(checklist['signed_at'])}" if checklist["signed_at"] else ""
        story.append(p(_("%(p)s of %(n)s lines passed", p=checklist["passed"], n=checklist["lines"]) + signed))
    story += [p(_("Inspections and rectifications"), h2),
              p(_("Inspections: %(n)s; open rectifications: %(open)s; samples from deliveries: %(s)s.",
                  n=ins["inspections"], open=ins["open_rectifications"], s=len(ins["samples"]))),
              p(_("Record chain"), h2),
              p(ngettext("Record chain intact: %(num)s record.", "Record chain intact: %(num)s records.",
                         chain["count"])
                if chain["ok"] else _("Record chain BROKEN")),
              p(f"{_('Head hash')}: {chain['head_hash']}", small)]
    checkpoint = chain["checkpoint"]
    if checkpoint is None:
        story.append(p(_("No signed checkpoint has been written yet.")))
    else:
        doc = checkpoint["document"]
        story.append(p(_("The platform signed the head of its audit trail at %(time)s: event %(seq)s, hash %(hash)s.",
                         time=doc["checkpoint"]["created_at"], seq=doc["checkpoint"]["seq"],
                         hash=doc["checkpoint"]["head_hash"]), small))
        covers = checkpoint["covers"]
        if covers:
            story.append(p(_("It covers this project up to record #%(n)s (hash %(hash)s, audit event %(event)s), "
                             "and so every record before it.", n=covers["record_seq"], hash=covers["record_hash"],
                             event=covers["audit_event_seq"]), small))
        story.append(p(f"Ed25519 · {doc['public_key']} · {doc['signature']}", small))
    out = io.BytesIO()
    SimpleDocTemplate(out, pagesize=A4, leftMargin=1.6 * cm, rightMargin=1.6 * cm, topMargin=1.5 * cm,
                      bottomMargin=1.5 * cm, title=f"{project.code} loop-closure report").build(story)
    return out.getvalue()
