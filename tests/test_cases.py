"""The real-world cases of ../shared/cases, copied byte for byte into tests/cases."""

from __future__ import annotations

import filecmp
import json
import shutil
from pathlib import Path

import pytest

from tests.conftest import REPO, scan

CASES = REPO / "tests" / "cases"
SHARED = REPO.parent / "shared" / "cases"
CONTRACT = {f"PG{n}" for n in (101, 102, 103, 104, 201, 202, 203, 204, 205, 301, 302, 303)}

#: Cases that wait for a rule family still to be built: they must fail today
#: (strict), so that the day they pass, this table is trimmed.
PENDING: dict[str, str] = {
}


def _case_names() -> list[pytest.param]:  # type: ignore[valid-type]
    names = sorted(p.parent.name for p in CASES.glob("*/expected.json"))
    return [
        pytest.param(name, marks=pytest.mark.xfail(reason=PENDING[name], strict=True))
        if name in PENDING else name
        for name in names
    ]


def _triples(entries: list[dict]) -> dict[tuple[str, str, int], set[int] | None]:
    table: dict[tuple[str, str, int], set[int] | None] = {}
    for entry in entries:
        key = (entry["rule"], entry["path"], entry["line"])
        column = entry.get("column")
        columns = None if column is None else set([column] if isinstance(column, int) else column)
        old = table.get(key, set())
        table[key] = None if old is None or columns is None else old | columns
    return table


@pytest.mark.parametrize("name", _case_names())
def test_case_gives_its_expected_findings(name: str, tmp_path: Path) -> None:
    source = CASES / name
    expected = json.loads((source / "expected.json").read_text(encoding="utf-8"))
    work = tmp_path / name
    shutil.copytree(source, work, symlinks=True,
                    ignore=lambda d, names: [n for n in names if n in ("CASE.md", "expected.json")]
                    if Path(d) == source else [])
    result = scan(work)

    must, may = _triples(expected["must"]), _triples(expected["may"])
    judged = CONTRACT | {rule for rule, _, _ in [*must, *may]}
    reported: dict[tuple[str, str, int], set[int]] = {}
    for finding in result.findings:
        if finding.rule in judged:
            reported.setdefault((finding.rule, finding.path, finding.line), set()).add(finding.column)

    missed = [t for t, cols in must.items()
              if t not in reported or (cols is not None and not reported[t] & cols)]
    allowed = {**may, **must}
    false_positives = [
        (t, sorted(cols)) for t, cols in reported.items()
        if t not in allowed or (allowed[t] is not None and cols - allowed[t])  # type: ignore[operator]
    ]
    assert (missed, false_positives) == ([], [])


def test_every_shared_case_is_copied_byte_for_byte() -> None:
    if not SHARED.is_dir():
        pytest.skip("../shared/cases is not beside this checkout")
    for case in sorted(p.parent for p in SHARED.glob("*/expected.json")):
        copy = CASES / case.name
        assert copy.is_dir(), f"case {case.name} is not copied into tests/cases"
        comparison = filecmp.dircmp(case, copy)
        _assert_same(comparison, case.name)


def _assert_same(comparison: filecmp.dircmp[str], where: str) -> None:
    assert not comparison.left_only and not comparison.right_only, where
    _, mismatch, errors = filecmp.cmpfiles(comparison.left, comparison.right,
                                           comparison.common_files, shallow=False)
    assert not mismatch and not errors, f"{where}: {mismatch or errors}"
    for name, sub in comparison.subdirs.items():
        _assert_same(sub, f"{where}/{name}")
