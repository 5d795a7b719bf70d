"""GitHub workflow commands: the annotation shape, and escaping that no content can break."""

from __future__ import annotations

from pathlib import Path

import pytest

from perkamo_guard.report.github_report import command, escape_data, escape_property
from tests.conftest import run_cli, write_tree

LIVE = "sk_live_" + "9Qv2Lr7Tx4Pz8Wm3Nb6Kc1Hd"


def parse_command(line: str) -> tuple[str, dict[str, str], str]:
    """Read a workflow command back as the Actions runner does."""
    assert line.startswith("::")
    head, _, data = line[2:].partition("::")
    name, _, listed = head.partition(" ")
    properties = {}
    for pair in filter(None, listed.split(",")):
        key, _, value = pair.partition("=")
        properties[key] = _unescape(value, ("%3A", ":"), ("%2C", ","))
    return name, properties, _unescape(data)


def _unescape(text: str, *extra: tuple[str, str]) -> str:
    for escaped, plain in (("%0D", "\r"), ("%0A", "\n"), *extra, ("%25", "%")):
        text = text.replace(escaped, plain)
    return text


@pytest.mark.parametrize(
    ("text", "data", "prop"),
    [
        ("plain", "plain", "plain"),
        ("50%", "50%25", "50%25"),
        ("a\nb", "a%0Ab", "a%0Ab"),
        ("a:b,c", "a:b,c", "a%3Ab%2Cc"),
        ("%0A", "%250A", "%250A"),
        ("x\r\n::error::y", "x\\x0d%0A::error::y", "x\\x0d%0A%3A%3Aerror%3A%3Ay"),
        ("\x1b[31mred", "\\x1b[31mred", "\\x1b[31mred"),
    ],
)
def test_escaping_follows_the_workflow_command_rules(text: str, data: str, prop: str) -> None:
    assert (escape_data(text), escape_property(text)) == (data, prop)


@pytest.mark.parametrize(
    "hostile",
    ["a.py\n::error file=x::injected", "50%0A::warning::x", "a,title=Fake:b",
     "a::b", "x\r::stop-commands::token"],
)
def test_no_value_can_start_or_end_a_command(hostile: str) -> None:
    line = command("error", {"file": hostile, "title": hostile}, hostile)
    assert "\n" not in line and "\r" not in line
    name, properties, data = parse_command(line)
    assert name == "error"
    assert set(properties) == {"file", "title"}
    assert properties["file"] == data == hostile.replace("\r", "\\x0d")


def test_findings_become_annotations_and_file_errors_warnings(tmp_path: Path) -> None:
    write_tree(tmp_path, {
        "server/client.py": f'import perkamo\nclient = perkamo.Client("{LIVE}")\n',
        "server/broken.py": b"\x00\x01 binary",
        "server/old.py": "x = 1  # perkamo-guard: ignore[PG103] gone\n",
    })
    proc = run_cli("check", "--format", "github", cwd=tmp_path)
    assert proc.returncode == 1
    assert proc.stdout.splitlines() == [
        "::error file=server/client.py,line=2,col=26,endLine=2,endColumn=58,"
        "title=PG103 hardcoded-server-key::hardcoded live Perkamo server key "
        "sk_live_\u2026c1Hd; read it from the environment or a secrets manager and "
        "rotate the key",
        "::warning file=server/old.py,line=1,col=32,endLine=1,endColumn=37,"
        "title=PG902 unused-suppression::unused suppression: no PG103 finding on the "
        "line it covers; remove PG103 from the comment",
        "::warning file=server/broken.py,title=perkamo-guard file error::binary file "
        "(NUL bytes), though its name says python; searched for keys only",
        "Found 2 findings (1 error, 1 warning) in 2 files scanned (1 file error).",
    ]
    assert LIVE not in proc.stdout


def test_scanned_content_cannot_inject_a_command(tmp_path: Path) -> None:
    code = "PG1%0A::error::pwned"
    write_tree(tmp_path, {
        "evil\n::warning::name.py": f'KEY = "{LIVE}"\n',
        "a.py": f"x = 1  # perkamo-guard: ignore[{code}] why\n",
    })
    proc = run_cli("check", "--format", "github", cwd=tmp_path)
    commands = [parse_command(line) for line in proc.stdout.splitlines()[:-1]]
    assert [(name, p.get("title")) for name, p, _ in commands] == [
        ("warning", "PG902 unused-suppression"), ("error", "PG103 hardcoded-server-key")]
    assert code in commands[0][2]
    assert commands[1][1]["file"] == "evil\n::warning::name.py"
