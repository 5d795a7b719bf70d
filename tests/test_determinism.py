"""Determinism: the same tree gives byte-identical output, whatever the run.

Repeated runs, different hash seeds (set and dict order), different file
creation orders (directory listing order) and, once the engine has them,
parallel and serial runs all print the same bytes in every format.
"""

from __future__ import annotations

import os
import random
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from perkamo_guard.cli import check as check_command
from perkamo_guard.report import FORMATS
from tests.conftest import REPO, write_tree
from tests.test_output_safety import HOSTILE_TREE

DEMO = REPO / "examples" / "leaky-shop"


def _tree(root: Path, order_seed: int) -> Path:
    """Copy the demo and the hostile tree under ``root``, files created in a shuffled order."""
    files: dict[str, str | bytes] = {
        str(path.relative_to(DEMO)): path.read_bytes()
        for path in DEMO.rglob("*") if path.is_file()
    }
    files.update({f"hostile/{name}": content for name, content in HOSTILE_TREE.items()})
    names = sorted(files)
    random.Random(order_seed).shuffle(names)
    for name in names:
        write_tree(root, {name: files[name]})
    return root


def _run(root: Path, output_format: str, seed: str, *extra: str) -> bytes:
    env = {**os.environ, "PYTHONHASHSEED": seed}
    env.pop("NO_COLOR", None)
    proc = subprocess.run([sys.executable, "-m", "perkamo_guard", "check", ".", "--format",
                           output_format, *extra], cwd=root, env=env, capture_output=True,
                          timeout=300)
    assert proc.returncode == 1, proc.stderr.decode(errors="replace")
    return proc.stdout


def _render_all(root: Path) -> dict[str, str]:
    """Scan ``root`` in-process and render every format."""
    from tests.test_output_safety import render_all

    return render_all(root)


def test_repeated_runs_in_any_file_order_are_byte_identical(tmp_path: Path) -> None:
    root = _tree(tmp_path / "repo", order_seed=1)
    first = _render_all(root)
    assert set(first) == set(FORMATS)
    assert _render_all(root) == first
    # The same tree built in another order, in the same place.
    shutil.rmtree(root)
    _tree(root, order_seed=2)
    assert _render_all(root) == first


def test_runs_under_different_hash_seeds_are_byte_identical(tmp_path: Path) -> None:
    root = _tree(tmp_path / "repo", order_seed=3)
    assert _run(root, "json", "1") == _run(root, "json", "2")


def _jobs_option() -> str | None:
    names = [name for param in check_command.params for name in param.opts]
    return next((name for name in ("--jobs", "-j") if name in names), None)


def _large_tree(root: Path) -> Path:
    """The mixed tree, plus enough quiet files (and a few loud ones) for workers."""
    _tree(root, order_seed=3)
    for index in range(1200):
        body = f'KEY = "sk_live_{index:04d}Qv2Lr7Tx4Pz8Wm3Nb6"\n' if index % 97 == 0 else "x = 1\n"
        write_tree(root, {f"pkg/part{index % 7}/module_{index}.py": body})
    return root


@pytest.mark.skipif(_jobs_option() is None, reason="the engine has no --jobs option yet")
@pytest.mark.parametrize("output_format", ["text", "json", "sarif"])
def test_parallel_and_serial_runs_are_byte_identical(tmp_path: Path,
                                                     output_format: str) -> None:
    root = _large_tree(tmp_path / "repo")
    option = _jobs_option()
    assert option is not None
    serial = _run(root, output_format, "0", option, "1")
    assert _run(root, output_format, "0", option, "4") == serial
    assert _run(root, output_format, "0", option, "2") == serial


@pytest.mark.skipif(_jobs_option() is None, reason="the engine has no --jobs option yet")
def test_parallel_run_does_use_workers_on_the_large_tree(tmp_path: Path) -> None:
    root = _large_tree(tmp_path / "repo")
    env = {**os.environ, "PYTHONHASHSEED": "0"}
    proc = subprocess.run([sys.executable, "-m", "perkamo_guard", "check", ".", "-q", "-vv",
                           str(_jobs_option()), "2"], cwd=root, env=env, capture_output=True,
                          text=True, timeout=300)
    assert "(2 processes)" in proc.stderr
