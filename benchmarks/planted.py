"""Perkamo integration code planted into the benchmark corpora.

The corpora are real packages with no Perkamo code; these few files give
every rule family something to parse and find. The one key-shaped value is
assembled at run time, so that no key-shaped text sits in the repository.
"""

from __future__ import annotations

from pathlib import Path

PYTHON_CLIENT = '''\
"""Send loyalty events to Perkamo from the order service."""

import os
import uuid

import requests

from shop.perkamo.retry import with_retries

PERKAMO_URL = "https://api.perkamo.com"
SPACE = os.environ["PERKAMO_SPACE"]
SECRET_KEY = os.environ["PERKAMO_SECRET_KEY"]


def _post(path, body):
    response = requests.post(
        f"{PERKAMO_URL}{path}",
        json=body,
        headers={"Authorization": f"Bearer {SECRET_KEY}", "Perkamo-Space": SPACE},
        timeout=5,
    )
    response.raise_for_status()
    return response.json()


def track_order(order):
    transaction_id = f"order-{order.id}"
    payload = {
        "user_id": str(order.customer_id),
        "event": "order_completed",
        "transaction_id": transaction_id,
        "properties": {"amount": order.total_cents, "currency": order.currency},
    }
    return with_retries(lambda: _post("/v1/events", payload))


def identify(customer):
    return _post("/v1/identify", {"user_id": str(customer.id), "traits": {"tier": customer.tier}})


def new_request_id():
    return uuid.uuid4().hex
'''

PYTHON_RETRY = '''\
"""Retry Perkamo calls on network errors, timeouts, 5xx and 429."""

import random
import time

import requests

RETRIABLE = {429, 500, 502, 503, 504}


def with_retries(call, attempts=5, base_delay=0.2):
    for attempt in range(attempts):
        try:
            return call()
        except requests.HTTPError as exc:
            if exc.response.status_code not in RETRIABLE or attempt == attempts - 1:
                raise
        except (requests.ConnectionError, requests.Timeout):
            if attempt == attempts - 1:
                raise
        time.sleep(base_delay * 2 ** attempt + random.random() / 10)
'''

TS_CLIENT = '''\
import "server-only";

const PERKAMO_URL = "https://api.perkamo.com";

export async function trackEvent(userId: string, event: string, transactionId: string) {
  const response = await fetch(`${PERKAMO_URL}/v1/events`, {
    method: "POST",
    headers: {
      Authorization: `Bearer ${process.env.PERKAMO_SECRET_KEY}`,
      "Content-Type": "application/json",
    },
    body: JSON.stringify({ user_id: userId, event, transaction_id: transactionId }),
  });
  if (!response.ok && response.status >= 500) {
    throw new Error(`Perkamo answered ${response.status}`);
  }
  return response.json();
}
'''

DJANGO_SETTINGS = '''\
"""Perkamo settings for the CMS backend."""

import os

PERKAMO_SPACE = os.environ.get("PERKAMO_SPACE", "shop")
PERKAMO_SECRET_KEY = os.environ.get("PERKAMO_SECRET_KEY", "")
PERKAMO_ALLOWED_ORIGINS = ["https://shop.example.com", "http://localhost:3000"]
'''


def fake_live_key() -> str:
    """A key-shaped value that is no key: fixed letters, assembled here."""
    return "sk_" + "live_" + "".join(("Rb4Tn8", "Wq2Kd6", "Mz3Hv9", "Jc5Px7"))


def plant_python_web(root: Path) -> None:
    """A Django shop app with a Perkamo client, a retry helper and an env file."""
    package = root / "perkamo"
    _write(package / "__init__.py", "")
    _write(package / "client.py", PYTHON_CLIENT)
    _write(package / "retry.py", PYTHON_RETRY)
    _write(root / ".env", f"PERKAMO_SPACE=shop\nPERKAMO_SECRET_KEY={fake_live_key()}\n")


def plant_monorepo(root: Path) -> None:
    """A server-only TS client in the Next.js app and Perkamo Django settings."""
    _write(root / "frontend" / "lib" / "perkamo.server.ts", TS_CLIENT)
    _write(root / "backend" / "shop" / "perkamo_settings.py", DJANGO_SETTINGS)
    _write(root / "backend" / "shop" / "perkamo_client.py", PYTHON_CLIENT)
    _write(root / "frontend" / ".env.example",
           f"PERKAMO_SPACE=shop\nPERKAMO_SECRET_KEY={fake_live_key()}\n")


def _write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
