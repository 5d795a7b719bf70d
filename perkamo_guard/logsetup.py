"""Logging for ``-v``: records on stderr, with nothing of a scanned file raw.

Imported only when the command line is given ``-v``; see `perkamo_guard.log`.
"""

from __future__ import annotations

import logging
import sys

from perkamo_guard.log import PACKAGE


class SafeFormatter(logging.Formatter):
    """Format log records so that no scanned text reaches a terminal or CI log raw.

    Messages quote paths and parser errors, and a traceback may quote a
    line of a scanned file: keys are masked, control characters shown as
    escapes, and CI logging commands defused.
    """

    def formatMessage(self, record: logging.LogRecord) -> str:  # noqa: N802 - logging's name
        from perkamo_guard.snippet import neutralise_line

        return neutralise_line(super().formatMessage(record))

    def format(self, record: logging.LogRecord) -> str:
        from perkamo_guard.keys import mask_keys
        from perkamo_guard.report import defuse_output
        from perkamo_guard.snippet import neutralise

        lines = super().format(record).split("\n")
        return defuse_output("\n".join(neutralise(mask_keys(line)) for line in lines),
                             "text")


def show_records(debug: bool) -> None:
    """Send the package's records, from INFO (or DEBUG) up, to stderr."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(SafeFormatter("%(levelname)s %(name)s: %(message)s"))
    top = logging.getLogger(PACKAGE)
    top.addHandler(handler)
    top.setLevel(logging.DEBUG if debug else logging.INFO)
