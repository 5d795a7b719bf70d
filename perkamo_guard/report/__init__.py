"""Report: one module per output format, each with a ``render`` function."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from perkamo_guard.catalogue import Rule
from perkamo_guard.engine import RunResult

FORMATS = ("text", "json", "sarif", "github", "gitlab", "junit")


@dataclass(frozen=True)
class ReportInput:
    """What every reporter gets: the run's result and the rule catalogue."""

    result: RunResult
    rules: dict[str, Rule]
    color: bool = False
    show_zones: bool = False
    statistics: bool = False
    quiet: bool = False


def get_renderer(name: str) -> Callable[[ReportInput], str]:
    """Import the reporter for a format only when it is used."""
    import importlib

    module = importlib.import_module(f"{__name__}.{name}_report")
    render: Callable[[ReportInput], str] = module.render
    return render


def severity_of(rules: dict[str, Rule], code: str) -> str:
    rule = rules.get(code)
    return rule.severity if rule else "warning"
