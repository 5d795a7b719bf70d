"""Structured config: JSON, YAML and TOML loaded into one tree with positions.

Every loader takes text that is already decoded, with any byte order mark
removed, and returns `Node` trees whose offsets are character offsets into
that text. A string's offsets bound its content, inside any quotes, so a
rule can point at the first character of an allowed-origin entry.
"""

from __future__ import annotations

import json
import re
from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass, replace

from ruamel.yaml import YAML
from ruamel.yaml.events import (
    AliasEvent,
    CollectionEndEvent,
    CollectionStartEvent,
    DocumentEndEvent,
    DocumentStartEvent,
    Event,
    MappingStartEvent,
    ScalarEvent,
)
from ruamel.yaml.nodes import ScalarNode
from tomlkit.container import Container
from tomlkit.items import (
    AoT,
    Array,
    Date,
    DateTime,
    InlineTable,
    Item,
    Key,
    SingleKey,
    String,
    Table,
    Time,
)
from tomlkit.exceptions import ParseError
from tomlkit.parser import Parser as TomlkitParser

from perkamo_guard.lazy import lazy_compile
from perkamo_guard.text import LineIndex

Scalar = str | int | float | bool | None
PathPart = str | int


@dataclass(frozen=True, slots=True, eq=False, repr=False)
class Node:
    """One value of a structured document and where it is written.

    ``start`` and ``end`` are character offsets. For a string they bound its
    content, inside quotes; for a mapping or a sequence they run from its
    opening bracket (or first entry) to its end. ``key_start`` and
    ``key_end`` bound the key's content when the node is the value of a
    mapping entry, and are None otherwise.
    """

    value: str | int | float | bool | None | list[Node] | dict[str, Node]
    start: int
    end: int
    key_start: int | None = None
    key_end: int | None = None

    def __repr__(self) -> str:
        # NOTE: shallow on purpose; a deep repr of a hostile tree recurses.
        value = self.value
        if isinstance(value, dict):
            shown = f"{{{len(value)} keys}}"
        elif isinstance(value, list):
            shown = f"[{len(value)} items]"
        else:
            shown = repr(value)[:60]
        key = "" if self.key_start is None else f", key_start={self.key_start}"
        return f"Node({shown}, start={self.start}, end={self.end}{key})"


class StructuredError(Exception):
    """A document that could not be parsed, with the place of the problem.

    ``line`` and ``column`` are 1-based; columns count characters.
    """

    def __init__(self, message: str, line: int, column: int) -> None:
        super().__init__(f"{message} (line {line}, column {column})")
        self.message = message
        self.line = line
        self.column = column


def _error_at(text: str, offset: int, message: str) -> StructuredError:
    """Build a `StructuredError` for a character offset into ``text``."""
    line, column = LineIndex(text).position(max(0, min(offset, len(text))))
    return StructuredError(message, line, column)


def walk(
    node: Node, *, max_depth: int = 1000
) -> Iterator[tuple[tuple[PathPart, ...], Node]]:
    """Yield (key path, node) for ``node`` and everything below it, in order.

    A sequence or mapping shared by several YAML aliases is entered once;
    later references are yielded without their contents, so an alias bomb
    costs no more than its text.

    :param max_depth:
        Nodes deeper than this are not yielded. Paths are tuples, so a walk
        n levels down costs n² steps; no config an application reads is
        nested a thousand levels deep.
    """
    entered: set[int] = set()
    stack: list[tuple[tuple[PathPart, ...], Node]] = [((), node)]
    while stack:
        path, current = stack.pop()
        yield path, current

        value = current.value
        if not isinstance(value, (dict, list)) or id(value) in entered:
            continue
        entered.add(id(value))
        if len(path) >= max_depth:
            continue

        pairs = value.items() if isinstance(value, dict) else enumerate(value)
        children = [(path + (part,), child) for part, child in pairs]
        stack.extend(reversed(children))


