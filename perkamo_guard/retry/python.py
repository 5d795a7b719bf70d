"""Retry analysis in Python, via ``ast``: loops, recursion, tenacity, backoff, urllib3.

A retried block is found from a Perkamo call (the shared sinks) outward:
the retry loop, recursive function or retry-decorated function around it.
Library settings that retry at the HTTP layer (urllib3 ``Retry``, requests
``HTTPAdapter``, aiohttp-retry) count when the module calls Perkamo through
a client object, unless they are mounted for another host.
"""

from __future__ import annotations

import ast
import http
import re
from collections.abc import Sequence

from perkamo_guard.lazy import lazy_compile
from perkamo_guard.model import SourceFile
from perkamo_guard.parse.python import node_offset
from perkamo_guard.retry import (
    ERRORS,
    Flow,
    Hit,
    Outcome,
    Retried,
    Span,
    State,
    backoff_hits,
    catches,
    client_error_hits,
    flat_delay_hit,
    loop_retries,
    status_list_hit,
    truth,
)
from perkamo_guard.retry.python_block import (
    BlockReader,
    combine,
    dotted,
    exception_names,
    own_nodes,
)
from perkamo_guard.retry.python_replay import duplicate_hits, transaction_hits
from perkamo_guard.sinks import SinkCall

_FUNCTIONS = (ast.FunctionDef, ast.AsyncFunctionDef)
_SCOPES = (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda, ast.ClassDef)
Function = ast.FunctionDef | ast.AsyncFunctionDef
_LOOPS = (ast.For, ast.AsyncFor, ast.While)
_COMBINERS = (ast.BitOr, ast.BitAnd)
Scope = ast.Module | ast.FunctionDef | ast.AsyncFunctionDef

_RETRY_WORDS = lazy_compile(r"attempt|retr(?:y|ies)|tries|backoff|delay", re.IGNORECASE)
_CLIENT_MODULES = ("requests", "httpx", "aiohttp", "urllib", "urllib3")
_EXPONENTIAL_WAITS = frozenset({"wait_exponential", "wait_random_exponential",
                                "wait_exponential_jitter", "expo", "fibo"})
_FLAT_WAITS = frozenset({"wait_fixed", "wait_none", "wait_random", "wait_incrementing",
                         "wait_chain", "constant", "runtime"})
#: aiohttp-retry option classes and how their delay grows.
_AIOHTTP_RETRY = {"ExponentialRetry": "exp", "FibonacciRetry": "exp",
                  "JitterRetry": "exp", "RandomRetry": "flat", "ListRetry": "flat"}


def find_hits(file: SourceFile, tree: ast.Module,
              sinks: Sequence[SinkCall]) -> list[Hit]:
    """Return the PG501-PG504 hits of a Python module that calls Perkamo."""
    module = PyModule(file, tree, sinks)
    hits: list[Hit] = []
    for scope in module.scopes_with_sinks():
        hits += module.scope_hits(scope)
    hits += module.config_hits()
    return hits


