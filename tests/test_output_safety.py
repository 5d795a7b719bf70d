"""Output safety: no whole key, no raw control character, no CI command, in any output.

Scanned files choose the text of snippets, paths and some message parts.
Whatever they hold, every format (and the logs) must show keys masked, show
control characters as visible escapes, and give a CI runner nothing to obey.
"""

from __future__ import annotations

import base64
import logging
import re
import string
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from perkamo_guard.catalogue import expand_codes, load_catalogue
from perkamo_guard.cli import cli
from perkamo_guard.config import load_config
from perkamo_guard.engine import Scanner
from perkamo_guard.keys import is_placeholder
from perkamo_guard.report import FORMATS, ReportInput, get_renderer
from perkamo_guard.snippet import make_snippet, neutralise, neutralise_line
from perkamo_guard.text import LineIndex
from tests.conftest import working_directory, write_tree

LIVE = "sk_live_" + "9Qv2Lr7Tx4Pz8Wm3Nb6Kc1Hd"
OTHER = "sk_live_" + "Tx4Pz8Wm3Nb6Kc1Hd9Qv2Lr7"
#: Characters a terminal or log viewer acts on.
RAW_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


def _formats() -> list[str]:
    """The formats whose reporter exists in this build."""
    import importlib.util

    return [name for name in FORMATS
            if importlib.util.find_spec(f"perkamo_guard.report.{name}_report")]


@contextmanager
def _scoped_logging() -> Iterator[None]:
    """Undo the handlers that ``-v`` adds, so that runs do not share them."""
    package = logging.getLogger("perkamo_guard")
    handlers, level = list(package.handlers), package.level
    try:
        yield
    finally:
        package.handlers[:] = handlers
        package.setLevel(level)


def invoke(root: Path, *args: str) -> tuple[int, str, str]:
    """Run ``perkamo-guard`` in-process in ``root``; return exit code, stdout, stderr."""
    with working_directory(root), _scoped_logging():
        result = CliRunner().invoke(cli, list(args))
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise AssertionError(f"the run raised {type(result.exception).__name__}")
    return result.exit_code, result.stdout, result.stderr


def render_all(root: Path) -> dict[str, str]:
    """Scan ``root`` in-process once and render it in every format."""
    with working_directory(root):
        config = load_config()
        result = Scanner(config, expand_codes(["ALL"])).scan(["."])
        rules = load_catalogue()
        return {name: get_renderer(name)(ReportInput(result, rules, show_zones=True,
                                                     statistics=True))
                for name in _formats()}


# -- neutralising and windows --------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "shown"),
    [("\x1b[2J\x1b[31mred", "\\x1b[2J\\x1b[31mred"),
     ("\x1b]0;title\x07", "\\x1b]0;title\\x07"),
     ("\x9b31m", "\\x9b31m"),
     ("back\x08\x08space", "back\\x08\\x08space"),
     ("over\rwrite", "over\\x0dwrite"),
     ("evil\u202egnp.py", "evil\\u202egnp.py"),
     ("mark\u200fhere", "mark\\u200fhere"),
     ("bad\udcff\udcfe.py", "bad\\xff\\xfe.py"),
     ("tab\there", "tab here")],
    ids=["csi", "osc-title", "c1-csi", "backspace", "carriage-return", "rtl-override",
         "rtl-mark", "undecodable-bytes", "tab"],
)
def test_neutralise_shows_every_control_as_a_visible_escape(text: str, shown: str) -> None:
    assert neutralise(text) == shown


def test_neutralise_line_keeps_output_on_one_line() -> None:
    assert neutralise_line("a.py\nserver/ok.py:1:1: PG000 all clear") == (
        "a.py\\x0aserver/ok.py:1:1: PG000 all clear")


def test_snippet_window_never_opens_inside_another_key() -> None:
    # Two keys on one minified line: the window of the second must not show
    # the first one's body without the prefix that gets it masked.
    line = "x" * 300 + f'var a="{OTHER}",' + "y" * 40 + f',b="{LIVE}";' + "z" * 300
    for gap in range(0, 70):
        text = line.replace("y" * 40, "y" * gap)
        snippet = make_snippet(LineIndex(text), text.index(LIVE), [LIVE])
        assert not re.search(r"[A-Za-z0-9]{9,}", snippet.replace("x", "").replace(
            "y", "").replace("z", "")), f"gap {gap}: a key body shows"