# --- Building trees from events -------------------------------------------

# A mapping key: its text, and the offsets of its content.
_Key = tuple[str, int, int]


@dataclass
class _Frame:
    """A mapping or sequence whose end has not been seen yet."""

    start: int
    items: list[Node] | dict[str, Node]
    #: The key this container is the value of, if any.
    key: _Key | None
    #: True when the container is itself a mapping key (YAML allows it).
    is_key: bool
    #: In a mapping, a key that still waits for its value.
    waiting: _Key | None = None


class _TreeBuilder:
    """Assemble nodes from start, scalar and end events, with no recursion.

    In a mapping, nodes alternate between key and value. A key's text is its
    string value, or its source text when it is not a string (YAML).
    """

    def __init__(self, text: str) -> None:
        self.text = text
        self.root: Node | None = None
        self._stack: list[_Frame] = []

    @property
    def depth(self) -> int:
        return len(self._stack)

    def scalar(self, value: Scalar, start: int, end: int) -> Node | None:
        """Add a scalar; return its node, or None when it is a mapping key."""
        # NOTE: this runs once per JSON token, so it avoids helper calls.
        if not self._stack:
            self.root = Node(value, start, end)
            return self.root
        top = self._stack[-1]
        items = top.items
        if isinstance(items, list):
            node = Node(value, start, end)
            items.append(node)
            return node

        key = top.waiting
        if key is None:
            text = value if isinstance(value, str) else self.text[start:end]
            top.waiting = (text, start, end)
            return None
        top.waiting = None
        node = items[key[0]] = Node(value, start, end, key[1], key[2])
        return node

    def open(self, start: int, *, mapping: bool) -> None:
        """Start a mapping or a sequence at the current place."""
        key: _Key | None = None
        is_key = False
        if self._stack and isinstance(self._stack[-1].items, dict):
            parent = self._stack[-1]
            is_key = parent.waiting is None
            key, parent.waiting = parent.waiting, None
        items: list[Node] | dict[str, Node] = {} if mapping else []
        self._stack.append(_Frame(start, items, key, is_key))

    def close(self, end: int) -> Node:
        """End the innermost open mapping or sequence and return it."""
        frame = self._stack.pop()
        key_start, key_end = (None, None) if frame.key is None else frame.key[1:]
        node = Node(frame.items, frame.start, end, key_start, key_end)
        if not self._stack:
            self.root = node
        elif frame.is_key:
            self._stack[-1].waiting = (self._source(node), node.start, node.end)
        else:
            self._add(node, frame.key)
        return node

    def reuse(self, target: Node) -> None:
        """Add an existing node again (a YAML alias) without copying it."""
        if not self._stack:
            self.root = target
            return
        top = self._stack[-1]
        if isinstance(top.items, dict) and top.waiting is None:
            text = target.value if isinstance(target.value, str) else None
            top.waiting = (text or self._source(target), target.start, target.end)
            return
        key, top.waiting = top.waiting, None
        key_start, key_end = (None, None) if key is None else key[1:]
        self._add(replace(target, key_start=key_start, key_end=key_end), key)

    def _add(self, node: Node, key: _Key | None) -> None:
        """Add a finished node to the innermost open container."""
        items = self._stack[-1].items
        if isinstance(items, list):
            items.append(node)
        elif key is not None:
            items[key[0]] = node

    def _source(self, node: Node) -> str:
        return self.text[node.start : node.end]


# --- JSON -------------------------------------------------------------------

_GAP_STRICT = r"[ \t\n\r]*"
_GAP_LENIENT = r"[ \t\n\r]*(?:(?://[^\n\r]*|/\*(?s:.*?)\*/)[ \t\n\r]*)*"
# One token, with the comma or colon before it. Reading both in one match
# halves the trips through the Python loop.
_JSON_TOKEN = r"""
    (?:(?P<sep>[,:]){gap})?
    (?:
        "(?P<plain>[^"\\\x00-\x1f]*)"
      | (?P<escaped>"[^"\\\x00-\x1f]*(?:\\.[^"\\\x00-\x1f]*)*")
      | (?P<number>-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][-+]?[0-9]+)?)
      | (?P<literal>true|false|null)
      | (?P<bracket>[][{{}}])
    )
"""
_JSON_LITERALS: dict[str, Scalar] = {"true": True, "false": False, "null": None}

