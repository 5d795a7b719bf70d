"""GitLab Code Quality output: the documented fields, mapped severities, stable fingerprints."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import jsonschema  # type: ignore[import-untyped]

from tests.conftest import run_cli, write_tree

LIVE = "sk_live_" + "9Qv2Lr7Tx4Pz8Wm3Nb6Kc1Hd"
CLIENT = f'import perkamo\nclient = perkamo.Client("{LIVE}")\n'

#: The fields GitLab's Code Quality report documents as required, and their types.
CODE_QUALITY = {
    "type": "array",
    "items": {
        "type": "object",
        "required": ["description", "check_name", "fingerprint", "severity", "location"],
        "properties": {
            "description": {"type": "string", "minLength": 1},
            "check_name": {"type": "string", "minLength": 1},
            "fingerprint": {"type": "string", "minLength": 1},
            "severity": {"enum": ["info", "minor", "major", "critical", "blocker"]},
            "location": {
                "type": "object",
                "required": ["path", "lines"],
                "properties": {
                    "path": {"type": "string"},
                    "lines": {"type": "object", "required": ["begin"],
                              "properties": {"begin": {"type": "integer", "minimum": 1}}},
                },
            },
        },
    },
}


def _report(root: Path) -> list[dict[str, Any]]:
    proc = run_cli("check", "--format", "gitlab", cwd=root)
    assert proc.returncode == 1, proc.stderr
    assert LIVE not in proc.stdout
    issues: list[dict[str, Any]] = json.loads(proc.stdout)
    jsonschema.validate(issues, CODE_QUALITY)
    return issues


def test_findings_and_file_errors_follow_the_code_quality_shape(tmp_path: Path) -> None:
    write_tree(tmp_path, {
        "server/client.py": CLIENT,
        "server/old.py": "x = 1  # perkamo-guard: ignore[PG103] gone\n",
        "server/broken.py": b"\x00\x01 binary",
    })
    issues = _report(tmp_path)
    summary = [(i["check_name"], i["severity"], i["location"]["path"],
                i["location"]["lines"]["begin"]) for i in issues]
    assert summary == [
        ("PG103 hardcoded-server-key", "critical", "server/client.py", 2),
        ("PG902 unused-suppression", "minor", "server/old.py", 1),
        ("perkamo-guard-file-error", "info", "server/broken.py", 1),
    ]
    assert issues[0]["description"].startswith("PG103: hardcoded live Perkamo server key")
    assert len({i["fingerprint"] for i in issues}) == len(issues)


def test_fingerprints_survive_moves_and_separate_identical_mistakes(tmp_path: Path) -> None:
    write_tree(tmp_path, {"server/client.py": CLIENT + CLIENT})
    before = [i["fingerprint"] for i in _report(tmp_path)]
    write_tree(tmp_path, {"server/client.py": "\n\n" + CLIENT + "\n" + CLIENT})
    after = [i["fingerprint"] for i in _report(tmp_path)]
    assert before == after and len(set(before)) == 2