# -- hostile text in every format ----------------------------------------------------

HOSTILE_LINE = ("\x1b]0;pwned\x07\x1b[2J\x9b31m ##[stop-commands]tok ##vso[task.complete]"
                " \u202e ")
HOSTILE_TREE: dict[str, str | bytes] = {
    "server/app.py": f'KEY = "{LIVE}"  # {HOSTILE_LINE}\n',
    "server/cmd.py": f'KEY = "{LIVE}"\n::error file=x.py::fake\n',
    f"server/{HOSTILE_LINE.strip()}.py": f'KEY = "{LIVE}"\n',
    "server/::warning::x.py": f'KEY = "{LIVE}"\n',
    "server/line\nbreak.py": f'KEY = "{LIVE}"\n',
    "server/##[group]g.py": b"\x00 binary with a hostile name",
}


def _obeyed_commands(output: str, name: str) -> list[str]:
    """Return the lines of ``output`` a GitHub, or Azure, runner would obey."""
    obeyed = []
    for line in output.splitlines():
        if re.search(r"##(\[|vso\[)", line, re.IGNORECASE) and not (
                name == "github" and line.startswith(("::error ", "::warning "))):
            obeyed.append(line)
        elif line.lstrip().startswith("::") and not (
                name == "github" and re.match(r"::(error|warning) file=", line)):
            obeyed.append(line)
    return obeyed


@pytest.mark.parametrize("name", _formats())
def test_hostile_snippets_and_paths_reach_no_output_raw(tmp_path: Path, name: str) -> None:
    write_tree(tmp_path, HOSTILE_TREE)
    code, stdout, stderr = invoke(tmp_path, "check", ".", "--format", name, "-vv",
                                  "--show-zones")
    assert code == 1
    for output in (stdout, stderr):
        assert not RAW_CONTROL.search(output)
        assert _obeyed_commands(output, name) == []
        assert LIVE not in output
    if name == "text":
        # One line a finding, one a snippet, one a file error, one the summary;
        # zones one line a file.
        assert len(stdout.splitlines()) == 5 * 2 + 1 + 1 + 6


def test_github_output_is_one_command_a_finding_or_file_error(tmp_path: Path) -> None:
    write_tree(tmp_path, HOSTILE_TREE)
    _, stdout, _ = invoke(tmp_path, "check", ".", "--format", "github")
    lines = stdout.splitlines()
    assert len(lines) == 5 + 1 + 1
    assert all(re.match(r"::(error|warning) file=", line) for line in lines[:-1])


def test_log_lines_at_vv_are_neutral_and_masked(tmp_path: Path) -> None:
    write_tree(tmp_path, {**HOSTILE_TREE, f"node_modules/{HOSTILE_LINE.strip()}/x.py": "x"})
    _, _, stderr = invoke(tmp_path, "check", ".", "-vv", "--format", "json")
    assert "DEBUG" in stderr
    assert not RAW_CONTROL.search(stderr) and LIVE not in stderr
    assert _obeyed_commands(stderr, "json") == []


@pytest.mark.parametrize("name", _formats())
def test_output_file_holds_no_whole_key(tmp_path: Path, name: str) -> None:
    write_tree(tmp_path, HOSTILE_TREE)
    code, stdout, stderr = invoke(tmp_path, "check", ".", "--format", name,
                                  "--output", "report.out", "-vv")
    report = (tmp_path / "report.out").read_text(encoding="utf-8")
    assert code == 1 and report
    for output in (stdout, stderr, report):
        assert LIVE not in output and LIVE[8:] not in output


# -- a property: generated keys in every file kind, every format ----------------------

BODIES = st.text(alphabet=string.ascii_letters + string.digits, min_size=16,
                 max_size=40).filter(lambda body: not is_placeholder(body))
KEYS = st.tuples(st.sampled_from(["sk_live_", "sk_test_"]), BODIES).map("".join)


