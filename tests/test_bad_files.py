"""Bad input never stops the run: it becomes a file error, and nothing else is lost."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from tests.conftest import run_cli, scan, write_tree

LIVE = "sk_live_" + "9Qv2Lr7Tx4Pz8Wm3Nb6Kc1Hd"
LEAK = {"server/leak.py": f'KEY = "{LIVE}"\n'}


def _report(tmp_path: Path) -> dict:
    proc = run_cli("check", ".", "--format", "json", cwd=tmp_path)
    assert proc.returncode in (0, 1), proc.stderr
    assert "Traceback" not in proc.stderr
    return json.loads(proc.stdout)


def _leak_found(report: dict) -> bool:
    return any(f["path"] == "server/leak.py" and f["rule"] == "PG103" for f in report["findings"])


@pytest.mark.parametrize(
    ("name", "content", "error"),
    [
        ("src/app.js", b"\x00\x01\x02binary\x00" * 100, "binary file"),
        ("server/module.py", b"\x7fELF\x00\x00\x00" + bytes(range(256)), "binary file"),
        ("config/settings.json", b"\xff\xfe{\x00", None),
    ],
)
def test_binary_file_with_a_source_name_is_a_file_error(tmp_path: Path, name: str,
                                                        content: bytes,
                                                        error: str | None) -> None:
    write_tree(tmp_path, {**LEAK, name: content})
    report = _report(tmp_path)
    assert _leak_found(report)
    messages = [e["message"] for e in report["errors"] if e["path"] == name]
    if error:
        assert messages and error in messages[0]


def test_binary_file_without_a_source_name_is_skipped_quietly(tmp_path: Path) -> None:
    write_tree(tmp_path, {**LEAK, "assets/logo.png": b"\x89PNG\r\n\x1a\n\x00\x00" * 50})
    report = _report(tmp_path)
    assert _leak_found(report) and report["errors"] == []


def test_invalid_utf8_is_scanned_leniently_and_reported(tmp_path: Path) -> None:
    body = b"// caf\xe9 \xff\n" + f'const k = "{LIVE}";\n'.encode()
    write_tree(tmp_path, {**LEAK, "dist/app.js": body})
    report = _report(tmp_path)
    found = [(f["path"], f["line"], f["column"]) for f in report["findings"]]
    assert ("dist/app.js", 2, 12) in found
    assert any("not valid UTF-8" in e["message"] for e in report["errors"])


def test_utf16_with_bom_is_decoded(tmp_path: Path) -> None:
    text = f'KEY = "{LIVE}"\n'
    write_tree(tmp_path, {"server/wide.py": "\ufeff".encode("utf-16-le") + text.encode("utf-16-le")})
    report = _report(tmp_path)
    assert [(f["line"], f["column"]) for f in report["findings"]] == [(1, 8)]


def test_over_size_file_is_a_file_error(tmp_path: Path) -> None:
    write_tree(tmp_path, {**LEAK, ".perkamo-guard.toml": "max-file-size = 1000\n",
                          "dist/huge.js": "x" * 5000})
    report = _report(tmp_path)
    assert _leak_found(report)
    assert any(e["path"] == "dist/huge.js" and "limit" in e["message"] for e in report["errors"])


@pytest.mark.skipif(os.geteuid() == 0, reason="root can read any file")
def test_unreadable_file_is_a_file_error(tmp_path: Path) -> None:
    write_tree(tmp_path, {**LEAK, "server/secret.py": "x = 1\n"})
    (tmp_path / "server/secret.py").chmod(0)
    report = _report(tmp_path)
    assert _leak_found(report)
    assert any(e["path"] == "server/secret.py" for e in report["errors"])


@pytest.mark.parametrize(
    ("name", "content", "line", "column"),
    [
        ("server/broken.py", f'def f(:\n    return "{LIVE}"\n', 2, 13),
        ("server/py2.py", f'print "hello"\nKEY = "{LIVE}"\n', 2, 8),
        ("src/lib/broken.ts", f'export const = {{{{ "{LIVE}"\n', 1, 20),
        ("perkamo.json", f'{{"key": "{LIVE}", oops}}', 1, 10),
    ],
)
def test_syntax_error_never_hides_a_key(tmp_path: Path, name: str, content: str,
                                        line: int, column: int) -> None:
    write_tree(tmp_path, {name: content})
    report = _report(tmp_path)
    assert [(f["path"], f["line"], f["column"]) for f in report["findings"]] == [
        (name, line, column)]


def test_symlink_loop_and_outside_links_are_not_followed(tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    write_tree(outside, LEAK)
    root = tmp_path / "repo"
    write_tree(root, {"src/ok.py": "x = 1\n"})
    (root / "src" / "loop").symlink_to(root / "src", target_is_directory=True)
    (root / "elsewhere").symlink_to(outside, target_is_directory=True)
    result = scan(root)
    assert result.findings == [] and result.files_scanned == 1


def test_deeply_nested_code_is_not_a_crash(tmp_path: Path) -> None:
    deep = "x = " + "(" * 5000 + ")" * 5000 + f'\nKEY = "{LIVE}"\n'
    write_tree(tmp_path, {"server/deep.py": deep})
    report = _report(tmp_path)
    assert [(f["line"], f["column"]) for f in report["findings"]] == [(2, 8)]


def test_megabyte_line_gives_exact_column_and_short_snippet(tmp_path: Path) -> None:
    prefix = "var a=" + "1+" * 500_000
    write_tree(tmp_path, {"dist/app.min.js": prefix + f'"{LIVE}";\n'})
    report = _report(tmp_path)
    [finding] = report["findings"]
    assert (finding["line"], finding["column"]) == (1, len(prefix) + 2)
    assert len(finding["snippet"]) < 200 and LIVE not in json.dumps(report)


@pytest.mark.parametrize("name", ["server/nul.py", "assets/blob.png"])
def test_nul_byte_does_not_hide_a_key(tmp_path: Path, name: str) -> None:
    write_tree(tmp_path, {name: b"# \x00\nKEY = '" + LIVE.encode() + b"'\n"})
    report = _report(tmp_path)
    assert [(f["path"], f["rule"], f["line"], f["column"]) for f in report["findings"]] == [
        (name, "PG103", 2, 8)]
    assert LIVE not in json.dumps(report)


@pytest.mark.parametrize("codec", ["utf-16-le", "utf-16-be"])
def test_utf16_without_a_byte_order_mark_does_not_hide_a_key(tmp_path: Path, codec: str) -> None:
    # Found by a newcomer: the bytes were searched one character a byte.
    text = f'import os\nKEY = "{LIVE}"\n'
    write_tree(tmp_path, {"server/settings.py": text.encode(codec),
                          "server/notes.txt": text.encode(codec)})
    result = scan(tmp_path)
    assert {(f.path, f.line, f.column, f.rule) for f in result.findings} == {
        ("server/settings.py", 2, 8, "PG103"), ("server/notes.txt", 2, 8, "PG103")}


def test_every_key_of_a_binary_file_is_found_whatever_its_encoding_and_offset(
        tmp_path: Path) -> None:
    # Found by a newcomer: one decoding was chosen for the whole file, from
    # where the first key started; an odd offset read little-endian keys
    # backwards, and an ASCII key hid a two-byte one.
    other = LIVE[:-4] + "Zz99"
    write_tree(tmp_path, {
        "odd.dat": b"\x00\x01\x07" + LIVE.encode("utf-16-le") + b"\x00\x00",
        "mixed.dat": b"\x00\x01junk " + LIVE.encode() + b" \x00\x02" + other.encode("utf-16-le"),
        "both.dat": b"\x00\x01" + LIVE.encode("utf-16-le") + b"\x07" + other.encode("utf-16-le"),
        "big.dat": b"\x00\x01\x02" + LIVE.encode("utf-16-be") + b"\x00",
    })
    findings = scan(tmp_path).findings
    counts = {name: sum(1 for f in findings if f.path == name)
              for name in ("odd.dat", "mixed.dat", "both.dat", "big.dat")}
    assert counts == {"odd.dat": 1, "mixed.dat": 2, "both.dat": 2, "big.dat": 1}
    assert {f.rule for f in findings} == {"PG103"}
