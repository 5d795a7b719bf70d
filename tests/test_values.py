"""Secret-shaped values: shapes are found without ever printing the value."""

from __future__ import annotations

import pytest

from perkamo_guard.values import find_secret_value, hide, passes_luhn

# Invented secrets, assembled so that no scanner mistakes this file for a leak.
JWT = "eyJhbGciOiJIUzI1NiJ9" + ".eyJzdWIiOiJtZW1iZXItMSJ9" + ".bm90LXJlYWw"
LIVE = "sk_live_" + "9Qv2Lr7Tx4Pz8Wm3Nb6Kc1Hd"


@pytest.mark.parametrize(
    ("pieces", "shape"),
    [
        pytest.param(("4111 1111 1111 1111",), "card", id="card-with-spaces"),
        pytest.param(("4111-1111-1111-1111",), "card", id="card-with-dashes"),
        pytest.param(("ref 5555555555554444 declined",), "card", id="card-inside-text"),
        pytest.param(("378282246310005",), "card", id="amex-15-digits"),
        pytest.param((JWT,), "jwt", id="jwt"),
        pytest.param(("Bearer ", None), "bearer", id="bearer-with-run-time-token"),
        pytest.param(("Bearer abcdefghij0123456789",), "bearer", id="bearer-literal"),
        pytest.param((LIVE,), "key", id="server-key"),
        pytest.param((None, "/join?invite_token=", None), "url-token", id="invite-token-url"),
        pytest.param(("https://a.example/cb?x=1&access_token=abc",), "url-token",
                     id="access-token-url"),
        pytest.param(("https://a.example/login?password=hunter22",), "url-token",
                     id="password-in-query"),
        pytest.param(("https://user:", None, "@db.example/x",), "url-password",
                     id="url-userinfo-password"),
    ],
)
def test_secret_shapes_are_found(pieces: tuple[str | None, ...], shape: str) -> None:
    found = find_secret_value(pieces)
    assert found is not None and found.shape == shape


@pytest.mark.parametrize(
    "pieces",
    [
        pytest.param(("4111 1111 1111 1112",), id="fails-luhn"),
        pytest.param(("1712345678901",), id="epoch-milliseconds"),
        pytest.param(("order-4111111111111111",), id="digits-inside-an-identifier"),
        pytest.param(("2024-05-01 12:00",), id="date"),
        pytest.param(("+44 7911 123456",), id="phone-number"),
        pytest.param(("Bearer bonds",), id="the-word-bearer"),
        pytest.param(("https://shop.example/p?token_count=3&utm_source=mail",),
                     id="harmless-query"),
        pytest.param(("sk_live_...",), id="placeholder-key"),
        pytest.param(("eyJhbGciOiJIUzI1NiJ9",), id="jwt-header-alone"),
        pytest.param((None,), id="run-time-value-alone"),
    ],
)
def test_harmless_values_are_silent(pieces: tuple[str | None, ...]) -> None:
    assert find_secret_value(pieces) is None


@pytest.mark.parametrize(("digits", "valid"),
                         [("4111111111111111", True), ("79927398713", True),
                          ("79927398710", False), ("0", True)])
def test_luhn_checksum(digits: str, valid: bool) -> None:
    assert passes_luhn(digits) is valid


def test_hide_never_shows_a_short_secret_or_the_middle_of_a_long_one() -> None:
    assert hide("1234") == "\u2026"
    shown = hide(JWT)
    # NOTE: booleans only, so that a failure never prints the secret.
    assert shown.startswith("eyJ") and len(shown) < 12
    assert not any(secret in hide(secret) for secret in (JWT, LIVE))


def test_secret_text_is_left_out_of_the_repr() -> None:
    found = find_secret_value((JWT,))
    assert found is not None and "eyJ" not in repr(found)
