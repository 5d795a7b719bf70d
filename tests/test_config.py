"""Configuration: the origin settings of ``[tool.perkamo-guard]``."""

from __future__ import annotations

from pathlib import Path

import pytest

from perkamo_guard.config import ConfigError, parse_config


@pytest.mark.parametrize(
    ("data", "keys", "context"),
    [
        ({}, (), ()),
        ({"origin-keys": ["CORS_ALLOWED_ORIGINS"]}, ("CORS_ALLOWED_ORIGINS",), ()),
        ({"origin-context": ["loyalty", "rewards_sdk"]}, (), ("loyalty", "rewards_sdk")),
        ({"origin-context": "loyalty"}, (), ("loyalty",)),
    ],
)
def test_origin_keys_and_context_are_read_as_string_lists(
        data: dict[str, object], keys: tuple[str, ...], context: tuple[str, ...]) -> None:
    config = parse_config(data, root=Path("."))
    assert (config.origin_keys, config.origin_context) == (keys, context)


@pytest.mark.parametrize("key", ["origin-keys", "origin-context"])
def test_origin_setting_that_is_not_a_string_list_names_itself(key: str) -> None:
    with pytest.raises(ConfigError, match=f"{key} must be a list of strings"):
        parse_config({key: [1]}, root=Path("."))


def test_key_scopes_names_the_key_scope_file() -> None:
    config = parse_config({"key-scopes": "perkamo-keys.toml"}, root=Path("."))
    assert config.key_scopes == "perkamo-keys.toml"
    assert parse_config({}, root=Path(".")).key_scopes == ""


@pytest.mark.parametrize("value", [["perkamo-keys.toml"], "", 3])
def test_key_scopes_that_is_not_a_path_names_itself(value: object) -> None:
    with pytest.raises(ConfigError, match="key-scopes must be the path"):
        parse_config({"key-scopes": value}, root=Path("."))


def test_another_projects_broken_pyproject_is_not_ours_to_parse(tmp_path: Path) -> None:
    from perkamo_guard.config import find_config

    (tmp_path / "pyproject.toml").write_text('[tool.perkamo-guard]\nfail-on = "error"\n')
    inner = tmp_path / "vendor" / "lib"
    inner.mkdir(parents=True)
    (inner / "pyproject.toml").write_text("[project\nname = 'half-written'\n")
    found = find_config(inner)
    assert found == (tmp_path / "pyproject.toml", {"fail-on": "error"})


def test_our_broken_table_in_pyproject_is_reported(tmp_path: Path) -> None:
    from perkamo_guard.config import find_config

    (tmp_path / "pyproject.toml").write_text("[tool.perkamo-guard\nfail-on = 1\n")
    with pytest.raises(ConfigError, match="cannot read configuration"):
        find_config(tmp_path)


def test_configuration_is_looked_for_no_further_than_the_repository_root(
        tmp_path: Path) -> None:
    from perkamo_guard.config import find_config

    (tmp_path / "pyproject.toml").write_text('[tool.perkamo-guard]\nignore = ["PG1"]\n')
    inner = tmp_path / "vendor" / "sdk"
    (inner / "src").mkdir(parents=True)
    (inner / ".git").write_text("gitdir: ../../.git/modules/sdk\n")  # a submodule
    assert find_config(inner / "src") is None
    assert find_config(tmp_path / "vendor") == (tmp_path / "pyproject.toml", {"ignore": ["PG1"]})


@pytest.mark.parametrize("text", ['[tool]\nperkamo-guard = 3\n', 'tool = "perkamo-guard"\n'])
def test_a_pyproject_of_another_shape_is_a_configuration_error_or_none(
        tmp_path: Path, text: str) -> None:
    from perkamo_guard.config import find_config

    (tmp_path / ".git").mkdir()
    (tmp_path / "pyproject.toml").write_text(text)
    if text.startswith("[tool]"):
        with pytest.raises(ConfigError, match="tool.perkamo-guard must be a table"):
            find_config(tmp_path)
    else:
        assert find_config(tmp_path) is None
