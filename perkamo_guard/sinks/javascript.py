"""Sinks in JavaScript and TypeScript: fetch, axios, ky, got, ofetch, superagent."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, NamedTuple

from perkamo_guard.config import Config, EventSink
from perkamo_guard.lazy import lazy_compile
from perkamo_guard.model import SourceFile
from perkamo_guard.parse.scripts import script_modules
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

if TYPE_CHECKING:
    from tree_sitter import Node

    from perkamo_guard.parse.javascript import Call, JsModule

HTTP_METHODS = frozenset({"post", "put", "patch", "get", "delete", "del", "head", "options"})
#: Methods whose second argument is the request body (axios style).
BODY_METHODS = frozenset({"post", "put", "patch"})
#: Libraries by the package a name is imported from, or the global it is.
LIBRARIES = {
    "axios": "axios", "ky": "ky", "got": "got", "ofetch": "ofetch", "$fetch": "ofetch",
    "superagent": "superagent", "node-fetch": "fetch", "cross-fetch": "fetch",
    "isomorphic-fetch": "fetch", "undici": "fetch",
}
#: Factories that make a client instance, and the option that holds its base URL.
FACTORIES = {"create": ("baseURL", "prefixUrl"), "extend": ("prefixUrl", "baseURL")}
#: Options objects hold these keys; a second argument made only of them is
#: options, not a body (``api.post(url, {json})`` versus ``api.post(url, data)``).
OPTION_KEYS = frozenset({
    "headers", "method", "timeout", "signal", "credentials", "mode", "cache", "retry",
    "hooks", "searchParams", "params", "prefixUrl", "baseURL", "responseType",
    "throwHttpErrors", "json", "body", "query", "keepalive", "redirect",
})
#: Methods that change the object they are called on (or, for assign, the first argument).
_CHANGES = frozenset({"assign", "push", "unshift", "append", "set"})
#: The last names of calls that may be Perkamo calls (a bare name may be an instance).
_CANDIDATES = HTTP_METHODS | {"request", "fetch", "raw", "sendBeacon"}
#: Chained superagent calls between ``.post(url)`` and ``.send(body)``.
_CHAIN = frozenset({"set", "type", "accept", "query", "timeout", "retry", "ok", "use",
                    "auth", "withCredentials", "send", "field", "redirects"})
_TRANSPARENT = frozenset({"parenthesized_expression", "non_null_expression", "as_expression",
                          "satisfies_expression", "type_assertion"})
FUNCTIONS = frozenset({"function_declaration", "function_expression", "function",
                        "arrow_function", "method_definition", "generator_function",
                        "generator_function_declaration"})
_SCOPES = FUNCTIONS | {"program", "class_static_block"}
_CONTAINERS = frozenset({"statement_block", "program", "switch_case", "switch_default"})
_CONDITIONAL = frozenset({"if_statement", "else_clause", "for_statement", "for_in_statement",
                          "while_statement", "do_statement", "try_statement", "catch_clause",
                          "ternary_expression", "binary_expression", "switch_statement"})
_PASS_THROUGH = frozenset({"JSON.stringify", "structuredClone", "String", "qs.stringify",
                           "querystring.stringify", "new URLSearchParams", "new Blob"})
_ESCAPES = {"n": "\n", "t": "\t", "r": "\r", "b": "\b", "f": "\f", "v": "\v", "0": "\0"}
#: How many names, helpers and spreads deep we follow a value.
MAX_DEPTH = 8
#: Expressions followed per module at most; past it, values are unknown.
MAX_STEPS = 50_000
#: How deep literals may nest before we stop following them (recursion guard).
MAX_NESTING = 100


def find_sinks(file: SourceFile, config: Config) -> list[SinkCall]:
    """Return the Perkamo calls and configured sinks of every script of a file."""
    configured = {sink.call.rsplit(".", 1)[-1] for sink in config.event_sinks}
    sinks = []
    for module in script_modules(file):
        reader = _Reader(module)
        for call in module.calls():
            # NOTE: most calls end in a name no client or sink has; they cost a lookup.
            last = call.callee.rsplit(".", 1)[-1]
            if last in _CANDIDATES or last in configured or "." not in call.callee:
                sink = reader.sink(call, config.event_sinks)
                if sink is not None:
                    sinks.append(sink)
    return sinks


class _Event(NamedTuple):
    """Something a scope does to a name: bind it, or change what it holds."""

    kind: str
    node: Node
    value: Node | None = None
    path: tuple[Node, ...] = ()


class _Request(NamedTuple):
    """What a call says about its request, before the URL is read."""

    url: Node | None
    method: str | None
    payload: Node | None
    base: tuple[UrlPiece, ...] = ()
    #: The payload came from an options object that a name holds.
    at: Node | None = None


class _Reader:
    """One script module, with what following names and payloads needs."""

    def __init__(self, module: JsModule) -> None:
        self.module = module
        self._events: dict[int, dict[str, list[_Event]]] = {}
        self._functions: dict[str, list[Node]] | None = None
        self._imports: dict[str, str] | None = None
        self._instances: set[str] | None = None
        self._active: set[int] = set()
        self._nesting = 0
        #: What a name holds at a point, once computed: re-assignment chains
        #: such as ``p = { ...p, k }`` would otherwise cost exponential time.
        self._names: dict[tuple[str, int], PNode] = {}
        self._steps = 0

    # -- calls --------------------------------------------------------------

    def sink(self, call: Call, configured: tuple[EventSink, ...]) -> SinkCall | None:
        """Return the sink that ``call`` is, or None."""
        node = call.node
        if node.type != "call_expression" or _parent_type(node) == "decorator":
            return None
        sink = configured_sink(call.callee, configured)
        if sink is not None:
            return self._configured(call, sink)
        if any(_type(_unwrap(a)) in FUNCTIONS for a in call.arguments):
            return None  # a route handler, such as app.post("/v1/events", handler)
        request = self._request(node, call.arguments)
        if request is None or request.url is None:
            return None
        first = _unwrap(_arg(call.arguments, 0))
        if (first is not None and first.type == "string" and not request.base
                and not _may_be_path(self.text(first))):
            # A literal that names no route: map.get("key"). On a client
            # with a prefix it may be one: ky.create({prefixUrl}).post("events").
            return None
        found = read_url(self.url_pieces(request.url, node, 0), request.base)
        if found is None:
            return None
        payload_node, outer = request.payload, node
        if payload_node is None:
            payload_node, outer = self._chained_send(node)
        payload = None
        if payload_node is not None:
            payload = self.value(payload_node, request.at or node)
        start, end = self.module.span(outer)
        return SinkCall(
            route=found.route, url_start=found.start, url_end=found.end, host=found.host,
            method=request.method, payload=payload, call_start=start, call_end=end,
            node=outer, callee=call.callee, base=found.base, module=self.module,
        )

    def _configured(self, call: Call, sink: EventSink) -> SinkCall:
        args = call.arguments
        payload: PNode | None = None
        if sink.payload is not None:
            if len(args) >= sink.payload:
                payload = self.value(args[sink.payload - 1], call.node)
        else:
            values = [self.value(a, call.node) for a in args]
            dicts = [v for v in values if isinstance(v, (PDict, PList))]
            payload = dicts[0] if len(dicts) == 1 else (PList(tuple(dicts)) if dicts else None)
        return SinkCall(route="", url_start=call.start, url_end=call.start, host=False,
                        method=None, payload=payload, call_start=call.start,
                        call_end=call.end, node=call.node, callee=call.callee,
                        module=self.module)

    def _request(self, node: Node, args: tuple[Node, ...]) -> _Request | None:
        func = _unwrap(node.child_by_field_name("function"))
        if func is None:
            return None
        if func.type == "identifier":
            return self._direct(self.text(func), func, args, node)
        if func.type != "member_expression":
            return None
        receiver = _unwrap(func.child_by_field_name("object"))
        prop = func.child_by_field_name("property")
        if receiver is None or prop is None:
            return None
        method = self.text(prop)
        if method == "fetch" and self.text(receiver) in ("window", "globalThis", "self"):
            return self._fetch(args, node, "fetch")
        if method == "sendBeacon":
            return _Request(_arg(args, 0), "POST", _arg(args, 1))
        if method == "raw" and self.text(receiver) in ("$fetch", "ofetch"):
            return self._fetch(args, node, "ofetch")
        if method == "request":
            library, base = self.library(receiver, node)
            return self._config_request(_arg(args, 0), node, base) if library else None
        if method not in HTTP_METHODS:
            return None
        library, base = self.library(receiver, node)
        return self._method(library, method, args, node, base)

    def _direct(self, name: str, func: Node, args: tuple[Node, ...], at: Node) -> _Request | None:
        """``fetch(url, init)``, ``axios(config)``, ``ky(url, options)``, instances."""
        library, base = self.library(func, at)
        if library == "fetch" or library == "ofetch":
            return self._fetch(args, at, library, base)
        if library == "axios":
            first = _arg(args, 0)
            if first is not None and self._props(first, at) is not None:
                return self._config_request(first, at, base)
            request = self._config_request(_arg(args, 1), at, base)
            return _Request(first, request.method if request else "GET",
                            request.payload if request else None, base,
                            request.at if request else None)
        if library in ("ky", "got"):
            return self._options(_arg(args, 0), _arg(args, 1), at, None, base)
        return None

    def _fetch(self, args: tuple[Node, ...], at: Node, library: str,
               base: tuple[UrlPiece, ...] = ()) -> _Request:
        options = self._options(_arg(args, 0), _arg(args, 1), at, None, base, ("body",))
        if options.method is None and library == "fetch":
            return _Request(options.url, "GET", options.payload, base, options.at)
        return options

    def _method(self, library: str | None, method: str, args: tuple[Node, ...], at: Node,
                base: tuple[UrlPiece, ...]) -> _Request | None:
        verb = "DELETE" if method == "del" else method.upper()
        url, second = _arg(args, 0), _arg(args, 1)
        if library in ("ky", "got", "ofetch"):
            return self._options(url, second, at, verb, base)
        if library == "superagent":
            return _Request(url, verb, second if method in BODY_METHODS else None, base)
        if library == "axios" or method not in BODY_METHODS:
            if method in BODY_METHODS:
                return _Request(url, verb, second, base)
            config = self._config_request(second, at, base)
            return _Request(url, verb, config.payload if config else None, base,
                            config.at if config else None)
        # An unknown client: an options object (ky, got) or a body (axios, Angular).
        props = self._props(second, at) if second is not None else None
        if props and set(props) <= OPTION_KEYS:
            return self._options(url, second, at, verb, base)
        return _Request(url, verb, second, base)

    def _options(self, url: Node | None, options: Node | None, at: Node, verb: str | None,
                 base: tuple[UrlPiece, ...], keys: tuple[str, ...] = ("json", "body")) -> _Request:
        """Read ``(url, {method, json, body})``: ky, got, ofetch and fetch."""
        props = self._props(options, at) if options is not None else None
        if not props:
            return _Request(url, verb, None, base)
        method = self._string_prop(props, "method")
        payload = next((props[k] for k in keys if k in props), None)
        return _Request(url, (method.upper() if method else verb), payload, base, at)

    def _config_request(self, config: Node | None, at: Node,
                        base: tuple[UrlPiece, ...]) -> _Request | None:
        """Read an axios request config: ``{url, method, data, baseURL}``."""
        props = self._props(config, at) if config is not None else None
        if props is None:
            return None
        if "baseURL" in props:
            base = tuple(self.url_pieces(props["baseURL"], at, 1))
        method = self._string_prop(props, "method")
        return _Request(props.get("url"), method.upper() if method else "GET",
                        props.get("data"), base, at)

    def _chained_send(self, node: Node) -> tuple[Node | None, Node]:
        """Follow ``.set(…).send(body)`` after a superagent ``.post(url)``."""
        payload, current = None, node
        while True:
            member = current.parent
            if member is None or member.type != "member_expression":
                return payload, current
            outer = member.parent
            prop = member.child_by_field_name("property")
            if outer is None or outer.type != "call_expression" or prop is None:
                return payload, current
            name = self.text(prop)
            if name not in _CHAIN:
                return payload, current
            if name == "send" and payload is None:
                payload = _arg(_arguments(outer), 0)
            current = outer

    def library(self, receiver: Node, at: Node) -> tuple[str | None, tuple[UrlPiece, ...]]:
        """Name the HTTP library a receiver is, with an instance's base URL."""
        node = _unwrap(receiver)
        if node is None or node.type != "identifier":
            return None, ()
        name = self.text(node)
        imported = self.imports().get(name)
        if imported is not None:
            return LIBRARIES.get(imported), ()
        if name in LIBRARIES or name == "fetch":
            return LIBRARIES.get(name, "fetch"), ()
        if name not in self.instances():
            return None, ()
        bound = self.bound_value(name, at)
        made = _unwrap(bound[0]) if bound is not None else None
        if bound is None or made is None or made.type != "call_expression":
            return None, ()
        func = _unwrap(made.child_by_field_name("function"))
        if func is None or func.type != "member_expression":
            return None, ()
        factory = func.child_by_field_name("property")
        maker = func.child_by_field_name("object")
        if factory is None or maker is None or self.text(factory) not in FACTORIES:
            return None, ()
        library, _ = self.library(maker, bound[1])
        props = self._props(_arg(_arguments(made), 0), bound[1]) or {}
        for option in FACTORIES[self.text(factory)]:
            if option in props:
                return library, tuple(self.url_pieces(props[option], bound[1], 1))
        return library, ()

    def instances(self) -> set[str]:
        """Return the names bound to a factory call such as ``axios.create(…)``.

        Only these receivers are worth following to their binding.
        """
        if self._instances is None:
            self._instances = set()
            for call in self.module.calls():
                if call.callee.rsplit(".", 1)[-1] not in FACTORIES:
                    continue
                holder = call.node.parent
                while holder is not None and holder.type in ("await_expression", *_TRANSPARENT):
                    holder = holder.parent
                target = None
                if holder is not None and holder.type == "variable_declarator":
                    target = holder.child_by_field_name("name")
                elif holder is not None and holder.type == "assignment_expression":
                    target = holder.child_by_field_name("left")
                if target is not None and target.type == "identifier":
                    self._instances.add(self.text(target))
        return self._instances

    def imports(self) -> dict[str, str]:
        """Return local names bound by ``import`` or ``require`` to their package."""
        if self._imports is None:
            self._imports = {}
            for node in _children(self.module.root):
                self._index_import(node)
        return self._imports

    def _index_import(self, node: Node) -> None:
        assert self._imports is not None
        if node.type == "import_statement":
            source = node.child_by_field_name("source")
            package = self.cook(source)[0][0] if source is not None else None
            for child in _descendants(node):
                if child.type == "identifier" and package:
                    self._imports[self.text(child)] = package
        elif node.type in ("lexical_declaration", "variable_declaration"):
            for declarator in node.named_children:
                value = _unwrap(declarator.child_by_field_name("value"))
                name = declarator.child_by_field_name("name")
                if value is None or name is None or value.type != "call_expression":
                    continue
                func = value.child_by_field_name("function")
                source = _arg(_arguments(value), 0)
                if (func is not None and self.text(func) == "require" and source is not None
                        and source.type == "string" and name.type == "identifier"):
                    self._imports[self.text(name)] = self.cook(source)[0][0] or ""

    # -- URLs ---------------------------------------------------------------

    def url_pieces(self, node: Node | None, at: Node, depth: int) -> list[UrlPiece]:
        """Read a URL expression into literal and run-time pieces."""
        node = _unwrap(node)
        if node is None:
            return []
        if depth > MAX_DEPTH:
            return [self._dynamic(node)]
        kind = node.type
        if kind in ("string", "template_string"):
            return self._string_pieces(node, at, depth)
        if kind == "binary_expression":
            operator = self.text(node.child_by_field_name("operator"))
            left, right = node.child_by_field_name("left"), node.child_by_field_name("right")
            if operator == "+":
                return [*self.url_pieces(left, at, depth + 1),
                        *self.url_pieces(right, at, depth + 1)]
            if operator in ("??", "||"):
                return self.url_pieces(right, at, depth + 1)
        if kind in ("identifier", "shorthand_property_identifier"):
            bound = self.bound_value(self.text(node), at)
            if bound is not None:
                return self.url_pieces(bound[0], bound[1], depth + 1)
        if kind == "new_expression" and self.text(node.child_by_field_name("constructor")) == "URL":
            args = _arguments(node)
            if len(args) == 2:
                return [*self.url_pieces(args[1], at, depth + 1),
                        *self.url_pieces(args[0], at, depth + 1)]
        if kind == "call_expression":
            func = _unwrap(node.child_by_field_name("function"))
            args = _arguments(node)
            if func is not None and self.text(func) == "String" and args:
                return self.url_pieces(args[0], at, depth + 1)
        return [self._dynamic(node)]

    def _string_pieces(self, node: Node, at: Node, depth: int) -> list[UrlPiece]:
        start, end = self.content_span(node)
        pieces: list[UrlPiece] = []
        for text, child in self.cook_parts(node):
            if child is None:
                pieces.append(UrlPiece(text, start, end))
            else:
                pieces.extend(self.url_pieces(child, at, depth + 1))
        return pieces

    def _dynamic(self, node: Node) -> UrlPiece:
        start, end = self.module.span(node)
        return UrlPiece(None, start, end, self.text(node))

    # -- names ----------------------------------------------------------------

    def bound_value(self, name: str, at: Node) -> tuple[Node, Node] | None:
        """Return the expression last bound to ``name`` before ``at``, and where."""
        for event in reversed(self.events_for(name, at) or []):
            if event.kind == "assign":
                return (event.value, event.node) if event.value is not None else None
        return None

    def events_for(self, name: str, at: Node) -> list[_Event] | None:
        """Return what the scopes around ``at`` do to ``name`` before it."""
        innermost = True
        for scope in _scopes(at):
            events = self.scope_events(scope).get(name)
            if events:
                if innermost or scope.type != "program":
                    events = [e for e in events if e.node.start_byte < at.start_byte]
                if events:
                    return events
            innermost = False
        return None

    def scope_events(self, scope: Node) -> dict[str, list[_Event]]:
        cached = self._events.get(scope.id)
        if cached is None:
            cached = {}
            for node in own_nodes(scope):
                for name, event in self._events_of(node):
                    cached.setdefault(name, []).append(event)
            self._events[scope.id] = cached
        return cached

    def _events_of(self, node: Node) -> Iterator[tuple[str, _Event]]:
        kind = node.type
        if kind == "variable_declarator":
            name, value = node.child_by_field_name("name"), node.child_by_field_name("value")
            if name is not None and name.type == "identifier" and value is not None:
                yield self.text(name), _Event("assign", node, value)
        elif kind == "assignment_expression":
            left, right = node.child_by_field_name("left"), node.child_by_field_name("right")
            left = _unwrap(left)
            if left is not None and left.type == "identifier":
                yield self.text(left), _Event("assign", node, right)
            elif left is not None:
                root, path = self._path(left)
                if root and path:
                    yield root, _Event("set", node, right, path)
        elif kind == "unary_expression" and node.child(0) is not None and (
                self.text(node.child(0)) == "delete"):
            root, path = self._path(_unwrap(node.child_by_field_name("argument")))
            if root and path:
                yield root, _Event("delete", node, None, path)
        elif kind == "call_expression":
            yield from self._call_events(node)

    def _call_events(self, node: Node) -> Iterator[tuple[str, _Event]]:
        """``Object.assign(payload, …)``, ``payload.push(…)``, ``params.append(k, v)``."""
        func = _unwrap(node.child_by_field_name("function"))
        if func is None or func.type != "member_expression":
            return
        prop = self.text(func.child_by_field_name("property"))
        if prop not in _CHANGES:
            return
        args = _arguments(node)
        receiver = _unwrap(func.child_by_field_name("object"))
        if prop == "assign" and self.text(func) == "Object.assign" and args:
            root, path = self._path(_unwrap(args[0]))
            for source in args[1:]:
                if root:
                    yield root, _Event("update", node, source, path)
            return
        root, path = self._path(receiver)
        if not root:
            return
        if prop in ("push", "unshift"):
            for item in args:
                yield root, _Event("append", node, item, path)
        elif prop in ("append", "set") and len(args) == 2:
            yield root, _Event("set", node, args[1], (*path, args[0]))

    def _path(self, node: Node | None) -> tuple[str | None, tuple[Node, ...]]:
        """Read ``payload.a["b"]`` as (``payload``, (a, "b")); keys as nodes."""
        keys: list[Node] = []
        while node is not None and node.type in ("member_expression", "subscript_expression"):
            key = node.child_by_field_name(
                "property" if node.type == "member_expression" else "index")
            if key is None:
                return None, ()
            keys.append(key)
            node = _unwrap(node.child_by_field_name("object"))
        if node is None or node.type != "identifier":
            return None, ()
        return self.text(node), tuple(reversed(keys))

    def dominates(self, event: Node, at: Node) -> bool:
        """Tell whether ``event`` runs on every path to ``at``."""
        current = event
        while current.parent is not None and current.parent.type not in _CONTAINERS:
            current = current.parent
            if current.type in _CONDITIONAL and current.type != "binary_expression":
                return False
            if current.type == "binary_expression" and self.text(
                    current.child_by_field_name("operator")) in ("&&", "||", "??"):
                return False
        container = current.parent
        if container is None:
            return False
        ancestor: Node | None = at
        while ancestor is not None:
            if ancestor.id == container.id:
                return True
            ancestor = ancestor.parent
        return False

    # -- payloads --------------------------------------------------------------

    def value(self, node: Node | None, at: Node, depth: int = 0) -> PNode:
        """Build the payload tree of an expression, following what we can."""
        node = _unwrap(node)
        if node is None:
            return POther(0, 0)
        self._steps += 1
        if depth > MAX_DEPTH or self._steps > MAX_STEPS:
            return self.other(node)
        kind = node.type
        if kind == "await_expression":
            return self.value(node.named_child(0), at, depth + 1)
        if kind in ("object", "array"):
            return self._literal(node, at, depth)
        if kind in ("string", "template_string", "binary_expression"):
            return self._text_value(node, at, depth)
        if kind in ("number", "true", "false", "null", "undefined"):
            return self._constant(node)
        if kind in ("identifier", "shorthand_property_identifier"):
            return self.name_value(self.text(node), node, at, depth)
        if kind == "ternary_expression":
            options = [node.child_by_field_name("consequence"),
                       node.child_by_field_name("alternative")]
            return merge_all([self.value(o, at, depth + 1) for o in options]) or self.other(node)
        if kind in ("call_expression", "new_expression"):
            return self._call_value(node, at, depth)
        if kind in ("member_expression", "subscript_expression"):
            return self._member_value(node, at, depth)
        return self.other(node)

    def name_value(self, name: str, node: Node, at: Node, depth: int) -> PNode:
        """Apply what the scope did to ``name`` before ``at``, in order."""
        if name == "undefined":
            return self._constant(node)
        known = self._names.get((name, at.id))
        if known is not None:
            return known
        events = self.events_for(name, at)
        if not events:
            return self.other(node)
        current: PNode | None = None
        for event in events:
            if event.kind != "assign" and self._mentions(event.value, name):
                # NOTE: ``p.k = p`` nests p in itself; following it doubles
                # the payload at every step.
                event = _Event(event.kind, event.node, None, event.path)
            current = self._apply(event, current, at, depth)
        result = current if current is not None else self.other(node)
        self._names[(name, at.id)] = result
        return result

    def _mentions(self, node: Node | None, name: str) -> bool:
        from perkamo_guard.parse.javascript import walk

        return node is not None and any(
            n.type == "identifier" and self.text(n) == name for n in walk(node))

    def _apply(self, event: _Event, current: PNode | None, at: Node, depth: int) -> PNode | None:
        value = None if event.value is None else self.value(event.value, event.node, depth + 1)
        if event.kind == "assign":
            value = value if value is not None else self.other(event.node)
            if current is None or self.dominates(event.node, at):
                return value
            return merge(current, value, override=False)
        path = tuple(self._place(key, event.node) for key in event.path)
        if event.kind == "update" and value is not None:
            return set_path(current, path, value, replace=False) if path else merge(current, value)
        if event.kind == "set" and value is not None:
            return set_path(current, path, value)
        if event.kind == "delete":
            return delete(current, path)
        if event.kind == "append" and value is not None:
            return append(current, path, value, spread=False)
        return current

    def _place(self, key: Node, at: Node) -> Key:
        """Return a path key's text and span: ``.card``, ``["card"]``, ``[FIELD]``."""
        start, end = self.module.span(key)
        if key.type in ("property_identifier", "private_property_identifier"):
            return Key(self.text(key), start, end)
        if key.type in ("string", "template_string"):
            pieces = self.cook(key)[0]
            if None not in pieces:
                start, end = self.content_span(key)
                return Key("".join(p for p in pieces if p is not None), start, end)
        if key.type == "identifier":
            bound = self.bound_value(self.text(key), at)
            value = _unwrap(bound[0]) if bound is not None else None
            if value is not None and value.type == "string":
                return Key("".join(p or "" for p in self.cook(value)[0]), start, end)
        return Key("", start, end)

    def _literal(self, node: Node, at: Node, depth: int) -> PNode:
        """Follow an object or array literal; nesting does not count as depth."""
        if self._nesting >= MAX_NESTING:
            return self.other(node)
        self._nesting += 1
        try:
            if node.type == "object":
                return self._object(node, at, depth)
            return self._array(node, at, depth)
        finally:
            self._nesting -= 1

    def _object(self, node: Node, at: Node, depth: int) -> PNode:
        parts: list[PNode | None] = []
        entries: list[PEntry] = []
        for child in node.named_children:
            if child.type == "pair":
                key = child.child_by_field_name("key")
                value = self.value(child.child_by_field_name("value"), at, depth)
                if key is not None:
                    place = self._place(key.named_child(0) if key.type == "computed_property_name"
                                        and key.named_child(0) is not None else key, at)
                    entries.append(PEntry(place.text, place.start, place.end, value))
            elif child.type == "shorthand_property_identifier":
                start, end = self.module.span(child)
                value = self.name_value(self.text(child), child, at, depth + 1)
                entries.append(PEntry(self.text(child), start, end, value))
            elif child.type == "spread_element":
                parts.extend([PDict(tuple(entries)),
                              self.value(child.named_child(0), at, depth + 1)])
                entries = []
        parts.append(PDict(tuple(entries)))
        return merge_all(parts) or PDict()

    def _array(self, node: Node, at: Node, depth: int) -> PList:
        items: list[PNode] = []
        for child in node.named_children:
            if child.type == "spread_element":
                spread = self.value(child.named_child(0), at, depth + 1)
                items.extend(spread.items if isinstance(spread, PList) else [spread])
            elif child.type != "comment":
                items.append(self.value(child, at, depth))
        return PList(tuple(items))

    def _text_value(self, node: Node, at: Node, depth: int) -> PNode:
        if node.type == "binary_expression":
            operator = self.text(node.child_by_field_name("operator"))
            left, right = node.child_by_field_name("left"), node.child_by_field_name("right")
            if operator in ("??", "||"):
                return merge_all([self.value(left, at, depth + 1),
                                  self.value(right, at, depth + 1)]) or self.other(node)
            if operator != "+":
                return self.other(node)
        pieces = self._text_pieces(node)
        if pieces is None:
            return self.other(node)
        start, end = self._text_span(node)
        if None not in pieces:
            return PStr("".join(p for p in pieces if p is not None), start, end)
        return PTemplate(tuple(pieces), start, end)

    def _text_span(self, node: Node) -> tuple[int, int]:
        """Return where a string or concatenation starts and ends, inside quotes."""
        first, last = node, node
        while first.type == "binary_expression":
            first = _unwrap(first.child_by_field_name("left")) or first
        while last.type == "binary_expression":
            last = _unwrap(last.child_by_field_name("right")) or last
        literals = ("string", "template_string")
        start = (self.content_span(first) if first.type in literals else self.module.span(first))[0]
        end = (self.content_span(last) if last.type in literals else self.module.span(last))[1]
        return start, end

    def _text_pieces(self, node: Node | None) -> list[str | None] | None:
        node = _unwrap(node)
        if node is None:
            return None
        if node.type in ("string", "template_string"):
            return self.cook(node)[0]
        if node.type == "binary_expression" and self.text(
                node.child_by_field_name("operator")) == "+":
            left = self._text_pieces(node.child_by_field_name("left"))
            right = self._text_pieces(node.child_by_field_name("right"))
            if left is None and right is None:
                return None
            return [*(left if left is not None else [None]),
                    *(right if right is not None else [None])]
        return None

    def _constant(self, node: Node) -> PConst:
        start, end = self.module.span(node)
        text = self.text(node)
        value: bool | int | float | None
        if node.type in ("true", "false"):
            value = node.type == "true"
        elif node.type == "number":
            value = _number(text)
        else:
            value = None
        return PConst(value, start, end)

    def _call_value(self, node: Node, at: Node, depth: int) -> PNode:
        is_new = node.type == "new_expression"
        func = _unwrap(node.child_by_field_name("constructor" if is_new else "function"))
        name = ("new " if is_new else "") + (self.text(func) if func is not None else "")
        args = _arguments(node)
        if name in _PASS_THROUGH and args:
            first = self.value(args[0], at, depth + 1)
            if name == "new Blob" and isinstance(first, PList) and first.items:
                return first.items[0]
            return first
        if name == "Object.assign":
            return merge_all([self.value(a, at, depth + 1) for a in args]) or self.other(node)
        if func is not None and not is_new:
            helpers = self._helpers(func)
            if helpers:
                return self._returns(helpers, node, depth)
        return self.other(node)

    def _member_value(self, node: Node, at: Node, depth: int) -> PNode:
        root, path = self._path(node)
        if not root or len(path) != 1:
            return self.other(node)
        base = self.name_value(root, node, at, depth + 1)
        key = self._place(path[0], at).text
        if isinstance(base, PDict) and key:
            for entry in reversed(base.entries):
                if entry.key == key:
                    return entry.value
        return self.other(node)

    def _helpers(self, func: Node) -> list[Node]:
        if func.type == "identifier":
            return self.functions().get(self.text(func), [])
        if func.type == "member_expression":
            receiver = func.child_by_field_name("object")
            prop = func.child_by_field_name("property")
            if receiver is not None and receiver.type == "this" and prop is not None:
                return self.functions().get(self.text(prop), [])
        return []

    def functions(self) -> dict[str, list[Node]]:
        """Return the module's named functions and methods, by name."""
        if self._functions is None:
            found: dict[str, list[Node]] = {}
            for node in _descendants(self.module.root):
                name: Node | None = None
                function: Node | None = node
                if node.type in ("function_declaration", "method_definition",
                                 "generator_function_declaration"):
                    name = node.child_by_field_name("name")
                elif node.type == "variable_declarator":
                    name = node.child_by_field_name("name")
                    function = _unwrap(node.child_by_field_name("value"))
                    if function is None or function.type not in FUNCTIONS:
                        continue
                if name is not None and function is not None:
                    found.setdefault(self.text(name), []).append(function)
            self._functions = found
        return self._functions

    def _returns(self, helpers: list[Node], call: Node, depth: int) -> PNode:
        values: list[PNode | None] = []
        for helper in helpers:
            if helper.id in self._active:
                continue
            self._active.add(helper.id)
            try:
                body = helper.child_by_field_name("body")
                if body is not None and body.type != "statement_block":
                    values.append(self.value(body, body, depth + 1))
                    continue
                for node in own_nodes(helper):
                    if node.type == "return_statement" and node.named_child(0) is not None:
                        values.append(self.value(node.named_child(0), node, depth + 1))
            finally:
                self._active.discard(helper.id)
        return merge_all(values) or self.other(call)

    def _props(self, node: Node | None, at: Node) -> dict[str, Node] | None:
        """Return an object literal's properties by name, following a name to one."""
        node = _unwrap(node)
        for _ in range(MAX_DEPTH):
            if node is None or node.type != "identifier":
                break
            bound = self.bound_value(self.text(node), at)
            node = _unwrap(bound[0]) if bound else None
        if node is None or node.type != "object":
            return None
        props: dict[str, Node] = {}
        for child in node.named_children:
            if child.type == "pair":
                key, value = child.child_by_field_name("key"), child.child_by_field_name("value")
                if key is not None and value is not None:
                    props[self._place(key, at).text] = value
            elif child.type == "shorthand_property_identifier":
                props[self.text(child)] = child
        return props

    def _string_prop(self, props: dict[str, Node], name: str) -> str | None:
        node = _unwrap(props.get(name))
        if node is None or node.type not in ("string", "template_string"):
            return None
        pieces = self.cook(node)[0]
        return None if None in pieces else "".join(p for p in pieces if p is not None)

    # -- text ------------------------------------------------------------------

    def text(self, node: Node | None) -> str:
        return "" if node is None else self.module.node_text(node)

    def content_span(self, node: Node) -> tuple[int, int]:
        """Return the span of a string or template literal inside its quotes."""
        start, end = self.module.span(node)
        return start + 1, max(start + 1, end - 1)

    def cook(self, node: Node) -> tuple[list[str | None], list[Node | None]]:
        """Return a literal's pieces (None for a substitution) and their nodes."""
        parts = self.cook_parts(node)
        return [text for text, _ in parts], [child for _, child in parts]

    def cook_parts(self, node: Node) -> list[tuple[str | None, Node | None]]:
        """Return (text, None) for literal runs and (None, expression) for substitutions."""
        parts: list[tuple[str | None, Node | None]] = []
        run: list[str] = []
        for child in node.children:
            kind = child.type
            if kind == "string_fragment":
                run.append(self.text(child))
            elif kind == "escape_sequence":
                run.append(_unescape(self.text(child)))
            elif kind == "template_substitution":
                if run:
                    parts.append(("".join(run), None))
                    run = []
                parts.append((None, child.named_child(0)))
        if run or not parts:
            parts.append(("".join(run), None))
        return parts

    def other(self, node: Node) -> POther:
        return POther(*self.module.span(node))


