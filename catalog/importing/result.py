"""What an import run reports: its `ImportResult` (counts, issues, timings), the progress
callback's shape, and the issues a refused row gets from the product service's messages."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable

from core.errors import ValidationError

from catalog.importing.columns import Header, Issue

MAX_REPORTED_ISSUES = 1000
#: ``progress(done, total, phase)``: phases scan, check, write, commit.
Progress = Callable[[int, int, str], None]


def no_progress(_done: int, _total: int, _phase: str) -> None:
    """The progress callback of a run nobody watches."""
    return None


@dataclass
class ImportResult:
    ok: bool = False
    written: bool = False
    partial: bool = False
    rows: int = 0
    created: int = 0
    updated: int = 0  # rows whose SKU existed (changed or not)
    unchanged: int = 0  # of those, rows skipped because they are as the last import left them
    failed_rows: int = 0
    sha256: str = ""
    filename: str = ""
    issues: list[Issue] = field(default_factory=list)
    issues_truncated: int = 0
    # seconds per phase: scan, check (validate + build + verdicts), publish (database writes), commit
    timings: dict = field(default_factory=lambda: {"scan": 0.0, "preload": 0.0, "check": 0.0, "publish": 0.0,
                                                   "commit": 0.0, "total": 0.0})
    _failed: set = field(default_factory=set, repr=False)

    def add(self, issue: Issue) -> None:
        """Report `issue` (its row counts as failed; at most `MAX_REPORTED_ISSUES` are kept)."""
        if issue.row > 1 and issue.row not in self._failed:
            self._failed.add(issue.row)
            self.failed_rows += 1
        if len(self.issues) < MAX_REPORTED_ISSUES:
            self.issues.append(issue)
        else:
            self.issues_truncated += 1

    def to_dict(self) -> dict:
        """JSON form stored as a job's result."""
        return {"ok": self.ok, "written": self.written, "partial": self.partial, "rows": self.rows,
                "created": self.created, "updated": self.updated, "unchanged": self.unchanged,
                "failed_rows": self.failed_rows, "sha256": self.sha256, "filename": self.filename,
                "issues": [i.as_list() for i in self.issues], "issues_truncated": self.issues_truncated}

    def nothing_written(self) -> ImportResult:
        """All or nothing failed: no row counts as created or updated."""
        self.created = self.updated = self.unchanged = 0
        return self


def add_validation_issues(result: ImportResult, header: Header, row: int, exc: ValidationError) -> None:
    """One issue per field message of `exc` (in the file's column of that field), or one for the row."""
    if exc.fields:
        for fld, message in exc.fields.items():
            template, params = message if isinstance(message, tuple) else (message, {})
            result.add(Issue(row, header.column_for(fld), template, params))
    else:
        result.add(Issue(row, "", exc.template, exc.params))


def validation_issues(header: Header, row: int, exc: ValidationError) -> list[Issue]:
    """The issues of `add_validation_issues`, as a list."""
    scratch = ImportResult()
    add_validation_issues(scratch, header, row, exc)
    return scratch.issues
