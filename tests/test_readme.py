"""The README stays true: its rule table and demo output match the real thing."""

from __future__ import annotations

from tests.pins import demo_block, readme_block, rules_table, scopes_block


def test_readme_rule_table_equals_the_catalogue() -> None:
    assert readme_block("rules-table") == rules_table() + "\n"


def test_readme_demo_output_is_the_real_output() -> None:
    assert readme_block("demo-output") == demo_block()


def test_readme_scope_report_is_the_real_report() -> None:
    assert readme_block("scopes-output") == scopes_block()
