"""Hostile input in the file system: links, FIFOs, races, unreadable files, odd names.

Nothing here may hang, crash or send output where it does not belong; every
file that cannot be read is a file error, and the sibling's key survives.
"""

from __future__ import annotations

import errno
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from perkamo_guard import engine
from tests.conftest import write_tree
from tests.hostile.harness import (
    LIVE,
    SIBLING,
    SIBLING_FINDING,
    check,
    check_with_sibling,
    deadline,
)

KEY_FILE = f'KEY = "{LIVE}"\n'


# -- symbolic links ---------------------------------------------------------------


def _links(root: Path, outside: Path) -> None:
    write_tree(outside, {"secret.py": KEY_FILE, "deep/more.py": KEY_FILE})
    src = root / "src"
    src.mkdir(parents=True)
    (src / "to-ancestor").symlink_to(root, target_is_directory=True)
    (src / "to-itself").symlink_to(src / "to-itself")
    (src / "ping").symlink_to(src / "pong")
    (src / "pong").symlink_to(src / "ping")
    (src / "dangling.py").symlink_to(root / "missing.py")
    (src / "outside-dir").symlink_to(outside, target_is_directory=True)
    (src / "outside-file.py").symlink_to(outside / "secret.py")
    (src / "inside-file.py").symlink_to(root / "server" / "sibling.py")
    (src / "dev-zero.js").symlink_to("/dev/zero")


def test_walk_follows_no_link_loops_or_links_that_leave_the_root(tmp_path: Path) -> None:
    root = tmp_path / "repo"
    write_tree(root, SIBLING)
    _links(root, tmp_path / "outside")
    with deadline(30):
        run = check(root)
    assert run.exit_code == 1
    # One finding: the sibling's, once; nothing through any link.
    assert [(f["path"], f["line"]) for f in run.report["findings"]] == [
        (SIBLING_FINDING[0], 1)]
    assert run.report["errors"] == []
    assert run.report["summary"]["files_scanned"] == 1


@pytest.mark.parametrize(
    ("given", "error"),
    [("src/to-itself", None), ("src/ping", None), ("src/dangling.py", None),
     ("src/dev-zero.js", "not a regular file")],
)
def test_link_named_on_the_command_line_never_hangs(tmp_path: Path, given: str,
                                                    error: str | None) -> None:
    root = tmp_path / "repo"
    write_tree(root, SIBLING)
    _links(root, tmp_path / "outside")
    with deadline(30):
        run = check(root, given, "server")
    assert run.kept_sibling()
    errors = run.errors(given)
    assert (errors[0] if errors else None) == error or (error and error in errors[0])


def test_loop_named_on_the_command_line_is_walked_once(tmp_path: Path) -> None:
    root = tmp_path / "repo"
    write_tree(root, SIBLING)
    _links(root, tmp_path / "outside")
    with deadline(30):
        run = check(root, "src/to-ancestor/src/to-ancestor")
    # The named link is entered; the links below it are not.
    assert [f["path"] for f in run.report["findings"]] == [
        "src/to-ancestor/src/to-ancestor/server/sibling.py"]


# -- FIFOs, devices, folders named like files ---------------------------------------


def test_fifo_in_a_walk_is_skipped_and_never_opened(tmp_path: Path) -> None:
    write_tree(tmp_path, SIBLING)
    os.mkfifo(tmp_path / "server" / "pipe.py")
    with deadline(30):
        run = check(tmp_path)
    assert run.kept_sibling() and run.report["errors"] == []


@pytest.mark.parametrize("name", ["server/pipe.py", "/dev/zero", "/dev/null"])
def test_fifo_or_device_named_on_the_command_line_is_a_file_error(tmp_path: Path,
                                                                   name: str) -> None:
    write_tree(tmp_path, SIBLING)
    if not name.startswith("/"):
        os.mkfifo(tmp_path / name)
    with deadline(30):
        run = check(tmp_path, name, "server/sibling.py")
    assert run.kept_sibling()
    assert run.errors(name) == ["not a regular file (a directory, FIFO or device)"]


