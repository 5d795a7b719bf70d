"""Parse stage: JavaScript, TypeScript, and the script blocks of components.

tree-sitter is imported on the first parse, never at import time, so the
hook path pays for it only when a file needs a tree. Every position this
module returns is a character offset into the whole file's text.
"""

from __future__ import annotations

import bisect
import functools
import html
import re
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from operator import attrgetter
from typing import TYPE_CHECKING, NamedTuple

from perkamo_guard.lazy import lazy_compile
from perkamo_guard.log import get_logger

if TYPE_CHECKING:
    from tree_sitter import Node, Parser, Tree, TreeCursor

logger = get_logger(__name__)

#: Kinds whose whole text is one script, named after their grammar.
SCRIPT_DIALECTS = frozenset({"javascript", "typescript", "tsx"})
#: Kinds whose code sits in the ``<script>`` blocks of a markup file.
COMPONENT_KINDS = frozenset({"vue", "svelte", "html"})

Context = tuple[str, ...]


class ScriptBlock(NamedTuple):
    """The code of one script, and where it starts in its file."""

    text: str
    offset: int
    dialect: str


class StringValue(NamedTuple):
    """A string literal, or several folded by ``+``, with its cooked value.

    ``start`` and ``end`` span the value inside the quotes, from the first
    piece to the last. ``partial`` says that dynamic content (a template
    substitution or a non-literal operand) follows the value.
    """

    value: str
    start: int
    end: int
    pieces: int
    partial: bool
    context: Context


class EnvRead(NamedTuple):
    """A read of one environment variable by name; the span is the name's."""

    name: str
    start: int
    end: int
    source: str
    context: Context


@dataclass(frozen=True)
class Call:
    """A call or ``new`` expression, such as ``axios.post(url, body)``."""

    callee: str
    node: Node = field(compare=False, repr=False)
    arguments: tuple[Node, ...] = field(compare=False, repr=False)
    start: int
    end: int
    context: Context


def script_blocks(text: str, kind: str) -> list[ScriptBlock]:
    """Return the scripts of a file: the whole text, or its script blocks.

    :param kind:
        ``javascript``, ``typescript`` or ``tsx`` for a script file;
        ``vue``, ``svelte`` or ``html`` for a file with ``<script>`` blocks.
    """
    name = str(getattr(kind, "value", kind))
    if name in SCRIPT_DIALECTS:
        return [ScriptBlock(text, 0, name)]
    if name in COMPONENT_KINDS:
        return _component_blocks(text)
    raise ValueError(f"not a script kind: {name}")


def parse_file(text: str, kind: str) -> list[JsModule]:
    """Return one lazily parsed module for each script of a file."""
    return [JsModule(block) for block in script_blocks(text, kind)]


def walk(node: Node) -> Iterator[Node]:
    """Yield ``node`` and its descendants in source order, without recursion."""
    stack = [node]
    while stack:
        current = stack.pop()
        yield current
        stack.extend(reversed(current.children))


# Script blocks -------------------------------------------------------------

_TAG_NAME = lazy_compile(r"[A-Za-z][^\s/>]*")
_ATTRIBUTE_NAME = lazy_compile(r"[^\s/>=]+")
_EQUALS = lazy_compile(r"\s*=\s*")
_UNQUOTED_VALUE = lazy_compile(r"[^\s>]*")
# NOTE: a raw-text element runs to the first closing tag, whatever the
# script's own syntax says, as browsers and component compilers read it.
_RAW_TEXT_END = {
    "script": re.compile(r"</script(?=[\s/>]|$)", re.IGNORECASE),
    "style": re.compile(r"</style(?=[\s/>]|$)", re.IGNORECASE),
}
_CODE_TYPES = (
    "module",
    "javascript",
    "ecmascript",
    "typescript",
    "babel",
    "jsx",
    "ts",
    "tsx",
)
_LANG_DIALECTS = {
    "": "javascript",
    "js": "javascript",
    "javascript": "javascript",
    "jsx": "javascript",
    "ts": "typescript",
    "typescript": "typescript",
    "tsx": "tsx",
}


