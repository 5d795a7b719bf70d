"""The rule catalogue: codes without reading the rules, rules on first use."""

from __future__ import annotations

from perkamo_guard.catalogue import Catalogue, rules_dir


def test_codes_from_file_names_are_the_codes_the_rule_files_declare() -> None:
    catalogue = Catalogue(rules_dir())
    assert catalogue.codes() == [rule.code for rule in catalogue.values()]


def test_codes_are_listed_without_reading_any_rule_file() -> None:
    catalogue = Catalogue(rules_dir())
    catalogue.codes()
    assert catalogue._rules is None
