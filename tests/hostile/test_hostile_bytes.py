"""Hostile input at the byte level: binaries, NULs, bad UTF-8, BOMs, line endings.

Each row is one file next to the planted sibling. The expected position is
worked out from the text as a reader would see it (``position_of``), so a
column that counts bytes, or a line count that ignores a lone CR, fails.
"""

from __future__ import annotations

import codecs
import gzip
import io
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import NamedTuple

import pytest

from tests.hostile.harness import LIVE, check_with_sibling, position_of

PREFIX, BODY = LIVE[:8], LIVE[8:]


class Case(NamedTuple):
    id: str
    name: str
    data: bytes
    #: (line, column, rule) expected in the file, or None for no finding.
    finding: tuple[int, int, str] | None
    #: Words the file's error must hold, or None for no file error.
    error: str | None


def case(id: str, name: str, text: str, rule: str, *, needle: str = "sk_",
         encode: Callable[[str], bytes] = str.encode, error: str | None = None) -> Case:
    """A text file, encoded; the finding sits at ``needle`` in ``text``."""
    return Case(id, name, encode(text), (*position_of(text, needle), rule), error)


def raw(id: str, name: str, data: bytes, rule: str | None, error: str | None, *,
        needle: str = "sk_", text: str | None = None) -> Case:
    """A file given as bytes; positions come from ``text``, else a lenient reading."""
    if rule is None:
        return Case(id, name, data, None, error)
    text = data.decode("utf-8", "replace") if text is None else text
    return Case(id, name, data, (*position_of(text, needle), rule), error)


def _zip() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("key.txt", f"KEY={LIVE}")
    return buffer.getvalue()


def _bom(codec: str) -> Callable[[str], bytes]:
    boms = {"utf-8": codecs.BOM_UTF8, "utf-16-le": codecs.BOM_UTF16_LE,
            "utf-16-be": codecs.BOM_UTF16_BE, "utf-32-le": codecs.BOM_UTF32_LE,
            "utf-32-be": codecs.BOM_UTF32_BE}
    return lambda text: boms[codec] + text.encode(codec)


KEY_LINE = f'KEY = "{LIVE}"\n'
ENV = f"# settings\nPERKAMO_SECRET_KEY={LIVE}\n"
BINARY = "binary file (NUL bytes)"
NOT_UTF8 = "not valid UTF-8"

BINARIES = [
    raw("ts-holding-png", "client/logo.ts", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" * 20,
        None, BINARY),
    raw("vue-holding-gzip", "components/A.vue", gzip.compress(KEY_LINE.encode(), mtime=0),
        None, BINARY),
    # A binary file is still searched for keys, byte for character.
    raw("env-holding-zip", "backend/.env", _zip(), "PG103", BINARY,
        text=_zip().decode("latin-1")),
    raw("map-holding-sqlite", "dist/app.js.map", b"SQLite format 3\x00" + bytes(200),
        None, BINARY),
    raw("yaml-holding-jpeg", "config/app.yaml", b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" * 9,
        None, BINARY),
    raw("html-holding-wasm", "public/index.html", b"\x00asm\x01\x00\x00\x00" * 30,
        None, BINARY),
    # No BOM: binary, but the key prefix in two-byte characters is found.
    raw("toml-holding-utf16-without-bom", "config/app.toml",
        f'key = "{LIVE}"\n'.encode("utf-16-le"), "PG103", BINARY, text=f'key = "{LIVE}"\n'),
    # High bytes but no NUL: read as text leniently, the key is still found.
    raw("js-high-bytes-no-nul", "client/blob.js",
        bytes(range(128, 256)) + f'\nconst k = "{LIVE}";\n'.encode(), "PG101", NOT_UTF8),
]

