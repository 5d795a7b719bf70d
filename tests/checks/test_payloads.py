"""Payload rules PG301-PG303 on Python and JS/TS sinks, and on calls that are not sinks."""

from __future__ import annotations

from pathlib import Path
from textwrap import dedent

import pytest

from perkamo_guard.catalogue import load_catalogue
from perkamo_guard.checks import Context
from perkamo_guard.checks import family
from perkamo_guard.checks.payloads import check
from perkamo_guard.config import Config, EventSink
from perkamo_guard.model import Finding, Kind, SourceFile, Zone
from tests.conftest import scan, write_tree

KINDS = {"py": Kind.PYTHON, "js": Kind.JAVASCRIPT, "ts": Kind.TYPESCRIPT, "tsx": Kind.TSX,
         "vue": Kind.VUE, "svelte": Kind.SVELTE}
# Invented secrets, assembled so that this file holds none whole.
JWT = "eyJhbGciOiJIUzI1NiJ9" + ".eyJzdWIiOiJtZW1iZXItMSJ9" + ".bm90LXJlYWw"
LIVE = "sk_live_" + "9Qv2Lr7Tx4Pz8Wm3Nb6Kc1Hd"


def run(name: str, text: str, config: Config | None = None) -> tuple[list[Finding], Context]:
    file = SourceFile(Path(name), name, KINDS[name.rsplit(".", 1)[1]], Zone.SERVER,
                      dedent(text).lstrip("\n"))
    ctx = Context(config or Config(), load_catalogue())
    return list(check(file, ctx)), ctx


def found(name: str, text: str, config: Config | None = None) -> set[tuple[str, int, int]]:
    findings, _ = run(name, text, config)
    return {(f.rule, f.line, f.column) for f in findings}


