"""JUnit XML: well-formed whatever the scanned files hold, one test case a finding."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from perkamo_guard.report.junit_report import xml_safe
from tests.conftest import run_cli, write_tree

LIVE = "sk_live_" + "9Qv2Lr7Tx4Pz8Wm3Nb6Kc1Hd"


def _junit(root: Path) -> ET.Element:
    proc = run_cli("check", "--format", "junit", cwd=root)
    assert proc.returncode in (0, 1), proc.stderr
    assert proc.stdout.startswith("<?xml version='1.0' encoding='utf-8'?>\n")
    assert LIVE not in proc.stdout
    return ET.fromstring(proc.stdout)


def test_each_finding_is_a_failing_test_case(tmp_path: Path) -> None:
    write_tree(tmp_path, {
        "server/client.py": f'import perkamo\nclient = perkamo.Client("{LIVE}")\n',
        "server/broken.py": b"\x00\x01 binary",
    })
    suites = _junit(tmp_path)
    [suite] = suites
    assert (suite.get("tests"), suite.get("failures"), suite.get("errors")) == ("2", "1", "1")
    finding, error = suite
    assert finding.get("classname") == "server/client.py"
    assert finding.get("name") == "PG103 hardcoded-server-key at server/client.py:2:26"
    failure = finding.find("failure")
    assert failure is not None and failure.get("type") == "PG103 (error)"
    assert failure.text is not None and failure.text.startswith(
        "server/client.py:2:26: PG103 hardcoded live Perkamo server key sk_live_\u2026c1Hd")
    assert error.find("error") is not None


def test_clean_run_has_one_passing_test_case(tmp_path: Path) -> None:
    write_tree(tmp_path, {"a.py": "x = 1\n"})
    [suite] = _junit(tmp_path)
    assert [(c.tag, list(c)) for c in suite] == [("testcase", [])]
    assert suite.get("failures") == "0"


def test_control_characters_in_content_keep_the_xml_well_formed(tmp_path: Path) -> None:
    write_tree(tmp_path, {
        "bad\x01\x1b[31mname.py": f'KEY = "{LIVE}"\n',
        "a.py": "x = 1  # perkamo-guard: ignore[PG\x0b1\x7f\ufffe] why\n",
    })
    [suite] = _junit(tmp_path)
    assert suite.get("failures") == "2"


@pytest.mark.parametrize(
    ("text", "safe"),
    [("plain", "plain"), ("tab\tnl\ncr\r", "tab\tnl\ncr\r"), ("a\x00b\x0bc\x1fd", "abcd"),
     ("\ufffe\uffff\ud800x", "x"), ("emoji \U0001f600", "emoji \U0001f600")],
)
def test_xml_safe_drops_only_forbidden_characters(text: str, safe: str) -> None:
    assert xml_safe(text) == safe
