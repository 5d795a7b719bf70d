"""Parse stage: where the string literals of a Python or script file are.

Rules that look for URLs and routes in literals (PG401, PG402 and the scope
report) search the file's text inside these spans, so that a comment or a
docstring never counts. Both trees come from the per-file cache.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator

from perkamo_guard.model import Kind, SourceFile


def literal_spans(file: SourceFile) -> Iterator[tuple[int, int]]:
    """Yield the spans (quotes included) of the string literals of a file.

    Python docstrings and bare string statements are left out; f-strings
    and template literals count whole. A Python file that does not parse
    here yields nothing (the payload rules report it).
    """
    if file.kind is Kind.PYTHON:
        yield from _python_literals(file)
        return
    from perkamo_guard.parse.javascript import walk
    from perkamo_guard.parse.scripts import script_modules

    for module in script_modules(file):
        for node in walk(module.root):
            if node.type in ("string", "template_string"):
                yield module.span(node)


def _python_literals(file: SourceFile) -> Iterator[tuple[int, int]]:
    from perkamo_guard.parse.python import PythonSyntaxError, node_offset, parse_ast

    try:
        tree = parse_ast(file)
    except PythonSyntaxError:
        return
    inside: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Expr):
            inside.add(id(node.value))  # docstrings and bare strings say, not call
        elif isinstance(node, ast.JoinedStr):
            inside.update(id(value) for value in node.values)
        if isinstance(node, (ast.Constant, ast.JoinedStr)) and id(node) not in inside:
            if isinstance(node, ast.JoinedStr) or isinstance(node.value, str):
                start = node_offset(file, node.lineno, node.col_offset)
                end = node_offset(file, node.end_lineno or node.lineno,
                                  node.end_col_offset or node.col_offset)
                yield start, end
