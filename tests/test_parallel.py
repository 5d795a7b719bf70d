"""Worker processes give the result a serial run gives, file for file."""

from __future__ import annotations

import os
from pathlib import Path

from perkamo_guard import parallel
from perkamo_guard.catalogue import expand_codes
from perkamo_guard.config import Config
from perkamo_guard.discover import Discovered
from perkamo_guard.engine import Scanner
from tests.conftest import write_tree

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


def test_batches_hold_every_file_once_and_share_the_files(tmp_path: Path) -> None:
    found = [Discovered(tmp_path / f"f{index}.js", f"f{index}.js") for index in range(101)]
    batches = parallel.balanced_batches(found, 3)
    indexes = sorted(index for batch in batches for index, _ in batch)
    assert indexes == list(range(len(found)))
    assert all(found[index] is item for batch in batches for index, item in batch)
    sizes = [len(batch) for batch in batches]
    assert len(sizes) == 3 and max(sizes) - min(sizes) <= 8
    assert parallel.balanced_batches(found[:5], 2) == [list(enumerate(found[:5]))]


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
