"""Read and prefilter in worker processes: the quiet files of a large scan.

Most files of a tree hold no trigger text; for them a scan only reads,
classifies and prefilters, and that is most of a full audit's time. Worker
processes do that part in batches of about equal bytes and hand back the
classification of each quiet file. The parent then walks the files in
order, counts the quiet ones and scans every other file itself, so the
result is the one a serial run gives, and the rule families keep their
state (``finish``) in one process.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Sequence
from typing import TYPE_CHECKING

from perkamo_guard.discover import Discovered
from perkamo_guard.model import Classified, Kind, Zone

if TYPE_CHECKING:
    from perkamo_guard.engine import Scanner

logger = logging.getLogger(__name__)

#: Below this many files, starting workers costs more than it saves.
MIN_FILES = 1000

Batch = list[tuple[int, Discovered]]

#: The scanner the forked workers use; set only while the pool runs.
_scanner: Scanner | None = None


def default_jobs() -> int:
    """One worker per idle core: the cores we may run on, less the load.

    NOTE: on a busy machine (CI runners, a shared 2-core box) a second
    worker only queues behind other processes; measured there, two workers
    were slower than one.
    """
    try:
        cores = len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        cores = os.cpu_count() or 1
    try:
        busy = round(os.getloadavg()[0])
    except OSError:
        busy = 0
    return max(1, cores - busy)


def can_fork() -> bool:
    # NOTE: multiprocessing is imported only for large scans; the
    # pre-commit path never pays for it.
    import multiprocessing

    return "fork" in multiprocessing.get_all_start_methods()


def quiet_files(scanner: Scanner, found: Sequence[Discovered],
                jobs: int) -> dict[int, Classified]:
    """Map the index of each quiet file in ``found`` to its classification."""
    import multiprocessing

    global _scanner
    batches = balanced_batches(found, jobs)
    _scanner = scanner
    try:
        with multiprocessing.get_context("fork").Pool(jobs) as pool:
            parts = pool.map(_triage, batches, chunksize=1)
    finally:
        _scanner = None
    quiet = {
        index: Classified(found[index].path, found[index].display, Kind(kind), Zone(zone),
                          reason, example)
        for part in parts for index, kind, zone, reason, example in part
    }
    logger.debug("%d of %d files are quiet (%d workers)", len(quiet), len(found), jobs)
    return quiet


def balanced_batches(found: Sequence[Discovered], jobs: int) -> list[Batch]:
    """Split the files into ``jobs`` batches of about equal bytes, largest first."""
    sized = sorted(((_size(item), index, item) for index, item in enumerate(found)),
                   key=lambda entry: (-entry[0], entry[1]))
    batches: list[Batch] = [[] for _ in range(jobs)]
    loads = [0] * jobs
    for size, index, item in sized:
        lightest = loads.index(min(loads))
        batches[lightest].append((index, item))
        loads[lightest] += size + 4096  # a file costs something however small
    return [batch for batch in batches if batch]


def _size(item: Discovered) -> int:
    try:
        return item.path.stat().st_size
    except OSError:
        return 0


#: A quiet file's classification as a worker sends it: index, kind, zone,
#: zone reason, example env. NOTE: plain values pickle several times
#: faster than records holding paths.
Quiet = tuple[int, str, str, str, bool]


def _triage(batch: Batch) -> list[Quiet]:
    assert _scanner is not None
    quiet: list[Quiet] = []
    for index, item in batch:
        try:
            classified = _scanner.quiet_classification(item)
        except Exception:  # noqa: BLE001 - the parent scans the file and reports it
            logger.debug("triage of %s failed", item.display, exc_info=True)
            continue
        if classified is not None:
            quiet.append((index, classified.kind.value, classified.zone.value,
                          classified.zone_reason, classified.is_example_env))
    return quiet
