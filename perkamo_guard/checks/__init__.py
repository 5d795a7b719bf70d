"""Check: rule families, each a module in this package exposing ``FAMILY``."""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

from perkamo_guard.catalogue import Rule
from perkamo_guard.config import Config
from perkamo_guard.keys import mask_keys
from perkamo_guard.model import FileError, Finding, Kind, SourceFile
from perkamo_guard.snippet import make_snippet


@dataclass
class Context:
    """What a check may consult besides its file, and where it records errors."""

    config: Config
    rules: Mapping[str, Rule]
    errors: list[FileError] = field(default_factory=list)
    #: Answers "would git commit this file?"; set by the engine.
    is_committed: Callable[[Path], bool] = lambda path: True
    #: The paths the run was given; set by the engine.
    paths: tuple[str, ...] = ()
    #: What a family gathers over a whole run for its ``finish`` (by family name).
    shared: dict[str, Any] = field(default_factory=dict)

    def finding(self, file: SourceFile, code: str, start: int, end: int,
                message: str | None = None, secrets: Sequence[str] = ()) -> Finding:
        """Build a finding from character offsets into ``file.text``."""
        line, column = file.lines.position(start)
        end_line, end_column = file.lines.position(max(start, end))
        return Finding(
            path=file.display, line=line, column=column, rule=code,
            end_line=end_line, end_column=end_column,
            # NOTE: messages quote names taken from the file (a source map's
            # sources, a suppression's codes); any key among them is masked.
            message=mask_keys(message or self.rules[code].message),
            snippet=make_snippet(file.lines, start, secrets),
            secret_text=secrets[0] if secrets else file.text[start:end],
        )

    def file_error(self, file: SourceFile, message: str) -> None:
        self.errors.append(FileError(file.display, message))


@dataclass(frozen=True)
class Family:
    """A rule family: the codes it reports, where it looks, and its check."""

    name: str
    codes: frozenset[str]
    #: File kinds the family reads; None means every kind.
    kinds: frozenset[Kind] | None
    #: The family runs on a file only if one of these occurs in its bytes.
    triggers: tuple[bytes, ...]
    check: Callable[[SourceFile, Context], Iterable[Finding]]
    #: Extra triggers that come from the configuration (sink names, keys).
    config_triggers: Callable[[Config], tuple[bytes, ...]] | None = None
    #: Findings that need the whole run (PG601, PG602), made after every file.
    finish: Callable[[Context], Iterable[Finding]] | None = None

    def applies_to(self, kind: Kind) -> bool:
        return self.kinds is None or kind in self.kinds

    def all_triggers(self, config: Config) -> tuple[bytes, ...]:
        extra = self.config_triggers(config) if self.config_triggers else ()
        return self.triggers + extra


@cache
def load_families() -> tuple[Family, ...]:
    """Import every module in this package and collect its ``FAMILY``."""
    families = []
    for info in sorted(pkgutil.iter_modules(__path__), key=lambda i: i.name):
        module = importlib.import_module(f"{__name__}.{info.name}")
        family = getattr(module, "FAMILY", None)
        if isinstance(family, Family):
            families.append(family)
    return tuple(families)
