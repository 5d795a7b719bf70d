from unittest import mock

from app import perkamo_client, retry

# Rotated in March; kept to check that the logs mask it.
# perkamo-guard: ignore[PG103] revoked key, kept as a masking fixture
REVOKED_KEY = "sk_live_qpYZTPJNvfszdKpGtrYj3tqz"
DOC_KEY = "sk_live_..."


def test_headers_use_the_environment_key():
    assert perkamo_client._headers()["Authorization"] == "Bearer sk_test_6ZzIiUTqW4KAJsNbPrdpZfJw"


def test_retry_keeps_the_transaction_id():
    seen = []

    def fake_post(url, json, headers, timeout):
        seen.append(json["transaction_id"])
        response = mock.Mock(status_code=503 if len(seen) < 3 else 200)
        response.json.return_value = {"duplicate": len(seen) > 1}
        return response

    with mock.patch.object(retry.requests, "post", fake_post), \
         mock.patch.object(retry.time, "sleep"):
        retry.post_with_retry("https://api.perkamo.com/v1/events", {"user_id": "u1"}, {})
    assert len(set(seen)) == 1 and len(seen) == 3
