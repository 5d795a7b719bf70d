"""The first pass of a scan, on every core: which files are quiet?

Most files of a tree hold no trigger text; for them a scan only reads them
and runs the prefilter, and that is most of a full audit's time. We fork
``jobs - 1`` workers, split the files into batches of about equal bytes,
and test one batch in this process while the workers test the others;
each worker sends back through a pipe the indexes of its quiet files and
of the files that may be ``"use client"`` modules. The
scanner then walks the files in order, counts the quiet ones and scans
every other file itself, so the result is the one a serial run gives and
the rule families keep their state (``finish``) in one process.

A worker that fails or dies costs time, not findings: its files count as
not quiet and are scanned again, whole.
"""

from __future__ import annotations

import logging
import os
from array import array
from collections.abc import Sequence
from dataclasses import dataclass, field
from enum import Enum
from typing import TYPE_CHECKING

from perkamo_guard.discover import Discovered

if TYPE_CHECKING:
    from perkamo_guard.engine import Scanner, Ticker

logger = logging.getLogger(__name__)

#: Below this many files, forking costs more than it saves.
MIN_FILES = 200

Batch = list[tuple[int, Discovered]]


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


@dataclass
class Triage:
    """What the first pass learnt: indexes of the quiet and skipped files, and
    of the files that may be ``"use client"`` modules."""

    quiet: set[int] = field(default_factory=set)
    skipped: set[int] = field(default_factory=set)
    hinted: set[int] = field(default_factory=set)

    def update(self, other: Triage) -> None:
        self.quiet |= other.quiet
        self.skipped |= other.skipped
        self.hinted |= other.hinted


def triage(scanner: Scanner, found: Sequence[Discovered], jobs: int,
           ticker: Ticker | None = None) -> Triage:
    """Run ``scanner.triage`` on every file, in ``jobs`` processes.

    ``ticker`` follows this process's share of the files, scaled to all of
    them: the batches weigh about the same.
    """
    batches = balanced_batches(found, jobs) if jobs > 1 and can_fork() else [
        list(enumerate(found))]
    children: list[tuple[int, int, Batch]] = []
    for batch in batches[1:]:
        child = _fork(scanner, batch)
        if child is None:  # cannot fork: test the batch here
            batches[0].extend(batch)
        else:
            children.append((*child, batch))
    own = batches[0] if batches else []
    result = _triage(scanner, own, ticker, len(found) / max(1, len(own)))
    for pid, reader, batch in children:
        result.update(_collect(pid, reader, batch))
    logger.debug("%d of %d files are quiet (%d processes)", len(result.quiet), len(found),
                 len(children) + 1)
    return result


def balanced_batches(found: Sequence[Discovered], jobs: int) -> list[Batch]:
    """Deal the files out to ``jobs`` batches, a run of a few files at a time.

    NOTE: dealing needs no size; asking each file's size took 30 ms on 6,000
    files, a tenth of the pass. Neighbouring files (a folder's) are alike,
    and runs of ``_RUN`` files dealt in turn even out over a tree.
    """
    batches: list[Batch] = [[] for _ in range(jobs)]
    for start in range(0, len(found), _RUN):
        batch = batches[(start // _RUN) % jobs]
        batch.extend((index, found[index]) for index in range(start, min(start + _RUN,
                                                                         len(found))))
    return [batch for batch in batches if batch]


_RUN = 8


def _triage(scanner: Scanner, batch: Batch, ticker: Ticker | None = None,
            scale: float = 1.0) -> Triage:
    result = Triage()
    for count, (index, item) in enumerate(batch, 1):
        if ticker is not None:
            ticker.to(int(count * scale))
        try:
            verdict, hinted = scanner.triage(item)
        except Exception:  # noqa: BLE001 - the scan reads the file again and reports it
            logger.debug("triage of %s failed", item.display, exc_info=True)
            continue
        if verdict is Verdict.QUIET:
            result.quiet.add(index)
        elif verdict is Verdict.SKIPPED:
            result.skipped.add(index)
        if hinted:
            result.hinted.add(index)
    return result


def _fork(scanner: Scanner, batch: Batch) -> tuple[int, int] | None:
    """Start a worker on ``batch``; its pid and the pipe it answers on."""
    reader, writer = os.pipe()
    try:
        pid = os.fork()
    except OSError:
        logger.debug("cannot fork a worker", exc_info=True)
        os.close(reader)
        os.close(writer)
        return None
    if pid:
        os.close(writer)
        return pid, reader
    # The worker: answer, then leave without running the parent's cleanup.
    status = 1
    try:
        os.close(reader)
        found = _triage(scanner, batch)
        payload = array("Q", [len(found.quiet), len(found.skipped), *sorted(found.quiet),
                              *sorted(found.skipped), *sorted(found.hinted)])
        with open(writer, "wb") as pipe:
            pipe.write(payload.tobytes())
        status = 0
    finally:
        os._exit(status)


def _collect(pid: int, reader: int, batch: Batch) -> Triage:
    with open(reader, "rb") as pipe:
        payload = pipe.read()
    _, status = os.waitpid(pid, 0)
    numbers = array("Q")
    numbers.frombytes(payload[: len(payload) - len(payload) % numbers.itemsize])
    allowed = {index for index, _ in batch}
    if status != 0 or len(numbers) < 2 or not set(numbers[2:]) <= allowed:
        logger.debug("worker %d failed (status %d); its files are scanned here", pid, status)
        # NOTE: any of its files may be a "use client" module; the import
        # graph reads each again to know.
        return Triage(set(), set(), allowed)
    quiet_end = 2 + numbers[0]
    skipped_end = quiet_end + numbers[1]
    return Triage(set(numbers[2:quiet_end]), set(numbers[quiet_end:skipped_end]),
                  set(numbers[skipped_end:]))
