"""Browser-boundary rules PG401-PG402: browser calls, preview routes, stream tokens."""

from __future__ import annotations

from pathlib import Path
from textwrap import dedent

import pytest

from perkamo_guard.catalogue import load_catalogue
from perkamo_guard.checks import Context
from perkamo_guard.checks import family
from perkamo_guard.checks.boundary import check, classify_path
from perkamo_guard.config import Config
from perkamo_guard.model import Kind, SourceFile, Zone

KINDS = {"py": Kind.PYTHON, "js": Kind.JAVASCRIPT, "ts": Kind.TYPESCRIPT,
         "tsx": Kind.TSX, "vue": Kind.VUE, "html": Kind.HTML, "bundle": Kind.BUNDLE}


def found(name: str, text: str, zone: Zone = Zone.BROWSER) -> set[tuple[str, int, int]]:
    kind = KINDS[name.rsplit(".", 1)[1]]
    file = SourceFile(Path(name), name, kind, zone, dedent(text).lstrip("\n"))
    ctx = Context(Config(), load_catalogue())
    return {(f.rule, f.line, f.column) for f in check(file, ctx)}


BROWSER_CASES = [
    pytest.param("app.ts", 'fetch("https://api.perkamo.com/v1/events");\n',
                 {("PG401", 1, 8)}, id="fetch-literal"),
    pytest.param("app.ts", """
        const API = "https://api.perkamo.com";
        await fetch(`${API}/v1/profile/${id}`);
        """, {("PG401", 2, 20)}, id="host-in-a-constant-route-in-template"),
    pytest.param("app.js", """
        import axios from "axios";
        const api = axios.create({ baseURL: "https://api.perkamo.com" });
        api.post("/v1/events", { type: "x" });
        """, {("PG401", 3, 11)}, id="axios-instance-base-url"),
    pytest.param("app.ts", 'const base = "HTTPS://API.PERKAMO.COM/v1";\n',
                 {("PG401", 1, 15)}, id="upper-case-host-v1-base"),
    pytest.param("app.ts", 'fetch("https://api.perkamo.com/v1/client/profile/1");\n',
                 {("PG402", 1, 8)}, id="preview-route-is-pg402-only"),
    pytest.param("app.ts",
                 'new WebSocket(`wss://api.perkamo.com/v1/profile/${id}/stream`);\n',
                 {("PG402", 1, 16)}, id="profile-stream-route-over-wss"),
    pytest.param("Widget.vue", """
        <template><p>{{ points }}</p></template>
        <script setup lang="ts">
        const r = await fetch("https://api.perkamo.com/v1/program");
        </script>
        """, {("PG401", 3, 24)}, id="vue-script-block"),
    pytest.param("page.html", """
        <form action="https://api.perkamo.com/v1/events" method="post"></form>
        <!-- <a href="https://api.perkamo.com/v1/usage">usage</a> -->
        """, {("PG401", 1, 15)}, id="html-attribute-not-comment"),
    pytest.param("main.bundle",
                 'var a="https://api.perkamo.com/v1/usage",'
                 'b="https://api.perkamo.com/v1/client/x";\n',
                 {("PG401", 1, 8), ("PG402", 1, 45)}, id="bundle-text"),
]

SILENT_CASES = [
    pytest.param("app.ts", 'fetch("/v1/events", {method: "POST"});\n',
                 id="own-proxy-relative-route"),
    pytest.param("app.ts",
                 '// fetch("https://api.perkamo.com/v1/events")\nfetch("/api/points");\n',
                 id="url-in-comment"),
    pytest.param("page.html", """
        <meta http-equiv="Content-Security-Policy"
              content="default-src 'self'; connect-src 'self' https://api.perkamo.com">
        """, id="csp-meta-lists-the-host"),
    pytest.param("app.ts",
                 'const csp = "connect-src \'self\' https://api.perkamo.com";\n',
                 id="csp-string-in-code"),
    pytest.param("app.ts",
                 'fetch("https://api.perkamo.com.evil.example/v1/events");\n',
                 id="look-alike-host"),
    pytest.param("app.ts", 'fetch("https://api.perkamo.com/v2/events");\n', id="not-v1"),
    pytest.param("main.bundle",
                 '/* see https://api.perkamo.com/v1/events */var a=1;\n',
                 id="unquoted-url-in-bundle-comment"),
]


