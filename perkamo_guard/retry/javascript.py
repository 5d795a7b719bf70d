"""Retry analysis in JavaScript and TypeScript, via tree-sitter.

Explicit loops and recursive functions around a Perkamo call, p-retry
around a function that makes one, axios-retry on the client that makes one,
and the retry options of ky, got and ofetch on the call or on the instance
that makes it.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Sequence
from typing import TYPE_CHECKING

from perkamo_guard.fields import split_words
from perkamo_guard.retry import (
    ERRORS,
    STATUSES,
    All,
    Any_,
    Cond,
    Delay,
    Exit,
    Flow,
    Handler,
    Hit,
    If,
    Not,
    Opaque,
    Outcome,
    Retried,
    Retry,
    Sink,
    Span,
    State,
    Status,
    Stmt,
    Throw,
    Try,
    Wait,
    backoff_hits,
    client_error_hits,
    duplicate_hit,
    flat_delay_hit,
    is_transaction_name,
    loop_retries,
    status_list_hit,
    statuses_where,
    transaction_hit,
    truth,
)
from perkamo_guard.sinks import SinkCall

if TYPE_CHECKING:
    from tree_sitter import Node

    from perkamo_guard.parse.javascript import JsModule

_FUNCTIONS = frozenset({"function_declaration", "function_expression", "function",
                        "arrow_function", "method_definition", "generator_function",
                        "generator_function_declaration"})
_LOOPS = frozenset({"for_statement", "for_in_statement", "while_statement", "do_statement"})
_TRANSPARENT = frozenset({"parenthesized_expression", "non_null_expression", "as_expression",
                          "satisfies_expression", "await_expression"})
_RETRY_WORDS = re.compile(r"attempt|retr(?:y|ies)|tries|backoff|delay", re.IGNORECASE)
#: Clients that reject on 4xx and 5xx by themselves, by package.
_THROWING = frozenset({"axios", "ky", "got", "ofetch", "superagent"})
_PACKAGES = {"$fetch": "ofetch", "ofetch": "ofetch", "axios": "axios", "ky": "ky",
             "got": "got", "superagent": "superagent", "pRetry": "p-retry",
             "axiosRetry": "axios-retry"}
_SLEEPS = frozenset({"sleep", "delay", "wait", "pause", "setTimeout", "timeout"})
_ID_PACKAGES = frozenset({"uuid", "nanoid", "ulid", "cuid", "@paralleldrive/cuid2",
                          "short-uuid", "ulidx"})
_ID_CALLS = frozenset({"crypto.randomUUID", "randomUUID", "Date.now", "Math.random",
                       "performance.now", "uuidv4", "uuid", "nanoid", "ulid", "cuid",
                       "createId", "crypto.randomBytes", "randomBytes",
                       "self.crypto.randomUUID", "window.crypto.randomUUID"})
_STATUS_PROPERTIES = frozenset({"status", "statusCode", "status_code"})
_ERROR_LOGS = frozenset({"error", "fatal", "critical", "exception", "captureException",
                         "captureMessage"})
#: axios-retry's own conditions, by the statuses they retry.
_AXIOS_CONDITIONS = {"isNetworkError": frozenset(),
                     "isRetryableError": frozenset({429, 500}),
                     "isNetworkOrIdempotentRequestError": frozenset({429, 500}),
                     "isIdempotentRequestError": frozenset({429, 500}),
                     "isSafeRequestError": frozenset({429, 500})}
_COMPARISONS = frozenset({"===", "==", "!==", "!=", "<", "<=", ">", ">="})
_FLIP = {"<": ">", ">": "<", "<=": ">=", ">=": "<="}


def find_hits(module: JsModule, sinks: Sequence[SinkCall]) -> list[Hit]:
    """Return the PG501-PG504 hits of one script that calls Perkamo."""
    reader = _Module(module, sinks)
    hits: list[Hit] = []
    for scope in reader.scopes_with_sinks():
        hits += reader.scope_hits(scope)
    hits += reader.library_hits()
    return hits


def _key(node: Node) -> tuple[int, int]:
    return node.start_byte, node.end_byte


class _Module:
    """One script with its Perkamo calls, imports and bindings."""

    def __init__(self, module: JsModule, sinks: Sequence[SinkCall]) -> None:
        self.module = module
        self.sinks = {_key(s.node): s for s in sinks  # type: ignore[arg-type]
                      if s.node is not None}
        self.imports = self._imports()
        self.retry_loops: set[tuple[int, int]] = set()

    # -- names and places -------------------------------------------------

    def span(self, node: Node) -> Span:
        return self.module.span(node)

    def text(self, node: Node | None) -> str:
        return self.module.node_text(node) if node is not None else ""

    def _imports(self) -> dict[str, str]:
        found: dict[str, str] = {}
        for node in _own_nodes(self.module.root):
            if node.type == "import_statement":
                source = node.child_by_field_name("source")
                package = self.text(source).strip("'\"`")
                for child in _descendants(node):
                    if child.type == "identifier":
                        found[self.text(child)] = package
            elif node.type == "variable_declarator":
                value = _unwrap(node.child_by_field_name("value"))
                name = node.child_by_field_name("name")
                if value is not None and value.type == "call_expression" and name is not None:
                    func = value.child_by_field_name("function")
                    args = _arguments(value)
                    if self.text(func) == "require" and args and args[0].type == "string":
                        package = self.text(args[0]).strip("'\"`")
                        for child in _descendants(name):
                            if child.type in ("identifier",
                                              "shorthand_property_identifier_pattern"):
                                found[self.text(child)] = package
        return found

    def package(self, name: str) -> str:
        return self.imports.get(name) or _PACKAGES.get(name, "")

    def library(self, sink: SinkCall) -> str:
        """Name the package of a sink's client, through ``create``/``extend``."""
        root = sink.callee.split(".", 1)[0]
        if root in ("fetch", "window", "globalThis", "self", "navigator"):
            return "fetch"
        for _ in range(4):
            package = self.package(root)
            if package:
                return package
            bound = self.binding(root, sink.node)  # type: ignore[arg-type]
            if bound is None or bound.type != "call_expression":
                return ""
            func = _unwrap(bound.child_by_field_name("function"))
            if func is None or func.type != "member_expression":
                return ""
            root = self.text(func.child_by_field_name("object")).split(".", 1)[0]
        return ""

    def scope_of(self, node: Node) -> Node:
        current = node.parent
        while current is not None:
            if current.type in _FUNCTIONS:
                return current
            current = current.parent
        return self.module.root

    def scope_chain(self, node: Node) -> Iterator[Node]:
        """Yield the scopes around ``node``, innermost first, ending at the program."""
        scope = self.scope_of(node)
        while True:
            yield scope
            if scope == self.module.root:
                return
            scope = self.scope_of(scope)

    def scopes_with_sinks(self) -> list[Node]:
        scopes: dict[tuple[int, int], Node] = {}
        for sink in self.sinks.values():
            scope = self.scope_of(sink.node)  # type: ignore[arg-type]
            scopes.setdefault(_key(scope), scope)
        return list(scopes.values())

    def binding(self, name: str, at: Node) -> Node | None:
        """Return the value bound to ``name`` in the scopes around ``at``."""
        for scope in self.scope_chain(at):
            for node in _own_nodes(scope):
                if node.type == "variable_declarator":
                    target = node.child_by_field_name("name")
                    if target is not None and self.text(target) == name:
                        return _unwrap(node.child_by_field_name("value"))
        return None

    def function_named(self, name: str) -> Node | None:
        for node in _own_nodes(self.module.root):
            if node.type == "function_declaration" and self.text(
                    node.child_by_field_name("name")) == name:
                return node
        bound = self.binding(name, self.module.root)
        return bound if bound is not None and bound.type in _FUNCTIONS else None

    def holds_sink(self, node: Node) -> bool:
        return any(_key(n) in self.sinks for n in _own_nodes(node))

    # -- one scope ------------------------------------------------------------

    def scope_hits(self, scope: Node) -> list[Hit]:
        hits: list[Hit] = []
        recursive = self.recursive_calls(scope)
        if recursive:
            hits += self.recursion_hits(scope, recursive)
        for node in _own_nodes(scope):
            if node.type in _LOOPS and self.holds_sink(node) and self.is_retry_loop(node):
                hits += self.loop_hits(node)
        hits += self.duplicate_hits(scope, recursive)
        return hits

    def function_name(self, function: Node) -> str:
        name = function.child_by_field_name("name")
        if name is None and function.parent is not None \
                and function.parent.type == "variable_declarator":
            name = function.parent.child_by_field_name("name")
        return self.text(name) if name is not None else ""

    def recursive_calls(self, scope: Node) -> set[tuple[int, int]]:
        name = self.function_name(scope) if scope.type in _FUNCTIONS else ""
        if not name:
            return set()
        calls = set()
        for node in _own_nodes(scope):
            if node.type == "call_expression":
                callee = self.text(node.child_by_field_name("function"))
                if callee in (name, f"this.{name}"):
                    calls.add(_key(node))
        return calls

    def is_retry_loop(self, loop: Node) -> bool:
        body = loop.child_by_field_name("body")
        header = "".join(self.text(c) for c in loop.children if c != body)
        if _RETRY_WORDS.search(header):
            return True
        counting = loop.type != "for_in_statement"
        return counting and any(n.type in ("break_statement", "return_statement")
                                for n in _own_nodes(loop))

    def loop_hits(self, loop: Node) -> list[Hit]:
        self.retry_loops.add(_key(loop))
        body = loop.child_by_field_name("body")
        outcome = Flow().run(_Translator(self, loop=True).block(body))
        head = self.span(loop.child_by_field_name("condition") or loop.children[0])
        retried = loop_retries(outcome)
        hits = client_error_hits(retried, head, "this loop")
        hits += backoff_hits(retried, head)
        return hits + self.transaction_hits(body)

    def recursion_hits(self, function: Node, recursive: set[tuple[int, int]]) -> list[Hit]:
        body = function.child_by_field_name("body")
        outcome = Flow().run(_Translator(self, recursive=recursive).block(body))
        retried = loop_retries(outcome)
        fallback = self.span(function)
        hits = client_error_hits(retried, fallback, f"{self.function_name(function)}()")
        hits += backoff_hits(retried, fallback)
        return hits + self.transaction_hits(body)

    # -- libraries -------------------------------------------------------------

    def library_hits(self) -> list[Hit]:
        hits: list[Hit] = []
        for call in self.module.calls():
            package = self.package(call.callee.split(".", 1)[0])
            if package == "p-retry" and "." not in call.callee:
                hits += self.p_retry_hits(call.node)
            elif package == "axios-retry" and "." not in call.callee:
                hits += self.axios_retry_hits(call.node)
        for sink in self.sinks.values():
            hits += self.option_hits(sink)
        return hits

    def p_retry_hits(self, call: Node) -> list[Hit]:
        args = _arguments(call)
        function = _unwrap(args[0]) if args else None
        if function is not None and function.type == "identifier":
            function = self.function_named(self.text(function))
        if function is None or function.type not in _FUNCTIONS or not self.holds_sink(function):
            return []
        body = function.child_by_field_name("body")
        outcome = Flow().run(_Translator(self).block(body))
        options = self.props(args[1] if len(args) > 1 else None, call)
        if _number(self.text(options.get("retries"))) == 0:
            return []
        fallback = self.span(call.child_by_field_name("function") or call)
        retried = self.filtered(outcome, options, fallback)
        hits = client_error_hits(retried, fallback, "this pRetry")
        if any(r.code == 429 for r in retried):
            hits += self.p_retry_delay(options)
        return hits + self.transaction_hits(body)

    def filtered(self, outcome: Outcome, options: dict[str, Node],
                 fallback: Span) -> list[Retried]:
        thrown = {c: p for c, p in outcome.thrown.items() if c in ERRORS}
        should = options.get("shouldRetry")
        if should is not None:
            cond = self.function_cond(should)
            true, _ = truth(cond) if cond is not None else ({}, {})
            thrown = {c: p for c, p in thrown.items() if c in true}
        failed = options.get("onFailedAttempt")
        if failed is not None and any(n.type == "throw_statement" for n in _descendants(failed)):
            thrown = self.not_stopped(failed, thrown)
        return [Retried(c, p.via or fallback, p.delays) for c, p in thrown.items()]

    def not_stopped(self, handler: Node, thrown: State) -> State:
        """Drop the statuses that an ``onFailedAttempt`` throwing condition stops."""
        for node in _descendants(handler):
            if node.type == "if_statement" and any(
                    n.type == "throw_statement" for n in _descendants(node)):
                true, _ = truth(_Translator(self).cond(node.child_by_field_name("condition")))
                return {c: p for c, p in thrown.items() if c not in true}
        return {}

    def p_retry_delay(self, options: dict[str, Node]) -> list[Hit]:
        factor = options.get("factor")
        if factor is not None and _number(self.text(factor)) == 1:
            return [flat_delay_hit(self.span(factor))]
        low = options.get("minTimeout")
        if low is not None and _number(self.text(low)) == 0:
            return [flat_delay_hit(self.span(low), none=True)]
        return []

    def axios_retry_hits(self, call: Node) -> list[Hit]:
        args = _arguments(call)
        if not args or not self.configures_sink_client(args[0]):
            return []
        options = self.props(args[1] if len(args) > 1 else None, call)
        fallback = self.span(call.child_by_field_name("function") or call)
        condition = options.get("retryCondition")
        if condition is None:
            retried = [Retried(c, fallback) for c in (429, 500)]
        else:
            cond = self.function_cond(condition)
            if cond is None:
                return []
            true, _ = truth(cond)
            span = self.span(condition)
            retried = [Retried(c, true[c] or span) for c in STATUSES if c in true and c in ERRORS]
        hits = client_error_hits(retried, fallback, "this axiosRetry")
        delay = options.get("retryDelay")
        if any(r.code == 429 for r in retried):
            kind = self.function_delay(delay) if delay is not None else "flat"
            if kind == "flat":
                hits.append(flat_delay_hit(self.span(delay) if delay else fallback,
                                           none=delay is None))
        return hits

    def configures_sink_client(self, client: Node) -> bool:
        name = self.text(_unwrap(client))
        return any(s.callee.split(".", 1)[0] == name for s in self.sinks.values())

    def option_hits(self, sink: SinkCall) -> list[Hit]:
        """ky, got and ofetch retry options, on the call or its instance's factory."""
        library = self.library(sink)
        if library not in ("ky", "got", "ofetch"):
            return []
        hits: list[Hit] = []
        for options in self.option_objects(sink):
            if library == "ofetch":
                hits += self.ofetch_hits(options)
                continue
            retry = _unwrap(options.get("retry"))
            if retry is not None and retry.type == "object":
                hits += self.ky_got_hits(self.props(retry, retry), library)
        return hits

    def option_objects(self, sink: SinkCall) -> Iterator[dict[str, Node]]:
        node: Node = sink.node  # type: ignore[assignment]
        for arg in _arguments(node):
            props = self.props(arg, node)
            if props:
                yield props
        root = sink.callee.split(".", 1)[0]
        made = self.binding(root, node)
        for _ in range(3):
            if made is None or made.type != "call_expression":
                return
            func = _unwrap(made.child_by_field_name("function"))
            if func is None or func.type != "member_expression":
                return
            args = _arguments(made)
            if args:
                yield self.props(args[0], made)
            made = self.binding(self.text(func.child_by_field_name("object")), made)

    def ky_got_hits(self, retry: dict[str, Node], library: str) -> list[Hit]:
        hits: list[Hit] = []
        codes = frozenset({429, 500})
        listed = retry.get("statusCodes")
        if listed is not None:
            found = self.codes(listed)
            if found is None:
                return []
            codes = found[0]
            hit = status_list_hit(codes, self.span(found[1]), f"this {library} retry")
            if hit is not None:
                hits.append(hit)
        delay = retry.get("delay" if library == "ky" else "calculateDelay")
        if delay is not None and 429 in codes and self.function_delay(delay) == "flat":
            hits.append(flat_delay_hit(self.span(delay)))
        return hits

    def ofetch_hits(self, options: dict[str, Node]) -> list[Hit]:
        hits: list[Hit] = []
        codes = frozenset({429, 500})
        listed = options.get("retryStatusCodes")
        if listed is not None and (found := self.codes(listed)) is not None:
            codes = found[0]
            hit = status_list_hit(codes, self.span(found[1]), "this ofetch retry")
            if hit is not None:
                hits.append(hit)
        retry = options.get("retry")
        if retry is None or _number(self.text(retry)) in (0, None) or 429 not in codes:
            return hits
        delay = options.get("retryDelay")
        if delay is None:
            hits.append(flat_delay_hit(self.span(retry), none=True))
        elif self.function_delay(delay) == "flat":
            hits.append(flat_delay_hit(self.span(delay)))
        return hits

    # -- functions as settings --------------------------------------------------------

    def function_body(self, setting: Node) -> Node | None:
        """The returned expression of an arrow or function (one ``return``), or None."""
        node = _unwrap(setting)
        if node is not None and node.type == "identifier":
            node = self.function_named(self.text(node))
        if node is None or node.type not in _FUNCTIONS:
            return None
        body = node.child_by_field_name("body")
        if body is None or body.type != "statement_block":
            return body
        returns = [n for n in _own_nodes(body) if n.type == "return_statement"]
        if len(returns) != 1 or not returns[0].named_children:
            return None
        return returns[0].named_children[0]

    def function_cond(self, node: Node) -> Cond | None:
        unwrapped = _unwrap(node)
        name = self.text(unwrapped).rsplit(".", 1)[-1] if unwrapped is not None else ""
        if name in _AXIOS_CONDITIONS:
            return Status(_AXIOS_CONDITIONS[name], self.span(node))
        body = self.function_body(node)
        return _Translator(self).cond(body) if body is not None else None

    def function_delay(self, node: Node) -> str:
        unwrapped = _unwrap(node)
        if unwrapped is None:
            return "unknown"
        if unwrapped.type == "number":
            return "flat"
        name = self.text(unwrapped).rsplit(".", 1)[-1].split("(", 1)[0].lower()
        if "exponential" in name or "backoff" in name:
            return "exp"
        if "linear" in name or "constant" in name or name == "nodelay":
            return "flat"
        body = self.function_body(unwrapped)
        if body is None:
            return "unknown"
        return _Translator(self, counters=self.parameters(unwrapped)).delay_kind(body, 0)

    def parameters(self, function: Node) -> frozenset[str]:
        params = function.child_by_field_name("parameters") or \
            function.child_by_field_name("parameter")
        return frozenset(self.text(n) for n in _descendants(params)
                         if n.type in ("identifier", "shorthand_property_identifier_pattern")) \
            if params is not None else frozenset()

    def props(self, node: Node | None, at: Node) -> dict[str, Node]:
        node = _unwrap(node)
        if node is not None and node.type == "identifier":
            node = self.binding(self.text(node), at)
        if node is None or node.type != "object":
            return {}
        found: dict[str, Node] = {}
        for child in node.named_children:
            if child.type == "pair":
                key = child.child_by_field_name("key")
                value = child.child_by_field_name("value")
                if key is not None and value is not None:
                    found[self.text(key).strip("'\"`")] = value
            elif child.type == "method_definition":
                found[self.text(child.child_by_field_name("name"))] = child
        return found

    def codes(self, node: Node | None, depth: int = 0) -> tuple[frozenset[int], Node] | None:
        node = _unwrap(node)
        if node is None or depth > 4:
            return None
        if node.type == "number":
            value = _number(self.text(node))
            return (frozenset({int(value)}), node) if value is not None else None
        if node.type == "array":
            values = [self.codes(child, depth + 1) for child in node.named_children]
            if values and all(v is not None and len(v[0]) == 1 for v in values):
                return frozenset(c for v in values if v for c in v[0]), node
            return None
        if node.type == "new_expression":
            args = _arguments(node)
            return self.codes(args[0], depth + 1) if args else None
        if node.type == "identifier":
            bound = self.binding(self.text(node), node)
            return self.codes(bound, depth + 1)
        return None

    # -- PG502 ---------------------------------------------------------------------------

    def transaction_hits(self, body: Node | None) -> list[Hit]:
        if body is None:
            return []
        hits: list[Hit] = []
        made: dict[str, Node] = {}
        for node in _own_nodes(body):
            for name, value, guarded in self.named_values(node):
                maker = self.id_maker(value)
                if maker is None:
                    continue
                if not is_transaction_name(name):
                    if node.type == "variable_declarator":
                        made[name] = maker
                elif not guarded:
                    hits.append(transaction_hit(self.span(maker), self.maker_name(maker)))
        for node in _own_nodes(body):
            for name, value, _ in self.named_values(node):
                if is_transaction_name(name):
                    for used in _descendants(value):
                        text = self.text(used)
                        if used.type in ("identifier", "shorthand_property_identifier") \
                                and text in made:
                            maker = made.pop(text)
                            hits.append(transaction_hit(self.span(maker),
                                                        self.maker_name(maker)))
        return hits

    def named_values(self, node: Node) -> Iterator[tuple[str, Node, bool]]:
        """Yield (name, value, keeps an id it has) for what a node binds."""
        if node.type == "pair":
            key, value = node.child_by_field_name("key"), node.child_by_field_name("value")
            if key is not None and value is not None:
                yield self.text(key).strip("'\"`"), value, False
        elif node.type == "shorthand_property_identifier":
            yield self.text(node), node, False
        elif node.type == "variable_declarator":
            name, value = node.child_by_field_name("name"), node.child_by_field_name("value")
            if name is not None and value is not None:
                yield self.text(name), value, False
        elif node.type in ("assignment_expression", "augmented_assignment_expression"):
            left, right = node.child_by_field_name("left"), node.child_by_field_name("right")
            if left is None or right is None:
                return
            operator = self.text(node.child_by_field_name("operator"))
            guarded = operator in ("??=", "||=") or self.keeps(node, self.text(left), right)
            yield _last_name(self.text(left)), right, guarded
        elif node.type == "call_expression":
            func = node.child_by_field_name("function")
            args = _arguments(node)
            if self.text(func).endswith((".set", ".append")) and len(args) == 2 \
                    and args[0].type == "string":
                yield self.text(args[0]).strip("'\"`"), args[1], False

    def keeps(self, node: Node, target: str, value: Node) -> bool:
        unwrapped = _unwrap(value)
        if unwrapped is not None and unwrapped.type == "binary_expression" and self.text(
                unwrapped.child_by_field_name("operator")) in ("??", "||"):
            if target in self.text(unwrapped.child_by_field_name("left")):
                return True
        current = node.parent
        while current is not None and current.type not in _FUNCTIONS:
            if current.type == "if_statement" and target in self.text(
                    current.child_by_field_name("condition")):
                return True
            current = current.parent
        return False

    def id_maker(self, value: Node) -> Node | None:
        for node in _descendants(value):
            if node.type == "call_expression":
                callee = self.text(node.child_by_field_name("function"))
                root = callee.split(".", 1)[0]
                if callee in _ID_CALLS or self.package(root) in _ID_PACKAGES or (
                        self.package(root) in ("crypto", "node:crypto")
                        and callee.endswith(("randomUUID", "randomBytes"))):
                    return node
            elif node.type == "new_expression" and self.text(
                    node.child_by_field_name("constructor")) == "Date":
                return node
        return None

    def maker_name(self, maker: Node) -> str:
        if maker.type == "new_expression":
            return "new Date()"
        return self.text(maker.child_by_field_name("function")) + "()"

    # -- PG504 -------------------------------------------------------------------------

    def duplicate_hits(self, scope: Node, recursive: set[tuple[int, int]]) -> list[Hit]:
        hits = []
        for node in _own_nodes(scope):
            if node.type != "if_statement":
                continue
            read = self.duplicate_read(node.child_by_field_name("condition"))
            if read is None:
                continue
            if read[1]:
                branch = node.child_by_field_name("consequence")
            else:
                branch = node.child_by_field_name("alternative")
            how = self.failure(branch, recursive) if branch is not None else ""
            if how:
                hits.append(duplicate_hit(self.span(read[0]), how))
        return hits

    def duplicate_read(self, test: Node | None) -> tuple[Node, bool] | None:
        if test is None:
            return None
        for node in _descendants(test):
            if not self.reads_duplicate(node):
                continue
            current, positive = node, True
            while current.parent is not None and current != test:
                parent = current.parent
                if parent.type == "unary_expression" and self.text(
                        parent.child_by_field_name("operator")) == "!":
                    positive = not positive
                elif parent.type == "binary_expression" and self.text(
                        parent.child_by_field_name("operator")) in ("===", "==", "!==", "!="):
                    positive = positive == self.compares_true(parent)
                elif parent.type not in _TRANSPARENT:
                    break
                current = parent
            if current.type == "parenthesized_expression" and current.named_children:
                current = current.named_children[0]
            return current, positive
        return None

    def reads_duplicate(self, node: Node) -> bool:
        if node.type == "member_expression":
            return self.text(node.child_by_field_name("property")) == "duplicate"
        if node.type == "subscript_expression":
            return self.text(node.child_by_field_name("index")).strip("'\"`") == "duplicate"
        if node.type == "identifier":
            return "duplicate" in split_words(self.text(node)) and (
                node.parent is None or node.parent.type != "member_expression")
        return False

    def compares_true(self, compare: Node) -> bool:
        operator = self.text(compare.child_by_field_name("operator"))
        right = self.text(compare.child_by_field_name("right"))
        value = right != "false" and right not in ("null", "undefined", "0")
        return (operator in ("===", "==")) == value

    def failure(self, branch: Node, recursive: set[tuple[int, int]]) -> str:
        for node in _descendants(branch):
            if node.type in _FUNCTIONS:
                continue
            if node.type == "throw_statement":
                return "raised"
            if node.type == "continue_statement" and self.in_retry_loop(node):
                return "retried"
            if node.type == "call_expression":
                if _key(node) in recursive:
                    return "retried"
                func = node.child_by_field_name("function")
                if func is not None and func.type == "member_expression" and self.text(
                        func.child_by_field_name("property")) in _ERROR_LOGS:
                    return "logged as an error"
        return ""

    def in_retry_loop(self, node: Node) -> bool:
        current = node.parent
        while current is not None and current.type not in _FUNCTIONS:
            if current.type in _LOOPS:
                return _key(current) in self.retry_loops or self.is_retry_loop(current)
            current = current.parent
        return False


