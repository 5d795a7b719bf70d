"""The first pass of a scan, on every core: which files are quiet?

Most files of a tree hold no trigger text; for them a scan only reads them
and runs the prefilter, and that is most of a full audit's time. We fork
``jobs - 1`` workers and cut the files into runs of a few; every process,
this one too, takes the next run from a shared queue (a pipe that holds
the runs' numbers) until none is left, so a process held up by big files
or other work takes fewer. Each worker sends back through a pipe the runs
it took, the indexes of its quiet and skipped files, and of the files that
may be ``"use client"`` modules. The scanner then walks the files in
order, counts the quiet ones and scans every other file itself, so the
result is the one a serial run gives and the rule families keep their
state (``finish``) in one process. This process may scan a file that is
not quiet at once (``early``), one of its own runs or one a worker names
through a second pipe as soon as it finds it: the workers go on with the
queue meanwhile, and a run's loud files are not left for after it.

A worker that fails or dies costs time, not findings: the runs nobody
reported count as not quiet and are scanned again, whole.
"""

from __future__ import annotations

import os
import sys
from array import array
from collections.abc import Callable, Iterator, Sequence
from enum import Enum
from typing import TYPE_CHECKING

from perkamo_guard.discover import Discovered
from perkamo_guard.log import get_logger

if TYPE_CHECKING:
    from perkamo_guard.engine import Scanner, Ticker

logger = get_logger(__name__)

#: Below this many files, forking costs more than it saves.
MIN_FILES = 200

def default_jobs() -> int:
    """One process per core this process may run on, as ripgrep does.

    NOTE: an earlier rule counted only idle cores (cores less the load
    average), but the load average counts the scanner's own recent runs, so
    back-to-back scans ran serially. With the parent testing its own share,
    a busy core costs little more than a serial run.
    """
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def can_fork() -> bool:
    return hasattr(os, "fork")


class Verdict(Enum):
    """What the first pass says a scan of a file must do."""

    QUIET = "quiet"  #: count it: no rule could fire
    SKIPPED = "skipped"  #: skip it: a binary file holding no key prefix
    LOUD = "loud"  #: scan it whole


class Triage:
    """What the first pass learnt: indexes of the quiet and skipped files, and
    of the files that may be ``"use client"`` modules."""

    def __init__(self, quiet: set[int] | None = None, skipped: set[int] | None = None,
                 hinted: set[int] | None = None, runs: set[int] | None = None) -> None:
        self.quiet = quiet or set()
        self.skipped = skipped or set()
        self.hinted = hinted or set()
        #: The runs (numbers) whose files were tested.
        self.runs = runs or set()
        #: Files that are not quiet and were scanned already (``early``).
        self.done: set[int] = set()

    def update(self, other: Triage) -> None:
        self.quiet |= other.quiet
        self.skipped |= other.skipped
        self.hinted |= other.hinted
        self.runs |= other.runs
        self.done |= other.done


def triage(scanner: Scanner, found: Sequence[Discovered], jobs: int,
           ticker: Ticker | None = None, early: Early | None = None) -> Triage:
    """Run ``scanner.triage`` on every file, in ``jobs`` processes.

    ``ticker`` follows this process's share of the files, scaled to all of
    them. ``early`` is offered each file of this process's share that is
    not quiet; when it scans the file, its index goes in ``Triage.done``.
    """
    runs = _runs(len(found))
    if jobs <= 1 or not can_fork() or len(runs) < 2:
        return _triage(scanner, found, runs, iter(range(len(runs))), ticker, early)
    reader, writer = os.pipe()
    try:
        _fill(writer, len(runs))
    finally:
        os.close(writer)  # an empty queue then reads as its end, in every process
    children = [child for child in (_fork(scanner, found, runs, reader, early is not None)
                                    for _ in range(jobs - 1)) if child is not None]
    named = _Named([loud for _, _, loud in children if loud is not None], found, early)
    try:
        result = _triage(scanner, found, runs, _queue(reader), ticker, early, jobs, named)
        named.take(result, wait=True)
    finally:
        os.close(reader)
        named.close()
    for pid, answer, _ in children:
        result.update(_collect(pid, answer, len(runs)))
    for run in set(range(len(runs))) - result.runs:
        # NOTE: a worker died with these runs; any file may be a "use client"
        # module, which the import graph reads again to know.
        result.hinted.update(range(*runs[run]))
    logger.debug("%d of %d files are quiet (%d processes)", len(result.quiet), len(found),
                 len(children) + 1)
    return result


#: Offered a file that is not quiet (its index and itself): True when it
#: scanned the file.
Early = Callable[[int, Discovered], bool]

#: Files in a run at least; more when the queue would not fit a pipe.
_RUN = 8
#: Runs a queue holds at most: 4 bytes each, 16 KB, the smallest pipe buffer
#: of the systems we run on, so that filling it never waits for a reader.
_MAX_RUNS = 4096


