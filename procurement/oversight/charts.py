"""The dashboard's charts: one `Chart` (labels and series) gives the server-rendered SVG (pygal,
no script: the chart works without JavaScript), the data table shown next to it and the CSV and
XLSX downloads, so the picture and the numbers cannot disagree.

The SVG carries a <title> and a <desc> (role="img"); pygal styles it with a <style> element,
so the page shows it as an image (`<img>`, whose styles never reach the page and which browsers
never let run script) served with its own strict Content-Security-Policy (`SVG_CSP`: no script at
all, sandboxed when opened directly)."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass

import pygal
from pygal.etree import (
    etree as pygal_etree,  # lxml when installed, else xml.etree: the tree's own module
)
from pygal.style import Style

from core.money import format_fen

SVG_NS = "http://www.w3.org/2000/svg"
# The chart's own styles and nothing else; `sandbox`: opened on its own (the SVG download link),
# the document gets a unique origin and runs nothing. See docs/oversight.md, "Why charts are images".
SVG_CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data:; sandbox"
STYLE = Style(background="white", plot_background="white", foreground="#212529", foreground_strong="#212529",
              foreground_subtle="#6c757d", colors=("#1b6e3a", "#b35c00", "#3b5ba5", "#8fa89a", "#a52a2a"),
              font_family="sans-serif")


@dataclass
class Chart:
    """A chart's data. `unit`: "fen" (money, shown in yuan), "count" or "bp" (a share)."""

    key: str
    kind: str                       # "line" | "bar"
    title: str
    desc: str
    labels: list[str]
    series: list[tuple[str, list]]  # (name, values: int or None per label)
    unit: str = "count"
    label_title: str = ""

    def shown(self, value) -> str:
        """A value as the table shows it."""
        if value is None:
            return "–"
        if self.unit == "fen":
            return format_fen(value)
        if self.unit == "bp":
            return f"{value / 100:.1f} %"
        return f"{value:,}"

    def plain(self, value):
        """A value as the downloads carry it: yuan with two decimals, a percentage, a count."""
        if value is None:
            return ""
        if self.unit == "fen":
            return f"{value / 100:.2f}"
        if self.unit == "bp":
            return f"{value / 100:.2f}"
        return value

    def header(self) -> list[str]:
        return [self.label_title, *(name for name, _values in self.series)]

    def rows(self) -> list[list]:
        """One row per label: the label and each series' value (as numbers)."""
        return [[label, *(values[i] for _name, values in self.series)] for i, label in enumerate(self.labels)]


def _scaled(chart: Chart, value):
    if value is None:
        return None
    return value / 100 if chart.unit in ("fen", "bp") else value


def svg(chart: Chart) -> bytes:
    """The chart as a standalone SVG document (UTF-8), without any script."""
    cls = pygal.Line if chart.kind == "line" else pygal.Bar
    graph = cls(style=STYLE, js=[], title=chart.title, width=720, height=360, disable_xml_declaration=True,
                x_label_rotation=30 if len(chart.labels) > 8 else 0, show_minor_x_labels=len(chart.labels) <= 24,
                truncate_legend=40, print_values=False, value_formatter=lambda v: f"{v:,.0f}",
                legend_at_bottom=True, margin=12)
    graph.x_labels = chart.labels
    for name, values in chart.series:
        graph.add(name, [_scaled(chart, v) for v in values])
    root = graph.render_tree()
    for parent in list(root.iter()):
        for child in list(parent):
            if child.tag in ("script", f"{{{SVG_NS}}}script"):
                parent.remove(child)
    chart_id = f"chart-{chart.key}"
    root.set("role", "img")
    root.set("aria-labelledby", f"{chart_id}-title {chart_id}-desc")
    title = root.makeelement("title", {"id": f"{chart_id}-title"})
    title.text = chart.title
    desc = root.makeelement("desc", {"id": f"{chart_id}-desc"})
    desc.text = chart.desc
    root.insert(0, desc)
    root.insert(0, title)
    return pygal_etree.tostring(root, encoding="utf-8")


def neutralise(value):
    """A cell that a spreadsheet would run as a formula gets a leading apostrophe."""
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    return value


def csv_bytes(chart: Chart) -> bytes:
    """The chart's table as CSV (UTF-8 with a byte-order mark, for spreadsheet programs)."""
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\r\n")
    writer.writerow([neutralise(h) for h in chart.header()])
    for label, *values in chart.rows():
        writer.writerow([neutralise(label), *(chart.plain(v) for v in values)])
    return ("\ufeff" + buf.getvalue()).encode("utf-8")


def xlsx_bytes(chart: Chart) -> bytes:
    """The chart's table as an XLSX workbook (numbers as numbers)."""
    import openpyxl

    book = openpyxl.Workbook(write_only=True)
    sheet = book.create_sheet(title=chart.key[:31])
    sheet.append([neutralise(h) for h in chart.header()])
    for label, *values in chart.rows():
        cells = [chart.plain(v) for v in values]
        sheet.append([neutralise(label), *(float(c) if isinstance(c, str) and c else (None if c == "" else c)
                                           for c in cells)])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
