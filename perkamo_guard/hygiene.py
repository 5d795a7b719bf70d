"""Filter: suppression hygiene, rules PG901-PG903, judged after suppressions apply.

A suppression comment is an exception someone granted once. These rules
keep such exceptions honest: each says why (PG901), each still hides
something (PG902), and each dated one lapses when its date has passed
(PG903). Their findings are never hidden by a suppression comment, not even
by the one they are about; ``select``/``ignore``, ``per-file-ignores`` and
the baseline apply to them as to any rule.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import NamedTuple

from perkamo_guard.checks import Context
from perkamo_guard.filter import Suppression
from perkamo_guard.lazy import lazy_compile
from perkamo_guard.model import Finding, Kind, SourceFile

CODES = frozenset({"PG901", "PG902", "PG903"})
#: Every suppression comment holds this; a file without it needs no hygiene.
TRIGGER = b"perkamo-guard:"

#: Kinds with no comments: the suppression syntax there is data, not a comment.
_UNCOMMENTED = frozenset({Kind.JSON, Kind.SOURCE_MAP, Kind.BUNDLE})
#: Prose quotes the syntax to explain it (our own docs do); that is no suppression.
_PROSE_SUFFIXES = (".md", ".markdown", ".rst", ".adoc", ".txt")
_CODE_PIECE = lazy_compile(r"[^,]+")
#: A code longer than this is shown cut: it comes from the scanned file.
_SHOWN_CODE = 24


class Judgement(NamedTuple):
    """What the hygiene rules need to know about one file's run.

    :param known:
        Every rule code in the catalogue.
    :param judged:
        Codes whose checks ran on this file; only a suppression of one of
        these can be called unused.
    """

    known: frozenset[str]
    judged: frozenset[str]
    today: date


def has_real_comments(kind: Kind, path: Path) -> bool:
    """Tell whether a suppression-like text in this file is a real comment."""
    return kind not in _UNCOMMENTED and not path.name.lower().endswith(_PROSE_SUFFIXES)


def audit(file: SourceFile, suppressions: list[Suppression], judgement: Judgement,
          ctx: Context) -> Iterator[Finding]:
    """Yield the PG901-PG903 findings of a file's suppression comments.

    Call it after the suppressions were applied, so that ``used`` is known.
    """
    for suppression in suppressions:
        start = file.lines.offset(suppression.line, suppression.column)
        if not suppression.reason:
            yield ctx.finding(file, "PG901", start, start + len(suppression.text))
        if suppression.is_expired(judgement.today):
            yield _expired(file, suppression, start, ctx)
        else:
            yield from _unused(file, suppression, start, judgement, ctx)


def _expired(file: SourceFile, suppression: Suppression, start: int,
             ctx: Context) -> Finding:
    at = start + suppression.text.index("until=")
    end = at + len("until=") + len(suppression.until_text)
    codes = ", ".join(suppression.codes) or "nothing"
    if suppression.until is None:
        message = (f"suppression of {codes} has an unreadable until= date "
                   f"{_shown(suppression.until_text)!r}, so it no longer applies; "
                   "write the date as YYYY-MM-DD")
    else:
        message = (f"suppression of {codes} expired on {suppression.until.isoformat()}, "
                   "so its findings are reported again; fix them or renew the date "
                   "with a reason")
    return ctx.finding(file, "PG903", at, end, message)


def _unused(file: SourceFile, suppression: Suppression, start: int,
            judgement: Judgement, ctx: Context) -> Iterator[Finding]:
    pieces = list(_code_pieces(suppression.text))
    if not pieces:
        yield ctx.finding(file, "PG902", start, start + len(suppression.text),
                          "suppression names no rule code; name the codes it hides "
                          "or remove it")
    for code, offset in pieces:
        message = _unused_message(code, suppression, judgement)
        if message:
            at = start + offset
            yield ctx.finding(file, "PG902", at, at + len(code), message)


def _code_pieces(text: str) -> Iterator[tuple[str, int]]:
    """Yield each code written inside ``ignore[...]`` and its offset in ``text``."""
    opening = text.find("ignore[")
    if opening < 0:
        return
    first = opening + len("ignore[")
    closing = text.find("]", first)
    for match in _CODE_PIECE.finditer(text, first, closing if closing >= 0 else len(text)):
        code = match.group().strip()
        if code:
            yield code, match.start() + match.group().index(code)


def _unused_message(code: str, suppression: Suppression, judgement: Judgement) -> str | None:
    """Say what is wrong with one code of a suppression, or None if nothing is."""
    upper = code.upper()
    if upper not in judgement.known:
        return (f"suppression names {_shown(code)!r}, which is no perkamo-guard rule "
                "code; fix the code or remove it")
    if upper in CODES:
        return (f"{upper} findings cannot be suppressed by a comment; use "
                "per-file-ignores or --ignore instead")
    if upper in judgement.judged and upper not in suppression.used:
        return (f"unused suppression: no {upper} finding on the line it covers; "
                f"remove {upper} from the comment")
    return None


def _shown(text: str) -> str:
    return text if len(text) <= _SHOWN_CODE else text[:_SHOWN_CODE] + "\u2026"