PYTHON_CASES = [
    pytest.param("""
        import requests
        requests.post("https://api.perkamo.com/v1/events", json={
            "user_id": 1, "type": "signup", "password": form["password"]})
        """, {("PG301", 3, 38)}, id="requests-json-literal-password"),
    pytest.param("""
        import httpx
        PERKAMO = "https://api.perkamo.com"
        async def linked(card):
            async with httpx.AsyncClient(base_url=PERKAMO) as client:
                await client.post("/v1/events", json={"properties": {"cvv": card.cvv}})
        """, {("PG301", 5, 63)}, id="httpx-async-client-nested-cvv"),
    pytest.param("""
        import aiohttp
        async def identify(user):
            payload = {"user_id": user.id, "traits": {"accessToken": user.token}}
            async with aiohttp.ClientSession() as session:
                await session.post("https://api.perkamo.com/v1/identify", json=payload)
        """, {("PG301", 3, 48)}, id="aiohttp-session-payload-variable"),
    pytest.param("""
        import json
        from urllib.request import Request, urlopen
        def send(card):
            body = {"type": "card_added", "card_number": card.number}
            urlopen(Request("https://api.perkamo.com/v1/events",
                            data=json.dumps(body).encode("utf-8"), method="POST"))
        """, {("PG301", 4, 36)}, id="urllib-json-dumps-encode"),
    pytest.param("""
        import requests
        def send(user, token):
            requests.request("POST", "https://api.perkamo.com/v1/identify",
                             json={"user_id": user, "refresh_token": token})
        """, {("PG301", 4, 46)}, id="requests-request-verb-first"),
    pytest.param("""
        import json, requests
        def send(user):
            data = json.dumps({"user_id": user.id, "api_key": user.key})
            requests.post("https://api.perkamo.com/v1/events", data=data)
        """, {("PG301", 3, 45)}, id="data-keyword-json-dumps-variable"),
    pytest.param("""
        import requests
        def send(user, pw):
            requests.post("/v1/events", json=dict(user_id=user, password=pw))
        """, {("PG301", 3, 57)}, id="dict-call-keyword-position"),
    pytest.param("""
        import requests
        def send(user):
            payload = {"user_id": user.id, "properties": {}}
            payload["properties"]["pin"] = user.pin
            requests.post("/v1/events", json=payload)
        """, {("PG301", 4, 28)}, id="nested-subscript-assignment"),
    pytest.param("""
        import requests
        def send(user):
            payload = {"user_id": user.id}
            payload.update(client_secret=user.secret, tier=user.tier)
            requests.post("/v1/events", json=payload)
        """, {("PG301", 4, 20)}, id="update-with-keywords"),
    pytest.param("""
        import requests
        def send(form):
            payload = {"user_id": form["id"], "password": form["password"]}
            payload.pop("password", None)
            requests.post("/v1/events", json=payload)
        """, set(), id="popped-field-is-silent"),
    pytest.param("""
        import requests
        def send(form):
            payload = {"user_id": form["id"], "password": form["password"]}
            del payload["password"]
            requests.post("/v1/events", json=payload)
        """, set(), id="deleted-field-is-silent"),
    pytest.param("""
        import requests
        def send(user):
            auth = {"api_key": user.key}
            requests.post("/v1/events", json={**auth, "type": "login"})
        """, {("PG301", 3, 14)}, id="double-star-spread-of-a-local-dict"),
    pytest.param("""
        import requests
        def build(form):
            return {"type": "signup", "properties": {"passwd": form["pw"]}}
        def send(form):
            requests.post("/v1/events", json=build(form))
        """, {("PG301", 3, 47)}, id="same-module-helper-returns-payload"),
    pytest.param("""
        import requests
        class Tracker:
            def _payload(self, user):
                return {"user_id": user.id, "session_token": user.session}
            def send(self, user):
                requests.post("/v1/identify", json=self._payload(user))
        """, {("PG301", 4, 38)}, id="method-helper-on-self"),
    pytest.param("""
        import requests
        BASE = "https://api.perkamo.com/v1"
        def send(user):
            requests.post(BASE + "/events", json={"events": [{"bearer": user.token}]})
        """, {("PG301", 4, 56)}, id="base-url-ending-in-v1-and-batch-list"),
    pytest.param("""
        import requests
        def send(user, card):
            if card:
                payload = {"card_no": card.number}
            else:
                payload = {"user_id": user.id}
            requests.post("/v1/events", json=payload)
        """, {("PG301", 4, 21)}, id="assignments-in-branches-are-both-followed"),
    pytest.param("""
        import requests
        def send(user):
            payload = {"user_id": user.id, "password": user.password}
            payload = {"user_id": user.id}
            requests.post("/v1/events", json=payload)
        """, set(), id="reassignment-replaces-the-payload"),
    pytest.param("""
        import requests
        requests.post("https://api.segment.io/v1/identify", json={"password": pw})
        """, set(), id="other-host-is-silent"),
    pytest.param("""
        import requests
        requests.post("/api/login", json={"email": email, "password": pw})
        """, set(), id="own-login-route-is-silent"),
    pytest.param("""
        import requests
        requests.post("https://api.perkamo.com/v1/rewards/redeem",
                      json={"user_id": uid, "reward_id": rid, "pin": pin})
        """, set(), id="non-event-route-is-silent"),
    pytest.param("""
        import requests
        def order_paid(order):
            requests.post("https://api.perkamo.com/v1/events", json={
                "user_id": order.customer_id, "type": "order_paid",
                "transaction_id": f"order-{order.id}", "order_id": order.id,
                "properties": {"points": 120, "tier": "gold", "tokens_earned": 12,
                               "token_count": 3, "card_tier": "plus", "last4": "4242",
                               "amount_cents": 1999, "currency": "EUR",
                               "password_reset_requested_at": None, "bypass_cache": True},
            }, timeout=5)
        """, set(), id="realistic-loyalty-payload-is-silent"),
    pytest.param("""
        import requests
        requests.post("/v1/identify", json={"user_id": u, "traits": {
            "password": None, "pin": False, "api_key": "***", "secret": "[REDACTED]"}})
        """, set(), id="null-flag-and-masked-values-are-silent"),
    pytest.param(f"""
        import requests
        requests.post("/v1/events", json={{"user_id": u, "context": {{"session": "{JWT}"}}}})
        """, {("PG302", 2, 73)}, id="jwt-value-under-a-harmless-key"),
    pytest.param("""
        import requests
        requests.post("/v1/events", json={"user_id": u, "properties": {"ref": 4111111111111111}})
        """, {("PG302", 2, 71)}, id="luhn-valid-integer-value"),
    pytest.param("""
        import requests
        requests.post("/v1/identify", json={"user_id": u, "traits": {
            "passport_no": m.passport, "address_line_1": m.street, "email": m.email}})
        """, {("PG303", 3, 6), ("PG303", 3, 33)}, id="passport-and-address-line"),
]