def test_folder_named_like_a_source_file_is_walked(tmp_path: Path) -> None:
    write_tree(tmp_path, {**SIBLING, "server/settings.py/local.py": KEY_FILE,
                          "client/app.js/index.js": f'const k = "{LIVE}";\n'})
    run = check(tmp_path, "server/settings.py", "client/app.js", "server/sibling.py")
    assert run.findings("server/settings.py/local.py") == [(1, 8, "PG103")]
    assert run.findings("client/app.js/index.js") == [(1, 12, "PG101")]
    assert run.report["errors"] == []


# -- unreadable files and folders (in-process: root reads anything) ----------------

Opener = Callable[..., int]


def _failing_open(monkeypatch: pytest.MonkeyPatch, victim: str, code: int) -> None:
    real: Opener = os.open

    def fake(path: object, flags: int, *args: object, **kwargs: object) -> int:
        if str(path).endswith(victim):
            raise OSError(code, os.strerror(code), str(path))
        return real(path, flags, *args, **kwargs)

    monkeypatch.setattr(os, "open", fake)


@pytest.mark.parametrize(
    ("code", "words"),
    [(errno.EACCES, "cannot read file: Permission denied"),
     (errno.EIO, "cannot read file: Input/output error"),
     (errno.ENOENT, "file disappeared before it could be read"),
     (errno.EISDIR, "cannot read file: Is a directory")],
    ids=["permission-denied", "io-error", "vanished", "is-a-directory"],
)
def test_unreadable_file_is_a_file_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                         code: int, words: str) -> None:
    _failing_open(monkeypatch, "locked.py", code)
    run = check_with_sibling(tmp_path, {"server/locked.py": KEY_FILE})
    assert run.exit_code == 1
    assert run.findings("server/locked.py") == []
    assert run.errors("server/locked.py") == [words]


def test_unlistable_folder_is_a_file_error(tmp_path: Path,
                                           monkeypatch: pytest.MonkeyPatch) -> None:
    real = os.scandir

    def fake(path: object) -> object:
        if str(path).endswith("vault"):
            raise PermissionError(errno.EACCES, "Permission denied", str(path))
        return real(path)  # type: ignore[call-overload]

    monkeypatch.setattr(os, "scandir", fake)
    run = check_with_sibling(tmp_path, {"server/vault/key.py": KEY_FILE})
    assert run.findings("server/vault/key.py") == []
    assert run.errors("server/vault") == [
        "cannot list folder: Permission denied; its files were not scanned"]


# -- races between discovery and reading ------------------------------------------


def _after_discovery(monkeypatch: pytest.MonkeyPatch, change: Callable[[], object]) -> None:
    real = engine.discover  # type: ignore[attr-defined]

    def discover_then_change(*args: object, **kwargs: object) -> object:
        found = real(*args, **kwargs)  # type: ignore[arg-type]
        change()
        return found

    monkeypatch.setattr("perkamo_guard.engine.discover", discover_then_change)


def _replace_with_fifo(path: Path) -> None:
    path.unlink()
    os.mkfifo(path)


def _replace_with_folder(path: Path) -> None:
    path.unlink()
    path.mkdir()


@pytest.mark.parametrize(
    ("change", "words"),
    [(Path.unlink, "file disappeared before it could be read"),
     (_replace_with_fifo, "not a regular file (a directory, FIFO or device)"),
     (_replace_with_folder, "not a regular file (a directory, FIFO or device)")],
    ids=["deleted", "replaced-by-a-fifo", "replaced-by-a-folder"],
)
def test_file_changed_between_discovery_and_reading_is_a_file_error(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        change: Callable[[Path], None], words: str) -> None:
    victim = tmp_path / "server" / "gone.py"
    _after_discovery(monkeypatch, lambda: change(victim))
    with deadline(30):
        run = check_with_sibling(tmp_path, {"server/gone.py": KEY_FILE})
    assert run.errors("server/gone.py") == [words]


