"""Suppression hygiene PG901-PG903: reasons, unused codes, expiry, and what is judged."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from perkamo_guard.catalogue import expand_codes
from perkamo_guard.config import load_config
from perkamo_guard.engine import Scanner
from perkamo_guard.filter import Suppression
from tests.conftest import run_cli, scan, working_directory, write_tree

LIVE = "sk_live_" + "9Qv2Lr7Tx4Pz8Wm3Nb6Kc1Hd"
KEY_LINE = f'client = perkamo.Client("{LIVE}")'
WIDGET = {"web/package.json": '{"dependencies": {"vite": "5.0.0"}}'}


def _found(tmp_path: Path, files: dict[str, str | bytes],
           select: str = "ALL") -> set[tuple[str, int, int]]:
    write_tree(tmp_path, files)
    return {(f.rule, f.line, f.column) for f in scan(tmp_path, select=select).findings}


@pytest.mark.parametrize(
    ("files", "select", "expected"),
    [
        # A used suppression with a reason: nothing to say.
        ({"a.py": f"{KEY_LINE}  # perkamo-guard: ignore[PG103] revoked fixture\n"},
         "ALL", set()),
        # No reason: PG901 on the comment marker.
        ({"a.py": f"{KEY_LINE}  # perkamo-guard: ignore[PG103]\n"},
         "ALL", {("PG901", 1, 62)}),
        # A file with no rule trigger at all is still read for its comments.
        ({"a.py": "# perkamo-guard: ignore[PG103] old key\nx = 1\n"},
         "ALL", {("PG902", 1, 25)}),
        # Only the codes that ran are judged: PG103 was not selected.
        ({"a.py": "# perkamo-guard: ignore[PG103] old key\nx = 1\n"},
         "PG101,PG9", set()),
        # Hygiene itself can be left out.
        ({"a.py": "# perkamo-guard: ignore[PG103]\nx = 1\n"}, "PG1", set()),
        ({"a.py": "# perkamo-guard: ignore[PG103]\nx = 1\n"}, "PG901", {("PG901", 1, 1)}),
        # One code used, another not: PG902 on the unused one only.
        ({"a.py": f"{KEY_LINE}  # perkamo-guard: ignore[PG101, PG103] fixture\n"},
         "ALL", {("PG902", 1, 86)}),
        # A typo in a code, and a code that names no rule.
        ({"a.py": "x = 1  # perkamo-guard: ignore[PG1O3] fixture\n"},
         "ALL", {("PG902", 1, 32)}),
        ({"a.py": "x = 1  # perkamo-guard: ignore[] fixture\n"}, "ALL", {("PG902", 1, 8)}),
        # A hygiene finding cannot be hidden, not even by its own comment.
        ({"a.py": f"{KEY_LINE}  # perkamo-guard: ignore[PG103,PG901]\n"},
         "ALL", {("PG901", 1, 62), ("PG902", 1, 92)}),
        # Expired: the finding is back, and PG903 says why; no PG902 as well.
        ({"a.py": f"{KEY_LINE}  # perkamo-guard: ignore[PG103] until=2020-01-31 moved\n"},
         "ALL", {("PG103", 1, 26), ("PG903", 1, 93)}),
        ({"a.py": "x = 1  # perkamo-guard: ignore[PG103] until=2020-01-31 moved\n"},
         "ALL", {("PG903", 1, 39)}),
        ({"a.py": f"{KEY_LINE}  # perkamo-guard: ignore[PG103] until=2099-01-31 moved\n"},
         "ALL", set()),
        # Without PG903 selected, an expired suppression still hides nothing.
        ({"a.py": f"{KEY_LINE}  # perkamo-guard: ignore[PG103] until=2020-01-31 moved\n"},
         "PG1", {("PG103", 1, 26)}),
        # JS block comments and HTML comments are suppressions too.
        ({"web/src/a.ts": f'const k = "{LIVE}"; /* perkamo-guard: ignore[PG101] */\n', **WIDGET},
         "ALL", {("PG901", 1, 47)}),
        # Prose and JSON only quote the syntax.
        ({"docs/guide.md": "Write `# perkamo-guard: ignore[PG103]` and a reason.\n"}, "ALL", set()),
        ({"conf.json": '{"note": "# perkamo-guard: ignore[PG103]"}\n'}, "ALL", set()),
    ],
)
def test_suppression_hygiene(tmp_path: Path, files: dict[str, str | bytes], select: str,
                             expected: set[tuple[str, int, int]]) -> None:
    assert _found(tmp_path, files, select) == expected


def test_per_file_ignored_codes_are_not_judged_unused(tmp_path: Path) -> None:
    files: dict[str, str | bytes] = {
        ".perkamo-guard.toml": '[per-file-ignores]\n"scripts/*" = ["PG103"]\n',
        "scripts/seed.py": f"{KEY_LINE}  # perkamo-guard: ignore[PG103] seed data\n",
    }
    assert _found(tmp_path, files) == set()


def test_per_file_ignores_turn_hygiene_off_too(tmp_path: Path) -> None:
    files: dict[str, str | bytes] = {
        ".perkamo-guard.toml": '[per-file-ignores]\n"legacy/*" = ["PG9"]\n',
        "legacy/a.py": "# perkamo-guard: ignore[PG103]\nx = 1\n",
    }
    assert _found(tmp_path, files) == set()


@pytest.mark.parametrize(
    ("comment", "words"),
    [
        ("ignore[PG1O3] fixture", "'PG1O3', which is no perkamo-guard rule code"),
        ("ignore[PG103] fixture", "no PG103 finding on the line it covers"),
        ("ignore[PG903] fixture", "PG903 findings cannot be suppressed by a comment"),
        ("ignore[PG103] until=2020-02-30 fixture", "unreadable until= date '2020-02-30'"),
        ("ignore[PG103] until=2020-01-31 fixture", "expired on 2020-01-31"),
    ],
)
def test_hygiene_messages_name_the_problem(tmp_path: Path, comment: str, words: str) -> None:
    write_tree(tmp_path, {"a.py": f"x = 1  # perkamo-guard: {comment}\n"})
    messages = [f.message for f in scan(tmp_path).findings]
    assert len(messages) == 1 and words in messages[0], messages


def test_expiry_is_judged_against_the_given_day(tmp_path: Path) -> None:
    write_tree(tmp_path, {"a.py": f"{KEY_LINE}  # perkamo-guard: ignore[PG103] until=2030-06-30 x\n"})
    with working_directory(tmp_path):
        config = load_config()
        selected = expand_codes(["ALL"])
        last_day = Scanner(config, selected, today=date(2030, 6, 30)).scan(["."])
        day_after = Scanner(config, selected, today=date(2030, 7, 1)).scan(["."])
    assert last_day.findings == []
    assert sorted(f.rule for f in day_after.findings) == ["PG103", "PG903"]


@pytest.mark.parametrize(
    ("until", "until_text", "expired"),
    [(date(2030, 1, 1), "2030-01-01", False), (date(2020, 1, 1), "2020-01-01", True),
     (None, "", False), (None, "2020-13-01", True), (None, "soon", True)],
)
def test_suppression_expiry(until: date | None, until_text: str, expired: bool) -> None:
    suppression = Suppression(1, 1, ("PG103",), "why", until, False, until_text=until_text)
    assert suppression.is_expired(date(2025, 1, 1)) is expired


def test_select_on_the_command_line_keeps_other_suppressions_quiet(tmp_path: Path) -> None:
    write_tree(tmp_path, {"a.py": "x = 1  # perkamo-guard: ignore[PG104] env fixture\n"})
    proc = run_cli("check", "--select", "PG101,PG9", ".", cwd=tmp_path)
    assert (proc.returncode, proc.stdout) == (0, "No findings: 1 file scanned.\n")


def test_hygiene_findings_show_no_key(tmp_path: Path) -> None:
    write_tree(tmp_path, {"a.py": f"{KEY_LINE}  # perkamo-guard: ignore[PG103,PG101]\n"})
    proc = run_cli("check", ".", cwd=tmp_path)
    assert "PG901" in proc.stdout and "PG902" in proc.stdout
    assert LIVE not in proc.stdout + proc.stderr
