"""Retry rules PG501-PG504: each mistake in each form, and correct retry code stays silent."""

from __future__ import annotations

from pathlib import Path
from textwrap import dedent

import pytest

from perkamo_guard.catalogue import load_catalogue
from perkamo_guard.checks import Context
from perkamo_guard.checks.retries import check
from perkamo_guard.config import Config
from perkamo_guard.model import Kind, SourceFile, Zone

KINDS = {"py": Kind.PYTHON, "js": Kind.JAVASCRIPT, "ts": Kind.TYPESCRIPT}
PY_HEAD = """\
import logging, random, time, uuid
import backoff, requests, tenacity
from requests.adapters import HTTPAdapter
from tenacity import retry, retry_if_exception, retry_if_exception_type, retry_if_result
from tenacity import wait_exponential, wait_fixed, wait_random_exponential
from urllib3.util import Retry

URL = "https://api.perkamo.com/v1/events"
log = logging.getLogger(__name__)
"""
JS_HEAD = """\
import axios from "axios";
import axiosRetry from "axios-retry";
import pRetry, { AbortError } from "p-retry";
import ky from "ky";
import got from "got";
import { ofetch } from "ofetch";
import { v4 as uuidv4 } from "uuid";
const URL = "https://api.perkamo.com/v1/events";
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
"""


def found(name: str, text: str) -> set[tuple[str, int, int]]:
    """Scan ``text`` under the language's header; lines count from after the header."""
    head = PY_HEAD if name.endswith(".py") else JS_HEAD
    offset = head.count("\n")
    file = SourceFile(Path(name), name, KINDS[name.rsplit(".", 1)[1]], Zone.SERVER,
                      head + dedent(text).lstrip("\n"))
    ctx = Context(Config(), load_catalogue())
    return {(f.rule, f.line - offset, f.column) for f in check(file, ctx)}


