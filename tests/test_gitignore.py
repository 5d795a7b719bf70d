"""Would git commit a file? Tracked files count; every exclude source is honoured."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from perkamo_guard.gitignore import GitignoreOracle
from tests.conftest import write_tree

pytestmark = pytest.mark.skipif(shutil.which("git") is None, reason="git is not installed")


def _git(repo: Path, *args: str) -> None:
    subprocess.run(["git", "-C", str(repo), *args], check=True, capture_output=True)


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    _git(tmp_path, "init", "-q")
    write_tree(tmp_path, {".gitignore": ".env\n", ".env": "A=1\n", "web/.env": "A=1\n",
                          ".env.local": "A=1\n", ".env.prod": "A=1\n"})
    (tmp_path / ".git" / "info").mkdir(exist_ok=True)
    (tmp_path / ".git" / "info" / "exclude").write_text(".env.local\n")
    return tmp_path


@pytest.mark.parametrize(
    ("name", "committed"),
    [
        (".env", False),             # ignored by .gitignore, untracked
        (".env.local", False),       # ignored by .git/info/exclude only
        (".env.prod", True),         # nothing ignores it
    ],
)
def test_untracked_files_follow_every_exclude_source(repo: Path, name: str,
                                                     committed: bool) -> None:
    assert GitignoreOracle().is_committed(repo / name) is committed


def test_tracked_file_counts_as_committed_though_ignored(repo: Path) -> None:
    _git(repo, "add", "-f", "web/.env")
    assert GitignoreOracle().is_committed(repo / "web" / ".env") is True


def test_outside_a_work_tree_gitignore_files_are_read(tmp_path: Path) -> None:
    write_tree(tmp_path, {".gitignore": ".env*\n!.env.example\n", ".env": "", ".env.example": ""})
    oracle = GitignoreOracle()
    assert oracle.is_committed(tmp_path / ".env") is False
    assert oracle.is_committed(tmp_path / ".env.example") is True
