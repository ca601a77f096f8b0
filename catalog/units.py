"""Units of measure for indicator values and rules (pure, no Flask, no database).

A unit string such as ``"W/(m2.K)"``, ``"mg/L"`` or ``"kg CO2e/t"`` is normalised (spaces, superscripts,
middle dots, case) and looked up in a table that gives its *dimension* and the factor that converts one
of it into the dimension's base unit. Two units convert into each other only when their dimensions
match; everything else is an :class:`IncompatibleUnits` error that callers turn into a clear message.

Units with offsets or logarithmic scales (degrees Celsius, decibels) have their own dimension with a
single member, so they compare only with themselves and are never silently rescaled.
"""
from __future__ import annotations

import math
import re
from dataclasses import dataclass

from core.i18n import N_, Term
from core.validation import InputError

__all__ = [
    "UnitError",
    "UnknownUnit",
    "IncompatibleUnits",
    "UnitSpec",
    "parse_unit",
    "is_known",
    "compatible",
    "convert",
    "try_convert",
    "canonical",
    "known_units",
]


class UnitError(InputError):
    """Base class of unit problems: a translatable message (`template`, `params`); ``str(err)``
    is the English text."""


class UnknownUnit(UnitError):
    def __init__(self, unit: str):
        self.unit = unit
        super().__init__(N_("unknown unit '%(unit)s'"), unit=unit)


class IncompatibleUnits(UnitError):
    def __init__(self, from_unit: str, to_unit: str, from_dim: str, to_dim: str):
        self.from_unit, self.to_unit = from_unit, to_unit
        super().__init__(N_("unit '%(from_unit)s' (%(from_dimension)s) cannot be converted to '%(to_unit)s' "
                            "(%(to_dimension)s)"), from_unit=from_unit, from_dimension=dimension_name(from_dim),
                         to_unit=to_unit, to_dimension=dimension_name(to_dim))


# What each dimension is called in messages (translated at display).
DIMENSION_NAMES = {
    "area": N_("area"),
    "carbon_mass": N_("carbon mass"),
    "carbon_per_area": N_("carbon per area"),
    "carbon_per_length": N_("carbon per length"),
    "carbon_per_mass": N_("carbon per mass"),
    "carbon_per_piece": N_("carbon per piece"),
    "carbon_per_volume": N_("carbon per volume"),
    "dimensionless": N_("dimensionless"),
    "energy": N_("energy"),
    "flow": N_("flow"),
    "force": N_("force"),
    "force_per_width": N_("force per width"),
    "length": N_("length"),
    "luminous_efficacy": N_("luminous efficacy"),
    "mass": N_("mass"),
    "mass_fraction": N_("mass fraction"),
    "mass_per_area": N_("mass per area"),
    "mass_per_volume": N_("mass per volume"),
    "power": N_("power"),
    "pressure": N_("pressure"),
    "sound_level": N_("sound level"),
    "temperature_celsius": N_("temperature (°C)"),
    "thermal_conductivity": N_("thermal conductivity"),
    "thermal_resistance": N_("thermal resistance"),
    "thermal_transmittance": N_("thermal transmittance"),
    "time": N_("time"),
    "volume": N_("volume"),
}


def dimension_name(dimension: str) -> Term:
    """The dimension's name as a term translated at display (``thermal transmittance``)."""
    return Term(DIMENSION_NAMES.get(dimension, dimension.replace("_", " ")))


@dataclass(frozen=True)
class UnitSpec:
    """A known unit: its display spelling, dimension and factor to the dimension's base unit."""

    symbol: str
    dimension: str
    factor: float


