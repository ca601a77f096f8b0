"""The charts of a dashboard, built from its figures (titles and series names in the reader's
language): progress against the pro-rata line, savings, inspections, shares, by city, and embodied
carbon against the category medians (by month and by city)."""

from __future__ import annotations

from flask_babel import get_locale
from flask_babel import gettext as _

from procurement.oversight.charts import Chart
from procurement.oversight.dashboard import SHARES, Dashboard, progress_line

CHART_KEYS = ("progress", "savings", "inspections", "shares", "cities", "carbon", "carbon_cities")


def _name(city) -> str:
    zh = str(get_locale() or "").startswith("zh")
    return (city.name_zh or city.name_en) if zh else (city.name_en or city.name_zh)


def _month(m) -> str:
    return m.strftime("%Y-%m")


def _scope_name(board: Dashboard) -> str:
    if len(board.cities) == 1:
        return _name(board.cities[0])
    return _("all cities")


def progress(board: Dashboard) -> Chart:
    months, cumulative, line = progress_line(board)
    desc = _("Green-material procurement ordered in %(year)s, cumulative by month: %(amount)s yuan by %(month)s.",
             year=board.period.end.year, amount=f"{(cumulative[-1] if cumulative else 0) / 100:,.0f}",
             month=_month(board.period.end))
    return Chart("progress", "line", _("Progress against the pro-rata target (%(scope)s)", scope=_scope_name(board)),
                 desc, [_month(m) for m in months],
                 [(_("Ordered, cumulative"), cumulative), (_("Pro-rata target line"), line)], unit="fen",
                 label_title=_("Month"))


def savings(board: Dashboard) -> Chart:
    ceilings = board.series.get("awarded_ceiling_fen", [0] * len(board.period.months))
    awarded = board.series.get("awarded_fen", [0] * len(board.period.months))
    desc = _("Awarded lots: ceilings %(ceilings)s yuan, awarded %(awarded)s yuan, savings %(savings)s yuan.",
             ceilings=f"{sum(ceilings) / 100:,.0f}", awarded=f"{sum(awarded) / 100:,.0f}",
             savings=f"{board.savings_fen / 100:,.0f}")
    return Chart("savings", "bar", _("Savings: ceilings against awarded prices"), desc,
                 [_month(m) for m in board.period.months],
                 [(_("Ceilings"), ceilings), (_("Awarded"), awarded),
                  (_("Savings"), [c - a for c, a in zip(ceilings, awarded)])], unit="fen", label_title=_("Month"))


def inspections(board: Dashboard) -> Chart:
    names = [("inspections", _("Inspections recorded")), ("inspections_failed", _("Not compliant")),
             ("rectifications", _("Rectifications issued")), ("rectifications_closed", _("Rectifications closed")),
             ("publications_overdue", _("Publications overdue"))]
    rate = board.rectification_rate_bp
    desc = _("Inspections %(n)s, rectifications issued %(issued)s, closed %(closed)s (rate %(rate)s), "
             "publications overdue %(overdue)s.", n=board.total("inspections"), issued=board.total("rectifications"),
             closed=board.total("rectifications_closed"), rate="–" if rate is None else f"{rate / 100:.1f} %",
             overdue=board.total("publications_overdue"))
    zeros = [0] * len(board.period.months)
    return Chart("inspections", "bar", _("Inspections and rectifications"), desc,
                 [_month(m) for m in board.period.months],
                 [(label, board.series.get(metric, zeros)) for metric, label in names], label_title=_("Month"))


def share_label(code: str) -> str:
    return {"coverage": _("Eligible projects covered"), "green_share": _("Green share of materials"),
            "batch_share": _("Batch-procured share"), "prefab_share": _("Prefabricated share")}[code]


def shares(board: Dashboard) -> Chart:
    totals: dict[str, int] = {}
    for s in board.standings:
        for metric, value in s.totals.items():
            totals[metric] = totals.get(metric, 0) + value
    actual = [None if not totals.get(den) else round(totals.get(num, 0) * 10000 / totals[den])
              for num, den, _col in SHARES.values()]
    with_target = [s.target for s in board.standings if s.target is not None]
    target = ([getattr(with_target[0], col) for _n, _d, col in SHARES.values()]
              if len(board.standings) == 1 and with_target else [None] * len(SHARES))
    desc = "; ".join(f"{share_label(code)} {'–' if a is None else f'{a / 100:.1f} %'}"
                     for code, a in zip(SHARES, actual))
    return Chart("shares", "bar", _("Shares in %(year)s to date", year=board.period.end.year), desc,
                 [share_label(code) for code in SHARES], [(_("Actual"), actual), (_("Target"), target)], unit="bp",
                 label_title=_("Figure"))


def cities(board: Dashboard) -> Chart:
    rows = board.standings
    desc = _("%(n)s cities; %(lagging)s lagging.", n=len(rows), lagging=sum(1 for s in rows if s.lagging))
    return Chart("cities", "bar", _("Ordered in %(year)s to date, by city", year=board.period.end.year), desc,
                 [_name(s.city) for s in rows],
                 [(_("Ordered"), [s.amount_fen for s in rows]), (_("Pro-rata target"), [s.pro_rata_fen for s in rows])],
                 unit="fen", label_title=_("City"))


def _carbon_desc(kg: int, median_kg: int, undeclared: int) -> str:
    saving = None if not median_kg else round((median_kg - kg) * 10000 / median_kg)
    return _("Accepted deliveries: %(kg)s kg CO2e against %(median)s kg CO2e at the category medians "
             "(saving %(saving)s); %(undeclared)s deliveries without a comparable declaration.",
             kg=f"{kg:,}", median=f"{median_kg:,}", saving="–" if saving is None else f"{saving / 100:.1f} %",
             undeclared=f"{undeclared:,}")


def carbon(board: Dashboard) -> Chart:
    zeros = [0] * len(board.period.months)
    desc = _carbon_desc(board.total("carbon_kg"), board.total("carbon_median_kg"), board.total("carbon_undeclared"))
    return Chart("carbon", "bar", _("Embodied carbon of delivered green materials against the category medians"),
                 desc, [_month(m) for m in board.period.months],
                 [(_("Delivered (kg CO2e)"), board.series.get("carbon_kg", zeros)),
                  (_("At the category medians (kg CO2e)"), board.series.get("carbon_median_kg", zeros)),
                  (_("Deliveries without a declaration"), board.series.get("carbon_undeclared", zeros))],
                 label_title=_("Month"))


def carbon_cities(board: Dashboard) -> Chart:
    rows = board.standings
    total = {m: sum(s.totals.get(m, 0) for s in rows) for m in ("carbon_kg", "carbon_median_kg", "carbon_undeclared")}
    desc = _carbon_desc(total["carbon_kg"], total["carbon_median_kg"], total["carbon_undeclared"])
    return Chart("carbon_cities", "bar", _("Embodied carbon in %(year)s to date, by city", year=board.period.end.year),
                 desc, [_name(s.city) for s in rows],
                 [(_("Delivered (kg CO2e)"), [s.totals.get("carbon_kg", 0) for s in rows]),
                  (_("At the category medians (kg CO2e)"), [s.totals.get("carbon_median_kg", 0) for s in rows])],
                 label_title=_("City"))


BUILDERS = {"progress": progress, "savings": savings, "inspections": inspections, "shares": shares, "cities": cities,
            "carbon": carbon, "carbon_cities": carbon_cities}


def all_charts(board: Dashboard) -> list[Chart]:
    """Every chart of the dashboard, in page order."""
    return [BUILDERS[key](board) for key in CHART_KEYS]
