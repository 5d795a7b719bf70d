"""Tests for the origin checks: one allowed-origin entry, one verdict."""

from __future__ import annotations

import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from perkamo_guard.origin import (
    OriginVerdict,
    check_origin,
    is_csp_text,
    split_origin_list,
)

# --- Valid origins ----------------------------------------------------------

VALID_ORIGINS = [
    "https://app.example.com",
    "https://shop.example.com",
    "https://app.example.com:8443",
    "http://localhost",
    "http://localhost:3000",
    "http://127.0.0.1:5173",
    "http://[::1]:8080",
    "http://[::1]",
    "https://localhost",
    "https://[::1]",
    "https://[2001:db8::1]",
    "https://[2001:db8::1]:8443",
    "https://10.0.0.1",
    "https://xn--bcher-kva.example",
    "https://my_host.example.com",
    "https://a.b.c.d.example.co.uk:65535",
    "https://example",
]


@pytest.mark.parametrize("entry", VALID_ORIGINS)
def test_serialised_origin_is_accepted(entry: str) -> None:
    assert check_origin(entry) is None


# --- One table of (entry, rule, fix) ----------------------------------------

CASES = [
    # PG203: CSP text pasted into the origin list.
    ("connect-src 'self' https://api.perkamo.com", "PG203", None),
    ("default-src 'self'; connect-src https://x.example", "PG203", None),
    ("connect-src", "PG203", None),
    ("frame-ancestors https://shop.example.com", "PG203", None),
    ("CONNECT-SRC https://api.perkamo.com", "PG203", None),
    ("'self'", "PG203", None),
    ("self", "PG203", None),
    ("'none'", "PG203", None),
    ("'unsafe-inline'", "PG203", None),
    ("'strict-dynamic'", "PG203", None),
    ("'nonce-r4nd0m'", "PG203", None),
    ("'sha256-abc123='", "PG203", None),
    ("'self' https://app.example.com", "PG203", None),
    ("Content-Security-Policy: default-src 'self'", "PG203", None),
    ("script-src https://*.example.com", "PG203", None),
    # PG201: a wildcard anywhere.
    ("*", "PG201", None),
    ("https://*.example.com", "PG201", None),
    ("https://app.example.*", "PG201", None),
    ("*.example.com", "PG201", None),
    ("http://*.example.com/", "PG201", None),
    ("https://a.com/*", "PG201", None),
    # PG202: a path, query or fragment; the fix is the bare origin.
    ("https://shop.example.com/", "PG202", "https://shop.example.com"),
    ("https://shop.example.com/checkout", "PG202", "https://shop.example.com"),
    ("https://app.example.com?ref=email", "PG202", "https://app.example.com"),
    ("https://a.com#x", "PG202", "https://a.com"),
    ("https://a.com/?ref=x", "PG202", "https://a.com"),
    ("https://a.com\\path", "PG202", "https://a.com"),
    ("http://localhost:3000/", "PG202", "http://localhost:3000"),
    ("http://staging.example.com/", "PG202", "https://staging.example.com"),
    ("http://staging.example.com:8080/", "PG202", None),
    ("HTTPS://Shop.Example.com:443/x", "PG202", "https://shop.example.com"),
    ("app.example.com/", "PG202", "https://app.example.com"),
    ("ftp://files.example.com/pub", "PG202", None),
    ("/checkout", "PG202", None),
    # PG204: plain http for a host that is not local.
    ("http://staging.example.com", "PG204", "https://staging.example.com"),
    ("http://localhost.example.com", "PG204", "https://localhost.example.com"),
    ("http://127.0.0.2", "PG204", "https://127.0.0.2"),
    ("http://x.com:80", "PG204", "https://x.com"),
    ("http://x.com:8080", "PG204", None),
    ("HTTP://Example.com", "PG204", "https://example.com"),
    ("http://user@example.com", "PG204", "https://example.com"),
    # PG205: scheme problems.
    ("app.example.com", "PG205", "https://app.example.com"),
    ("localhost:3000", "PG205", "http://localhost:3000"),
    ("127.0.0.1:5173", "PG205", "http://127.0.0.1:5173"),
    ("//app.example.com", "PG205", "https://app.example.com"),
    ("ftp://files.example.com", "PG205", None),
    ("ws://app.example.com", "PG205", None),
    ("wss://app.example.com", "PG205", None),
    ("chrome-extension://abcdefghijklmnop", "PG205", None),
    ("capacitor://localhost", "PG205", None),
    ("blob:https://app.example.com", "PG205", None),
    ("data:", "PG205", None),
    ("https:/app.example.com", "PG205", "https://app.example.com"),
    ("https:app.example.com", "PG205", "https://app.example.com"),
    ("https:///app.example.com", "PG205", "https://app.example.com"),
    ("HTTPS://App.Example.com", "PG205", "https://app.example.com"),
    # PG205: user info, host and port problems.
    ("https://user@x.com", "PG205", "https://x.com"),
    ("https://user:secret@x.com", "PG205", "https://x.com"),
    ("https://x.com:abc", "PG205", None),
    ("https://x.com:70000", "PG205", None),
    ("https://x.com:0", "PG205", None),
    ("https://x.com:99999999999999999999999", "PG205", None),
    ("https://x.com:", "PG205", "https://x.com"),
    ("https://x.com:443", "PG205", "https://x.com"),
    ("https://x.com:0443", "PG205", "https://x.com"),
    ("https://x.com:08443", "PG205", "https://x.com:8443"),
    ("http://localhost:80", "PG205", "http://localhost"),
    ("http://LOCALHOST:3000", "PG205", "http://localhost:3000"),
    ("https://x.com:\u0663", "PG205", None),
    ("https://", "PG205", None),
    ("http://", "PG205", None),
    ("https://a .com", "PG205", None),
    ("https://a.com\x00", "PG205", None),
    ("https://a\tb.com", "PG205", None),
    ("https://exa!mple.com", "PG205", None),
    ("https://a..com", "PG205", None),
    ("https://.a.com", "PG205", None),
    ("https://a.com.", "PG205", "https://a.com"),
    ("https://" + "a" * 64 + ".com", "PG205", None),
    ("https://" + "a." * 130 + "com", "PG205", None),
    ("https://a.com,https://b.com", "PG205", None),
    ("https://a.com https://b.com", "PG205", None),
    ("https://a.com;https://b.com", "PG205", None),
    ("null", "PG205", None),
    ("NULL", "PG205", None),
    ("", "PG205", None),
    ("   ", "PG205", None),
    ("sandbox", "PG205", "https://sandbox"),
    # PG205: IP addresses.
    ("https://[2001:DB8::1]", "PG205", "https://[2001:db8::1]"),
    ("https://[2001:db8:0:0:0:0:0:1]", "PG205", "https://[2001:db8::1]"),
    ("http://[0:0:0:0:0:0:0:1]:8080", "PG205", "http://[::1]:8080"),
    ("https://[::1", "PG205", None),
    ("https://[::1]x", "PG205", None),
    ("https://[fe80::1%eth0]", "PG205", None),
    ("https://[not-an-address]", "PG205", None),
    ("https://::1", "PG205", "https://[::1]"),
    ("http://127.1", "PG205", "http://127.0.0.1"),
    ("http://0x7f.0.0.1:3000", "PG205", "http://127.0.0.1:3000"),
    ("http://127.0.0.1.", "PG205", "http://127.0.0.1"),
    ("https://256.1.1.1", "PG205", None),
    ("https://1.2.3.4.5", "PG205", None),
    # PG205: internationalised host names are serialised as punycode.
    ("https://bücher.example", "PG205", "https://xn--bcher-kva.example"),
    ("https://Bücher.Example", "PG205", "https://xn--bcher-kva.example"),
    # Full-width letters, as an IME types them.
    (
        "https://\uff45\uff58\uff41\uff4d\uff50\uff4c\uff45.com",
        "PG205",
        "https://example.com",
    ),
    ("https://straße.de", "PG205", None),
]


