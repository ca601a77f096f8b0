"""The embedded daily expiry thread: on by default outside tests, off with PRODUCT_EXPIRY_DAILY=0."""
import threading

from catalog import product_schedule


class _App:
    def __init__(self, testing=False, embedded=True, backend="thread"):
        self.testing = testing
        self.config = {"EMBEDDED_SERVICES": embedded, "JOBS_BACKEND": backend}


def test_enabled_rules():
    assert product_schedule._enabled(_App())
    assert not product_schedule._enabled(_App(testing=True))
    assert not product_schedule._enabled(_App(embedded=False))
    assert not product_schedule._enabled(_App(backend="rq"))
    off, on = _App(), _App(testing=True)
    off.config["PRODUCT_EXPIRY_DAILY"], on.config["PRODUCT_EXPIRY_DAILY"] = False, True  # config.py reads the env
    assert not product_schedule._enabled(off)
    assert product_schedule._enabled(on)


def test_loop_runs_the_job_and_stops(app, monkeypatch):
    calls = []
    monkeypatch.setattr(product_schedule, "FIRST_RUN_DELAY", 0)
    stop = threading.Event()

    def fake_job(today=None):
        calls.append(today)
        stop.set()
        return 0, 0

    monkeypatch.setattr("catalog.services.product_expiry.run_daily", fake_job)
    thread = threading.Thread(target=product_schedule._loop, args=(app, stop))
    thread.start()
    thread.join(timeout=10)
    assert not thread.is_alive() and calls == [None]


def test_test_app_has_no_expiry_thread(app):
    assert "product_expiry_stop" not in app.extensions
    assert not any(t.name == "product-expiry" for t in threading.enumerate())
