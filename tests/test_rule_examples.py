"""Every example in rules/ runs: invalid ones yield exactly their rule, valid ones nothing."""

from __future__ import annotations

from pathlib import Path

import pytest

from perkamo_guard.catalogue import Example, load_catalogue
from tests.conftest import scan, write_tree

CATALOGUE = load_catalogue()


def _cases(valid: bool) -> list[pytest.param]:  # type: ignore[valid-type]
    # NOTE: parameters are (code, index), not the examples themselves, so that
    # no key from an example is ever printed in a test id or failure message.
    return [
        pytest.param(rule.code, index, id=f"{rule.code}-{example.path}")
        for rule in CATALOGUE.values()
        for index, example in enumerate(rule.valid if valid else rule.invalid)
    ]


def _scan_example(tmp_path: Path, example: Example) -> set[tuple[str, int, int]]:
    write_tree(tmp_path, {example.path: example.code, **dict(example.files)})
    result = scan(tmp_path)
    assert not [e for e in result.errors if e.path == example.path], result.errors
    return {(f.rule, f.line, f.column) for f in result.findings if f.path == example.path}


@pytest.mark.parametrize(("code", "index"), _cases(valid=False))
def test_invalid_example_yields_exactly_its_rule(code: str, index: int,
                                                 tmp_path: Path) -> None:
    rule = CATALOGUE[code]
    example = rule.invalid[index]
    expected = {(rule.code, line, column) for line, column in example.expect}
    assert expected, f"{rule.code} example {example.path} states no expected position"
    assert _scan_example(tmp_path, example) == expected


@pytest.mark.parametrize(("code", "index"), _cases(valid=True))
def test_valid_example_yields_nothing(code: str, index: int, tmp_path: Path) -> None:
    example = CATALOGUE[code].valid[index]
    assert _scan_example(tmp_path, example) == set()


def test_every_rule_has_valid_and_invalid_examples() -> None:
    for rule in CATALOGUE.values():
        assert rule.valid and rule.invalid, f"{rule.code} needs both kinds of example"