@pytest.mark.parametrize(("entry", "rule", "fix"), CASES)
def test_entry_gets_expected_rule_and_fix(
    entry: str, rule: str, fix: str | None
) -> None:
    verdict = check_origin(entry)

    assert verdict is not None
    assert (verdict.rule, verdict.fix) == (rule, fix)


# --- Reasons and named behaviours -------------------------------------------


@pytest.mark.parametrize(
    ("entry", "reason"),
    [
        ("https://shop.example.com/", "has a trailing slash"),
        ("https://shop.example.com/checkout", "has a path"),
        ("https://app.example.com?ref=email", "has a query"),
        ("https://a.com#top", "has a fragment"),
        ("*", "is a bare wildcard"),
        ("https://*.example.com", "uses a wildcard"),
        ("connect-src 'self'", "is a csp directive"),
        ("default-src 'self'; connect-src https://x", "is a csp policy"),
        ("'self'", "is a csp keyword"),
        ("http://staging.example.com", "uses http:// for a non-local host"),
        ("https://x.com:443", "has the default port :443"),
        ("http://localhost:80", "has the default port :80"),
        ("HTTPS://App.Example.com", "has upper-case letters"),
        ("https://bücher.example", "has a non-ascii host name"),
        ("app.example.com", "has no scheme"),
        ("ws://app.example.com", "uses a scheme other than http or https"),
        ("https://user@x.com", "has user info"),
        ("https://a .com", "contains whitespace"),
        ("null", 'is the opaque origin "null"'),
        ("", "is empty"),
        ("https://a.com https://b.com", "holds several origins"),
    ],
)
def test_verdict_reason_names_the_problem(entry: str, reason: str) -> None:
    verdict = check_origin(entry)

    assert verdict is not None
    assert verdict.reason == reason


