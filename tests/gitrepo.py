"""Helpers for tests that need a real git repository."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

#: A fixed identity, so that commits work on machines with no git config.
IDENTITY = {"GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@example.invalid",
            "GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@example.invalid"}


def git_env() -> dict[str, str]:
    """The environment for git: ours, without variables that point elsewhere."""
    env = {**os.environ, **IDENTITY}
    for var in ("GIT_DIR", "GIT_WORK_TREE", "GIT_INDEX_FILE"):
        env.pop(var, None)
    return env


def git(repo: Path, *args: str) -> str:
    """Run git in ``repo``, failing the test on error."""
    proc = subprocess.run(["git", *args], cwd=repo, env=git_env(), capture_output=True,
                          text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    return proc.stdout


def commit_all(repo: Path, message: str) -> None:
    git(repo, "add", "-A")
    git(repo, "commit", "-qm", message)
