"""Discover: the files git reports as changed since a revision (``--changed-since``).

We take the merge base of the revision and ``HEAD``, as a pull request's
diff does, and list the files added, copied, modified or renamed between it
and the working tree (so staged and unstaged edits count), plus untracked
files that git does not ignore: a new file is the likeliest home of a
fresh key, and it is one ``git add`` away from a commit. Deleted files are
left out; there is nothing left to scan.
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import Iterable
from pathlib import Path

from perkamo_guard.log import get_logger

logger = get_logger(__name__)

_TIMEOUT = 120


class GitError(Exception):
    """Git is missing or refused the request; the message says what to fix."""


class GitMissing(GitError):
    """No git program to run."""


def changed_files(revision: str, cwd: Path | None = None) -> list[Path]:
    """Return the absolute paths of the files changed since ``revision``.

    :raises GitError: without git, outside a repository, for an unknown
        revision, or when the revision shares no history with ``HEAD``.
    """
    cwd = cwd or Path.cwd()
    try:
        top = Path(_git(["rev-parse", "--show-toplevel"], cwd).strip())
    except GitMissing:
        raise
    except GitError as exc:
        raise GitError(f"--changed-since needs a git repository: {exc}") from exc
    base = merge_base(revision, top)
    diff = _git(["diff", "--name-only", "-z", "--diff-filter=ACMR", "--no-ext-diff",
                 base, "--"], top)
    untracked = _git(["ls-files", "--others", "--exclude-standard", "-z"], top)
    names = {name for name in (diff + "\0" + untracked).split("\0") if name}
    logger.info("%d files changed since %s (merge base %s)", len(names), revision, base[:12])
    return sorted(top / name for name in names)


def merge_base(revision: str, top: Path) -> str:
    """Return the merge base of ``revision`` and ``HEAD``."""
    if revision.startswith("-"):
        raise GitError(f"not a revision: {revision!r}")
    try:
        _git(["rev-parse", "--verify", "--quiet", "--end-of-options",
              f"{revision}^{{commit}}"], top)
    except GitError as exc:
        raise GitError(f"unknown revision {revision!r}: git knows no commit by that "
                       "name (in CI, fetch the branch first)") from exc
    try:
        return _git(["merge-base", "--end-of-options", revision, "HEAD"], top).strip()
    except GitError as exc:
        raise GitError(f"{revision!r} and HEAD share no history; in a shallow clone, "
                       "fetch more of it (for example fetch-depth: 0)") from exc


def within(files: Iterable[Path], paths: Iterable[str], cwd: Path | None = None) -> list[str]:
    """Keep the files at or below one of ``paths``, as strings for ``discover``."""
    cwd = (cwd or Path.cwd()).resolve()
    roots = [Path(os.path.normpath(cwd / p)) for p in paths]
    kept = []
    for file in files:
        normal = Path(os.path.normpath(file))
        if any(normal == root or root in normal.parents for root in roots):
            kept.append(str(normal))
    return kept


def _git(args: list[str], cwd: Path) -> str:
    try:
        proc = subprocess.run(["git", *args], cwd=cwd, capture_output=True, text=True,
                              encoding="utf-8", errors="surrogateescape", timeout=_TIMEOUT)
    except FileNotFoundError as exc:
        raise GitMissing("git is not installed or not on PATH; --changed-since needs it") \
            from exc
    except subprocess.TimeoutExpired as exc:
        raise GitError(f"git {args[0]} took over {_TIMEOUT} s") from exc
    if proc.returncode != 0:
        detail = proc.stderr.strip().splitlines()
        raise GitError(detail[-1] if detail else f"git {args[0]} failed")
    return proc.stdout