@pytest.mark.parametrize(("text", "expected"), PYTHON_CASES)
def test_python_payloads(text: str, expected: set[tuple[str, int, int]]) -> None:
    # NOTE: the text stays out of the assertion, so a failure never prints it.
    result = found("server/events.py", text)
    assert result == expected


JAVASCRIPT_CASES = [
    pytest.param("""
        fetch("https://api.perkamo.com/v1/events", {
          method: "POST",
          body: JSON.stringify({ event: "signup", properties: { plan: p, Password: pw } }),
        });
        """, {("PG301", 3, 66)}, id="fetch-json-stringify-capitalised-password"),
    pytest.param("""
        import axios from "axios";
        axios.post("https://api.perkamo.com/v1/events", { userId: id, cardNumber: card.number });
        """, {("PG301", 2, 63)}, id="axios-post-data-argument"),
    pytest.param("""
        axios({ url: "/v1/identify", method: "post", data: { traits: { id_token: t } } });
        """, {("PG301", 1, 64)}, id="axios-request-config"),
    pytest.param("""
        const perkamo = axios.create({ baseURL: process.env.PERKAMO_API });
        perkamo.post("/v1/events", { type: "login", authorization: header });
        """, {("PG301", 2, 45)}, id="axios-instance"),
    pytest.param("""
        import ky from "ky";
        await ky.post("https://api.perkamo.com/v1/events", {
          json: { type: "x", "api-key": key },
          headers: { Authorization: `Bearer ${serverKey}` },
        });
        """, {("PG301", 3, 23)}, id="ky-json-option-headers-are-not-payload"),
    pytest.param("""
        import got from "got";
        await got.post("https://api.perkamo.com/v1/events:batch", {
          json: { events: [{ type: "a", properties: { cvc: c } }] },
        });
        """, {("PG301", 3, 47)}, id="got-json-option-batch"),
    pytest.param("""
        await $fetch("/v1/identify", { method: "POST", body: { userId: u, traits: { pwd: p } } });
        """, {("PG301", 1, 77)}, id="ofetch-object-body"),
    pytest.param("""
        import request from "superagent";
        request.post("/v1/events").set("Content-Type", "application/json").send({ secret: s });
        """, {("PG301", 2, 75)}, id="superagent-send-chain"),
    pytest.param("""
        export async function send(user: User) {
          const payload = { userId: user.id, properties: {} as Record<string, unknown> };
          payload.properties.pin = user.pin;
          await fetch("/v1/events", { method: "POST", body: JSON.stringify(payload) });
        }
        """, {("PG301", 3, 22)}, id="member-assignment-after-literal"),
    pytest.param("""
        export async function send(user, refreshToken) {
          const base = { userId: user.id };
          await fetch("/v1/identify", {
            method: "POST",
            body: JSON.stringify({ ...base, traits: { refreshToken } }),
          });
        }
        """, {("PG301", 5, 47)}, id="spread-and-shorthand-property"),
    pytest.param("""
        export function send(user) {
          const event = { type: "login" };
          Object.assign(event, { context: { cookie: document.cookie } });
          navigator.sendBeacon("/v1/events", JSON.stringify(event));
        }
        """, {("PG301", 3, 37)}, id="object-assign-into-payload"),
    pytest.param("""
        const traits = (user) => ({ tier: user.tier, passcode: user.passcode });
        export function identify(user) {
          return fetch("/v1/identify", { method: "POST", body: JSON.stringify({ traits: traits(user) }) });
        }
        """, {("PG301", 1, 46)}, id="arrow-helper-returns-payload"),
    pytest.param("""
        function buildEvent(order) {
          if (!order) return null;
          return { type: "order", properties: { pan: order.pan } };
        }
        fetch("/v1/events", { method: "POST", body: JSON.stringify(buildEvent(o)) });
        """, {("PG301", 3, 41)}, id="function-helper-with-block-body"),
    pytest.param("""
        const SITE = "https://shop.example.com";
        fetch("/v1/identify", {
          method: "POST",
          body: JSON.stringify({ traits: { landingUrl: `${SITE}/join?invite_token=${t}` } }),
        });
        """, {("PG302", 4, 49)}, id="token-in-url-query-value"),
    pytest.param("""
        export async function send(user) {
          const body = JSON.stringify({ type: "login", pin: user.pin });
          const url = "/v1/events";
          await fetch(url, { method: "POST", headers, body });
        }
        """, {("PG301", 2, 48)}, id="shorthand-body-and-url-variables"),
    pytest.param("""
        export function send(e) {
          const payload = { type: "x", password: e.password };
          delete payload.password;
          fetch("/v1/events", { method: "POST", body: JSON.stringify(payload) });
        }
        """, set(), id="deleted-property-is-silent"),
    pytest.param("""
        app.post("/v1/events", (req, res) => {
          res.json({ password: req.body.password });
        });
        """, set(), id="express-route-handler-is-silent"),
    pytest.param("""
        fetch("https://api.segment.io/v1/track", {
          method: "POST", body: JSON.stringify({ properties: { password: pw } }),
        });
        """, set(), id="other-analytics-host-is-silent"),
    pytest.param("""
        fetch("/api/signup", { method: "POST", body: JSON.stringify({ email, password }) });
        """, set(), id="own-signup-route-is-silent"),
    pytest.param("""
        export async function orderPaid(order: Order) {
          await fetch("https://api.perkamo.com/v1/events", {
            method: "POST",
            headers: { Authorization: `Bearer ${process.env.PERKAMO_SECRET_KEY}` },
            body: JSON.stringify({
              userId: order.customerId, type: "order_paid", transactionId: order.txId,
              properties: { points: 120, tier: "gold", tokensEarned: 12, tokenCount: 3,
                            cardTier: "plus", last4: order.last4, orderId: order.id },
            }),
          });
        }
        """, set(), id="realistic-loyalty-payload-and-auth-header-are-silent"),
    pytest.param("""
        type Event = { type: string; properties: Record<string, unknown> };
        const event = { type: "x", properties: { accessToken: t } } satisfies Event;
        fetch("/v1/events", { method: "POST", body: JSON.stringify(event as Event) });
        """, {("PG301", 2, 42)}, id="typescript-satisfies-and-as"),
    pytest.param("""
        fetch("/v1/identify", { method: "POST", body: JSON.stringify({ traits: {
          phoneNumber: m.phone, dateOfBirth: m.dob, email: m.email, isMobile: true } }) });
        """, {("PG303", 2, 3), ("PG303", 2, 25)}, id="personal-phone-and-birth-date"),
]


