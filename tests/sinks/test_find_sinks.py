"""find_sinks: every client form in Python and JS/TS, its route, URL and method."""

from __future__ import annotations

from pathlib import Path
from textwrap import dedent

import pytest

from perkamo_guard.config import Config, EventSink
from perkamo_guard.model import Kind, SourceFile, Zone
from perkamo_guard.parse.python import PythonSyntaxError
from perkamo_guard.sinks import SinkCall, find_sinks

KINDS = {"py": Kind.PYTHON, "js": Kind.JAVASCRIPT, "ts": Kind.TYPESCRIPT, "tsx": Kind.TSX,
         "vue": Kind.VUE, "svelte": Kind.SVELTE, "html": Kind.HTML}


def source(name: str, text: str) -> SourceFile:
    kind = KINDS[name.rsplit(".", 1)[1]]
    return SourceFile(Path(name), name, kind, Zone.SERVER, dedent(text).lstrip("\n"))


def summary(file: SourceFile, sink: SinkCall) -> tuple[str, bool, str | None, str]:
    """A sink as (route, host, method, URL literal text)."""
    return sink.route, sink.host, sink.method, file.text[sink.url_start:sink.url_end]


PYTHON = [
    pytest.param("""
        import requests
        requests.post("https://api.perkamo.com/v1/events", json={})
        """, ("/v1/events", True, "POST", "https://api.perkamo.com/v1/events"),
        id="requests-module-function"),
    pytest.param("""
        from requests import post as send
        send("/v1/identify", json={})
        """, ("/v1/identify", False, "POST", "/v1/identify"), id="requests-imported-function"),
    pytest.param("""
        import httpx
        PERKAMO = "https://api.perkamo.com"
        httpx.post(f"{PERKAMO}/v1/events:batch", json={})
        """, ("/v1/events:batch", True, "POST", "{PERKAMO}/v1/events:batch"),
        id="httpx-fstring-with-module-constant"),
    pytest.param("""
        import httpx
        async def f():
            async with httpx.AsyncClient(base_url="https://api.perkamo.com") as client:
                await client.post("/v1/events", json={})
        """, ("/v1/events", True, "POST", "/v1/events"), id="httpx-async-client-base-url"),
    pytest.param("""
        import aiohttp
        BASE = "https://api.perkamo.com/v1"
        async def f():
            async with aiohttp.ClientSession() as session:
                async with session.post(BASE + "/identify", json={}) as response:
                    pass
        """, ("/v1/identify", True, "POST", "https://api.perkamo.com/v1"),
        id="aiohttp-session-concatenation"),
    pytest.param("""
        import json
        from urllib.request import Request, urlopen
        request = Request("https://api.perkamo.com/v1/events",
                          data=json.dumps({}).encode(), method="POST")
        urlopen(request)
        """, ("/v1/events", True, "POST", "https://api.perkamo.com/v1/events"),
        id="urllib-request"),
    pytest.param("""
        import requests
        session = requests.Session()
        session.request("POST", "https://api.perkamo.com/v1/rewards/redeem", json={})
        """, ("/v1/rewards/redeem", True, "POST", "https://api.perkamo.com/v1/rewards/redeem"),
        id="session-request-verb-first"),
    pytest.param("""
        import os, requests
        API = os.environ.get("PERKAMO_API", "https://api.perkamo.com")
        def profile(user_id):
            return requests.get(f"{API}/v1/profile/{user_id}")
        """, ("/v1/profile/{user_id}", True, "GET", "{API}/v1/profile/{user_id}"),
        id="env-default-and-route-parameter"),
    pytest.param("""
        import requests
        from .settings import PERKAMO_API
        def track(payload):
            url = f"{PERKAMO_API}/v1/events"
            requests.post(url, json=payload)
        """, ("/v1/events", False, "POST", "{PERKAMO_API}/v1/events"),
        id="local-url-variable-with-imported-base"),
    pytest.param("""
        import httpx
        class Perkamo:
            BASE = "https://api.perkamo.com"
            def __init__(self):
                self.client = httpx.Client(base_url=self.BASE)
            def program(self):
                return self.client.get("/v1/program")
        """, ("/v1/program", True, "GET", "/v1/program"), id="client-on-self-with-class-base"),
]


@pytest.mark.parametrize(("text", "expected"), PYTHON)
def test_python_sinks_are_found(text: str, expected: tuple[object, ...]) -> None:
    file = source("server/app.py", text)
    assert [summary(file, s) for s in find_sinks(file, Config())] == [expected]