PYTHON_MISTAKES = [
    pytest.param("""
        RETRY_ON = {400, 429, 500, 503}
        def send(event):
            for attempt in range(5):
                r = requests.post(URL, json=event, timeout=5)
                if r.status_code in RETRY_ON:
                    time.sleep(1)
                    continue
                return r.json()
        """, {("PG501", 1, 12), ("PG503", 6, 24)}, id="loop-status-list-constant-sleep"),
    pytest.param("""
        def send(event):
            while True:
                try:
                    r = requests.post(URL, json=event, timeout=5)
                    r.raise_for_status()
                    return r.json()
                except requests.RequestException:
                    time.sleep(2)
        """, {("PG501", 7, 16), ("PG503", 8, 24)}, id="loop-catch-all-after-raise-for-status"),
    pytest.param("""
        def send(event):
            for attempt in range(3):
                r = requests.post(URL, json=event, timeout=5)
                if r.status_code == 200:
                    return r.json()
                time.sleep(2 ** attempt)
        """, {("PG501", 4, 12)}, id="loop-retries-everything-but-200-exponential"),
    pytest.param("""
        def send(event, attempt=0):
            r = requests.post(URL, json=event, timeout=5)
            if r.status_code >= 400 and attempt < 3:
                time.sleep(0.5)
                return send(event, attempt + 1)
            return r.json()
        """, {("PG501", 3, 8), ("PG503", 4, 20)}, id="recursion"),
    pytest.param("""
        @retry(retry=retry_if_exception_type(requests.HTTPError), wait=wait_fixed(2))
        def send(event):
            r = requests.post(URL, json=event, timeout=5)
            r.raise_for_status()
            return r.json()
        """, {("PG501", 1, 14), ("PG503", 1, 64)}, id="tenacity-http-error-fixed-wait"),
    pytest.param("""
        @retry
        def send(event):
            requests.post(URL, json=event, timeout=5).raise_for_status()
        """, {("PG501", 1, 2), ("PG503", 1, 2)}, id="tenacity-bare-retries-any-error-at-once"),
    pytest.param("""
        @tenacity.retry(retry=retry_if_result(lambda r: r.status_code in (401, 429, 503)),
                        wait=wait_random_exponential(max=30))
        def send(event):
            return requests.post(URL, json=event, timeout=5)
        """, {("PG501", 1, 66)}, id="tenacity-result-predicate"),
    pytest.param("""
        @backoff.on_exception(backoff.constant, requests.exceptions.HTTPError, max_tries=4)
        def send(event):
            r = requests.post(URL, json=event, timeout=5)
            r.raise_for_status()
        """, {("PG501", 1, 41), ("PG503", 1, 23)}, id="backoff-constant-http-error"),
    pytest.param("""
        session = requests.Session()
        session.mount("https://", HTTPAdapter(max_retries=Retry(
            total=3, status_forcelist=[400, 429, 500], backoff_factor=0)))
        def send(event):
            return session.post(URL, json=event, timeout=5)
        """, {("PG501", 3, 31), ("PG503", 3, 63)}, id="urllib3-retry-on-requests-adapter"),
    pytest.param("""
        def send(event):
            for attempt in range(3):
                event["transaction_id"] = str(uuid.uuid4())
                try:
                    return requests.post(URL, json=event, timeout=5).json()
                except requests.ConnectionError:
                    time.sleep(2 ** attempt)
        """, {("PG502", 3, 39)}, id="transaction-id-in-loop"),
    pytest.param("""
        @retry(retry=retry_if_exception_type(requests.ConnectionError),
               wait=wait_exponential())
        def send(event):
            key = uuid.uuid4().hex
            headers = {"Idempotency-Key": key, "X-Request-Id": str(uuid.uuid4())}
            return requests.post(URL, json=event, headers=headers, timeout=5)
        """, {("PG502", 4, 11)}, id="idempotency-key-through-a-name-in-tenacity"),
    pytest.param("""
        def send(event):
            body = requests.post(URL, json=event, timeout=5).json()
            if body.get("duplicate"):
                raise RuntimeError("event already sent")
            return body
        """, {("PG504", 3, 8)}, id="duplicate-raised"),
    pytest.param("""
        def send(event):
            body = requests.post(URL, json=event, timeout=5).json()
            if body["duplicate"] is True:
                log.error("duplicate event %s", event)
            assert not body["duplicate"], "sent twice"
        """, {("PG504", 3, 8), ("PG504", 5, 12)}, id="duplicate-logged-as-error-and-asserted"),
    pytest.param("""
        def send(event):
            for attempt in range(3):
                body = requests.post(URL, json=event, timeout=5).json()
                if not body.get("duplicate"):
                    return body
                else:
                    continue
        """, {("PG504", 4, 12)}, id="duplicate-retried"),
]

