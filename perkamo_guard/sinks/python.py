"""Sinks in Python: requests, httpx, aiohttp, urllib and configured calls, via ``ast``."""

from __future__ import annotations

import ast
from collections.abc import Iterator
from typing import NamedTuple

from perkamo_guard.config import Config, EventSink
from perkamo_guard.model import SourceFile
from perkamo_guard.parse.python import node_offset, parse_ast
from perkamo_guard.sinks import (
    PConst,
    PDict,
    PEntry,
    PList,
    PNode,
    POther,
    PStr,
    PTemplate,
    SinkCall,
    UrlPiece,
    configured_sink,
    read_url,
)
from perkamo_guard.sinks.payload import Key, append, delete, merge, merge_all, set_path

#: Methods of clients and sessions, and the module functions of the same name.
HTTP_METHODS = frozenset({"post", "put", "patch", "get", "delete", "head", "options"})
#: Calls whose first argument is the HTTP method: ``request("POST", url)``.
VERB_FIRST = frozenset({"request", "stream", "build_request"})
#: Modules whose bare functions (``from requests import post``) are clients.
CLIENT_MODULES = ("requests", "httpx", "aiohttp", "urllib.request", "urllib3")
PAYLOAD_KEYWORDS = ("json", "data", "content", "body")
#: Constructors and functions of urllib that take a URL and data.
_CONSTRUCTORS = frozenset({"Request", "urlopen"})
#: Calls that hand on their first argument as the payload.
_PASS_THROUGH = frozenset({
    "json.dumps", "orjson.dumps", "ujson.dumps", "simplejson.dumps", "rapidjson.dumps",
    "urlencode", "urllib.parse.urlencode", "str", "bytes", "copy.copy", "copy.deepcopy",
    "deepcopy", "dict", "list", "tuple",
})
_PASS_THROUGH_METHODS = frozenset({"encode", "copy"})
_ENV_DEFAULTS = frozenset({"os.environ.get", "os.getenv", "environ.get", "getenv"})
_URL_JOINS = frozenset({"urljoin", "urllib.parse.urljoin", "parse.urljoin"})
#: How many names, helpers and spreads deep we follow a value.
MAX_DEPTH = 8
#: Expressions followed per module at most; past it, values are unknown.
MAX_STEPS = 50_000
#: How deep literals may nest before we stop following them (recursion guard).
MAX_NESTING = 100

_SCOPES = (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda, ast.ClassDef)
_Scope = ast.Module | ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda | ast.ClassDef


def find_sinks(file: SourceFile, config: Config) -> list[SinkCall]:
    """Return the Perkamo calls and configured sinks of a Python file."""
    tree = parse_ast(file)
    reader = _Reader(file, tree)
    names = HTTP_METHODS | VERB_FIRST | _CONSTRUCTORS
    names |= {sink.call.rsplit(".", 1)[-1] for sink in config.event_sinks}
    sinks = []
    for node in reader.calls:
        # NOTE: most calls end in a name no client or sink has; they cost a lookup.
        if _last_name(node.func, reader.imports) in names and id(node) not in reader.decorators:
            sink = reader.sink(node, config.event_sinks)
            if sink is not None:
                sinks.append(sink)
    return sinks


def _last_name(func: ast.expr, imports: dict[str, str]) -> str:
    """Return the last part of a called name, through an import alias."""
    if isinstance(func, ast.Attribute):
        return func.attr
    if isinstance(func, ast.Name):
        return imports.get(func.id, func.id).rsplit(".", 1)[-1]
    return ""


#: A key of a subscript path as written: its text ("" when computed) and node.
_RawKey = tuple[str, ast.expr]


class _Event(NamedTuple):
    """Something a scope does to a name: bind it, or change what it holds."""

    kind: str
    node: ast.AST
    value: ast.expr | None = None
    path: tuple[_RawKey, ...] = ()
    keywords: tuple[ast.keyword, ...] = ()


def _mentions(node: ast.AST | None, name: str) -> bool:
    return node is not None and any(
        isinstance(n, ast.Name) and n.id == name for n in ast.walk(node))


