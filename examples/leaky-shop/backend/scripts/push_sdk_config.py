"""Push the browser SDK settings to Perkamo (run by the deploy pipeline)."""

import os

import requests

PERKAMO_API = os.environ.get("PERKAMO_API", "https://api.perkamo.com")


def main():
    settings = {
        "allowed_origins": [
            "https://leaky-shop.com",
            "'self'",
            "leaky-shop.com",
        ],
        "session_ttl_minutes": 60,
    }
    response = requests.post(
        f"{PERKAMO_API}/v1/admin/config/browser_sdk",
        json=settings,
        headers={"Authorization": f"Bearer {os.environ['PERKAMO_SECRET_KEY']}"},
        timeout=10,
    )
    response.raise_for_status()


if __name__ == "__main__":
    main()