# (display symbol, dimension, factor to base, aliases). Aliases are matched after normalisation
# (see _normalise), so "W/(m²·K)", "w/(m2.k)" and "W/m2K" all hit the same row.
_TABLE: list[tuple[str, str, float, tuple[str, ...]]] = [
    # dimensionless
    ("", "dimensionless", 1.0, ("-", "1", "none", "index", "ratio", "grade", "class", "level")),
    ("%", "dimensionless", 0.01, ("percent", "pct")),
    # mass fraction (mg/kg and friends are dimensionless, kept apart from % on purpose: a
    # "% (m/m)" in a coating test report is rare, ppm-style limits are common)
    ("mg/kg", "mass_fraction", 1e-6, ("ppm", "ppmw")),
    ("g/kg", "mass_fraction", 1e-3, ()),
    ("kg/kg", "mass_fraction", 1.0, ()),
    ("%(m/m)", "mass_fraction", 1e-2, ("wt%", "%wt", "%(w/w)", "mass%")),
    # thermal
    ("W/(m2.K)", "thermal_transmittance", 1.0,
     ("w/m2k", "w/(m2k)", "w/m2.k", "w/(m2*k)", "w/(k.m2)", "w/m2/k", "w/(m2.c)", "w/(m2.°c)")),
    ("W/(m.K)", "thermal_conductivity", 1.0, ("w/mk", "w/(mk)", "w/m.k", "w/(m*k)", "w/m/k")),
    ("mW/(m.K)", "thermal_conductivity", 1e-3, ("mw/mk", "mw/(mk)", "mw/m.k")),
    ("(m2.K)/W", "thermal_resistance", 1.0, ("m2k/w", "m2.k/w", "(m2k)/w")),
    ("°C", "temperature_celsius", 1.0, ("c", "degc", "℃", "deg c", "celsius")),
    # mass per volume (VOC content in g/L, alkali content in kg/m3)
    ("g/L", "mass_per_volume", 1.0, ("g/l", "g/dm3")),
    ("mg/L", "mass_per_volume", 1e-3, ("mg/l", "g/m3", "mg/dm3")),
    ("kg/m3", "mass_per_volume", 1.0, ("kg/m^3",)),
    ("mg/m3", "mass_per_volume", 1e-6, ("mg/m^3",)),
    ("ug/m3", "mass_per_volume", 1e-9, ("µg/m3", "μg/m3")),
    ("t/m3", "mass_per_volume", 1e3, ()),
    # mass per area
    ("kg/m2", "mass_per_area", 1.0, ()),
    ("g/m2", "mass_per_area", 1e-3, ()),
    # embodied carbon (base: kg CO2e per kg, i.e. t CO2e per t)
    ("t CO2e/t", "carbon_per_mass", 1.0, ("tco2e/t", "kgco2e/kg", "tco2/t", "kgco2/kg")),
    ("kg CO2e/t", "carbon_per_mass", 1e-3, ("kgco2e/t", "gco2e/kg", "kgco2/t")),
    ("kg CO2e/m2", "carbon_per_area", 1.0, ("kgco2e/m2", "kgco2/m2")),
    ("t CO2e/m2", "carbon_per_area", 1e3, ("tco2e/m2",)),
    ("kg CO2e/m3", "carbon_per_volume", 1.0, ("kgco2e/m3", "kgco2/m3")),
    ("t CO2e/m3", "carbon_per_volume", 1e3, ("tco2e/m3",)),
    ("kg CO2e/m", "carbon_per_length", 1.0, ("kgco2e/m",)),
    ("kg CO2e/piece", "carbon_per_piece", 1.0, ("kgco2e/piece", "kgco2e/pcs", "kgco2e/unit")),
    ("kg CO2e", "carbon_mass", 1.0, ("kgco2e",)),
    ("t CO2e", "carbon_mass", 1e3, ("tco2e",)),
    # pressure and strength
    ("Pa", "pressure", 1.0, ("n/m2",)),
    ("kPa", "pressure", 1e3, ()),
    ("MPa", "pressure", 1e6, ("n/mm2",)),
    ("GPa", "pressure", 1e9, ()),
    # force and force per width (membrane tensile strength is given in N/50mm)
    ("N", "force", 1.0, ("newton",)),
    ("kN", "force", 1e3, ()),
    ("N/mm", "force_per_width", 1.0, ("kn/m",)),
    ("N/50mm", "force_per_width", 1.0 / 50.0, ("n/5cm", "n/50 mm")),
    ("N/m", "force_per_width", 1e-3, ()),
    # length, area, volume, mass
    ("m", "length", 1.0, ("metre", "meter")),
    ("mm", "length", 1e-3, ()),
    ("cm", "length", 1e-2, ()),
    ("km", "length", 1e3, ()),
    ("um", "length", 1e-6, ("µm", "μm")),
    ("m2", "area", 1.0, ("sqm", "m^2")),
    ("cm2", "area", 1e-4, ()),
    ("m3", "volume", 1.0, ("m^3", "cbm")),
    ("L", "volume", 1e-3, ("l", "litre", "liter", "dm3")),
    ("mL", "volume", 1e-6, ("ml",)),
    ("kg", "mass", 1.0, ()),
    ("g", "mass", 1e-3, ()),
    ("t", "mass", 1e3, ("tonne", "ton")),
    # flow (taps, fittings) in L/s base
    ("L/s", "flow", 1.0, ("l/s",)),
    ("L/min", "flow", 1.0 / 60.0, ("l/min",)),
    ("m3/h", "flow", 1000.0 / 3600.0, ()),
    # power, energy, efficiency, light
    ("W", "power", 1.0, ("watt",)),
    ("kW", "power", 1e3, ()),
    ("kWh", "energy", 3.6e6, ()),
    ("MJ", "energy", 1e6, ()),
    ("J", "energy", 1.0, ()),
    ("lm/W", "luminous_efficacy", 1.0, ("lm/w",)),
    ("W/W", "dimensionless", 1.0, ("w/w", "kw/kw")),
    ("dB", "sound_level", 1.0, ("db", "db(a)", "dba")),
    # time
    ("s", "time", 1.0, ("sec",)),
    ("min", "time", 60.0, ()),
    ("h", "time", 3600.0, ("hr", "hour")),
    ("a", "time", 365.25 * 86400.0, ("year", "yr", "y")),
]

