"""Python trees: the standard ``ast`` first, libcst for newer syntax."""

from __future__ import annotations

import ast
import warnings
from collections.abc import Iterator
from typing import NamedTuple

from perkamo_guard.log import get_logger
from perkamo_guard.model import SourceFile

logger = get_logger(__name__)


class PyString(NamedTuple):
    """A string constant, folded over implicit and ``+`` concatenation."""

    value: str
    #: Character offset of the first piece's node in the file.
    start: int
    end: int
    pieces: int


#: ``ast`` refusals for nesting; libcst takes minutes on such input, if it ends.
_TOO_DEEP = ("too many nested parentheses", "too many statically nested blocks")


class PythonSyntaxError(Exception):
    """The running interpreter's ``ast`` cannot parse the file."""

    def __init__(self, message: str, too_deep: bool = False) -> None:
        super().__init__(message)
        #: The file nests too deeply for any parser, not just for this ``ast``.
        self.too_deep = too_deep


def parse_ast(file: SourceFile) -> ast.Module:
    """Parse ``file`` with the standard ``ast`` once, caching the tree.

    :raises PythonSyntaxError: when the file does not parse here.
    """
    cached = file.cache.get("ast")
    if isinstance(cached, ast.Module):
        return cached
    if isinstance(cached, PythonSyntaxError):
        raise cached
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            tree = ast.parse(file.text.replace("\x00", " "), filename=file.display)
    except (SyntaxError, ValueError, RecursionError, MemoryError) as exc:
        too_deep = not isinstance(exc, SyntaxError) or exc.msg in _TOO_DEEP
        error = PythonSyntaxError(_describe(exc), too_deep)
        file.cache["ast"] = error
        raise error from exc
    file.cache["ast"] = tree
    return tree


def _describe(exc: BaseException) -> str:
    if isinstance(exc, SyntaxError):
        return f"Python syntax error at line {exc.lineno}: {exc.msg}"
    return f"cannot parse Python: {type(exc).__name__}"


def node_offset(file: SourceFile, lineno: int, col_offset: int) -> int:
    """Convert an ``ast`` position (UTF-8 byte column) to a character offset."""
    line_start, line_end = file.lines.line_span(lineno)
    line = file.text[line_start:line_end]
    if line.isascii():
        return line_start + col_offset
    prefix = line.encode("utf-8", "surrogatepass")[:col_offset]
    return line_start + len(prefix.decode("utf-8", "replace"))


def ast_strings(file: SourceFile, tree: ast.Module) -> Iterator[PyString]:
    """Yield every string constant and ``"a" + "b"`` fold, with positions."""
    folded: set[int] = set()
    for node in ast.walk(tree):
        if id(node) in folded:
            continue
        value = _fold(node, folded)
        if value is None or not isinstance(node, ast.expr):
            continue
        if node.end_lineno is None or node.end_col_offset is None:
            continue
        start = node_offset(file, node.lineno, node.col_offset)
        end = node_offset(file, node.end_lineno, node.end_col_offset)
        yield PyString(value, start, end, 1 if isinstance(node, ast.Constant) else 2)


def _fold(node: ast.AST, folded: set[int]) -> str | None:
    """Return the value of a string constant or a ``+`` chain of them, else None.

    The chain is walked with a stack: a generated file may add thousands of
    literals, deeper than Python's recursion limit.
    """
    pieces: list[str] = []
    inner: list[int] = []
    todo = [node]
    while todo:
        current = todo.pop()
        if isinstance(current, ast.Constant) and isinstance(current.value, (str, bytes)):
            value = current.value
            pieces.append(value if isinstance(value, str) else value.decode("latin-1"))
        elif isinstance(current, ast.BinOp) and isinstance(current.op, ast.Add):
            todo.extend((current.right, current.left))
        else:
            return None
        inner.append(id(current))
    folded.update(inner[1:])
    return "".join(pieces)


def cst_strings(file: SourceFile) -> Iterator[PyString]:
    """Yield concatenated string constants using libcst (newer syntax).

    libcst is imported here only: its import alone costs more than a whole
    pre-commit run, so only files the ``ast`` cannot read pay for it.
    """
    refused = file.cache.get("ast")
    if isinstance(refused, PythonSyntaxError) and refused.too_deep:
        raise refused
    import libcst
    from libcst.metadata import MetadataWrapper, PositionProvider

    module = libcst.parse_module(file.text)
    wrapper = MetadataWrapper(module, unsafe_skip_copy=True)
    positions = wrapper.resolve(PositionProvider)
    for node, where in positions.items():
        if isinstance(node, libcst.ConcatenatedString | libcst.BinaryOperation):
            value = _cst_value(node)
            if value is not None:
                start = file.lines.offset(where.start.line, where.start.column + 1)
                end = file.lines.offset(where.end.line, where.end.column + 1)
                yield PyString(value, start, end, 2)


def _cst_value(node: object) -> str | None:
    import libcst

    if isinstance(node, libcst.SimpleString):
        value = node.evaluated_value
        return value if isinstance(value, str) else None
    if isinstance(node, libcst.ConcatenatedString):
        left, right = _cst_value(node.left), _cst_value(node.right)
        return left + right if left is not None and right is not None else None
    if isinstance(node, libcst.BinaryOperation) and isinstance(
        node.operator, libcst.Add
    ):
        left, right = _cst_value(node.left), _cst_value(node.right)
        return left + right if left is not None and right is not None else None
    return None
