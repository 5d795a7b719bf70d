"""Records that flow through the pipeline: files, findings and file errors."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum
from functools import cached_property
from pathlib import Path
from typing import Any, NamedTuple

from perkamo_guard.text import LineIndex


class Zone(str, Enum):
    """Where a file's code runs."""

    BROWSER = "browser"
    SERVER = "server"
    UNKNOWN = "unknown"


class Kind(str, Enum):
    """What a file is, as far as the rules care."""

    PYTHON = "python"
    JAVASCRIPT = "javascript"
    TYPESCRIPT = "typescript"
    TSX = "tsx"
    VUE = "vue"
    SVELTE = "svelte"
    ENV = "env"
    JSON = "json"
    YAML = "yaml"
    TOML = "toml"
    HTML = "html"
    SOURCE_MAP = "source-map"
    BUNDLE = "bundle"
    TEXT = "text"


#: Kinds whose code tree-sitter reads (directly or through script blocks).
SCRIPT_KINDS = frozenset(
    {Kind.JAVASCRIPT, Kind.TYPESCRIPT, Kind.TSX, Kind.VUE, Kind.SVELTE}
)


class Classified(NamedTuple):
    """A discovered file with its kind and zone.

    NOTE: records made for every file, or at every start, are named tuples:
    a frozen dataclass costs about 0.6 ms to define, a named tuple 0.1, and
    a pre-commit run defines twenty-odd records before it reads a file.
    """

    path: Path
    display: str
    kind: Kind
    zone: Zone
    zone_reason: str
    is_example_env: bool = False


class SourceFile:
    """A file read into memory, with its kind and zone.

    ``text`` has any byte order mark removed; every offset a check reports
    is a character offset into it.
    """

    def __init__(self, path: Path, display: str, kind: Kind, zone: Zone, text: str,
                 is_example_env: bool = False) -> None:
        self.path = path
        self.display = display
        self.kind = kind
        self.zone = zone
        self.text = text
        self.is_example_env = is_example_env
        #: Parsed trees and other per-file results, computed at most once.
        self.cache: dict[str, Any] = {}

    def __repr__(self) -> str:
        return f"SourceFile({self.display!r}, {self.kind.value}, {self.zone.value})"

    @cached_property
    def lines(self) -> LineIndex:
        return LineIndex(self.text)


@dataclass(frozen=True, order=True)
class Finding:
    """One problem found in one file, ready to be filtered and reported."""

    path: str
    line: int
    column: int
    rule: str
    end_line: int
    end_column: int
    message: str = field(compare=False)
    snippet: str = field(compare=False, default="")
    #: The offending text, for fingerprints only; never printed.
    secret_text: str = field(compare=False, default="", repr=False)


class FileError(NamedTuple):
    """A file that could not be read or parsed (fully or in part)."""

    path: str
    message: str