# What the reader expects next. The "…_or_close" states follow an opening
# bracket, and a comma when trailing commas are allowed.
_VALUE, _VALUE_OR_CLOSE, _KEY, _KEY_OR_CLOSE = "value", "value]", "key", "key}"
_COLON, _COMMA_OR_CLOSE, _DONE = ":", ",", "end"
_EXPECTED = {
    _VALUE: "a value",
    _VALUE_OR_CLOSE: "a value or ']'",
    _KEY: "a string key",
    _KEY_OR_CLOSE: "a string key or '}'",
    _COLON: "':'",
    _DONE: "the end of the document",
}
_STRING_KINDS = frozenset({"plain", "escaped"})


class _JsonReader:
    """An iterative JSON reader that keeps the position of every token."""

    _patterns: dict[bool, tuple[re.Pattern[str], re.Pattern[str]]] = {}

    def __init__(self, text: str, *, strict: bool) -> None:
        self.text = text
        self.strict = strict
        self.gap, self.token = self._compile(strict)
        self.builder = _TreeBuilder(text)
        self.closers: list[str] = []
        self.expect = _VALUE

    @classmethod
    def _compile(cls, strict: bool) -> tuple[re.Pattern[str], re.Pattern[str]]:
        if strict not in cls._patterns:
            gap = _GAP_STRICT if strict else _GAP_LENIENT
            token = gap + _JSON_TOKEN.format(gap=gap)
            cls._patterns[strict] = (re.compile(gap), re.compile(token, re.VERBOSE))
        return cls._patterns[strict]

    def read(self) -> Node:
        """Read the whole text as one JSON value."""
        text, match_token = self.text, self.token.match
        pos = 0
        while self.expect is not _DONE:
            match = match_token(text, pos)
            if match is None:
                raise self._failure(pos)
            separator = match.group("sep")
            if separator is not None:
                self._separator(separator, match.start("sep"))

            kind = match.lastgroup
            assert kind is not None
            pos = match.end()
            if kind == "bracket":
                self._bracket(text[pos - 1], pos - 1)
            else:
                self._scalar(kind, match, pos)

        tail = self.gap.match(text, pos)
        if tail is not None and tail.end() < len(text):
            raise self._unexpected(pos)
        assert self.builder.root is not None
        return self.builder.root

    def _scalar(self, kind: str, match: re.Match[str], end: int) -> None:
        """Handle a string, number or literal token that ends at ``end``."""
        start = match.start(kind)
        expect = self.expect
        if expect is _KEY or expect is _KEY_OR_CLOSE:
            if kind not in _STRING_KINDS:
                raise self._unexpected(start)
            self.expect = _COLON
        elif expect is _VALUE or expect is _VALUE_OR_CLOSE:
            self.expect = _COMMA_OR_CLOSE if self.closers else _DONE
        else:
            raise self._unexpected(start)

        raw = match.group(kind)
        if kind == "plain":
            self.builder.scalar(raw, start, end - 1)
        elif kind == "escaped":
            self.builder.scalar(self._decode_string(raw, start), start + 1, end - 1)
        elif kind == "number":
            self.builder.scalar(self._number(raw, start), start, end)
        else:
            self.builder.scalar(_JSON_LITERALS[raw], start, end)

    def _separator(self, char: str, at: int) -> None:
        """Handle a colon or comma found at offset ``at``."""
        if char == ":" and self.expect is _COLON:
            self.expect = _VALUE
        elif char == "," and self.expect is _COMMA_OR_CLOSE:
            self.expect = self._after_comma()
        else:
            raise self._unexpected(at)

    def _bracket(self, char: str, at: int) -> None:
        """Handle a bracket found at offset ``at``."""
        expect = self.expect
        if char in "[{" and (expect is _VALUE or expect is _VALUE_OR_CLOSE):
            self.builder.open(at, mapping=char == "{")
            self.closers.append("]" if char == "[" else "}")
            self.expect = _VALUE_OR_CLOSE if char == "[" else _KEY_OR_CLOSE
        elif self.closers and char == self.closers[-1] and self._may_close():
            self.closers.pop()
            self.builder.close(at + 1)
            self.expect = _COMMA_OR_CLOSE if self.closers else _DONE
        else:
            raise self._unexpected(at)

    def _after_comma(self) -> str:
        in_object = self.closers[-1] == "}"
        if self.strict:
            return _KEY if in_object else _VALUE
        return _KEY_OR_CLOSE if in_object else _VALUE_OR_CLOSE

    def _may_close(self) -> bool:
        return self.expect in (_COMMA_OR_CLOSE, _VALUE_OR_CLOSE, _KEY_OR_CLOSE)

    def _decode_string(self, raw: str, start: int) -> str:
        """Decode a quoted string that holds escapes, found at ``start``."""
        try:
            value = json.loads(raw)
        except json.JSONDecodeError as exc:
            message = "invalid string escape"
            raise _error_at(self.text, start + exc.pos, message) from None
        assert isinstance(value, str)
        return value

    def _number(self, raw: str, start: int) -> int | float:
        try:
            if "." in raw or "e" in raw or "E" in raw:
                return float(raw)
            return int(raw)
        except ValueError:
            raise _error_at(self.text, start, "number too long") from None

    def _failure(self, pos: int) -> StructuredError:
        """Describe why no token matched at ``pos``."""
        # A valid separator followed by garbage: report the garbage.
        separator = re.compile(f"{self.gap.pattern}([,:])").match(self.text, pos)
        if separator is not None:
            self._separator(separator.group(1), separator.start(1))
            pos = separator.end()
        return self._unexpected(pos)

    def _unexpected(self, pos: int) -> StructuredError:
        """Describe the token at ``pos`` (after any gap) as out of place."""
        gap = self.gap.match(self.text, pos)
        at = gap.end() if gap is not None else pos
        if at >= len(self.text):
            found = "end of input"
        else:
            found = repr(self.text[at])
        expected = _EXPECTED.get(self.expect, f"',' or {self._closer_text()}")
        return _error_at(self.text, at, f"expected {expected}, found {found}")

    def _closer_text(self) -> str:
        return repr(self.closers[-1]) if self.closers else "the end"


