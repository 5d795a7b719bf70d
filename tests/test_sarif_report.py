"""SARIF output: valid against the OASIS schema, and what GitHub code scanning needs."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import jsonschema  # type: ignore[import-untyped]
import pytest

from perkamo_guard.catalogue import load_catalogue
from perkamo_guard.fingerprint import text_digest
from tests.conftest import REPO, run_cli, write_tree

SCHEMA = json.loads((REPO / "tests" / "fixtures" / "sarif-schema-2.1.0.json")
                    .read_text(encoding="utf-8"))
LIVE = "sk_live_" + "9Qv2Lr7Tx4Pz8Wm3Nb6Kc1Hd"
TEST = "sk_test_" + "Zr8Yq2Wx6Vu4Ts0Rp9On3Ml7"
TREE: dict[str, str | bytes] = {
    "server/client.py": f'import perkamo\nclient = perkamo.Client("{LIVE}")\n',
    "server/old.py": "x = 1  # perkamo-guard: ignore[PG103] removed key\n",
    "web/package.json": '{"dependencies": {"vite": "5.0.0"}}',
    "web/src/my widget#1.ts": f'export const k = "{TEST}";\n',
    "server/broken.py": b"\x00\x01\x02 not text",
}


def _sarif(root: Path, *args: str) -> dict[str, Any]:
    proc = run_cli("check", "--format", "sarif", *args, cwd=root)
    assert proc.returncode in (0, 1), proc.stderr
    assert LIVE[8:] not in proc.stdout and TEST[8:] not in proc.stdout
    document: dict[str, Any] = json.loads(proc.stdout)
    return document


@pytest.fixture
def sarif(tmp_path: Path) -> dict[str, Any]:
    write_tree(tmp_path, TREE)
    return _sarif(tmp_path)


def test_output_is_valid_sarif_2_1_0(sarif: dict[str, Any]) -> None:
    validator = jsonschema.Draft4Validator(
        SCHEMA, format_checker=jsonschema.Draft4Validator.FORMAT_CHECKER)
    errors = [f"{list(e.path)}: {e.message}" for e in validator.iter_errors(sarif)]
    assert errors == []
    assert sarif["version"] == "2.1.0"


def test_clean_run_is_valid_sarif_with_no_results(tmp_path: Path) -> None:
    write_tree(tmp_path, {"a.py": "x = 1\n"})
    document = _sarif(tmp_path)
    jsonschema.Draft4Validator(SCHEMA).validate(document)
    assert document["runs"][0]["results"] == []


def test_driver_carries_the_whole_rule_catalogue(sarif: dict[str, Any]) -> None:
    driver = sarif["runs"][0]["tool"]["driver"]
    assert (driver["name"], driver["version"]) == ("perkamo-guard", "0.1.0")
    assert driver["informationUri"].startswith("https://")
    catalogue = load_catalogue()
    assert [r["id"] for r in driver["rules"]] == list(catalogue)
    for descriptor in driver["rules"]:
        rule = catalogue[descriptor["id"]]
        assert descriptor["name"] == rule.name
        assert descriptor["shortDescription"]["text"] == rule.summary
        assert descriptor["fullDescription"]["text"]
        assert rule.fix.splitlines()[0] in descriptor["help"]["text"]
        assert "### Fix" in descriptor["help"]["markdown"]
        assert descriptor["defaultConfiguration"]["level"] == rule.severity


def test_results_point_at_rules_and_relative_locations(sarif: dict[str, Any]) -> None:
    run = sarif["runs"][0]
    rules = run["tool"]["driver"]["rules"]
    located = {}
    for result in run["results"]:
        assert rules[result["ruleIndex"]]["id"] == result["ruleId"]
        assert result["level"] == rules[result["ruleIndex"]]["defaultConfiguration"]["level"]
        assert result["message"]["text"]
        location = result["locations"][0]["physicalLocation"]
        assert location["artifactLocation"]["uriBaseId"] == "%SRCROOT%"
        located[result["ruleId"]] = (location["artifactLocation"]["uri"], location["region"])
    assert located["PG103"] == ("server/client.py", {
        "startLine": 2, "startColumn": 26, "endLine": 2, "endColumn": 58,
        "snippet": {"text": 'client = perkamo.Client("sk_live_\u2026c1Hd")'}})
    assert located["PG101"][0] == "web/src/my%20widget%231.ts"
    assert located["PG902"][0] == "server/old.py"
    assert run["columnKind"] == "unicodeCodePoints"
    assert run["originalUriBaseIds"]["%SRCROOT%"]["uri"].endswith("/")


def test_file_errors_are_tool_execution_notifications(sarif: dict[str, Any]) -> None:
    invocation = sarif["runs"][0]["invocations"][0]
    assert invocation["executionSuccessful"] is True
    [notice] = invocation["toolExecutionNotifications"]
    assert notice["level"] == "warning"
    assert notice["locations"][0]["physicalLocation"]["artifactLocation"] == {
        "uri": "server/broken.py", "uriBaseId": "%SRCROOT%"}
    assert "binary" in notice["message"]["text"]


def _prints(document: dict[str, Any]) -> dict[str, str]:
    return {r["ruleId"]: r["partialFingerprints"]["perkamoGuardFinding/v1"]
            for r in document["runs"][0]["results"]}


def test_fingerprints_are_stable_and_hold_no_secret(tmp_path: Path) -> None:
    write_tree(tmp_path, TREE)
    before = _prints(_sarif(tmp_path))
    moved = f'"""Client."""\n\nimport perkamo\n\nclient = perkamo.Client("{LIVE}")\n'
    write_tree(tmp_path, {"server/client.py": moved})
    after = _sarif(tmp_path)
    assert _prints(after) == before
    [moved_result] = [r for r in after["runs"][0]["results"] if r["ruleId"] == "PG103"]
    assert moved_result["locations"][0]["physicalLocation"]["region"]["startLine"] == 5
    text = json.dumps(after)
    assert text_digest(LIVE) not in text and LIVE[8:] not in text
