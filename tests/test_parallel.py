"""Worker processes give the result a serial run gives, file for file."""

from __future__ import annotations

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


def test_batches_hold_every_file_once_and_weigh_about_the_same(tmp_path: Path) -> None:
    sizes = [50_000, 40_000, 30_000, 20_000, 10_000, 10, 10, 10]
    found = []
    for index, size in enumerate(sizes):
        path = tmp_path / f"f{index}.js"
        path.write_bytes(b"x" * size)
        found.append(Discovered(path, path.name))
    batches = parallel.balanced_batches(found, 2)
    indexes = sorted(index for batch in batches for index, _ in batch)
    assert indexes == list(range(len(sizes)))
    weights = [sum(sizes[index] for index, _ in batch) for batch in batches]
    assert max(weights) - min(weights) <= 20_000