@pytest.mark.parametrize(("text", "expected"), JAVASCRIPT_CASES)
def test_javascript_payloads(text: str, expected: set[tuple[str, int, int]]) -> None:
    result = found("server/events.ts", text)
    assert result == expected


def test_vue_component_payload_is_placed_in_the_component_file() -> None:
    text = """
        <template><form /></template>
        <script setup lang="ts">
        async function submit(form) {
          await fetch("/v1/events", { method: "POST", body: JSON.stringify({ cvv: form.cvv }) });
        }
        </script>
        """
    assert found("src/Checkout.vue", text) == {("PG301", 4, 70)}


def test_configured_sink_treats_every_dict_argument_as_payload() -> None:
    config = Config(event_sinks=(EventSink("perkamo.track"),))
    text = """
        def signup(perkamo, user, form):
            perkamo.track(user.id, "signup", {"plan": form["plan"], "password": form["pw"]})
        """
    assert found("server/events.py", text, config) == {("PG301", 2, 62)}


def test_configured_sink_with_an_index_reads_only_that_argument() -> None:
    config = Config(event_sinks=(EventSink("send_event", 2),))
    text = """
        send_event(user.id, { ssn: user.ssn }, { password: user.password });
        """
    assert found("server/events.ts", text, config) == {("PG303", 1, 23)}


def test_configured_fields_extend_the_tables() -> None:
    config = Config(sensitive_fields=("loyalty_pin_hint",), personal_fields=("maiden_name",))
    text = """
        import requests
        requests.post("/v1/identify", json={"traits": {"loyaltyPinHint": h, "maidenName": m}})
        """
    assert found("server/events.py", text, config) == {("PG301", 2, 49), ("PG303", 2, 70)}


