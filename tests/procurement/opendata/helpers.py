"""Helpers of the open data tests: publish (as the chronograph would), read a process's record,
and validate packages offline with libcoveocds against the vendored OCDS 1.1.5 schema and the
bids and lots extensions (`ocds_schema/`: the standard's schema directory at tag 1__1__5, the
extensions at v1.1.5), compile with ocdskit."""

from __future__ import annotations

import io
import json
import tempfile
import zipfile
from pathlib import Path
from unittest import mock

import requests
import urllib3

from core.extensions import db
from procurement.opendata import publishing, values

SCHEMA_DIR = Path(__file__).parent / "ocds_schema"
EXTENSION_DIRS = {"ocds_bid_extension": SCHEMA_DIR / "bids", "ocds_lots_extension": SCHEMA_DIR / "lots"}


def publish() -> int:
    """Follow the audit trail and commit, as the chronograph's sweep does."""
    stored = publishing.follow_audit()
    db.session.commit()
    return stored


class _LocalExtensions(requests.adapters.BaseAdapter):
    """Answers the extensions' raw.githubusercontent.com URLs from the vendored files."""

    def send(self, request, **kwargs):
        response = requests.Response()
        response.url = request.url
        response.request = request
        path = request.url.split("/open-contracting-extensions/", 1)[1]
        repo, middle, name = path.split("/", 2)
        directory = EXTENSION_DIRS.get(repo)
        if middle == "archive" and directory is not None:  # github.com/<org>/<repo>/archive/<tag>.zip
            content = _zip_of(directory, f"{repo}-{name.removesuffix('.zip').lstrip('v')}")
        else:
            local = (directory or Path("/nonexistent")) / name
            content = local.read_bytes() if local.is_file() else None
        response.status_code = 200 if content is not None else 404
        response._content = content or b""
        # requests-cache (ocdsextensionregistry's session) keeps the raw response too.
        response.raw = urllib3.HTTPResponse(body=io.BytesIO(response._content), status=response.status_code,
                                            preload_content=False, request_url=request.url)
        response.encoding = "utf-8"
        return response

    def close(self):
        pass


STANDARD_URL = "https://standard.open-contracting.org/schema/1__1__5/"
_real_get = requests.get


def _local_standard_get(url, *args, **kwargs):
    """`requests.get` for jsonref: the standard's schema files from the vendored copy."""
    if isinstance(url, str) and url.startswith(STANDARD_URL):
        response = requests.Response()
        local = SCHEMA_DIR / "standard" / "schema" / url[len(STANDARD_URL):]
        response.status_code = 200 if local.is_file() else 404
        response._content = local.read_bytes() if local.is_file() else b""
        response.url = url
        return response
    return _real_get(url, *args, **kwargs)


def _zip_of(directory: Path, top: str) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr(f"{top}/", "")
        for path in sorted(directory.rglob("*")):
            if path.is_file():
                archive.write(path, f"{top}/{path.relative_to(directory)}")
    return buffer.getvalue()


def _standard_zip() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("standard-1__1__5/", "")
        for path in sorted((SCHEMA_DIR / "standard" / "schema").rglob("*")):
            if path.is_file():
                archive.write(path, f"standard-1__1__5/schema/{path.relative_to(SCHEMA_DIR / 'standard' / 'schema')}")
    return buffer.getvalue()


def offline():
    """Make libcoveocds and ocdsextensionregistry read the vendored files (no network)."""
    from ocdsextensionregistry import util

    for prefix in ("https://raw.githubusercontent.com/open-contracting-extensions/",
                   "https://github.com/open-contracting-extensions/"):
        util.session.mount(prefix, _LocalExtensions())
    return _standard_zip()


def validate(package: dict) -> dict:
    """libcoveocds' results for a release or record package (schema errors in
    ``validation_errors``)."""
    from libcoveocds.api import ocds_json_output
    from libcoveocds.config import LibCoveOCDSConfig

    config = LibCoveOCDSConfig({"standard_zip": offline(), "context": "api"})
    with tempfile.TemporaryDirectory() as tmp, mock.patch("requests.get", _local_standard_get):
        return ocds_json_output(tmp, json_data=json.loads(json.dumps(package)), lib_cove_ocds_config=config,
                                record_pkg="records" in package)


def patched_schema() -> dict:
    """The release schema with the bids and lots extensions applied (for ocdskit's merge)."""
    from ocdsextensionregistry import ProfileBuilder

    builder = ProfileBuilder("1__1__5", list(values.EXTENSIONS), standard_base_url=offline())
    return builder.patched_release_schema()
