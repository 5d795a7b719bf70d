"""JUnit report: XML for the CI systems that read only test results."""

from __future__ import annotations

import xml.etree.ElementTree as ET

from perkamo_guard.lazy import lazy_compile
from perkamo_guard.model import FileError, Finding
from perkamo_guard.report import ReportInput, severity_of
from perkamo_guard.report.text_report import summary

#: Characters XML 1.0 forbids even as references; scanned text may hold them.
_NOT_XML = lazy_compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")
SUITE = "perkamo-guard"


def xml_safe(text: str) -> str:
    """Drop the characters that would make the document ill-formed."""
    return _NOT_XML.sub("", text)


def render(report: ReportInput) -> str:
    """Render one test suite: a failing test case a finding, an erroring one a file error."""
    result = report.result
    suite = ET.Element("testsuite", _counts(report))
    for finding in result.findings:
        suite.append(_finding_case(finding, report))
    for error in result.errors:
        suite.append(_error_case(error))
    if not result.findings and not result.errors:
        # NOTE: some CI systems reject a suite without test cases.
        ET.SubElement(suite, "testcase", classname=SUITE, name=summary(report))
    suites = ET.Element("testsuites", _counts(report))
    suites.append(suite)
    ET.indent(suites)
    return ET.tostring(suites, encoding="unicode", xml_declaration=True) + "\n"


def _counts(report: ReportInput) -> dict[str, str]:
    result = report.result
    tests = len(result.findings) + len(result.errors) or 1
    return {"name": SUITE, "tests": str(tests), "failures": str(len(result.findings)),
            "errors": str(len(result.errors)), "skipped": "0"}


def _finding_case(finding: Finding, report: ReportInput) -> ET.Element:
    rule = report.rules.get(finding.rule)
    name = f"{finding.rule} {rule.name}" if rule else finding.rule
    position = f"{finding.path}:{finding.line}:{finding.column}"
    case = ET.Element("testcase", {
        "classname": xml_safe(finding.path),
        "name": xml_safe(f"{name} at {position}"),
        "file": xml_safe(finding.path),
        "line": str(finding.line),
    })
    failure = ET.SubElement(case, "failure", {
        "type": f"{finding.rule} ({severity_of(report.rules, finding.rule)})",
        "message": xml_safe(finding.message),
    })
    body = f"{position}: {finding.rule} {finding.message}"
    failure.text = xml_safe(body + (f"\n    {finding.snippet}" if finding.snippet else ""))
    return case


def _error_case(error: FileError) -> ET.Element:
    case = ET.Element("testcase", {"classname": xml_safe(error.path),
                                   "name": xml_safe(f"read {error.path}"),
                                   "file": xml_safe(error.path)})
    failure = ET.SubElement(case, "error", {"type": "file-error",
                                            "message": xml_safe(error.message)})
    failure.text = xml_safe(f"{error.path}: {error.message}")
    return case