def test_file_emptied_between_discovery_and_reading_is_just_empty(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    victim = tmp_path / "server" / "emptied.py"
    _after_discovery(monkeypatch, lambda: victim.write_text(""))
    run = check_with_sibling(tmp_path, {"server/emptied.py": KEY_FILE})
    assert run.findings("server/emptied.py") == [] and run.errors("server/emptied.py") == []


# -- odd file names ------------------------------------------------------------------

NAMES = [
    ("space", "server/my settings.py"),
    ("leading-and-trailing-spaces", "server/ padded .py"),
    ("newline", "server/two\nlines.py"),
    ("carriage-return", "server/over\rwrite.py"),
    ("tab", "server/tab\there.py"),
    ("ansi-escape", "server/\x1b[31mred\x1b[0m.py"),
    ("bell-and-backspace", "server/\x07bell\x08.py"),
    ("right-to-left-override", "server/evil\u202egnp.py"),
    ("nfc-accent", "server/caf\u00e9.py"),
    ("nfd-accent", "server/cafe\u0301.py"),
    ("emoji", "server/\U0001f511.py"),
    ("cjk", "server/\u5bc6\u94a5.py"),
    ("leading-dash", "-rf.py"),
    ("double-dash", "--output=x.py"),
    ("just-an-option", "-o"),
    ("gitignore-comment-char", "server/#notes.py"),
    ("gitignore-negation-char", "server/!important.py"),
    ("glob-characters", "server/[a]*?.py"),
    ("backslash", "server/back\\slash.py"),
    ("percent-and-colons", "server/50%0A::error::x.py"),
    ("long-name", "server/" + "n" * 240 + ".py"),
]


@pytest.mark.parametrize("name", [n for _, n in NAMES], ids=[i for i, _ in NAMES])
def test_odd_file_name_is_scanned_and_reported_by_its_name(tmp_path: Path, name: str) -> None:
    run = check_with_sibling(tmp_path, {name: KEY_FILE})
    [finding] = [f for f in run.report["findings"] if f["path"] != SIBLING_FINDING[0]]
    assert finding["path"] == name and (finding["line"], finding["column"]) == (1, 8)
    assert run.report["errors"] == []


def test_file_name_that_is_not_utf8_is_shown_with_escapes(tmp_path: Path) -> None:
    write_tree(tmp_path, SIBLING)
    (tmp_path / os.fsdecode(b"server/bad\xff\xfe.py")).write_text(KEY_FILE)
    for output_format in ("json", "sarif", "gitlab", "junit", "github", "text"):
        proc = subprocess.run([sys.executable, "-m", "perkamo_guard", "check", ".",
                               "--format", output_format], cwd=tmp_path,
                              capture_output=True, timeout=120)
        assert proc.returncode == 1, output_format
        text = proc.stdout.decode("utf-8")  # strict: every report is valid UTF-8
        shown = {"json": "bad\\\\xff\\\\xfe.py", "gitlab": "bad\\\\xff\\\\xfe.py",
                 "sarif": "bad%5Cxff%5Cxfe.py"}.get(output_format, "bad\\xff\\xfe.py")
        assert f"server/{shown}" in text, output_format


def test_dash_led_names_from_a_hook_are_paths_not_options(tmp_path: Path) -> None:
    """pre-commit appends staged names after the hook's options, with no ``--``."""
    write_tree(tmp_path, {"-rf.py": KEY_FILE, "-o": KEY_FILE, "app.py": "x = 1\n",
                          "--format": KEY_FILE})
    proc = subprocess.run([sys.executable, "-m", "perkamo_guard", "check", "--quiet",
                           "-rf.py", "-o", "app.py", "--format"], cwd=tmp_path,
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 1, proc.stderr
    assert proc.stdout == "Found 3 findings (3 error, 0 warning) in 4 files scanned.\n"
    # ``-o`` named a file: the report went to stdout, not over app.py.
    assert (tmp_path / "app.py").read_text() == "x = 1\n"


@pytest.mark.parametrize(
    ("args", "written"),
    [(["-o", "report.json"], "report.json"), (["--output", "-rf.json"], "-rf.json"),
     (["-oreport.json"], "report.json"), (["--", "-rf.py"], None)],
    ids=["short-option", "dash-led-value", "glued-value", "after-double-dash"],
)
def test_options_and_their_values_keep_their_meaning(tmp_path: Path, args: list[str],
                                                     written: str | None) -> None:
    write_tree(tmp_path, {"-rf.py": KEY_FILE, "report.json": "old", "-rf.json": "old"})
    proc = subprocess.run([sys.executable, "-m", "perkamo_guard", "check", "--format",
                           "json", *args], cwd=tmp_path, capture_output=True, text=True,
                          timeout=120)
    assert proc.returncode == 1, proc.stderr
    if written:
        assert '"PG103"' in (tmp_path / written).read_text()
    else:
        assert '"path": "-rf.py"' in proc.stdout
