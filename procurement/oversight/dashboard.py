"""The dashboard's query path: figures read from the monthly fact table only (two GROUP BY
queries whatever the size of the underlying records), the progress against the pro-rata target
line, savings, inspection figures, and the lagging rule.

Definitions (year to date: January to the period's last month of its year):
- green-material procurement amount: orders not cancelled (`ordered_fen`), against the target
  amount's pro-rata line (target x months elapsed / 12);
- share of eligible projects covered: projects registered with at least one order / projects
  registered;
- green share of materials: green-required bill-of-materials value / all of it;
- batch-procured share: ordered amount under agreements of pooled (batch) tenders / all orders;
- prefabricated share: ordered amount in prefabricated categories / all orders;
- savings: the awarded lots' ceilings minus the awarded totals;
- rectification rate: rectifications closed / issued.
A city lags when, from the rule's `lagging_from_month`, the amount is below `lagging_share_bp` of
its pro-rata line or a share is below `lagging_share_bp` of its target share.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

from sqlalchemy import func, select

from core.extensions import db
from core.models import City
from procurement.oversight.models import MonthlyFact
from procurement.oversight.period import Period
from procurement.oversight.rules import rule_for
from procurement.oversight.targets import targets_for

# share code -> (numerator metric, denominator metric, target column)
SHARES = {
    "coverage": ("projects_covered", "projects", "coverage_bp"),
    "green_share": ("bom_green_fen", "bom_fen", "green_share_bp"),
    "batch_share": ("batch_ordered_fen", "ordered_fen", "batch_share_bp"),
    "prefab_share": ("prefab_ordered_fen", "ordered_fen", "prefab_share_bp"),
}


@dataclass
class CityStanding:
    """A city's year-to-date figures against its targets and the lagging verdict."""

    city: City
    totals: dict
    amount_fen: int
    pro_rata_fen: int | None
    shares: dict             # code -> actual bp (None: nothing to divide)
    target: object | None
    lagging: list = field(default_factory=list)   # codes of the figures that lag


@dataclass
class Dashboard:
    """Everything a dashboard page, its charts and its JSON show."""

    period: Period
    cities: list            # the cities in scope
    series: dict            # metric -> [value per month of the period], summed over the cities
    standings: list         # CityStanding per city (year to date)
    rule: object
    ytd: dict               # metric -> [value per month], January of the end's year .. the end

    def total(self, metric: str) -> int:
        return sum(self.series.get(metric, ()))

    @property
    def savings_fen(self) -> int:
        return self.total("awarded_ceiling_fen") - self.total("awarded_fen")

    @property
    def rectification_rate_bp(self) -> int | None:
        return _bp(self.total("rectifications_closed"), self.total("rectifications"))


def _bp(numerator: int, denominator: int) -> int | None:
    return None if not denominator else round(numerator * 10000 / denominator)


def monthly_series(city_ids, period: Period) -> dict[str, list[int]]:
    """metric -> value per month of `period`, summed over `city_ids` (None: every city)."""
    months = period.months
    index = {m: i for i, m in enumerate(months)}
    stmt = (select(MonthlyFact.metric, MonthlyFact.month, func.sum(MonthlyFact.value))
            .where(MonthlyFact.month >= period.start, MonthlyFact.month <= period.end)
            .group_by(MonthlyFact.metric, MonthlyFact.month))
    if city_ids is not None:
        stmt = stmt.where(MonthlyFact.city_id.in_(list(city_ids)))
    out: dict[str, list[int]] = defaultdict(lambda: [0] * len(months))
    for metric, month, value in db.session.execute(stmt):
        if month in index:
            out[metric][index[month]] = int(value or 0)
    return out


def city_totals(city_ids, period: Period) -> dict[int, dict[str, int]]:
    """city id -> metric -> total over the year to date of `period` (January .. its end)."""
    stmt = (select(MonthlyFact.city_id, MonthlyFact.metric, func.sum(MonthlyFact.value))
            .where(MonthlyFact.month >= period.year_start, MonthlyFact.month <= period.end)
            .group_by(MonthlyFact.city_id, MonthlyFact.metric))
    if city_ids is not None:
        stmt = stmt.where(MonthlyFact.city_id.in_(list(city_ids)))
    out: dict[int, dict[str, int]] = defaultdict(dict)
    for city_id, metric, value in db.session.execute(stmt):
        out[city_id][metric] = int(value or 0)
    return out


def standing(city: City, totals: dict, target, period: Period, rule) -> CityStanding:
    """A city's year to date against its target and the lagging rule (pure: no query)."""
    elapsed = period.end.month
    amount = totals.get("ordered_fen", 0)
    shares = {code: _bp(totals.get(num, 0), totals.get(den, 0)) for code, (num, den, _col) in SHARES.items()}
    pro_rata = None if target is None else target.green_amount_fen * elapsed // 12
    row = CityStanding(city, totals, amount, pro_rata, shares, target)
    if target is None or elapsed < rule.lagging_from_month:
        return row
    if amount * 10000 < pro_rata * rule.lagging_share_bp:
        row.lagging.append("amount")
    for code, (_num, _den, column) in SHARES.items():
        wanted = getattr(target, column)
        if wanted and (shares[code] or 0) * 10000 < wanted * rule.lagging_share_bp:
            row.lagging.append(code)
    return row


def build(city_ids, period: Period, *, rule=None) -> Dashboard:
    """The dashboard of `city_ids` (None: every city) over `period`: three queries on the facts
    and targets, plus the cities."""
    cities_stmt = select(City).order_by(City.code)
    if city_ids is not None:
        cities_stmt = cities_stmt.where(City.id.in_(list(city_ids)))
    cities = list(db.session.execute(cities_stmt).scalars())
    single = cities[0].id if len(cities) == 1 and city_ids is not None else None
    rule = rule or rule_for(single, period.end)
    ids = None if city_ids is None else [c.id for c in cities]
    totals = city_totals(ids, period)
    targets = targets_for(period.end.year, ids)
    standings = [standing(c, totals.get(c.id, {}), targets.get(c.id), period, rule) for c in cities]
    series = monthly_series(ids, period)
    year = Period(period.year_start, period.end)
    if period.start <= year.start:   # the year to date is the tail of the period's series
        offset = len(period.months) - len(year.months)
        ytd = {metric: values[offset:] for metric, values in series.items()}
    else:
        ytd = monthly_series(ids, year)
    return Dashboard(period, cities, series, standings, rule, ytd)


def progress_line(board: Dashboard) -> tuple[list, list[int], list[int | None]]:
    """The months of the end's year up to the end, the cumulative amount ordered and the pro-rata
    target line (None when no city in scope has a target), all cities in scope together."""
    months = Period(board.period.year_start, board.period.end).months
    running, cumulative = 0, []
    for value in board.ytd.get("ordered_fen", [0] * len(months)):
        running += value
        cumulative.append(running)
    targets = [s.target.green_amount_fen for s in board.standings if s.target is not None]
    total = sum(targets) if targets else None
    line = [None if total is None else total * m.month // 12 for m in months]
    return months, cumulative, line
