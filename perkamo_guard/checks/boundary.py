"""Browser-boundary rules PG401-PG402: browser code calling Perkamo, preview routes.

PG401 flags a URL of the Perkamo API host on a stable v1 route in code that
runs in the browser: a string literal of a script (JS/TS, Vue, Svelte, the
script blocks and attributes of an HTML page, a quoted string of a minified
bundle), or a Perkamo call that the shared sink detection reads through a
name (``fetch(`${API}/v1/events`)``). PG402 flags, in any zone, the preview
``/v1/client/*`` routes, profile stream routes and profile stream tokens.

What a *profile stream* looks like in code (our decision, since Perkamo
documents it as preview only): a route below ``/v1/profile`` with a segment
that starts with ``stream`` (``/v1/profile/stream``,
``/v1/profile/{id}/stream``, ``wss://api.perkamo.com/v1/profile/…/stream``),
and a name whose words read *stream token* (``streamToken``,
``profile_stream_token``, ``PERKAMO_STREAM_TOKEN``). A name without
*profile* counts only in a file that names Perkamo, since other products
(chat SDKs) have stream tokens of their own.

NOTE: bundles are never parsed: a URL counts there when a quote opens it.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import NamedTuple

from perkamo_guard.checks import Context
from perkamo_guard.fields import split_words
from perkamo_guard.lazy import lazy_compile
from perkamo_guard.model import SCRIPT_KINDS, Finding, Kind, SourceFile, Zone
from perkamo_guard.parse.literals import literal_spans
from perkamo_guard.sinks import ANY_ROUTE, PERKAMO_HOST_PATTERN, SinkCall, find_sinks

#: A URL of the Perkamo API host, with the path as written after it.
#: Slashes may be JSON-escaped ("https:\/\/api.perkamo.com\/v1\/events"), as
#: bundlers write URLs inside JSON strings.
_HOST_URL = (r"(?:(?:https?|wss?):)?(?:\\?/){2}" + PERKAMO_HOST_PATTERN + r"(?::\d+)?(?![\w.-])"
             r"(?P<path>(?:[^\s\"'`<>\\]|\\/)*)")
_HOST = lazy_compile(_HOST_URL, re.IGNORECASE)
_QUOTED_HOST = lazy_compile(r"(?<=[\"'`])" + _HOST_URL, re.IGNORECASE)
#: A relative preview or profile route (the app's own proxy forwards it).
_RELATIVE_URL = r"(?P<path>\\?/v1\\?/(?:client|profiles?)(?![\w-])(?:[^\s\"'`<>\\]|\\/)*)"
_RELATIVE = lazy_compile(r"(?<![\w.:/-])" + _RELATIVE_URL)
_QUOTED_RELATIVE = lazy_compile(r"(?<=[\"'`])" + _RELATIVE_URL)
_V1 = lazy_compile(r"/v1(?:[/$?#]|$)")
_STREAM_ROUTE = lazy_compile(r"/v1/(?:client/)?profiles?(?:/[^/]*)?/stream",
                           re.IGNORECASE)
_STREAM_TOKEN = lazy_compile(r"stream[_-]?token", re.IGNORECASE)
_IDENTIFIER_CHARS = lazy_compile(r"[\w$-]*")
#: Cheap text tests that decide whether a file needs more than a glance.
_PREVIEW_HINT = lazy_compile(
    r"\\?/v1\\?/client|\\?/v1\\?/profiles?\\?/\S*?stream|stream[_-]?token", re.IGNORECASE)
_HTML_COMMENT = lazy_compile(r"<!--.*?-->", re.DOTALL)
#: Browser-only globals: JavaScript of unknown zone that uses them runs in a page.
_DOM = lazy_compile(
    r"\b(?:document|window)\.|\baddEventListener\(|\b(?:local|session)Storage\b")
_COMMENT_LINE = ("#", "//", "/*", "*")
_MAX_SHOWN = 60

STABLE, PREVIEW, STREAM = "stable", "preview", "stream"


class _Hit(NamedTuple):
    code: str
    start: int
    end: int
    message: str


def check(file: SourceFile, ctx: Context) -> Iterator[Finding]:
    """Report browser calls to the Perkamo API and any use of preview routes."""
    browser = _runs_in_browser(file)
    if not browser and _PREVIEW_HINT.search(file.text) is None:
        return
    names_perkamo = "perkamo" in file.text.lower()
    hits: dict[int, _Hit] = {}
    for start, path, host in _urls(file):
        hit = _url_hit(start, path, host, browser, names_perkamo)
        if hit is not None:
            hits.setdefault(start, hit)
    if file.kind is not Kind.BUNDLE:
        for hit in _sink_hits(file, ctx, hits, browser, names_perkamo):
            hits.setdefault(hit.start, hit)
    if _STREAM_TOKEN.search(file.text):
        for hit in _token_hits(file, names_perkamo):
            hits.setdefault(hit.start, hit)
    for hit in hits.values():
        yield ctx.finding(file, hit.code, hit.start, hit.end, hit.message)


def _runs_in_browser(file: SourceFile) -> bool:
    if file.kind is Kind.PYTHON or file.zone is Zone.SERVER:
        return False
    if file.zone is Zone.BROWSER:
        return True
    return file.kind in SCRIPT_KINDS and _DOM.search(file.text) is not None


def classify_path(path: str) -> str | None:
    """Tell what a path below the API host is: stable, preview, stream or None."""
    path = re.split(r"[?#]", path, maxsplit=1)[0]
    if _V1.match(path) is None and path != "/v1":
        return None
    if re.match(r"/v1/client(?:[/$]|$)", path):
        return PREVIEW
    if _STREAM_ROUTE.match(path):
        return STREAM
    return STABLE


# -- URLs in literals --------------------------------------------------------


def _urls(file: SourceFile) -> Iterator[tuple[int, str, bool]]:
    """Yield (offset, path, names the host) for each Perkamo URL in a literal."""
    if file.kind is Kind.BUNDLE:
        yield from _quoted_urls(file.text, 0, len(file.text))
        return
    if file.kind is Kind.HTML:
        yield from _markup_urls(file)
    for start, end in literal_spans(file):
        for match in _HOST.finditer(file.text, start, end):
            yield match.start(), _path(match), True
        for match in _RELATIVE.finditer(file.text, start, end):
            yield match.start(), _path(match), False


def _quoted_urls(text: str, start: int, end: int) -> Iterator[tuple[int, str, bool]]:
    for match in _QUOTED_HOST.finditer(text, start, end):
        yield match.start(), _path(match), True
    for match in _QUOTED_RELATIVE.finditer(text, start, end):
        yield match.start(), _path(match), False


def _path(match: re.Match[str]) -> str:
    return match.group("path").replace("\\/", "/")


def _markup_urls(file: SourceFile) -> Iterator[tuple[int, str, bool]]:
    """Yield the quoted URLs of an HTML page outside its scripts and comments."""
    from perkamo_guard.parse.scripts import script_modules

    skipped = [(m.start(), m.end()) for m in _HTML_COMMENT.finditer(file.text)]
    skipped += [(m.block.offset, m.block.offset + len(m.block.text))
                for m in script_modules(file)]
    for found in _quoted_urls(file.text, 0, len(file.text)):
        if not any(start <= found[0] < end for start, end in skipped):
            yield found


def _url_hit(start: int, path: str, host: bool, browser: bool,
             names_perkamo: bool) -> _Hit | None:
    kind = classify_path(path)
    shown = _shown(path)
    if kind in (PREVIEW, STREAM) and (host or names_perkamo):
        return _Hit("PG402", start, start + len(path), _preview_message(kind, shown))
    if kind == STABLE and host and browser:
        return _Hit("PG401", start, start + len(path), _browser_message(shown))
    return None


# -- calls through names -----------------------------------------------------


def _sink_hits(file: SourceFile, ctx: Context, found: dict[int, _Hit], browser: bool,
               names_perkamo: bool) -> Iterator[_Hit]:
    """Yield hits for Perkamo calls whose URL no literal of its own names."""
    from perkamo_guard.parse.python import PythonSyntaxError

    try:
        sinks = find_sinks(file, ctx.config)
    except PythonSyntaxError:
        return
    for sink in sinks:
        if not sink.route or sink.route == ANY_ROUTE:
            continue
        if any(sink.url_start <= start < max(sink.url_end, sink.url_start + 1)
               for start in found):
            continue
        hit = _sink_hit(file, sink, browser, names_perkamo)
        if hit is not None:
            yield hit


def _sink_hit(file: SourceFile, sink: SinkCall, browser: bool,
              names_perkamo: bool) -> _Hit | None:
    text = file.text[sink.url_start:sink.url_end]
    at = text.find("/v1")
    start = sink.url_start + max(at, 0)
    path = text[at:] if at >= 0 else sink.route
    kind = classify_path(path) or classify_path(sink.route)
    if kind in (PREVIEW, STREAM) and (sink.host or names_perkamo):
        return _Hit("PG402", start, sink.url_end, _preview_message(kind, _shown(path)))
    if kind == STABLE and sink.host and browser:
        return _Hit("PG401", start, sink.url_end, _browser_message(sink.route))
    return None


# -- profile stream tokens ---------------------------------------------------


def _token_hits(file: SourceFile, names_perkamo: bool) -> Iterator[_Hit]:
    """Yield the first use of each name that reads *stream token*, per file."""
    seen: set[str] = set()
    text = file.text
    for match in _STREAM_TOKEN.finditer(text):
        start = match.start()
        while start > 0 and (text[start - 1].isalnum() or text[start - 1] in "_$-"):
            start -= 1
        name_end = _IDENTIFIER_CHARS.match(text, match.end())
        name = text[start:name_end.end() if name_end else match.end()]
        if name in seen or not _is_stream_token(name, names_perkamo):
            continue
        if _in_comment_line(text, start):
            continue
        seen.add(name)
        yield _Hit("PG402", start, start + len(name), _token_message(name))


def _is_stream_token(name: str, names_perkamo: bool) -> bool:
    words = split_words(name)
    pairs = list(zip(words, words[1:]))
    if ("stream", "token") not in pairs:
        return False
    return names_perkamo or "profile" in words


def _in_comment_line(text: str, offset: int) -> bool:
    line_start = text.rfind("\n", 0, offset) + 1
    return text[line_start:offset].lstrip().startswith(_COMMENT_LINE)


# -- messages ----------------------------------------------------------------


def _shown(path: str) -> str:
    path = re.split(r"[?#]", path, maxsplit=1)[0]
    path = re.sub(r"\$\{[^}]*\}", "{}", path)
    return path if len(path) <= _MAX_SHOWN else path[:_MAX_SHOWN] + "\u2026"


def _browser_message(route: str) -> str:
    return (f"browser code calls the Perkamo API ({route}) directly; call your own "
            "backend, which calls Perkamo with the server key")


def _preview_message(kind: str | None, route: str) -> str:
    what = "a profile stream route" if kind == STREAM else "a preview route"
    return (f"{route} is {what}, not stable v1 API; use the stable v1 routes "
            "from your backend instead")


def _token_message(name: str) -> str:
    return (f"{name!r} is a profile stream token, a preview feature, not stable v1 "
            "API; read profiles from your backend with GET /v1/profile/{user_id}")