def load_json(text: str, *, strict: bool = False) -> Node:
    """Load a JSON document.

    By default we also read the JSONC that tsconfig and editor settings use:
    ``//`` and ``/* */`` comments and trailing commas. A key that occurs
    twice keeps its last value, as in the standard ``json`` module.

    :param strict:
        Reject comments and trailing commas (RFC 8259 only).
    """
    return _JsonReader(text, strict=strict).read()


# --- YAML -------------------------------------------------------------------

# Scalars with these tags get a Python value; every other tag (timestamps,
# binary, custom tags such as CloudFormation's !Ref) keeps its text.
_YAML_CONSTRUCTORS = {
    "tag:yaml.org,2002:null": "construct_yaml_null",
    "tag:yaml.org,2002:bool": "construct_yaml_bool",
    "tag:yaml.org,2002:int": "construct_yaml_int",
    "tag:yaml.org,2002:float": "construct_yaml_float",
}
_BLANK = " \t\r\n"
# NOTE: ruamel.yaml's scanner does work in proportion to the open flow
# levels at each token, so deep nesting costs quadratic time: 1,000 levels
# take seconds. Real configs stay far below this limit.
_MAX_YAML_DEPTH = 200


class _YamlReader:
    """Build trees from ruamel.yaml's parser events, one per document.

    NOTE: we read events rather than composed nodes because the composer
    recurses once per nesting level, while the event parser does not; and
    an alias becomes the anchored node itself, never a copy, so an alias
    bomb stays as small as its text.
    """

    def __init__(self, text: str) -> None:
        self.text = text
        self.yaml = YAML(typ="safe", pure=True)
        self.documents: list[Node] = []
        self.builder = _TreeBuilder(text)
        self.anchors: dict[str, Node] = {}
        self.open_anchors: list[str | None] = []
        self.open_count: dict[str, int] = {}

    def read(self) -> list[Node]:
        """Read every document of the stream."""
        for event in self.yaml.parse(self.text):
            self._take(event)
        return self.documents

    def _take(self, event: Event) -> None:
        if isinstance(event, ScalarEvent):
            start, end = self._scalar_span(event)
            value = self._scalar_value(event)
            node = self.builder.scalar(value, start, end)
            self._remember(event.anchor, node or Node(value, start, end))
        elif isinstance(event, CollectionStartEvent):
            if self.builder.depth >= _MAX_YAML_DEPTH:
                message = f"YAML nested more than {_MAX_YAML_DEPTH} levels deep"
                raise _error_at(self.text, event.start_mark.index, message)
            start = _content_start(self.text, event)
            self.builder.open(start, mapping=isinstance(event, MappingStartEvent))
            self._open_anchor(event.anchor)
        elif isinstance(event, CollectionEndEvent):
            node = self.builder.close(event.end_mark.index)
            self._remember(self._close_anchor(), node)
        elif isinstance(event, AliasEvent):
            self.builder.reuse(self._resolve(event))
        elif isinstance(event, DocumentStartEvent):
            self.builder = _TreeBuilder(self.text)
            self.anchors = {}
        elif isinstance(event, DocumentEndEvent) and self.builder.root is not None:
            self.documents.append(self.builder.root)

    def _scalar_span(self, event: ScalarEvent) -> tuple[int, int]:
        """Return the offsets of a scalar's content, inside any quotes."""
        end = event.end_mark.index
        start = min(_content_start(self.text, event), end)
        if event.style in ('"', "'"):
            return start + 1, end - 1
        if event.style in ("|", ">"):
            return _block_scalar_body(self.text, start, end)
        return start, end

    def _scalar_value(self, event: ScalarEvent) -> Scalar:
        """Resolve a scalar's tag as a safe loader would, and convert it."""
        tag = event.ctag
        if tag is None or str(tag) == "!":
            tag = self.yaml.resolver.resolve(ScalarNode, event.value, event.implicit)
        method = _YAML_CONSTRUCTORS.get(str(tag))
        raw: str = event.value
        if method is None:
            return raw

        node = ScalarNode(str(tag), raw, event.start_mark, event.end_mark)
        try:
            value = getattr(self.yaml.constructor, method)(node)
        except Exception:  # noqa: BLE001
            # An explicit tag on text that does not fit it (`!!int abc`).
            return raw
        return value if isinstance(value, (bool, int, float)) else None

    def _open_anchor(self, anchor: str | None) -> None:
        self.open_anchors.append(anchor)
        if anchor is not None:
            self.open_count[anchor] = self.open_count.get(anchor, 0) + 1

    def _close_anchor(self) -> str | None:
        anchor = self.open_anchors.pop()
        if anchor is not None:
            self.open_count[anchor] -= 1
        return anchor

    def _remember(self, anchor: str | None, node: Node) -> None:
        if anchor is not None:
            self.anchors[anchor] = node

    def _resolve(self, event: AliasEvent) -> Node:
        """Return the node an alias names; refuse one inside its own anchor."""
        name = event.anchor
        offset = event.start_mark.index
        if self.open_count.get(name, 0) > 0:
            raise _error_at(self.text, offset, f"alias *{name} refers to itself")
        if name not in self.anchors:
            raise _error_at(self.text, offset, f"undefined alias *{name}")
        return self.anchors[name]