def test_origin_with_trailing_slash_is_flagged() -> None:
    assert check_origin("https://shop.example.com/") == OriginVerdict(
        "PG202", "has a trailing slash", "https://shop.example.com"
    )


def test_localhost_prefix_of_a_public_host_is_not_local() -> None:
    verdict = check_origin("http://localhost.example.com")

    assert verdict is not None
    assert verdict.rule == "PG204"


def test_wildcard_wins_over_path_and_http() -> None:
    verdict = check_origin("http://*.example.com/")

    assert verdict is not None
    assert verdict.rule == "PG201"


def test_csp_wins_over_wildcard() -> None:
    verdict = check_origin("script-src 'self' https://*.example.com")

    assert verdict is not None
    assert verdict.rule == "PG203"


def test_path_wins_over_insecure_scheme() -> None:
    verdict = check_origin("http://staging.example.com/checkout")

    assert verdict is not None
    assert verdict.rule == "PG202"


def test_insecure_scheme_wins_over_malformed_parts() -> None:
    verdict = check_origin("HTTP://Staging.Example.com:80")

    assert verdict is not None
    assert (verdict.rule, verdict.fix) == ("PG204", "https://staging.example.com")


def test_hard_problem_is_reported_before_cosmetic_one() -> None:
    verdict = check_origin("HTTPS://x.com:abc")

    assert verdict is not None
    assert (verdict.reason, verdict.fix) == ("has an invalid port", None)


@pytest.mark.parametrize(
    ("entry", "offset"),
    [
        ("https://a.com/", 0),
        ("   https://a.com/", 3),
        ("\t\nhttps://a.com/  ", 2),
        ("  *", 2),
        ("  connect-src 'self'", 2),
        ("   ", 0),
    ],
)
def test_verdict_offset_points_past_leading_whitespace(entry: str, offset: int) -> None:
    verdict = check_origin(entry)

    assert verdict is not None
    assert verdict.offset == offset


def test_surrounding_whitespace_alone_is_not_a_finding() -> None:
    assert check_origin("  https://app.example.com \n") is None


def test_huge_entry_is_judged_without_raising() -> None:
    verdict = check_origin("https://" + "a" * 1_000_000 + ".com")

    assert verdict is not None
    assert verdict.rule == "PG205"


# --- is_csp_text --------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("connect-src 'self' https://api.perkamo.com", True),
        ("default-src 'self'; connect-src https://x", True),
        ("default-src 'self';", True),
        ("connect-src: https://api.perkamo.com", True),
        ("upgrade-insecure-requests", True),
        ("'self'", True),
        ("'SELF'", True),
        ("\"'self'\"", True),
        ("self", True),
        ("none", True),
        ("unsafe-inline", True),
        ("'sha384-abc'", True),
        ("https://a.com, 'self'", True),
        ("sandbox allow-scripts", True),
        ("content-security-policy: default-src 'none'", True),
        ("sandbox", False),
        ("webrtc", False),
        ("https://app.example.com", False),
        ("https://connect-src.example.com", False),
        ("https://self.example.com", False),
        ("https://a.com https://b.com", False),
        ("https://a.com;https://b.com", False),
        ("http://localhost:3000", False),
        ("self.example.com", False),
        ("", False),
        ("https:", False),
    ],
)
def test_is_csp_text(value: str, expected: bool) -> None:
    assert is_csp_text(value) is expected


