"""Sinks: the calls that send data to Perkamo, and the payloads they send.

``find_sinks`` is the one place that knows which calls reach Perkamo; the
payload rules, the browser-boundary rules and the retry rules all read its
answer. Each language has its module here (``python``, ``javascript``);
this module holds what they share: the payload tree, the sink record and
the reading of URLs into Perkamo routes.

What is followed, in both languages: URL literals, f-strings, template
literals and concatenations, names bound in the same function or at module
level (an environment read with a literal default counts as that default),
client objects made in the same module with a base URL; payload literals at
any depth, ``dict(...)``, spreads, a payload variable built or changed in
the same function (or an enclosing one) before the call, encoders such as
``json.dumps`` and ``JSON.stringify``, and same-module helper functions
that return a payload. What is not: values passed in as parameters, names
imported from other modules, attributes of other objects, helpers' own
arguments, and wrappers that are not configured as ``event-sinks``.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import NamedTuple

from perkamo_guard.config import Config, EventSink
from perkamo_guard.lazy import lazy_compile
from perkamo_guard.model import SCRIPT_KINDS, Kind, SourceFile

#: The Perkamo API host; a URL naming another host is not a Perkamo call.
PERKAMO_HOST = "api.perkamo.com"
#: The host in a regular expression: ASCII letters in any case, and the
#: Kelvin sign for its k (browsers and str.lower() read it as k), but no
#: other Unicode case fold: "apı.perkamo.com" is another host.
PERKAMO_HOST_PATTERN = r"(?ai:api\.per(?:k|\u212a)amo\.com)"
#: Routes that take event payloads (DESIGN: events:write).
EVENT_ROUTES = frozenset({"/v1/events", "/v1/events:batch", "/v1/identify"})
#: The route of a call to the Perkamo host whose path is computed at run time.
ANY_ROUTE = "*"

# -- the payload tree ------------------------------------------------------


class PEntry(NamedTuple):
    """One field of a payload dict: its key (``""`` when computed) and value."""

    key: str
    key_start: int
    key_end: int
    value: PNode


class PDict(NamedTuple):
    """A dict or object, possibly merged from several places in the code."""

    entries: tuple[PEntry, ...] = ()


class PList(NamedTuple):
    """A list, tuple or array; also every dict argument of a configured sink."""

    items: tuple[PNode, ...] = ()


class PStr(NamedTuple):
    """A string literal; ``start``/``end`` span its text inside the quotes."""

    value: str
    start: int
    end: int


class PTemplate(NamedTuple):
    """An f-string, template literal or concatenation with run-time parts.

    ``pieces`` holds the literal text in order, None for each run-time part.
    """

    pieces: tuple[str | None, ...]
    start: int
    end: int


class PConst(NamedTuple):
    """A number, boolean or null/None literal."""

    value: bool | int | float | None
    start: int
    end: int


class POther(NamedTuple):
    """Anything we do not follow: a parameter, a call, an attribute."""

    start: int
    end: int


PNode = PDict | PList | PStr | PTemplate | PConst | POther


# -- the sink record ---------------------------------------------------------


@dataclass(frozen=True)
class SinkCall:
    """A call that sends a request to Perkamo, or a configured event sink.

    All offsets are character offsets into the file's text.
    """

    #: The normalised route (``/v1/events``, ``/v1/profile/{user_id}``,
    #: ``/v1/client/…`` as written with ``{}`` for run-time segments);
    #: :data:`ANY_ROUTE` for the Perkamo host with a computed path; ``""``
    #: for a configured event sink.
    route: str
    #: The URL literal that holds the route (or else the host), inside its
    #: quotes; for a configured sink, the call's own start.
    url_start: int
    url_end: int
    #: True when the URL names the Perkamo API host, False for a relative
    #: ``/v1/…`` URL (the app's own proxy) or a base we could not read.
    host: bool
    #: ``POST``, ``GET``…, None when the call does not say.
    method: str | None
    payload: PNode | None
    call_start: int
    call_end: int
    #: The raw ``ast.Call`` or tree-sitter node, for later analyses.
    node: object = field(compare=False, repr=False)
    #: The dotted name of the called function, as written (``httpx.post``).
    callee: str = ""
    #: The source text of an unread URL base (``settings.PERKAMO_API``).
    base: str = ""
    #: The tree the node belongs to: an ``ast.Module`` or a ``JsModule``.
    module: object = field(default=None, compare=False, repr=False)

    @property
    def is_event(self) -> bool:
        """Tell whether the call sends an event payload (or is configured to)."""
        return self.route in EVENT_ROUTES or self.route == ""


def find_sinks(file: SourceFile, config: Config) -> list[SinkCall]:
    """Return the Perkamo calls and configured event sinks of a file, in order.

    Python files go through the standard ``ast``; JavaScript, TypeScript and
    the script blocks of Vue, Svelte and HTML files through tree-sitter. The answer
    is cached in ``file.cache``, so every rule family may ask.

    :raises perkamo_guard.parse.python.PythonSyntaxError:
        when the running interpreter cannot parse a Python file.
    """
    cached = file.cache.get("sinks")
    if cached is not None:
        return list(cached)
    sinks: list[SinkCall]
    if file.kind is Kind.PYTHON:
        from perkamo_guard.sinks import python

        sinks = python.find_sinks(file, config)
    elif file.kind in SCRIPT_KINDS or file.kind is Kind.HTML:
        from perkamo_guard.sinks import javascript

        sinks = javascript.find_sinks(file, config)
    else:
        sinks = []
    sinks.sort(key=lambda sink: (sink.call_start, sink.call_end))
    file.cache["sinks"] = tuple(sinks)
    return sinks


def configured_sink(callee: str, sinks: Sequence[EventSink]) -> EventSink | None:
    """Return the configured sink that a dotted callee name names, if any.

    ``perkamo.track`` matches ``perkamo.track`` and ``self.perkamo.track``.
    """
    for sink in sinks:
        if callee == sink.call or callee.endswith("." + sink.call):
            return sink
    return None


# -- URLs --------------------------------------------------------------------


class UrlPiece(NamedTuple):
    """One piece of a URL: literal text, or a part only known at run time."""

    #: The literal text; None for a run-time part.
    text: str | None
    #: The literal's span inside its quotes (or the expression's span).
    start: int
    end: int
    #: For a run-time part: its source text, for messages and later rules.
    source: str = ""


class UrlMatch(NamedTuple):
    """What a URL tells: its Perkamo route, and which literal holds it."""

    route: str
    host: bool
    start: int
    end: int
    base: str


_SCHEME = lazy_compile(r"^(?:[a-zA-Z][a-zA-Z0-9+.-]*:)?//([^/?#\x00]*)")
_FIXED_ROUTES = frozenset({
    "/v1/events", "/v1/events:batch", "/v1/identify", "/v1/program", "/v1/usage",
    "/v1/rewards/redeem",
})
_TEMPLATES = (
    (re.compile(r"^/v1/profile/[^/]+$"), "/v1/profile/{user_id}"),
    (re.compile(r"^/v1/admin/config/[^/]+$"), "/v1/admin/config/{module}"),
)
_MARK = "\x00"


def read_url(pieces: Sequence[UrlPiece], base: Sequence[UrlPiece] = ()) -> UrlMatch | None:
    """Read URL pieces as a Perkamo route; None when it is not one.

    :param base:
        The base URL of a client object (``httpx.Client(base_url=…)``,
        ``axios.create({baseURL})``), joined in front of a relative URL.
    """
    pieces = list(pieces)
    text = _joined(pieces)
    if base and not _SCHEME.match(text):
        if not text.startswith("/") and not _joined(base).endswith("/"):
            # ky and got join a prefix and a path with one slash.
            pieces = [*base, UrlPiece("/", -1, -1), *pieces]
        else:
            pieces = [*base, *pieces]
        text = _joined(pieces)
    host, path, path_at = _split_host(text)
    if host is not None and host.lower() != PERKAMO_HOST:
        return None
    dynamic_base = ""
    if host is None:
        lead = len(text) - len(text.lstrip(_MARK))
        dynamic_base = "".join(p.source for p in _pieces_at(pieces, 0, lead))
        path, path_at = text[lead:], lead
        if not path.startswith("/"):
            path, path_at = "/" + path, path_at - 1
    route = _route(path, host is not None)
    if route is None:
        return None
    holder = _holder(pieces, text, path_at if route != ANY_ROUTE else 0)
    if holder is None:
        return None
    return UrlMatch(route, host is not None, holder.start, holder.end, dynamic_base)


def _joined(pieces: Sequence[UrlPiece]) -> str:
    return "".join(_MARK if p.text is None else p.text for p in pieces)


def _split_host(text: str) -> tuple[str | None, str, int]:
    """Return (host or None, path, where the path starts in ``text``)."""
    match = _SCHEME.match(text)
    if match is None:
        return None, text, 0
    host = match.group(1).rsplit("@", 1)[-1]
    host = re.sub(r":\d*$", "", host)
    return host, text[match.end():], match.end()


def _route(path: str, on_host: bool) -> str | None:
    """Normalise a path into a route; None when it is not a Perkamo route."""
    path = re.split(r"[?#]", path, maxsplit=1)[0]
    path = path.rstrip("/") or ("/" if path else "")
    if path in _FIXED_ROUTES:
        return path
    if not path.startswith("/v1/"):
        return ANY_ROUTE if on_host and (not path or path.startswith(_MARK)) else None
    written = "/".join("{}" if _MARK in segment else segment for segment in path.split("/"))
    for pattern, template in _TEMPLATES:
        if pattern.match(written):
            return template
    if written.startswith("/v1/client/") or on_host:
        return written
    return None


def _pieces_at(pieces: Sequence[UrlPiece], start: int, end: int) -> list[UrlPiece]:
    """Return the pieces that cover characters ``start`` to ``end`` of the join."""
    found, position = [], 0
    for piece in pieces:
        width = 1 if piece.text is None else len(piece.text)
        if position < end and position + width > start:
            found.append(piece)
        position += width
    return found


def _holder(pieces: Sequence[UrlPiece], text: str, at: int) -> UrlPiece | None:
    """Return the literal piece that holds character ``at`` of the join, or
    the nearest literal after it."""
    position = 0
    for piece in pieces:
        width = 1 if piece.text is None else len(piece.text)
        if piece.text and piece.start >= 0 and position + width > at:
            return piece
        position += width
    literals = [p for p in pieces if p.text and p.start >= 0]
    return literals[-1] if literals else None
