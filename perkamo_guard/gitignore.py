"""Would git commit this file? Ask git when it is there, else read ``.gitignore``."""

from __future__ import annotations

import logging
import shutil
import subprocess
from functools import lru_cache
from pathlib import Path

import pathspec

logger = logging.getLogger(__name__)


class GitignoreOracle:
    """Answer whether git would commit a path (or has already).

    We read the files with pathspec, from the file's folder up to the
    repository root (the first folder holding ``.git``), so no git binary
    is needed. A deeper ``.gitignore`` overrides a shallower one, as in git.
    """

    def is_committed(self, path: Path) -> bool:
        path = path.resolve()
        chain = _up_to_repository_root(path.parent)
        verdict = _ask_git(chain[-1], path) if (chain[-1] / ".git").exists() else None
        if verdict is not None:
            return verdict
        for directory in chain:
            spec = _spec(directory)
            if spec is None:
                continue
            relative = path.relative_to(directory).as_posix()
            result = spec.check_file(relative)
            if result.include is not None:
                return not result.include
        return True


def _ask_git(root: Path, path: Path) -> bool | None:
    """Ask git: a tracked file is committed whatever ``.gitignore`` says, and
    an untracked one unless any exclude source (``.gitignore``,
    ``.git/info/exclude``, ``core.excludesFile``) ignores it.

    We call git only for files that hold a live key, so the cost is small;
    without git (or outside a work tree) we fall back to reading ``.gitignore``.
    """
    git = shutil.which("git")
    if git is None:
        return None
    relative = path.relative_to(root).as_posix()
    try:
        tracked = subprocess.run(
            [git, "-C", str(root), "ls-files", "--cached", "-z", "--", relative],
            capture_output=True, timeout=30, check=False)
        if tracked.returncode != 0:
            return None
        if tracked.stdout:
            return True
        ignored = subprocess.run(
            [git, "-C", str(root), "check-ignore", "-q", "--", relative],
            capture_output=True, timeout=30, check=False)
    except (OSError, subprocess.SubprocessError) as exc:
        logger.debug("git could not tell whether %s is committed: %s", path, exc)
        return None
    return {0: False, 1: True}.get(ignored.returncode)


def _up_to_repository_root(start: Path) -> list[Path]:
    chain = []
    for directory in (start, *start.parents):
        chain.append(directory)
        if (directory / ".git").exists():
            break
    return chain


@lru_cache(maxsize=1024)
def _spec(directory: Path) -> pathspec.GitIgnoreSpec | None:
    ignore = directory / ".gitignore"
    try:
        lines = ignore.read_text(encoding="utf-8-sig", errors="replace").splitlines()
    except OSError:
        return None
    return pathspec.GitIgnoreSpec.from_lines(lines)
