"""Python retried blocks in the statement language of ``perkamo_guard.retry``.

``BlockReader`` turns the statements of a retry loop, a recursive function or
a retry-decorated function into the statements ``Flow`` follows: the
Perkamo calls, ``raise_for_status()``, branches on the status, raises,
``continue``/``break``/``return``, waits and ``try``/``except``.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator, Sequence
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
    RaiseStatus,
    Retry,
    Sink,
    Span,
    Status,
    Stmt,
    Throw,
    Try,
    Wait,
    statuses_where,
)

if TYPE_CHECKING:
    from perkamo_guard.retry.python import PyModule

_SCOPES = (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda, ast.ClassDef)
_SLEEPS = frozenset({"time.sleep", "asyncio.sleep", "anyio.sleep", "trio.sleep",
                     "gevent.sleep", "sleep"})
_STATUS_ATTRIBUTES = frozenset({"status_code", "status", "status_int"})
#: Response attributes that say the status class.
_SUCCESS = {"ok": range(200, 400), "is_success": range(200, 300),
            "is_error": range(400, 600), "is_client_error": range(400, 500),
            "is_server_error": range(500, 600)}
_FLIP = {ast.Lt: ast.Gt, ast.Gt: ast.Lt, ast.LtE: ast.GtE, ast.GtE: ast.LtE}


class BlockReader:
    """Turn a retried block into the statements ``Flow`` follows."""

    def __init__(self, module: PyModule, loop: bool = False,
                 recursive: set[int] | None = None) -> None:
        self.module = module
        self.loop = loop
        self.recursive = recursive or set()

    def block(self, body: Sequence[ast.stmt], nested: bool = False) -> tuple[Stmt, ...]:
        out: list[Stmt] = []
        for statement in body:
            out += self.statement(statement, nested)
        return tuple(out)

    def statement(self, node: ast.stmt, nested: bool) -> list[Stmt]:
        if isinstance(node, ast.If):
            return [*self.effects(node.test),
                    If(self.cond(node.test), self.block(node.body, nested),
                       self.block(node.orelse, nested))]
        if isinstance(node, (ast.For, ast.AsyncFor)):
            return [*self.effects(node.iter), *self.block(node.body, True),
                    *self.block(node.orelse, nested)]
        if isinstance(node, ast.While):
            return [*self.effects(node.test), *self.block(node.body, True),
                    *self.block(node.orelse, nested)]
        if isinstance(node, (ast.Try, ast.TryStar)):
            handlers = tuple(Handler(_handler_types(h), self.module.span(h.type or h),
                                     self.block(h.body, nested)) for h in node.handlers)
            return [Try(self.block(node.body, nested), handlers,
                        self.block(node.orelse, nested),
                        self.block(node.finalbody, nested))]
        if isinstance(node, (ast.With, ast.AsyncWith)):
            effects = [effect for item in node.items
                       for effect in self.effects(item.context_expr)]
            return [*effects, *self.block(node.body, nested)]
        return self.simple(node, nested)

    def simple(self, node: ast.stmt, nested: bool) -> list[Stmt]:
        if isinstance(node, ast.Return):
            return [*self.effects(node.value), Exit(returns=True)]
        if isinstance(node, ast.Raise):
            return [*self.effects(node.exc), Throw(exception_name(node.exc))]
        if isinstance(node, ast.Break):
            return [] if nested or not self.loop else [Exit()]
        if isinstance(node, ast.Continue):
            return [] if nested or not self.loop else [Retry(self.module.span(node))]
        if isinstance(node, ast.Assert):
            return [If(Not(self.cond(node.test)), (Throw("AssertionError"),))]
        if isinstance(node, _SCOPES):
            return []
        return self.effects(node)

    def effects(self, node: ast.AST | None) -> list[Stmt]:
        """The calls of an expression that matter, innermost first."""
        if node is None:
            return []
        out: list[Stmt] = []
        for call in _calls_inner_first(node):
            if id(call) in self.module.sinks:
                out.append(Sink(throws=_raises_for_status(call)))
            elif _is_method(call, "raise_for_status"):
                out.append(RaiseStatus())
            elif id(call) in self.recursive:
                out.append(Retry(self.module.span(call)))
            elif self.module.canonical(call.func) in _SLEEPS and call.args:
                out.append(Wait(self.delay(call.args[0])))
        return out

    # -- conditions --------------------------------------------------------------

    def cond(self, node: ast.expr) -> Cond:
        if isinstance(node, ast.BoolOp):
            parts = tuple(self.cond(v) for v in node.values)
            return All(parts) if isinstance(node.op, ast.And) else Any_(parts)
        if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.Not):
            return _negated(self.cond(node.operand), self.module.span(node.operand),
                            self.module.span(node))
        if is_response(node):
            return Status(frozenset(STATUSES), self.module.span(node))
        if isinstance(node, ast.Attribute) and node.attr in _SUCCESS:
            band = _SUCCESS[node.attr]
            return Status(statuses_where(lambda c: c in band), self.module.span(node))
        if isinstance(node, ast.Compare):
            pairs = zip([node.left, *node.comparators], node.ops, node.comparators)
            parts = tuple(self.compare(a, op, b, node) for a, op, b in pairs)
            return parts[0] if len(parts) == 1 else All(parts)
        return Opaque()

    def compare(self, left: ast.expr, op: ast.cmpop, right: ast.expr,
                whole: ast.Compare) -> Cond:
        if is_response(left) or is_response(right):
            if isinstance(op, (ast.Is, ast.IsNot, ast.Eq, ast.NotEq)):
                none = Status(frozenset(), self.module.span(whole))
                return none if isinstance(op, (ast.Is, ast.Eq)) else Not(none)
        if not _is_status(left):
            if not _is_status(right):
                return Opaque()
            left, right = right, left
            op = _FLIP.get(type(op), type(op))()
        scale = 100 if _is_status_class(left) else 1
        found = self.module.codes(right)
        if found is None:
            return Opaque()
        values, literal = found
        span = self.module.span(literal if len(values) > 1 else whole)
        return Status(statuses_where(lambda c: _holds(op, c // scale, values)), span)

    # -- delays --------------------------------------------------------------------

    def delay(self, node: ast.expr) -> Delay:
        return Delay(self.delay_kind(node, 0), self.module.span(node))

    def delay_kind(self, node: ast.expr, depth: int) -> str:
        if depth > 6:
            return "unknown"
        if isinstance(node, ast.Constant):
            return "flat" if isinstance(node.value, (int, float)) else "unknown"
        if isinstance(node, ast.BinOp):
            if isinstance(node.op, (ast.Pow, ast.LShift)):
                return "exp"
            return combine(self.delay_kind(node.left, depth + 1),
                            self.delay_kind(node.right, depth + 1))
        if isinstance(node, ast.UnaryOp):
            return self.delay_kind(node.operand, depth + 1)
        if isinstance(node, ast.IfExp):
            return combine(self.delay_kind(node.body, depth + 1),
                            self.delay_kind(node.orelse, depth + 1))
        if isinstance(node, ast.Call):
            return self.call_delay(node, depth)
        if isinstance(node, ast.Subscript):
            return "flat" if "retry" in ast.unparse(node.slice).lower() else "unknown"
        if isinstance(node, ast.Name):
            return self.name_delay(node, depth)
        return "unknown"

    def call_delay(self, node: ast.Call, depth: int) -> str:
        name = self.module.canonical(node.func).lower()
        last = name.rsplit(".", 1)[-1]
        if last == "pow" or "backoff" in last or "expo" in last:
            return "exp"
        if name.startswith("random.") or last in ("uniform", "randint", "random"):
            return "flat"
        retry_after = any("retry-after" in ast.unparse(a).lower() for a in node.args)
        if last == "get" and retry_after:
            return "flat"
        if last in ("min", "max", "float", "int", "round", "abs"):
            kinds = [self.delay_kind(a, depth + 1) for a in node.args]
            return combine(*kinds) if kinds else "unknown"
        return "unknown"

    def name_delay(self, node: ast.Name, depth: int) -> str:
        scope = self.module.scope_of(node)
        if _grows(node.id, scope):
            return "exp"
        if "retry_after" in node.id.lower():
            return "flat"
        bound = self.module.binding(node.id, node)
        if bound is not None:
            return self.delay_kind(bound, depth + 1)
        for loop in own_nodes(scope):
            if (isinstance(loop, (ast.For, ast.AsyncFor))
                    and isinstance(loop.target, ast.Name)
                    and loop.target.id == node.id):
                return _sequence_growth(loop.iter)
        return "unknown"




# -- helpers --------------------------------------------------------------------


def own_nodes(scope: ast.AST) -> Iterator[ast.AST]:
    """Yield the nodes inside a scope or statement, without entering nested scopes."""
    stack = list(reversed(list(ast.iter_child_nodes(scope))))
    while stack:
        node = stack.pop()
        yield node
        if not isinstance(node, _SCOPES):
            stack.extend(reversed(list(ast.iter_child_nodes(node))))


def block_nodes(body: Sequence[ast.stmt]) -> Iterator[ast.AST]:
    for statement in body:
        yield statement
        if not isinstance(statement, _SCOPES):
            yield from own_nodes(statement)


def _calls_inner_first(node: ast.AST) -> Iterator[ast.Call]:
    """Yield the calls of an expression in evaluation order (arguments first)."""
    stack: list[tuple[ast.AST, bool]] = [(node, False)]
    while stack:
        current, done = stack.pop()
        if done:
            if isinstance(current, ast.Call):
                yield current
            continue
        if isinstance(current, _SCOPES):
            continue
        stack.append((current, True))
        children = list(ast.iter_child_nodes(current))
        stack.extend((child, False) for child in reversed(children))


def dotted(node: ast.expr) -> str | None:
    parts: list[str] = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if isinstance(node, ast.Call):
        inner = dotted(node.func)
        return ".".join([inner + "()", *reversed(parts)]) if inner else None
    if not isinstance(node, ast.Name):
        return None
    parts.append(node.id)
    return ".".join(reversed(parts))


def exception_name(node: ast.expr | None) -> str:
    if isinstance(node, ast.Call):
        node = node.func
    name = dotted(node) if node is not None else None
    return name.rsplit(".", 1)[-1] if name else ""


def exception_names(nodes: Sequence[ast.expr]) -> Iterator[str]:
    for node in nodes:
        elements = node.elts if isinstance(node, ast.Tuple) else [node]
        for element in elements:
            name = exception_name(element)
            if name:
                yield name


def _handler_types(handler: ast.ExceptHandler) -> tuple[str, ...] | None:
    if handler.type is None:
        return None
    return tuple(exception_names([handler.type]))


def _is_method(call: ast.Call, name: str) -> bool:
    return isinstance(call.func, ast.Attribute) and call.func.attr == name


def _raises_for_status(call: ast.Call) -> bool:
    return any(k.arg == "raise_for_status" and isinstance(k.value, ast.Constant)
               and k.value.value is True for k in call.keywords)


def _negated(cond: Cond, operand: Span, whole: Span) -> Cond:
    """``not x``: a condition on the status keeps its place, now at the ``not``."""
    if isinstance(cond, Status) and cond.span == operand:
        return Status(frozenset(STATUSES) - cond.codes, whole)
    return Not(cond)


def _is_status(node: ast.expr) -> bool:
    if _is_status_class(node):
        return True
    if isinstance(node, ast.Attribute):
        return node.attr in _STATUS_ATTRIBUTES
    if isinstance(node, ast.Name):
        return node.id.lower().endswith(("status", "status_code"))
    return False


def _is_status_class(node: ast.expr) -> bool:
    """``status // 100``: the status class."""
    return (isinstance(node, ast.BinOp) and isinstance(node.op, ast.FloorDiv)
            and isinstance(node.right, ast.Constant) and node.right.value == 100
            and _is_status(node.left))