NULS = [
    raw("nul-at-the-top-of-js", "client/a.js", b"\x00" + KEY_LINE.encode(), "PG101", BINARY),
    raw("nul-after-the-sniffed-head-of-a-bundle", "dist/app.min.js",
        f'var k="{LIVE}";'.encode() + b"x" * 9000 + b"\x00;", "PG101", None),
    raw("nul-after-the-sniffed-head-of-python", "server/late.py",
        b"# pad\n" * 1500 + f'KEY = ("{PREFIX}"\n       "{BODY}")\n'.encode() + b"\x00\n",
        "PG103", None),
]

INVALID_UTF8 = [
    case("latin1-python-with-coding-line", "server/legacy.py",
         f"# -*- coding: latin-1 -*-\n# caf\u00e9 cr\u00e8me\n{KEY_LINE}", "PG103",
         encode=lambda t: t.encode("latin-1")),
    raw("latin1-python-without-coding-line", "server/legacy2.py",
        "# caf\u00e9\n".encode("latin-1") + KEY_LINE.encode(), "PG103", NOT_UTF8),
    raw("invalid-utf8-before-the-key-on-its-line", "server/inline.py",
        b'x = "\xff\xfe"; ' + KEY_LINE.encode(), "PG103", NOT_UTF8),
    raw("invalid-utf8-env", "backend/.env",
        b"# \xe9t\xe9\n" + ENV.encode(), "PG104", NOT_UTF8, needle="PERKAMO"),
    raw("invalid-utf8-json", "config/app.json",
        b'{"note": "\xc0\xaf", "key": "' + LIVE.encode() + b'"}', "PG103", NOT_UTF8),
    raw("surrogate-bytes-in-yaml", "config/app.yaml",
        b"note: \xed\xa0\x80\nkey: " + LIVE.encode() + b"\n", "PG103", NOT_UTF8),
    raw("truncated-multibyte-at-the-end-of-ts", "client/cut.ts",
        f'const k = "{PREFIX}" + "{BODY}";\n'.encode() + b"\xe2\x82", "PG101", NOT_UTF8),
]

BOMS = [
    case("utf8-bom-python", "server/bom.py", KEY_LINE, "PG103", encode=_bom("utf-8")),
    case("utf8-bom-json", "config/bom.json", f'{{"key": "{LIVE}"}}', "PG103",
         encode=_bom("utf-8")),
    case("utf8-bom-yaml", "config/bom.yaml", f"key: {LIVE}\n", "PG103",
         encode=_bom("utf-8")),
    case("utf8-bom-toml", "config/bom.toml", f'key = "{LIVE}"\n', "PG103",
         encode=_bom("utf-8")),
    case("utf8-bom-env", "backend/.env", ENV, "PG104", needle="PERKAMO",
         encode=_bom("utf-8")),
    case("utf16le-bom-ts-split-key", "client/wide.ts",
         f'// \u00e9\nconst k = "{PREFIX}" + "{BODY}";\n', "PG101", encode=_bom("utf-16-le")),
    case("utf16be-bom-env", "backend/.env", ENV, "PG104", needle="PERKAMO",
         encode=_bom("utf-16-be")),
    case("utf32le-bom-json", "config/wide.json", f'{{"key": "{LIVE}"}}', "PG103",
         encode=_bom("utf-32-le")),
    case("utf32be-bom-yaml", "config/wide.yaml", f"key: {LIVE}\n", "PG103",
         encode=_bom("utf-32-be")),
    # One BOM is dropped; a second is a character of the text.
    case("two-utf8-boms", "server/twice.py", "\ufeff" + KEY_LINE, "PG103",
         encode=_bom("utf-8")),
    raw("utf16-odd-length", "client/odd.js",
        codecs.BOM_UTF16_LE + f'const k = "{LIVE}";'.encode("utf-16-le") + b"\x00\x00\x41",
        "PG101", None, text=f'const k = "{LIVE}";'),
]

