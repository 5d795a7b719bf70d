"""Retry rules PG501-PG504: retries around Perkamo calls that double-count or hammer.

The Perkamo calls come from the shared sink detection; ``perkamo_guard.retry``
finds the retried blocks around them and judges each. Files without a
Perkamo call are never analysed, and neither are retry settings in them.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from typing import TYPE_CHECKING

from perkamo_guard.checks import Context
from perkamo_guard.model import Finding, Kind, SourceFile
from perkamo_guard.sinks import SinkCall, find_sinks

if TYPE_CHECKING:
    # NOTE: the retry analysis is imported by _hits, on files with a
    # Perkamo call; the pre-commit path rarely has one.
    from perkamo_guard.retry import Hit


def check(file: SourceFile, ctx: Context) -> Iterator[Finding]:
    """Report unsafe retries around the Perkamo calls of one file."""
    from perkamo_guard.parse.python import PythonSyntaxError

    try:
        sinks = find_sinks(file, ctx.config)
    except PythonSyntaxError:
        return  # the payload rules report the file error
    if not sinks:
        return
    hits: dict[tuple[str, int], Hit] = {}
    for hit in _hits(file, sinks):
        hits.setdefault((hit.code, hit.span[0]), hit)
    for hit in hits.values():
        yield ctx.finding(file, hit.code, hit.span[0], hit.span[1], hit.message)


def _hits(file: SourceFile, sinks: list[SinkCall]) -> list[Hit]:
    if file.kind is Kind.PYTHON:
        from perkamo_guard.retry import python

        tree = sinks[0].module
        return python.find_hits(file, tree, sinks) if isinstance(tree, ast.Module) else []
    from perkamo_guard.parse.javascript import JsModule
    from perkamo_guard.retry import javascript

    hits: list[Hit] = []
    by_module: dict[int, list[SinkCall]] = {}
    for sink in sinks:
        by_module.setdefault(id(sink.module), []).append(sink)
    for group in by_module.values():
        module = group[0].module
        if isinstance(module, JsModule):
            hits += javascript.find_hits(module, group)
    return hits
