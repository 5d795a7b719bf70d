"""JS/TS retried blocks in the statement language of ``perkamo_guard.retry``.

``BlockReader`` turns the statements of a retry loop, a recursive function or
a p-retry function into the statements ``Flow`` follows; the helpers below
walk tree-sitter nodes for every retry module.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from typing import TYPE_CHECKING

from perkamo_guard.retry import (
    STATUSES,
    All,
    Any_,
    Cond,
    Delay,
    Exit,
    Handler,
    If,
    Not,
    Opaque,
    Retry,
    Sink,
    Status,
    Stmt,
    Throw,
    Try,
    Wait,
    statuses_where,
)
# NOTE: scope walking is shared with the sink detection, which retries reuse.
from perkamo_guard.sinks.javascript import FUNCTIONS as FUNCTIONS
from perkamo_guard.sinks.javascript import own_nodes as own_nodes

if TYPE_CHECKING:
    from tree_sitter import Node

    from perkamo_guard.retry.javascript import ScriptReader

LOOPS = frozenset({"for_statement", "for_in_statement", "while_statement",
                   "do_statement"})
_TRANSPARENT = frozenset({"parenthesized_expression", "non_null_expression",
                          "as_expression", "satisfies_expression", "await_expression"})
#: Clients that reject on 4xx and 5xx by themselves, by package.
_THROWING = frozenset({"axios", "ky", "got", "ofetch", "superagent"})
_SLEEPS = frozenset({"sleep", "delay", "wait", "pause", "setTimeout", "timeout"})
_STATUS_PROPERTIES = frozenset({"status", "statusCode", "status_code"})
#: axios-retry's own conditions, by the statuses they retry.
AXIOS_CONDITIONS = {"isNetworkError": frozenset(),
                    "isRetryableError": frozenset({429, 500}),
                    "isNetworkOrIdempotentRequestError": frozenset({429, 500}),
                    "isIdempotentRequestError": frozenset({429, 500}),
                    "isSafeRequestError": frozenset({429, 500})}
_COMPARISONS = frozenset({"===", "==", "!==", "!=", "<", "<=", ">", ">="})
_FLIP = {"<": ">", ">": "<", "<=": ">=", ">=": "<="}


#: A node's identity across walks: its byte span.
Key = tuple[int, int]
#: How a module shows a node's source text.
Text = Callable[["Node | None"], str]


def field(node: Node, name: str) -> Node | None:
    """A node's child by field name: ``field(call, "function")``."""
    return node.child_by_field_name(name)


def node_key(node: Node) -> Key:
    """Return a node's identity across walks: its byte span."""
    return node.start_byte, node.end_byte


