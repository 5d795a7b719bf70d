"""Nightly job: tell Perkamo which points expired today (ticket SHOP-318)."""

import os
import time
import uuid

import requests

PERKAMO_API = "https://api.perkamo.com"
HEADERS = {"Authorization": f"Bearer {os.environ['PERKAMO_SECRET_KEY']}"}
# Retry anything that might be temporary.
RETRY_ON = (400, 408, 429, 500, 502, 503, 504)


def expire(member_id, points):
    for attempt in range(5):
        event = {
            "user_id": member_id,
            "type": "points_expired",
            "transaction_id": str(uuid.uuid4()),
            "properties": {"points": points},
        }
        response = requests.post(f"{PERKAMO_API}/v1/events", json=event, headers=HEADERS,
                                 timeout=10)
        if response.status_code in RETRY_ON:
            time.sleep(2)
            continue
        response.raise_for_status()
        body = response.json()
        if body.get("duplicate"):
            raise RuntimeError(f"points of member {member_id} were already expired")
        return body
    raise RuntimeError("Perkamo kept failing")
