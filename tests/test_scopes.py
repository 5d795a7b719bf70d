"""Scope report and key-scope rules PG601-PG602: files, integrations, findings, command."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from perkamo_guard.config import ConfigError
from perkamo_guard.scopes import integration_folder, is_test_code, load_keys
from tests.conftest import REPO, run_cli, scan, write_tree
from tests.pins import DEMO, DEMO_SCOPES_JSON, scopes_output

CHECKOUT = """\
import os

import requests


def order_paid(user_id: str) -> None:
    requests.post("https://api.perkamo.com/v1/events", json={"user_id": user_id},
                  headers={"Authorization": f"Bearer {os.environ['PERKAMO_SECRET_KEY']}"})
"""
ADMIN = """\
const key = process.env.PERKAMO_SECRET_KEY;
export const push = (module: string, body: object) =>
  fetch(`https://api.perkamo.com/v1/admin/config/${module}`, {
    method: "POST", headers: { Authorization: `Bearer ${key}` }, body: JSON.stringify(body),
  });
"""
GRANTS = 'PERKAMO_SECRET_KEY = ["events:write", "admin:config"]\n'


@pytest.mark.parametrize(("name", "text", "expected"), [
    ("keys.toml", 'A = ["events:write"]\nB = "profile:read, rewards:redeem"\n',
     {"A": {"events:write"}, "B": {"profile:read", "rewards:redeem"}}),
    ("keys.json", '{"A": ["admin:config"], "B": []}', {"A": {"admin:config"}, "B": set()}),
])
def test_key_scope_files_are_read_from_toml_and_json(tmp_path: Path, name: str, text: str,
                                                      expected: dict[str, set[str]]) -> None:
    path = write_tree(tmp_path, {name: text}) / name
    assert {k: set(v) for k, v in load_keys(path).items()} == expected


@pytest.mark.parametrize(("name", "text", "error"), [
    ("keys.toml", 'A = ["events:read"]\n', "A: unknown scope 'events:read'"),
    ("keys.toml", "A = 3\n", "A must be a list of scopes"),
    ("keys.json", '["A"]', "maps key names to scope lists"),
    ("keys.json", "{", "cannot read key-scope file"),
])
def test_a_bad_key_scope_file_names_what_is_wrong(tmp_path: Path, name: str, text: str,
                                                  error: str) -> None:
    path = write_tree(tmp_path, {name: text}) / name
    with pytest.raises(ConfigError, match=error):
        load_keys(path)


@pytest.mark.parametrize(("files", "file", "expected"), [
    pytest.param({"web/package.json": "{}", "web/src/a.ts": ""}, "web/src/a.ts", "web",
                 id="nearest-manifest"),
    pytest.param({"svc/api/pyproject.toml": "", "svc/api/app/x.py": ""},
                 "svc/api/app/x.py", "svc/api", id="manifest-below-a-plain-folder"),
    pytest.param({"jobs/nightly/run.py": ""}, "jobs/nightly/run.py", "jobs",
                 id="no-manifest-top-level-folder"),
    pytest.param({"run.py": ""}, "run.py", ".", id="file-at-the-top"),
])
def test_integration_is_the_nearest_manifest_folder_or_the_top_folder(
        tmp_path: Path, files: dict[str, str], file: str, expected: str) -> None:
    write_tree(tmp_path, files)
    folder = integration_folder(tmp_path / file, [tmp_path.resolve()])
    assert folder == (tmp_path / expected).resolve()


@pytest.mark.parametrize(("path", "expected"), [
    ("tests/test_events.py", True), ("backend/tests/conftest.py", True),
    ("web/src/points.test.ts", True), ("web/__mocks__/perkamo.ts", True),
    ("backend/app/events.py", False), ("web/src/testimonials.ts", False),
])
def test_test_code_is_left_out_of_the_scope_report(path: str, expected: bool) -> None:
    assert is_test_code(Path(path)) is expected


def _tree(tmp_path: Path, grants: str = GRANTS) -> Path:
    return write_tree(tmp_path, {
        ".perkamo-guard.toml": 'key-scopes = "perkamo-keys.toml"\n',
        "perkamo-keys.toml": grants,
        "checkout/app.py": CHECKOUT,
        "admin/push.ts": ADMIN,
    })


def _found(tmp_path: Path, paths: list[str] | None = None) -> set[tuple[str, str, int, int]]:
    result = scan(tmp_path, paths)
    return {(f.rule, f.path, f.line, f.column) for f in result.findings
            if f.rule.startswith("PG6")}


def test_over_scoped_and_shared_keys_are_reported_at_first_use(tmp_path: Path) -> None:
    assert _found(_tree(tmp_path)) == {
        ("PG601", "admin/push.ts", 1, 25),   # admin never writes events
        ("PG601", "checkout/app.py", 8, 67),  # checkout never uploads config
        ("PG602", "admin/push.ts", 1, 25),
        ("PG602", "checkout/app.py", 8, 67),
    }


def test_key_rules_are_silent_without_a_key_scope_file(tmp_path: Path) -> None:
    write_tree(tmp_path, {"checkout/app.py": CHECKOUT, "admin/push.ts": ADMIN})
    assert _found(tmp_path) == set()


def test_key_rules_skip_runs_on_single_files(tmp_path: Path) -> None:
    _tree(tmp_path)
    assert _found(tmp_path, ["checkout/app.py", "admin/push.ts"]) == set()


def test_a_key_scope_file_at_the_top_of_a_scanned_folder_is_found(tmp_path: Path) -> None:
    write_tree(tmp_path, {"shop/perkamo-keys.json": '{"PERKAMO_SECRET_KEY": ["events:write"]}',
                          "shop/checkout/app.py": CHECKOUT, "shop/admin/push.ts": ADMIN})
    assert {(rule, path) for rule, path, *_ in _found(tmp_path, ["shop"])} == {
        ("PG601", "shop/admin/push.ts"), ("PG602", "shop/admin/push.ts"),
        ("PG602", "shop/checkout/app.py")}


def test_a_suppressed_shared_key_is_hidden_and_not_called_unused(tmp_path: Path) -> None:
    _tree(tmp_path, 'PERKAMO_SECRET_KEY = ["events:write", "admin:config"]\n')
    suppressed = CHECKOUT.replace(
        "'PERKAMO_SECRET_KEY']}\"})",
        "'PERKAMO_SECRET_KEY']}\"})  # perkamo-guard: ignore[PG601,PG602] until SHOP-401")
    write_tree(tmp_path, {"checkout/app.py": suppressed})
    result = scan(tmp_path)
    rules = {(f.rule, f.path) for f in result.findings}
    assert ("PG602", "checkout/app.py") not in rules
    assert ("PG902", "checkout/app.py") not in rules
    assert result.suppressed == 2


def test_scopes_command_lists_endpoints_and_least_scopes(tmp_path: Path) -> None:
    write_tree(tmp_path, {"checkout/app.py": CHECKOUT, "admin/push.ts": ADMIN})
    proc = run_cli("scopes", ".", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout == (
        "admin\n"
        "  POST /v1/admin/config/{module}   admin:config    push.ts:3\n"
        "  least scopes: admin:config\n"
        "  key PERKAMO_SECRET_KEY: granted scopes unknown (pass --keys FILE)\n"
        "\n"
        "checkout\n"
        "  POST /v1/events                  events:write    app.py:7\n"
        "  least scopes: events:write\n"
        "  key PERKAMO_SECRET_KEY: granted scopes unknown (pass --keys FILE)\n"
        "\n"
        "No findings: 2 files scanned.\n"
    )


def test_keys_option_reports_findings_and_exits_one(tmp_path: Path) -> None:
    write_tree(tmp_path, {"checkout/app.py": CHECKOUT, "admin/push.ts": ADMIN,
                          "ops/grants.json": '{"PERKAMO_SECRET_KEY": ["events:write"]}'})
    proc = run_cli("check", ".", "--keys", "ops/grants.json", "--select", "PG6",
                   "--format", "json", cwd=tmp_path)
    assert proc.returncode == 1, proc.stderr
    found = {(f["rule"], f["path"]) for f in json.loads(proc.stdout)["findings"]}
    assert found == {("PG601", "admin/push.ts"), ("PG602", "admin/push.ts"),
                     ("PG602", "checkout/app.py")}


def test_an_unreadable_keys_file_is_a_usage_error(tmp_path: Path) -> None:
    write_tree(tmp_path, {"checkout/app.py": CHECKOUT, "keys.toml": 'K = ["all"]\n'})
    proc = run_cli("scopes", ".", "--keys", "keys.toml", cwd=tmp_path)
    assert proc.returncode == 2
    assert "unknown scope 'all'" in proc.stderr


def test_demo_scope_report_is_pinned() -> None:
    assert json.loads(scopes_output("json")) == json.loads(
        DEMO_SCOPES_JSON.read_text(encoding="utf-8"))


def test_demo_scope_report_needs_each_scope_somewhere() -> None:
    report = json.loads(scopes_output("json"))
    names = {i["name"]: i["scopes"] for i in report["integrations"]}
    assert names == {
        f"{DEMO}/backend": ["events:write", "profile:read", "rewards:redeem", "admin:config"],
        f"{DEMO}/reports": ["profile:read"],
        f"{DEMO}/web": ["events:write", "profile:read", "rewards:redeem"],
    }
    assert (REPO / DEMO / "perkamo-keys.toml").is_file()