class _Reader:
    """One module's tree, with what following names and payloads needs."""

    def __init__(self, file: SourceFile, tree: ast.Module) -> None:
        self.file = file
        self.tree = tree
        self.parents: dict[int, ast.AST] = {}
        self.imports: dict[str, str] = {}
        self.functions: dict[str, list[ast.FunctionDef | ast.AsyncFunctionDef]] = {}
        self.decorators: set[int] = set()
        self.calls: list[ast.Call] = []
        self._events: dict[int, dict[str, list[_Event]]] = {}
        self._attributes: dict[str, list[_Event]] | None = None
        self._active: set[int] = set()
        self._nesting = 0
        #: What a name holds at a point, once computed: re-assignment chains
        #: such as ``p = {**p, ...}`` would otherwise cost exponential time.
        self._names: dict[tuple[str, int], PNode] = {}
        self._steps = 0
        self._index(tree)

    def _index(self, tree: ast.Module) -> None:
        """Walk the tree once: parents, calls, imports, functions, decorators."""
        parents, calls = self.parents, self.calls
        stack: list[ast.AST] = [tree]
        while stack:
            node = stack.pop()
            for child in _children(node):
                parents[id(child)] = node
                stack.append(child)
            if isinstance(node, ast.Call):
                calls.append(node)
            elif isinstance(node, ast.Import):
                for alias in node.names:
                    self.imports[alias.asname or alias.name.split(".")[0]] = (
                        alias.name if alias.asname else alias.name.split(".")[0])
            elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
                for alias in node.names:
                    self.imports[alias.asname or alias.name] = f"{node.module}.{alias.name}"
            elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                self.decorators.update(id(d) for d in node.decorator_list)
                if not isinstance(node, ast.ClassDef):
                    self.functions.setdefault(node.name, []).append(node)

    # -- calls -----------------------------------------------------------------

    def sink(self, call: ast.Call, configured: tuple[EventSink, ...]) -> SinkCall | None:
        """Return the sink that ``call`` is, or None."""
        name = dotted(call.func) or ""
        canonical = self.canonical(name)
        sink = configured_sink(name, configured) or configured_sink(canonical, configured)
        if sink is not None:
            return self._configured(call, sink, name)
        last = canonical.rsplit(".", 1)[-1]
        if "." not in name and not canonical.startswith(CLIENT_MODULES):
            return None
        keywords = {k.arg: k.value for k in call.keywords if k.arg}
        args = [a for a in call.args if not isinstance(a, ast.Starred)]
        if last in VERB_FIRST or canonical == "requests.Request":
            method_node = keywords.get("method") or (args.pop(0) if args else None)
            method = _verb(method_node)
            url, payload = keywords.get("url") or (args[0] if args else None), None
        elif last in HTTP_METHODS:
            method = last.upper()
            url = keywords.get("url") or (args[0] if args else None)
            payload = args[1] if len(args) > 1 and last in ("post", "put", "patch") else None
        elif canonical in ("urllib.request.Request", "urllib.request.urlopen"):
            url = keywords.get("url") or (args[0] if args else None)
            payload = keywords.get("data") or (args[1] if len(args) > 1 else None)
            method = _verb(keywords.get("method")) or ("POST" if payload else "GET")
        else:
            return None
        if url is None:
            return None
        if _cannot_be_route(url) and not (isinstance(call.func, ast.Attribute)
                                          and self.client_base(call.func.value, call)):
            return None  # d.get("key"); but a client's base_url + "events" is a URL
        return self._http_sink(call, name, method, url, payload, keywords)

    def _http_sink(self, call: ast.Call, name: str, method: str | None, url: ast.expr,
                   payload: ast.expr | None, keywords: dict[str, ast.expr]) -> SinkCall | None:
        pieces = self.url_pieces(url, call, 0)
        base: tuple[UrlPiece, ...] = ()
        if isinstance(call.func, ast.Attribute) and not _is_absolute(pieces):
            base = self.client_base(call.func.value, call)
            if not base and not any(p.text and ("/" in p.text or p.text.startswith("v1"))
                                    for p in pieces):
                return None
        found = read_url(pieces, base)
        if found is None:
            return None
        for keyword in PAYLOAD_KEYWORDS:
            if keyword in keywords:
                payload = keywords[keyword]
                break
        start, end = self.span(call)
        return SinkCall(
            route=found.route, url_start=found.start, url_end=found.end, host=found.host,
            method=method, payload=None if payload is None else self.value(payload, call),
            call_start=start, call_end=end, node=call, callee=name, base=found.base,
            module=self.tree,
        )

    def _configured(self, call: ast.Call, sink: EventSink, name: str) -> SinkCall:
        args = [a for a in call.args if not isinstance(a, ast.Starred)]
        payload: PNode | None = None
        if sink.payload is not None:
            if len(args) >= sink.payload:
                payload = self.value(args[sink.payload - 1], call)
        else:
            values = [self.value(a, call) for a in [*args, *(k.value for k in call.keywords)]]
            dicts = [v for v in values if isinstance(v, (PDict, PList))]
            payload = dicts[0] if len(dicts) == 1 else (PList(tuple(dicts)) if dicts else None)
        start, end = self.span(call)
        return SinkCall(route="", url_start=start, url_end=start, host=False, method=None,
                        payload=payload, call_start=start, call_end=end, node=call,
                        callee=name, module=self.tree)

    def canonical(self, name: str) -> str:
        """Expand the first part of a dotted name through the module's imports."""
        head, _, rest = name.partition(".")
        full = self.imports.get(head)
        if full is None:
            return name
        return f"{full}.{rest}" if rest else full

    def client_base(self, receiver: ast.expr, at: ast.AST) -> tuple[UrlPiece, ...]:
        """Return the ``base_url`` of the client object a method is called on."""
        made = receiver
        if isinstance(receiver, (ast.Name, ast.Attribute)):
            bound = self.bound_value(receiver, at)
            if bound is None:
                return ()
            made, at = bound
        if not isinstance(made, ast.Call):
            return ()
        for keyword in made.keywords:
            if keyword.arg == "base_url":
                return tuple(self.url_pieces(keyword.value, at, 1))
        return ()

    # -- URLs -----------------------------------------------------------------

    def url_pieces(self, node: ast.expr, at: ast.AST, depth: int) -> list[UrlPiece]:
        """Read a URL expression into literal and run-time pieces."""
        if depth > MAX_DEPTH:
            return [self._dynamic(node)]
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            start, end = self.content_span(node)
            return [UrlPiece(node.value, start, end)]
        if isinstance(node, ast.JoinedStr):
            start, end = self.content_span(node)
            pieces: list[UrlPiece] = []
            for part in node.values:
                if isinstance(part, ast.Constant) and isinstance(part.value, str):
                    pieces.append(UrlPiece(part.value, start, end))
                elif isinstance(part, ast.FormattedValue):
                    pieces.extend(self.url_pieces(part.value, at, depth + 1))
            return pieces
        if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
            return [*self.url_pieces(node.left, at, depth + 1),
                    *self.url_pieces(node.right, at, depth + 1)]
        if isinstance(node, (ast.Name, ast.Attribute)):
            bound = self.bound_value(node, at)
            if bound is not None:
                return self.url_pieces(bound[0], bound[1], depth + 1)
        if isinstance(node, ast.BoolOp) and isinstance(node.op, ast.Or):
            return self.url_pieces(node.values[-1], at, depth + 1)
        if isinstance(node, ast.Call):
            return self._url_call(node, at, depth)
        return [self._dynamic(node)]

    def _url_call(self, node: ast.Call, at: ast.AST, depth: int) -> list[UrlPiece]:
        name = self.canonical(dotted(node.func) or "")
        if name in _ENV_DEFAULTS and len(node.args) > 1:
            return self.url_pieces(node.args[1], at, depth + 1)
        if name in _URL_JOINS and len(node.args) == 2:
            return [*self.url_pieces(node.args[0], at, depth + 1),
                    *self.url_pieces(node.args[1], at, depth + 1)]
        if name == "str" and len(node.args) == 1:
            return self.url_pieces(node.args[0], at, depth + 1)
        return [self._dynamic(node)]

    def _dynamic(self, node: ast.AST) -> UrlPiece:
        start, end = self.span(node)
        return UrlPiece(None, start, end, self.file.text[start:end])

    # -- names ----------------------------------------------------------------

    def bound_value(self, node: ast.expr, at: ast.AST) -> tuple[ast.expr, ast.AST] | None:
        """Return the expression last bound to a name (or ``self.attr``), and where."""
        events: list[_Event] | None = None
        if isinstance(node, ast.Name):
            events = self.events_for(node.id, at)
        elif isinstance(node, ast.Attribute) and _is_self(node.value):
            events = self.attribute_events().get(node.attr)
        for event in reversed(events or []):
            if event.kind == "assign":
                return (event.value, event.node) if event.value is not None else None
        return None

    def events_for(self, name: str, at: ast.AST) -> list[_Event] | None:
        """Return what the scopes around ``at`` do to ``name`` before it.

        The innermost scope that binds the name decides; only its events
        before ``at`` count, but a module binds its names for every function.
        """
        innermost = True
        for scope in self.scopes(at):
            events = self.scope_events(scope).get(name)
            if events:
                if innermost or isinstance(scope, (ast.FunctionDef, ast.AsyncFunctionDef)):
                    events = [e for e in events if _before(e.node, at)]
                if events:
                    return events
            innermost = False
        return None

    def scopes(self, node: ast.AST) -> Iterator[_Scope]:
        """Yield the function scopes around ``node``, innermost first, then the module."""
        current = self.parents.get(id(node))
        while current is not None:
            if isinstance(current, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)):
                yield current
            current = self.parents.get(id(current))
        yield self.tree

    def ancestors(self, node: ast.AST) -> set[int]:
        found = {id(node)}
        current = self.parents.get(id(node))
        while current is not None:
            found.add(id(current))
            current = self.parents.get(id(current))
        return found

    def scope_events(self, scope: _Scope) -> dict[str, list[_Event]]:
        """Return, by name, the bindings and changes a scope makes, in order.

        A scope is read when a name in it is first followed, so that a file
        with one Perkamo call pays for one function, not for all of them.
        """
        found = self._events.get(id(scope))
        if found is None:
            found = {}
            for node in _own_nodes(scope):
                if type(node) in _EVENT_TYPES:
                    for name, event in _events_of(node):
                        found.setdefault(name, []).append(event)
            for events in found.values():
                events.sort(key=lambda e: _position(e.node))
            self._events[id(scope)] = found
        return found

    def attribute_events(self) -> dict[str, list[_Event]]:
        """Return ``self.attr = …`` and class-body bindings, by attribute name."""
        if self._attributes is None:
            found: dict[str, list[_Event]] = {}
            for node in ast.walk(self.tree):
                if isinstance(node, ast.ClassDef):
                    for name, event in (e for s in node.body for e in _events_of(s)):
                        found.setdefault(name, []).append(event)
                elif isinstance(node, (ast.Assign, ast.AnnAssign)) and node.value is not None:
                    targets = node.targets if isinstance(node, ast.Assign) else [node.target]
                    for target in targets:
                        if isinstance(target, ast.Attribute) and _is_self(target.value):
                            found.setdefault(target.attr, []).append(
                                _Event("assign", node, node.value))
            self._attributes = found
        return self._attributes

    def dominates(self, statement: ast.AST, at: ast.AST) -> bool:
        """Tell whether ``statement`` runs on every path to ``at``: it sits in a
        statement list that also holds ``at`` or one of its ancestors."""
        while not isinstance(statement, ast.stmt):
            parent = self.parents.get(id(statement))
            if parent is None:
                return False
            statement = parent
        parent = self.parents.get(id(statement))
        if parent is None:
            return False
        ancestors = self.ancestors(at)
        for _, value in ast.iter_fields(parent):
            if isinstance(value, list) and any(item is statement for item in value):
                return any(id(item) in ancestors for item in value)
        return False

    # -- payloads ---------------------------------------------------------------

    def value(self, node: ast.expr, at: ast.AST, depth: int = 0) -> PNode:
        """Build the payload tree of an expression, following what we can."""
        self._steps += 1
        if depth > MAX_DEPTH or self._steps > MAX_STEPS:
            return self.other(node)
        if isinstance(node, (ast.Dict, ast.List, ast.Tuple, ast.Set)):
            return self._literal(node, at, depth)
        if isinstance(node, ast.Constant):
            return self._constant(node)
        if isinstance(node, (ast.JoinedStr, ast.BinOp)):
            return self._text_or_merge(node, at, depth)
        if isinstance(node, ast.Name):
            return self.name_value(node.id, node, at, depth)
        if isinstance(node, ast.Call):
            return self._call_value(node, at, depth)
        if isinstance(node, (ast.IfExp, ast.BoolOp)):
            options = [node.body, node.orelse] if isinstance(node, ast.IfExp) else node.values
            return merge_all([self.value(o, at, depth + 1) for o in options]) or self.other(node)
        if isinstance(node, ast.Await):
            return self.value(node.value, at, depth + 1)
        if isinstance(node, ast.Subscript) and (key := _string(node.slice)) is not None:
            return _entry_value(self.value(node.value, at, depth + 1), key) or self.other(node)
        if isinstance(node, ast.Attribute) and _is_self(node.value):
            bound = self.bound_value(node, at)
            if bound is not None:
                return self.value(bound[0], bound[1], depth + 1)
        return self.other(node)

    def name_value(self, name: str, node: ast.AST, at: ast.AST, depth: int) -> PNode:
        """Apply what the scope did to ``name`` before ``at``, in order."""
        known = self._names.get((name, id(at)))
        if known is not None:
            return known
        events = self.events_for(name, at)
        if not events:
            return self.other(node)
        current: PNode | None = None
        for event in events:
            if event.kind != "assign" and _mentions(event.value, name):
                # NOTE: ``p["k"] = p`` nests p in itself; following it
                # doubles the payload at every step.
                event = _Event(event.kind, event.node, None, event.path, event.keywords)
            current = self._apply(event, current, at, depth)
        result = current if current is not None else self.other(node)
        self._names[(name, id(at))] = result
        return result

    def _apply(self, event: _Event, current: PNode | None, at: ast.AST, depth: int) -> PNode | None:
        value = None if event.value is None else self.value(event.value, event.node, depth + 1)
        if event.kind == "assign":
            value = value if value is not None else self.other(event.node)
            if current is None or self.dominates(event.node, at):
                return value
            return merge(current, value, override=False)
        path = tuple(self._place(key) for key in event.path)
        if event.kind == "update":
            update = merge_all([value, self._keyword_dict(event.keywords, event.node, depth)])
            if update is None:
                return current
            return set_path(current, path, update, replace=False) if path else merge(current, update)
        if event.kind in ("set", "setdefault") and value is not None:
            return set_path(current, path, value, replace=event.kind == "set")
        if event.kind == "delete":
            return delete(current, path)
        if event.kind in ("append", "extend") and value is not None:
            return append(current, path, value, spread=event.kind == "extend")
        return current

    def _place(self, key: _RawKey) -> Key:
        text, node = key
        start, end = self.content_span(node) if text else self.span(node)
        return Key(text, start, end)

    def _literal(self, node: ast.Dict | ast.List | ast.Tuple | ast.Set, at: ast.AST,
                 depth: int) -> PNode:
        """Follow a dict or list literal; nesting does not count as depth."""
        if self._nesting >= MAX_NESTING:
            return self.other(node)
        self._nesting += 1
        try:
            if isinstance(node, ast.Dict):
                return self._dict(node, at, depth)
            return self._list(node.elts, at, depth)
        finally:
            self._nesting -= 1

    def _dict(self, node: ast.Dict, at: ast.AST, depth: int) -> PNode:
        parts: list[PNode | None] = []
        entries: list[PEntry] = []
        for key, item in zip(node.keys, node.values):
            value = self.value(item, at, depth)
            if key is None:
                parts.append(PDict(tuple(entries)))
                parts.append(value)
                entries = []
            else:
                entries.append(self._entry(key, value, at))
        parts.append(PDict(tuple(entries)))
        return merge_all(parts) or PDict()

    def _entry(self, key: ast.expr, value: PNode, at: ast.AST) -> PEntry:
        start, end = self.span(key)
        text = _string(key)
        if text is not None:
            start, end = self.content_span(key)
            return PEntry(text, start, end, value)
        if isinstance(key, ast.Name):
            bound = self.bound_value(key, at)
            if bound is not None and (text := _string(bound[0])) is not None:
                return PEntry(text, start, end, value)
        return PEntry("", start, end, value)

    def _list(self, items: list[ast.expr], at: ast.AST, depth: int) -> PList:
        values: list[PNode] = []
        for item in items:
            if isinstance(item, ast.Starred):
                spread = self.value(item.value, at, depth + 1)
                values.extend(spread.items if isinstance(spread, PList) else [spread])
            else:
                values.append(self.value(item, at, depth))
        return PList(tuple(values))

    def _constant(self, node: ast.Constant) -> PNode:
        if isinstance(node.value, (str, bytes)):
            start, end = self.content_span(node)
            value = node.value
            return PStr(value if isinstance(value, str) else value.decode("latin-1"), start, end)
        if node.value is None or isinstance(node.value, (bool, int, float)):
            start, end = self.span(node)
            return PConst(node.value, start, end)
        return self.other(node)

    def _text_or_merge(self, node: ast.JoinedStr | ast.BinOp, at: ast.AST, depth: int) -> PNode:
        if isinstance(node, ast.BinOp) and isinstance(node.op, ast.BitOr):
            merged = merge_all([self.value(node.left, at, depth + 1),
                                self.value(node.right, at, depth + 1)])
            return merged or self.other(node)
        pieces = self._text_pieces(node)
        if pieces is None:
            if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
                return merge_all([self.value(node.left, at, depth + 1),
                                  self.value(node.right, at, depth + 1)]) or self.other(node)
            return self.other(node)
        start, end = self._text_span(node)
        if all(piece is not None for piece in pieces):
            return PStr("".join(p for p in pieces if p is not None), start, end)
        return PTemplate(tuple(pieces), start, end)

    def _text_pieces(self, node: ast.expr) -> list[str | None] | None:
        """Return the pieces of a string expression; None when it is not one."""
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            return [node.value]
        if isinstance(node, ast.JoinedStr):
            return [v.value if isinstance(v, ast.Constant) and isinstance(v.value, str)
                    else None for v in node.values]
        if isinstance(node, ast.BinOp) and isinstance(node.op, (ast.Add, ast.Mod)):
            left = self._text_pieces(node.left)
            if left is None:
                return None
            if isinstance(node.op, ast.Mod):
                return [*left, None]
            right = self._text_pieces(node.right)
            return [*left, *(right if right is not None else [None])]
        return None

    def _text_span(self, node: ast.expr) -> tuple[int, int]:
        """Return where a string or concatenation starts and ends, inside quotes."""
        first, last = node, node
        while isinstance(first, ast.BinOp):
            first = first.left
        while isinstance(last, ast.BinOp):
            last = last.right
        return self.content_span(first)[0], self.content_span(last)[1]

    def _call_value(self, node: ast.Call, at: ast.AST, depth: int) -> PNode:
        name = self.canonical(dotted(node.func) or "")
        args = [a for a in node.args if not isinstance(a, ast.Starred)]
        if name == "dict":
            parts: list[PNode | None] = [self.value(a, at, depth + 1) for a in args]
            parts.append(self._keyword_dict(tuple(node.keywords), at, depth))
            return merge_all(parts) or PDict()
        if name in _PASS_THROUGH and args:
            return self.value(args[0], at, depth + 1)
        if isinstance(node.func, ast.Attribute) and node.func.attr in _PASS_THROUGH_METHODS:
            return self.value(node.func.value, at, depth + 1)
        helper = self._helper(node.func)
        if helper:
            return self._returns(helper, node, depth)
        return self.other(node)

    def _keyword_dict(self, keywords: tuple[ast.keyword, ...], at: ast.AST,
                      depth: int) -> PDict | None:
        parts: list[PNode | None] = []
        for keyword in keywords:
            value = self.value(keyword.value, at, depth)
            if keyword.arg is None:
                parts.append(value)
            else:
                start = node_offset(self.file, keyword.lineno, keyword.col_offset)
                parts.append(PDict((PEntry(keyword.arg, start, start + len(keyword.arg),
                                           value),)))
        merged = merge_all(parts)
        return merged if isinstance(merged, PDict) else None

    def _helper(self, func: ast.expr) -> list[ast.FunctionDef | ast.AsyncFunctionDef]:
        if isinstance(func, ast.Name) and func.id not in self.imports:
            return self.functions.get(func.id, [])
        if isinstance(func, ast.Attribute) and _is_self(func.value):
            return self.functions.get(func.attr, [])
        return []

    def _returns(self, helpers: list[ast.FunctionDef | ast.AsyncFunctionDef], call: ast.Call,
                 depth: int) -> PNode:
        values: list[PNode | None] = []
        for helper in helpers:
            if id(helper) in self._active:
                continue
            self._active.add(id(helper))
            try:
                for node in _own_nodes(helper):
                    if isinstance(node, ast.Return) and node.value is not None:
                        values.append(self.value(node.value, node, depth + 1))
            finally:
                self._active.discard(id(helper))
        return merge_all(values) or self.other(call)

    # -- positions --------------------------------------------------------------

    def span(self, node: ast.AST) -> tuple[int, int]:
        lineno, col = getattr(node, "lineno", 1), getattr(node, "col_offset", 0)
        start = node_offset(self.file, lineno, col)
        end_line, end_col = getattr(node, "end_lineno", None), getattr(node, "end_col_offset", None)
        if end_line is None or end_col is None:
            return start, start
        return start, node_offset(self.file, end_line, end_col)

    def content_span(self, node: ast.AST) -> tuple[int, int]:
        """Return the span of a string literal's text, inside its prefix and quotes."""
        start, end = self.span(node)
        text = self.file.text
        index = start
        while index < end and text[index] in "rRbBuUfF":
            index += 1
        quote = 3 if text.startswith(('"""', "'''"), index) else 1
        if index >= end or text[index] not in "\"'":
            return start, end
        return index + quote, max(index + quote, end - quote)

    def other(self, node: ast.AST) -> POther:
        return POther(*self.span(node))