def _content_start(text: str, event: ScalarEvent | CollectionStartEvent) -> int:
    """Return where a node's content begins, after its anchor and tag.

    Only the event's own properties are skipped: in ``&k key: 1`` the
    anchor belongs to the key, not to the mapping that starts there.
    """
    pos: int = event.start_mark.index
    count = (event.anchor is not None) + (event.ctag is not None)
    for _ in range(count):
        match = _PROPERTY.match(text, pos)
        if match is None:
            break
        pos = match.end()
    return pos


_PROPERTY = lazy_compile(r"[&!][^ \t\r\n]*(?:[ \t\r\n]+|#[^\r\n]*)*")


def _block_scalar_body(text: str, start: int, end: int) -> tuple[int, int]:
    """Return the first and last content offsets of a ``|`` or ``>`` scalar.

    ``start`` is at the indicator; the content begins on the next line.
    """
    newline = _LINE_BREAK.search(text, start, end)
    body = end if newline is None else newline.end()
    while body < end and text[body] in _BLANK:
        body += 1
    stop = end
    while stop > body and text[stop - 1] in _BLANK:
        stop -= 1
    return body, stop


_LINE_BREAK = lazy_compile(r"\r\n|\r|\n")


def _yaml_error(text: str, exc: Exception) -> StructuredError:
    """Turn a ruamel.yaml error into a `StructuredError` at its mark."""
    mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
    offset = getattr(mark, "index", None)
    if not isinstance(offset, int):
        position = getattr(exc, "position", 0)
        offset = position if isinstance(position, int) else 0
    problem = getattr(exc, "problem", None)
    if not isinstance(problem, str):
        problem = str(exc).strip().split("\n", 1)[0] or type(exc).__name__
    return _error_at(text, offset, problem)


