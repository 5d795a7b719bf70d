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
from collections.abc import Iterator, Sequence

from perkamo_guard.fields import split_words
from perkamo_guard.model import SourceFile
from perkamo_guard.parse.python import node_offset
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
    RaiseStatus,
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
    catches,
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

_FUNCTIONS = (ast.FunctionDef, ast.AsyncFunctionDef)
_SCOPES = (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda, ast.ClassDef)
_Function = ast.FunctionDef | ast.AsyncFunctionDef
_Scope = ast.Module | ast.FunctionDef | ast.AsyncFunctionDef

_SLEEPS = frozenset({"time.sleep", "asyncio.sleep", "anyio.sleep", "trio.sleep",
                     "gevent.sleep", "sleep"})
_ID_MAKERS = frozenset({
    "uuid.uuid1", "uuid.uuid4", "uuid.uuid6", "uuid.uuid7", "secrets.token_hex",
    "secrets.token_urlsafe", "secrets.token_bytes", "time.time", "time.time_ns",
    "datetime.datetime.now", "datetime.datetime.utcnow", "random.random",
    "random.randint", "random.getrandbits", "os.urandom", "ulid.new", "ulid.ULID",
    "nanoid.generate", "shortuuid.uuid",
})
_RETRY_WORDS = re.compile(r"attempt|retr(?:y|ies)|tries|backoff|delay", re.IGNORECASE)
_CLIENT_MODULES = ("requests", "httpx", "aiohttp", "urllib", "urllib3")
_ERROR_LOGS = frozenset({"error", "exception", "critical", "fatal", "capture_exception",
                         "capture_message"})
_STATUS_ATTRIBUTES = frozenset({"status_code", "status", "status_int"})
_SUCCESS = {"ok": range(200, 400), "is_success": range(200, 300),
            "is_error": range(400, 600), "is_client_error": range(400, 500),
            "is_server_error": range(500, 600)}
_EXPONENTIAL_WAITS = frozenset({"wait_exponential", "wait_random_exponential",
                                "wait_exponential_jitter", "expo", "fibo"})
_FLAT_WAITS = frozenset({"wait_fixed", "wait_none", "wait_random", "wait_incrementing",
                         "wait_chain", "constant", "runtime"})
#: aiohttp-retry option classes and how their delay grows.
_AIOHTTP_RETRY = {"ExponentialRetry": "exp", "FibonacciRetry": "exp", "JitterRetry": "exp",
                  "RandomRetry": "flat", "ListRetry": "flat"}
_FLIP = {ast.Lt: ast.Gt, ast.Gt: ast.Lt, ast.LtE: ast.GtE, ast.GtE: ast.LtE}


def find_hits(file: SourceFile, tree: ast.Module, sinks: Sequence[SinkCall]) -> list[Hit]:
    """Return the PG501-PG504 hits of a Python module that calls Perkamo."""
    module = _Module(file, tree, sinks)
    hits: list[Hit] = []
    for scope in module.scopes_with_sinks():
        hits += module.scope_hits(scope)
    hits += module.config_hits()
    return hits