def test_server_key_value_is_reported_masked() -> None:
    text = f"""
        import requests
        requests.post("/v1/events", json={{"type": "debug", "context": {{"key": "{LIVE}"}}}})
        """
    (finding,), _ = run("server/events.py", text)
    assert finding.rule == "PG302"
    leaked = LIVE in finding.message or LIVE in finding.snippet
    assert not leaked, "the key shows whole in the finding"
    assert "sk_live_\u2026" in finding.message


def test_secret_values_never_appear_whole_in_snippets() -> None:
    card = "4111 1111 " + "1111 1111"
    text = f"""
        fetch("/v1/events", {{ method: "POST", body: JSON.stringify({{
          note: "{card}", session: "{JWT}", password: "hunter2-but-longer" }}) }});
        """
    findings, _ = run("server/events.ts", text)
    assert {f.rule for f in findings} == {"PG301", "PG302"}
    leaks = [(f.rule, f.column) for f in findings
             for secret in (card, JWT, "hunter2-but-longer")
             if secret in f.snippet or secret in f.message]
    assert leaks == [], "secrets show whole in these findings"


def test_python_the_interpreter_cannot_parse_is_a_file_error() -> None:
    findings, ctx = run("server/events.py", "def broken(:\n    post('/v1/events')\n")
    assert findings == []
    assert [e.message for e in ctx.errors] and "PG3xx" in ctx.errors[0].message


def test_files_without_a_trigger_are_never_parsed(tmp_path: Path,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*args: object) -> list[object]:
        raise AssertionError("find_sinks ran on a file without a trigger")

    monkeypatch.setattr("perkamo_guard.checks.payloads.find_sinks", refuse)
    write_tree(tmp_path, {"server/app.py": "import requests\nrequests.post(URL, json=p)\n",
                          "web/app.ts": "fetch('/api/points');\n"})
    result = scan(tmp_path, select="PG3")
    assert (result.findings, result.errors) == ([], [])


def test_configured_sink_names_are_triggers() -> None:
    config = Config(event_sinks=(EventSink("analytics.track_event", 1),))
    assert b"track_event" in family("payloads").all_triggers(config)


def test_the_host_counts_in_any_letter_case_from_the_first_pass_on(tmp_path: Path) -> None:
    # Found by a newcomer: "api.Perkamo.com" woke no family, so the payload
    # and retry rules never read the file; scan() also compares with a run
    # that has no trigger texts.
    write_tree(tmp_path, {
        "server/a.py": (
            "import requests\n\n\ndef s(u, pw):\n"
            '    requests.post("https://api.Perkamo.com/v1/events",'
            ' json={"user_id": u, "password": pw}, timeout=5)\n'),
        "server/b.ts": (
            "export const s = (u: string, pw: string) =>\n"
            '  fetch("https://Api.PerKamo.com/v1/events", {method: "POST",'
            " body: JSON.stringify({user_id: u, password: pw})});\n"),
    })
    findings = {(f.path, f.rule) for f in scan(tmp_path).findings}
    assert {("server/a.py", "PG301"), ("server/b.ts", "PG301")} <= findings


def test_a_client_prefix_ending_in_v1_joins_a_route_without_a_slash(tmp_path: Path) -> None:
    # Found by a newcomer: ky and got refuse a leading slash after a prefix
    # URL, and httpx joins base_url and "events" with one.
    write_tree(tmp_path, {
        "server/a.py": (
            'import httpx\n\nv1 = httpx.Client(base_url="https://api.perkamo.com/v1")\n\n\n'
            'def signup(u, pw):\n    v1.post("events", json={"user_id": u, "password": pw})\n'
            '    v1.get("status")\n    {}.get("events")\n'),
        "server/b.ts": (
            'import ky from "ky";\nimport got from "got";\n'
            'const v1 = ky.create({ prefixUrl: "https://api.perkamo.com/v1" });\n'
            "export const a = (u: string, pw: string) =>\n"
            '  v1.post("events", { json: { user_id: u, password: pw } });\n'
            'const g = got.extend({ prefixUrl: "https://api.perkamo.com/v1/" });\n'
            "export const b = (u: string, pw: string) =>\n"
            '  g.post("events", { json: { user_id: u, password: pw } });\n'
            'export const c = new Map().get("events");\n'),
    })
    found_ = {(f.path, f.line, f.rule) for f in scan(tmp_path).findings}
    assert found_ == {("server/a.py", 7, "PG301"), ("server/b.ts", 5, "PG301"),
                      ("server/b.ts", 8, "PG301")}