class _Translator:
    """Turn a retried block into the statements ``Flow`` follows."""

    def __init__(self, module: _Module, loop: bool = False,
                 recursive: set[tuple[int, int]] | None = None,
                 counters: frozenset[str] = frozenset()) -> None:
        self.module = module
        self.loop = loop
        self.recursive = recursive or set()
        #: Parameters that count attempts: linear, never exponential on their own.
        self.counters = counters

    def block(self, node: Node | None, nested: bool = False) -> tuple[Stmt, ...]:
        if node is None:
            return ()
        statements = node.named_children if node.type in (
            "statement_block", "else_clause", "switch_body") else [node]
        out: list[Stmt] = []
        for statement in statements:
            out += self.statement(statement, nested)
        return tuple(out)

    def statement(self, node: Node, nested: bool) -> list[Stmt]:
        kind = node.type
        if kind == "if_statement":
            condition = node.child_by_field_name("condition")
            return [*self.effects(condition),
                    If(self.cond(condition), self.block(node.child_by_field_name("consequence"),
                                                        nested),
                       self.block(node.child_by_field_name("alternative"), nested))]
        if kind in _LOOPS:
            head = [e for c in node.children if c != node.child_by_field_name("body")
                    for e in self.effects(c)]
            return [*head, *self.block(node.child_by_field_name("body"), True)]
        if kind == "try_statement":
            return [self.try_(node, nested)]
        if kind in ("statement_block", "labeled_statement"):
            return list(self.block(node.child_by_field_name("body") or node, nested)) \
                if kind == "labeled_statement" else list(self.block(node, nested))
        if kind == "switch_statement":
            cases = node.child_by_field_name("body")
            return [If(Opaque(), self.block(c.child_by_field_name("body") or c, nested))
                    for c in (cases.named_children if cases else [])]
        return self.simple(node, nested)

    def try_(self, node: Node, nested: bool) -> Try:
        handler = node.child_by_field_name("handler")
        final = node.child_by_field_name("finalizer")
        handlers: tuple[Handler, ...] = ()
        if handler is not None:
            handlers = (Handler(None, self.module.span(handler.children[0]),
                                self.block(handler.child_by_field_name("body"), nested)),)
        return Try(self.block(node.child_by_field_name("body"), nested), handlers,
                   final=self.block(final.child_by_field_name("body"), nested)
                   if final is not None else ())

    def simple(self, node: Node, nested: bool) -> list[Stmt]:
        kind = node.type
        if kind == "return_statement":
            return [*self.effects(node), Exit(returns=True)]
        if kind == "throw_statement":
            thrown = node.named_children[0] if node.named_children else None
            name = ""
            if thrown is not None and thrown.type == "new_expression":
                name = self.module.text(thrown.child_by_field_name("constructor"))
            return [*self.effects(node), Throw(name.rsplit(".", 1)[-1],
                                               abort=name.endswith("AbortError"))]
        if kind == "break_statement":
            return [] if nested or not self.loop else [Exit()]
        if kind == "continue_statement":
            return [] if nested or not self.loop else [Retry(self.module.span(node))]
        if kind in _FUNCTIONS or kind == "class_declaration":
            return []
        return self.effects(node)

    def effects(self, node: Node | None) -> list[Stmt]:
        if node is None:
            return []
        out: list[Stmt] = []
        for call in _calls_inner_first(node, self.module.text):
            key = _key(call)
            if key in self.module.sinks:
                library = self.module.library(self.module.sinks[key])
                out.append(Sink(throws=library in _THROWING))
            elif key in self.recursive:
                out.append(Retry(self.module.span(call)))
            else:
                wait = self.sleep(call)
                if wait is not None:
                    out.append(wait)
        return out

    def sleep(self, call: Node) -> Wait | None:
        callee = self.module.text(call.child_by_field_name("function"))
        if callee.rsplit(".", 1)[-1] not in _SLEEPS:
            return None
        args = _arguments(call)
        if not args:
            return None
        first = _unwrap(args[0])
        if first is not None and (first.type in _FUNCTIONS or first.type == "identifier"
                                  and len(args) > 1):
            if len(args) < 2:
                return None
            return Wait(self.delay(args[1]))
        return Wait(self.delay(args[0]))

    # -- conditions ------------------------------------------------------------------

    def cond(self, node: Node | None) -> Cond:
        node = _unwrap(node)
        if node is None:
            return Opaque()
        kind = node.type
        text = self.module.text
        if kind == "true":
            return Status(frozenset(STATUSES), self.module.span(node))
        if kind == "unary_expression" and text(node.child_by_field_name("operator")) == "!":
            argument = _unwrap(node.child_by_field_name("argument"))
            if argument is not None and _is_response(argument, text):
                return Status(frozenset(), self.module.span(node))
            inner = self.cond(argument)
            if argument is not None and isinstance(inner, Status) \
                    and inner.span == self.module.span(argument):
                return Status(frozenset(STATUSES) - inner.codes, self.module.span(node))
            return Not(inner)
        if _is_response(node, text):
            return Status(frozenset(STATUSES), self.module.span(node))
        if kind == "member_expression" and text(node.child_by_field_name("property")) == "ok":
            return Status(statuses_where(lambda c: c < 400), self.module.span(node))
        if kind == "binary_expression":
            return self.binary(node)
        if kind == "call_expression":
            return self.call_cond(node)
        return Opaque()

    def binary(self, node: Node) -> Cond:
        operator = self.module.text(node.child_by_field_name("operator"))
        left, right = node.child_by_field_name("left"), node.child_by_field_name("right")
        if operator == "&&":
            return All((self.cond(left), self.cond(right)))
        if operator == "||":
            return Any_((self.cond(left), self.cond(right)))
        if operator not in _COMPARISONS or left is None or right is None:
            return Opaque()
        text = self.module.text
        if _is_response(_unwrap(left), text) and text(right) in ("undefined", "null"):
            none = Status(frozenset(), self.module.span(node))
            return none if operator in ("===", "==") else Not(none)
        if not self.is_status(left):
            if not self.is_status(right):
                return Opaque()
            left, right, operator = right, left, _FLIP.get(operator, operator)
        found = self.module.codes(right)
        if found is None:
            return Opaque()
        values, literal = found
        span = self.module.span(literal if len(values) > 1 else node)
        return Status(statuses_where(lambda c: _holds(operator, c, values)), span)

    def call_cond(self, node: Node) -> Cond:
        func = _unwrap(node.child_by_field_name("function"))
        args = _arguments(node)
        name = self.module.text(func).rsplit(".", 1)[-1]
        if name in _AXIOS_CONDITIONS:
            return Status(_AXIOS_CONDITIONS[name], self.module.span(node))
        if func is not None and func.type == "member_expression" and name in ("includes", "has") \
                and len(args) == 1 and self.is_status(args[0]):
            found = self.module.codes(func.child_by_field_name("object"))
            if found is not None:
                return Status(found[0], self.module.span(found[1]))
        return Opaque()

    def is_status(self, node: Node | None) -> bool:
        node = _unwrap(node)
        if node is not None and node.type == "binary_expression" and self.module.text(
                node.child_by_field_name("operator")) in ("??", "||"):
            node = _unwrap(node.child_by_field_name("left"))  # status ?? 0
        if node is None:
            return False
        if node.type == "member_expression":
            return self.module.text(node.child_by_field_name("property")) in _STATUS_PROPERTIES
        if node.type == "identifier":
            return self.module.text(node).lower().endswith(("status", "statuscode"))
        return False

    # -- delays ----------------------------------------------------------------------

    def delay(self, node: Node) -> Delay:
        return Delay(self.delay_kind(node, 0), self.module.span(node))

    def delay_kind(self, node: Node | None, depth: int) -> str:
        node = _unwrap(node)
        if node is None or depth > 6:
            return "unknown"
        kind = node.type
        text = self.module.text(node)
        if kind == "number":
            return "flat"
        if kind == "binary_expression":
            operator = self.module.text(node.child_by_field_name("operator"))
            if operator in ("**", "<<"):
                return "exp"
            return _combine(self.delay_kind(node.child_by_field_name("left"), depth + 1),
                            self.delay_kind(node.child_by_field_name("right"), depth + 1))
        if kind == "ternary_expression":
            return _combine(self.delay_kind(node.child_by_field_name("consequence"), depth + 1),
                            self.delay_kind(node.child_by_field_name("alternative"), depth + 1))
        if kind == "call_expression":
            return self.call_delay(node, depth)
        if kind in ("identifier", "shorthand_property_identifier"):
            return self.name_delay(node, text, depth)
        if "retryafter" in text.lower().replace("-", "").replace("_", ""):
            return "flat"
        if kind == "subscript_expression":
            found = self.module.codes(node.child_by_field_name("object"))
            return _growth(sorted(found[0])) if found else "unknown"
        return "unknown"

    def call_delay(self, node: Node, depth: int) -> str:
        callee = self.module.text(node.child_by_field_name("function"))
        last = callee.rsplit(".", 1)[-1].lower()
        if last == "pow" or "backoff" in last or "expo" in last:
            return "exp"
        if callee == "Math.random":
            return "flat"
        args = _arguments(node)
        if last == "get" and any("retry-after" in self.module.text(a).lower() for a in args):
            return "flat"
        if callee.startswith("Math.") or callee in ("Number", "parseInt", "parseFloat"):
            kinds = [self.delay_kind(a, depth + 1) for a in args]
            return _combine(*kinds) if kinds else "unknown"
        return "unknown"

    def name_delay(self, node: Node, name: str, depth: int) -> str:
        if name == "computedValue":
            return "exp"  # got's own exponential delay
        if name in self.counters or "retryafter" in name.lower().replace("_", ""):
            return "flat"
        scope = self.module.scope_of(node)
        if any(self.grows(name, s) for s in self.module.scope_chain(node)):
            return "exp"
        bound = self.module.binding(name, node)
        if bound is not None:
            return self.delay_kind(bound, depth + 1)
        for loop in _own_nodes(scope):
            if loop.type == "for_in_statement" and self.module.text(
                    loop.child_by_field_name("left")) == name:
                found = self.module.codes(loop.child_by_field_name("right"))
                return _growth([*found[0]]) if found else "unknown"
        return "unknown"

    def grows(self, name: str, scope: Node) -> bool:
        text = self.module.text
        for node in _own_nodes(scope):
            if node.type == "augmented_assignment_expression" and text(
                    node.child_by_field_name("left")) == name and text(
                    node.child_by_field_name("operator")) in ("*=", "<<=", "**="):
                return True
            if node.type == "assignment_expression" and text(
                    node.child_by_field_name("left")) == name:
                value = node.child_by_field_name("right")
                for part in _descendants(value):
                    if part.type == "binary_expression" and text(
                            part.child_by_field_name("operator")) in ("*", "**", "<<") \
                            and name in (text(part.child_by_field_name("left")),
                                         text(part.child_by_field_name("right"))):
                        return True
        return False


