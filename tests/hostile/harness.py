"""One-call helpers for the hostile-input suite: scan a tree, read the report.

Every case plants a key in a sibling file next to the hostile one, so that a
case proves two things at once: the hostile file gets the finding or file
error it should, and nothing is lost from the rest of the run.
"""

from __future__ import annotations

import json
import signal
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from click.testing import CliRunner

from perkamo_guard.cli import cli
from tests.conftest import working_directory, write_tree

#: Invented keys; never printed whole, not even in an assertion message.
LIVE = "sk_live_" + "9Qv2Lr7Tx4Pz8Wm3Nb6Kc1Hd"
TEST = "sk_test_" + "Zr8Yq2Wx6Vu4Ts0Rp9On3Ml7"
#: The sibling every case plants, and the finding it must keep giving.
SIBLING: dict[str, str | bytes] = {"server/sibling.py": f'KEY = "{LIVE}"\n'}
SIBLING_FINDING = ("server/sibling.py", 1, 8, "PG103")


@dataclass
class Run:
    """One finished run of ``perkamo-guard check --format json``."""

    exit_code: int
    output: str
    report: dict[str, Any]

    def findings(self, path: str) -> list[tuple[int, int, str]]:
        """Return the (line, column, rule) of each finding in ``path``."""
        return [(f["line"], f["column"], f["rule"])
                for f in self.report["findings"] if f["path"] == path]

    def errors(self, path: str) -> list[str]:
        """Return the file error messages of ``path``."""
        return [e["message"] for e in self.report["errors"] if e["path"] == path]

    def kept_sibling(self) -> bool:
        path, line, column, rule = SIBLING_FINDING
        return (line, column, rule) in self.findings(path)


def check(root: Path, *args: str) -> Run:
    """Run ``check --format json`` in-process with ``root`` as working directory.

    The run must end by itself with exit code 0, 1 or 2, print no traceback
    and show no whole key, whatever the tree holds.
    """
    with working_directory(root):
        result = CliRunner().invoke(cli, ["check", "--format", "json", *args])
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise AssertionError(f"the run raised {type(result.exception).__name__}") \
            from result.exception
    output = result.stdout + result.stderr
    assert "Traceback" not in output
    assert LIVE not in output and TEST not in output, "a whole key was printed"
    assert result.exit_code in (0, 1, 2)
    report = json.loads(result.stdout) if result.exit_code != 2 else {}
    return Run(result.exit_code, output, report)


def check_with_sibling(root: Path, files: dict[str, str | bytes], *args: str) -> Run:
    """Write ``files`` and the sibling under ``root``, then scan it."""
    write_tree(root, {**SIBLING, **files})
    run = check(root, *args)
    assert run.kept_sibling(), "the sibling's key was lost"
    return run


def position_of(text: str, needle: str = "sk_") -> tuple[int, int]:
    """Return the 1-based (line, column) of ``needle``'s first character.

    Lines end at CRLF, CR or LF; columns count characters.
    """
    offset = text.index(needle)
    before = text[:offset].replace("\r\n", "\n").replace("\r", "\n")
    return before.count("\n") + 1, offset - max(text.rfind("\n", 0, offset),
                                                 text.rfind("\r", 0, offset))


@contextmanager
def deadline(seconds: float) -> Iterator[None]:
    """Fail with TimeoutError when the block runs longer than ``seconds``.

    A hang is a failure like any other: the suite must end.
    """
    def expire(signum: int, frame: object) -> None:
        raise TimeoutError(f"still running after {seconds} s")

    previous = signal.signal(signal.SIGALRM, expire)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
