#!/bin/sh
# Extract every translatable string into the .pot file given as $1 (default translations/messages.pot).
# Service errors are extracted by their class names, so `raise Conflict("...")` needs no N_().
# One home for the keyword list: `make extract-messages` and tests/core/test_i18n.py both run this.
set -e
cd "$(dirname "$0")/.."
PYBABEL="${PYBABEL:-.venv/bin/pybabel}"
exec "$PYBABEL" -q extract -F babel.cfg -o "${1:-translations/messages.pot}" \
  -k _l -k lazy_gettext -k N_ \
  -k ServiceError -k ValidationError -k PermissionDenied -k NotFound -k Conflict -k Unauthorized \
  -k IllegalMove -k GateRefused -k IllegalTransition -k unit_of_work \
  .
