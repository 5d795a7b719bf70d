"""Baseline: record today's findings, then report only new ones, across edits."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from perkamo_guard import baseline
from tests.conftest import run_cli, write_tree

LIVE = "sk_live_" + "9Qv2Lr7Tx4Pz8Wm3Nb6Kc1Hd"
OTHER = "sk_live_" + "Pz8Wm3Nb6Kc1Hd9Qv2Lr7Tx4"
CLIENT = f'import perkamo\nclient = perkamo.Client("{LIVE}")\n'
FILE = ".perkamo-guard-baseline.json"


def _record(root: Path, *args: str) -> None:
    proc = run_cli("baseline", *args, cwd=root)
    assert proc.returncode == 0, proc.stderr


def _check(root: Path, *args: str) -> tuple[int, str]:
    proc = run_cli("check", "--baseline", FILE, *args, cwd=root)
    return proc.returncode, proc.stdout


def test_baseline_hides_recorded_findings(tmp_path: Path) -> None:
    write_tree(tmp_path, {"server/client.py": CLIENT})
    _record(tmp_path)
    assert _check(tmp_path) == (0, (
        "No findings: 2 files scanned "
        "(1 hidden by the baseline, 0 baseline entries no longer match).\n"))


@pytest.mark.parametrize(
    "edited",
    [
        "# a comment\n\n\n" + CLIENT,
        CLIENT.replace("client =", "perkamo_client =") + "\nprint('more code')\n",
        CLIENT.replace("\n", "\r\n"),
    ],
    ids=["lines-inserted-above", "line-edited-around-the-key", "line-endings-changed"],
)
def test_baseline_survives_edits_around_the_finding(tmp_path: Path, edited: str) -> None:
    write_tree(tmp_path, {"server/client.py": CLIENT})
    _record(tmp_path)
    write_tree(tmp_path, {"server/client.py": edited})
    assert _check(tmp_path)[0] == 0


def test_a_different_key_on_a_baselined_line_is_reported(tmp_path: Path) -> None:
    write_tree(tmp_path, {"server/client.py": CLIENT})
    _record(tmp_path)
    write_tree(tmp_path, {"server/client.py": CLIENT.replace(LIVE, OTHER)})
    status, out = _check(tmp_path)
    assert status == 1
    assert out.startswith("server/client.py:2:26: PG103 ")
    assert out.endswith("(0 hidden by the baseline, 1 baseline entry no longer matches).\n")


def test_a_second_identical_mistake_is_new(tmp_path: Path) -> None:
    write_tree(tmp_path, {"server/client.py": CLIENT})
    _record(tmp_path)
    write_tree(tmp_path, {"server/client.py": CLIENT + f'backup = "{LIVE}"\n'})
    status, out = _check(tmp_path)
    assert status == 1 and "1 hidden by the baseline" in out
    assert out.count("PG103") == 1


def test_fixed_findings_count_as_entries_no_longer_matching(tmp_path: Path) -> None:
    write_tree(tmp_path, {"server/client.py": CLIENT, "server/b.py": CLIENT})
    _record(tmp_path)
    write_tree(tmp_path, {"server/b.py": "import os\n"})
    assert _check(tmp_path) == (0, (
        "No findings: 3 files scanned "
        "(1 hidden by the baseline, 1 baseline entry no longer matches).\n"))
    # Entries for files this run did not look at are not counted as stale.
    assert _check(tmp_path, "server/client.py")[1].endswith(
        "(1 hidden by the baseline, 0 baseline entries no longer match).\n")


def test_baseline_file_is_sorted_one_entry_a_line_without_lines_or_secrets(
        tmp_path: Path) -> None:
    write_tree(tmp_path, {"b/client.py": CLIENT, "a/client.py": CLIENT + CLIENT})
    _record(tmp_path)
    text = (tmp_path / FILE).read_text(encoding="utf-8")
    lines = text.splitlines()
    assert lines[:3] == ["{", '  "perkamo-guard-baseline": 1,', '  "entries": [']
    entries = [json.loads(line.strip().rstrip(",")) for line in lines[3:-2]]
    assert [(e["path"], e["rule"]) for e in entries] == [
        ("a/client.py", "PG103"), ("a/client.py", "PG103"), ("b/client.py", "PG103")]
    assert entries[:2] == sorted(entries[:2], key=lambda e: e["fingerprint"])
    assert all(set(e) == {"path", "rule", "fingerprint"} for e in entries)
    assert LIVE not in text and LIVE[8:] not in text
    assert lines[-2:] == ["  ]", "}"]


def test_baseline_works_from_another_working_directory(tmp_path: Path) -> None:
    write_tree(tmp_path, {"server/client.py": CLIENT})
    _record(tmp_path)
    proc = run_cli("check", "--baseline", f"../{FILE}", ".", cwd=tmp_path / "server")
    assert proc.returncode == 0, proc.stdout


def test_empty_baseline_round_trips() -> None:
    assert baseline.dump([]) == '{\n  "perkamo-guard-baseline": 1,\n  "entries": []\n}\n'


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (None, "baseline file not found"),
        ("not json", "cannot read baseline file"),
        ('{"entries": []}', "is not a perkamo-guard baseline"),
        ('{"perkamo-guard-baseline": 1, "entries": [{"path": "a"}]}',
         "entry 1 needs path, rule and fingerprint"),
    ],
)
def test_unusable_baseline_is_an_error(tmp_path: Path, content: str | None,
                                       message: str) -> None:
    write_tree(tmp_path, {"server/client.py": CLIENT})
    if content is not None:
        write_tree(tmp_path, {FILE: content})
    proc = run_cli("check", "--baseline", FILE, cwd=tmp_path)
    assert proc.returncode == 2
    assert message in proc.stderr


def test_baseline_command_reports_what_it_recorded(tmp_path: Path) -> None:
    write_tree(tmp_path, {"server/client.py": CLIENT})
    proc = run_cli("baseline", "--output", "ci/accepted.json", cwd=tmp_path)
    assert (proc.returncode, proc.stdout) == (
        0, "Recorded 1 finding in ci/accepted.json (1 file scanned).\n")
    assert LIVE not in proc.stdout + proc.stderr


def test_json_summary_counts_the_baseline(tmp_path: Path) -> None:
    write_tree(tmp_path, {"server/client.py": CLIENT})
    _record(tmp_path)
    proc = run_cli("check", "--baseline", FILE, "--format", "json", cwd=tmp_path)
    summary = json.loads(proc.stdout)["summary"]
    assert summary["baseline"] == {"hidden": 1, "unmatched": 0}
