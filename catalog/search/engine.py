"""The one module that owns the Elasticsearch client.

Settings (read from the environment by `config.py`, nowhere else):

- ``ELASTICSEARCH_URL``: cluster URL; basic auth may be given in it (``https://user:pw@host:9200``).
  Unset in the embedded default: `core.embedded` starts ``osmem-server`` and fills it in.
- ``ELASTICSEARCH_API_KEY``: API key (base64 ``id:key`` form) for real clusters.
- ``ELASTICSEARCH_CA_CERTS``: path of a CA bundle for TLS verification.
- ``ELASTICSEARCH_TIMEOUT``: seconds; the timeout of every request (default 5); bulk loads and
  index administration use ``SEARCH_BULK_TIMEOUT`` (default 120).
- ``ELASTICSEARCH_PLAIN_JSON``: send and accept plain ``application/json`` instead of the 8.x
  client's ``application/vnd.elasticsearch+json; compatible-with=8``. osmem-server requires it;
  real Elasticsearch 8 and 9 accept plain JSON too, so it is on by default.
- ``SEARCH_INDEX_ALIAS``: alias the application reads and writes (default ``products``).
- ``SEARCH_SYNC_MODE``: ``thread`` | ``rq`` | ``inline`` | ``off``: how outbox rows are delivered
  (`catalog.search.sync`); ``SEARCH_SYNC_POLL`` / ``SEARCH_SYNC_MAX_BACKOFF`` tune retries.
- ``SEARCH_REINDEX_ON_START``: build the index from the database at start-up (default: only for
  the embedded engine, which starts empty), in a background thread.
- ``SEARCH_REFRESH``: refresh policy of deliveries (``wait_for`` default, ``true``, ``false``).

Every failure talking to the engine (connection refused, timeout, missing index, a rejected request)
is raised as `SearchUnavailable`; views show its message and the rest of the site carries on.
"""
from __future__ import annotations

import logging
import re
import threading
from typing import Any, Callable, Optional

from elastic_transport import Urllib3HttpNode

from core.i18n import N_

log = logging.getLogger(__name__)

_VENDOR_MIME = re.compile(r"application/vnd\.elasticsearch\+(json|x-ndjson)(\s*;\s*compatible-with=\d+)?")


class SearchUnavailable(RuntimeError):
    """The search engine could not answer; `message` is fit to show to people (an English
    msgid: pages show it through gettext)."""

    def __init__(self, message: str = N_("Search is unavailable right now."), *,
                 cause: Optional[BaseException] = None):
        super().__init__(message)
        self.message = message
        self.cause = cause


class PlainJsonNode(Urllib3HttpNode):
    """HTTP node that rewrites the 8.x client's vendor media types to plain JSON / NDJSON.

    Used through the documented `node_class` transport option when ELASTICSEARCH_PLAIN_JSON is on.
    """

    def perform_request(self, method, target, body=None, headers=None, **kwargs):  # noqa: D401
        if headers:
            headers = headers.copy()
            for key in list(headers.keys()):
                if key.lower() in ("accept", "content-type"):
                    headers[key] = _VENDOR_MIME.sub(r"application/\1", headers[key])
        return super().perform_request(method, target, body=body, headers=headers, **kwargs)


def redact_url(url: Optional[str]) -> str:
    """URL without credentials, for health output and logs."""
    if not url:
        return ""
    return re.sub(r"//[^/@]*@", "//***@", url)