class PyModule:
    """One module's tree with its Perkamo calls, names and imports."""

    def __init__(self, file: SourceFile, tree: ast.Module,
                 sinks: Sequence[SinkCall]) -> None:
        self.file = file
        self.tree = tree
        self.sinks = {id(s.node): s for s in sinks if isinstance(s.node, ast.Call)}
        self.parents: dict[int, ast.AST] = {}
        self.imports: dict[str, str] = {}
        for node in ast.walk(tree):
            for child in ast.iter_child_nodes(node):
                self.parents[id(child)] = node
            if isinstance(node, ast.Import):
                for alias in node.names:
                    self.imports[alias.asname or alias.name.split(".")[0]] = (
                        alias.name if alias.asname else alias.name.split(".")[0])
            elif isinstance(node, ast.ImportFrom) and node.module:
                for alias in node.names:
                    local = alias.asname or alias.name
                    self.imports[local] = f"{node.module}.{alias.name}"
        self.retry_loops: set[int] = set()

    # -- names and places -------------------------------------------------

    def span(self, node: ast.AST) -> Span:
        line, column = getattr(node, "lineno", 1), getattr(node, "col_offset", 0)
        start = node_offset(self.file, line, column)
        end_line = getattr(node, "end_lineno", None)
        end_col = getattr(node, "end_col_offset", None)
        if end_line is None or end_col is None:
            return start, start
        return start, node_offset(self.file, end_line, end_col)

    def text(self, node: ast.AST) -> str:
        start, end = self.span(node)
        return self.file.text[start:end]

    def canonical(self, node: ast.expr) -> str:
        """Return a called name with its first part expanded through the imports."""
        name = dotted(node) or ""
        head, _, rest = name.partition(".")
        full = self.imports.get(head)
        if full is None:
            return name
        return f"{full}.{rest}" if rest else full

    def scope_of(self, node: ast.AST) -> Scope:
        current = self.parents.get(id(node))
        while current is not None:
            if isinstance(current, _FUNCTIONS):
                return current
            current = self.parents.get(id(current))
        return self.tree

    def scopes_with_sinks(self) -> list[Scope]:
        scopes: dict[int, Scope] = {}
        for sink in self.sinks.values():
            scope = self.scope_of(sink.node)  # type: ignore[arg-type]
            scopes.setdefault(id(scope), scope)
        return list(scopes.values())

    def binding(self, name: str, at: ast.AST) -> ast.expr | None:
        """Return the value last bound to ``name`` around ``at``, or in the module."""
        for scope in (self.scope_of(at), self.tree):
            value = None
            for node in own_nodes(scope):
                if isinstance(node, ast.Assign) and any(
                        isinstance(t, ast.Name) and t.id == name for t in node.targets):
                    value = node.value
                elif (isinstance(node, ast.AnnAssign) and node.value is not None
                      and isinstance(node.target, ast.Name) and node.target.id == name):
                    value = node.value
            if value is not None:
                return value
        return None

    # -- one scope ----------------------------------------------------------

    def scope_hits(self, scope: Scope) -> list[Hit]:
        hits: list[Hit] = []
        if isinstance(scope, _FUNCTIONS):
            for decorator in scope.decorator_list:
                hits += self.decorated_hits(scope, decorator)
            if self.recursive_calls(scope):
                hits += self.recursion_hits(scope)
        for node in own_nodes(scope):
            if isinstance(node, _LOOPS) and self.holds_sink(node):
                hits += self.loop_hits(node)
        hits += duplicate_hits(self, scope)
        return hits

    def holds_sink(self, node: ast.AST) -> bool:
        return any(id(n) in self.sinks for n in own_nodes(node))

    def recursive_calls(self, function: Function) -> set[int]:
        found = set()
        for node in own_nodes(function):
            if isinstance(node, ast.Call):
                func = node.func
                if (isinstance(func, ast.Name) and func.id == function.name) or (
                        isinstance(func, ast.Attribute) and func.attr == function.name
                        and isinstance(func.value, ast.Name)
                        and func.value.id in ("self", "cls")):
                    found.add(id(node))
        return found

    # -- loops --------------------------------------------------------------

    def loop_hits(self, loop: ast.For | ast.AsyncFor | ast.While) -> list[Hit]:
        if not isinstance(loop, ast.While) and isinstance(loop.iter, ast.Call):
            name = self.canonical(loop.iter.func)
            if name.startswith("tenacity.") or name.endswith("Retrying"):
                return self.retrying_hits(loop, loop.iter)
        if not self.is_retry_loop(loop):
            return []
        self.retry_loops.add(id(loop))
        outcome = Flow().run(BlockReader(self, loop=True).block(loop.body))
        head = self.span(loop.test if isinstance(loop, ast.While) else loop.iter)
        retried = loop_retries(outcome)
        hits = client_error_hits(retried, head, "this loop")
        hits += backoff_hits(retried, head)
        hits += transaction_hits(self, loop.body)
        return hits

    def is_retry_loop(self, loop: ast.For | ast.AsyncFor | ast.While) -> bool:
        if isinstance(loop, ast.While):
            header: ast.AST = loop.test
        else:
            header = ast.Tuple(elts=[loop.target, loop.iter])
        if _RETRY_WORDS.search(ast.unparse(header)):
            return True
        counting = isinstance(loop, ast.While) or (
            isinstance(loop.iter, ast.Call)
            and self.canonical(loop.iter.func) in ("range", "itertools.count"))
        return counting and any(isinstance(n, (ast.Break, ast.Return))
                                for n in own_nodes(loop))

    # -- recursion ------------------------------------------------------------

    def recursion_hits(self, function: Function) -> list[Hit]:
        translator = BlockReader(self, recursive=self.recursive_calls(function))
        outcome = Flow().run(translator.block(function.body))
        retried = loop_retries(outcome)
        fallback = self.span(function)
        hits = client_error_hits(retried, fallback, f"{function.name}()")
        hits += backoff_hits(retried, fallback)
        hits += transaction_hits(self, function.body)
        return hits

    # -- tenacity and backoff ---------------------------------------------------

    def decorated_hits(self, function: Function, decorator: ast.expr) -> list[Hit]:
        call = decorator if isinstance(decorator, ast.Call) else None
        name = self.canonical(call.func if call else decorator)
        if not (name.startswith("tenacity.") or name.startswith("backoff.on_")):
            return []
        outcome = Flow().run(BlockReader(self).block(function.body))
        if not outcome.calls:
            return []
        if name.startswith("tenacity."):
            hits = self.tenacity_hits(outcome, call, decorator)
        else:
            hits = self.backoff_hits(outcome, call, name)
        return hits + transaction_hits(self, function.body)

    def retrying_hits(self, loop: ast.For | ast.AsyncFor,
                      retrying: ast.Call) -> list[Hit]:
        """``for attempt in Retrying(…): with attempt: …``."""
        body: list[ast.stmt] = []
        for node in loop.body:
            if isinstance(node, (ast.With, ast.AsyncWith)):
                body += node.body
        outcome = Flow().run(BlockReader(self).block(body))
        hits = self.tenacity_hits(outcome, retrying, retrying.func)
        return hits + transaction_hits(self, body)

    def tenacity_hits(self, outcome: Outcome, call: ast.Call | None,
                      where: ast.expr) -> list[Hit]:
        options = {k.arg: k.value for k in call.keywords if k.arg} if call else {}
        fallback = self.span(where)
        predicate = options.get("retry")
        retried = self.tenacity_retried(predicate, outcome, fallback)
        hits = client_error_hits(retried, fallback, "this retry")
        if any(r.code == 429 for r in retried):
            wait = options.get("wait")
            kind = self.wait_kind(wait) if wait is not None else "flat"
            if kind == "flat":
                hits.append(flat_delay_hit(self.span(wait) if wait else fallback,
                                           none=wait is None))
        return hits

    def tenacity_retried(self, predicate: ast.expr | None, outcome: Outcome,
                         fallback: Span) -> list[Retried]:
        if predicate is None:
            return _thrown(outcome.thrown, None, fallback)
        span = self.span(predicate)
        if isinstance(predicate, ast.BinOp) and isinstance(predicate.op, _COMBINERS):
            left = self.tenacity_retried(predicate.left, outcome, fallback)
            right = self.tenacity_retried(predicate.right, outcome, fallback)
            if isinstance(predicate.op, ast.BitOr):
                return left + right
            codes = {r.code for r in right}
            return [r for r in left if r.code in codes]
        if not isinstance(predicate, ast.Call):
            return []
        name = self.canonical(predicate.func).rsplit(".", 1)[-1]
        args = predicate.args
        if name == "retry_if_exception_type":
            types = tuple(exception_names(args)) or ("Exception",)
            return _thrown(outcome.thrown, types, span)
        if name == "retry_if_not_exception_type":
            kept = {c: p for c, p in outcome.thrown.items()
                    if not catches(tuple(exception_names(args)), p.exc)}
            return _thrown(kept, None, span)
        if name == "retry_any":
            return [retried for arg in args
                    for retried in self.tenacity_retried(arg, outcome, fallback)]
        if name in ("retry_if_exception", "retry_if_result") and args:
            state = outcome.thrown if name == "retry_if_exception" else outcome.returned
            return self.predicate_retried(args[0], state, span)
        return []

    def backoff_hits(self, outcome: Outcome, call: ast.Call | None,
                     name: str) -> list[Hit]:
        if call is None or not call.args:
            return []
        options = {k.arg: k.value for k in call.keywords if k.arg}
        fallback = self.span(call.func)
        if name.endswith("on_exception"):
            types = tuple(exception_names(call.args[1:2])) or ("Exception",)
            span = self.span(call.args[1]) if len(call.args) > 1 else fallback
            thrown = outcome.thrown
            if "giveup" in options:
                gives_up = self.predicate_retried(options["giveup"], thrown, span)
                stops = {r.code for r in gives_up}
                thrown = {c: p for c, p in thrown.items() if c not in stops}
            retried = _thrown(thrown, types, span)
        else:
            predicate = options.get("predicate")
            if predicate is None and len(call.args) > 1:
                predicate = call.args[1]
            if predicate is None:
                return []
            retried = self.predicate_retried(predicate, outcome.returned,
                                             self.span(predicate))
        hits = client_error_hits(retried, fallback, "this backoff")
        rate_limited = any(r.code == 429 for r in retried)
        if rate_limited and self.wait_kind(call.args[0]) == "flat":
            hits.append(flat_delay_hit(self.span(call.args[0])))
        return hits

    def predicate_retried(self, predicate: ast.expr, state: State,
                          span: Span) -> list[Retried]:
        """Return the statuses of ``state`` for which a predicate may be true."""
        body = self.predicate_body(predicate)
        if body is None:
            return []
        true, _ = truth(BlockReader(self).cond(body))
        return [Retried(c, p.via or true[c] or span, p.delays)
                for c, p in state.items() if c in true]

    def predicate_body(self, predicate: ast.expr) -> ast.expr | None:
        if isinstance(predicate, ast.Lambda):
            return predicate.body
        if isinstance(predicate, ast.Name):
            for node in own_nodes(self.tree):
                if isinstance(node, _FUNCTIONS) and node.name == predicate.id:
                    returns = [n.value for n in own_nodes(node)
                               if isinstance(n, ast.Return) and n.value is not None]
                    return returns[0] if len(returns) == 1 else None
        return None

    def wait_kind(self, wait: ast.expr) -> str:
        if isinstance(wait, ast.BinOp) and isinstance(wait.op, ast.Add):
            return combine(self.wait_kind(wait.left), self.wait_kind(wait.right))
        target = wait.func if isinstance(wait, ast.Call) else wait
        name = self.canonical(target).rsplit(".", 1)[-1]
        if name in _EXPONENTIAL_WAITS:
            return "exp"
        return "flat" if name in _FLAT_WAITS else "unknown"

    # -- HTTP-layer retry settings ----------------------------------------------

    def config_hits(self) -> list[Hit]:
        if not self.calls_through_clients():
            return []
        hits: list[Hit] = []
        for node in ast.walk(self.tree):
            if not isinstance(node, ast.Call) or self.mounted_elsewhere(node):
                continue
            name = self.canonical(node.func).rsplit(".", 1)[-1]
            options = {k.arg: k.value for k in node.keywords if k.arg}
            if name == "Retry" and "status_forcelist" in options:
                hits += self.urllib3_hits(node, options)
            elif name in _AIOHTTP_RETRY and "statuses" in options:
                hits += self.status_option_hits(node, options["statuses"],
                                                _AIOHTTP_RETRY[name], "aiohttp-retry")
        return hits

    def calls_through_clients(self) -> bool:
        """Tell whether a Perkamo call goes through a client object (a session)."""
        for sink in self.sinks.values():
            func = sink.node.func  # type: ignore[attr-defined]
            if isinstance(func, ast.Attribute):
                root = self.canonical(func.value)
                if not root.startswith(_CLIENT_MODULES):
                    return True
        return False

    def mounted_elsewhere(self, node: ast.AST) -> bool:
        """Tell whether a retry setting sits in a ``mount`` for another host."""
        current = self.parents.get(id(node))
        while current is not None and not isinstance(current, ast.stmt):
            func = current.func if isinstance(current, ast.Call) else None
            if (isinstance(current, ast.Call) and isinstance(func, ast.Attribute)
                    and func.attr == "mount" and current.args):
                prefix = current.args[0]
                if isinstance(prefix, ast.Constant) and isinstance(prefix.value, str):
                    host = prefix.value.split("://", 1)[-1].split("/", 1)[0]
                    return bool(host) and "perkamo" not in host.lower()
            current = self.parents.get(id(current))
        return False

    def urllib3_hits(self, call: ast.Call, options: dict[str, ast.expr]) -> list[Hit]:
        hits = self.status_option_hits(call, options["status_forcelist"], None, "Retry")
        codes = self.codes(options["status_forcelist"])
        if codes is None or 429 not in codes[0]:
            return hits
        factor = options.get("backoff_factor")
        if factor is None or (isinstance(factor, ast.Constant) and not factor.value):
            hits.append(flat_delay_hit(self.span(factor if factor else call.func),
                                       none=True))
        return hits

    def status_option_hits(self, call: ast.Call, value: ast.expr, growth: str | None,
                           what: str) -> list[Hit]:
        codes = self.codes(value)
        if codes is None:
            return []
        hits = []
        hit = status_list_hit(codes[0], self.span(codes[1]), what)
        if hit is not None:
            hits.append(hit)
        if growth == "flat" and 429 in codes[0]:
            hits.append(flat_delay_hit(self.span(call.func)))
        return hits

    def codes(self, node: ast.expr,
              depth: int = 0) -> tuple[frozenset[int], ast.expr] | None:
        """Read a status or collection of statuses, with the literal that holds it."""
        if depth > 4:
            return None
        if isinstance(node, ast.Constant) and type(node.value) is int:
            return frozenset({node.value}), node
        if isinstance(node, (ast.Tuple, ast.List, ast.Set)):
            values = [self.codes(e, depth + 1) for e in node.elts]
            if values and all(v is not None and len(v[0]) == 1 for v in values):
                return frozenset(c for v in values if v for c in v[0]), node
            return None
        if isinstance(node, ast.Name):
            bound = self.binding(node.id, node)
            return self.codes(bound, depth + 1) if bound is not None else None
        if isinstance(node, ast.Attribute) and node.attr in http.HTTPStatus.__members__:
            return frozenset({http.HTTPStatus[node.attr].value}), node
        if isinstance(node, ast.Call) and node.args:
            name = self.canonical(node.func)
            if name == "range":
                bounds = [a.value for a in node.args if isinstance(a, ast.Constant)
                          and type(a.value) is int]
                if len(bounds) == len(node.args):
                    return frozenset(range(*bounds)), node
            if name in ("set", "frozenset", "tuple", "list"):
                return self.codes(node.args[0], depth + 1)
        return None

    def in_retry_loop(self, node: ast.AST) -> bool:
        current = self.parents.get(id(node))
        while current is not None and not isinstance(current, _SCOPES):
            if isinstance(current, (ast.For, ast.AsyncFor, ast.While)):
                return id(current) in self.retry_loops or self.is_retry_loop(current)
            current = self.parents.get(id(current))
        return False



def _thrown(state: State, types: tuple[str, ...] | None, span: Span) -> list[Retried]:
    return [Retried(c, p.via or span, p.delays) for c, p in state.items()
            if c in ERRORS and catches(types, p.exc)]
