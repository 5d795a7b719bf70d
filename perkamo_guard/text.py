"""Positions in text: character offsets to 1-based lines and columns."""

from __future__ import annotations

import bisect
from collections.abc import Sequence

from perkamo_guard.lazy import lazy_compile

_NEWLINE = lazy_compile(r"\r\n|\r|\n")


class LineIndex:
    """Map character offsets of one text to 1-based (line, column) pairs.

    Lines end at ``\\n``, ``\\r\\n`` or a lone ``\\r``; columns count
    characters, not bytes.
    """

    def __init__(self, text: str) -> None:
        self.text = text
        self._starts: list[int] = [0]
        self._starts.extend(m.end() for m in _NEWLINE.finditer(text))

    @property
    def starts(self) -> Sequence[int]:
        return self._starts

    def position(self, offset: int) -> tuple[int, int]:
        """Return the (line, column) of ``offset``, both 1-based."""
        line = bisect.bisect_right(self._starts, offset) - 1
        return line + 1, offset - self._starts[line] + 1

    def offset(self, line: int, column: int) -> int:
        """Return the character offset of a 1-based (line, column)."""
        return self._starts[line - 1] + column - 1

    def line_text(self, line: int) -> str:
        """Return line ``line`` (1-based) without its line ending."""
        start, end = self.line_span(line)
        return self.text[start:end]

    def line_span(self, line: int) -> tuple[int, int]:
        """Return the start and end offsets of a line, line ending excluded."""
        start = self._starts[line - 1]
        end = self._starts[line] if line < len(self._starts) else len(self.text)
        # NOTE: no slice: the one line of a 50 MB bundle is 50 MB to copy.
        while end > start and self.text[end - 1] in "\r\n":
            end -= 1
        return start, end