def load_yaml(text: str) -> list[Node]:
    """Load every document of a YAML stream, with the safe schema.

    Nothing is constructed but strings, numbers, booleans and nulls; other
    tags keep their text. An alias is the anchored node itself (with the
    alias's own key position), and a key that occurs twice keeps its last
    value. An empty stream gives no documents.
    """
    try:
        return _YamlReader(text).read()
    except StructuredError:
        raise
    except RecursionError:
        raise _error_at(text, 0, "YAML nested too deeply") from None
    except Exception as exc:  # noqa: BLE001
        # NOTE: ruamel.yaml raises YAMLError subclasses for bad input, and a
        # few other types on odd corner cases; a bad file must never crash us.
        raise _yaml_error(text, exc) from exc


# --- TOML -------------------------------------------------------------------


class _SpanParser(TomlkitParser):
    """tomlkit's parser, noting where each key, value and table is written.

    NOTE: tomlkit keeps no positions, but its parser walks the source with
    an index. We extend four of its steps (private methods) to note that
    index around each key fragment, value, item and table they return, by
    object identity; `_TomlConverter` then reads the finished document.
    `_TomlConverter._scalar` checks each scalar's own source text against
    the noted place, so a tomlkit release that changes these steps fails
    loudly (a `StructuredError` that says so) instead of giving wrong
    positions.
    """

    def __init__(self, text: str) -> None:
        super().__init__(text)
        self.spans: dict[int, tuple[object, int, int]] = {}
        #: Where the last item or table read began and ended.
        self._completed = (0, 0)

    def error_offset(self) -> int:
        """Return where to report the error that stopped the parse.

        tomlkit refuses a duplicate key or table only once it has read it
        whole; we then point at its beginning rather than past its end.
        """
        start, end = self._completed
        if self._idx != end:
            return self._idx
        while start < end and self._src[start] in " \t":
            start += 1
        return start

    def span(self, item: object) -> tuple[int, int] | None:
        """Return the noted (start, end) of a parsed object, if any."""
        noted = self.spans.get(id(item))
        if noted is None or noted[0] is not item:
            return None
        return noted[1], noted[2]

    def _note(self, item: object, start: int, end: int) -> None:
        # Holding the object keeps its id from being reused by another.
        self.spans[id(item)] = (item, start, end)

    def _parse_simple_key(self) -> Key:
        start = self._idx
        key = super()._parse_simple_key()
        self._note(key, start, self._idx)
        return key

    def _parse_item(self) -> tuple[Key | None, Item] | None:
        start = self._idx
        item = super()._parse_item()
        self._completed = (start, self._idx)
        return item

    def _parse_value(self) -> Item:
        start = self._idx
        item = super()._parse_value()
        self._note(item, start, self._idx)
        return item

    def _parse_table(
        self, parent_name: Key | None = None, parent: Table | None = None
    ) -> tuple[Key, Table | AoT]:
        start = self._idx
        key, result = super()._parse_table(parent_name, parent)
        if isinstance(result, AoT):
            # The first table of an array of tables ends where the next begins.
            tables = result.body
            following = self.span(tables[1]) if len(tables) > 1 else None
            self._note(tables[0], start, following[0] if following else self._idx)
        else:
            self._note(_header_table(result), start, self._idx)
        self._completed = (start, self._idx)
        return key, result


