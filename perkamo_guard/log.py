"""Loggers that cost nothing until someone listens.

Importing ``logging`` (with the modules it pulls in) takes about 5 ms of
every start, and a run without ``-v`` logs nothing anyone reads. Modules
take a `Logger` from `get_logger`; its records go to the standard logger of
the same name once ``logging`` has been imported (by the command line for
``-v``, by a test, or by a program that embeds the scanner). Before that no
handler exists that could show them, so they are dropped.
"""

from __future__ import annotations

import sys
from typing import Any

#: The package's own logger name: it gets a NullHandler, as a library's
#: top logger should, so that nothing reaches logging's last-resort output.
PACKAGE = "perkamo_guard"


class Logger:
    """The few methods of ``logging.Logger`` that this package calls."""

    __slots__ = ("name",)

    def __init__(self, name: str) -> None:
        self.name = name

    def debug(self, message: str, *args: object, **kwargs: Any) -> None:
        self._log(10, message, args, kwargs)

    def info(self, message: str, *args: object, **kwargs: Any) -> None:
        self._log(20, message, args, kwargs)

    def warning(self, message: str, *args: object, **kwargs: Any) -> None:
        self._log(30, message, args, kwargs)

    def _log(self, level: int, message: str, args: tuple[object, ...],
             kwargs: dict[str, Any]) -> None:
        logging = sys.modules.get("logging")
        if logging is None:
            return
        top = logging.getLogger(PACKAGE)
        if not top.handlers:
            top.addHandler(logging.NullHandler())
        # stacklevel 3: the record names the caller of debug/info/warning.
        logging.getLogger(self.name).log(level, message, *args, stacklevel=3, **kwargs)


def get_logger(name: str) -> Logger:
    """The logger for module ``name``."""
    return Logger(name)
