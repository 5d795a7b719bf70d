"""Filter: the baseline, today's findings recorded so that later runs show only new ones.

The file is JSON with one entry a line, sorted by path, rule and
fingerprint, and no line numbers or messages: two branches that each add a
finding touch different lines, and editing a file does not churn it. An
entry holds the path and rule in clear, so a reviewer sees what was
accepted, and a fingerprint (see ``fingerprint.py``) that stands for the
offending text without revealing it.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from perkamo_guard.fingerprint import fingerprint_findings
from perkamo_guard.model import Finding

#: The format's name and version, the first key of every baseline file.
FORMAT_KEY = "perkamo-guard-baseline"
FORMAT_VERSION = 1
DEFAULT_FILE = ".perkamo-guard-baseline.json"


class BaselineError(Exception):
    """A baseline file that cannot be used; the message names the file."""


@dataclass(frozen=True, order=True)
class Entry:
    """One accepted finding, as the baseline file records it."""

    path: str
    rule: str
    fingerprint: str


@dataclass(frozen=True)
class Outcome:
    """What applying a baseline did to a run's findings."""

    kept: list[Finding]
    hidden: int
    #: Entries for files scanned in this run that matched no finding.
    unmatched: int


class Baseline:
    """A baseline file's entries, and the folder its paths are relative to."""

    def __init__(self, entries: Iterable[Entry], folder: Path, cwd: Path) -> None:
        self.entries = sorted(set(entries))
        self.folder = Path(os.path.normpath(folder))
        self.cwd = cwd

    def path_of(self, display: str) -> str:
        """Turn a displayed path (relative to ``cwd``) into a baseline path.

        Baseline paths are relative to the baseline's folder, so that the
        file works from any working directory.
        """
        absolute = os.path.normpath(self.cwd / display)
        try:
            return Path(os.path.relpath(absolute, self.folder)).as_posix()
        except ValueError:  # another drive, on Windows
            return display

    def entries_for(self, findings: Iterable[Finding]) -> list[Entry]:
        """Make the entries that record ``findings``."""
        paired = fingerprint_findings(findings, lambda f: self.path_of(f.path))
        return sorted(Entry(self.path_of(f.path), f.rule, fp) for f, fp in paired)

    def apply(self, findings: list[Finding], scanned: Iterable[str]) -> Outcome:
        """Hide the findings this baseline records.

        :param scanned:
            Displayed paths of the files this run looked at: entries for
            other files are neither matched nor counted as unmatched.
        """
        known = {entry.fingerprint for entry in self.entries}
        kept, matched = [], set()
        paired = fingerprint_findings(findings, lambda f: self.path_of(f.path))
        for finding, fingerprint in paired:
            if fingerprint in known:
                matched.add(fingerprint)
            else:
                kept.append(finding)
        looked_at = {self.path_of(path) for path in scanned}
        unmatched = sum(1 for e in self.entries
                        if e.path in looked_at and e.fingerprint not in matched)
        return Outcome(sorted(kept), len(findings) - len(kept), unmatched)


def for_file(path: Path, cwd: Path | None = None) -> Baseline:
    """Make an empty baseline whose paths are relative to ``path``'s folder."""
    cwd = (cwd or Path.cwd()).resolve()
    return Baseline((), (cwd / path).parent, cwd)


def load(path: Path, cwd: Path | None = None) -> Baseline:
    """Read a baseline file.

    :raises BaselineError: when it is missing, unreadable or malformed.
    """
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise BaselineError(f"baseline file not found: {path}") from exc
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise BaselineError(f"cannot read baseline file {path}: {exc}") from exc
    empty = for_file(path, cwd)
    return Baseline(_entries(data, path), empty.folder, empty.cwd)


def _entries(data: Any, path: Path) -> list[Entry]:
    if not isinstance(data, dict) or data.get(FORMAT_KEY) != FORMAT_VERSION:
        raise BaselineError(f"{path} is not a perkamo-guard baseline "
                            f"(expected \"{FORMAT_KEY}\": {FORMAT_VERSION})")
    raw = data.get("entries")
    if not isinstance(raw, list):
        raise BaselineError(f"{path}: \"entries\" must be a list")
    entries = []
    for number, item in enumerate(raw, start=1):
        entry = _entry(item)
        if entry is None:
            raise BaselineError(f"{path}: entry {number} needs path, rule and fingerprint")
        entries.append(entry)
    return entries


def _entry(item: Any) -> Entry | None:
    if not isinstance(item, dict):
        return None
    path, rule, fingerprint = (item.get(k) for k in ("path", "rule", "fingerprint"))
    if isinstance(path, str) and isinstance(rule, str) and isinstance(fingerprint, str):
        return Entry(path, rule, fingerprint)
    return None


def dump(entries: Iterable[Entry]) -> str:
    """Write entries as the baseline file's text: sorted, one entry a line."""
    lines = [
        "    " + json.dumps({"path": e.path, "rule": e.rule, "fingerprint": e.fingerprint},
                            ensure_ascii=False)
        for e in sorted(set(entries))
    ]
    body = ",\n".join(lines)
    entries_text = f"[\n{body}\n  ]" if lines else "[]"
    return f'{{\n  "{FORMAT_KEY}": {FORMAT_VERSION},\n  "entries": {entries_text}\n}}\n'