def _header_table(table: Table) -> Table:
    """Return the table a header names, below the tables it implies.

    For ``[a.b.c]`` with no ``[a]`` before it, tomlkit returns ``a`` with a
    chain of one-child tables down to ``c``.
    """
    while table.is_super_table():
        children = [item for key, item in table.value.body if key is not None]
        child = children[0] if len(children) == 1 else None
        if isinstance(child, AoT) and child.body:
            child = child.body[-1]
        if not isinstance(child, Table):
            break
        table = child
    return table


# A queue of (tomlkit container or array, the node contents it fills).
_TomlWork = deque[tuple[Container | Array, "dict[str, Node] | list[Node]"]]


class _TomlConverter:
    """Turn a parsed tomlkit document into nodes, with no recursion."""

    def __init__(self, text: str, parser: _SpanParser) -> None:
        self.text = text
        self.parser = parser

    def convert(self, document: Container) -> Node:
        entries: dict[str, Node] = {}
        work: _TomlWork = deque([(document, entries)])
        # NOTE: first in, first out, so that a table defined in several
        # pieces gets its keys in the order they are written.
        while work:
            source, target = work.popleft()
            if isinstance(source, Array) and isinstance(target, list):
                target.extend(self._value(item, None, work) for item in source)
            elif isinstance(source, Container) and isinstance(target, dict):
                for key, item in source.body:
                    if key is not None:
                        self._entry(key, item, target, work)
        return Node(entries, 0, len(self.text))

    def _entry(
        self, key: Key, item: Item, target: dict[str, Node], work: _TomlWork
    ) -> None:
        """Add one ``key = item`` (or table) to ``target``."""
        *parents, last = list(key)
        for part in parents:
            target = self._table(part, None, target)
        if isinstance(item, Table):
            work.append((item.value, self._table(last, item, target)))
        elif isinstance(item, AoT):
            self._array_of_tables(last, item, target, work)
        else:
            target[last.key] = self._value(item, self._key_span(last), work)

    def _table(
        self, key: SingleKey, table: Table | None, target: dict[str, Node]
    ) -> dict[str, Node]:
        """Return the mapping for a table, merging one defined in pieces."""
        existing = target.get(key.key)
        if existing is not None and isinstance(existing.value, dict):
            return existing.value
        key_start, key_end = self._key_span(key)
        start, end = self.parser.span(table) or (key_start, key_end)
        entries: dict[str, Node] = {}
        target[key.key] = Node(entries, start, end, key_start, key_end)
        return entries

    def _array_of_tables(
        self, key: SingleKey, aot: AoT, target: dict[str, Node], work: _TomlWork
    ) -> None:
        key_start, key_end = self._key_span(key)
        existing = target.get(key.key)
        if existing is not None and isinstance(existing.value, list):
            elements = existing.value
        else:
            elements = []
            target[key.key] = Node(elements, key_start, key_end, key_start, key_end)
        for table in aot.body:
            start, end = self.parser.span(table) or (key_start, key_end)
            entries: dict[str, Node] = {}
            elements.append(Node(entries, start, end))
            work.append((table.value, entries))

    def _value(
        self, item: Item, key_span: tuple[int, int] | None, work: _TomlWork
    ) -> Node:
        """Convert a value; arrays and inline tables are filled in later."""
        span = self.parser.span(item)
        if span is None:
            raise self._lost(0)
        key_start, key_end = key_span or (None, None)
        if isinstance(item, Array):
            items: list[Node] = []
            work.append((item, items))
            return Node(items, span[0], span[1], key_start, key_end)
        if isinstance(item, InlineTable):
            entries: dict[str, Node] = {}
            work.append((item.value, entries))
            return Node(entries, span[0], span[1], key_start, key_end)
        value, start, end = self._scalar(item, span[0])
        return Node(value, start, end, key_start, key_end)

    def _scalar(self, item: Item, start: int) -> tuple[Scalar, int, int]:
        """Return a scalar's value and content offsets, checked on the text."""
        raw = item.as_string()
        if not self.text.startswith(raw, start):
            raise self._lost(start)
        end = start + len(raw)
        if isinstance(item, String):
            return str(item), *_toml_string_content(self.text, item, start, end)
        if isinstance(item, (Date, DateTime, Time)):
            return raw, start, end
        value = item.unwrap()
        if not isinstance(value, (str, int, float, bool)):
            raise self._lost(start)
        return value, start, end

    def _key_span(self, key: SingleKey) -> tuple[int, int]:
        """Return the offsets of a key fragment's content, inside quotes."""
        span = self.parser.span(key)
        if span is None:
            raise self._lost(0)
        start, end = span
        raw = self.text[start:end]
        start += len(raw) - len(raw.lstrip(" \t"))
        end -= len(raw) - len(raw.rstrip(" \t"))
        if start < end and self.text[start] in "\"'":
            return start + 1, end - 1
        return start, end

    def _lost(self, offset: int) -> StructuredError:
        message = "internal error: tomlkit positions do not match the text"
        return _error_at(self.text, offset, message)


