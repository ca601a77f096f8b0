"""The one module that owns the Elasticsearch client."""
from __future__ import annotations

import re

from elastic_transport import Urllib3HttpNode
from elasticsearch import Elasticsearch
from elasticsearch import exceptions as es_exceptions

_VENDOR_MIMETYPE = re.compile(r"application/vnd\.elasticsearch\+(json|x-ndjson)(;\s*compatible-with=\d+)?")


class SearchUnavailable(RuntimeError):
    """The search engine could not be reached or answered with an error."""


class PlainJsonNode(Urllib3HttpNode):
    """Sends plain `application/json` instead of the 8.x client's vendor media type.

    Selected with the documented `node_class` transport option when
    ELASTICSEARCH_PLAIN_JSON is on: osmem-server requires it, Elasticsearch 8/9 accept it.
    """

    def perform_request(self, method, target, body=None, headers=None, request_timeout=None):
        if headers:
            headers = headers.copy()
            for name in ("accept", "content-type"):
                if name in headers:
                    headers[name] = _VENDOR_MIMETYPE.sub(r"application/\1", headers[name])
        return super().perform_request(method, target, body=body, headers=headers, request_timeout=request_timeout)


class SearchEngine:
    """Flask extension holding the client; `init_app` reads the app config."""

    def __init__(self, app=None):
        self._client = None
        self.app = None
        if app is not None:
            self.init_app(app)

    def init_app(self, app):
        self.app = app
        app.extensions["search_engine"] = self
        url = app.config.get("ELASTICSEARCH_URL")
        if not url:
            self._client = None
            return
        kwargs = {"request_timeout": app.config.get("ELASTICSEARCH_TIMEOUT", 5), "max_retries": 1, "retry_on_timeout": False}
        if app.config.get("ELASTICSEARCH_PLAIN_JSON", True):
            kwargs["node_class"] = PlainJsonNode
        if app.config.get("ELASTICSEARCH_API_KEY"):
            kwargs["api_key"] = app.config["ELASTICSEARCH_API_KEY"]
        if app.config.get("ELASTICSEARCH_CA_CERTS"):
            kwargs["ca_certs"] = app.config["ELASTICSEARCH_CA_CERTS"]
        self._client = Elasticsearch(url, **kwargs)

    @property
    def client(self) -> Elasticsearch:
        if self._client is None:
            raise SearchUnavailable("No search engine is configured.")
        return self._client

    def health(self) -> dict:
        """State for /healthz: never raises."""
        if self._client is None:
            return {"status": "unconfigured"}
        try:
            info = self._client.info()
            return {"status": "ok", "version": info.get("version", {}).get("number")}
        except (es_exceptions.ApiError, es_exceptions.TransportError) as exc:
            return {"status": "down", "error": exc.__class__.__name__}


search_engine = SearchEngine()