def _component_blocks(text: str) -> list[ScriptBlock]:
    """Return every code ``<script>`` block of a markup file, comments skipped."""
    blocks: list[ScriptBlock] = []
    pos = 0
    while (lt := text.find("<", pos)) >= 0:
        if text.startswith("<!--", lt):
            close = text.find("-->", lt + 4)
            if close < 0:
                break
            pos = close + 3
            continue

        name = _TAG_NAME.match(text, lt + 1)
        if name is None:
            pos = lt + 1
            continue
        attributes, pos, self_closing = _read_open_tag(text, name.end())
        tag = name.group().lower()
        if self_closing or pos >= len(text) or tag not in _RAW_TEXT_END:
            continue

        body_start = pos
        body_end, pos = _raw_text_end(text, tag, body_start)
        dialect = _script_dialect(attributes) if tag == "script" else None
        if dialect is not None:
            blocks.append(ScriptBlock(text[body_start:body_end], body_start, dialect))
    return blocks


def _read_open_tag(text: str, pos: int) -> tuple[dict[str, str], int, bool]:
    """Read the attributes of an opening tag whose name ends at ``pos``.

    Return the attributes (names in lower case), the offset just past the
    tag, and whether the tag closes itself. Quoted values may hold ``>``.
    """
    attributes: dict[str, str] = {}
    end = len(text)
    while pos < end:
        while pos < end and text[pos].isspace():
            pos += 1
        if text.startswith(">", pos):
            return attributes, pos + 1, False
        if text.startswith("/>", pos):
            return attributes, pos + 2, True
        name = _ATTRIBUTE_NAME.match(text, pos)
        if name is None:
            # A stray "/" or "=": skip it as browsers do.
            pos += 1
            continue

        pos = name.end()
        value = ""
        equals = _EQUALS.match(text, pos)
        if equals is not None:
            value, pos = _read_attribute_value(text, equals.end())
        attributes.setdefault(name.group().lower(), value)
    return attributes, end, False


def _read_attribute_value(text: str, pos: int) -> tuple[str, int]:
    """Read a quoted or unquoted attribute value; return it and its end."""
    quote = text[pos : pos + 1]
    if quote in ('"', "'"):
        close = text.find(quote, pos + 1)
        if close < 0:
            return text[pos + 1 :], len(text)
        return text[pos + 1 : close], close + 1
    value = _UNQUOTED_VALUE.match(text, pos)
    assert value is not None  # the pattern matches the empty string
    return value.group(), value.end()


def _raw_text_end(text: str, tag: str, pos: int) -> tuple[int, int]:
    """Return where a raw-text element's body ends and where markup resumes.

    An element that is never closed runs to the end of the file.
    """
    close = _RAW_TEXT_END[tag].search(text, pos)
    if close is None:
        return len(text), len(text)
    gt = text.find(">", close.end())
    return close.start(), (gt + 1 if gt >= 0 else len(text))


def _script_dialect(attributes: dict[str, str]) -> str | None:
    """Return the grammar for a script block, or None when it is not code."""
    script_type = attributes.get("type", "").strip().lower()
    if script_type and not script_type.endswith(_CODE_TYPES):
        return None
    lang = attributes.get("lang", "").strip().lower()
    if not lang and "typescript" in script_type:
        return "typescript"
    return _LANG_DIALECTS.get(lang)


# Grammars and offsets ------------------------------------------------------


@functools.cache
def _parser(dialect: str) -> Parser:
    """Return the parser for a dialect, importing tree-sitter on first use."""
    import tree_sitter

    grammar: object
    if dialect == "javascript":
        import tree_sitter_javascript

        grammar = tree_sitter_javascript.language()
    else:
        import tree_sitter_typescript

        if dialect == "tsx":
            grammar = tree_sitter_typescript.language_tsx()
        else:
            grammar = tree_sitter_typescript.language_typescript()
    return tree_sitter.Parser(tree_sitter.Language(grammar))