# -- tree helpers ---------------------------------------------------------------------


def _unwrap(node: Node | None) -> Node | None:
    while node is not None and node.type in _TRANSPARENT:
        children = [c for c in node.named_children if c.type != "comment"]
        node = children[0] if children else None
    return node


def _arguments(node: Node) -> tuple[Node, ...]:
    arguments = node.child_by_field_name("arguments")
    if arguments is None:
        return ()
    return tuple(c for c in arguments.named_children if c.type != "comment")


def _own_nodes(scope: Node) -> Iterator[Node]:
    """Yield the nodes of a scope, without entering nested functions."""
    stack = list(reversed(scope.named_children))
    while stack:
        node = stack.pop()
        yield node
        if node.type not in _FUNCTIONS and node.type != "class_declaration":
            stack.extend(reversed(node.named_children))


def _descendants(node: Node | None) -> Iterator[Node]:
    stack = [node] if node is not None else []
    while stack:
        current = stack.pop()
        yield current
        stack.extend(reversed(current.named_children))


def _calls_inner_first(node: Node, text: Callable[[Node | None], str]) -> Iterator[Node]:
    """Yield the calls of an expression, arguments first; into ``new Promise`` only."""
    stack: list[tuple[Node, bool]] = [(node, False)]
    while stack:
        current, done = stack.pop()
        if done:
            if current.type == "call_expression":
                yield current
            continue
        if current.type in _FUNCTIONS and not _is_promise_executor(current, text):
            continue
        stack.append((current, True))
        stack.extend((child, False) for child in reversed(current.named_children))