def _toml_string_content(
    text: str, item: String, start: int, end: int
) -> tuple[int, int]:
    """Return the content offsets of a string written from start to end."""
    delimiter = len(item.type.value)
    content = start + delimiter
    # A newline right after an opening triple quote is not part of the value.
    if item.type.is_multiline():
        newline = _LINE_BREAK.match(text, content)
        content = newline.end() if newline else content
    return content, end - delimiter


def load_toml(text: str) -> Node:
    """Load a TOML document with tomlkit, keeping every key's position.

    Tables, arrays of tables and dotted keys become nested mappings; dates
    and times keep their text. A table's offsets run from its ``[`` header
    to where its content ends; a table made by a dotted key spans that key.
    """
    parser = _SpanParser(text)
    try:
        document = parser.parse()
    except ParseError as exc:
        # tomlkit's own columns are 0-based, and 0 at the end of the text;
        # the index where its parser stopped gives ours.
        message = str(exc).rsplit(" at line ", 1)[0]
        raise _error_at(text, parser.error_offset(), message) from None
    except RecursionError:
        raise _error_at(text, 0, "TOML nested too deeply") from None
    except Exception as exc:  # noqa: BLE001
        # NOTE: tomlkit raises a few non-ParseError types on odd input; a
        # bad file must never crash us.
        raise _error_at(text, 0, f"invalid TOML: {exc}") from exc
    return _TomlConverter(text, parser).convert(document)