def _parse_within_budget(parser: Parser, data: bytes) -> Tree | None:
    """Parse ``data``, or return None when the parser fails or overruns.

    NOTE: the TypeScript grammars loop for ever on some inputs of twenty
    bytes (tree-sitter-typescript issue 323 is one), so a parse gets a
    budget of work and of time, both proportional to the input and several
    times what real code needs.
    """
    view = memoryview(data)
    budget = _PROGRESS_CALLS + len(data) // _BYTES_PER_PROGRESS_CALL
    deadline = time.monotonic() + _SECONDS + len(data) / _BYTES_PER_SECOND
    calls = 0

    def read(byte: int, _point: object) -> memoryview:
        return view[byte:]

    def overrun(_offset: int, _has_error: bool) -> bool:
        nonlocal calls
        calls += 1
        return calls > budget or time.monotonic() > deadline

    try:
        return parser.parse(read, progress_callback=overrun)
    except (ValueError, MemoryError):
        # A cancelled parse would resume on the parser's next call.
        parser.reset()
        return None


# tree-sitter reports progress about once per 25 to 100 bytes of real code.
_PROGRESS_CALLS = 2_000
_BYTES_PER_PROGRESS_CALL = 4
_SECONDS = 2.0
_BYTES_PER_SECOND = 100_000

_NON_ASCII = lazy_compile(r"[^\x00-\x7f]+")
_SURROGATE = lazy_compile(r"[\ud800-\udfff]")


def _encode(text: str) -> tuple[bytes, str]:
    """Encode text as UTF-8 for tree-sitter; return the bytes and their text.

    A lone surrogate cannot be encoded, so it becomes U+FFFD, and the
    grammars' lexers read NUL as the end of input, so it becomes a space:
    one character for one, so that character offsets stay right.
    """
    if "\x00" in text:
        text = text.replace("\x00", " ")
    try:
        return text.encode("utf-8"), text
    except UnicodeEncodeError:
        clean = _SURROGATE.sub("\ufffd", text)
        return clean.encode("utf-8"), clean


class _CharOffsets:
    """Convert UTF-8 byte offsets into one text into character offsets."""

    def __init__(self, text: str, data: bytes) -> None:
        self._text = text
        self._data = data
        self._identity = len(text) == len(data)
        # Start and end of each run of non-ASCII characters, in bytes and
        # in characters; built on the first conversion that needs them.
        self._runs: tuple[list[int], list[int], list[int], list[int]] | None = None

    def char(self, byte: int) -> int:
        """Return the character offset of a byte offset."""
        if self._identity:
            return byte
        if self._runs is None:
            self._runs = self._find_runs()
        byte_starts, char_starts, byte_ends, char_ends = self._runs

        k = bisect.bisect_right(byte_starts, byte) - 1
        if k < 0:
            return byte
        if byte >= byte_ends[k]:
            return char_ends[k] + byte - byte_ends[k]
        inside = self._data[byte_starts[k] : byte]
        return char_starts[k] + len(inside.decode("utf-8", "ignore"))

    def _find_runs(self) -> tuple[list[int], list[int], list[int], list[int]]:
        """Index the runs of non-ASCII characters, the only places offsets differ."""
        byte_starts: list[int] = []
        char_starts: list[int] = []
        byte_ends: list[int] = []
        char_ends: list[int] = []
        extra = 0
        for run in _NON_ASCII.finditer(self._text):
            byte_starts.append(run.start() + extra)
            char_starts.append(run.start())
            extra += len(run.group().encode("utf-8")) - len(run.group())
            byte_ends.append(run.end() + extra)
            char_ends.append(run.end())
        return byte_starts, char_starts, byte_ends, char_ends


# Literal values ------------------------------------------------------------

_LITERALS = frozenset({"string", "template_string"})
_QUOTES = frozenset({'"', "'", "`"})


class _Piece(NamedTuple):
    """One literal's cooked value and content span, in bytes of its block."""

    value: str
    start: int
    end: int
    partial: bool


