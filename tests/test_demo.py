"""The demo's complete JSON output is pinned; its answer key is honoured."""

from __future__ import annotations

import json

from tests.pins import DEMO_JSON, demo_output


def test_demo_json_output_is_pinned() -> None:
    assert json.loads(demo_output("json")) == json.loads(DEMO_JSON.read_text(encoding="utf-8"))


def test_demo_has_at_least_two_findings_per_rule() -> None:
    report = json.loads(demo_output("json"))
    counts: dict[str, int] = {}
    for finding in report["findings"]:
        counts[finding["rule"]] = counts.get(finding["rule"], 0) + 1
    assert {code: n for code, n in counts.items() if n < 2} == {}
    assert {"PG101", "PG102", "PG103", "PG104"} <= set(counts)


def test_demo_output_shows_no_whole_key() -> None:
    from perkamo_guard.keys import find_keys

    for fmt in ("text", "json"):
        assert list(find_keys(demo_output(fmt))) == []
