"""The real pre-commit program runs this project's hook in a temporary repository."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import REPO, write_tree

LIVE = "sk_live_" + "9Qv2Lr7Tx4Pz8Wm3Nb6Kc1Hd"

pytestmark = pytest.mark.skipif(shutil.which("git") is None, reason="git is not installed")


def _git(repo: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@example.invalid",
           "GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@example.invalid"}
    for var in ("GIT_DIR", "GIT_WORK_TREE", "GIT_INDEX_FILE"):
        env.pop(var, None)
    return subprocess.run(["git", *args], cwd=repo, env=env, capture_output=True,
                          text=True, timeout=600)


@pytest.fixture(scope="module")
def hook_source(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    """This checkout, working-tree changes included, as a committed git repository.

    pre-commit installs a hook repository once per (path, rev) into
    PRE_COMMIT_HOME, so every test below reuses one installation.
    """
    source = tmp_path_factory.mktemp("hook-source") / "perkamo-guard"
    shutil.copytree(REPO, source, ignore=shutil.ignore_patterns(
        ".git", "tests", "examples", "benchmarks", "*.egg-info", "__pycache__", ".*cache"))
    _git(source, "init", "-q")
    _git(source, "add", "-A")
    assert _git(source, "commit", "-qm", "hook").returncode == 0
    return source, _git(source, "rev-parse", "HEAD").stdout.strip()


@pytest.fixture(scope="module")
def hook_repo(tmp_path_factory: pytest.TempPathFactory,
              hook_source: tuple[Path, str]) -> Path:
    """A git repository whose .pre-commit-config.yaml uses this project's hook."""
    source, rev = hook_source
    repo = tmp_path_factory.mktemp("hooked")
    _git(repo, "init", "-q")
    write_tree(repo, {
        ".pre-commit-config.yaml": (
            f"repos:\n  - repo: {source}\n    rev: {rev}\n"
            "    hooks:\n      - id: perkamo-guard\n"
        ),
        ".perkamo-guard.toml": 'extend-exclude = ["vendor/"]\n',
        "README.md": "demo\n",
    })
    _git(repo, "add", "-A")
    assert _git(repo, "commit", "-qm", "start").returncode == 0
    return repo


def _pre_commit() -> str | None:
    beside = Path(sys.executable).parent / "pre-commit"
    return str(beside) if beside.exists() else shutil.which("pre-commit")


def _run_hook(repo: Path, home: Path) -> subprocess.CompletedProcess[str]:
    command = [_pre_commit() or "pre-commit", "run", "perkamo-guard", "--verbose"]
    env = {**os.environ, "PRE_COMMIT_HOME": str(home)}
    return subprocess.run(command, cwd=repo, env=env, capture_output=True, text=True,
                          timeout=900)


@pytest.fixture(scope="module")
def precommit_home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    if _pre_commit() is None:
        pytest.skip("pre-commit is not installed (pip install -e '.[test]')")
    return tmp_path_factory.mktemp("pre-commit-home")


def test_staged_leak_blocks_the_commit(hook_repo: Path, precommit_home: Path) -> None:
    write_tree(hook_repo, {"server/settings.py": f'KEY = "{LIVE}"\n'})
    _git(hook_repo, "add", "server/settings.py")
    proc = _run_hook(hook_repo, precommit_home)
    _git(hook_repo, "reset", "-q")
    (hook_repo / "server/settings.py").unlink()
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert "server/settings.py:1:8: PG103" in proc.stdout
    assert LIVE not in proc.stdout + proc.stderr


def test_clean_commit_passes(hook_repo: Path, precommit_home: Path) -> None:
    write_tree(hook_repo, {"server/settings.py": 'import os\nKEY = os.environ["PERKAMO_SECRET_KEY"]\n'})
    _git(hook_repo, "add", "server/settings.py")
    proc = _run_hook(hook_repo, precommit_home)
    _git(hook_repo, "reset", "-q")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "Passed" in proc.stdout


def test_configured_exclude_is_honoured_for_staged_files(hook_repo: Path,
                                                         precommit_home: Path) -> None:
    write_tree(hook_repo, {"vendor/sdk.py": f'KEY = "{LIVE}"\n'})
    _git(hook_repo, "add", "vendor/sdk.py")
    proc = _run_hook(hook_repo, precommit_home)
    _git(hook_repo, "reset", "-q")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "vendor/sdk.py" not in proc.stdout


def test_env_files_without_a_known_extension_reach_the_hook(hook_repo: Path,
                                                            precommit_home: Path) -> None:
    write_tree(hook_repo, {".env.production": f"PERKAMO_SECRET_KEY={LIVE}\n"})
    _git(hook_repo, "add", ".env.production")
    proc = _run_hook(hook_repo, precommit_home)
    _git(hook_repo, "reset", "-q")
    (hook_repo / ".env.production").unlink()
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert ".env.production:1:1: PG104" in proc.stdout
