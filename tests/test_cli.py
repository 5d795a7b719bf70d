"""The real command on small trees: output, exit codes, configuration, suppression."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.conftest import run_cli, write_tree

LIVE = "sk_live_" + "9Qv2Lr7Tx4Pz8Wm3Nb6Kc1Hd"
TEST = "sk_test_" + "Zr8Yq2Wx6Vu4Ts0Rp9On3Ml7"

LEAKY = {
    "server/client.py": f'import perkamo\nclient = perkamo.Client("{LIVE}")\n',
    "server/ok.py": 'import os\nKEY = os.environ["PERKAMO_SECRET_KEY"]\n',
}


def test_text_output_is_ruff_style_with_masked_snippet(tmp_path: Path) -> None:
    write_tree(tmp_path, LEAKY)
    proc = run_cli("check", ".", cwd=tmp_path)
    assert proc.returncode == 1
    assert proc.stdout == (
        "server/client.py:2:26: PG103 hardcoded live Perkamo server key sk_live_\u2026c1Hd; "
        "read it from the environment or a secrets manager and rotate the key\n"
        '    client = perkamo.Client("sk_live_\u2026c1Hd")\n'
        "Found 1 finding (1 error, 0 warning) in 2 files scanned.\n"
    )
    assert LIVE not in proc.stdout + proc.stderr


def test_json_output_follows_the_contract(tmp_path: Path) -> None:
    write_tree(tmp_path, LEAKY)
    proc = run_cli("check", "--format", "json", cwd=tmp_path)
    assert proc.returncode == 1
    report = json.loads(proc.stdout)
    assert report == {
        "tool": "perkamo-guard",
        "version": "0.1.0",
        "findings": [{
            "rule": "PG103", "name": "hardcoded-server-key", "severity": "error",
            "path": "server/client.py", "line": 2, "column": 26,
            "end_line": 2, "end_column": 58,
            "message": "hardcoded live Perkamo server key sk_live_\u2026c1Hd; read it from "
                       "the environment or a secrets manager and rotate the key",
            "snippet": 'client = perkamo.Client("sk_live_\u2026c1Hd")',
        }],
        "errors": [],
        "summary": {"files_scanned": 2, "findings": 1},
    }


def test_a_report_larger_than_a_pipe_arrives_whole(tmp_path: Path) -> None:
    # The command leaves without the interpreter's teardown: the output must
    # still be flushed, and the exit code kept, past a 64 KB pipe buffer.
    write_tree(tmp_path, {f"server/c{n}.py": f'KEY = "{LIVE}"\n' for n in range(300)})
    proc = run_cli("check", "--format", "json", ".", cwd=tmp_path)
    assert len(proc.stdout) > 65536 and proc.returncode == 1
    assert len(json.loads(proc.stdout)["findings"]) == 300


def test_clean_tree_exits_zero(tmp_path: Path) -> None:
    write_tree(tmp_path, {"server/ok.py": LEAKY["server/ok.py"]})
    proc = run_cli("check", ".", cwd=tmp_path)
    assert (proc.returncode, proc.stdout) == (0, "No findings: 1 file scanned.\n")


def test_missing_path_is_skipped_not_an_error(tmp_path: Path) -> None:
    write_tree(tmp_path, LEAKY)
    proc = run_cli("check", "deleted.env", "server/ok.py", cwd=tmp_path)
    assert (proc.returncode, proc.stdout) == (0, "No findings: 1 file scanned.\n")


@pytest.mark.parametrize(
    ("args", "status"),
    [
        (["--select", "PG104"], 0),
        (["--select", "PG1"], 1),
        (["--ignore", "PG103"], 0),
        (["--ignore", "PG10"], 0),
        (["--select", "PG999"], 2),
        (["--format", "yaml"], 2),
    ],
)
def test_select_and_ignore_choose_rules(tmp_path: Path, args: list[str], status: int) -> None:
    write_tree(tmp_path, LEAKY)
    assert run_cli("check", ".", *args, cwd=tmp_path).returncode == status


def test_unknown_config_key_is_an_error_naming_the_key(tmp_path: Path) -> None:
    write_tree(tmp_path, {**LEAKY, ".perkamo-guard.toml": 'selekt = ["PG1"]\n'})
    proc = run_cli("check", ".", cwd=tmp_path)
    assert proc.returncode == 2
    assert "selekt" in proc.stderr


def test_pyproject_table_configures_the_run(tmp_path: Path) -> None:
    config = '[tool.perkamo-guard]\nextend-exclude = ["server/client.py"]\n'
    write_tree(tmp_path, {**LEAKY, "pyproject.toml": config})
    proc = run_cli("check", ".", cwd=tmp_path)
    assert proc.returncode == 0, proc.stdout


def test_exclude_applies_to_files_named_explicitly(tmp_path: Path) -> None:
    config = 'extend-exclude = ["server/"]\n'
    write_tree(tmp_path, {**LEAKY, ".perkamo-guard.toml": config})
    proc = run_cli("check", "server/client.py", cwd=tmp_path)
    assert proc.returncode == 0, proc.stdout


def test_per_file_ignores_turn_off_rules_for_a_glob(tmp_path: Path) -> None:
    config = '[per-file-ignores]\n"server/*.py" = ["PG103"]\n'
    write_tree(tmp_path, {**LEAKY, ".perkamo-guard.toml": config})
    assert run_cli("check", ".", cwd=tmp_path).returncode == 0


def test_config_file_option_overrides_discovery(tmp_path: Path) -> None:
    write_tree(tmp_path, {**LEAKY, "ci/strict.toml": 'ignore = ["PG103"]\n'})
    assert run_cli("check", ".", "--config", "ci/strict.toml", cwd=tmp_path).returncode == 0


@pytest.mark.parametrize(
    "line",
    [
        f'client = perkamo.Client("{LIVE}")  # perkamo-guard: ignore[PG103] rotated, kept for docs',
        f'# perkamo-guard: ignore[PG103] rotated key\nclient = perkamo.Client("{LIVE}")',
    ],
)
def test_inline_suppression_hides_the_finding(tmp_path: Path, line: str) -> None:
    write_tree(tmp_path, {"server/client.py": line + "\n"})
    proc = run_cli("check", ".", cwd=tmp_path)
    assert proc.returncode == 0, proc.stdout
    assert "1 suppressed" in proc.stdout


def test_suppression_of_another_rule_does_not_hide_the_finding(tmp_path: Path) -> None:
    line = f'client = perkamo.Client("{LIVE}")  # perkamo-guard: ignore[PG101] wrong code\n'
    write_tree(tmp_path, {"server/client.py": line})
    assert run_cli("check", ".", cwd=tmp_path).returncode == 1


def test_fail_on_error_ignores_warnings_only(tmp_path: Path) -> None:
    write_tree(tmp_path, LEAKY)
    assert run_cli("check", ".", "--fail-on", "error", cwd=tmp_path).returncode == 1


def test_rules_lists_the_catalogue() -> None:
    proc = run_cli("rules", cwd=Path.cwd())
    assert proc.returncode == 0
    assert proc.stdout.splitlines()[0].startswith("PG101  error    server-key-in-browser-code")


def test_rule_explains_one_rule_with_examples() -> None:
    proc = run_cli("rule", "pg104", cwd=Path.cwd())
    assert proc.returncode == 0
    assert proc.stdout.startswith("PG104 committed-env-secret (error)")
    assert "Flagged (.env):" in proc.stdout
    assert LIVE not in proc.stdout


def test_unknown_rule_is_a_usage_error() -> None:
    assert run_cli("rule", "PG999", cwd=Path.cwd()).returncode == 2


def test_output_option_writes_the_report_to_a_file(tmp_path: Path) -> None:
    write_tree(tmp_path, LEAKY)
    proc = run_cli("check", "--format", "json", "--output", "report.json", cwd=tmp_path)
    assert proc.returncode == 1 and proc.stdout == ""
    assert json.loads((tmp_path / "report.json").read_text())["summary"]["findings"] == 1