def _unescape(sequence: str) -> str:
    """Return the text that one JavaScript escape sequence stands for."""
    body = sequence[1:]
    if not body or body[0] in "\r\n\u2028\u2029":
        return ""  # a line continuation
    if body[0] in "xu" and len(body) > 1:
        digits = body[2:-1] if body.startswith("u{") else body[1:]
        try:
            return chr(int(digits, 16))
        except (ValueError, OverflowError):
            return body
    if body.isdigit() and "8" not in body and "9" not in body:
        return chr(int(body, 8))
    return _SIMPLE_ESCAPES.get(body, body)


_SIMPLE_ESCAPES = {"n": "\n", "t": "\t", "r": "\r", "b": "\b", "f": "\f", "v": "\v"}


def _join(parts: list[str]) -> str:
    """Join cooked parts, pairing the surrogates that escapes can make."""
    value = "".join(parts)
    if _SURROGATE.search(value):
        value = value.encode("utf-16", "surrogatepass").decode("utf-16", "replace")
    return value


def _extend(context: Context, label: str) -> Context:
    """Return ``context`` with one more label, elided in the middle when deep."""
    if len(context) < _MAX_CONTEXT:
        return (*context, label)
    # NOTE: deep nesting must not make contexts grow without bound (each
    # extension would copy a longer tuple), so we keep both ends.
    tail = context[len(context) - (_MAX_CONTEXT - _KEEP_OUTER - 2) :]
    return (*context[:_KEEP_OUTER], "…", *tail, label)


_MAX_CONTEXT = 32
_KEEP_OUTER = 8
_MAX_LABEL = 80
_MAX_CHAIN = 16
_TRANSPARENT = frozenset(
    {
        "parenthesized_expression",
        "non_null_expression",
        "as_expression",
        "satisfies_expression",
        "type_assertion",
    }
)
_NAMES = frozenset(
    {"identifier", "property_identifier", "this", "super", "import", "meta_property"}
)
_ENV_OBJECTS = {
    "process": "process.env",
    "import.meta": "import.meta.env",
    "Bun": "Bun.env",
}


def _unwrap(node: Node | None) -> Node | None:
    """Look through parentheses, ``!``, ``as`` and ``satisfies``."""
    while node is not None and node.type in _TRANSPARENT:
        node = node.named_child(0)
    return node


# Modules -------------------------------------------------------------------


