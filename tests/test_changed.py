"""``check --changed-since REV``: only what changed since the merge base, clear git errors."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import run_cli, write_tree
from tests.gitrepo import commit_all, git

LIVE = "sk_live_" + "9Qv2Lr7Tx4Pz8Wm3Nb6Kc1Hd"
LEAK = f'KEY = "{LIVE}"\n'

pytestmark = pytest.mark.skipif(shutil.which("git") is None, reason="git is not installed")


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    """A repository whose branch ``feature`` changes files in every way git can."""
    git(tmp_path, "init", "-q", "-b", "main")
    write_tree(tmp_path, {
        ".gitignore": "local/\n",
        "old_leak.py": LEAK,
        "server/edit.py": "import os\n",
        "server/move_me.py": LEAK.replace("KEY", "MOVED"),
        "server/delete_me.py": "x = 1\n",
    })
    commit_all(tmp_path, "start")
    git(tmp_path, "checkout", "-q", "-b", "feature")
    write_tree(tmp_path, {"server/edit.py": "import os\n" + LEAK, "web/new.py": LEAK})
    git(tmp_path, "mv", "server/move_me.py", "server/moved.py")
    git(tmp_path, "rm", "-q", "server/delete_me.py")
    commit_all(tmp_path, "feature work")
    # Main moves on after the branch point: its changes are not the branch's.
    git(tmp_path, "checkout", "-q", "main")
    write_tree(tmp_path, {"main_only.py": LEAK})
    commit_all(tmp_path, "main work")
    git(tmp_path, "checkout", "-q", "feature")
    # Uncommitted work: an untracked file, an ignored one, an unstaged edit.
    write_tree(tmp_path, {"untracked.py": LEAK, "local/ignored.py": LEAK})
    return tmp_path


def _flagged(proc: subprocess.CompletedProcess[str]) -> list[str]:
    return [line.split(":")[0] for line in proc.stdout.splitlines() if ": PG103 " in line]


def test_only_files_changed_since_the_merge_base_are_scanned(repo: Path) -> None:
    proc = run_cli("check", "--changed-since", "main", cwd=repo)
    assert proc.returncode == 1, proc.stderr
    assert _flagged(proc) == ["server/edit.py", "server/moved.py", "untracked.py",
                              "web/new.py"]
    assert proc.stdout.endswith("in 4 files scanned.\n")


def test_changed_files_are_limited_to_the_given_paths(repo: Path) -> None:
    proc = run_cli("check", "--changed-since", "main", "server", cwd=repo)
    assert _flagged(proc) == ["server/edit.py", "server/moved.py"]


def test_paths_are_shown_relative_to_a_subfolder(repo: Path) -> None:
    proc = run_cli("check", "--changed-since", "main", ".", cwd=repo / "server")
    assert _flagged(proc) == ["edit.py", "moved.py"]


def test_nothing_changed_scans_nothing(repo: Path) -> None:
    proc = run_cli("check", "--changed-since", "HEAD", "web", cwd=repo)
    assert (proc.returncode, proc.stdout) == (0, "No findings: 0 files scanned.\n")


def test_unknown_revision_is_a_clear_error(repo: Path) -> None:
    proc = run_cli("check", "--changed-since", "no-such-branch", cwd=repo)
    assert proc.returncode == 2
    assert "unknown revision 'no-such-branch'" in proc.stderr
    assert "Traceback" not in proc.stderr


def test_option_like_revision_is_refused(repo: Path) -> None:
    proc = run_cli("check", "--changed-since=--output=x", cwd=repo)
    assert proc.returncode == 2 and "not a revision" in proc.stderr


def test_outside_a_repository_is_a_clear_error(tmp_path: Path) -> None:
    write_tree(tmp_path, {"a.py": LEAK})
    proc = run_cli("check", "--changed-since", "main", cwd=tmp_path)
    assert proc.returncode == 2
    assert "--changed-since needs a git repository" in proc.stderr


def test_missing_git_is_a_clear_error(tmp_path: Path) -> None:
    write_tree(tmp_path, {"a.py": LEAK})
    proc = subprocess.run([sys.executable, "-m", "perkamo_guard", "check",
                           "--changed-since", "main"], cwd=tmp_path, capture_output=True,
                          text=True, env={**os.environ, "PATH": str(tmp_path / "no-bin")},
                          timeout=60)
    assert proc.returncode == 2
    assert "git is not installed or not on PATH" in proc.stderr