_SUPERSCRIPTS = str.maketrans({"²": "2", "³": "3", "·": ".", "•": ".", "⋅": ".", "×": "*", "／": "/"})


def _normalise(unit: str) -> str:
    s = unit.translate(_SUPERSCRIPTS).strip()
    s = re.sub(r"\s+", "", s)
    s = s.replace("co₂", "co2").replace("CO₂", "CO2")
    return s.lower()


_BY_KEY: dict[str, UnitSpec] = {}
for _sym, _dim, _factor, _aliases in _TABLE:
    _spec = UnitSpec(_sym, _dim, _factor)
    for _alias in (_sym, *_aliases):
        _key = _normalise(_alias)
        # first definition wins: keeps "c" (Celsius) from being shadowed by later rows
        _BY_KEY.setdefault(_key, _spec)


def known_units() -> list[str]:
    """Display symbols of every known unit (for documentation and forms)."""
    return [sym for sym, _d, _f, _a in _TABLE]


def parse_unit(unit: str | None) -> UnitSpec:
    """Return the :class:`UnitSpec` for ``unit`` or raise :class:`UnknownUnit`.

    ``None`` and the empty string mean dimensionless.
    """
    key = _normalise(unit or "")
    spec = _BY_KEY.get(key)
    if spec is None:
        raise UnknownUnit(unit or "")
    return spec


def is_known(unit: str | None) -> bool:
    try:
        parse_unit(unit)
    except UnknownUnit:
        return False
    return True


def canonical(unit: str | None) -> str:
    """Display spelling of a known unit (``"w/m2k"`` -> ``"W/(m2.K)"``); raises UnknownUnit."""
    return parse_unit(unit).symbol


def compatible(a: str | None, b: str | None) -> bool:
    """True when both units are known and share a dimension."""
    try:
        return parse_unit(a).dimension == parse_unit(b).dimension
    except UnknownUnit:
        return False


def convert(value: float, from_unit: str | None, to_unit: str | None) -> float:
    """Convert ``value`` from one unit into another of the same dimension.

    Raises :class:`UnknownUnit` or :class:`IncompatibleUnits`; never returns a silently wrong number.
    """
    src, dst = parse_unit(from_unit), parse_unit(to_unit)
    if src.dimension != dst.dimension:
        raise IncompatibleUnits(from_unit or "", to_unit or "", src.dimension, dst.dimension)
    if src.factor == dst.factor:
        return float(value)
    result = float(value) * src.factor / dst.factor
    if not math.isfinite(result):
        raise UnitError(N_("value %(value)s %(from_unit)s overflows when converted to %(to_unit)s"),
                        value=repr(value), from_unit=from_unit, to_unit=to_unit)
    return result


def try_convert(value: float, from_unit: str | None, to_unit: str | None) -> tuple[float | None, UnitError | None]:
    """Like :func:`convert` but returns ``(result, None)`` or ``(None, error)``; the error's
    `template` and `params` are the translatable reason."""
    try:
        return convert(value, from_unit, to_unit), None
    except UnitError as exc:
        return None, exc
