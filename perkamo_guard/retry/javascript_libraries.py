"""JS/TS retry libraries: p-retry, axios-retry, and ky, got and ofetch retry options."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from perkamo_guard.retry import (
    ERRORS,
    STATUSES,
    Flow,
    Hit,
    Outcome,
    Retried,
    Span,
    State,
    client_error_hits,
    flat_delay_hit,
    status_list_hit,
    truth,
)
from perkamo_guard.retry.javascript_block import (
    FUNCTIONS,
    BlockReader,
    arguments,
    descendants,
    field,
    number,
    unwrap,
)
from perkamo_guard.retry.javascript_replay import transaction_hits
from perkamo_guard.sinks import SinkCall

if TYPE_CHECKING:
    from tree_sitter import Node

    from perkamo_guard.retry.javascript import ScriptReader


# -- libraries -------------------------------------------------------------


def library_hits(reader: ScriptReader) -> list[Hit]:
    hits: list[Hit] = []
    for call in reader.module.calls():
        package = reader.package(call.callee.split(".", 1)[0])
        if package == "p-retry" and "." not in call.callee:
            hits += _p_retry_hits(reader, call.node)
        elif package == "axios-retry" and "." not in call.callee:
            hits += _axios_retry_hits(reader, call.node)
    for sink in reader.sinks.values():
        hits += _option_hits(reader, sink)
    return hits


def _p_retry_hits(reader: ScriptReader, call: Node) -> list[Hit]:
    args = arguments(call)
    function = unwrap(args[0]) if args else None
    if function is not None and function.type == "identifier":
        function = reader.function_named(reader.text(function))
    if function is None or function.type not in FUNCTIONS \
            or not reader.holds_sink(function):
        return []
    body = field(function, "body")
    outcome = Flow().run(BlockReader(reader).block(body))
    options = reader.props(args[1] if len(args) > 1 else None, call)
    if number(reader.text(options.get("retries"))) == 0:
        return []
    fallback = reader.span(field(call, "function") or call)
    retried = _filtered(reader, outcome, options, fallback)
    hits = client_error_hits(retried, fallback, "this pRetry")
    if any(r.code == 429 for r in retried):
        hits += _p_retry_delay(reader, options)
    return hits + transaction_hits(reader, body)


def _filtered(reader: ScriptReader, outcome: Outcome, options: dict[str, Node],
             fallback: Span) -> list[Retried]:
    thrown = {c: p for c, p in outcome.thrown.items() if c in ERRORS}
    should = options.get("shouldRetry")
    if should is not None:
        cond = reader.function_cond(should)
        true, _ = truth(cond) if cond is not None else ({}, {})
        thrown = {c: p for c, p in thrown.items() if c in true}
    failed = options.get("onFailedAttempt")
    throws = failed is not None and any(
        n.type == "throw_statement" for n in descendants(failed))
    if failed is not None and throws:
        thrown = _not_stopped(reader, failed, thrown)
    return [Retried(c, p.via or fallback, p.delays) for c, p in thrown.items()]


def _not_stopped(reader: ScriptReader, handler: Node, thrown: State) -> State:
    """Drop the statuses that an ``onFailedAttempt`` throwing condition stops."""
    for node in descendants(handler):
        if node.type == "if_statement" and any(
                n.type == "throw_statement" for n in descendants(node)):
            true, _ = truth(BlockReader(reader).cond(field(node, "condition")))
            return {c: p for c, p in thrown.items() if c not in true}
    return {}


def _p_retry_delay(reader: ScriptReader, options: dict[str, Node]) -> list[Hit]:
    factor = options.get("factor")
    if factor is not None and number(reader.text(factor)) == 1:
        return [flat_delay_hit(reader.span(factor))]
    low = options.get("minTimeout")
    if low is not None and number(reader.text(low)) == 0:
        return [flat_delay_hit(reader.span(low), none=True)]
    return []


def _axios_retry_hits(reader: ScriptReader, call: Node) -> list[Hit]:
    args = arguments(call)
    if not args or not _configures_sink_client(reader, args[0]):
        return []
    options = reader.props(args[1] if len(args) > 1 else None, call)
    fallback = reader.span(field(call, "function") or call)
    condition = options.get("retryCondition")
    if condition is None:
        retried = [Retried(c, fallback) for c in (429, 500)]
    else:
        cond = reader.function_cond(condition)
        if cond is None:
            return []
        true, _ = truth(cond)
        span = reader.span(condition)
        retried = [Retried(c, true[c] or span) for c in STATUSES
                   if c in true and c in ERRORS]
    hits = client_error_hits(retried, fallback, "this axiosRetry")
    delay = options.get("retryDelay")
    if any(r.code == 429 for r in retried):
        kind = reader.function_delay(delay) if delay is not None else "flat"
        if kind == "flat":
            hits.append(flat_delay_hit(reader.span(delay) if delay else fallback,
                                       none=delay is None))
    return hits


def _configures_sink_client(reader: ScriptReader, client: Node) -> bool:
    name = reader.text(unwrap(client))
    return any(s.callee.split(".", 1)[0] == name for s in reader.sinks.values())


def _option_hits(reader: ScriptReader, sink: SinkCall) -> list[Hit]:
    """ky, got and ofetch retry options, on the call or its instance's factory."""
    library = reader.library(sink)
    if library not in ("ky", "got", "ofetch"):
        return []
    hits: list[Hit] = []
    for options in _option_objects(reader, sink):
        if library == "ofetch":
            hits += _ofetch_hits(reader, options)
            continue
        retry = unwrap(options.get("retry"))
        if retry is not None and retry.type == "object":
            hits += _ky_got_hits(reader, reader.props(retry, retry), library)
    return hits


