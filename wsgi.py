"""Entry point for gunicorn (`gunicorn wsgi:app`) and the flask CLI (`FLASK_APP=wsgi.py`).

Under gunicorn and `flask run` the app is a web process (embedded services and background
threads start); any other `flask` command gets a CLI app that starts nothing.
"""
import sys

from config import ConfigError, config_from_env
from platform_app import create_app, process_kind_from_argv

try:
    app = create_app(config_from_env(), process=process_kind_from_argv())
except ConfigError as exc:  # one line saying what is missing, no traceback
    sys.stderr.write(f"{exc}\n")
    raise SystemExit(2) from None
