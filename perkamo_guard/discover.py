"""Discover: expand the paths given on the command line into files."""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING

from perkamo_guard.config import Config
from perkamo_guard.lazy import lazy_compile
from perkamo_guard.log import get_logger
from perkamo_guard.model import FileError

if TYPE_CHECKING:
    from pathspec import GitIgnoreSpec

logger = get_logger(__name__)


class Discovered:
    """A file to scan: where it is and how to show its path.

    NOTE: most files of a scan are read once and never looked at again; the
    ``Path`` (about 3 us to build) is made only for those that need one.
    """

    __slots__ = ("file", "display", "_path")

    def __init__(self, path: Path | str, display: str) -> None:
        #: The path as a string, for the system calls.
        self.file = os.fspath(path)
        self.display = display
        self._path = path if isinstance(path, Path) else None

    @property
    def path(self) -> Path:
        if self._path is None:
            self._path = Path(self.file)
        return self._path

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Discovered):
            return NotImplemented
        return (self.file, self.display) == (other.file, other.display)

    def __hash__(self) -> int:
        return hash((self.file, self.display))

    def __repr__(self) -> str:
        return f"Discovered({self.file!r}, {self.display!r})"


class Excluder:
    """Decide from the configured gitignore-style patterns what to leave out."""

    def __init__(self, config: Config) -> None:
        patterns = [*config.exclude, *config.extend_exclude]
        self._root = str(config.root.resolve())
        # NOTE: the default excludes are bare folder names ("node_modules/");
        # for those a set lookup gives pathspec's answer without importing
        # it, which the pre-commit path cannot afford.
        self._folders: frozenset[str] | None = None
        self._spec: GitIgnoreSpec | None = None
        if all(_FOLDER_NAME.fullmatch(p) for p in patterns):
            self._folders = frozenset(p[:-1] for p in patterns)
        else:
            from pathspec import GitIgnoreSpec as Spec

            self._spec = Spec.from_lines(patterns)

    @property
    def folder_names(self) -> frozenset[str] | None:
        """The folder names excluded anywhere, when every pattern is one; else None."""
        return self._folders

    def is_excluded(self, path: Path | str, is_dir: bool = False) -> bool:
        relative = self._relative(os.path.normpath(path))
        if self._folders is not None:
            parts = relative.split("/")
            return not self._folders.isdisjoint(parts if is_dir else parts[:-1])
        assert self._spec is not None
        return bool(self._spec.match_file(relative + "/" if is_dir else relative))

    def _relative(self, normal: str) -> str:
        root = self._root
        if normal.startswith(root) and normal[len(root) : len(root) + 1] == "/":
            return normal[len(root) + 1 :]
        if root == "/" and normal.startswith("/"):
            return normal[1:]
        return normal.lstrip("/")


#: A gitignore pattern that names a folder anywhere: ``node_modules/``.
_FOLDER_NAME = lazy_compile(r"[^/*?\[\]!\\#\s]+/")


def display_path(path: Path | str, cwd: Path | str) -> str:
    """Show ``path`` relative to ``cwd`` when below it, else as given.

    Bytes of the name that are not UTF-8 show as ``\\xff`` escapes, so that
    every report stays valid UTF-8.
    """
    normal, base = os.path.normpath(path), str(cwd)
    if normal.startswith(base) and normal[len(base) : len(base) + 1] == "/":
        shown = normal[len(base) + 1 :]
    elif normal == base:
        shown = "."
    elif base == "/" and normal.startswith("/"):
        shown = normal[1:]
    else:
        shown = Path(path).as_posix()
    return _shown_name(shown)


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
    found: dict[str, Discovered] = {}
    for given in paths:
        path = Path(given)
        absolute = path if path.is_absolute() else cwd / path
        if path.is_dir():
            unlisted = _Unlisted(cwd, errors)
            for file, display in _walk(str(absolute), str(cwd), excluder, unlisted):
                if file not in found:
                    found[file] = Discovered(file, display)
        elif path.exists():
            # A FIFO or device named on purpose is reported when read, not dropped.
            normal = os.path.normpath(absolute)
            if normal not in found and not excluder.is_excluded(normal):
                found[normal] = Discovered(normal, display_path(normal, cwd))
        else:
            logger.debug("skipping %s: no such file", given)
    return sorted(found.values(), key=lambda d: d.display)


class _Unlisted:
    """Record folders that cannot be listed, as file errors of the run."""

    def __init__(self, cwd: Path, errors: list[FileError] | None) -> None:
        self.cwd = cwd
        self.errors = errors

    def add(self, directory: Path, exc: OSError) -> None:
        shown = display_path(Path(os.path.normpath(directory)), self.cwd)
        # NOTE: where the run reports file errors, that report says it once.
        log = logger.warning if self.errors is None else logger.info
        log("cannot list %s: %s", shown, exc.strerror or exc)
        if self.errors is not None:
            message = f"cannot list folder: {exc.strerror or exc}; its files were not scanned"
            self.errors.append(FileError(shown, message))


def _walk(top: str, cwd: str, excluder: Excluder,
          unlisted: _Unlisted) -> Iterator[tuple[str, str]]:
    """Walk ``top`` without following symlinks, pruning excluded folders.

    Yields each file's normal path and its display path.
    """
    top = os.path.normpath(top)
    shown = display_path(top, cwd)
    stack = [(top, "" if shown == "." else shown + "/")]
    # NOTE: with folder-name excludes (the default), a file is excluded
    # exactly when one of its folders is named: below a folder that is not,
    # a name is all there is to ask (5,600 path questions on 5,900 files).
    folders = excluder.folder_names
    if folders is not None and excluder.is_excluded(top + "/_"):
        return
    while stack:
        directory, prefix = stack.pop()
        try:
            with os.scandir(directory) as listing:
                entries = list(listing)
        except OSError as exc:
            unlisted.add(Path(directory), exc)
            continue
        if directory != top and any(e.name == "pyvenv.cfg" for e in entries):
            logger.info("skipping virtual environment %s", directory)
            continue
        for entry in entries:
            # NOTE: files first (most entries are), then folders; neither
            # test follows a link, so a symlink is neither.
            if entry.is_file(follow_symlinks=False):
                if folders is None and excluder.is_excluded(entry.path):
                    continue
                name = entry.name
                yield entry.path, prefix + (name if name.isascii() else _shown_name(name))
            elif entry.is_dir(follow_symlinks=False):
                if (entry.name not in folders if folders is not None
                        else not excluder.is_excluded(entry.path, is_dir=True)):
                    stack.append((entry.path, prefix + _shown_name(entry.name) + "/"))
            elif entry.is_symlink():
                logger.info("not following symlink %s", entry.path)


def _shown_name(name: str) -> str:
    """A name (or path) as reports show it: bytes that are not UTF-8 as escapes."""
    return name if name.isascii() else os.fsencode(name).decode("utf-8", "backslashreplace")