class JsModule:
    """One script block, parsed on first use and walked at most once."""

    def __init__(self, block: ScriptBlock) -> None:
        self.block = block
        self._tree: Tree | None = None
        self._failed = False
        self._fell_back = False
        self._index: _Index | None = None
        self._data, clean = _encode(block.text)
        self._chars = _CharOffsets(clean, self._data)

    @property
    def root(self) -> Node:
        """Return the root node of the block's tree, parsing it if need be."""
        if self._tree is None:
            self._tree = self._parse()
        return self._tree.root_node

    @property
    def has_errors(self) -> bool:
        """Tell whether the tree has error or missing nodes, or a parser gave up."""
        return self.root.has_error or self._failed or self._fell_back

    def offset(self, byte: int) -> int:
        """Return the file's character offset of a byte offset in the block."""
        return self.block.offset + self._chars.char(byte)

    def span(self, node: Node) -> tuple[int, int]:
        """Return a node's start and end as character offsets in the file."""
        return self.offset(node.start_byte), self.offset(node.end_byte)

    def node_text(self, node: Node) -> str:
        """Return a node's source text, exactly as the file has it."""
        start = self._chars.char(node.start_byte)
        return self.block.text[start : self._chars.char(node.end_byte)]

    def strings(self) -> Iterator[StringValue]:
        """Yield string literals and folded concatenations in source order."""
        return iter(self._collect().strings)

    def env_reads(self) -> Iterator[EnvRead]:
        """Yield reads of environment variables by name, in source order."""
        return iter(self._collect().env_reads)

    def calls(self) -> Iterator[Call]:
        """Yield calls and ``new`` expressions in source order."""
        return iter(self._collect().calls)

    def directives(self) -> list[str]:
        """Return the directive prologue, such as ``["use client"]``.

        A directive is a string expression statement before any other
        statement; comments may come first.
        """
        found: list[str] = []
        for statement in self.root.children:
            if statement.type in ("comment", "hash_bang_line"):
                continue
            expression = _sole_expression(statement)
            if expression is None or expression.type != "string":
                break
            found.append(
                self._decode(expression.start_byte + 1, expression.end_byte - 1)
            )
        return found

    @property
    def parse_failed(self) -> bool:
        """Tell whether every parser gave up, leaving an empty tree."""
        _ = self.root  # parse first
        return self._failed

    def _parse(self) -> Tree:
        """Parse the block; when the parsers give up, return an empty tree.

        When a TypeScript grammar gives up, the JavaScript grammar, which
        recovers around type syntax, still gets a chance to place literals.
        """
        dialect = self.block.dialect
        tree = _parse_within_budget(_parser(dialect), self._data)
        if tree is None and dialect != "javascript":
            logger.debug(
                "tree-sitter gave up on a %s block; trying javascript", dialect
            )
            self._fell_back = True
            tree = _parse_within_budget(_parser("javascript"), self._data)
        if tree is None:
            logger.debug("tree-sitter gave up on a %s block", dialect)
            self._failed = True
            tree = _parser(dialect).parse(b"")
        return tree

    def _collect(self) -> _Index:
        """Walk the tree once for strings, environment reads and calls."""
        if self._index is None:
            self._index = _Walker(self).run()
        return self._index

    def _decode(self, start: int, end: int) -> str:
        """Return the text between two byte offsets of the block."""
        return self._data[start:end].decode("utf-8", "replace")

    def _text(self, node: Node) -> str:
        return self._decode(node.start_byte, node.end_byte)

    def _cook(self, node: Node) -> _Piece:
        """Return the value of a string or template literal.

        A template's value stops at its first substitution.
        """
        parts: list[str] = []
        start = node.start_byte + 1
        end = node.end_byte
        partial = False
        for child in node.children:
            kind = child.type
            if kind == "string_fragment":
                parts.append(self._text(child))
            elif kind == "escape_sequence":
                parts.append(_unescape(self._text(child)))
            elif kind == "html_character_reference":
                parts.append(html.unescape(self._text(child)))
            elif kind == "template_substitution":
                partial, end = True, child.start_byte
                break
            elif kind in _QUOTES and child.start_byte > node.start_byte:
                end = child.start_byte
        return _Piece(_join(parts), start, max(start, end), partial)

    def _label(self, node: Node | None) -> str:
        """Return a short name for a node: dotted when it is one, else its text."""
        if node is None:
            return "?"
        dotted = self._dotted(node)
        if dotted is not None:
            return dotted
        head = self._decode(
            node.start_byte, min(node.end_byte, node.start_byte + 4 * _MAX_LABEL)
        )
        return " ".join(head.split())[:_MAX_LABEL]

    def _dotted(self, node: Node) -> str | None:
        """Return ``a.b.c`` (or ``a.b().c``) for a short member chain, else None."""
        names: list[tuple[Node, str]] = []
        suffix = ""
        current: Node | None = node
        # A bounded number of steps: each call of a long chain asks again.
        for _ in range(_MAX_CHAIN):
            if current is None:
                return None
            kind = current.type
            if kind in _NAMES:
                names.append((current, suffix))
                return ".".join(self._text(n) + s for n, s in reversed(names))
            if kind == "member_expression":
                prop = current.child_by_field_name("property")
                if prop is None:
                    return None
                names.append((prop, suffix))
                suffix, current = "", current.child_by_field_name("object")
            elif kind == "call_expression":
                suffix, current = "()" + suffix, current.child_by_field_name("function")
            elif kind in _TRANSPARENT:
                current = current.named_child(0)
            else:
                return None
        return None

    def _env_object(self, node: Node | None) -> str | None:
        """Return the source name when ``node`` is ``process.env`` or the like."""
        node = _unwrap(node)
        if node is None or node.type != "member_expression":
            return None
        prop = node.child_by_field_name("property")
        base = _unwrap(node.child_by_field_name("object"))
        if prop is None or base is None or self._text(prop) != "env":
            return None
        if base.type not in ("identifier", "meta_property"):
            return None
        return _ENV_OBJECTS.get(self._text(base))


