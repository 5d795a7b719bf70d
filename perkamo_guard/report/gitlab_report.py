"""GitLab report: the Code Quality JSON array that merge requests show."""

from __future__ import annotations

import json
from typing import Any

from perkamo_guard.fingerprint import fingerprint, fingerprint_findings
from perkamo_guard.model import FileError, Finding
from perkamo_guard.report import ReportInput, severity_of

#: GitLab's scale is info, minor, major, critical, blocker. A leaked key or
#: an open origin needs action before merge: critical.
SEVERITIES = {"error": "critical", "warning": "minor"}
FILE_ERROR_CHECK = "perkamo-guard-file-error"


def render(report: ReportInput) -> str:
    """Render findings, then file errors, as one Code Quality array."""
    issues = [_finding_issue(finding, fp, report)
              for finding, fp in fingerprint_findings(report.result.findings)]
    issues.extend(_error_issue(error) for error in report.result.errors)
    return json.dumps(issues, indent=2, ensure_ascii=False) + "\n"


def _finding_issue(finding: Finding, fp: str, report: ReportInput) -> dict[str, Any]:
    rule = report.rules.get(finding.rule)
    categories = ["Style"] if finding.rule.startswith("PG9") else ["Security"]
    return {
        "type": "issue",
        "engine_name": "perkamo-guard",
        "check_name": f"{finding.rule} {rule.name}" if rule else finding.rule,
        "description": f"{finding.rule}: {finding.message}",
        "categories": categories,
        "fingerprint": fp,
        "severity": SEVERITIES.get(severity_of(report.rules, finding.rule), "minor"),
        "location": {"path": finding.path,
                     "lines": {"begin": finding.line, "end": finding.end_line}},
    }


def _error_issue(error: FileError) -> dict[str, Any]:
    """A file we could not read fully: shown, so that it is not mistaken for clean."""
    return {
        "type": "issue",
        "engine_name": "perkamo-guard",
        "check_name": FILE_ERROR_CHECK,
        "description": f"file error: {error.message}",
        "categories": ["Bug Risk"],
        "fingerprint": fingerprint(FILE_ERROR_CHECK, error.path, error.message, 0),
        "severity": "info",
        "location": {"path": error.path, "lines": {"begin": 1}},
    }
