"""Filter: inline suppressions, select/ignore and per-file ignores."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from typing import TYPE_CHECKING

from perkamo_guard.config import Config
from perkamo_guard.lazy import lazy_compile
from perkamo_guard.model import Finding, SourceFile

if TYPE_CHECKING:
    import pathspec

_SUPPRESSION = lazy_compile(
    r"(?:#|//|/\*|<!--)[ \t]*perkamo-guard:[ \t]*ignore\[([^\]\n]*)\]([^\n]*)"
)
#: Any ``until=`` value, so that a malformed date is reported, not taken as reason.
_UNTIL = lazy_compile(r"\buntil=(\S*)")
_COMMENT_END = lazy_compile(r"\s*(\*/|-->)\s*$")


class Suppression:
    """One ``perkamo-guard: ignore[...]`` comment."""

    def __init__(self, line: int, column: int, codes: tuple[str, ...], reason: str,
                 until: date | None, standalone: bool, text: str = "",
                 until_text: str = "") -> None:
        self.line = line
        self.column = column
        self.codes = codes
        self.reason = reason
        self.until = until
        #: True when the comment is alone on its line (it covers the next line).
        self.standalone = standalone
        #: The codes that suppressed a finding of this run.
        self.used: set[str] = set()
        #: The comment from its marker to the end of the line, for hygiene findings.
        self.text = text
        #: The ``until=`` value as written, kept when it is not a valid date.
        self.until_text = until_text

    def __repr__(self) -> str:
        return f"Suppression(line {self.line}, {', '.join(self.codes)})"

    def is_expired(self, today: date) -> bool:
        """Tell whether the ``until=`` date has passed or cannot be read."""
        if self.until is None:
            return bool(self.until_text)
        return self.until < today

    def covers(self, finding: Finding) -> bool:
        target = self.line + 1 if self.standalone else self.line
        return finding.line == target and finding.rule in self.codes


def find_suppressions(file: SourceFile) -> list[Suppression]:
    """Read every suppression comment of a file."""
    if "perkamo-guard:" not in file.text:
        return []
    found = []
    for match in _SUPPRESSION.finditer(file.text):
        line, column = file.lines.position(match.start())
        start, _ = file.lines.line_span(line)
        codes = tuple(c.strip().upper() for c in match.group(1).split(",") if c.strip())
        rest = _COMMENT_END.sub("", match.group(2))
        until_match = _UNTIL.search(rest)
        until = _parse_date(until_match.group(1)) if until_match else None
        reason = _UNTIL.sub("", rest).strip(" \t-:")
        standalone = not file.text[start : match.start()].strip()
        found.append(Suppression(line, column, codes, reason, until, standalone,
                                 text=match.group().rstrip(),
                                 until_text=until_match.group(1) if until_match else ""))
    return found


def _parse_date(text: str) -> date | None:
    try:
        return date.fromisoformat(text)
    except ValueError:
        return None


def apply_suppressions(findings: Iterable[Finding],
                       suppressions: list[Suppression]) -> tuple[list[Finding], int]:
    """Drop suppressed findings; return the rest and how many were dropped."""
    kept, dropped = [], 0
    for finding in findings:
        match = next((s for s in suppressions if s.covers(finding)), None)
        if match is None:
            kept.append(finding)
        else:
            match.used.add(finding.rule)
            dropped += 1
    return kept, dropped


def _glob_spec(glob: str) -> pathspec.GitIgnoreSpec:
    # NOTE: imported here, so that runs without per-file-ignores (the
    # pre-commit hook, mostly) do not pay for pathspec.
    import pathspec

    return pathspec.GitIgnoreSpec.from_lines([glob])


class RuleFilter:
    """Apply ``select``/``ignore`` and ``per-file-ignores`` to findings."""

    def __init__(self, selected: set[str], config: Config) -> None:
        self.selected = selected
        self._per_file = [
            (_glob_spec(glob), tuple(c.upper() for c in codes))
            for glob, codes in config.per_file_ignores
        ]

    def ignored_for(self, relative_path: str) -> set[str]:
        """Codes that ``per-file-ignores`` turns off for a path."""
        codes: set[str] = set()
        for spec, prefixes in self._per_file:
            if spec.match_file(relative_path):
                codes.update(c for c in self.selected if c.startswith(prefixes))
        return codes

    def keep(self, finding: Finding, ignored: set[str]) -> bool:
        return finding.rule in self.selected and finding.rule not in ignored
