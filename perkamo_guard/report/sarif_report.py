"""SARIF 2.1.0 report, shaped for GitHub code scanning and other SARIF viewers."""

from __future__ import annotations

import json
from pathlib import Path, PurePosixPath
from typing import Any
from urllib.parse import quote

from perkamo_guard import __version__
from perkamo_guard.catalogue import Example, Rule
from perkamo_guard.fingerprint import fingerprint_findings
from perkamo_guard.keys import mask_keys
from perkamo_guard.model import FileError, Finding
from perkamo_guard.report import ReportInput, severity_of

SCHEMA_URI = ("https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/"
              "sarif-schema-2.1.0.json")
INFORMATION_URI = "https://github.com/perkamo/perkamo-guard"
#: The key of our fingerprint in ``partialFingerprints``; versioned with its recipe.
FINGERPRINT_KEY = "perkamoGuardFinding/v1"
SOURCE_ROOT = "%SRCROOT%"
#: GitHub ranks security alerts by this score (9.0 and up is critical).
_SECURITY_SEVERITY = {"error": "8.0", "warning": "5.0"}


def render(report: ReportInput) -> str:
    """Render the run as one SARIF log with one run."""
    rules = list(report.rules.values())
    index = {rule.code: position for position, rule in enumerate(rules)}
    run: dict[str, Any] = {
        "tool": {"driver": _driver(rules)},
        "invocations": [_invocation(report.result.errors)],
        "originalUriBaseIds": {SOURCE_ROOT: {"uri": Path.cwd().resolve().as_uri() + "/"}},
        # NOTE: our columns count characters; SARIF's default is UTF-16 units.
        "columnKind": "unicodeCodePoints",
        "results": [
            _result(finding, fingerprint, index, report)
            for finding, fingerprint in fingerprint_findings(report.result.findings)
        ],
    }
    document = {"$schema": SCHEMA_URI, "version": "2.1.0", "runs": [run]}
    return json.dumps(document, indent=2, ensure_ascii=False) + "\n"


def _driver(rules: list[Rule]) -> dict[str, Any]:
    return {
        "name": "perkamo-guard",
        "version": __version__,
        "semanticVersion": __version__,
        "informationUri": INFORMATION_URI,
        "rules": [_descriptor(rule) for rule in rules],
    }


def _descriptor(rule: Rule) -> dict[str, Any]:
    """Describe one rule from its rule file."""
    properties: dict[str, Any] = {"tags": _tags(rule), "precision": "high"}
    if not rule.code.startswith("PG9"):
        properties["security-severity"] = _SECURITY_SEVERITY[rule.severity]
    return {
        "id": rule.code,
        "name": rule.name,
        "shortDescription": {"text": rule.summary},
        "fullDescription": {"text": _unwrap(_paragraphs(rule.rationale)[0])},
        "help": {"text": _help_text(rule), "markdown": _help_markdown(rule)},
        "defaultConfiguration": {"level": rule.severity},
        "properties": properties,
    }


def _tags(rule: Rule) -> list[str]:
    return ["maintainability"] if rule.code.startswith("PG9") else ["security", "perkamo"]


def _help_text(rule: Rule) -> str:
    return f"{rule.rationale}\n\nFix:\n{rule.fix}"


def _help_markdown(rule: Rule) -> str:
    """The rule's page: rationale, fix and its first examples, keys masked."""
    parts = [f"**{rule.code} {rule.name}** ({rule.severity})", rule.rationale,
             "### Fix", rule.fix]
    for title, examples in (("Flagged", rule.invalid), ("Not flagged", rule.valid)):
        if examples:
            parts.extend([f"### {title}", _example_markdown(examples[0])])
    return "\n\n".join(parts)


def _example_markdown(example: Example) -> str:
    # Example keys are invented, but no output of ours holds a whole key.
    code = mask_keys(example.code.rstrip("\n"))
    fence = "~~~~" if "```" in code else "```"
    return f"`{example.path}`:\n\n{fence}\n{code}\n{fence}"


def _paragraphs(text: str) -> list[str]:
    return [p for p in text.split("\n\n") if p.strip()] or [text]


def _unwrap(paragraph: str) -> str:
    return " ".join(line.strip() for line in paragraph.splitlines() if line.strip())


def _result(finding: Finding, fingerprint: str, index: dict[str, int],
            report: ReportInput) -> dict[str, Any]:
    region: dict[str, Any] = {
        "startLine": finding.line,
        "startColumn": finding.column,
        "endLine": finding.end_line,
        "endColumn": finding.end_column,
    }
    if finding.snippet:
        region["snippet"] = {"text": finding.snippet}
    result: dict[str, Any] = {"ruleId": finding.rule}
    if finding.rule in index:
        result["ruleIndex"] = index[finding.rule]
    result.update({
        "level": severity_of(report.rules, finding.rule),
        "message": {"text": finding.message},
        "locations": [{"physicalLocation": {"artifactLocation": artifact(finding.path),
                                            "region": region}}],
        "partialFingerprints": {FINGERPRINT_KEY: fingerprint},
    })
    return result


def _invocation(errors: list[FileError]) -> dict[str, Any]:
    """The run itself: it completed, and these files could not be read fully."""
    return {
        "executionSuccessful": True,
        "toolExecutionNotifications": [
            {
                "level": "warning",
                "message": {"text": error.message},
                "locations": [{"physicalLocation": {"artifactLocation": artifact(error.path)}}],
                "descriptor": {"id": "file-error"},
            }
            for error in errors
        ],
    }


def artifact(path: str) -> dict[str, str]:
    """Locate a file: relative to ``%SRCROOT%``, or by absolute URI outside it."""
    posix = PurePosixPath(path)
    if posix.is_absolute():
        return {"uri": Path(path).as_uri()}
    return {"uri": quote(posix.as_posix(), safe="/"), "uriBaseId": SOURCE_ROOT}