class BlockReader:
    """Turn a retried block into the statements ``Flow`` follows."""

    def __init__(self, module: ScriptReader, loop: bool = False,
                 recursive: set[tuple[int, int]] | None = None,
                 counters: frozenset[str] = frozenset()) -> None:
        self.module = module
        self.loop = loop
        self.recursive = recursive or set()
        #: Parameters that count attempts: linear, never exponential on their own.
        self.counters = counters
        self.text = module.text

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
            condition = field(node, "condition")
            return [*self.effects(condition),
                    If(self.cond(condition), self.block(field(node, "consequence"),
                                                        nested),
                       self.block(field(node, "alternative"), nested))]
        if kind in LOOPS:
            head = [e for c in node.children if c != field(node, "body")
                    for e in self.effects(c)]
            return [*head, *self.block(field(node, "body"), True)]
        if kind == "try_statement":
            return [self.try_(node, nested)]
        if kind in ("statement_block", "labeled_statement"):
            return list(self.block(field(node, "body") or node, nested)) \
                if kind == "labeled_statement" else list(self.block(node, nested))
        if kind == "switch_statement":
            cases = field(node, "body")
            return [If(Opaque(), self.block(field(c, "body") or c, nested))
                    for c in (cases.named_children if cases else [])]
        return self.simple(node, nested)

    def try_(self, node: Node, nested: bool) -> Try:
        handler = field(node, "handler")
        final = field(node, "finalizer")
        handlers: tuple[Handler, ...] = ()
        if handler is not None:
            handlers = (Handler(None, self.module.span(handler.children[0]),
                                self.block(field(handler, "body"), nested)),)
        return Try(self.block(field(node, "body"), nested), handlers,
                   final=self.block(field(final, "body"), nested)
                   if final is not None else ())

    def simple(self, node: Node, nested: bool) -> list[Stmt]:
        kind = node.type
        if kind == "return_statement":
            return [*self.effects(node), Exit(returns=True)]
        if kind == "throw_statement":
            thrown = node.named_children[0] if node.named_children else None
            name = ""
            if thrown is not None and thrown.type == "new_expression":
                name = self.text(field(thrown, "constructor"))
            return [*self.effects(node), Throw(name.rsplit(".", 1)[-1],
                                               abort=name.endswith("AbortError"))]
        if kind == "break_statement":
            return [] if nested or not self.loop else [Exit()]
        if kind == "continue_statement":
            return [] if nested or not self.loop else [Retry(self.module.span(node))]
        if kind in FUNCTIONS or kind == "class_declaration":
            return []
        return self.effects(node)

    def effects(self, node: Node | None) -> list[Stmt]:
        if node is None:
            return []
        out: list[Stmt] = []
        for call in _calls_inner_first(node, self.module.text):
            key = node_key(call)
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
        callee = self.text(field(call, "function"))
        if callee.rsplit(".", 1)[-1] not in _SLEEPS:
            return None
        args = arguments(call)
        if not args:
            return None
        first = unwrap(args[0])
        if first is not None and (first.type in FUNCTIONS or first.type == "identifier"
                                  and len(args) > 1):
            if len(args) < 2:
                return None
            return Wait(self.delay(args[1]))
        return Wait(self.delay(args[0]))

    # -- conditions ------------------------------------------------------------------

    def cond(self, node: Node | None) -> Cond:
        node = unwrap(node)
        if node is None:
            return Opaque()
        kind = node.type
        text = self.module.text
        if kind == "true":
            return Status(frozenset(STATUSES), self.module.span(node))
        if kind == "unary_expression" and text(field(node, "operator")) == "!":
            argument = unwrap(field(node, "argument"))
            if argument is not None and is_response(argument, text):
                return Status(frozenset(), self.module.span(node))
            inner = self.cond(argument)
            if argument is not None and isinstance(inner, Status) \
                    and inner.span == self.module.span(argument):
                return Status(frozenset(STATUSES) - inner.codes, self.module.span(node))
            return Not(inner)
        if is_response(node, text):
            return Status(frozenset(STATUSES), self.module.span(node))
        if kind == "member_expression" and text(field(node, "property")) == "ok":
            return Status(statuses_where(lambda c: c < 400), self.module.span(node))
        if kind == "binary_expression":
            return self.binary(node)
        if kind == "call_expression":
            return self.call_cond(node)
        return Opaque()

    def binary(self, node: Node) -> Cond:
        operator = self.text(field(node, "operator"))
        left, right = field(node, "left"), field(node, "right")
        if operator == "&&":
            return All((self.cond(left), self.cond(right)))
        if operator == "||":
            return Any_((self.cond(left), self.cond(right)))
        if operator not in _COMPARISONS or left is None or right is None:
            return Opaque()
        text = self.module.text
        if is_response(unwrap(left), text) and text(right) in ("undefined", "null"):
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
        func = unwrap(field(node, "function"))
        args = arguments(node)
        name = self.text(func).rsplit(".", 1)[-1]
        if name in AXIOS_CONDITIONS:
            return Status(AXIOS_CONDITIONS[name], self.module.span(node))
        membership = name in ("includes", "has") and len(args) == 1
        if func is not None and func.type == "member_expression" and membership \
                and self.is_status(args[0]):
            found = self.module.codes(field(func, "object"))
            if found is not None:
                return Status(found[0], self.module.span(found[1]))
        return Opaque()

    def is_status(self, node: Node | None) -> bool:
        node = unwrap(node)
        if node is not None and node.type == "binary_expression" and self.text(
                field(node, "operator")) in ("??", "||"):
            node = unwrap(field(node, "left"))  # status ?? 0
        if node is None:
            return False
        if node.type == "member_expression":
            return self.text(field(node, "property")) in _STATUS_PROPERTIES
        if node.type == "identifier":
            return self.text(node).lower().endswith(("status", "statuscode"))
        return False

    # -- delays ----------------------------------------------------------------------

    def delay(self, node: Node) -> Delay:
        return Delay(self.delay_kind(node, 0), self.module.span(node))

    def delay_kind(self, node: Node | None, depth: int) -> str:
        node = unwrap(node)
        if node is None or depth > 6:
            return "unknown"
        kind = node.type
        text = self.text(node)
        if kind == "number":
            return "flat"
        if kind == "binary_expression":
            operator = self.text(field(node, "operator"))
            if operator in ("**", "<<"):
                return "exp"
            return combine(self.delay_kind(field(node, "left"), depth + 1),
                            self.delay_kind(field(node, "right"), depth + 1))
        if kind == "ternary_expression":
            return combine(self.delay_kind(field(node, "consequence"), depth + 1),
                            self.delay_kind(field(node, "alternative"), depth + 1))
        if kind == "call_expression":
            return self.call_delay(node, depth)
        if kind in ("identifier", "shorthand_property_identifier"):
            return self.name_delay(node, text, depth)
        if "retryafter" in text.lower().replace("-", "").replace("_", ""):
            return "flat"
        if kind == "subscript_expression":
            found = self.module.codes(field(node, "object"))
            return growth(sorted(found[0])) if found else "unknown"
        return "unknown"

    def call_delay(self, node: Node, depth: int) -> str:
        callee = self.text(field(node, "function"))
        last = callee.rsplit(".", 1)[-1].lower()
        if last == "pow" or "backoff" in last or "expo" in last:
            return "exp"
        if callee == "Math.random":
            return "flat"
        args = arguments(node)
        if last == "get" and any("retry-after" in self.text(a).lower() for a in args):
            return "flat"
        if callee.startswith("Math.") or callee in ("Number", "parseInt", "parseFloat"):
            kinds = [self.delay_kind(a, depth + 1) for a in args]
            return combine(*kinds) if kinds else "unknown"
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
        for loop in own_nodes(scope):
            if loop.type == "for_in_statement" and self.text(
                    field(loop, "left")) == name:
                found = self.module.codes(field(loop, "right"))
                return growth([*found[0]]) if found else "unknown"
        return "unknown"

    def grows(self, name: str, scope: Node) -> bool:
        text = self.module.text
        for node in own_nodes(scope):
            if node.type == "augmented_assignment_expression" and text(
                    field(node, "left")) == name and text(
                    field(node, "operator")) in ("*=", "<<=", "**="):
                return True
            if node.type == "assignment_expression" and text(
                    field(node, "left")) == name:
                value = field(node, "right")
                for part in descendants(value):
                    if part.type == "binary_expression" and text(
                            field(part, "operator")) in ("*", "**", "<<") \
                            and name in (text(field(part, "left")),
                                         text(field(part, "right"))):
                        return True
        return False