PYTHON_CORRECT = [
    pytest.param("""
        RETRY_STATUSES = {500, 502, 503, 504}
        def post_with_retry(url, payload, headers, attempts=4):
            payload = {**payload, "transaction_id": payload.get("transaction_id")
                       or str(uuid.uuid4())}
            delay = 0.5
            for attempt in range(1, attempts + 1):
                try:
                    response = requests.post(URL, json=payload, headers=headers, timeout=5)
                except (requests.ConnectionError, requests.Timeout):
                    if attempt == attempts:
                        raise
                else:
                    if response.status_code == 429 or response.status_code in RETRY_STATUSES:
                        if attempt == attempts:
                            response.raise_for_status()
                    else:
                        response.raise_for_status()
                        body = response.json()
                        if body.get("duplicate"):
                            log.info("replayed %s", payload["transaction_id"])
                        return body
                time.sleep(delay + random.uniform(0, delay / 2))
                delay *= 2
        """, id="the-demo-helper"),
    pytest.param("""
        def send_all(events):
            for event in events:
                requests.post(URL, json=event, timeout=5).raise_for_status()
                time.sleep(0.1)
        """, id="a-loop-over-events-is-no-retry"),
    pytest.param("""
        @retry(retry=retry_if_exception_type((requests.ConnectionError, requests.Timeout)),
               wait=wait_exponential(multiplier=0.5, max=30))
        def send(event):
            r = requests.post(URL, json=event, timeout=5)
            r.raise_for_status()
            return r.json()
        """, id="tenacity-network-errors-only"),
    pytest.param("""
        def is_retryable(error):
            return isinstance(error, requests.HTTPError) and (
                error.response.status_code == 429 or error.response.status_code >= 500)
        @retry(retry=retry_if_exception(is_retryable), wait=wait_random_exponential(max=20))
        def send(event):
            r = requests.post(URL, json=event, timeout=5)
            r.raise_for_status()
        """, id="tenacity-predicate-429-and-5xx"),
    pytest.param("""
        @backoff.on_exception(backoff.expo, requests.exceptions.RequestException,
                              giveup=lambda e: e.response is not None
                              and 400 <= e.response.status_code < 500
                              and e.response.status_code != 429)
        def send(event):
            requests.post(URL, json=event, timeout=5).raise_for_status()
        """, id="backoff-gives-up-on-client-errors"),
    pytest.param("""
        session = requests.Session()
        session.mount("https://", HTTPAdapter(max_retries=Retry(
            total=5, status_forcelist=[429, 500, 502, 503, 504], backoff_factor=0.5)))
        session.mount("https://api.stripe.com", HTTPAdapter(max_retries=Retry(
            status_forcelist=[400])))
        def send(event):
            return session.post(URL, json=event, timeout=5)
        """, id="urllib3-5xx-and-429-with-backoff"),
    pytest.param("""
        import httpx
        client = httpx.Client(transport=httpx.HTTPTransport(retries=3))
        def send(event):
            return client.post(URL, json=event)
        """, id="httpx-transport-retries-connection-errors-only"),
    pytest.param("""
        def send(event, txn=None):
            for attempt in range(4):
                txn = txn or str(uuid.uuid4())
                event.setdefault("transaction_id", str(uuid.uuid4()))
                headers = {"X-Request-Id": str(uuid.uuid4())}
                try:
                    r = requests.post(URL, json={**event, "txn": txn}, headers=headers)
                except requests.ConnectionError:
                    time.sleep(2 ** attempt)
                    continue
                if r.status_code == 429:
                    wait = max(int(r.headers.get("Retry-After", "0")), 2 ** attempt)
                    time.sleep(wait)
                    continue
                r.raise_for_status()
                return r.json()
        """, id="kept-ids-request-id-and-retry-after-with-backoff"),
    pytest.param("""
        def send(event):
            for delay in (0.5, 1, 2, 4):
                r = requests.post(URL, json=event, timeout=5)
                if r.status_code != 429 and r.status_code < 500:
                    r.raise_for_status()
                    return r.json()
                time.sleep(delay)
        """, id="loop-over-growing-delays"),
    pytest.param("""
        def send(event):
            body = requests.post(URL, json=event, timeout=5).json()
            if body.get("duplicate"):
                log.info("already applied")
            return body
        def import_rows(rows):
            for row in rows:
                if row["duplicate"]:
                    raise ValueError("duplicate row")
        """, id="duplicate-info-log-and-unrelated-duplicates"),
]


@pytest.mark.parametrize(("text", "expected"), PYTHON_MISTAKES)
def test_python_retry_mistakes_are_flagged(text: str,
                                           expected: set[tuple[str, int, int]]) -> None:
    assert found("perkamo.py", text) == expected


@pytest.mark.parametrize("text", PYTHON_CORRECT)
def test_correct_python_retry_code_is_silent(text: str) -> None:
    assert found("perkamo.py", text) == set()


