"""Would git commit a file? The .gitignore files above it decide."""

from __future__ import annotations

from pathlib import Path

from perkamo_guard.gitignore import GitignoreOracle
from tests.conftest import write_tree


def test_nested_gitignore_overrides_a_shallower_one(tmp_path: Path) -> None:
    write_tree(tmp_path, {".gitignore": ".env*\n", "web/.gitignore": "!.env.production\n",
                          "web/.env.production": "", "web/.env": ""})
    oracle = GitignoreOracle()
    assert oracle.is_committed(tmp_path / "web" / ".env.production") is True
    assert oracle.is_committed(tmp_path / "web" / ".env") is False


def test_ignored_folder_ignores_its_files(tmp_path: Path) -> None:
    write_tree(tmp_path, {".gitignore": "instance/\n", "instance/config.env": ""})
    assert GitignoreOracle().is_committed(tmp_path / "instance" / "config.env") is False
def test_outside_a_work_tree_gitignore_files_are_read(tmp_path: Path) -> None:
    write_tree(tmp_path, {".gitignore": ".env*\n!.env.example\n", ".env": "", ".env.example": ""})
    oracle = GitignoreOracle()
    assert oracle.is_committed(tmp_path / ".env") is False
    assert oracle.is_committed(tmp_path / ".env.example") is True