# -- events ------------------------------------------------------------------------


def _own_nodes(scope: ast.AST) -> Iterator[ast.AST]:
    """Yield the nodes of a scope's body, without entering nested scopes."""
    body = getattr(scope, "body", [])
    stack: list[ast.AST] = list(reversed(body)) if isinstance(body, list) else [body]
    while stack:
        node = stack.pop()
        yield node
        if not isinstance(node, _SCOPES):
            stack.extend(reversed(_children(node)))


#: The node types that bind or change a name (``_events_of`` reads them).
_EVENT_TYPES = frozenset({ast.Assign, ast.AnnAssign, ast.AugAssign, ast.NamedExpr, ast.With,
                          ast.AsyncWith, ast.For, ast.AsyncFor, ast.Delete, ast.Call})


def _children(node: ast.AST) -> list[ast.AST]:
    """Return a node's child nodes; a leaner ``ast.iter_child_nodes``."""
    children: list[ast.AST] = []
    for name in node._fields:
        value = getattr(node, name, None)
        if isinstance(value, ast.AST):
            children.append(value)
        elif type(value) is list:
            children.extend(item for item in value if isinstance(item, ast.AST))
    return children


def _events_of(node: ast.AST) -> Iterator[tuple[str, _Event]]:
    """Yield (name, event) for what one node does to names."""
    if isinstance(node, ast.Assign):
        for target in node.targets:
            yield from _target_events(target, node.value, node)
    elif isinstance(node, ast.AnnAssign) and node.value is not None:
        yield from _target_events(node.target, node.value, node)
    elif isinstance(node, ast.AugAssign) and isinstance(node.target, ast.Name):
        kind = {ast.BitOr: "update", ast.Add: "extend"}.get(type(node.op))
        if kind:
            yield node.target.id, _Event(kind, node, node.value)
    elif isinstance(node, ast.NamedExpr):
        yield node.target.id, _Event("assign", node, node.value)
    elif isinstance(node, (ast.With, ast.AsyncWith)):
        for item in node.items:
            if isinstance(item.optional_vars, ast.Name):
                yield item.optional_vars.id, _Event("assign", node, item.context_expr)
    elif isinstance(node, (ast.For, ast.AsyncFor)):
        for name in ast.walk(node.target):
            if isinstance(name, ast.Name):
                yield name.id, _Event("assign", node)
    elif isinstance(node, ast.Delete):
        for target in node.targets:
            root, path = _path(target)
            if root and path:
                yield root, _Event("delete", node, path=path)
    elif isinstance(node, ast.Call):
        yield from _method_events(node)