def is_response(node: ast.expr) -> bool:
    """``e.response``: absent for network errors, which have no status."""
    return isinstance(node, ast.Attribute) and node.attr == "response"


def _holds(op: ast.cmpop, code: int, values: frozenset[int]) -> bool:
    if isinstance(op, (ast.In, ast.Eq, ast.Is)):
        return code in values
    if isinstance(op, (ast.NotIn, ast.NotEq, ast.IsNot)):
        return code not in values
    if len(values) != 1:
        return False
    value = next(iter(values))
    checks = {ast.Lt: code < value, ast.LtE: code <= value,
              ast.Gt: code > value, ast.GtE: code >= value}
    return checks.get(type(op), False)


def combine(*kinds: str) -> str:
    if "exp" in kinds:
        return "exp"
    return "unknown" if "unknown" in kinds else "flat"


def _grows(name: str, scope: ast.AST) -> bool:
    """Tell whether a scope multiplies a name by itself: ``delay *= 2``."""
    for node in own_nodes(scope):
        if (isinstance(node, ast.AugAssign) and isinstance(node.target, ast.Name)
                and node.target.id == name
                and isinstance(node.op, (ast.Mult, ast.LShift, ast.Pow))):
            return True
        if isinstance(node, ast.Assign) and any(
                isinstance(t, ast.Name) and t.id == name for t in node.targets):
            for part in ast.walk(node.value):
                if (isinstance(part, ast.BinOp)
                        and isinstance(part.op, (ast.Mult, ast.LShift, ast.Pow))
                        and any(isinstance(o, ast.Name) and o.id == name
                                for o in (part.left, part.right))):
                    return True
    return False


def _sequence_growth(node: ast.expr) -> str:
    """A loop over literal delays: exponential when each is 1.5 times the last."""
    if not isinstance(node, (ast.Tuple, ast.List)):
        return "flat" if isinstance(node, ast.Call) and dotted(node.func) == "range" \
            else "unknown"
    values = [e.value for e in node.elts if isinstance(e, ast.Constant)
              and isinstance(e.value, (int, float))]
    if len(values) != len(node.elts) or len(values) < 2:
        return "unknown"
    grows = all(b >= 1.5 * a > 0 for a, b in zip(values, values[1:]))
    return "exp" if grows else "flat"