# --- split_origin_list --------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("https://a.com", [(0, "https://a.com")]),
        ("https://a.com https://b.com", [(0, "https://a.com"), (14, "https://b.com")]),
        ("https://a.com,https://b.com", [(0, "https://a.com"), (14, "https://b.com")]),
        ("https://a.com, https://b.com", [(0, "https://a.com"), (15, "https://b.com")]),
        (
            "  https://a.com\n\thttp://localhost:3000 ",
            [(2, "https://a.com"), (17, "http://localhost:3000")],
        ),
        (
            "https://a.com,,https://b.com,",
            [(0, "https://a.com"), (15, "https://b.com")],
        ),
        ("connect-src 'self' https://x", [(0, "connect-src 'self' https://x")]),
        (" default-src 'self'; img-src x ", [(1, "default-src 'self'; img-src x")]),
        ("'self' https://api.perkamo.com", [(0, "'self' https://api.perkamo.com")]),
        ("", []),
        ("  ,  ", []),
    ],
)
def test_split_origin_list(value: str, expected: list[tuple[int, str]]) -> None:
    assert split_origin_list(value) == expected


def test_split_offsets_index_the_original_string() -> None:
    value = " https://a.com ,\thttps://b.com/ "

    for offset, entry in split_origin_list(value):
        assert value[offset : offset + len(entry)] == entry


# --- Properties ---------------------------------------------------------------

_LABEL = st.from_regex(r"[a-z0-9]([a-z0-9-]{0,20}[a-z0-9])?", fullmatch=True)
_DOMAIN = (
    st.lists(_LABEL, min_size=1, max_size=4)
    .map(".".join)
    .filter(
        # A name whose last label is a number (decimal, or hex such as "0x")
        # is read as an IPv4 address, as browsers do.
        lambda name: not re.fullmatch(r"\d+|0x[0-9a-f]*", name.rsplit(".", 1)[-1])
    )
)
_PORT = st.one_of(st.none(), st.integers(1, 65535))


@st.composite
def _valid_origins(draw: st.DrawFn) -> str:
    """Draw a serialised origin that the checks must accept."""
    local = draw(st.booleans())
    if local:
        scheme = draw(st.sampled_from(["http", "https"]))
        host = draw(st.sampled_from(["localhost", "127.0.0.1", "[::1]"]))
    else:
        scheme, host = "https", draw(_DOMAIN)
    port = draw(_PORT.filter(lambda p: p != {"http": 80, "https": 443}[scheme]))
    return f"{scheme}://{host}" + ("" if port is None else f":{port}")


_ORIGINISH = st.lists(
    st.sampled_from([*"htps:/[]@.*?#%-_ 0123456789aAxX,;'ü\t\x00", "://", "::1"]),
    max_size=30,
).map("".join)


@settings(max_examples=500)
@given(st.one_of(st.text(), _ORIGINISH))
def test_check_origin_never_raises(entry: str) -> None:
    verdict = check_origin(entry)

    assert verdict is None or verdict.rule in {
        "PG201", "PG202", "PG203", "PG204", "PG205"
    }  # fmt: skip


@settings(max_examples=500)
@given(st.one_of(st.text(), _ORIGINISH, _valid_origins().map(str.upper)))
def test_every_fix_is_itself_accepted(entry: str) -> None:
    verdict = check_origin(entry)

    if verdict is not None and verdict.fix is not None:
        assert check_origin(verdict.fix) is None


@given(_valid_origins())
def test_generated_valid_origin_is_accepted(origin: str) -> None:
    assert check_origin(origin) is None


@given(_valid_origins(), st.sampled_from(["/", "/path", "?q=1", "#frag"]))
def test_generated_origin_with_a_tail_is_flagged_with_its_origin_as_fix(
    origin: str, tail: str
) -> None:
    assert check_origin(origin + tail) == OriginVerdict(
        "PG202", _tail_reason(tail), origin
    )


def _tail_reason(tail: str) -> str:
    """Return the reason expected for a tail appended to an origin."""
    return {
        "/": "has a trailing slash",
        "/path": "has a path",
        "?q=1": "has a query",
        "#frag": "has a fragment",
    }[tail]


@given(
    st.lists(_valid_origins(), min_size=1, max_size=5),
    st.sampled_from([",", " ", ", ", "\n"]),
)
def test_split_joined_origins_round_trips(origins: list[str], separator: str) -> None:
    entries = [entry for _, entry in split_origin_list(separator.join(origins))]

    assert entries == origins