def _sole_expression(statement: Node) -> Node | None:
    """Return the expression of an expression statement, else None."""
    if statement.type != "expression_statement":
        return None
    named = [child for child in statement.named_children if child.type != "comment"]
    return named[0] if len(named) == 1 else None


# The walk ------------------------------------------------------------------


@dataclass
class _Index:
    """What one walk of a tree found."""

    strings: list[StringValue] = field(default_factory=list)
    env_reads: list[EnvRead] = field(default_factory=list)
    calls: list[Call] = field(default_factory=list)


class _Step(NamedTuple):
    """How to walk a node's children: their context, and one child's own."""

    context: Context
    target: int
    target_context: Context


class _Walker:
    """Collect strings, environment reads and calls in one pass over a tree.

    The walk moves a tree cursor and keeps one frame per level on a list,
    so nesting depth never reaches Python's recursion limit. A visitor
    returns the step for the node's children, or None to skip them.
    """

    def __init__(self, module: JsModule) -> None:
        self.module = module
        self.index = _Index()
        # Operands of a ``+`` chain already folded at the chain's root.
        self.folded: set[int] = set()

    def run(self) -> _Index:
        """Walk the whole tree and return what it holds, in source order."""
        cursor = self.module.root.walk()
        frames: list[_Step] = []
        while True:
            # NOTE: leaves hold nothing we look for, and most nodes are
            # leaves; peeking at the first child spares making their objects.
            if cursor.goto_first_child():
                cursor.goto_parent()
                step = self._visit(cursor, frames[-1] if frames else _ROOT_STEP)
                if step is not None:
                    cursor.goto_first_child()
                    frames.append(step)
                    continue
            while not cursor.goto_next_sibling():
                if not cursor.goto_parent():
                    return self._sorted()
                frames.pop()

    def _visit(self, cursor: TreeCursor, parent: _Step) -> _Step | None:
        """Visit the cursor's node; return the step for its children."""
        node = cursor.node
        assert node is not None  # a cursor made from a node is always on one
        context = parent.context
        if parent.target >= 0 and node.id == parent.target:
            context = parent.target_context
        visit = _VISITORS.get(node.type)
        if visit is not None:
            return visit(self, node, context)
        if context is parent.context and parent.target < 0:
            return parent  # the same context again: no new frame to build
        return _Step(context, -1, context)

    def _sorted(self) -> _Index:
        by_start = attrgetter("start")
        self.index.strings.sort(key=by_start)
        self.index.env_reads.sort(key=by_start)
        self.index.calls.sort(key=by_start)
        return self.index

    def add_string(self, run: list[_Piece], context: Context, partial: bool) -> None:
        """Record a run of adjacent literals as one string value."""
        if not run:
            return
        self.index.strings.append(
            StringValue(
                value="".join(piece.value for piece in run),
                start=self.module.offset(run[0].start),
                end=self.module.offset(run[-1].end),
                pieces=len(run),
                partial=partial or run[-1].partial,
                context=context,
            )
        )

    def add_env(
        self, name: str, start: int, end: int, source: str, context: Context
    ) -> None:
        """Record a read of the variable ``name``, spanning bytes start to end."""
        module = self.module
        self.index.env_reads.append(
            EnvRead(name, module.offset(start), module.offset(end), source, context)
        )

    # Visitors, one per node type.

    def visit_string(self, node: Node, context: Context) -> _Step | None:
        is_template = node.type == "template_string"
        if node.id in self.folded:
            self.folded.discard(node.id)
        else:
            self.add_string([self.module._cook(node)], context, False)
        # A template's substitutions hold code: walk them.
        return _Step(context, -1, context) if is_template else None

    def visit_binary(self, node: Node, context: Context) -> _Step | None:
        step = _Step(context, -1, context)
        operator = node.child_by_field_name("operator")
        if operator is None or operator.type != "+" or node.id in self.folded:
            self.folded.discard(node.id)
            return step

        run: list[_Piece] = []
        for operand in _concatenated(node, self.folded):
            if operand.type not in _LITERALS:
                self.add_string(run, context, True)
                run = []
                continue
            piece = self.module._cook(operand)
            run.append(piece)
            if piece.partial:
                self.add_string(run, context, True)
                run = []
        self.add_string(run, context, False)
        return step

    def visit_member(self, node: Node, context: Context) -> _Step | None:
        step = _Step(context, -1, context)
        prop = node.child_by_field_name("property")
        if prop is None or prop.type != "property_identifier":
            return step
        source = self.module._env_object(node.child_by_field_name("object"))
        if source is None:
            return step
        self.add_env(
            self.module._text(prop), prop.start_byte, prop.end_byte, source, context
        )
        return None

    def visit_subscript(self, node: Node, context: Context) -> _Step | None:
        step = _Step(context, -1, context)
        index = node.child_by_field_name("index")
        if index is None or index.type not in _LITERALS:
            return step
        source = self.module._env_object(node.child_by_field_name("object"))
        piece = self.module._cook(index)
        if source is None or piece.partial or not piece.value:
            return step
        self.add_env(piece.value, piece.start, piece.end, source, context)
        return None

    def visit_declarator(self, node: Node, context: Context) -> _Step | None:
        name = node.child_by_field_name("name")
        value = node.child_by_field_name("value")
        if name is None or name.type != "identifier":
            self.destructure(name, value, context)
            return _Step(context, -1, context)
        return _labelled(context, value, self.module._text(name))

    def visit_assignment(self, node: Node, context: Context) -> _Step | None:
        left = node.child_by_field_name("left")
        right = node.child_by_field_name("right")
        self.destructure(left, right, context)
        return _labelled(context, right, self.module._label(left))

    def visit_pair(self, node: Node, context: Context) -> _Step | None:
        key = node.child_by_field_name("key")
        value = node.child_by_field_name("value")
        return _labelled(context, value, self.key_label(key))

    def visit_field(self, node: Node, context: Context) -> _Step | None:
        name = node.child_by_field_name("name") or node.child_by_field_name("property")
        value = node.child_by_field_name("value")
        return _labelled(context, value, self.key_label(name))

    def visit_jsx_attribute(self, node: Node, context: Context) -> _Step | None:
        children = node.children
        if len(children) < 2:
            return _Step(context, -1, context)
        return _labelled(context, children[-1], self.module._text(children[0]))

    def visit_export(self, node: Node, context: Context) -> _Step | None:
        if not any(child.type == "default" for child in node.children):
            return _Step(context, -1, context)
        # Every child, so that an error node around the value keeps the label.
        labelled = _extend(context, "export default")
        return _Step(labelled, -1, labelled)

    def visit_call(self, node: Node, context: Context) -> _Step | None:
        is_new = node.type == "new_expression"
        callee_node = node.child_by_field_name("constructor" if is_new else "function")
        callee = ("new " if is_new else "") + self.module._label(callee_node)
        arguments = node.child_by_field_name("arguments")
        values = _arguments(arguments)

        start, end = self.module.span(node)
        self.index.calls.append(Call(callee, node, values, start, end, context))
        if callee == "Deno.env.get" and values and values[0].type in _LITERALS:
            piece = self.module._cook(values[0])
            self.add_env(piece.value, piece.start, piece.end, "Deno.env", context)
        return _labelled(context, arguments, callee)

    def visit_error(self, node: Node, context: Context) -> _Step | None:
        # An unterminated literal leaves its fragments loose in the error.
        loose: list[Node] = []
        for child in [*node.children, None]:
            if child is not None and child.type in _FRAGMENTS:
                loose.append(child)
            elif loose:
                self.add_string([self.loose_piece(loose)], context, False)
                loose = []
        return _Step(context, -1, context)

    # Helpers of the visitors.

    def loose_piece(self, nodes: list[Node]) -> _Piece:
        """Cook fragments and escapes that no literal node holds."""
        module = self.module
        parts = [
            module._text(n)
            if n.type == "string_fragment"
            else _unescape(module._text(n))
            for n in nodes
        ]
        return _Piece(_join(parts), nodes[0].start_byte, nodes[-1].end_byte, False)

    def key_label(self, key: Node | None) -> str:
        """Return the name a property key gives its value's context."""
        if key is None:
            return "?"
        if key.type in _LITERALS:
            return self.module._cook(key).value
        if key.type == "computed_property_name":
            return self.module._label(key.named_child(0))
        return self.module._text(key)

    def destructure(
        self, pattern: Node | None, value: Node | None, context: Context
    ) -> None:
        """Record ``const { A, B: b, C = 1 } = process.env`` as reads of A, B, C."""
        if pattern is None or pattern.type != "object_pattern":
            return
        source = self.module._env_object(value)
        if source is None:
            return
        for child in pattern.named_children:
            if child.type == "object_assignment_pattern":
                child = child.child_by_field_name("left") or child
            if child.type == "pair_pattern":
                child = child.child_by_field_name("key") or child
            if child.type in (
                "shorthand_property_identifier_pattern",
                "property_identifier",
            ):
                text = self.module._text(child)
                self.add_env(text, child.start_byte, child.end_byte, source, context)
            elif child.type in _LITERALS:
                piece = self.module._cook(child)
                self.add_env(piece.value, piece.start, piece.end, source, context)


