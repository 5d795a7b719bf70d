"""Retry Perkamo calls safely: same transaction id on every attempt."""

import logging
import os
import random
import time
import uuid

import requests

logger = logging.getLogger(__name__)

PERKAMO_API = os.environ.get("PERKAMO_API", "https://api.perkamo.com")
RETRY_STATUSES = {500, 502, 503, 504}


def post_with_retry(path, payload, headers, attempts=4, timeout=5.0):
    """POST ``payload`` to ``path``; retry network errors, timeouts, 5xx and 429.

    The transaction id is made once, before the loop, so that Perkamo can
    tell a replay from a new request. 400, 401 and 403 are never retried.
    """
    payload = {**payload, "transaction_id": payload.get("transaction_id") or str(uuid.uuid4())}
    delay = 0.5
    for attempt in range(1, attempts + 1):
        try:
            response = requests.post(PERKAMO_API + path, json=payload, headers=headers,
                                     timeout=timeout)
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
                    # A replay of a request Perkamo already applied: a success.
                    logger.info("Perkamo replayed transaction %s", payload["transaction_id"])
                return body
        # Exponential backoff with jitter, for 429 as for 5xx and network errors.
        time.sleep(delay + random.uniform(0, delay / 2))
        delay *= 2
    raise RuntimeError("unreachable")
