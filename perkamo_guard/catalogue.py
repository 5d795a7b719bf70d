"""The rule catalogue: one TOML file per rule in ``rules/``."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from functools import cache
from pathlib import Path
from typing import Any, NamedTuple


class Example(NamedTuple):
    """A rule example: a file name and its content, and what it should yield."""

    path: str
    code: str
    #: (line, column) pairs this rule must report; empty for a valid example.
    expect: tuple[tuple[int, int], ...] = ()
    #: Extra files the example needs beside it (name -> content).
    files: tuple[tuple[str, str], ...] = ()


class Rule(NamedTuple):
    """A rule's catalogue entry."""

    code: str
    name: str
    severity: str
    summary: str
    message: str
    rationale: str
    fix: str
    valid: tuple[Example, ...]
    invalid: tuple[Example, ...]


def rules_dir() -> Path:
    """Find ``rules/``: inside the installed wheel, or beside the package."""
    here = Path(__file__).resolve().parent
    for candidate in (here / "rules", here.parent / "rules"):
        if candidate.is_dir():
            return candidate
    raise FileNotFoundError("the rule catalogue (rules/) is missing")


class Catalogue(Mapping[str, Rule]):
    """The rules keyed by code, in code order, read on first use of a rule.

    NOTE: a clean pre-commit run needs the codes only (they are the file
    names); reading 20-odd TOML files costs about a tenth of its budget.
    """

    def __init__(self, directory: Path) -> None:
        self._paths = sorted(directory.glob("PG*.toml"))
        self._rules: dict[str, Rule] | None = None

    def codes(self) -> list[str]:
        """Every rule code, without reading the rule files."""
        return sorted(path.stem for path in self._paths)

    def _load(self) -> dict[str, Rule]:
        if self._rules is None:
            rules = [_load_rule(path) for path in self._paths]
            self._rules = {rule.code: rule for rule in sorted(rules, key=lambda r: r.code)}
        return self._rules

    def __getitem__(self, code: str) -> Rule:
        return self._load()[code]

    def __iter__(self) -> Iterator[str]:
        return iter(self._load())

    def __len__(self) -> int:
        return len(self._load())


@cache
def load_catalogue() -> Catalogue:
    """The rule catalogue of ``rules/``."""
    return Catalogue(rules_dir())


def _load_rule(path: Path) -> Rule:
    import tomllib  # NOTE: a run that reports nothing reads no rule file

    data = tomllib.loads(path.read_text(encoding="utf-8"))
    examples = data.get("examples", {})
    return Rule(
        code=data["code"],
        name=data["name"],
        severity=data["severity"],
        summary=data["summary"],
        message=data["message"],
        rationale=data["rationale"].strip(),
        fix=data["fix"].strip(),
        valid=tuple(_example(e) for e in examples.get("valid", [])),
        invalid=tuple(_example(e) for e in examples.get("invalid", [])),
    )


def _example(data: dict[str, Any]) -> Example:
    expect = tuple((int(e["line"]), int(e["column"])) for e in data.get("expect", []))
    files = tuple(sorted(data.get("files", {}).items()))
    return Example(data["path"], data["code"], expect, files)


def expand_codes(patterns: list[str]) -> set[str]:
    """Expand codes and prefixes (``PG1``) to the known codes they name.

    :raises ValueError: for a pattern that names no rule.
    """
    known = load_catalogue().codes()
    selected: set[str] = set()
    for pattern in (p.strip().upper() for p in patterns):
        if not pattern:
            continue
        if pattern == "ALL":
            selected.update(known)
            continue
        matched = {code for code in known if code.startswith(pattern)}
        if not matched:
            raise ValueError(f"unknown rule code or prefix: {pattern}")
        selected |= matched
    return selected
