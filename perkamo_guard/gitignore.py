"""Would git commit this file? Read the ``.gitignore`` files above it."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING

from perkamo_guard.log import get_logger

if TYPE_CHECKING:
    import pathspec

logger = get_logger(__name__)


class GitignoreOracle:
    """Answer whether git would commit a path (or has already).

    We read the files with pathspec, from the file's folder up to the
    repository root (the first folder holding ``.git``), so no git binary
    is needed. A deeper ``.gitignore`` overrides a shallower one, as in git.
    """

    def is_committed(self, path: Path) -> bool:
        path = path.resolve()
        # NOTE: DESIGN.md reads .gitignore files, not git's index: the demo's
        # ignored files are committed to this repository on purpose, and a
        # scan must see them as its own .gitignore does. A file force-added
        # despite .gitignore is therefore taken as ignored (see PG104).
        for directory in _up_to_repository_root(path.parent):
            spec = _spec(directory)
            if spec is None:
                continue
            relative = path.relative_to(directory).as_posix()
            result = spec.check_file(relative)
            if result.include is not None:
                return not result.include
        return True


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
    import pathspec  # only when a key makes us ask; the hook rarely does

    return pathspec.GitIgnoreSpec.from_lines(lines)
