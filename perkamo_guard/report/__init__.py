"""Report: one module per output format, each with a ``render`` function."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import NamedTuple

from perkamo_guard.catalogue import Rule
from perkamo_guard.engine import RunResult
from perkamo_guard.lazy import lazy_compile

FORMATS = ("text", "json", "sarif", "github", "gitlab", "junit")


class ReportInput(NamedTuple):
    """What every reporter gets: the run's result and the rule catalogue."""

    result: RunResult
    rules: Mapping[str, Rule]
    color: bool = False
    show_zones: bool = False
    statistics: bool = False
    quiet: bool = False


def get_renderer(name: str) -> Callable[[ReportInput], str]:
    """Import the reporter for a format only when it is used.

    Its output is defused for terminals and CI logs (see `defuse_output`),
    except GitHub's, whose lines are workflow commands that its reporter
    escapes itself.
    """
    import importlib

    module = importlib.import_module(f"{__name__}.{name}_report")
    render: Callable[[ReportInput], str] = module.render
    if name == "github":
        return render
    return lambda report: defuse_output(render(report), name)


#: Commands a CI runner obeys anywhere in a line: GitHub's legacy ``##[cmd]``
#: and Azure Pipelines' ``##vso[cmd]``.
_ANYWHERE = lazy_compile(r"##(?=\[|vso\[)", re.IGNORECASE)
#: GitHub's ``::cmd::`` counts only at the start of a line, after whitespace.
_LINE_START = lazy_compile(r"^([^\S\n]*):(?=:)", re.MULTILINE)
#: Characters a terminal acts on that JSON and XML writers leave raw: DEL,
#: C1 controls (U+009B is CSI), bidirectional marks and overrides.
_RAW = lazy_compile("[\x7f-\x9f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]")


def defuse_output(output: str, name: str) -> str:
    """Escape what a terminal or a CI runner would act on in a report.

    A report printed in a CI log is read line by line by the runner; a file
    name or snippet holding ``##[stop-commands]`` or ``::error::`` would
    otherwise be obeyed. JSON and XML reports keep their meaning exactly:
    ``#``, ``:`` and raw controls only ever sit in strings or text there,
    where an escape (``\\u0023``, ``&#35;``) is the same character. Text
    reports show a visible escape instead (``#\\x23``).
    """
    if name == "text":
        output = _ANYWHERE.sub(lambda match: "#\\x23", output)
        return _LINE_START.sub(lambda match: match.group(1) + "\\x3a", output)
    if name == "junit":
        output = _RAW.sub(lambda match: f"&#x{ord(match.group()):x};", output)
        output = _ANYWHERE.sub(lambda match: "#&#35;", output)
        return _LINE_START.sub(lambda match: match.group(1) + "&#58;", output)
    output = _RAW.sub(lambda match: f"\\u{ord(match.group()):04x}", output)
    return _ANYWHERE.sub(lambda match: "#\\u0023", output)


def severity_of(rules: Mapping[str, Rule], code: str) -> str:
    rule = rules.get(code)
    return rule.severity if rule else "warning"
