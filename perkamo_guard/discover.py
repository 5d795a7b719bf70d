"""Discover: expand the paths given on the command line into files."""

from __future__ import annotations

import logging
import os
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pathspec

from perkamo_guard.config import Config
from perkamo_guard.model import FileError

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Discovered:
    """A file to scan: where it is and how to show its path."""

    path: Path
    display: str


class Excluder:
    """Decide from the configured gitignore-style patterns what to leave out."""

    def __init__(self, config: Config) -> None:
        patterns = [*config.exclude, *config.extend_exclude]
        self._spec = pathspec.GitIgnoreSpec.from_lines(patterns)
        self._root = config.root.resolve()

    def is_excluded(self, path: Path, is_dir: bool = False) -> bool:
        relative = _relative_posix(path, self._root)
        if relative is None:
            relative = path.as_posix().lstrip("/")
        return self._spec.match_file(relative + "/" if is_dir else relative)


def display_path(path: Path, cwd: Path) -> str:
    """Show ``path`` relative to ``cwd`` when below it, else as given.

    Bytes of the name that are not UTF-8 show as ``\\xff`` escapes, so that
    every report stays valid UTF-8.
    """
    relative = _relative_posix(path, cwd)
    shown = relative if relative is not None else path.as_posix()
    return os.fsencode(shown).decode("utf-8", "backslashreplace")


def discover(paths: Iterable[str], config: Config, cwd: Path | None = None,
             errors: list[FileError] | None = None) -> list[Discovered]:
    """Expand ``paths`` into the sorted list of files to scan.

    A path that does not exist is skipped: hooks and "changed files" lists
    hand us deleted paths.

    :param errors:
        Receives a file error for each folder that cannot be listed.
    """
    cwd = (cwd or Path.cwd()).resolve()
    excluder = Excluder(config)
    found: dict[Path, Discovered] = {}
    for given in paths:
        path = Path(given)
        absolute = path if path.is_absolute() else cwd / path
        if path.is_dir():
            unlisted = _Unlisted(cwd, errors)
            files: Iterable[Path] = _walk(absolute, excluder, unlisted)
        elif path.exists():
            # A FIFO or device named on purpose is reported when read, not dropped.
            files = [] if excluder.is_excluded(absolute) else [absolute]
        else:
            logger.debug("skipping %s: no such file", given)
            continue
        for file in files:
            normal = Path(os.path.normpath(file))
            found.setdefault(normal, Discovered(normal, display_path(normal, cwd)))
    return sorted(found.values(), key=lambda d: d.display)


class _Unlisted:
    """Record folders that cannot be listed, as file errors of the run."""

    def __init__(self, cwd: Path, errors: list[FileError] | None) -> None:
        self.cwd = cwd
        self.errors = errors

    def add(self, directory: Path, exc: OSError) -> None:
        shown = display_path(Path(os.path.normpath(directory)), self.cwd)
        logger.warning("cannot list %s: %s", shown, exc.strerror or exc)
        if self.errors is not None:
            message = f"cannot list folder: {exc.strerror or exc}; its files were not scanned"
            self.errors.append(FileError(shown, message))


def _walk(top: Path, excluder: Excluder, unlisted: _Unlisted) -> Iterator[Path]:
    """Walk ``top`` without following symlinks, pruning excluded folders."""
    stack = [top]
    while stack:
        directory = stack.pop()
        try:
            entries = list(os.scandir(directory))
        except OSError as exc:
            unlisted.add(directory, exc)
            continue
        if directory != top and any(e.name == "pyvenv.cfg" for e in entries):
            logger.info("skipping virtual environment %s", directory)
            continue
        for entry in entries:
            path = Path(entry.path)
            if entry.is_symlink():
                logger.info("not following symlink %s", path)
            elif entry.is_dir(follow_symlinks=False):
                if not excluder.is_excluded(path, is_dir=True):
                    stack.append(path)
            elif entry.is_file(follow_symlinks=False) and not excluder.is_excluded(path):
                yield path


def _relative_posix(path: Path, base: Path) -> str | None:
    try:
        return Path(os.path.normpath(path)).relative_to(base).as_posix()
    except ValueError:
        return None