def embed(key: str, other: str) -> dict[str, str | bytes]:
    """Put ``key`` (and ``other``, near it) in every file kind we read."""
    prefix, body = key[:8], key[8:]
    encoded = base64.b64encode(key.encode()).decode()
    minified = ("!function(){" + "var q=1;" * 300 + f'var a="{other}",b="{key}";'
                + "var r=2;" * 300 + "}();")
    source_map = ('{"version":3,"sources":["webpack://app/' + key + '.ts"],'
                  '"sourcesContent":["const k = \\"' + key + '\\";"],"mappings":"AAAA"}')
    return {
        "server/app.py": f'KEY = "{key}"\nSPLIT = ("{prefix}"\n         "{body}")\n',
        "server/events.py": ("import perkamo\n"
                             f'perkamo.events.track({{"user_id": u, "api_token": "{key}"}})\n'
                             f"# perkamo-guard: ignore[{key}] reason\n"),
        "client/app.js": (f'const k = "{key}";\nconst s = "{prefix}" + "{body}";\n'
                          f'const b = atob("{encoded}");\n'
                          f'fetch("https://api.perkamo.com/v1/events?key={key}");\n'),
        "client/app.ts": f'export const k: string = "{key}";\n',
        "components/Pay.tsx": f'export const Pay = () => <Widget apiKey="{key}" />;\n',
        "components/Pay.vue": f'<script setup lang="ts">\nconst k = "{key}"\n</script>\n',
        "components/Pay.svelte": f"<script>\n  const k = '{key}';\n</script>\n",
        "backend/.env": f"PERKAMO_SECRET_KEY={key}\n",
        "web/.env.local": f"NEXT_PUBLIC_PERKAMO_SECRET_KEY={key}\n",
        "config/perkamo.json": (f'{{"secret_key": "{key}", '
                                f'"allowed_origins": ["{key}", "https://{key}.example.com/"]}}'),
        "config/perkamo.yaml": f"secret_key: {key}\nallowed_origins:\n  - {key}\n",
        "config/perkamo.toml": f'secret_key = "{key}"\nallowed_origins = ["{key}"]\n',
        "public/index.html": f'<script>var k = "{key}";</script>\n',
        "dist/app.js.map": source_map,
        "dist/app.min.js": minified,
        "docs/setup.md": f"Run `export PERKAMO_SECRET_KEY={key}` first.\n",
    }


def _leaks(output: str, key: str) -> bool:
    encoded = base64.b64encode(key.encode()).decode()
    return key in output or key[8:] in output or encoded in output


@settings(max_examples=15, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.too_slow])
@given(key=KEYS, other=KEYS)
def test_no_output_ever_holds_a_whole_key(key: str, other: str) -> None:
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)
        write_tree(root, embed(key, other))
        rendered = render_all(root)
        for name, output in rendered.items():
            assert not _leaks(output, key) and not _leaks(output, other), name
        assert '"PG101"' in rendered["json"] and '"PG102"' in rendered["json"]

        code, stdout, stderr = invoke(root, "check", ".", "-vv")
        assert code == 1
        code, out_json, err_json = invoke(root, "check", ".", "--format", "json",
                                          "--output", "out.json", "-vv")
        written = (root / "out.json").read_text(encoding="utf-8")
        for output in (stdout, stderr, out_json, err_json, written):
            assert not _leaks(output, key) and not _leaks(output, other)


@pytest.mark.parametrize("name", _formats())
def test_parser_messages_that_quote_a_key_are_masked(tmp_path: Path, name: str) -> None:
    # Found by a newcomer: YAML and TOML errors quote the text they stop at.
    write_tree(tmp_path, {"perkamo.yaml": f"allowed_origins:\n  key: *{LIVE}\n",
                          "perkamo.toml": f'{LIVE} = 1\n{LIVE} = 2\n'})
    shown = render_all(tmp_path)[name]
    code, out, err = invoke(tmp_path, "check", "--format", name, ".")
    for text in (shown, out, err):
        assert LIVE not in text and LIVE[8:] not in text


@pytest.mark.parametrize("name", _formats())
def test_a_key_with_escaped_underscores_beside_a_finding_is_masked(tmp_path: Path,
                                                                   name: str) -> None:
    # Found by a newcomer: the snippet of the first key's finding showed the
    # second, written with \u005f escapes, whole.
    escaped = OTHER.replace("_", "\\u005f")
    write_tree(tmp_path, {"dist/assets/k.js": (
        f'!function(){{var e="{LIVE}";fetch("/api",{{headers:{{a:"{escaped}"}}}})}}();\n')})
    code, out, err = invoke(tmp_path, "check", "--format", name, ".")
    assert code == 1
    for text in (render_all(tmp_path)[name], out, err):
        assert LIVE[8:] not in text and OTHER[8:] not in text
