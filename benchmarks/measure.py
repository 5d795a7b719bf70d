"""Run one command and measure it: wall time, CPU time and peak memory."""

from __future__ import annotations

import os
import statistics
import subprocess
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path


@dataclass(frozen=True)
class Sample:
    """One run of one command."""

    wall: float
    #: User plus system time of the process and every child it waited for.
    cpu: float
    #: The largest resident set of the process or any of its children, bytes.
    peak_rss: int
    returncode: int


@dataclass
class Series:
    """Every run of one tool on one target, and their medians."""

    tool: str
    target: str
    samples: list[Sample] = field(default_factory=list)
    failure: str | None = None
    note: str = ""

    @property
    def wall(self) -> float:
        return statistics.median(s.wall for s in self.samples)

    @property
    def cpu(self) -> float:
        return statistics.median(s.cpu for s in self.samples)

    @property
    def peak_rss(self) -> int:
        return max(s.peak_rss for s in self.samples)

    @property
    def ok(self) -> bool:
        return self.failure is None and bool(self.samples)


_GNU_TIME = "/usr/bin/time"


class CommandFailed(Exception):
    """A command exited with a code that its tool never uses for success."""


def run_once(command: Sequence[str], cwd: Path, ok_codes: Sequence[int] = (0, 1),
             env: dict[str, str] | None = None) -> Sample:
    """Run ``command`` to the end and measure it from fork to reaping.

    ``os.wait4`` gives the rusage of this one child, with the children it
    waited for folded in, so tools that fork workers are counted whole.
    """
    with tempfile.TemporaryFile() as errors, tempfile.NamedTemporaryFile("r") as peak:
        start = time.perf_counter()
        process = subprocess.Popen([*_peak_probe(peak.name), *command], cwd=cwd, env=env,
                                   stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                   stderr=errors)
        _, status, usage = os.wait4(process.pid, 0)
        wall = time.perf_counter() - start
        code = os.waitstatus_to_exitcode(status)
        if code not in ok_codes:
            errors.seek(0)
            tail = errors.read()[-1500:].decode("utf-8", "replace")
            raise CommandFailed(f"exit {code}: {tail.strip()}")
        rss = _read_peak(peak.read()) or usage.ru_maxrss * 1024
    return Sample(wall, usage.ru_utime + usage.ru_stime, rss, code)


def _peak_probe(output: str) -> list[str]:
    """Run through GNU time, when there is one, to learn the peak memory.

    NOTE: a child forked from this Python process inherits its resident
    pages, and Linux keeps that high-water mark across exec; GNU time is a
    small process, so the peak it reports is the tool's own.
    """
    return [_GNU_TIME, "-f", "%M", "-o", output] if os.access(_GNU_TIME, os.X_OK) else []


def _read_peak(text: str) -> int | None:
    lines = [line for line in text.splitlines() if line.strip().isdigit()]
    return int(lines[-1]) * 1024 if lines else None
