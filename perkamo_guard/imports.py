"""Client modules: what Next.js ``"use client"`` modules import joins the browser.

A module that a client component imports is bundled for the browser, even
if nothing in the module says so. We follow relative and ``@/`` imports
from every ``"use client"`` module of a Next.js project, transitively.
"""

from __future__ import annotations

import logging
import os
import re
from collections.abc import Iterable
from pathlib import Path

from perkamo_guard.classify import directive_zone, find_project
from perkamo_guard.discover import Discovered
from perkamo_guard.model import Zone

logger = logging.getLogger(__name__)

_SCRIPT_SUFFIXES = (".ts", ".tsx", ".js", ".jsx", ".mjs", ".cjs")
_IMPORT = re.compile(
    r"""(?:^|[;\s])(?:import|export)\b[^"';]*?from\s*["']([^"'\n]+)["']"""
    r"""|(?:^|[;\s])import\s*["']([^"'\n]+)["']"""
    r"""|\b(?:require|import)\s*\(\s*["']([^"'\n]+)["']\s*\)""",
    re.MULTILINE,
)
#: Reading more than this of a module to find its imports is rarely needed.
_HEAD = 64 * 1024


def client_modules(files: Iterable[Discovered]) -> dict[Path, Path]:
    """Map each module reached from a ``"use client"`` module to that module."""
    scripts = {f.path: f for f in files if _is_next_script(f.path)}
    if not scripts:
        return {}
    heads = {path: _head(path) for path in scripts}
    roots = [p for p, text in heads.items() if _declares(text) is Zone.BROWSER]
    reached: dict[Path, Path] = {}
    for root in roots:
        stack = [root]
        while stack:
            module = stack.pop()
            for target in _imports(module, heads.get(module) or _head(module)):
                if target in reached or target in roots or target not in scripts:
                    continue
                if _declares(heads[target]) is Zone.SERVER:
                    continue
                reached[target] = root
                stack.append(target)
    logger.debug("%d modules are imported by client components", len(reached))
    return reached


def _is_next_script(path: Path) -> bool:
    if path.suffix not in _SCRIPT_SUFFIXES:
        return False
    project = find_project(path.parent)
    return project is not None and project.uses("next")


def _head(path: Path) -> str:
    try:
        with path.open("rb") as handle:
            return handle.read(_HEAD).decode("utf-8", "replace")
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
    candidates = [base] if base.suffix in _SCRIPT_SUFFIXES else []
    candidates += [base.with_name(base.name + s) for s in _SCRIPT_SUFFIXES]
    candidates += [base / f"index{s}" for s in _SCRIPT_SUFFIXES]
    return candidates
