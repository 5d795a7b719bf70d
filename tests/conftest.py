"""Shared helpers: write a tree, scan it in-process, run the real command."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from perkamo_guard.catalogue import expand_codes
from perkamo_guard.config import load_config
from perkamo_guard.engine import RunResult, Scanner

REPO = Path(__file__).resolve().parent.parent

# Case and fixture trees hold code to scan, not tests to run.
collect_ignore_glob = ["cases/*", "fixtures/*"]


def write_tree(root: Path, files: dict[str, str | bytes]) -> Path:
    """Write ``files`` (relative path -> content) under ``root``."""
    for name, content in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content, encoding="utf-8", newline="")
    return root


@contextmanager
def working_directory(path: Path) -> Iterator[None]:
    previous = Path.cwd()
    os.chdir(path)
    try:
        yield
    finally:
        os.chdir(previous)


def scan(root: Path, paths: list[str] | None = None, select: str = "ALL") -> RunResult:
    """Scan ``paths`` (default ``.``) with ``root`` as the working directory.

    The result records every file's zone. The same tree is scanned as the
    command does (two passes, most files never classified) and with no
    trigger texts at all (every family reads every file): the findings must
    be the same, or the prefilter would hide one.
    """
    with working_directory(root):
        config = load_config()
        selected = expand_codes(select.split(",")) - expand_codes(list(config.ignore))
        result = Scanner(config, selected, record_zones=True).scan(paths or ["."])
        quick = Scanner(config, selected).scan(paths or ["."])
        every = Scanner(config, selected, triggers=False).scan(paths or ["."])
    assert _seen(quick) == _seen(result), "the two-pass scan differs from the full one"
    assert _seen(every) == _seen(result), "trigger texts hid a finding (or made one)"
    return result


def _seen(result: RunResult) -> list[tuple[str, int, int, str]]:
    # NOTE: positions and codes only: a failure must not print a key.
    return [(f.path, f.line, f.column, f.rule) for f in result.findings]


def run_cli(*args: str, cwd: Path, input: str | None = None) -> subprocess.CompletedProcess[str]:
    """Run the real ``perkamo-guard`` command."""
    return subprocess.run(
        [sys.executable, "-m", "perkamo_guard", *args], cwd=cwd, input=input,
        capture_output=True, text=True, encoding="utf-8", timeout=120,
    )


@pytest.fixture
def tree(tmp_path: Path):  # type: ignore[no-untyped-def]
    """Return a function that writes files under a fresh folder."""
    def make(files: dict[str, str | bytes]) -> Path:
        return write_tree(tmp_path, files)
    return make
