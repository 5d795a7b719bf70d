"""Reading URLs: which Perkamo route a URL names, and which literal holds it."""

from __future__ import annotations

import pytest

from perkamo_guard.sinks import ANY_ROUTE, UrlPiece, read_url


def _pieces(*parts: str | None) -> list[UrlPiece]:
    pieces, offset = [], 0
    for part in parts:
        width = 1 if part is None else len(part)
        pieces.append(UrlPiece(part, offset, offset + width, "BASE" if part is None else ""))
        offset += width + 10
    return pieces


@pytest.mark.parametrize(
    ("parts", "route", "host"),
    [
        (("https://api.perkamo.com/v1/events",), "/v1/events", True),
        (("https://API.perkamo.com:443/v1/events/",), "/v1/events", True),
        (("//api.perkamo.com/v1/identify",), "/v1/identify", True),
        (("https://api.perkamo.com", "/v1/events:batch"), "/v1/events:batch", True),
        (("https://api.perkamo.com/v1", "/events"), "/v1/events", True),
        (("/v1/identify",), "/v1/identify", False),
        (("/v1/events?debug=1",), "/v1/events", False),
        ((None, "/v1/events"), "/v1/events", False),
        (("https://api.perkamo.com/v1/profile/", None), "/v1/profile/{user_id}", True),
        (("/v1/profile/m-1042",), "/v1/profile/{user_id}", False),
        (("https://api.perkamo.com/v1/admin/config/", None), "/v1/admin/config/{module}", True),
        (("https://api.perkamo.com/v1/client/profile/", None, "/stream"),
         "/v1/client/profile/{}/stream", True),
        (("/v1/client/session",), "/v1/client/session", False),
        (("https://api.perkamo.com", None), ANY_ROUTE, True),
        (("https://api.perkamo.com/v1/", None), "/v1/{}", True),
        (("https://api.perkamo.com/v1/rewards/redeem",), "/v1/rewards/redeem", True),
    ],
)
def test_perkamo_urls_are_read_as_routes(parts: tuple[str | None, ...], route: str,
                                         host: bool) -> None:
    found = read_url(_pieces(*parts))
    assert found is not None and (found.route, found.host) == (route, host)


@pytest.mark.parametrize(
    "parts",
    [
        ("https://api.segment.io/v1/identify",),
        ("https://shop.example.com/v1/events",),
        ("/api/v1/events",),
        ("/v1/users",),
        ("/v1",),
        (None,),
        (None, "/events"),
        ("https://api.perkamo.com.evil.example/v1/events",),
    ],
)
def test_other_urls_are_not_perkamo_routes(parts: tuple[str | None, ...]) -> None:
    assert read_url(_pieces(*parts)) is None


def test_url_position_is_the_literal_that_holds_the_route() -> None:
    pieces = _pieces("https://api.perkamo.com", "/v1/events:batch")
    found = read_url(pieces)
    assert found is not None and (found.start, found.end) == (pieces[1].start, pieces[1].end)


def test_host_literal_is_the_position_when_the_path_is_computed() -> None:
    pieces = _pieces("https://api.perkamo.com", None)
    found = read_url(pieces)
    assert found is not None and found.start == pieces[0].start


def test_relative_url_joins_a_client_base() -> None:
    found = read_url(_pieces("/v1/events"), base=tuple(_pieces("https://api.perkamo.com")))
    assert found is not None and (found.route, found.host) == ("/v1/events", True)


def test_unread_base_is_named() -> None:
    found = read_url(_pieces(None, "/v1/events"))
    assert found is not None and found.base == "BASE"