@pytest.mark.parametrize(("name", "text", "expected"), BROWSER_CASES)
def test_browser_use_of_perkamo_is_flagged(name: str, text: str,
                                           expected: set[tuple[str, int, int]]) -> None:
    assert found(name, text) == expected


@pytest.mark.parametrize(("name", "text"), SILENT_CASES)
def test_correct_browser_code_is_silent(name: str, text: str) -> None:
    assert found(name, text) == set()


def test_server_code_calling_perkamo_is_not_pg401() -> None:
    text = 'fetch("https://api.perkamo.com/v1/events", {method: "POST"});\n'
    assert found("route.ts", text, Zone.SERVER) == set()


def test_server_code_on_a_preview_route_is_pg402() -> None:
    text = """
        import requests
        PERKAMO = "https://api.perkamo.com"
        requests.get(f"{PERKAMO}/v1/client/profile/{user_id}", timeout=5)
        """
    assert found("perkamo.py", text, Zone.SERVER) == {("PG402", 3, 25)}


def test_unknown_zone_script_that_uses_the_dom_counts_as_browser() -> None:
    text = """
        document.querySelector("form").addEventListener("submit", () => {
          fetch("https://api.perkamo.com/v1/events", { method: "POST" });
        });
        """
    assert found("signup.js", text, Zone.UNKNOWN) == {("PG401", 2, 10)}
    assert found("worker.js", 'fetch("https://api.perkamo.com/v1/events");\n',
                 Zone.UNKNOWN) == set()


@pytest.mark.parametrize(("text", "expected"), [
    pytest.param("const { streamToken } = session; use(streamToken);\n",
                 {("PG402", 1, 9)}, id="first-use-only"),
    pytest.param("PERKAMO_STREAM_TOKEN = os.environ['PERKAMO_STREAM_TOKEN']\n",
                 {("PG402", 1, 1)}, id="env-name"),
    pytest.param("const upstream_token = 1; const StreamTokenizer = 2;\n",
                 set(), id="other-words"),
    pytest.param("// the streamToken is gone\nconst x = 1;\n", set(), id="comment-line"),
])
def test_stream_token_names_in_a_perkamo_file(text: str,
                                              expected: set[tuple[str, int, int]]) -> None:
    # The import line names Perkamo, which a bare "stream token" name needs.
    prefixed = "import { Perkamo } from '@perkamo/browser';\n" + text
    shifted = {(code, line + 1, column) for code, line, column in expected}
    assert found("live.ts", prefixed, Zone.SERVER) == shifted


@pytest.mark.parametrize(("path", "expected"), [
    ("/v1", "stable"), ("/v1/events", "stable"), ("/v1/profile/u1?x=1", "stable"),
    ("/v1/client", "preview"), ("/v1/client/profile/1", "preview"),
    ("/v1/profile/stream", "stream"), ("/v1/profile/${id}/stream-token", "stream"),
    ("/v1/clients", "stable"), ("/v2/events", None), ("", None), ("/docs", None),
])
def test_paths_are_classified(path: str, expected: str | None) -> None:
    assert classify_path(path) == expected


def test_files_without_a_trigger_are_never_read() -> None:
    assert not any(t in b"fetch('/api/points')" for t in family("boundary").triggers)


def test_json_escaped_slashes_in_a_bundle_still_name_the_route(tmp_path: Path) -> None:
    # Found by a newcomer: bundlers write URLs inside JSON strings as "\/".
    from tests.conftest import scan, write_tree

    write_tree(tmp_path, {
        "dist/assets/e-2222.js":
            '!function(){var e="https:\\/\\/api.perkamo.com\\/v1\\/events";'
            'fetch(e,{method:"POST"})}();\n',
        "dist/assets/p-2222.js":
            '!function(){var perkamo=1;fetch("\\/v1\\/client\\/session",{method:"POST"})}();\n',
    })
    found = {(f.path, f.column, f.rule, f.message.split()[0]) for f in scan(tmp_path).findings}
    assert found == {("dist/assets/e-2222.js", 20, "PG401", "browser"),
                     ("dist/assets/p-2222.js", 34, "PG402", "/v1/client/session")}