def _target_events(target: ast.expr, value: ast.expr, node: ast.AST) -> Iterator[tuple[str, _Event]]:
    if isinstance(target, ast.Name):
        yield target.id, _Event("assign", node, value)
    elif isinstance(target, (ast.Tuple, ast.List)):
        for element in target.elts:
            if isinstance(element, ast.Name):
                yield element.id, _Event("assign", node)
    elif isinstance(target, ast.Subscript):
        root, path = _path(target)
        if root and path:
            yield root, _Event("set", node, value, path)


def _method_events(call: ast.Call) -> Iterator[tuple[str, _Event]]:
    """``payload.update(…)``, ``payload["a"].setdefault(…)``, ``.pop``, ``.append``."""
    func = call.func
    if not isinstance(func, ast.Attribute):
        return
    root, path = _path(func.value) if not isinstance(func.value, ast.Name) else (func.value.id, ())
    if not root:
        return
    method, args = func.attr, call.args
    if method == "update":
        yield root, _Event("update", call, args[0] if args else None, path, tuple(call.keywords))
    elif method in ("setdefault", "pop") and args and (key := _key(args[0])):
        if method == "pop":
            yield root, _Event("delete", call, path=(*path, key))
        elif len(args) > 1:
            yield root, _Event("setdefault", call, args[1], (*path, key))
    elif method in ("append", "extend") and len(args) == 1:
        yield root, _Event(method, call, args[0], path)