# -- tree helpers --------------------------------------------------------------


def _unwrap(node: Node | None) -> Node | None:
    """Look through parentheses, ``!``, ``as``, ``satisfies`` and ``<T>x``."""
    while node is not None and node.type in _TRANSPARENT:
        # ``<T>x`` puts the type first; the others put the expression first.
        last = node.type == "type_assertion" and node.named_child_count > 0
        node = node.named_child(node.named_child_count - 1 if last else 0)
    return node


def _may_be_path(literal: str) -> bool:
    """Tell whether a string literal (quotes included) may hold a URL or path."""
    return "/" in literal or literal[1:3] == "v1"


def _type(node: Node | None) -> str:
    return "" if node is None else node.type


def _arguments(node: Node) -> tuple[Node, ...]:
    arguments = node.child_by_field_name("arguments")
    if arguments is None:
        return ()
    return tuple(c for c in arguments.named_children if c.type != "comment")


def _arg(args: tuple[Node, ...], index: int) -> Node | None:
    return args[index] if len(args) > index else None


def _parent_type(node: Node) -> str:
    return node.parent.type if node.parent is not None else ""


def _scopes(node: Node) -> Iterator[Node]:
    """Yield the scopes around ``node``, innermost first, ending at the program."""
    current = node.parent
    while current is not None:
        if current.type in _SCOPES:
            yield current
        current = current.parent


