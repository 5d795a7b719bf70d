"""GitHub Actions report: workflow commands that annotate the pull request.

Every value we print comes from the scanned files or is shaped by them
(paths, names in messages), so each is escaped as the workflow-command
format requires: a value can then never end its command early or start a
new one, whatever the file holds.
"""

from __future__ import annotations

from perkamo_guard.model import FileError, Finding
from perkamo_guard.report import ReportInput, severity_of
from perkamo_guard.report.text_report import summary
from perkamo_guard.snippet import neutralise


def render(report: ReportInput) -> str:
    """Render one workflow command a finding and a file error, then a summary."""
    lines = [_finding_command(f, report) for f in report.result.findings]
    lines.extend(_error_command(e) for e in report.result.errors)
    lines.append(summary(report))
    return "\n".join(lines) + "\n"


def escape_data(text: str) -> str:
    """Escape a command's message: ``%``, carriage return and line feed."""
    return neutralise(text).replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def escape_property(text: str) -> str:
    """Escape a property value: as a message, plus ``:`` and ``,``."""
    return escape_data(text).replace(":", "%3A").replace(",", "%2C")


def command(name: str, properties: dict[str, str | int], message: str) -> str:
    """Build ``::name key=value,…::message`` with every part escaped."""
    listed = ",".join(f"{key}={escape_property(str(value))}"
                      for key, value in properties.items())
    return f"::{name} {listed}::{escape_data(message)}"


def _finding_command(finding: Finding, report: ReportInput) -> str:
    rule = report.rules.get(finding.rule)
    title = f"{finding.rule} {rule.name}" if rule else finding.rule
    level = "error" if severity_of(report.rules, finding.rule) == "error" else "warning"
    # GitHub accepts columns only for an annotation on a single line.
    one_line = finding.end_line == finding.line
    where: dict[str, str | int | None] = {
        "file": finding.path,
        "line": finding.line,
        "col": finding.column if one_line else None,
        "endLine": finding.end_line,
        "endColumn": finding.end_column if one_line else None,
        "title": title,
    }
    return command(level, {k: v for k, v in where.items() if v is not None}, finding.message)


def _error_command(error: FileError) -> str:
    return command("warning", {"file": error.path, "title": "perkamo-guard file error"},
                   error.message)