class SearchEngine:
    """Flask extension holding the client; `init_app` binds it to an app."""

    def __init__(self, app=None):
        self._lock = threading.Lock()
        self.app = None
        if app is not None:
            self.init_app(app)

    # ------------------------------------------------------------------ setup
    def init_app(self, app) -> None:
        # Settings come from config.py; these defaults only serve an app built without it.
        cfg = app.config
        cfg.setdefault("ELASTICSEARCH_URL", None)
        cfg.setdefault("ELASTICSEARCH_API_KEY", None)
        cfg.setdefault("ELASTICSEARCH_CA_CERTS", None)
        cfg.setdefault("ELASTICSEARCH_TIMEOUT", 5.0)
        cfg.setdefault("ELASTICSEARCH_PLAIN_JSON", True)
        cfg.setdefault("SEARCH_INDEX_ALIAS", "products")
        # How the outbox is delivered (see catalog.search.sync): "thread" (embedded default),
        # "rq" (a Redis queue; the default when JOBS_BACKEND=rq), "inline" or "off".
        if not cfg.get("SEARCH_SYNC_MODE"):
            cfg["SEARCH_SYNC_MODE"] = "rq" if cfg.get("JOBS_BACKEND") == "rq" else "thread"
        # None: rebuild the index at start only when the engine is the embedded (empty) one.
        cfg.setdefault("SEARCH_REINDEX_ON_START", None)
        cfg.setdefault("SEARCH_REFRESH", "wait_for")
        cfg.setdefault("SEARCH_SYNC_POLL", 2.0)
        cfg.setdefault("SEARCH_BULK_TIMEOUT", 120.0)
        cfg.setdefault("SEARCH_SYNC_MAX_BACKOFF", 60.0)
        app.extensions["search_engine"] = self
        app.extensions["search_engine.state"] = {"client": None, "client_key": None, "index_state": "unknown",
                                                 "index_message": ""}
        self.app = app

    # ------------------------------------------------------------------ client
    def _app(self):
        from flask import current_app, has_app_context

        if has_app_context():
            return current_app._get_current_object()
        if self.app is None:
            raise RuntimeError("search engine used outside an application context")
        return self.app

    def _state(self, app=None) -> dict:
        app = app or self._app()
        return app.extensions.setdefault("search_engine.state", {"client": None, "client_key": None,
                                                                  "index_state": "unknown", "index_message": ""})

    @property
    def configured(self) -> bool:
        return bool(self._app().config.get("ELASTICSEARCH_URL"))

    @property
    def alias(self) -> str:
        return self._app().config["SEARCH_INDEX_ALIAS"]

    @property
    def timeout(self) -> float:
        return float(self._app().config.get("ELASTICSEARCH_TIMEOUT") or 5.0)

    @property
    def bulk_timeout(self) -> float:
        """Bulk loads and index administration may take longer than a search."""
        return float(self._app().config.get("SEARCH_BULK_TIMEOUT") or 120.0)

    def bulk(self, operations: list, **kwargs) -> dict:
        """Bulk API call with the bulk timeout; returns the response body."""
        return self.call(lambda c: c.options(request_timeout=self.bulk_timeout).bulk(operations=operations,
                                                                                      **kwargs).body)

    @property
    def client(self):
        """The `Elasticsearch` client for the current app (built on first use, rebuilt when the
        URL setting changes). Raises `SearchUnavailable` when no URL is configured."""
        app = self._app()
        cfg = app.config
        url = cfg.get("ELASTICSEARCH_URL")
        if not url:
            raise SearchUnavailable(N_("Search is not configured (ELASTICSEARCH_URL is unset)."))
        key = (url, cfg.get("ELASTICSEARCH_API_KEY"), cfg.get("ELASTICSEARCH_CA_CERTS"),
               bool(cfg.get("ELASTICSEARCH_PLAIN_JSON")), float(cfg.get("ELASTICSEARCH_TIMEOUT") or 5.0))
        state = self._state(app)
        with self._lock:
            if state["client"] is None or state["client_key"] != key:
                state["client"] = self._build_client(*key)
                state["client_key"] = key
            return state["client"]

    @staticmethod
    def _build_client(url, api_key, ca_certs, plain_json, timeout):
        from elasticsearch import Elasticsearch

        kwargs: dict[str, Any] = {"request_timeout": timeout, "max_retries": 1, "retry_on_timeout": False}
        if api_key:
            kwargs["api_key"] = api_key
        if ca_certs:
            kwargs["ca_certs"] = ca_certs
        if plain_json:
            kwargs["node_class"] = PlainJsonNode
        return Elasticsearch(url, **kwargs)

    def call(self, fn: Callable[..., Any], *args, **kwargs):
        """Run `fn(client, ...)` turning every engine failure into `SearchUnavailable`."""
        from elastic_transport import TransportError
        from elasticsearch import ApiError, NotFoundError

        try:
            return fn(self.client, *args, **kwargs)
        except SearchUnavailable:
            raise
        except NotFoundError as exc:
            raise SearchUnavailable(N_("The search index does not exist yet; it is being built or needs "
                                       "`flask search reindex`."), cause=exc) from exc
        except TransportError as exc:  # connection refused, timeout, TLS
            raise SearchUnavailable(N_("The search engine is not reachable right now."), cause=exc) from exc
        except ApiError as exc:
            log.warning("search engine rejected a request: %s", exc)
            raise SearchUnavailable(N_("The search engine could not answer this request."), cause=exc) from exc

    # ------------------------------------------------------------------ operations
    def search(self, body: dict, index: Optional[str] = None) -> dict:
        """Run a search body against the alias; returns the response as a dict."""
        return self.call(lambda c: c.search(index=index or self.alias, body=body).body)

    SCHEMA_TTL = 30.0  # seconds a process trusts what it learnt about the alias's index

    def live_index(self, fresh: bool = False) -> tuple[tuple[str, ...], int]:
        """The indexes behind the alias and their mapping version (from the names reindex gives
        them, ``<alias>-v<N>-<timestamp>``), looked up at most every `SCHEMA_TTL` seconds.
        An alias that does not exist yet reads as the current version (the index being built
        will be that one). Raises `SearchUnavailable` when the engine cannot be reached."""
        import time

        from .mappings import current_version

        app = self._app()
        state = self._state(app)
        alias = self.alias
        cached = state.get("live_index")
        now = time.monotonic()
        if cached and cached[0] == alias and cached[1] > now and not fresh:
            return cached[2], cached[3]
        from elasticsearch import NotFoundError

        try:
            names = tuple(sorted(self.call(lambda c: c.indices.get_alias(name=alias).body)))
        except SearchUnavailable as exc:
            if not isinstance(exc.cause, NotFoundError):
                raise
            return (), current_version()
        pattern = re.compile(rf"^{re.escape(alias)}-v(\d+)-\d+$")
        versions = [int(m.group(1)) for n in names if (m := pattern.match(n))]
        version = min(versions) if versions else 1
        state["live_index"] = (alias, now + self.SCHEMA_TTL, names, version)
        return names, version

    def schema(self) -> int:
        """Mapping version of the index searched (see `live_index`)."""
        return self.live_index()[1]

    def forget_live_index(self, app=None) -> None:
        """The alias moved (reindex, first index): look it up again on next use."""
        self._state(app).pop("live_index", None)

    def index_state(self) -> tuple[str, str]:
        state = self._state()
        return state["index_state"], state["index_message"]

    def set_index_state(self, value: str, message: str = "", app=None) -> None:
        state = self._state(app)
        state["index_state"] = value
        state["index_message"] = message

    def health(self) -> dict:
        """For /healthz, never raising. `status`: ok | degraded (outbox rows parked as failed:
        `outbox_failed`, the newest in `outbox_failures`) | down | unconfigured; `index`: ready |
        building | missing, with the alias, its indexes, document count and outbox backlog."""
        cfg = self._app().config
        if not cfg.get("ELASTICSEARCH_URL"):
            return {"status": "unconfigured"}
        out: dict[str, Any] = {"url": redact_url(cfg.get("ELASTICSEARCH_URL")), "alias": cfg["SEARCH_INDEX_ALIAS"]}
        state, message = self.index_state()
        try:
            info = self.call(lambda c: c.info().body)
            out["version"] = (info.get("version") or {}).get("number")
        except SearchUnavailable as exc:
            out.update(status="down", message=exc.message)
            return out
        out["status"] = "ok"
        try:
            aliases = self.call(lambda c: c.indices.get_alias(name=self.alias).body)
            out["indexes"] = sorted(aliases)
            out["documents"] = self.call(lambda c: c.count(index=self.alias).body["count"])
            out["index"] = "building" if state == "building" else "ready"
        except SearchUnavailable:
            out["index"] = "building" if state == "building" else "missing"
        if message:
            out["index_message"] = message
        try:
            from .sync import backlog, failed_rows

            out["outbox_backlog"] = backlog()
            failed, newest = failed_rows()
            out["outbox_failed"] = failed
            if failed:
                # documents that could not be delivered: the index lacks these products' changes
                out["status"] = "degraded"
                out["outbox_failures"] = newest
        except Exception:  # health reports, never fails
            pass
        return out


search_engine = SearchEngine()