def _is_promise_executor(function: Node, text: Callable[[Node | None], str]) -> bool:
    """``new Promise((resolve) => setTimeout(resolve, ms))``: the wait is the call's."""
    parent = function.parent
    outer = parent.parent if parent is not None else None
    return outer is not None and outer.type == "new_expression" and any(
        c.type == "identifier" and text(c) == "Promise" for c in outer.children)


def _is_response(node: Node | None, text: Callable[[Node | None], str]) -> bool:
    return node is not None and node.type == "member_expression" and \
        text(node.child_by_field_name("property")) == "response"


def _holds(operator: str, code: int, values: frozenset[int]) -> bool:
    if operator in ("===", "=="):
        return code in values
    if operator in ("!==", "!="):
        return code not in values
    if len(values) != 1:
        return False
    value = next(iter(values))
    return {"<": code < value, "<=": code <= value, ">": code > value,
            ">=": code >= value}[operator]


def _number(text: str) -> float | None:
    try:
        return float(text.replace("_", ""))
    except ValueError:
        return None


def _combine(*kinds: str) -> str:
    if "exp" in kinds:
        return "exp"
    return "unknown" if "unknown" in kinds else "flat"


def _growth(values: Sequence[int]) -> str:
    if len(values) < 2:
        return "unknown"
    return "exp" if all(b >= 1.5 * a > 0 for a, b in zip(values, values[1:])) else "flat"


def _last_name(target: str) -> str:
    return re.split(r"[.\[\]'\"`]+", target.strip("]'\"` "))[-1] if target else ""
