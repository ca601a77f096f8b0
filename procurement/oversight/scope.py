"""Who asks for which city: the scope of a dashboard request (shared by pages and API)."""

from __future__ import annotations

from sqlalchemy import select

from core.errors import NotFound, PermissionDenied, ValidationError
from core.extensions import db
from core.i18n import N_
from core.models import City
from procurement.oversight import policy
from procurement.oversight.period import Period, parse_period
from procurement.oversight.rules import rule_for
from procurement.tendering.feed import CODE


def resolve(user, args) -> tuple[City | None, list[int] | None, Period]:
    """The city asked (`city`: its code; none: all cities for platform staff, the home city for a
    finance office), the city ids in scope and the period. A malformed code or period:
    ValidationError; an unknown city: NotFound; a city the user may not see: PermissionDenied."""
    code = (args.get("city") or "").strip()
    city = None
    if code:
        if not CODE.match(code):
            raise ValidationError(N_("The city is a code of lower-case letters, digits and underscores."),
                                  {"city": N_("Not a code.")})
        city = db.session.execute(select(City).where(City.code == code)).scalar_one_or_none()
        if city is None:
            raise NotFound(N_("No city has the code %(code)s."), code=code)
    elif not policy.can_view_dashboard(user, None):
        city = db.session.get(City, policy.home_city_id(user) or 0)
    if city is None and not policy.can_view_dashboard(user, None):
        raise PermissionDenied(N_("Only platform oversight staff and the city's finance office see this dashboard."))
    if city is not None and not policy.can_view_dashboard(user, city.id):
        raise PermissionDenied(N_("Only platform oversight staff and the city's finance office see this dashboard."))
    period = parse_period(args, max_years=rule_for(city.id if city else None).max_range_years)
    return city, ([city.id] if city else None), period
