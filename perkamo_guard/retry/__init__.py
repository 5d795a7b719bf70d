"""Retry analysis: what a retried block does with each HTTP status, in both languages.

The language modules (``python``, ``javascript``) find the retried blocks
around Perkamo calls (loops, recursive functions, retry libraries) and
translate each into the small statement language below. ``Flow`` runs that
translation once, following a representative of every status class, and
tells which statuses reach another attempt, through which condition, and
after which delays. The rules PG501 and PG503 are judged from that answer
(``judge``); PG502 and PG504 are found by the language modules directly.

Statuses are followed as classes, each by one representative: 2xx/3xx
(200), 400, 401, 403, other 4xx (404), 429 and 5xx (500).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import NamedTuple

from perkamo_guard.lazy import lazy_compile

#: A span of the file's text: character offsets of a start and an end.
Span = tuple[int, int]

STATUSES = (200, 400, 401, 403, 404, 429, 500)
ERRORS = frozenset(code for code in STATUSES if code >= 400)
#: Statuses Perkamo's guidance says never to retry automatically.
CLIENT_ERRORS = frozenset({400, 401, 403})
RATE_LIMITED = 429

#: Names that hold a transaction id (PG502); a request id for tracing does not.
_TRANSACTION_NAME = lazy_compile(r"transaction|txn|idempoten", re.IGNORECASE)


def is_transaction_name(name: str) -> bool:
    """Tell whether a key or variable name holds a transaction id."""
    return _TRANSACTION_NAME.search(name) is not None


def statuses_where(test: object) -> frozenset[int]:
    """Return the representatives for which ``test(code)`` is true."""
    return frozenset(code for code in STATUSES if test(code))  # type: ignore[operator]


# -- conditions ----------------------------------------------------------------


class Status(NamedTuple):
    """True exactly for ``codes``; ``span`` is the status list or the comparison."""

    codes: frozenset[int]
    span: Span


@dataclass(frozen=True)
class Opaque:
    """A condition that says nothing about the status."""


class Not(NamedTuple):
    operand: Cond


class All(NamedTuple):
    operands: tuple[Cond, ...]


class Any_(NamedTuple):
    operands: tuple[Cond, ...]


Cond = Status | Opaque | Not | All | Any_
#: For each status that may take a branch, the span that decided it (if any).
Routes = dict[int, Span | None]


def truth(cond: Cond) -> tuple[Routes, Routes]:
    """Return the statuses for which ``cond`` may be true, and may be false."""
    if isinstance(cond, Status):
        return ({c: cond.span for c in STATUSES if c in cond.codes},
                {c: cond.span for c in STATUSES if c not in cond.codes})
    if isinstance(cond, Not):
        true, false = truth(cond.operand)
        return false, true
    if isinstance(cond, (All, Any_)) and cond.operands:
        parts = [truth(operand) for operand in cond.operands]
        meet = _meet if isinstance(cond, All) else _join
        join = _join if isinstance(cond, All) else _meet
        return meet([p[0] for p in parts]), join([p[1] for p in parts])
    every: Routes = {c: None for c in STATUSES}
    return every, dict(every)


def _meet(routes: Sequence[Routes]) -> Routes:
    codes = set.intersection(*(set(r) for r in routes))
    return {c: _first(r.get(c) for r in routes) for c in STATUSES if c in codes}


def _join(routes: Sequence[Routes]) -> Routes:
    codes = set().union(*routes)
    return {c: _first(r.get(c) for r in routes) for c in STATUSES if c in codes}


def _first(spans: Iterable[Span | None]) -> Span | None:
    return next((s for s in spans if s is not None), None)


# -- statements ---------------------------------------------------------------


class Delay(NamedTuple):
    """A wait before the next attempt: ``exp`` (grows), ``flat`` or ``unknown``."""

    kind: str
    span: Span


class Sink(NamedTuple):
    """A Perkamo call; ``throws`` when the client raises on 4xx and 5xx itself."""

    throws: bool = False


@dataclass(frozen=True)
class RaiseStatus:
    """``response.raise_for_status()``: errors leave as an HTTP error."""


class If(NamedTuple):
    cond: Cond
    then: tuple[Stmt, ...]
    orelse: tuple[Stmt, ...] = ()


class Exit(NamedTuple):
    """``return`` or ``break``: the attempt ends and nothing is retried."""

    #: True for a ``return`` (what it returns is the block's result).
    returns: bool = False


class Throw(NamedTuple):
    """``raise``/``throw``; ``abort`` marks an error that stops retrying."""

    exc: str = ""
    abort: bool = False


class Retry(NamedTuple):
    """``continue`` in a retry loop, or a recursive call: the next attempt."""

    span: Span


class Wait(NamedTuple):
    delay: Delay


class Handler(NamedTuple):
    """An ``except``/``catch`` clause; ``types`` None catches everything."""

    types: tuple[str, ...] | None
    span: Span
    body: tuple[Stmt, ...]


class Try(NamedTuple):
    body: tuple[Stmt, ...]
    handlers: tuple[Handler, ...] = ()
    orelse: tuple[Stmt, ...] = ()
    final: tuple[Stmt, ...] = ()


Stmt = Sink | RaiseStatus | If | Exit | Throw | Retry | Wait | Try

#: Exception names that an HTTP status error is an instance of.
HTTP_ERROR_NAMES = frozenset({
    "Exception", "BaseException", "IOError", "OSError", "RequestException",
    "HTTPError", "HTTPStatusError", "ClientError", "ClientResponseError", "Error",
    "AxiosError", "RequestError", "FetchError",
})


def catches(types: tuple[str, ...] | None, exc: str) -> bool:
    """Tell whether a handler or predicate of ``types`` catches ``exc``."""
    if types is None:
        return True
    return any(t in HTTP_ERROR_NAMES or t == exc for t in types)


# -- running a block ----------------------------------------------------------


class Path(NamedTuple):
    """How one status got where it is: the deciding condition, the waits on the way."""

    via: Span | None = None
    delays: tuple[Delay, ...] = ()
    exc: str = ""


State = dict[int, Path]


@dataclass
class Outcome:
    """What one attempt of a retried block does with each status."""

    #: (status, path, where the retry happens) for each status retried in the block.
    retries: list[tuple[int, Path, Span]] = field(default_factory=list)
    #: Statuses that reach the block's end (a loop then tries again).
    end: State = field(default_factory=dict)
    #: Statuses that leave the block as an error, with the error's name.
    thrown: State = field(default_factory=dict)
    #: Statuses that a ``return`` hands back (a result predicate may retry them).
    returned: State = field(default_factory=dict)
    #: Whether a Perkamo call happens in the block at all.
    calls: bool = False


class Flow:
    """Follow every status class through one attempt of a retried block."""

    def __init__(self) -> None:
        self.outcome = Outcome()
        self._thrown: State = {}
        self._before: list[Delay] = []

    def run(self, body: Sequence[Stmt]) -> Outcome:
        self.outcome.end = self._block(body, {})
        self.outcome.thrown = self._thrown
        return self.outcome

    def _block(self, body: Sequence[Stmt], alive: State) -> State:
        for stmt in body:
            alive = self._stmt(stmt, alive)
        return alive

    def _stmt(self, stmt: Stmt, alive: State) -> State:
        if isinstance(stmt, Sink):
            return self._call(stmt)
        if isinstance(stmt, RaiseStatus):
            self._throw({c: p for c, p in alive.items() if c in ERRORS}, "HTTPError")
            return {c: p for c, p in alive.items() if c not in ERRORS}
        if isinstance(stmt, If):
            return self._branch(stmt, alive)
        if isinstance(stmt, Throw):
            if not stmt.abort:
                self._throw(alive, stmt.exc)
            return {}
        if isinstance(stmt, Retry):
            self.outcome.retries.extend((c, p, stmt.span) for c, p in alive.items())
            return {}
        if isinstance(stmt, Wait):
            if not self.outcome.calls:
                self._before.append(stmt.delay)
            return {c: p._replace(delays=p.delays + (stmt.delay,))
                    for c, p in alive.items()}
        if isinstance(stmt, Try):
            return self._try(stmt, alive)
        if stmt.returns:
            for code, path in alive.items():
                self.outcome.returned.setdefault(code, path)
        return {}

    def _call(self, stmt: Sink) -> State:
        self.outcome.calls = True
        fresh = {c: Path(delays=tuple(self._before)) for c in STATUSES}
        if not stmt.throws:
            return fresh
        self._throw({c: p for c, p in fresh.items() if c in ERRORS}, "HTTPError")
        return {c: p for c, p in fresh.items() if c not in ERRORS}

    def _throw(self, state: State, exc: str) -> None:
        for code, path in state.items():
            self._thrown.setdefault(code, path._replace(exc=path.exc or exc))

    def _branch(self, stmt: If, alive: State) -> State:
        true, false = truth(stmt.cond)
        then = self._block(stmt.then, _routed(alive, true))
        orelse = self._block(stmt.orelse, _routed(alive, false))
        return {**orelse, **then}

    def _try(self, stmt: Try, alive: State) -> State:
        outer, self._thrown = self._thrown, {}
        after = self._block(stmt.orelse, self._block(stmt.body, alive))
        inner, self._thrown = self._thrown, outer
        for handler in stmt.handlers:
            caught = {c: p for c, p in inner.items() if catches(handler.types, p.exc)}
            for code in caught:
                del inner[code]
            routed = {c: p if p.via else p._replace(via=handler.span)
                      for c, p in caught.items()}
            after = {**self._block(handler.body, routed), **after}
        self._throw(inner, "")
        return self._block(stmt.final, after) if stmt.final else after


def _routed(alive: State, routes: Routes) -> State:
    return {c: p if routes[c] is None else p._replace(via=routes[c])
            for c, p in alive.items() if c in routes}


# -- judging the outcome --------------------------------------------------------


class Hit(NamedTuple):
    """A finding to report: its code, span and message."""

    code: str
    span: Span
    message: str


class Retried(NamedTuple):
    """One status that reaches another attempt, and how."""

    code: int
    via: Span | None
    delays: tuple[Delay, ...] = ()


def loop_retries(outcome: Outcome) -> list[Retried]:
    """Return what a retry loop or recursion retries because of the status.

    A status that reaches a retry through no condition on the status (nor an
    error handler) is left out: the block retries for some other reason.
    """
    found = [Retried(c, p.via, p.delays) for c, p, _ in outcome.retries if p.via]
    found += [Retried(c, p.via, p.delays) for c, p in outcome.end.items() if p.via]
    return found


def client_error_hits(retried: Iterable[Retried], fallback: Span,
                      what: str) -> list[Hit]:
    """PG501 for each place that lets 400, 401 or 403 through to a retry."""
    by_place: dict[Span, set[int]] = {}
    for item in retried:
        if item.code in CLIENT_ERRORS:
            by_place.setdefault(item.via or fallback, set()).add(item.code)
    hits = []
    for span, codes in by_place.items():
        listed = ", ".join(str(c) for c in sorted(codes))
        hits.append(Hit("PG501", span, (
            f"{what} retries {listed} around a Perkamo call; retry only network "
            "errors, timeouts, 429 and 5xx: a client error fails the same way again")))
    return hits


def backoff_hits(retried: Iterable[Retried], fallback: Span) -> list[Hit]:
    """PG503 when a 429 is retried after no wait, or only flat waits."""
    hits = []
    for item in retried:
        if item.code != RATE_LIMITED:
            continue
        kinds = {delay.kind for delay in item.delays}
        if "exp" in kinds or (kinds and kinds <= {"unknown"}):
            continue
        flat = next((d for d in item.delays if d.kind == "flat"), None)
        hits.append(flat_delay_hit(flat.span if flat else (item.via or fallback),
                                   none=flat is None))
    return hits


def flat_delay_hit(span: Span, none: bool = False) -> Hit:
    """PG503 at a delay setting (or where one is missing)."""
    what = "without any wait" if none else "after a constant delay"
    return Hit("PG503", span, (
        f"429 is retried {what}; back off exponentially (with jitter), "
        "reading Retry-After alone is not enough"))


def status_list_hit(codes: Iterable[int], span: Span, what: str) -> Hit | None:
    """PG501 for a retry status list (urllib3, ky, got) that names a client error."""
    bad = sorted(set(codes) & CLIENT_ERRORS)
    if not bad:
        return None
    listed = ", ".join(str(c) for c in bad)
    return Hit("PG501", span, (
        f"{what} retries {listed} around a Perkamo call; list only 429 and 5xx "
        "statuses: a client error fails the same way again"))


def transaction_hit(span: Span, maker: str) -> Hit:
    return Hit("PG502", span, (
        f"{maker} makes a new transaction id on every attempt; make it once before "
        "the first attempt so that Perkamo recognises a retry as a replay"))


def duplicate_hit(span: Span, how: str) -> Hit:
    return Hit("PG504", span, (
        f"a duplicate: true response is {how}; it is a successful replay of a "
        "request Perkamo already applied: accept it (log it at info level)"))