JS_MISTAKES = [
    pytest.param("""
        export async function send(event) {
          for (let attempt = 0; attempt < 5; attempt++) {
            const res = await fetch(URL, { method: "POST", body: JSON.stringify(event) });
            if (res.ok) return res.json();
            await sleep(1000);
          }
        }
        """, {("PG501", 4, 9), ("PG503", 5, 17)}, id="loop-until-ok-constant-sleep"),
    pytest.param("""
        export async function send(event) {
          while (true) {
            try {
              const { data } = await axios.post(URL, event);
              return data;
            } catch (error) {
              await new Promise((r) => setTimeout(r, 1000));
            }
          }
        }
        """, {("PG501", 6, 7), ("PG503", 7, 46)}, id="axios-throws-catch-all"),
    pytest.param("""
        async function send(event, attempt = 0) {
          const res = await fetch(URL, { method: "POST", body: JSON.stringify(event) });
          if (!res.ok && attempt < 3) return send(event, attempt + 1);
          return res.json();
        }
        """, {("PG501", 3, 7), ("PG503", 3, 7)}, id="recursion-without-wait"),
    pytest.param("""
        export const send = (event) => pRetry(async () => {
          const res = await fetch(URL, { method: "POST", body: JSON.stringify(event) });
          if (!res.ok) throw new Error(`HTTP ${res.status}`);
          return res.json();
        }, { retries: 5, factor: 1 });
        """, {("PG501", 3, 7), ("PG503", 5, 26)}, id="p-retry-throws-on-any-error"),
    pytest.param("""
        const api = axios.create({ baseURL: "https://api.perkamo.com" });
        axiosRetry(api, { retries: 3, retryCondition: () => true, retryDelay: () => 1000 });
        export const send = (event) => api.post("/v1/events", event);
        """, {("PG501", 2, 53), ("PG503", 2, 71)}, id="axios-retry-always"),
    pytest.param("""
        axiosRetry(axios, { retries: 3 });
        export const send = (event) => axios.post(URL, event);
        """, {("PG503", 1, 1)}, id="axios-retry-default-has-no-delay"),
    pytest.param("""
        const api = ky.create({ prefixUrl: "https://api.perkamo.com",
          retry: { limit: 3, statusCodes: [400, 429, 503], delay: () => 500 } });
        export const send = (event) => api.post("v1/events", { json: event });
        """, {("PG501", 2, 35), ("PG503", 2, 59)}, id="ky-status-codes-and-constant-delay"),
    pytest.param("""
        export const send = (event) => got.post(URL, { json: event, retry: {
          statusCodes: [403, 429, 500],
          calculateDelay: ({ retryAfter }) => retryAfter ?? 1000 } });
        """, {("PG501", 2, 16), ("PG503", 3, 19)}, id="got-status-codes-retry-after-only"),
    pytest.param("""
        export const send = (event) =>
          ofetch(URL, { method: "POST", body: event, retry: 3, retryStatusCodes: [401, 500] });
        """, {("PG501", 2, 74)}, id="ofetch-status-codes"),
    pytest.param("""
        export async function send(event) {
          for (let attempt = 0; attempt < 3; attempt++) {
            try {
              return await fetch(URL, { method: "POST",
                body: JSON.stringify({ ...event, transactionId: crypto.randomUUID() }) });
            } catch (error) {
              await sleep(2 ** attempt * 100);
            }
          }
        }
        """, {("PG502", 5, 57)}, id="transaction-id-in-loop"),
    pytest.param("""
        export const send = (event) => pRetry(async () => {
          const headers = new Headers();
          headers.set("Idempotency-Key", uuidv4());
          const txn = `order-${Date.now()}`;
          return axios.post(URL, { ...event, transaction_id: txn }, { headers });
        }, { retries: 3 });
        """, {("PG502", 3, 34), ("PG502", 4, 24), ("PG501", 1, 32)},
        id="p-retry-ids-through-headers-and-a-name"),
    pytest.param("""
        export async function send(event) {
          const { data } = await axios.post(URL, event);
          if (data.duplicate === true) throw new Error("duplicate");
          if (!data.duplicate) { return data; } else { logger.error("sent twice"); }
        }
        """, {("PG504", 3, 7), ("PG504", 4, 7)}, id="duplicate-thrown-and-logged-as-error"),
]

