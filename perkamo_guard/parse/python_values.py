"""Python literal values: string literals with the names and keys around them.

This is the Python counterpart of ``javascript.StringValue.context``: each
string comes with the labels that enclose it, outermost first, so that a
rule can ask "is this an entry of an ``allowed_origins`` list?". Labels are
assignment targets (``PERKAMO_ALLOWED_ORIGINS``, ``app.config``), string
keys of dict literals, class names, callee names and keyword names
(``perkamo.configure``, ``allowed_origins``).

Only strings reached through literal containers are *direct*: list, tuple
and set items, dict values, call arguments, conditional branches. A string
compared, indexed or formatted is not a value of the label around it, so
``if origin in ["*"]`` under an origin key yields nothing.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from typing import NamedTuple

from perkamo_guard.lazy import lazy_compile
from perkamo_guard.model import SourceFile
from perkamo_guard.parse.python import PythonSyntaxError, node_offset, parse_ast

Labels = tuple[str, ...]

#: The label for a place that has no name we can read (a computed key).
UNKNOWN = "?"

_PREFIX_AND_QUOTE = lazy_compile(r"""([rRuUbBfF]{0,2})('''|\"\"\"|'|")""")
#: A line at column 0 that continues the statement before it.
_CONTINUATION = lazy_compile(r"[)\]}#]|(?:else|elif|except|finally|case)\b")
#: How many top-level pieces one statement may span in the fallback.
_MAX_MERGE = 8
#: Methods that turn one literal string into a list of its parts.
_SPLITTERS = frozenset({"split", "splitlines"})


class LabelledString(NamedTuple):
    """A string literal (or a ``+`` fold of several) and the labels above it."""

    value: str
    #: Offset of the content's first character, inside the quotes.
    start: int
    #: Offset just past the literal (its closing quote included).
    end: int
    labels: Labels
    #: True when ``file.text[start:start + len(value)]`` is the value itself.
    exact: bool
    #: True for an item of a list, tuple or set; False for a whole value.
    item: bool


class LabelledStrings(NamedTuple):
    """What a walk found, and where the file could not be parsed."""

    strings: list[LabelledString]
    #: Top-level statements that no parser could read: (1-based line, text).
    unparsed: list[tuple[int, str]]


def labelled_strings(file: SourceFile,
                     hint: re.Pattern[str] | None = None) -> LabelledStrings:
    """Return every direct string of a Python file with its labels.

    A file the running interpreter cannot parse whole (newer or older
    syntax) is read one top-level statement at a time, so that a constant
    next to a ``type X = …`` statement is still found; libcst is not needed.

    :param hint:
        When given, statements whose source text does not match it are not
        walked (their labels could not name what the caller looks for).
    """
    try:
        trees = [parse_ast(file)]
        unparsed: list[tuple[int, str]] = []
    except PythonSyntaxError:
        trees, unparsed = _parse_statements(file.text)
    walker = _Walker(file, hint)
    strings = [s for tree in trees for s in walker.walk(tree)]
    return LabelledStrings(sorted(strings, key=lambda s: s.start), unparsed)


def _parse_statements(
    text: str,
) -> tuple[list[ast.Module], list[tuple[int, str]]]:
    """Parse each top-level statement on its own; return trees and failures."""
    lines = text.replace("\x00", " ").splitlines(keepends=True)
    starts = [
        index for index, line in enumerate(lines)
        if line[:1].strip() and not _CONTINUATION.match(line)
    ]
    trees: list[ast.Module] = []
    unparsed: list[tuple[int, str]] = []
    i = 0
    while i < len(starts):
        for j in range(i + 1, min(i + _MAX_MERGE, len(starts)) + 1):
            stop = starts[j] if j < len(starts) else len(lines)
            # Blank lines in front keep the tree's line numbers right.
            piece = "\n" * starts[i] + "".join(lines[starts[i] : stop])
            tree = _try_parse(piece)
            if tree is not None:
                trees.append(tree)
                i = j
                break
        else:
            stop = starts[i + 1] if i + 1 < len(starts) else len(lines)
            unparsed.append((starts[i] + 1, "".join(lines[starts[i] : stop])))
            i += 1
    return trees, unparsed


def _try_parse(text: str) -> ast.Module | None:
    try:
        return ast.parse(text)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return None


class _Walker:
    """Walk a tree without recursion, carrying labels down to the strings."""

    def __init__(self, file: SourceFile, hint: re.Pattern[str] | None) -> None:
        self.file = file
        self.hint = hint

    def walk(self, tree: ast.AST) -> Iterator[LabelledString]:
        stack: list[_Step] = [_Step(tree, (), False, False)]
        while stack:
            step = stack.pop()
            node = step.node
            if isinstance(node, ast.JoinedStr):
                continue  # a formatted string has no value we could judge
            if isinstance(node, ast.stmt) and not self._may_match(node):
                continue
            folded = _fold(node) if isinstance(node, ast.expr) else None
            if folded is not None and isinstance(node, ast.expr):
                if step.direct:
                    yield self._string(node, folded, step)
                continue
            stack.extend(reversed(list(_children(step))))

    def _may_match(self, statement: ast.stmt) -> bool:
        """Tell whether a statement's lines hold the hint (always, without one)."""
        if self.hint is None or statement.end_lineno is None:
            return True
        lines = self.file.lines
        start, _ = lines.line_span(statement.lineno)
        _, end = lines.line_span(statement.end_lineno)
        return self.hint.search(self.file.text, start, end) is not None

    def _string(self, node: ast.expr, value: str, step: _Step) -> LabelledString:
        """Place a string's content: the first character inside its quotes."""
        file = self.file
        start = node_offset(file, node.lineno, node.col_offset)
        end = start
        if node.end_lineno is not None and node.end_col_offset is not None:
            end = node_offset(file, node.end_lineno, node.end_col_offset)
        quote = _PREFIX_AND_QUOTE.match(file.text, start, end)
        if quote is None:
            return LabelledString(value, start, end, step.labels, False, step.item)
        content = quote.end()
        exact = file.text.startswith(value, content) and (
            file.text.startswith(quote.group(2), content + len(value))
        )
        return LabelledString(value, content, end, step.labels, exact, step.item)


class _Step(NamedTuple):
    """A node to visit, with the labels above it and how it is held."""

    node: ast.AST
    labels: Labels
    #: Reached through literal containers only (see the module docstring).
    direct: bool
    #: An item of a list, tuple or set.
    item: bool


def _children(step: _Step) -> Iterator[_Step]:
    """Yield the children of a step's node with their labels."""
    node, labels = step.node, step.labels
    if isinstance(node, (ast.Assign, ast.AnnAssign, ast.AugAssign)):
        targets = node.targets if isinstance(node, ast.Assign) else [node.target]
        if node.value is not None:
            yield _Step(node.value, (*labels, _target_label(targets[0])), True, False)
    elif isinstance(node, ast.Dict):
        for key, value in zip(node.keys, node.values):
            yield _Step(value, (*labels, _key_label(key)), True, False)
    elif isinstance(node, (ast.List, ast.Tuple, ast.Set)):
        for element in node.elts:
            yield _Step(element, labels, step.direct, True)
    elif isinstance(node, ast.Starred):
        yield _Step(node.value, labels, step.direct, step.item)
    elif isinstance(node, ast.IfExp):
        yield _Step(node.body, labels, step.direct, step.item)
        yield _Step(node.orelse, labels, step.direct, step.item)
    elif isinstance(node, ast.Call):
        yield from _call_children(node, step)
    elif isinstance(node, ast.ClassDef):
        for statement in node.body:
            yield _Step(statement, (*labels, node.name), False, False)
    else:
        for child in ast.iter_child_nodes(node):
            yield _Step(child, labels, False, False)


def _call_children(node: ast.Call, step: _Step) -> Iterator[_Step]:
    """Label a call's arguments with its callee, and keywords with their name."""
    func, labels = node.func, step.labels
    # "a b c".split() is a list of literal strings written as one string.
    if (isinstance(func, ast.Attribute) and func.attr in _SPLITTERS
            and _fold(func.value) is not None):
        yield _Step(func.value, labels, step.direct, step.item)
        return
    callee = dotted_name(func) or UNKNOWN
    yield _Step(func, labels, False, False)
    for argument in node.args:
        yield _Step(argument, (*labels, callee), True, False)
    for keyword in node.keywords:
        yield _Step(keyword.value, (*labels, callee, keyword.arg or "**"), True, False)


def _fold(node: ast.AST) -> str | None:
    """Return the value of a string literal or a ``+`` of them, else None."""
    parts: list[str] = []
    # NOTE: a stack, not recursion: a long "+" chain nests one level a piece.
    todo = [node]
    while todo:
        current = todo.pop()
        if isinstance(current, ast.BinOp) and isinstance(current.op, ast.Add):
            todo += [current.right, current.left]
        elif isinstance(current, ast.Constant) and isinstance(current.value, str):
            parts.append(current.value)
        else:
            return None
    return "".join(parts)


def dotted_name(node: ast.AST) -> str | None:
    """Return ``a.b.c`` for a name or attribute chain, else None."""
    parts: list[str] = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if not isinstance(node, ast.Name):
        return None
    parts.append(node.id)
    return ".".join(reversed(parts))


def _target_label(target: ast.AST) -> str:
    """Name an assignment target: ``X``, ``app.x`` or the key of ``d["X"]``."""
    if isinstance(target, ast.Subscript):
        key = target.slice
        if isinstance(key, ast.Constant) and isinstance(key.value, str):
            return key.value
    return dotted_name(target) or UNKNOWN


def _key_label(key: ast.expr | None) -> str:
    if isinstance(key, ast.Constant) and isinstance(key.value, str):
        return key.value
    return UNKNOWN
