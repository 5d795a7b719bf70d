"""Comfort in a terminal: colour, a progress bar, --quiet, --verbose, --statistics."""

from __future__ import annotations

import os
import pty
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from perkamo_guard.cli import PROGRESS_MIN_FILES
from tests.conftest import run_cli, write_tree

LIVE = "sk_live_" + "9Qv2Lr7Tx4Pz8Wm3Nb6Kc1Hd"
LEAKY: dict[str, str | bytes] = {
    "server/client.py": f'import perkamo\nclient = perkamo.Client("{LIVE}")\n',
    "server/old.py": "x = 1  # perkamo-guard: ignore[PG103] gone\n",
    "server/broken.py": b"\x00\x01 binary",
}
ESC = "\x1b["


def run_on_tty(args: list[str], cwd: Path, stream: str,
               env: dict[str, str] | None = None) -> tuple[int, str, str, str]:
    """Run the command with ``stream`` (stdout or stderr) on a pseudo-terminal.

    Returns the exit code, stdout, stderr and what the terminal received.
    """
    master, slave = pty.openpty()
    pipes: dict[str, int] = {"stdout": subprocess.PIPE, "stderr": subprocess.PIPE}
    pipes[stream] = slave
    # NOTE: the caller's NO_COLOR must not leak into the tests that need colour.
    clean = {k: v for k, v in os.environ.items() if k != "NO_COLOR"}
    proc = subprocess.Popen([sys.executable, "-m", "perkamo_guard", *args], cwd=cwd,
                            env={**clean, **(env or {})},
                            stdout=pipes["stdout"], stderr=pipes["stderr"])
    os.close(slave)
    received: list[bytes] = []
    reader = threading.Thread(target=_drain, args=(master, received))
    reader.start()
    out, err = proc.communicate(timeout=120)
    reader.join(timeout=30)
    os.close(master)
    return (proc.returncode, (out or b"").decode(), (err or b"").decode(),
            b"".join(received).decode("utf-8", "replace"))


def _drain(fd: int, into: list[bytes]) -> None:
    while True:
        try:
            chunk = os.read(fd, 65536)
        except OSError:  # the other end closed: EIO on Linux
            return
        if not chunk:
            return
        into.append(chunk)


def test_colour_on_a_terminal(tmp_path: Path) -> None:
    write_tree(tmp_path, LEAKY)
    _, _, _, shown = run_on_tty(["check", "."], tmp_path, "stdout")
    assert f"{ESC}1;31mPG103{ESC}0m" in shown
    assert LIVE not in shown


@pytest.mark.parametrize(
    ("args", "coloured"),
    [
        (["--color"], True),
        ([], False),                      # a pipe is no terminal
        (["--no-color"], False),
        (["--color", "--format", "json"], False),
    ],
)
def test_colour_only_when_wanted(tmp_path: Path, args: list[str], coloured: bool) -> None:
    write_tree(tmp_path, LEAKY)
    proc = run_cli("check", *args, ".", cwd=tmp_path)
    assert (ESC in proc.stdout) is coloured


def test_no_color_is_respected_on_a_terminal(tmp_path: Path) -> None:
    write_tree(tmp_path, LEAKY)
    _, _, _, shown = run_on_tty(["check", "."], tmp_path, "stdout", {"NO_COLOR": "1"})
    assert "PG103" in shown and ESC not in shown


def _many_files(root: Path) -> None:
    write_tree(root, {f"pkg/m{n:04d}.py": "x = 1\n" for n in range(PROGRESS_MIN_FILES)})
    write_tree(root, LEAKY)


def test_progress_bar_on_a_terminal_for_long_audits(tmp_path: Path) -> None:
    _many_files(tmp_path)
    status, out, _, shown = run_on_tty(["check", "."], tmp_path, "stderr")
    assert status == 1
    assert "Scanning" in shown and f"{PROGRESS_MIN_FILES + 3}/{PROGRESS_MIN_FILES + 3}" in shown
    assert "Scanning" not in out and out.endswith("scanned (1 file error).\n")