LINE_ENDINGS = [
    case("crlf-python", "server/crlf.py", f"a = 1\r\nb = 2\r\n{KEY_LINE}", "PG103"),
    case("lone-cr-python-split-key", "server/cr.py",
         f"a = 1\rKEY = ('{PREFIX}'\r       '{BODY}')\r", "PG103"),
    case("mixed-endings-python", "server/mixed.py",
         f"a = 1\r\nb = 2\rc = 3\nKEY = '{LIVE}'\r", "PG103"),
    case("lone-cr-js-split-key", "client/cr.js",
         f"// x\rconst k = '{PREFIX}' +\r  '{BODY}';\r", "PG101"),
    case("crlf-tsx", "components/Crlf.tsx",
         f'export const A = () => (\r\n  <b title="{LIVE}" />\r\n);\r\n', "PG101"),
    case("crlf-env", "backend/.env", ENV.replace("\n", "\r\n"), "PG104", needle="PERKAMO"),
    case("lone-cr-env", "backend/.env", ENV.replace("\n", "\r"), "PG104", needle="PERKAMO"),
    case("lone-cr-yaml", "config/cr.yaml", f"a: 1\rkey: {LIVE}\r", "PG103"),
    case("lone-cr-json", "config/cr.json", f'{{\r"a": 1,\r"key": "{LIVE}"\r}}', "PG103"),
    case("lone-cr-toml", "config/cr.toml", f'a = 1\rkey = "{LIVE}"\r', "PG103"),
    case("crlf-source-map", "dist/crlf.js.map",
         '{"version":3,\r\n"sources":["a.ts"],\r\n"sourcesContent":["const k = \\"'
         + LIVE + '\\";"]}', "PG101"),
    case("lone-cr-html", "public/cr.html",
         f'<html>\r<script>\rvar k = "{LIVE}";\r</script>\r</html>', "PG101"),
    case("tabs-count-as-one-column", "server/tabs.py", f"\t\t{KEY_LINE}", "PG103"),
    case("astral-characters-count-as-one-column", "client/emoji.js",
         f"const e = '\U0001f600\U0001f600'; const k = '{PREFIX}' + '{BODY}';\n", "PG101"),
    case("nel-and-line-separator-are-not-line-breaks", "server/nel.py",
         f"# a\x85b\u2028c\n{KEY_LINE}", "PG103"),
]

CASES = BINARIES + NULS + INVALID_UTF8 + BOMS + LINE_ENDINGS


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_hostile_bytes_give_the_right_finding_or_file_error(tmp_path: Path,
                                                            case: Case) -> None:
    run = check_with_sibling(tmp_path, {case.name: case.data})
    assert run.exit_code == 1
    assert run.findings(case.name) == ([case.finding] if case.finding else [])
    errors = run.errors(case.name)
    if case.error is None:
        assert errors == []
    else:
        assert len(errors) == 1 and case.error in errors[0]


# (content of sourcesContent as JSON text, the original line of the key)
MAP_LINES = [
    ("x\\ny\\nconst k = \\\"KEY\\\";", 3),
    ("x\\r\\ny\\r\\nconst k = \\\"KEY\\\";", 3),
    ("x\\ry\\rz\\rconst k = \\\"KEY\\\";", 4),
    ("a \\\\n b \\\\r c; const k = \\\"KEY\\\";", 1),
    ("a\\\\\\nb; const k = \\\"KEY\\\";", 2),
]


@pytest.mark.parametrize(("content", "line"), MAP_LINES,
                         ids=["lf", "crlf", "lone-cr", "escaped-backslash-n", "backslash-then-lf"])
def test_source_map_message_counts_original_lines_like_an_editor(tmp_path: Path,
                                                                 content: str,
                                                                 line: int) -> None:
    source_map = ('{"version":3,"sources":["src/a.ts"],"sourcesContent":["'
                  + content.replace("KEY", LIVE) + '"]}')
    run = check_with_sibling(tmp_path, {"dist/a.js.map": source_map})
    [finding] = [f for f in run.report["findings"] if f["path"] == "dist/a.js.map"]
    assert f"(original source src/a.ts line {line})" in finding["message"]
