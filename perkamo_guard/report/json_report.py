"""JSON report, exactly as DESIGN.md shows it."""

from __future__ import annotations

import json
from typing import Any

from perkamo_guard import __version__
from perkamo_guard.report import ReportInput, severity_of


def render(report: ReportInput) -> str:
    """Render the run as one JSON document."""
    result = report.result
    document: dict[str, Any] = {
        "tool": "perkamo-guard",
        "version": __version__,
        "findings": [
            {
                "rule": f.rule,
                "name": report.rules[f.rule].name if f.rule in report.rules else f.rule,
                "severity": severity_of(report.rules, f.rule),
                "path": f.path,
                "line": f.line,
                "column": f.column,
                "end_line": f.end_line,
                "end_column": f.end_column,
                "message": f.message,
                "snippet": f.snippet,
            }
            for f in result.findings
        ],
        "errors": [{"path": e.path, "message": e.message} for e in result.errors],
        "summary": {"files_scanned": result.files_scanned,
                    "findings": len(result.findings)},
    }
    if result.baseline_hidden is not None:
        document["summary"]["baseline"] = {"hidden": result.baseline_hidden,
                                           "unmatched": result.baseline_unmatched}
    return json.dumps(document, indent=2, ensure_ascii=False) + "\n"