# -- tree helpers ---------------------------------------------------------------------


def unwrap(node: Node | None) -> Node | None:
    while node is not None and node.type in _TRANSPARENT:
        children = [c for c in node.named_children if c.type != "comment"]
        node = children[0] if children else None
    return node


def arguments(node: Node) -> tuple[Node, ...]:
    arguments = field(node, "arguments")
    if arguments is None:
        return ()
    return tuple(c for c in arguments.named_children if c.type != "comment")


def descendants(node: Node | None) -> Iterator[Node]:
    stack = [node] if node is not None else []
    while stack:
        current = stack.pop()
        yield current
        stack.extend(reversed(current.named_children))


def _calls_inner_first(node: Node, text: Text) -> Iterator[Node]:
    """Yield the calls of an expression, arguments first; into ``new Promise`` only."""
    stack: list[tuple[Node, bool]] = [(node, False)]
    while stack:
        current, done = stack.pop()
        if done:
            if current.type == "call_expression":
                yield current
            continue
        if current.type in FUNCTIONS and not _is_promise_executor(current, text):
            continue
        stack.append((current, True))
        stack.extend((child, False) for child in reversed(current.named_children))


def _is_promise_executor(function: Node, text: Text) -> bool:
    """``new Promise((resolve) => setTimeout(resolve, ms))``: the wait is the call's."""
    parent = function.parent
    outer = parent.parent if parent is not None else None
    return outer is not None and outer.type == "new_expression" and any(
        c.type == "identifier" and text(c) == "Promise" for c in outer.children)


def is_response(node: Node | None, text: Text) -> bool:
    return node is not None and node.type == "member_expression" and \
        text(field(node, "property")) == "response"


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


def number(text: str) -> float | None:
    try:
        return float(text.replace("_", ""))
    except ValueError:
        return None


def combine(*kinds: str) -> str:
    if "exp" in kinds:
        return "exp"
    return "unknown" if "unknown" in kinds else "flat"


def growth(values: Sequence[int]) -> str:
    if len(values) < 2:
        return "unknown"
    grows = all(b >= 1.5 * a > 0 for a, b in zip(values, values[1:]))
    return "exp" if grows else "flat"