def _option_objects(reader: ScriptReader, sink: SinkCall) -> Iterator[dict[str, Node]]:
    node: Node = sink.node  # type: ignore[assignment]
    for arg in arguments(node):
        props = reader.props(arg, node)
        if props:
            yield props
    root = sink.callee.split(".", 1)[0]
    made = reader.binding(root, node)
    for _ in range(3):
        if made is None or made.type != "call_expression":
            return
        func = unwrap(field(made, "function"))
        if func is None or func.type != "member_expression":
            return
        args = arguments(made)
        if args:
            yield reader.props(args[0], made)
        made = reader.binding(reader.text(field(func, "object")), made)


def _ky_got_hits(reader: ScriptReader, retry: dict[str, Node],
                 library: str) -> list[Hit]:
    hits: list[Hit] = []
    codes = frozenset({429, 500})
    listed = retry.get("statusCodes")
    if listed is not None:
        found = reader.codes(listed)
        if found is None:
            return []
        codes = found[0]
        hit = status_list_hit(codes, reader.span(found[1]), f"this {library} retry")
        if hit is not None:
            hits.append(hit)
    delay = retry.get("delay" if library == "ky" else "calculateDelay")
    if delay is not None and 429 in codes and reader.function_delay(delay) == "flat":
        hits.append(flat_delay_hit(reader.span(delay)))
    return hits


def _ofetch_hits(reader: ScriptReader, options: dict[str, Node]) -> list[Hit]:
    hits: list[Hit] = []
    codes = frozenset({429, 500})
    listed = options.get("retryStatusCodes")
    if listed is not None and (found := reader.codes(listed)) is not None:
        codes = found[0]
        hit = status_list_hit(codes, reader.span(found[1]), "this ofetch retry")
        if hit is not None:
            hits.append(hit)
    retry = options.get("retry")
    if retry is None or number(reader.text(retry)) in (0, None) or 429 not in codes:
        return hits
    delay = options.get("retryDelay")
    if delay is None:
        hits.append(flat_delay_hit(reader.span(retry), none=True))
    elif reader.function_delay(delay) == "flat":
        hits.append(flat_delay_hit(reader.span(delay)))
    return hits
