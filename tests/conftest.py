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
    """Scan ``paths`` (default ``.``) with ``root`` as the working directory."""
    with working_directory(root):
        config = load_config()
        selected = expand_codes(select.split(",")) - expand_codes(list(config.ignore))
        return Scanner(config, selected, record_zones=True).scan(paths or ["."])


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
