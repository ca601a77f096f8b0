"""Entry point for gunicorn (`gunicorn wsgi:app`) and the flask CLI (`FLASK_APP=wsgi.py`)."""
import sys

from config import ConfigError, config_from_env
from core import create_app

try:
    app = create_app(config_from_env())
except ConfigError as exc:  # one line saying what is missing, no traceback
    sys.stderr.write(f"{exc}\n")
    raise SystemExit(2) from None