JAVASCRIPT = [
    pytest.param("""
        await fetch("https://api.perkamo.com/v1/events", { method: "POST", body: "{}" });
        """, ("/v1/events", True, "POST", "https://api.perkamo.com/v1/events"), id="fetch"),
    pytest.param("""
        const PERKAMO_API = process.env.PERKAMO_API ?? "https://api.perkamo.com";
        await fetch(`${PERKAMO_API}/v1/identify`, { method: "POST" });
        """, ("/v1/identify", True, "POST", "${PERKAMO_API}/v1/identify"),
        id="fetch-template-with-env-default"),
    pytest.param("""
        window.fetch("/v1/profile/" + id);
        """, ("/v1/profile/{user_id}", False, "GET", "/v1/profile/"), id="window-fetch-get"),
    pytest.param("""
        import axios from "axios";
        axios.post("https://api.perkamo.com/v1/events", {});
        """, ("/v1/events", True, "POST", "https://api.perkamo.com/v1/events"),
        id="axios-post"),
    pytest.param("""
        axios({ url: "/v1/events:batch", method: "post", data: {} });
        """, ("/v1/events:batch", False, "POST", "/v1/events:batch"), id="axios-config"),
    pytest.param("""
        const perkamo = axios.create({ baseURL: "https://api.perkamo.com" });
        perkamo.post("/v1/identify", {});
        """, ("/v1/identify", True, "POST", "/v1/identify"), id="axios-instance-base-url"),
    pytest.param("""
        import ky from "ky";
        const api = ky.create({ prefixUrl: "https://api.perkamo.com" });
        await api.post("v1/events", { json: {} });
        """, ("/v1/events", True, "POST", "v1/events"), id="ky-instance-prefix-url"),
    pytest.param("""
        import got from "got";
        await got("https://api.perkamo.com/v1/events", { method: "POST", json: {} });
        """, ("/v1/events", True, "POST", "https://api.perkamo.com/v1/events"),
        id="got-options"),
    pytest.param("""
        await $fetch("/v1/usage");
        """, ("/v1/usage", False, None, "/v1/usage"), id="ofetch-global"),
    pytest.param("""
        import request from "superagent";
        request.post("https://api.perkamo.com/v1/events").set("X-Id", id).send({});
        """, ("/v1/events", True, "POST", "https://api.perkamo.com/v1/events"),
        id="superagent-chain"),
    pytest.param("""
        this.http.post<Ack>("/v1/admin/config/tiers", config);
        """, ("/v1/admin/config/{module}", False, "POST", "/v1/admin/config/tiers"),
        id="angular-style-client"),
    pytest.param("""
        navigator.sendBeacon("/v1/events", JSON.stringify(event));
        """, ("/v1/events", False, "POST", "/v1/events"), id="send-beacon"),
    pytest.param("""
        const url = new URL("/v1/events", "https://api.perkamo.com");
        fetch(url, { method: "POST" });
        """, ("/v1/events", True, "POST", "/v1/events"), id="new-url-with-base"),
]


@pytest.mark.parametrize(("text", "expected"), JAVASCRIPT)
def test_javascript_sinks_are_found(text: str, expected: tuple[object, ...]) -> None:
    file = source("server/app.ts", text)
    assert [summary(file, s) for s in find_sinks(file, Config())] == [expected]


@pytest.mark.parametrize(
    ("name", "text"),
    [
        pytest.param("server/app.py", """
            import requests
            requests.post("https://hooks.example.com/v1/events", json={})
            """, id="python-other-host"),
        pytest.param("server/app.py", """
            from flask import Flask
            app = Flask(__name__)
            @app.post("/v1/events")
            def receive():
                return {}
            """, id="python-route-decorator"),
        pytest.param("server/app.py", """
            import requests
            def send(url, payload):
                requests.post(url, json=payload)
            """, id="python-url-parameter"),
        pytest.param("server/app.ts", """
            app.post("/v1/events", (req, res) => res.json({ ok: true }));
            """, id="express-route-handler"),
        pytest.param("server/app.ts", """
            fetch("/api/points", { method: "POST", body: JSON.stringify({}) });
            """, id="own-api-route"),
        pytest.param("server/app.ts", """
            cache.get("/v1/users");
            """, id="unknown-v1-route-without-host"),
    ],
)
def test_calls_that_are_not_perkamo_calls_are_not_sinks(name: str, text: str) -> None:
    assert find_sinks(source(name, text), Config()) == []


def test_configured_sink_has_an_empty_route_and_its_callee() -> None:
    file = source("server/app.py", """
        def signup(perkamo, user):
            perkamo.track(user.id, {"type": "signup"})
        """)
    (sink,) = find_sinks(file, Config(event_sinks=(EventSink("perkamo.track"),)))
    assert (sink.route, sink.callee, sink.is_event) == ("", "perkamo.track", True)


def test_configured_sink_matches_through_an_import_alias() -> None:
    file = source("server/app.py", """
        from perkamo import track as send
        send({"type": "signup"})
        """)
    assert len(find_sinks(file, Config(event_sinks=(EventSink("perkamo.track"),)))) == 1


def test_sinks_of_vue_script_blocks_are_placed_in_the_component_file() -> None:
    file = source("src/Points.vue", """
        <template><p /></template>
        <script setup lang="ts">
        await fetch("/v1/identify", { method: "POST", body: "{}" });
        </script>
        """)
    (sink,) = find_sinks(file, Config())
    assert file.lines.position(sink.url_start) == (3, 14)


def test_sink_keeps_its_raw_node_for_later_analyses() -> None:
    import ast

    file = source("server/app.py", """
        import requests
        requests.post("https://api.perkamo.com/v1/events", json={})
        """)
    (sink,) = find_sinks(file, Config())
    assert isinstance(sink.node, ast.Call) and isinstance(sink.module, ast.Module)
    assert file.text[sink.call_start:sink.call_end].startswith("requests.post(")


def test_sinks_are_cached_on_the_file() -> None:
    file = source("server/app.ts", 'fetch("/v1/events", { method: "POST" });')
    first = find_sinks(file, Config())
    tree = file.cache["js"]
    assert find_sinks(file, Config()) == first and file.cache["js"] is tree


def test_python_the_interpreter_cannot_parse_raises_a_syntax_error() -> None:
    file = source("server/app.py", "def broken(:\n    requests.post('/v1/events')\n")
    with pytest.raises(PythonSyntaxError):
        find_sinks(file, Config())


def test_other_kinds_have_no_sinks() -> None:
    file = SourceFile(Path("notes.md"), "notes.md", Kind.TEXT, Zone.UNKNOWN,
                      "POST https://api.perkamo.com/v1/events")
    assert find_sinks(file, Config()) == []