def _runs(count: int) -> list[tuple[int, int]]:
    """Cut ``count`` files into runs of neighbours (a folder's files are alike)."""
    size = max(_RUN, -(-count // _MAX_RUNS))
    return [(start, min(start + size, count)) for start in range(0, count, size)]


def _fill(writer: int, count: int) -> None:
    data = memoryview(array("I", range(count)).tobytes())
    while data:
        data = data[os.write(writer, data):]


def _queue(reader: int) -> Iterator[int]:
    """Take run numbers from the shared queue until it is empty.

    NOTE: a read of 4 bytes from a pipe is atomic among readers, and the
    queue was filled before the first reader came: each run goes to one
    process.
    """
    while len(taken := os.read(reader, 4)) == 4:
        yield int.from_bytes(taken, sys.byteorder)


class _Named:
    """The files that workers name as not quiet, as they find them."""

    def __init__(self, pipes: list[int], found: Sequence[Discovered],
                 early: Early | None) -> None:
        self._pipes = pipes
        self._found = found
        self._early = early
        for pipe in pipes:
            os.set_blocking(pipe, False)

    def take(self, result: Triage, wait: bool = False) -> None:
        """Offer ``early`` the files named so far; with ``wait``, every file
        until the workers have closed their pipes."""
        import select  # NOTE: only runs that fork get here

        while self._pipes:
            ready = select.select(self._pipes, [], [])[0] if wait else list(self._pipes)
            for pipe in ready:
                try:
                    # NOTE: each index is one 4-byte write, which a pipe
                    # never splits; a read of a multiple of 4 gets whole ones.
                    data = os.read(pipe, 4096)
                except BlockingIOError:
                    continue
                if not data:
                    self._pipes.remove(pipe)
                    os.close(pipe)
                    continue
                for index in array("I", data[: len(data) - len(data) % 4]):
                    if (self._early is not None and index < len(self._found)
                            and self._early(index, self._found[index])):
                        result.done.add(index)
            if not wait:
                return

    def close(self) -> None:
        for pipe in self._pipes:
            os.close(pipe)
        self._pipes = []


def _triage(scanner: Scanner, found: Sequence[Discovered], runs: list[tuple[int, int]],
            taken: Iterator[int], ticker: Ticker | None = None, early: Early | None = None,
            scale: int = 1, named: _Named | None = None) -> Triage:
    result = Triage()
    seen = 0
    for run in taken:
        result.runs.add(run)
        for index in range(*runs[run]):
            item = found[index]
            try:
                verdict, hinted = scanner.triage(item)
            except Exception:  # noqa: BLE001 - the scan reads the file again and reports it
                logger.debug("triage of %s failed", item.display, exc_info=True)
                continue
            if verdict is Verdict.QUIET:
                result.quiet.add(index)
            elif verdict is Verdict.SKIPPED:
                result.skipped.add(index)
            elif early is not None and early(index, item):
                result.done.add(index)
            if hinted:
                result.hinted.add(index)
        seen += runs[run][1] - runs[run][0]
        if ticker is not None:
            ticker.to(seen * scale)
        if named is not None:
            named.take(result)
    return result


def _fork(scanner: Scanner, found: Sequence[Discovered], runs: list[tuple[int, int]],
          queue: int, name_loud: bool) -> tuple[int, int, int | None] | None:
    """Start a worker on the shared queue; its pid, the pipe it answers on,
    and (with ``name_loud``) the pipe on which it names each file that is
    not quiet as soon as it finds one."""
    reader, writer = os.pipe()
    loud_reader, loud_writer = os.pipe() if name_loud else (None, None)
    try:
        pid = os.fork()
    except OSError:
        logger.debug("cannot fork a worker", exc_info=True)
        for end in (reader, writer, loud_reader, loud_writer):
            if end is not None:
                os.close(end)
        return None
    if pid:
        os.close(writer)
        if loud_writer is not None:
            os.close(loud_writer)
        return pid, reader, loud_reader
    # The worker: answer, then leave without running the parent's cleanup.
    status = 1
    try:
        os.close(reader)
        if loud_reader is not None:
            os.close(loud_reader)
        name = None if loud_writer is None else _namer(loud_writer)
        done = _triage(scanner, found, runs, _queue(queue), early=name)
        if loud_writer is not None:
            os.close(loud_writer)  # the parent waits for this end before it reads the answer
        payload = array("Q", [len(done.runs), len(done.quiet), len(done.skipped),
                              *sorted(done.runs), *sorted(done.quiet),
                              *sorted(done.skipped), *sorted(done.hinted)])
        with open(writer, "wb") as pipe:
            pipe.write(payload.tobytes())
        status = 0
    finally:
        os._exit(status)


def _namer(pipe: int) -> Early:
    """An ``early`` for a worker: it names the file to this process's parent,
    which scans it, and leaves it to the parent (False)."""

    def name(index: int, _: Discovered) -> bool:
        os.write(pipe, index.to_bytes(4, sys.byteorder))
        return False

    return name


def _collect(pid: int, reader: int, runs: int) -> Triage:
    with open(reader, "rb") as pipe:
        payload = pipe.read()
    _, status = os.waitpid(pid, 0)
    numbers = array("Q")
    numbers.frombytes(payload[: len(payload) - len(payload) % numbers.itemsize])
    if status != 0 or len(numbers) < 3 or sum(numbers[:3]) > len(numbers) - 3:
        logger.debug("worker %d failed (status %d); its files are scanned here", pid, status)
        return Triage()
    runs_end = 3 + numbers[0]
    quiet_end = runs_end + numbers[1]
    skipped_end = quiet_end + numbers[2]
    taken = set(numbers[3:runs_end])
    if not taken <= set(range(runs)):
        return Triage()
    return Triage(set(numbers[runs_end:quiet_end]), set(numbers[quiet_end:skipped_end]),
                  set(numbers[skipped_end:]), runs=taken)
