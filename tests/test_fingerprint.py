"""Fingerprints: stable under moves, distinct for distinct mistakes, free of secrets."""

from __future__ import annotations

import pytest

from perkamo_guard.fingerprint import fingerprint, fingerprint_findings, text_digest
from perkamo_guard.model import Finding

LIVE = "sk_live_" + "9Qv2Lr7Tx4Pz8Wm3Nb6Kc1Hd"
OTHER = "sk_live_" + "Pz8Wm3Nb6Kc1Hd9Qv2Lr7Tx4"


def _finding(line: int, secret: str = LIVE, rule: str = "PG103", path: str = "a.py") -> Finding:
    return Finding(path, line, 5, rule, line, 37, "message", "snippet", secret)


def _prints(*findings: Finding) -> list[str]:
    return [fp for _, fp in fingerprint_findings(findings)]


def test_fingerprint_ignores_line_and_column() -> None:
    moved = Finding("a.py", 40, 9, "PG103", 40, 41, "other words", "", LIVE)
    assert _prints(_finding(2)) == _prints(moved)


@pytest.mark.parametrize(
    "changed",
    [_finding(2, secret=OTHER), _finding(2, rule="PG101"), _finding(2, path="b.py")],
)
def test_fingerprint_changes_with_rule_path_or_text(changed: Finding) -> None:
    assert _prints(_finding(2)) != _prints(changed)


def test_identical_mistakes_in_one_file_get_distinct_fingerprints() -> None:
    first, second = _prints(_finding(2), _finding(9))
    assert first != second
    # The first occurrence keeps its fingerprint when a second one appears.
    assert first == _prints(_finding(7))[0]


def test_fingerprint_holds_no_secret_and_no_plain_hash_of_it() -> None:
    value = fingerprint("PG103", "a.py", LIVE, 0)
    assert LIVE not in value and LIVE[8:20] not in value
    assert value not in text_digest(LIVE)
    assert len(value) == 32 and int(value, 16) >= 0


def test_fingerprint_survives_undecodable_text() -> None:
    assert fingerprint("PG103", "a.py", "bad \udcff byte", 0)