class _Module:
    """One module's tree with its Perkamo calls, names and imports."""

    def __init__(self, file: SourceFile, tree: ast.Module, sinks: Sequence[SinkCall]) -> None:
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
                    self.imports[alias.asname or alias.name] = f"{node.module}.{alias.name}"
        self.retry_loops: set[int] = set()

    # -- names and places -------------------------------------------------

    def span(self, node: ast.AST) -> Span:
        start = node_offset(self.file, getattr(node, "lineno", 1), getattr(node, "col_offset", 0))
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
        name = _dotted(node) or ""
        head, _, rest = name.partition(".")
        full = self.imports.get(head)
        if full is None:
            return name
        return f"{full}.{rest}" if rest else full

    def scope_of(self, node: ast.AST) -> _Scope:
        current = self.parents.get(id(node))
        while current is not None:
            if isinstance(current, _FUNCTIONS):
                return current
            current = self.parents.get(id(current))
        return self.tree

    def scopes_with_sinks(self) -> list[_Scope]:
        scopes: dict[int, _Scope] = {}
        for sink in self.sinks.values():
            scope = self.scope_of(sink.node)  # type: ignore[arg-type]
            scopes.setdefault(id(scope), scope)
        return list(scopes.values())

    def binding(self, name: str, at: ast.AST) -> ast.expr | None:
        """Return the value last bound to ``name`` in the scope of ``at``, or the module."""
        for scope in (self.scope_of(at), self.tree):
            value = None
            for node in _own_nodes(scope):
                if isinstance(node, ast.Assign) and any(
                        isinstance(t, ast.Name) and t.id == name for t in node.targets):
                    value = node.value
                elif (isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name)
                      and node.target.id == name and node.value is not None):
                    value = node.value
            if value is not None:
                return value
        return None

    # -- one scope ----------------------------------------------------------

    def scope_hits(self, scope: _Scope) -> list[Hit]:
        hits: list[Hit] = []
        if isinstance(scope, _FUNCTIONS):
            for decorator in scope.decorator_list:
                hits += self.decorated_hits(scope, decorator)
            if self.recursive_calls(scope):
                hits += self.recursion_hits(scope)
        for node in _own_nodes(scope):
            if isinstance(node, (ast.For, ast.AsyncFor, ast.While)) and self.holds_sink(node):
                hits += self.loop_hits(node)
        hits += self.duplicate_hits(scope)
        return hits

    def holds_sink(self, node: ast.AST) -> bool:
        return any(id(n) in self.sinks for n in _own_nodes(node))

    def recursive_calls(self, function: _Function) -> set[int]:
        found = set()
        for node in _own_nodes(function):
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
        if isinstance(loop, (ast.For, ast.AsyncFor)) and isinstance(loop.iter, ast.Call):
            name = self.canonical(loop.iter.func)
            if name.startswith("tenacity.") or name.endswith("Retrying"):
                return self.retrying_hits(loop, loop.iter)
        if not self.is_retry_loop(loop):
            return []
        self.retry_loops.add(id(loop))
        outcome = Flow().run(_Translator(self, loop=True).block(loop.body))
        head = self.span(loop.iter if isinstance(loop, (ast.For, ast.AsyncFor)) else loop.test)
        retried = loop_retries(outcome)
        hits = client_error_hits(retried, head, "this loop")
        hits += backoff_hits(retried, head)
        hits += self.transaction_hits(loop.body)
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
                                for n in _own_nodes(loop))

    # -- recursion ------------------------------------------------------------

    def recursion_hits(self, function: _Function) -> list[Hit]:
        translator = _Translator(self, recursive=self.recursive_calls(function))
        outcome = Flow().run(translator.block(function.body))
        retried = loop_retries(outcome)
        fallback = self.span(function)
        hits = client_error_hits(retried, fallback, f"{function.name}()")
        hits += backoff_hits(retried, fallback)
        hits += self.transaction_hits(function.body)
        return hits

    # -- tenacity and backoff ---------------------------------------------------

    def decorated_hits(self, function: _Function, decorator: ast.expr) -> list[Hit]:
        call = decorator if isinstance(decorator, ast.Call) else None
        name = self.canonical(call.func if call else decorator)
        if not (name.startswith("tenacity.") or name.startswith("backoff.on_")):
            return []
        outcome = Flow().run(_Translator(self).block(function.body))
        if not outcome.calls:
            return []
        if name.startswith("tenacity."):
            hits = self.tenacity_hits(outcome, call, decorator)
        else:
            hits = self.backoff_hits(outcome, call, name)
        return hits + self.transaction_hits(function.body)

    def retrying_hits(self, loop: ast.For | ast.AsyncFor, retrying: ast.Call) -> list[Hit]:
        """``for attempt in Retrying(…): with attempt: …``."""
        body: list[ast.stmt] = []
        for node in loop.body:
            if isinstance(node, (ast.With, ast.AsyncWith)):
                body += node.body
        outcome = Flow().run(_Translator(self).block(body))
        return self.tenacity_hits(outcome, retrying, retrying.func) + self.transaction_hits(body)

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
        if isinstance(predicate, ast.BinOp) and isinstance(predicate.op, (ast.BitOr, ast.BitAnd)):
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
            types = tuple(_exception_names(args)) or ("Exception",)
            return _thrown(outcome.thrown, types, span)
        if name == "retry_if_not_exception_type":
            kept = {c: p for c, p in outcome.thrown.items()
                    if not catches(tuple(_exception_names(args)), p.exc)}
            return _thrown(kept, None, span)
        if name == "retry_any":
            return [r for a in args for r in self.tenacity_retried(a, outcome, fallback)]
        if name in ("retry_if_exception", "retry_if_result") and args:
            state = outcome.thrown if name == "retry_if_exception" else outcome.returned
            return self.predicate_retried(args[0], state, span)
        return []

    def backoff_hits(self, outcome: Outcome, call: ast.Call | None, name: str) -> list[Hit]:
        if call is None or not call.args:
            return []
        options = {k.arg: k.value for k in call.keywords if k.arg}
        fallback = self.span(call.func)
        if name.endswith("on_exception"):
            types = tuple(_exception_names(call.args[1:2])) or ("Exception",)
            span = self.span(call.args[1]) if len(call.args) > 1 else fallback
            thrown = outcome.thrown
            if "giveup" in options:
                gives_up = self.predicate_retried(options["giveup"], thrown, span)
                stops = {r.code for r in gives_up}
                thrown = {c: p for c, p in thrown.items() if c not in stops}
            retried = _thrown(thrown, types, span)
        else:
            predicate = options.get("predicate") or (call.args[1] if len(call.args) > 1 else None)
            if predicate is None:
                return []
            retried = self.predicate_retried(predicate, outcome.returned,
                                             self.span(predicate))
        hits = client_error_hits(retried, fallback, "this backoff")
        if any(r.code == 429 for r in retried) and self.wait_kind(call.args[0]) == "flat":
            hits.append(flat_delay_hit(self.span(call.args[0])))
        return hits

    def predicate_retried(self, predicate: ast.expr, state: State, span: Span) -> list[Retried]:
        """Return the statuses of ``state`` for which a predicate function may be true."""
        body = self.predicate_body(predicate)
        if body is None:
            return []
        true, _ = truth(_Translator(self).cond(body))
        return [Retried(c, p.via or true[c] or span, p.delays)
                for c, p in state.items() if c in true]

    def predicate_body(self, predicate: ast.expr) -> ast.expr | None:
        if isinstance(predicate, ast.Lambda):
            return predicate.body
        if isinstance(predicate, ast.Name):
            for node in _own_nodes(self.tree):
                if isinstance(node, _FUNCTIONS) and node.name == predicate.id:
                    returns = [n.value for n in _own_nodes(node)
                               if isinstance(n, ast.Return) and n.value is not None]
                    return returns[0] if len(returns) == 1 else None
        return None

    def wait_kind(self, wait: ast.expr) -> str:
        if isinstance(wait, ast.BinOp) and isinstance(wait.op, ast.Add):
            return _combine(self.wait_kind(wait.left), self.wait_kind(wait.right))
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
            if (isinstance(current, ast.Call) and isinstance(current.func, ast.Attribute)
                    and current.func.attr == "mount" and current.args):
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

    def codes(self, node: ast.expr, depth: int = 0) -> tuple[frozenset[int], ast.expr] | None:
        """Read a status number or collection of them, with the literal that holds it."""
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

    # -- PG502 ----------------------------------------------------------------------

    def transaction_hits(self, body: Sequence[ast.stmt]) -> list[Hit]:
        """PG502: an id made in the retried block and used as the transaction id."""
        hits: list[Hit] = []
        made: dict[str, ast.Call] = {}
        for node in _block_nodes(body):
            for name, value in self.named_values(node):
                maker = self.id_maker(value)
                if maker is None:
                    continue
                if not is_transaction_name(name):
                    if isinstance(node, ast.Assign):
                        made[name] = maker
                    continue
                if not self.reuses(node, name, value):
                    hits.append(transaction_hit(self.span(maker), self.text(maker.func) + "()"))
        hits += self.indirect_ids(body, made)
        return hits

    def indirect_ids(self, body: Sequence[ast.stmt], made: dict[str, ast.Call]) -> list[Hit]:
        hits = []
        for node in _block_nodes(body):
            for name, value in self.named_values(node):
                if not is_transaction_name(name):
                    continue
                for used in ast.walk(value):
                    if isinstance(used, ast.Name) and used.id in made:
                        maker = made.pop(used.id)
                        hits.append(transaction_hit(self.span(maker),
                                                    self.text(maker.func) + "()"))
        return hits

    def named_values(self, node: ast.AST) -> Iterator[tuple[str, ast.expr]]:
        """Yield (name, value) for each value a node binds to a name or key."""
        if isinstance(node, (ast.Assign, ast.AnnAssign)) and node.value is not None:
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            for target in targets:
                name = _target_name(target)
                if name:
                    yield name, node.value
        elif isinstance(node, ast.Dict):
            for key, value in zip(node.keys, node.values):
                if isinstance(key, ast.Constant) and isinstance(key.value, str):
                    yield key.value, value
        elif isinstance(node, ast.Call) and not (
                isinstance(node.func, ast.Attribute) and node.func.attr == "setdefault"):
            for keyword in node.keywords:
                if keyword.arg:
                    yield keyword.arg, keyword.value

    def id_maker(self, value: ast.expr) -> ast.Call | None:
        for node in ast.walk(value):
            if isinstance(node, ast.Call) and self.canonical(node.func) in _ID_MAKERS:
                return node
        return None

    def reuses(self, node: ast.AST, name: str, value: ast.expr) -> bool:
        """Tell whether an assignment keeps an id it already has (``x = x or uuid4()``)."""
        if not isinstance(node, (ast.Assign, ast.AnnAssign)):
            return False
        if isinstance(value, ast.BoolOp) and isinstance(value.op, ast.Or):
            if any(name in ast.unparse(operand) for operand in value.values[:-1]):
                return True
        current = self.parents.get(id(node))
        while isinstance(current, ast.If):
            if name in ast.unparse(current.test):
                return True
            current = self.parents.get(id(current))
        return False

    # -- PG504 ------------------------------------------------------------------------

    def duplicate_hits(self, scope: _Scope) -> list[Hit]:
        hits = []
        recursive = self.recursive_calls(scope) if isinstance(scope, _FUNCTIONS) else set()
        for node in _own_nodes(scope):
            if isinstance(node, ast.If):
                read = self.duplicate_read(node.test)
                if read is None:
                    continue
                branch = node.body if read[1] else node.orelse
                how = self.failure(branch, recursive)
                if how:
                    hits.append(duplicate_hit(self.span(read[0]), how))
            elif isinstance(node, ast.Assert):
                read = self.duplicate_read(node.test)
                if read is not None and not read[1]:
                    hits.append(duplicate_hit(self.span(read[0]), "raised"))
        return hits

    def duplicate_read(self, test: ast.expr) -> tuple[ast.expr, bool] | None:
        """Find the read of ``duplicate`` in a condition: (its condition, polarity)."""
        parents: dict[int, ast.expr] = {}
        for node in ast.walk(test):
            for child in ast.iter_child_nodes(node):
                if isinstance(child, ast.expr) and isinstance(node, ast.expr):
                    parents[id(child)] = node
            if not _reads_duplicate(node):
                continue
            current, positive = node, True
            parent = parents.get(id(current))
            while parent is not None:
                if isinstance(parent, ast.UnaryOp) and isinstance(parent.op, ast.Not):
                    positive = not positive
                elif isinstance(parent, ast.Compare) and len(parent.ops) == 1:
                    positive = positive == _compares_true(parent)
                else:
                    break
                current, parent = parent, parents.get(id(parent))
            return current, positive  # type: ignore[return-value]
        return None

    def failure(self, branch: Sequence[ast.stmt], recursive: set[int]) -> str:
        for node in _block_nodes(branch):
            if isinstance(node, ast.Raise):
                return "raised"
            if isinstance(node, ast.Continue) and self.in_retry_loop(node):
                return "retried"
            if isinstance(node, ast.Call):
                if id(node) in recursive:
                    return "retried"
                if _logs_error(node):
                    return "logged as an error"
        return ""

    def in_retry_loop(self, node: ast.AST) -> bool:
        current = self.parents.get(id(node))
        while current is not None and not isinstance(current, _SCOPES):
            if isinstance(current, (ast.For, ast.AsyncFor, ast.While)):
                return id(current) in self.retry_loops or self.is_retry_loop(current)
            current = self.parents.get(id(current))
        return False


