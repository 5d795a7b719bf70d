"""Retry analysis in JavaScript and TypeScript, via tree-sitter.

Explicit loops and recursive functions around a Perkamo call, p-retry
around a function that makes one, axios-retry on the client that makes one,
and the retry options of ky, got and ofetch on the call or on the instance
that makes it (``javascript_libraries``).
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from typing import TYPE_CHECKING

from perkamo_guard.lazy import lazy_compile
from perkamo_guard.retry import (
    Cond,
    Flow,
    Hit,
    Span,
    Status,
    backoff_hits,
    client_error_hits,
    loop_retries,
)
from perkamo_guard.retry.javascript_block import (
    AXIOS_CONDITIONS,
    FUNCTIONS,
    LOOPS,
    BlockReader,
    Key,
    arguments,
    descendants,
    field,
    node_key,
    number,
    own_nodes,
    unwrap,
)
from perkamo_guard.retry.javascript_libraries import library_hits
from perkamo_guard.retry.javascript_replay import duplicate_hits, transaction_hits
from perkamo_guard.sinks import SinkCall

if TYPE_CHECKING:
    from tree_sitter import Node

    from perkamo_guard.parse.javascript import JsModule

_RETRY_WORDS = lazy_compile(r"attempt|retr(?:y|ies)|tries|backoff|delay", re.IGNORECASE)
_PACKAGES = {"$fetch": "ofetch", "ofetch": "ofetch", "axios": "axios", "ky": "ky",
             "got": "got", "superagent": "superagent", "pRetry": "p-retry",
             "axiosRetry": "axios-retry"}


def find_hits(module: JsModule, sinks: Sequence[SinkCall]) -> list[Hit]:
    """Return the PG501-PG504 hits of one script that calls Perkamo."""
    reader = ScriptReader(module, sinks)
    hits: list[Hit] = []
    for scope in reader.scopes_with_sinks():
        hits += reader.scope_hits(scope)
    hits += library_hits(reader)
    return hits


class ScriptReader:
    """One script with its Perkamo calls, imports and bindings."""

    def __init__(self, module: JsModule, sinks: Sequence[SinkCall]) -> None:
        self.module = module
        self.sinks = {node_key(s.node): s for s in sinks  # type: ignore[arg-type]
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
        for node in own_nodes(self.module.root):
            if node.type == "import_statement":
                source = field(node, "source")
                package = self.text(source).strip("'\"`")
                for child in descendants(node):
                    if child.type == "identifier":
                        found[self.text(child)] = package
            elif node.type == "variable_declarator":
                value = unwrap(field(node, "value"))
                name = field(node, "name")
                if value is not None and name is not None \
                        and value.type == "call_expression":
                    func = field(value, "function")
                    args = arguments(value)
                    required = self.text(func) == "require" and args
                    if required and args[0].type == "string":
                        package = self.text(args[0]).strip("'\"`")
                        for child in descendants(name):
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
            func = unwrap(field(bound, "function"))
            if func is None or func.type != "member_expression":
                return ""
            root = self.text(field(func, "object")).split(".", 1)[0]
        return ""

    def scope_of(self, node: Node) -> Node:
        current = node.parent
        while current is not None:
            if current.type in FUNCTIONS:
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
            scopes.setdefault(node_key(scope), scope)
        return list(scopes.values())

    def binding(self, name: str, at: Node) -> Node | None:
        """Return the value bound to ``name`` in the scopes around ``at``."""
        for scope in self.scope_chain(at):
            for node in own_nodes(scope):
                if node.type == "variable_declarator":
                    target = field(node, "name")
                    if target is not None and self.text(target) == name:
                        return unwrap(field(node, "value"))
        return None

    def function_named(self, name: str) -> Node | None:
        for node in own_nodes(self.module.root):
            if node.type == "function_declaration" and self.text(
                    field(node, "name")) == name:
                return node
        bound = self.binding(name, self.module.root)
        return bound if bound is not None and bound.type in FUNCTIONS else None

    def holds_sink(self, node: Node) -> bool:
        return any(node_key(n) in self.sinks for n in own_nodes(node))

    # -- one scope ------------------------------------------------------------

    def scope_hits(self, scope: Node) -> list[Hit]:
        hits: list[Hit] = []
        recursive = self.recursive_calls(scope)
        if recursive:
            hits += self.recursion_hits(scope, recursive)
        for node in own_nodes(scope):
            if node.type in LOOPS and self.holds_sink(node) \
                    and self.is_retry_loop(node):
                hits += self.loop_hits(node)
        hits += duplicate_hits(self, scope, recursive)
        return hits

    def function_name(self, function: Node) -> str:
        name = field(function, "name")
        if name is None and function.parent is not None \
                and function.parent.type == "variable_declarator":
            name = field(function.parent, "name")
        return self.text(name) if name is not None else ""

    def recursive_calls(self, scope: Node) -> set[tuple[int, int]]:
        name = self.function_name(scope) if scope.type in FUNCTIONS else ""
        if not name:
            return set()
        calls = set()
        for node in own_nodes(scope):
            if node.type == "call_expression":
                callee = self.text(field(node, "function"))
                if callee in (name, f"this.{name}"):
                    calls.add(node_key(node))
        return calls

    def is_retry_loop(self, loop: Node) -> bool:
        body = field(loop, "body")
        header = "".join(self.text(c) for c in loop.children if c != body)
        if _RETRY_WORDS.search(header):
            return True
        counting = loop.type != "for_in_statement"
        return counting and any(n.type in ("break_statement", "return_statement")
                                for n in own_nodes(loop))

    def loop_hits(self, loop: Node) -> list[Hit]:
        self.retry_loops.add(node_key(loop))
        body = field(loop, "body")
        outcome = Flow().run(BlockReader(self, loop=True).block(body))
        head = self.span(field(loop, "condition") or loop.children[0])
        retried = loop_retries(outcome)
        hits = client_error_hits(retried, head, "this loop")
        hits += backoff_hits(retried, head)
        return hits + transaction_hits(self, body)

    def recursion_hits(self, function: Node, recursive: set[Key]) -> list[Hit]:
        body = field(function, "body")
        outcome = Flow().run(BlockReader(self, recursive=recursive).block(body))
        retried = loop_retries(outcome)
        fallback = self.span(function)
        hits = client_error_hits(retried, fallback, f"{self.function_name(function)}()")
        hits += backoff_hits(retried, fallback)
        return hits + transaction_hits(self, body)

    # -- functions as settings --------------------------------------------------------

    def function_body(self, setting: Node) -> Node | None:
        """The returned expression of an arrow or function (one ``return``), or None."""
        node = unwrap(setting)
        if node is not None and node.type == "identifier":
            node = self.function_named(self.text(node))
        if node is None or node.type not in FUNCTIONS:
            return None
        body = field(node, "body")
        if body is None or body.type != "statement_block":
            return body
        returns = [n for n in own_nodes(body) if n.type == "return_statement"]
        if len(returns) != 1 or not returns[0].named_children:
            return None
        return returns[0].named_children[0]

    def function_cond(self, node: Node) -> Cond | None:
        unwrapped = unwrap(node)
        name = self.text(unwrapped).rsplit(".", 1)[-1] if unwrapped is not None else ""
        if name in AXIOS_CONDITIONS:
            return Status(AXIOS_CONDITIONS[name], self.span(node))
        body = self.function_body(node)
        return BlockReader(self).cond(body) if body is not None else None

    def function_delay(self, node: Node) -> str:
        unwrapped = unwrap(node)
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
        reader = BlockReader(self, counters=self.parameters(unwrapped))
        return reader.delay_kind(body, 0)

    def parameters(self, function: Node) -> frozenset[str]:
        params = field(function, "parameters") or field(function, "parameter")
        names = ("identifier", "shorthand_property_identifier_pattern")
        return frozenset(self.text(n) for n in descendants(params) if n.type in names)

    def props(self, node: Node | None, at: Node) -> dict[str, Node]:
        node = unwrap(node)
        if node is not None and node.type == "identifier":
            node = self.binding(self.text(node), at)
        if node is None or node.type != "object":
            return {}
        found: dict[str, Node] = {}
        for child in node.named_children:
            if child.type == "pair":
                key = field(child, "key")
                value = field(child, "value")
                if key is not None and value is not None:
                    found[self.text(key).strip("'\"`")] = value
            elif child.type == "method_definition":
                found[self.text(field(child, "name"))] = child
        return found

    def codes(self, node: Node | None,
              depth: int = 0) -> tuple[frozenset[int], Node] | None:
        node = unwrap(node)
        if node is None or depth > 4:
            return None
        if node.type == "number":
            value = number(self.text(node))
            return (frozenset({int(value)}), node) if value is not None else None
        if node.type == "array":
            values = [self.codes(child, depth + 1) for child in node.named_children]
            if values and all(v is not None and len(v[0]) == 1 for v in values):
                return frozenset(c for v in values if v for c in v[0]), node
            return None
        if node.type == "new_expression":
            args = arguments(node)
            return self.codes(args[0], depth + 1) if args else None
        if node.type == "identifier":
            bound = self.binding(self.text(node), node)
            return self.codes(bound, depth + 1)
        return None

    def in_retry_loop(self, node: Node) -> bool:
        current = node.parent
        while current is not None and current.type not in FUNCTIONS:
            if current.type in LOOPS:
                known = node_key(current) in self.retry_loops
                return known or self.is_retry_loop(current)
            current = current.parent
        return False
