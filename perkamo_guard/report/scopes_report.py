"""Scope report: per integration, its Perkamo endpoints, least scopes and keys.

Text for people and JSON for tools; the findings (PG601, PG602), file errors
and summary follow in the same shape as ``check`` prints them.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from perkamo_guard import __version__
from perkamo_guard.report import ReportInput
from perkamo_guard.scopes import SCOPES, Integration
from perkamo_guard.snippet import neutralise


@dataclass(frozen=True)
class ScopeReport:
    """The integrations of a run, the grants read, and the run's result."""

    integrations: Sequence[Integration]
    grants: dict[str, frozenset[str]] | None
    keys_file: str | None
    run: ReportInput


def render_text(report: ScopeReport) -> str:
    """One block per integration, then the findings and the summary."""
    from perkamo_guard.report.text_report import render

    blocks = [_text_block(i, report) for i in report.integrations]
    if not blocks:
        blocks = ["No Perkamo endpoint or server key found."]
    if report.keys_file:
        blocks.append(f"Granted scopes from {neutralise(report.keys_file)}.")
    return "\n\n".join(blocks) + "\n\n" + render(report.run)


def _text_block(integration: Integration, report: ScopeReport) -> str:
    lines = [neutralise(integration.name)]
    for endpoint in integration.endpoints.values():
        path, line = endpoint.places[0]
        where = f"{_within(path, integration)}:{line}"
        if len(endpoint.places) > 1:
            where += f" (+{len(endpoint.places) - 1} more)"
        lines.append(f"  {endpoint.method:<5}{endpoint.route:<28}{endpoint.scope:<16}"
                     f"{neutralise(where)}")
    if integration.endpoints:
        lines.append(f"  least scopes: {', '.join(integration.scopes)}")
    else:
        lines.append("  no Perkamo endpoint found in its code")
    for name in integration.keys:
        lines.append(f"  key {name}: {_grant_text(name, integration, report)}")
    return "\n".join(lines)


def _grant_text(name: str, integration: Integration, report: ScopeReport) -> str:
    if report.grants is None:
        return "granted scopes unknown (pass --keys FILE)"
    if name not in report.grants:
        return f"not in {neutralise(report.keys_file or 'the key-scope file')}"
    granted = _ordered(report.grants[name])
    unused = _unused(name, integration, report)
    tail = f" ({', '.join(unused)} unused)" if unused else ""
    return f"granted {', '.join(granted) or 'nothing'}{tail}"


def render_json(report: ScopeReport) -> str:
    """The scope report as one JSON document, with the ``check`` findings."""
    from perkamo_guard.report.json_report import render

    run: dict[str, Any] = json.loads(render(report.run))
    document: dict[str, Any] = {
        "tool": "perkamo-guard",
        "version": __version__,
        "keys_file": report.keys_file,
        "integrations": [_json_integration(i, report) for i in report.integrations],
        "findings": run["findings"],
        "errors": run["errors"],
        "summary": {**run["summary"], "integrations": len(report.integrations)},
    }
    return json.dumps(document, indent=2, ensure_ascii=False) + "\n"


def _json_integration(integration: Integration, report: ScopeReport) -> dict[str, Any]:
    return {
        "name": integration.name,
        "scopes": integration.scopes,
        "endpoints": [
            {"method": e.method, "route": e.route, "scope": e.scope,
             "locations": [{"path": path, "line": line} for path, line in e.places]}
            for e in integration.endpoints.values()
        ],
        "keys": [
            {"name": name, "path": first.path, "line": first.line,
             "column": first.column,
             "granted": _ordered(report.grants[name])
             if report.grants is not None and name in report.grants else None,
             "unused": _unused(name, integration, report)}
            for name, first in integration.keys.items()
        ],
    }


def _unused(name: str, integration: Integration, report: ScopeReport) -> list[str]:
    if report.grants is None or name not in report.grants or not integration.endpoints:
        return []
    return [s for s in _ordered(report.grants[name]) if s not in integration.scopes]


def _ordered(scopes: frozenset[str]) -> list[str]:
    return [scope for scope in SCOPES if scope in scopes]


def _within(path: str, integration: Integration) -> str:
    """Show a file's path inside its integration's folder."""
    prefix = integration.name.rstrip("/") + "/"
    if integration.name != "." and path.startswith(prefix):
        return path[len(prefix):]
    return path


def display_keys_file(path: Path | None, cwd: Path) -> str | None:
    """Show the key-scope file as the findings show paths."""
    from perkamo_guard.discover import display_path

    return display_path(path.resolve(), cwd) if path is not None else None
