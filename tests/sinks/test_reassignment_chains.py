"""Long re-assignment chains of a payload are followed in polynomial time."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import scan, write_tree

_PY_HEAD = ["import requests", "def f(o):", '    p = {"a": 1}']
_PY_TAIL = ['    p["password"] = o.pw',
            '    requests.post("https://api.perkamo.com/v1/events", json=p)']
_JS_HEAD = ["export function f(o) {", "  let p = { a: 1 };"]
_JS_TAIL = ["  p.password = o.pw;",
            '  return fetch("https://api.perkamo.com/v1/events", '
            '{ method: "POST", body: JSON.stringify(p) });', "}"]


@pytest.mark.parametrize(
    ("name", "lines"),
    [
        ("spread.py", _PY_HEAD + ['    p = {**p, "k%d": o.v}' % i for i in range(200)] + _PY_TAIL),
        ("update.py", _PY_HEAD + ["    p.update(p)"] * 200 + _PY_TAIL),
        ("self.py", _PY_HEAD + ['    p["k%d"] = p' % i for i in range(200)] + _PY_TAIL),
        ("spread.ts", _JS_HEAD + ["  p = { ...p, k%d: o.v };" % i for i in range(200)] + _JS_TAIL),
        ("self.ts", _JS_HEAD + ["  p.k%d = p;" % i for i in range(200)] + _JS_TAIL),
    ],
)
def test_long_chain_is_followed_and_the_field_found(tmp_path: Path, name: str,
                                                    lines: list[str]) -> None:
    # NOTE: before memoising names per point these took exponential time
    # (20 re-assignments: 30 s); the suite would hang here.
    write_tree(tmp_path, {f"server/{name}": "\n".join(lines) + "\n"})
    rules = {f.rule for f in scan(tmp_path).findings}
    assert "PG301" in rules