def own_nodes(scope: Node) -> Iterator[Node]:
    """Yield the nodes of a scope, without entering nested functions."""
    stack = list(reversed(scope.named_children))
    while stack:
        node = stack.pop()
        yield node
        if node.type not in FUNCTIONS and node.type != "class_declaration":
            stack.extend(reversed(node.named_children))


def _children(node: Node) -> list[Node]:
    return list(node.named_children)


def _descendants(node: Node) -> Iterator[Node]:
    stack = [node]
    while stack:
        current = stack.pop()
        yield current
        stack.extend(reversed(current.named_children))


def _number(text: str) -> int | float | None:
    clean = text.replace("_", "").rstrip("n")
    try:
        return int(clean, 0)
    except ValueError:
        try:
            return float(clean)
        except ValueError:
            return None


_UNICODE = lazy_compile(r"\\u\{([0-9a-fA-F]+)\}|\\u([0-9a-fA-F]{4})|\\x([0-9a-fA-F]{2})")


def _unescape(sequence: str) -> str:
    """Return the text one JavaScript escape sequence stands for."""
    match = _UNICODE.fullmatch(sequence)
    if match:
        try:
            return chr(int(next(g for g in match.groups() if g), 16))
        except (ValueError, OverflowError):
            return sequence
    body = sequence[1:]
    if not body or body[0] in "\r\n\u2028\u2029":
        return ""
    return _ESCAPES.get(body, body)