JS_CORRECT = [
    pytest.param("""
        export async function send(event) {
          const transactionId = crypto.randomUUID();
          let delay = 500;
          for (let attempt = 1; attempt <= 4; attempt++) {
            let res;
            try {
              res = await fetch(URL, { method: "POST",
                body: JSON.stringify({ ...event, transaction_id: transactionId }),
                headers: { "X-Request-Id": crypto.randomUUID() } });
            } catch (error) {
              if (attempt === 4) throw error;
              continue;
            }
            if (res.status === 429 || res.status >= 500) {
              if (attempt === 4) throw new Error(`HTTP ${res.status}`);
            } else {
              if (!res.ok) throw new Error(`HTTP ${res.status}`);
              const body = await res.json();
              if (body.duplicate) console.info("replayed", transactionId);
              return body;
            }
            await sleep(delay + Math.random() * delay);
            delay *= 2;
          }
        }
        """, id="loop-5xx-429-backoff-jitter"),
    pytest.param("""
        export async function sendAll(events) {
          for (const event of events) {
            await fetch(URL, { method: "POST", body: JSON.stringify(event) });
          }
        }
        """, id="a-loop-over-events-is-no-retry"),
    pytest.param("""
        export const send = (event, transactionId) => pRetry(async () => {
          const res = await fetch(URL, { method: "POST",
            body: JSON.stringify({ ...event, transactionId }) });
          if (res.status >= 400 && res.status < 500 && res.status !== 429) {
            throw new AbortError(`HTTP ${res.status}`);
          }
          if (!res.ok) throw new Error(`HTTP ${res.status}`);
          return res.json();
        }, { retries: 5, randomize: true });
        """, id="p-retry-aborts-on-client-errors"),
    pytest.param("""
        const api = axios.create({ baseURL: "https://api.perkamo.com" });
        axiosRetry(api, {
          retries: 3,
          retryCondition: (e) => axiosRetry.isNetworkError(e) || e.response?.status === 429
            || (e.response?.status ?? 0) >= 500,
          retryDelay: axiosRetry.exponentialDelay,
        });
        export const send = (event) => api.post("/v1/events", event);
        """, id="axios-retry-429-5xx-exponential"),
    pytest.param("""
        const api = ky.create({ prefixUrl: "https://api.perkamo.com",
          retry: { limit: 3, statusCodes: [429, 500, 503],
                   delay: (n) => 300 * 2 ** (n - 1) } });
        export const send = (event) => api.post("v1/events", { json: event, retry: 2 });
        """, id="ky-exponential"),
    pytest.param("""
        const client = got.extend({ prefixUrl: "https://api.perkamo.com",
          retry: { limit: 2, calculateDelay: ({ computedValue }) => computedValue } });
        export const send = (event) => client.post("v1/events", { json: event });
        """, id="got-default-delay"),
    pytest.param("""
        export async function send(event, transactionId) {
          for (let attempt = 0; attempt < 3; attempt++) {
            transactionId ??= uuidv4();
            try {
              const { data } = await axios.post(URL, { ...event, transactionId });
              if (data.duplicate) logger.info("already applied");
              return data;
            } catch (error) {
              if (error.response) throw error;
              await sleep(250 * 2 ** attempt);
            }
          }
        }
        """, id="id-kept-network-errors-only-duplicate-info"),
]


@pytest.mark.parametrize(("text", "expected"), JS_MISTAKES)
def test_js_retry_mistakes_are_flagged(text: str, expected: set[tuple[str, int, int]]) -> None:
    assert found("perkamo.ts", text) == expected


@pytest.mark.parametrize("text", JS_CORRECT)
def test_correct_js_retry_code_is_silent(text: str) -> None:
    assert found("perkamo.ts", text) == set()


def test_retries_around_other_apis_are_not_judged() -> None:
    text = """
        def send(event):
            for attempt in range(5):
                r = requests.post("https://api.example.com/v1/events", json=event)
                if r.status_code in (400, 429):
                    time.sleep(1)
                    continue
                return r.json()
        """
    assert found("other.py", text) == set()


DEMO_HELPER = Path(__file__).resolve().parents[2] / "examples/leaky-shop/backend/app/retry.py"


def _scan_helper(text: str) -> set[tuple[str, int]]:
    file = SourceFile(Path("retry.py"), "retry.py", Kind.PYTHON, Zone.SERVER, text)
    return {(f.rule, f.line) for f in check(file, Context(Config(), load_catalogue()))}


def test_demo_retry_helper_is_read_and_silent() -> None:
    text = DEMO_HELPER.read_text(encoding="utf-8")
    assert _scan_helper(text) == set()
    # The same helper with each of its safeguards undone: the silence above is earned.
    broken = (text.replace("RETRY_STATUSES = {500", "RETRY_STATUSES = {400, 500")
              .replace("logger.info(", "logger.error(")
              .replace("delay *= 2", "delay += 0"))
    assert {rule for rule, _ in _scan_helper(broken)} == {"PG501", "PG503", "PG504"}