class _Translator:
    """Turn a retried block into the statements ``Flow`` follows."""

    def __init__(self, module: _Module, loop: bool = False,
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
                        self.block(node.orelse, nested), self.block(node.finalbody, nested))]
        if isinstance(node, (ast.With, ast.AsyncWith)):
            effects = [e for item in node.items for e in self.effects(item.context_expr)]
            return [*effects, *self.block(node.body, nested)]
        return self.simple(node, nested)

    def simple(self, node: ast.stmt, nested: bool) -> list[Stmt]:
        if isinstance(node, ast.Return):
            return [*self.effects(node.value), Exit(returns=True)]
        if isinstance(node, ast.Raise):
            return [*self.effects(node.exc), Throw(_exception_name(node.exc))]
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
            elif isinstance(call.func, ast.Attribute) and call.func.attr == "raise_for_status":
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
        if _is_response(node):
            return Status(frozenset(STATUSES), self.module.span(node))
        if isinstance(node, ast.Attribute) and node.attr in _SUCCESS:
            band = _SUCCESS[node.attr]
            return Status(statuses_where(lambda c: c in band), self.module.span(node))
        if isinstance(node, ast.Compare):
            parts = tuple(self.compare(left, op, right, node) for left, op, right in zip(
                [node.left, *node.comparators], node.ops, node.comparators))
            return parts[0] if len(parts) == 1 else All(parts)
        return Opaque()

    def compare(self, left: ast.expr, op: ast.cmpop, right: ast.expr,
                whole: ast.Compare) -> Cond:
        if _is_response(left) or _is_response(right):
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
            return _combine(self.delay_kind(node.left, depth + 1),
                            self.delay_kind(node.right, depth + 1))
        if isinstance(node, ast.UnaryOp):
            return self.delay_kind(node.operand, depth + 1)
        if isinstance(node, ast.IfExp):
            return _combine(self.delay_kind(node.body, depth + 1),
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
        if last == "get" and any("retry-after" in ast.unparse(a).lower() for a in node.args):
            return "flat"
        if last in ("min", "max", "float", "int", "round", "abs"):
            kinds = [self.delay_kind(a, depth + 1) for a in node.args]
            return _combine(*kinds) if kinds else "unknown"
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
        for loop in _own_nodes(scope):
            if (isinstance(loop, (ast.For, ast.AsyncFor)) and isinstance(loop.target, ast.Name)
                    and loop.target.id == node.id):
                return _sequence_growth(loop.iter)
        return "unknown"


# -- helpers -------------------------------------------------------------------------


def _own_nodes(scope: ast.AST) -> Iterator[ast.AST]:
    """Yield the nodes inside a scope or statement, without entering nested scopes."""
    stack = list(reversed(list(ast.iter_child_nodes(scope))))
    while stack:
        node = stack.pop()
        yield node
        if not isinstance(node, _SCOPES):
            stack.extend(reversed(list(ast.iter_child_nodes(node))))


def _block_nodes(body: Sequence[ast.stmt]) -> Iterator[ast.AST]:
    for statement in body:
        yield statement
        if not isinstance(statement, _SCOPES):
            yield from _own_nodes(statement)


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
        stack.extend((child, False) for child in reversed(list(ast.iter_child_nodes(current))))


def _dotted(node: ast.expr) -> str | None:
    parts: list[str] = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if isinstance(node, ast.Call):
        inner = _dotted(node.func)
        return ".".join([inner + "()", *reversed(parts)]) if inner else None
    if not isinstance(node, ast.Name):
        return None
    parts.append(node.id)
    return ".".join(reversed(parts))


def _exception_name(node: ast.expr | None) -> str:
    if isinstance(node, ast.Call):
        node = node.func
    name = _dotted(node) if node is not None else None
    return name.rsplit(".", 1)[-1] if name else ""


def _exception_names(nodes: Sequence[ast.expr]) -> Iterator[str]:
    for node in nodes:
        elements = node.elts if isinstance(node, ast.Tuple) else [node]
        for element in elements:
            name = _exception_name(element)
            if name:
                yield name


def _handler_types(handler: ast.ExceptHandler) -> tuple[str, ...] | None:
    if handler.type is None:
        return None
    return tuple(_exception_names([handler.type]))


def _raises_for_status(call: ast.Call) -> bool:
    return any(k.arg == "raise_for_status" and isinstance(k.value, ast.Constant)
               and k.value.value is True for k in call.keywords)


def _thrown(state: State, types: tuple[str, ...] | None, span: Span) -> list[Retried]:
    return [Retried(c, p.via or span, p.delays) for c, p in state.items()
            if c in ERRORS and catches(types, p.exc)]


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


def _is_response(node: ast.expr) -> bool:
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


def _combine(*kinds: str) -> str:
    if "exp" in kinds:
        return "exp"
    return "unknown" if "unknown" in kinds else "flat"


def _grows(name: str, scope: ast.AST) -> bool:
    """Tell whether a scope multiplies a name by itself: ``delay *= 2``."""
    for node in _own_nodes(scope):
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
    """A loop over literal delays: exponential when each is at least 1.5 times the last."""
    if not isinstance(node, (ast.Tuple, ast.List)):
        return "flat" if isinstance(node, ast.Call) and _dotted(node.func) == "range" \
            else "unknown"
    values = [e.value for e in node.elts if isinstance(e, ast.Constant)
              and isinstance(e.value, (int, float))]
    if len(values) != len(node.elts) or len(values) < 2:
        return "unknown"
    grows = all(b >= 1.5 * a > 0 for a, b in zip(values, values[1:]))
    return "exp" if grows else "flat"


def _target_name(target: ast.expr) -> str:
    if isinstance(target, ast.Name):
        return target.id
    if isinstance(target, ast.Attribute):
        return target.attr
    if isinstance(target, ast.Subscript):
        key = target.slice
        if isinstance(key, ast.Constant) and isinstance(key.value, str):
            return key.value
    return ""


def _reads_duplicate(node: ast.AST) -> bool:
    if isinstance(node, ast.Subscript):
        key = node.slice
        return isinstance(key, ast.Constant) and key.value == "duplicate"
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
        return (node.func.attr == "get" and bool(node.args)
                and isinstance(node.args[0], ast.Constant)
                and node.args[0].value == "duplicate")
    if isinstance(node, ast.Attribute):
        return node.attr == "duplicate"
    if isinstance(node, ast.Name):
        return "duplicate" in split_words(node.id)
    return False


def _compares_true(compare: ast.Compare) -> bool:
    """Tell whether ``x == True`` style: the read is true when the comparison is."""
    other = compare.comparators[0]
    value = other.value if isinstance(other, ast.Constant) else True
    positive = isinstance(compare.ops[0], (ast.Eq, ast.Is))
    return positive == bool(value)


def _logs_error(call: ast.Call) -> bool:
    func = call.func
    if not isinstance(func, ast.Attribute):
        return False
    if func.attr in _ERROR_LOGS:
        return True
    if func.attr == "log" and call.args:
        level = _dotted(call.args[0]) or ""
        return level.endswith(("ERROR", "CRITICAL", "FATAL"))
    return False
