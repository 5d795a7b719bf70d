"""Which variable names name a Perkamo server key."""

from __future__ import annotations

import pytest

from perkamo_guard.envnames import has_public_prefix, names_secret_key


@pytest.mark.parametrize(
    ("name", "secret"),
    [
        ("PERKAMO_SECRET_KEY", True),
        ("NEXT_PUBLIC_PERKAMO_SECRET_KEY", True),
        ("PERKAMO_SECRET_KEY_LIVE", True),
        ("PERKAMO_SERVER_KEY", True),
        ("REACT_APP_PERKAMO_SERVER_KEY", True),
        ("NEXT_PUBLIC_PERKAMO_SK", True),
        ("PERKAMO_API_KEY", True),
        ("PERKAMO_ADMIN_TOKEN", True),
        ("PERKAMO_PUBLISHABLE_KEY", False),
        ("NEXT_PUBLIC_PERKAMO_PUBLIC_API_KEY", False),
        ("NEXT_PUBLIC_PERKAMO_SERVER_URL", False),
        ("NEXT_PUBLIC_PERKAMO_ADMIN_URL", False),
        ("VITE_PERKAMO_SK_ENABLED", False),
        ("PERKAMO_KEY", False),
        ("PERKAMO_SPACE", False),
        ("STRIPE_SECRET_KEY", False),
    ],
)
def test_names_secret_key(name: str, secret: bool) -> None:
    assert names_secret_key(name) is secret


@pytest.mark.parametrize(
    ("name", "public"),
    [("NEXT_PUBLIC_X", True), ("VITE_X", True), ("EXPO_PUBLIC_X", True),
     ("vite_x", True), ("PERKAMO_SECRET_KEY", False), ("PUBLICATION_X", False)],
)
def test_public_prefixes(name: str, public: bool) -> None:
    assert has_public_prefix(name) is public


def test_public_api_key_holding_a_publishable_key_is_not_pg102(tree) -> None:  # type: ignore[no-untyped-def]
    from tests.conftest import scan

    root = tree({".env.production": "NEXT_PUBLIC_PERKAMO_API_KEY=pk_live_a1B2c3D4e5F6g7H8i9J0\n"
                                    "NEXT_PUBLIC_PERKAMO_SERVER_URL=https://api.perkamo.com\n"})
    assert scan(root).findings == []
