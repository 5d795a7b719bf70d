"""Snippets: a short, safe view of the line around a finding."""

from __future__ import annotations

import re
from collections.abc import Sequence

from perkamo_guard.keys import mask_keys
from perkamo_guard.lazy import lazy_compile
from perkamo_guard.text import LineIndex

#: Longest line shown whole; longer lines (minified code) show a window.
MAX_LINE = 160
_BEFORE, _AFTER = 60, 100
#: C0 and C1 controls (ESC starts every ANSI sequence), line and paragraph
#: separators, bidirectional marks and overrides, and lone surrogates
#: (undecodable bytes of a file name).
_CONTROL = lazy_compile(
    r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f\u2028\u2029"
    r"\u202a-\u202e\u2066-\u2069\ud800-\udfff]"
)
_WORD = lazy_compile(r"[A-Za-z0-9]{6,}")
#: Characters that may belong to a key or its base64 form.
_KEYISH = lazy_compile(r"[A-Za-z0-9_\-+/=]+")


def neutralise(text: str) -> str:
    """Replace control characters (ANSI escapes included) with visible escapes."""
    return _CONTROL.sub(_escape, text.replace("\t", " "))


def neutralise_line(text: str) -> str:
    """Neutralise ``text`` and its line feeds too, for output that is one line."""
    return neutralise(text).replace("\n", "\\x0a")


def _escape(match: re.Match[str]) -> str:
    code = ord(match.group())
    if 0xDC80 <= code <= 0xDCFF:
        return f"\\x{code - 0xDC00:02x}"
    return f"\\x{code:02x}" if code < 256 else f"\\u{code:04x}"


def make_snippet(lines: LineIndex, offset: int, secrets: Sequence[str] = ()) -> str:
    """Return the line holding ``offset``, windowed, masked and neutralised."""
    line, column = lines.position(offset)
    start, end = lines.line_span(line)
    if end - start <= MAX_LINE:
        view = lines.text[start:end].strip()
    else:
        left = _after_partial_token(lines.text, max(start, offset - _BEFORE), offset)
        right = min(end, offset + _AFTER)
        view = ("\u2026" if left > start else "") + lines.text[left:right]
        view += "\u2026" if right < end else ""
    shown = neutralise(hide_secrets(view, secrets))
    if len(shown) > MAX_LINE + 2:
        # NOTE: escapes of control characters lengthen the view; it is
        # masked already, so cutting it shows less, never more.
        shown = shown[: MAX_LINE + 1] + "\u2026"
    return shown


def _after_partial_token(text: str, left: int, offset: int) -> int:
    """Move a window's left edge past a token it cuts, without passing ``offset``.

    A window that opens inside another key would show that key's body
    without the prefix that gets it masked.
    """
    if left == 0 or not _KEYISH.fullmatch(text[left - 1]):
        return left
    run = _KEYISH.match(text, left)
    return min(offset, run.end() if run else left)


def hide_secrets(text: str, secrets: Sequence[str]) -> str:
    """Mask key shapes, and any long piece of a known secret (split keys)."""
    text = mask_keys(text)
    bodies = [s[8:] for s in secrets if len(s) > 12]
    if not bodies:
        return text

    def replace(match: re.Match[str]) -> str:
        word = match.group()
        return "\u2026" if any(word in body for body in bodies) else word

    return _WORD.sub(replace, text)
