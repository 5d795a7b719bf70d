"""Worker processes give the result a serial run gives, file for file."""

from __future__ import annotations

import json
import os
from pathlib import Path

from perkamo_guard import parallel
from perkamo_guard.catalogue import expand_codes
from perkamo_guard.config import Config
from perkamo_guard.discover import Discovered
from perkamo_guard.engine import Scanner
from tests.conftest import run_cli, write_tree

KEY = "sk_live_" + "7Hq2Lm9Vx4Rt8Kp3Nz6Wb1Cd"


def _tree(tmp_path: Path) -> None:
    files = {f"web/src/module{i:04d}.js": f"export const n{i} = {i};\n"
             for i in range(parallel.MIN_FILES)}
    files["web/src/leak.js"] = f'const key = "{KEY}";\n'
    files["server/settings.py"] = f'KEY = "{KEY}"  # perkamo-guard: ignore[PG103]\n'
    files["web/.env"] = "PERKAMO_SECRET_KEY=x\n"
    write_tree(tmp_path, files)


def test_two_workers_give_the_serial_result(tmp_path: Path, monkeypatch) -> None:
    _tree(tmp_path)
    monkeypatch.chdir(tmp_path)
    runs = [Scanner(Config(root=tmp_path), expand_codes(["ALL"]), jobs=jobs).scan(["."])
            for jobs in (1, 2)]
    serial, forked = runs
    assert serial.findings and serial.findings == forked.findings
    assert serial.zones == forked.zones
    assert serial.errors == forked.errors
    assert (serial.files_scanned, serial.suppressed) == (forked.files_scanned, forked.suppressed)


def test_runs_cover_every_file_once_and_fit_the_queue() -> None:
    for count in (0, 1, 7, 8, 9, 203, 40_000, 100_000):
        runs = parallel._runs(count)
        assert [i for start, end in runs for i in range(start, end)] == list(range(count))
        assert len(runs) <= parallel._MAX_RUNS
        assert all(end - start >= min(parallel._RUN, count) for start, end in runs[:-1])


def test_every_run_goes_to_one_process_and_early_scans_count_as_done(
        tmp_path: Path, monkeypatch) -> None:
    files = {f"pkg{i % 9}/mod{i:04d}.py": f"X = {i}\n" for i in range(parallel.MIN_FILES)}
    files.update({f"pkg{i % 9}/leak{i:02d}.py": f'KEY = "{KEY}"\n' for i in range(60)})
    write_tree(tmp_path, files)
    monkeypatch.chdir(tmp_path)
    scanner = Scanner(Config(root=tmp_path), expand_codes(["ALL"]))
    from perkamo_guard.discover import discover

    found = discover(["."], scanner.config)
    offered: list[int] = []
    result = parallel.triage(scanner, found, 2, early=lambda index, item: bool(
        offered.append(index) or True))
    loud = {i for i, item in enumerate(found) if "leak" in item.display}
    assert result.runs == set(range(len(parallel._runs(len(found)))))
    assert result.quiet == set(range(len(found))) - loud
    # The workers name their loud files as they find them: every one is
    # offered to this process, once, before the triage returns.
    assert set(offered) == result.done == loud and len(offered) == len(set(offered))
    alone = parallel.triage(scanner, found, 1, early=lambda index, item: True)
    assert alone.done == loud and alone.quiet == result.quiet
    serial = Scanner(Config(root=tmp_path), expand_codes(["ALL"]), jobs=1).scan(["."])
    forked = Scanner(Config(root=tmp_path), expand_codes(["ALL"]), jobs=2).scan(["."])
    assert len(serial.findings) == 60 and forked.findings == serial.findings
    assert forked.files_scanned == serial.files_scanned


def test_a_worker_that_dies_costs_time_not_findings(tmp_path: Path, monkeypatch) -> None:
    _tree(tmp_path)
    monkeypatch.chdir(tmp_path)
    serial = Scanner(Config(root=tmp_path), expand_codes(["ALL"]), jobs=1).scan(["."])
    parent = os.getpid()
    real = Scanner.triage

    def dying(self: Scanner, found: Discovered):  # type: ignore[no-untyped-def]
        if os.getpid() != parent:
            os._exit(3)  # a worker killed mid-batch
        return real(self, found)

    monkeypatch.setattr(Scanner, "triage", dying)
    forked = Scanner(Config(root=tmp_path), expand_codes(["ALL"]), jobs=2).scan(["."])
    assert serial.findings and forked.findings == serial.findings
    assert forked.errors == serial.errors
    assert forked.files_scanned == serial.files_scanned


def test_quiet_binary_and_loud_files_are_counted_as_a_serial_run_counts_them(
        tmp_path: Path, monkeypatch) -> None:
    _tree(tmp_path)
    write_tree(tmp_path, {"web/img/logo.png": b"\x89PNG\x00\x00" * 50,
                          "web/img/leaky.png": b"\x00\x01" + KEY.encode() + b"\x00",
                          "web/src/blob.js": b"\x00binary js"})
    monkeypatch.chdir(tmp_path)
    runs = [Scanner(Config(root=tmp_path), expand_codes(["ALL"]), jobs=jobs).scan(["."])
            for jobs in (1, 2)]
    for run in runs:
        assert any(f.path == "web/img/leaky.png" and f.rule == "PG103" for f in run.findings)
        assert any(e.path == "web/src/blob.js" for e in run.errors)
        assert run.files_skipped == 2  # the images: binary, not source (one searched for keys)
    assert runs[0].findings == runs[1].findings
    assert (runs[0].files_scanned, runs[0].files_skipped) == (runs[1].files_scanned,
                                                              runs[1].files_skipped)


def test_an_answer_larger_than_a_pipe_holds_does_not_stall_the_run(tmp_path: Path) -> None:
    # 30,000 quiet indexes are 240 KB of answer, more than a pipe buffers:
    # the worker must close the pipe that names loud files before it writes
    # the answer, since this process reads that pipe to its end first. Run
    # as a command with a time limit, so that a stall fails the test.
    files = {f"d{i // 500}/f{i}.txt": "x" for i in range(30_000)}
    files["d0/leak.txt"] = f"KEY={KEY}\n"
    write_tree(tmp_path, files)
    run = run_cli("check", "--jobs", "2", "--format", "json", ".", cwd=tmp_path)
    report = json.loads(run.stdout)
    assert [f["path"] for f in report["findings"]] == ["d0/leak.txt"]
    assert report["summary"]["files_scanned"] == 30_001
