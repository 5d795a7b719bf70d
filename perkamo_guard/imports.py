"""Client modules: what Next.js ``"use client"`` modules import joins the browser.

A module that a client component imports is bundled for the browser, even
if nothing in the module says so. We follow relative and ``@/`` imports
from every ``"use client"`` module of a Next.js project, transitively.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable
from pathlib import Path

from perkamo_guard.classify import directive_zone, find_project
from perkamo_guard.discover import Discovered
from perkamo_guard.lazy import lazy_compile
from perkamo_guard.log import get_logger
from perkamo_guard.model import Zone

logger = get_logger(__name__)

#: The files that may be modules of a Next.js project.
CLIENT_SUFFIXES = (".ts", ".tsx", ".js", ".jsx", ".mjs", ".cjs")
_IMPORT = lazy_compile(
    r"""(?:^|[;\s])(?:import|export)\b[^"';]*?from\s*["']([^"'\n]+)["']"""
    r"""|(?:^|[;\s])import\s*["']([^"'\n]+)["']"""
    r"""|\b(?:require|import)\s*\(\s*["']([^"'\n]+)["']\s*\)""",
    re.MULTILINE,
)
#: Reading more than this of a module to find its imports is rarely needed.
CLIENT_HEAD = 64 * 1024


def client_modules(files: Iterable[Discovered], hinted: Iterable[Path]) -> dict[Path, Path]:
    """Map each module reached from a ``"use client"`` module to that module.

    :param hinted:
        The files that may declare ``"use client"`` (their first bytes hold
        ``use client`` or ``client-only``); the scan's first pass finds them,
        so that no other file is read again here.
    """
    paths = {f.file for f in files}
    heads: dict[Path, str] = {}

    def head(path: Path) -> str:
        if path not in heads:
            heads[path] = _head(path)
        return heads[path]

    roots = [p for p in hinted if str(p) in paths and _is_next_script(p)
             and _declares(head(p)) is Zone.BROWSER]
    root_set = set(roots)
    reached: dict[Path, Path] = {}
    for root in roots:
        stack = [root]
        while stack:
            module = stack.pop()
            for target in _imports(module, head(module)):
                if target in reached or target in root_set or str(target) not in paths:
                    continue
                if not _is_next_script(target) or _declares(head(target)) is Zone.SERVER:
                    continue
                reached[target] = root
                stack.append(target)
    logger.debug("%d modules are imported by client components", len(reached))
    return reached


def _is_next_script(path: Path) -> bool:
    if path.suffix not in CLIENT_SUFFIXES:
        return False
    project = find_project(path.parent)
    return project is not None and project.uses("next")


def _head(path: Path) -> str:
    try:
        with path.open("rb") as handle:
            return handle.read(CLIENT_HEAD).decode("utf-8", "replace")
    except OSError:
        return ""


def _declares(text: str) -> Zone | None:
    declared = directive_zone(text)
    return declared[0] if declared else None


def _imports(module: Path, text: str) -> Iterable[Path]:
    for match in _IMPORT.finditer(text):
        specifier = match.group(1) or match.group(2) or match.group(3)
        target = _resolve(module, specifier)
        if target is not None:
            yield target


def _resolve(module: Path, specifier: str) -> Path | None:
    """Resolve a relative or ``@/``/``~/`` import to a file, if it exists."""
    if specifier.startswith("."):
        bases = [module.parent / specifier]
    elif specifier.startswith(("@/", "~/")):
        project = find_project(module.parent)
        if project is None:
            return None
        bases = [project.root / "src" / specifier[2:], project.root / specifier[2:]]
    else:
        return None
    for candidate in (c for base in bases for c in _candidates(base)):
        if candidate.is_file():
            return Path(os.path.normpath(candidate))
    return None


def _candidates(base: Path) -> list[Path]:
    candidates = [base] if base.suffix in CLIENT_SUFFIXES else []
    candidates += [base.with_name(base.name + s) for s in CLIENT_SUFFIXES]
    candidates += [base / f"index{s}" for s in CLIENT_SUFFIXES]
    return candidates