_FRAGMENTS = frozenset({"string_fragment", "escape_sequence"})
_ROOT_STEP = _Step((), -1, ())


def _labelled(context: Context, target: Node | None, label: str) -> _Step:
    """Return a step that adds ``label`` to the context of one child."""
    if target is None:
        return _Step(context, -1, context)
    return _Step(context, target.id, _extend(context, label))


def _concatenated(node: Node, folded: set[int]) -> list[Node]:
    """Return the operands of a ``+`` chain, left to right, parentheses dropped.

    The chain's inner nodes and literal operands join ``folded``, so that
    the walk does not fold or record them a second time.
    """
    operands: list[Node] = []
    todo = [node]
    while todo:
        current = todo.pop()
        kind = current.type
        operator = None
        if kind == "binary_expression":
            operator = current.child_by_field_name("operator")
        if operator is not None and operator.type == "+":
            right = current.child_by_field_name("right")
            left = current.child_by_field_name("left")
            todo.extend(child for child in (right, left) if child is not None)
        elif kind == "parenthesized_expression" and current.named_child_count == 1:
            todo.append(current.named_child(0))
        else:
            operands.append(current)
            if kind not in _LITERALS:
                continue
        if current is not node:
            folded.add(current.id)
    return operands


def _arguments(arguments: Node | None) -> tuple[Node, ...]:
    """Return the argument expressions of a call (a template for a tag)."""
    if arguments is None:
        return ()
    if arguments.type != "arguments":
        return (arguments,)
    return tuple(child for child in arguments.named_children if child.type != "comment")


_Visitor = Callable[[_Walker, "Node", Context], "_Step | None"]
_VISITORS: dict[str, _Visitor] = {
    "string": _Walker.visit_string,
    "template_string": _Walker.visit_string,
    "binary_expression": _Walker.visit_binary,
    "member_expression": _Walker.visit_member,
    "subscript_expression": _Walker.visit_subscript,
    "variable_declarator": _Walker.visit_declarator,
    "assignment_expression": _Walker.visit_assignment,
    "pair": _Walker.visit_pair,
    "public_field_definition": _Walker.visit_field,
    "field_definition": _Walker.visit_field,
    "jsx_attribute": _Walker.visit_jsx_attribute,
    "export_statement": _Walker.visit_export,
    "call_expression": _Walker.visit_call,
    "new_expression": _Walker.visit_call,
    "ERROR": _Walker.visit_error,
}
