"""Text report: ``path:line:col: CODE message``, a snippet, and a summary."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable

from perkamo_guard.report import ReportInput, severity_of
from perkamo_guard.snippet import neutralise_line

_STYLES = {"error": "\x1b[1;31m", "warning": "\x1b[1;33m", "path": "\x1b[1m",
           "dim": "\x1b[2m", "reset": "\x1b[0m"}


def render(report: ReportInput) -> str:
    """Render findings, file errors and a closing summary as text."""
    paint = _painter(report.color)
    lines: list[str] = []
    if report.show_zones:
        lines.extend(_zones(report))
    if not report.quiet:
        for finding in report.result.findings:
            severity = severity_of(report.rules, finding.rule)
            where = f"{neutralise_line(finding.path)}:{finding.line}:{finding.column}:"
            lines.append(f"{paint('path', where)} {paint(severity, finding.rule)} "
                         f"{neutralise_line(finding.message)}")
            if finding.snippet:
                lines.append(f"    {paint('dim', neutralise_line(finding.snippet))}")
    for error in report.result.errors:
        lines.append(f"{paint('warning', 'warning')}: {neutralise_line(error.path)}: "
                     f"{neutralise_line(error.message)}")
    if report.statistics:
        lines.extend(_statistics(report))
    lines.append(summary(report))
    return "\n".join(lines) + "\n"


def _painter(color: bool) -> Callable[[str, str], str]:
    def paint(style: str, text: str) -> str:
        return f"{_STYLES[style]}{text}{_STYLES['reset']}" if color else text
    return paint


def _zones(report: ReportInput) -> list[str]:
    return [neutralise_line(f"{c.display}: {c.kind.value}, {c.zone.value} ({c.zone_reason})")
            for c in sorted(report.result.zones, key=lambda c: c.display)]


def _statistics(report: ReportInput) -> list[str]:
    counts = Counter(f.rule for f in report.result.findings)
    return [f"{count:5d}  {code}  {report.rules[code].name if code in report.rules else ''}"
            for code, count in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))]


def summary(report: ReportInput) -> str:
    """Close the report with one line of counts."""
    result = report.result
    by_severity = Counter(severity_of(report.rules, f.rule) for f in result.findings)
    files = f"{result.files_scanned} file{'s' if result.files_scanned != 1 else ''} scanned"
    extra = []
    if result.suppressed:
        extra.append(f"{result.suppressed} suppressed")
    if result.baseline_hidden is not None:
        extra.extend(_baseline_counts(result.baseline_hidden, result.baseline_unmatched))
    if result.errors:
        extra.append(f"{len(result.errors)} file error{'s' if len(result.errors) != 1 else ''}")
    tail = f" ({', '.join(extra)})" if extra else ""
    if not result.findings:
        return f"No findings: {files}{tail}."
    total = len(result.findings)
    return (f"Found {total} finding{'s' if total != 1 else ''} "
            f"({by_severity['error']} error, {by_severity['warning']} warning) "
            f"in {files}{tail}.")


def _baseline_counts(hidden: int, unmatched: int) -> list[str]:
    """Say what the baseline hid and how many of its entries are stale."""
    entries = "entry no longer matches" if unmatched == 1 else "entries no longer match"
    return [f"{hidden} hidden by the baseline", f"{unmatched} baseline {entries}"]