def _path(node: ast.expr) -> tuple[str | None, tuple[_RawKey, ...]]:
    """Read ``payload["a"]["b"]`` as (``payload``, (a, b)); keys may be unknown."""
    keys: list[_RawKey] = []
    while isinstance(node, ast.Subscript):
        keys.append(_key(node.slice) or ("", node.slice))
        node = node.value
    if not isinstance(node, ast.Name):
        return None, ()
    return node.id, tuple(reversed(keys))


def _key(node: ast.expr) -> _RawKey | None:
    """A constant subscript key, with its node for the reader to place."""
    text = _string(node)
    return None if text is None else (text, node)


def _cannot_be_route(url: ast.expr) -> bool:
    """Tell cheaply that a URL argument is a literal that names no route."""
    text = _string(url)
    return text is not None and "/" not in text and not text.startswith("v1")


def _is_absolute(pieces: list[UrlPiece]) -> bool:
    return bool(pieces) and bool(pieces[0].text) and "//" in (pieces[0].text or "")[:12]


def _string(node: ast.AST) -> str | None:
    return node.value if isinstance(node, ast.Constant) and isinstance(node.value, str) else None


def _entry_value(node: PNode, key: str) -> PNode | None:
    if isinstance(node, PDict):
        for entry in reversed(node.entries):
            if entry.key == key:
                return entry.value
    return None


def _verb(node: ast.expr | None) -> str | None:
    text = _string(node) if node is not None else None
    return text.upper() if text else None


def _is_self(node: ast.expr) -> bool:
    return isinstance(node, ast.Name) and node.id in ("self", "cls")


def _before(node: ast.AST, at: ast.AST) -> bool:
    return _position(node) < _position(at)


def _position(node: ast.AST) -> tuple[int, int]:
    return getattr(node, "lineno", 0), getattr(node, "col_offset", 0)


def dotted(node: ast.expr) -> str | None:
    """Return ``a.b.c`` for a name or attribute chain (``a.b().c`` through calls)."""
    parts: list[str] = []
    suffix = ""
    while True:
        if isinstance(node, ast.Name):
            parts.append(node.id + suffix)
            return ".".join(reversed(parts))
        if isinstance(node, ast.Attribute):
            parts.append(node.attr + suffix)
            suffix, node = "", node.value
        elif isinstance(node, ast.Call):
            suffix, node = "()" + suffix, node.func
        else:
            return None
