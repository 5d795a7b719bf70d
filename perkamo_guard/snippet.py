"""Snippets: a short, safe view of the line around a finding."""

from __future__ import annotations

import re
from collections.abc import Sequence

from perkamo_guard.keys import mask_keys
from perkamo_guard.text import LineIndex

#: Longest line shown whole; longer lines (minified code) show a window.
MAX_LINE = 160
_BEFORE, _AFTER = 60, 100
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]")
_WORD = re.compile(r"[A-Za-z0-9]{6,}")


def neutralise(text: str) -> str:
    """Replace control characters (ANSI escapes included) with visible escapes."""
    return _CONTROL.sub(lambda m: f"\\x{ord(m.group()):02x}" if ord(m.group()) < 256
                        else f"\\u{ord(m.group()):04x}", text.replace("\t", " "))


def make_snippet(lines: LineIndex, offset: int, secrets: Sequence[str] = ()) -> str:
    """Return the line holding ``offset``, windowed, masked and neutralised."""
    line, column = lines.position(offset)
    start, end = lines.line_span(line)
    if end - start <= MAX_LINE:
        view = lines.text[start:end].strip()
    else:
        left = max(start, offset - _BEFORE)
        right = min(end, offset + _AFTER)
        view = ("\u2026" if left > start else "") + lines.text[left:right]
        view += "\u2026" if right < end else ""
    return neutralise(hide_secrets(view, secrets))


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
