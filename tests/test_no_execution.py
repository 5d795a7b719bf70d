"""No execution, no network: scanning reads files and never runs, imports or fetches.

The tree below holds code that would write a marker file if anything ran
it: a conftest.py, a setup.py, a package's __init__, npm scripts, config
modules, and YAML documents with Python tags. It also names hosts and URLs
everywhere. A scan must leave no marker, import nothing from the tree,
start no process and open no connection.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import write_tree
from tests.test_output_safety import invoke

LIVE = "sk_live_" + "9Qv2Lr7Tx4Pz8Wm3Nb6Kc1Hd"
MARKER = "RAN.marker"


def _payload(marker: Path) -> str:
    return f"open({str(marker)!r}, 'w').write('ran')\n"


def _tree(root: Path) -> dict[str, str | bytes]:
    marker = root / MARKER
    run = _payload(marker)
    command = f"touch {marker}"
    return {
        "conftest.py": run + f'KEY = "{LIVE}"\n',
        "setup.py": run + 'import requests\nrequests.post("https://api.perkamo.com/v1/events",'
                          ' json={"password": pw})\n',
        "app/__init__.py": run + 'ORIGINS = ["*"]\n',
        "app/__main__.py": run,
        "sitecustomize.py": run,
        "usercustomize.py": run,
        "app/settings.pth": f"import os; os.system({command!r})\n",
        "package.json": json.dumps({
            "name": "evil", "scripts": {"preinstall": command, "postinstall": command,
                                        "test": command, "prepare": command},
            "dependencies": {"next": "14.0.0"}}),
        "next.config.js": (f"require('child_process').execSync({command!r});\n"
                           "module.exports = { env: { PERKAMO_SECRET_KEY: "
                           "process.env.PERKAMO_SECRET_KEY } };\n"),
        "web/perkamo.config.mjs": f"import {{ execSync }} from 'node:child_process';\n"
                                  f"execSync({command!r});\nexport const origins = ['*'];\n",
        "config/perkamo.yaml": (
            f"allowed_origins: !!python/object/apply:os.system [{command!r}]\n"
            f"origins:\n  - !!python/object/new:subprocess.Popen [[touch, {marker}]]\n"
            "  - !!python/name:os.system\n"
            f"secret_key: {LIVE}\n"),
        "config/multi.yaml": (f"--- !!python/object/apply:os.system [{command!r}]\n"
                              f"---\nallowed_origins: ['https://app.example.com/']\n"),
        "pyproject.toml": ('[build-system]\nrequires = ["setuptools"]\n'
                           'build-backend = "evil_backend"\n'
                           '[tool.perkamo-guard]\nfail-on = "error"\n'),
        "Makefile": f"all:\n\t{command}\n",
        ".envrc": f"{command}\nexport PERKAMO_SECRET_KEY={LIVE}\n",
        "web/index.html": ('<script src="https://cdn.example.com/x.js"></script>\n'
                           f'<script>fetch("https://api.perkamo.com/v1/events?k={LIVE}")'
                           "</script>\n"),
        "dist/app.js.map": json.dumps({
            "version": 3, "sources": ["https://evil.example.com/a.ts"],
            "sourceRoot": "https://evil.example.com/", "mappings": "AAAA",
            "sourcesContent": [f"fetch('https://api.perkamo.com/v1/identify'); '{LIVE}'"]}),
        "dist/app.min.js": "var a=1;//# sourceMappingURL=https://evil.example.com/app.js.map\n",
        "schema.json": json.dumps({"$schema": "https://evil.example.com/schema.json",
                                   "$ref": "https://evil.example.com/ref.json"}),
    }


class Forbidden(AssertionError):
    """Something tried to run, spawn or connect during a scan."""


@pytest.fixture
def sealed(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[str]]:
    """Make every way to run a process or open a connection fail, and record tries."""
    tried: list[str] = []

    def refuse(what: str):  # type: ignore[no-untyped-def]
        def refused(*args: object, **kwargs: object) -> object:
            tried.append(what)
            raise Forbidden(what)
        return refused

    for owner, name in [(subprocess, "Popen"), (os, "system"), (os, "posix_spawn"),
                        (os, "posix_spawnp"), (os, "fork"), (os, "execv"), (os, "execve"),
                        (socket, "create_connection"), (socket, "getaddrinfo"),
                        (socket.socket, "connect"), (socket.socket, "connect_ex"),
                        (socket.socket, "sendto")]:
        monkeypatch.setattr(owner, name, refuse(f"{getattr(owner, '__name__', owner)}.{name}"))
    yield tried


def _modules_from(root: Path) -> list[str]:
    inside = str(root.resolve())
    return [name for name, module in list(sys.modules.items())
            if str(getattr(module, "__file__", None) or "").startswith(inside)]


def test_scan_runs_imports_spawns_and_fetches_nothing(tmp_path: Path,
                                                      sealed: list[str]) -> None:
    write_tree(tmp_path, _tree(tmp_path))
    for output_format in ("text", "json", "sarif", "github", "gitlab", "junit"):
        code, stdout, stderr = invoke(tmp_path, "check", ".", "--format", output_format,
                                      "-vv", "--show-zones" if output_format == "text" else "-q")
        assert code == 1 and "Forbidden" not in stdout + stderr
    assert sealed == []
    assert not (tmp_path / MARKER).exists()
    assert _modules_from(tmp_path) == []


def test_scan_finds_the_keys_the_tree_holds(tmp_path: Path, sealed: list[str]) -> None:
    write_tree(tmp_path, _tree(tmp_path))
    _, stdout, _ = invoke(tmp_path, "check", ".", "--format", "json")
    paths = {finding["path"] for finding in json.loads(stdout)["findings"]}
    assert {"conftest.py", "config/perkamo.yaml", "web/index.html",
            "dist/app.js.map"} <= paths
    assert sealed == [] and not (tmp_path / MARKER).exists()


#: Seals the process before perkamo-guard starts, then runs its real entry point.
SEALED_MAIN = """
import os, socket, subprocess, sys
def refuse(*args, **kwargs):
    sys.stderr.write("FORBIDDEN\\n")
    raise SystemExit(99)
for owner, name in [(socket.socket, "connect"), (socket.socket, "connect_ex"),
                    (socket, "create_connection"), (socket, "getaddrinfo"),
                    (subprocess, "Popen"), (os, "system"), (os, "posix_spawn")]:
    setattr(owner, name, refuse)
from perkamo_guard.cli import main
sys.argv = ["perkamo-guard", *sys.argv[1:]]
main()
"""


@pytest.mark.parametrize("output_format", ["text", "sarif"])
def test_real_command_runs_nothing_and_connects_nowhere(tmp_path: Path,
                                                        output_format: str) -> None:
    write_tree(tmp_path, _tree(tmp_path))
    env = {key: value for key, value in os.environ.items() if key != "PYTHONPATH"}
    proc = subprocess.run([sys.executable, "-c", SEALED_MAIN, "check", ".", "--format",
                           output_format, "-vv"], cwd=tmp_path, env=env,
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 1, proc.stderr[-2000:]
    assert "FORBIDDEN" not in proc.stderr
    assert not (tmp_path / MARKER).exists()


def test_yaml_python_tags_are_never_constructed(tmp_path: Path, sealed: list[str]) -> None:
    from perkamo_guard.parse.structured import load_yaml

    text = _tree(tmp_path)["config/perkamo.yaml"]
    assert isinstance(text, str)
    documents = load_yaml(text)
    assert documents and sealed == [] and not (tmp_path / MARKER).exists()
