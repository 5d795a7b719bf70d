"""The only place the backend talks to Perkamo."""

import os

import requests

from .retry import post_with_retry
from .settings import PERKAMO_API, PERKAMO_TIMEOUT

# Set in the deployment environment, e.g. PERKAMO_SECRET_KEY=sk_live_...
PERKAMO_SECRET_KEY = os.environ["PERKAMO_SECRET_KEY"]


def _headers():
    return {"Authorization": f"Bearer {PERKAMO_SECRET_KEY}"}


def get_profile(user_id):
    response = requests.get(f"{PERKAMO_API}/v1/profile/{user_id}",
                            headers=_headers(), timeout=PERKAMO_TIMEOUT)
    response.raise_for_status()
    return response.json()


def track(user_id, event_type, properties=None, transaction_id=None):
    payload = {"user_id": user_id, "type": event_type, "properties": properties or {}}
    if transaction_id:
        payload["transaction_id"] = transaction_id
    return post_with_retry("/v1/events", payload, _headers())


def redeem(user_id, reward_id, transaction_id):
    payload = {"user_id": user_id, "reward_id": reward_id, "transaction_id": transaction_id}
    return post_with_retry("/v1/rewards/redeem", payload, _headers())