@pytest.mark.parametrize(
    "args",
    [["--format", "json"], ["--format", "sarif"], ["--format", "github"], ["--quiet"]],
)
def test_no_progress_bar_for_machine_output_or_quiet_runs(tmp_path: Path,
                                                          args: list[str]) -> None:
    _many_files(tmp_path)
    _, _, _, shown = run_on_tty(["check", *args, "."], tmp_path, "stderr")
    assert "Scanning" not in shown


def test_no_progress_bar_for_short_runs_or_without_a_terminal(tmp_path: Path) -> None:
    write_tree(tmp_path, LEAKY)
    assert "Scanning" not in run_on_tty(["check", "."], tmp_path, "stderr")[3]
    _many_files(tmp_path)
    assert run_cli("check", ".", cwd=tmp_path).stderr == ""


def test_quiet_prints_only_file_errors_and_the_summary(tmp_path: Path) -> None:
    write_tree(tmp_path, LEAKY)
    proc = run_cli("check", "--quiet", ".", cwd=tmp_path)
    assert proc.returncode == 1
    assert proc.stdout == (
        "warning: server/broken.py: binary file (NUL bytes), though its name says "
        "python; searched for keys only\n"
        "Found 2 findings (1 error, 1 warning) in 2 files scanned (1 file error).\n")


def test_statistics_count_findings_per_rule(tmp_path: Path) -> None:
    write_tree(tmp_path, {**LEAKY, "server/more.py": f'K = "{LIVE}"\nJ = "{LIVE}"\n'})
    proc = run_cli("check", "--statistics", "--quiet", ".", cwd=tmp_path)
    assert proc.stdout.splitlines()[1:] == [
        "    3  PG103  hardcoded-server-key",
        "    1  PG902  unused-suppression",
        "Found 4 findings (3 error, 1 warning) in 3 files scanned (1 file error).",
    ]


def test_verbose_logs_decisions_and_steps_to_stderr(tmp_path: Path) -> None:
    write_tree(tmp_path, {**LEAKY, ".perkamo-guard.toml": "fail-on = 'error'\n"})
    quiet = run_cli("check", ".", cwd=tmp_path)
    once = run_cli("check", "-v", ".", cwd=tmp_path)
    twice = run_cli("check", "-vv", ".", cwd=tmp_path)
    assert quiet.stderr == ""
    assert "INFO perkamo_guard.config: configuration from" in once.stderr
    assert "DEBUG" not in once.stderr
    assert "DEBUG perkamo_guard.classify: server/client.py: python" in twice.stderr
    assert once.stdout == twice.stdout == quiet.stdout


def test_only_the_chosen_report_module_is_imported(tmp_path: Path) -> None:
    write_tree(tmp_path, LEAKY)
    probe = (
        "import atexit, sys\n"
        "atexit.register(lambda: print(sorted(m for m in sys.modules if m.startswith("
        "('perkamo_guard.report.', 'jsonschema', 'perkamo_guard.baseline', "
        "'perkamo_guard.changed'))), file=sys.stderr))\n"
        "from perkamo_guard.cli import main\n"
        "sys.argv = ['perkamo-guard', 'check', '--format', sys.argv[1], '.']\n"
        "main()\n"
    )
    for name in ("text", "sarif"):
        proc = subprocess.run([sys.executable, "-c", probe, name], cwd=tmp_path,
                              capture_output=True, text=True, timeout=120)
        assert proc.stderr.strip() == f"['perkamo_guard.report.{name}_report']"


def test_a_run_without_verbose_never_imports_logging(tmp_path: Path) -> None:
    # logging costs about 5 ms of every start; -v is when anyone reads it.
    write_tree(tmp_path, {**LEAKY, "many/a.py": "x = 1\n"})
    probe = (
        "import atexit, sys\n"
        "atexit.register(lambda: print('logging' in sys.modules, file=sys.stderr))\n"
        "from perkamo_guard.cli import main\n"
        "sys.argv = ['perkamo-guard', 'check', *sys.argv[1:], '.']\n"
        "main()\n"
    )
    for flags, imported in (([], "False"), (["-v"], "True")):
        proc = subprocess.run([sys.executable, "-c", probe, *flags], cwd=tmp_path,
                              capture_output=True, text=True, timeout=120)
        assert proc.stderr.strip().splitlines()[-1] == imported
