"""Origin checks: judge one allowed-request-origin entry (PG201 to PG205).

An allowed origin is a serialised origin: ``http`` or ``https``, a host and
an optional non-default port, nothing else (``https://app.example.com``,
``http://localhost:3000``). We parse only what that grammar needs and lean
on the standard library for the hard parts: ``ipaddress`` for IPv6 and the
``idna`` codec for internationalised host names.

Decisions where DESIGN.md is silent:

- Surrounding whitespace is stripped and is not a finding; the verdict's
  ``offset`` points at the first character after it. Whitespace inside an
  entry is PG205.
- Only ``http`` and ``https`` are accepted. ``ws://``, ``ftp://``,
  ``chrome-extension://`` and ``capacitor://`` are PG205, because DESIGN.md
  lists "other scheme" as malformed.
- The literal ``null`` (the opaque origin) is PG205.
- An entry that holds several origins (``"https://a.com https://b.com"`` as
  one list item) is PG205 "holds several origins"; a wildcard or CSP text in
  it still wins, as the rule order says.
- Port 0, a trailing dot on the host, an empty label (``a..com``) and host
  characters that no DNS name uses are PG205 although a URL parser would
  accept them: no browser sends such an ``Origin`` header.
- Bare CSP keywords (``self``, ``none``, ``unsafe-inline``, ...) are PG203,
  since YAML turns ``- 'self'`` into ``self``. A lone ``sandbox``,
  ``webrtc`` or ``referrer`` is not: those words could be a host name typed
  without a scheme, so they fall through to PG205.
- A fix makes the entry pass every check at once: it drops the path, lower
  cases, converts the host to punycode, drops the default port and, where
  PG204 would fire next, moves ``http`` to ``https``. If that is ambiguous
  (an ``http`` origin with an explicit port) or impossible, it is None.
- An entry with no scheme gets ``http://`` in its fix for a local host and
  ``https://`` otherwise.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass, field
from typing import NamedTuple

from perkamo_guard.lazy import lazy_compile

#: Hosts for which plain http is fine (PG204), in serialised form.
LOCAL_HOSTS = frozenset({"localhost", "127.0.0.1", "[::1]"})

_DEFAULT_PORTS = {"http": 80, "https": 443}
_MAX_HOST_LENGTH = 253
_MAX_LABEL_LENGTH = 63

#: CSP directive names (CSP level 3 plus the deprecated ones still pasted).
_CSP_DIRECTIVES = frozenset(
    {
        "base-uri", "block-all-mixed-content", "child-src", "connect-src",
        "default-src", "fenced-frame-src", "font-src", "form-action",
        "frame-ancestors", "frame-src", "img-src", "manifest-src",
        "media-src", "navigate-to", "object-src", "plugin-types",
        "prefetch-src", "referrer", "report-to", "report-uri",
        "require-sri-for", "require-trusted-types-for", "sandbox",
        "script-src", "script-src-attr", "script-src-elem", "style-src",
        "style-src-attr", "style-src-elem", "trusted-types",
        "upgrade-insecure-requests", "webrtc", "worker-src",
    }
)  # fmt: skip

#: CSP keywords that also count when written without their quotes.
_CSP_BARE_KEYWORDS = frozenset(
    {
        "self", "none", "unsafe-inline", "unsafe-eval", "strict-dynamic",
        "unsafe-hashes", "wasm-unsafe-eval", "unsafe-allow-redirects",
        "report-sample", "inline-speculation-rules", "trusted-types-eval",
    }
)  # fmt: skip

_CSP_QUOTED_SOURCE = lazy_compile(r"'(?:nonce|sha256|sha384|sha512)-[^'\s]*'")
_CSP_HEADERS = (
    "content-security-policy:",
    "content-security-policy-report-only:",
)

_PIECE = lazy_compile(r"[^,\s]+")
_WORD = lazy_compile(r"[^,;\s]+")
_SCHEME = lazy_compile(r"[A-Za-z][A-Za-z0-9+.\-]*:")
_PORT_THEN_END = lazy_compile(r"[0-9]+(?:[/?#\\]|$)")
_AUTHORITY_END = lazy_compile(r"[/?#\\]")
_DOMAIN_CHARS = lazy_compile(r"[a-z0-9_.\-]*")
_IPV4_DIGITS = {8: "01234567", 10: "0123456789", 16: "0123456789abcdef"}
# NOTE: the idna codec implements IDNA 2003, which maps these four
# characters away; browsers (UTS 46, non-transitional) keep them, so the
# codec's answer would be a different host.
_IDNA_DEVIATIONS = frozenset("\u00df\u03c2\u200c\u200d")


class OriginVerdict(NamedTuple):
    """What is wrong with one allowed-origin entry, and how to fix it."""

    rule: str
    reason: str
    fix: str | None
    #: Character offset of the entry's text inside the raw entry.
    offset: int = 0


class _Parts(NamedTuple):
    """An entry cut along the origin grammar, nothing normalised yet."""

    scheme: str | None
    separator: str
    hierarchical: bool
    authority: str
    userinfo: bool
    host: str
    port: str | None
    tail: str


@dataclass
class _Problems:
    """PG205 reasons found so far, split by whether a fix can cure them."""

    fixable: list[str] = field(default_factory=list)
    unfixable: list[str] = field(default_factory=list)

    def add(self, reason: str, *, fixable: bool) -> None:
        """Record one reason."""
        (self.fixable if fixable else self.unfixable).append(reason)

    def first(self) -> str | None:
        """Return the reason to report: a hard one before a cosmetic one."""
        reasons = self.unfixable or self.fixable
        return reasons[0] if reasons else None


def check_origin(entry: str) -> OriginVerdict | None:
    """Judge one allowed-origin entry; return None when it is a correct origin.

    Surrounding whitespace is ignored and never raises a finding; the
    verdict's ``offset`` is where the entry's text starts (0 for a blank
    entry). Exactly one verdict comes back, the first that applies in the
    order PG203, PG201, PG202, PG204, PG205. The function never raises,
    whatever the input.
    """
    text = entry.strip()
    verdict = _judge(text)
    if verdict is None:
        return None
    # A blank entry has no text to point at, so it is placed at its start.
    offset = len(entry) - len(entry.lstrip()) if text else 0
    return verdict._replace(offset=offset)


def is_csp_text(value: str) -> bool:
    """Tell whether ``value`` is a CSP policy, directive or keyword."""
    return _csp_reason(value.strip()) is not None


def split_origin_list(value: str) -> list[tuple[int, str]]:
    """Split a comma- or whitespace-separated origin string into entries.

    Each entry comes with its character offset in ``value``. Empty pieces
    (``"a,,b"``, a trailing comma) are skipped. CSP text is never split: a
    directive or policy comes back whole, as one entry, so that PG203 fires
    once for it.
    """
    if is_csp_text(value):
        return [(len(value) - len(value.lstrip()), value.strip())]
    return [(match.start(), match.group()) for match in _PIECE.finditer(value)]


def _judge(text: str) -> OriginVerdict | None:
    """Judge a stripped entry, with the rules in their contract order."""
    if not text:
        return OriginVerdict("PG205", "is empty", None)
    csp = _csp_reason(text)
    if csp is not None:
        return OriginVerdict("PG203", csp, None)
    if "*" in text:
        reason = "is a bare wildcard" if text == "*" else "uses a wildcard"
        return OriginVerdict("PG201", reason, None)
    if _holds_several_origins(text):
        return OriginVerdict("PG205", "holds several origins", None)
    if text.lower() == "null":
        return OriginVerdict("PG205", 'is the opaque origin "null"', None)
    return _judge_parts(_split(text))


def _judge_parts(parts: _Parts) -> OriginVerdict | None:
    """Apply PG202, PG204 and PG205 to an entry cut into parts."""
    problems = _Problems()
    scheme, host, port = _normalise(parts, problems)
    fix = _assemble_fix(scheme, host, port, problems)

    if parts.tail:
        return OriginVerdict("PG202", _tail_reason(parts.tail), fix)
    if _is_insecure(parts, host):
        return OriginVerdict("PG204", "uses http:// for a non-local host", fix)
    reason = problems.first()
    return None if reason is None else OriginVerdict("PG205", reason, fix)


# --- CSP text (PG203) -------------------------------------------------------


def _csp_reason(text: str) -> str | None:
    """Return why ``text`` is CSP rather than an origin, or None."""
    lowered = text.lower()
    if lowered.startswith(_CSP_HEADERS):
        return "is a content-security-policy header"
    if lowered.strip("'\"") in _CSP_BARE_KEYWORDS:
        return "is a csp keyword"

    segments = [_WORD.findall(part) for part in lowered.split(";")]
    if any(_starts_with_directive(words) for words in segments):
        return "is a csp policy" if ";" in lowered else "is a csp directive"
    if any(_is_quoted_keyword(word) for words in segments for word in words):
        return "is a csp keyword"
    return None


def _starts_with_directive(words: list[str]) -> bool:
    """Tell whether a policy segment opens with a directive name."""
    if not words:
        return False
    name = words[0].rstrip(":")
    # A lone one-word directive (sandbox) could be a scheme-less host.
    return name in _CSP_DIRECTIVES and (len(words) > 1 or "-" in name)


def _is_quoted_keyword(word: str) -> bool:
    """Tell whether a word is a quoted CSP keyword, nonce or hash source."""
    quoted = len(word) > 2 and word[0] == word[-1] == "'"
    if quoted and word[1:-1] in _CSP_BARE_KEYWORDS:
        return True
    return _CSP_QUOTED_SOURCE.fullmatch(word) is not None


def _holds_several_origins(text: str) -> bool:
    """Tell whether one entry lists two or more URLs."""
    pieces = _WORD.findall(text)
    return len(pieces) > 1 and sum("://" in piece for piece in pieces) > 1


# --- Cutting an entry into parts --------------------------------------------


def _split(text: str) -> _Parts:
    """Cut an entry into scheme, separator, authority and tail."""
    scheme, separator, rest = _split_scheme(text)
    hierarchical = (
        scheme is None or scheme.lower() in _DEFAULT_PORTS or separator == "//"
    )
    # An opaque URL such as blob:https://x has no authority we could judge.
    authority, tail = _cut_tail(rest) if hierarchical else ("", "")

    _, at, hostport = authority.rpartition("@")
    host, port = _split_host_port(hostport)
    return _Parts(
        scheme=scheme,
        separator=separator,
        hierarchical=hierarchical,
        authority=authority,
        userinfo=bool(at),
        host=host,
        port=port,
        tail=tail,
    )


def _split_scheme(text: str) -> tuple[str | None, str, str]:
    """Return (scheme or None, the slashes after it, the rest)."""
    match = _SCHEME.match(text)
    if match is None or not _is_scheme(match.group()[:-1], text[match.end() :]):
        if text.startswith("//"):
            return None, "//", text[2:]
        return None, "", text

    rest = text[match.end() :]
    stripped = rest.lstrip("/\\")
    return match.group()[:-1], rest[: len(rest) - len(stripped)], stripped


def _is_scheme(name: str, rest: str) -> bool:
    """Tell a scheme from a scheme-less host and port (``localhost:3000``)."""
    lowered = name.lower()
    if lowered in _DEFAULT_PORTS:
        return True
    if not rest:
        # "data:" is a scheme; "localhost:" and "a.com:" lack a port.
        return "." not in lowered and lowered != "localhost"
    return _PORT_THEN_END.match(rest) is None


def _cut_tail(rest: str) -> tuple[str, str]:
    """Split the authority from any path, query or fragment after it."""
    match = _AUTHORITY_END.search(rest)
    if match is None:
        return rest, ""
    return rest[: match.start()], rest[match.start() :]


def _split_host_port(hostport: str) -> tuple[str, str | None]:
    """Split ``host[:port]``, keeping IPv6 brackets on the host."""
    if hostport.startswith("["):
        close = hostport.find("]")
        after = hostport[close + 1 :] if close >= 0 else ""
        if close < 0 or (after and not after.startswith(":")):
            return hostport, None
        return hostport[: close + 1], after[1:] if after else None
    if hostport.count(":") > 1:
        # Most likely an IPv6 address without its brackets.
        return hostport, None
    host, colon, port = hostport.partition(":")
    return host, port if colon else None


def _tail_reason(tail: str) -> str:
    """Name what follows the authority: a slash, a path, a query or a fragment."""
    if tail in ("/", "\\"):
        return "has a trailing slash"
    path = _split_path(tail)
    if path not in ("", "/", "\\"):
        return "has a path"
    return "has a query" if tail[len(path) :].startswith("?") else "has a fragment"


def _split_path(tail: str) -> str:
    """Return the path part of a tail, before any query or fragment."""
    ends = [index for index in (tail.find("?"), tail.find("#")) if index >= 0]
    return tail[: min(ends)] if ends else tail


def _is_insecure(parts: _Parts, host: str | None) -> bool:
    """Tell whether the entry uses plain http for a non-local host (PG204)."""
    if parts.scheme is None or parts.scheme.lower() != "http":
        return False
    # NOTE: a host we cannot parse is a PG205 matter, whatever the scheme.
    return host is not None and host not in LOCAL_HOSTS


# --- Normalising the parts (PG205 and fixes) --------------------------------


def _normalise(
    parts: _Parts, problems: _Problems
) -> tuple[str | None, str | None, str | None]:
    """Return the serialised scheme, host and port (None where unfixable)."""
    if any(char.isspace() for char in parts.authority):
        problems.add("contains whitespace", fixable=False)
    elif not parts.authority.isprintable():
        problems.add("contains a control character", fixable=False)

    host = _normalise_host(parts, problems)
    scheme = _normalise_scheme(parts, host, problems)
    if parts.userinfo:
        problems.add("has user info", fixable=True)
    port = _normalise_port(parts, scheme, problems)
    return scheme, host, port


def _normalise_scheme(
    parts: _Parts, host: str | None, problems: _Problems
) -> str | None:
    """Return the scheme in lower case, guessing it when there is none."""
    if parts.scheme is None:
        problems.add("has no scheme", fixable=True)
        return "http" if host in LOCAL_HOSTS else "https"

    scheme = parts.scheme.lower()
    if scheme not in _DEFAULT_PORTS:
        problems.add("uses a scheme other than http or https", fixable=False)
        return None
    if scheme != parts.scheme:
        problems.add("has upper-case letters", fixable=True)
    if parts.separator != "//":
        problems.add('lacks the "//" after the scheme', fixable=True)
    return scheme


def _normalise_port(
    parts: _Parts, scheme: str | None, problems: _Problems
) -> str | None:
    """Return ``":port"``, or ``""`` for none or the default port."""
    raw = parts.port
    if raw is None:
        return ""
    if raw == "":
        problems.add("has an empty port", fixable=True)
        return ""
    if not (raw.isascii() and raw.isdigit()):
        problems.add("has an invalid port", fixable=False)
        return None

    digits = raw.lstrip("0")
    if not digits or len(digits) > 5 or int(digits) > 65535:
        problems.add("has a port out of range", fixable=False)
        return None
    number = int(digits)
    if scheme is not None and number == _DEFAULT_PORTS[scheme]:
        if parts.scheme is not None:
            problems.add(f"has the default port :{number}", fixable=True)
        return ""
    if digits != raw:
        problems.add("has a port with leading zeros", fixable=True)
    return f":{number}"


def _normalise_host(parts: _Parts, problems: _Problems) -> str | None:
    """Return the host as a browser would serialise it, or None."""
    raw = parts.host
    if not parts.hierarchical:
        return None
    if not raw:
        problems.add("has no host", fixable=False)
        return None
    if len(raw) > 4 * _MAX_HOST_LENGTH:
        problems.add("has a host name that is too long", fixable=False)
        return None
    if raw.startswith("["):
        return _normalise_ipv6(raw[1:-1] if raw.endswith("]") else "", problems)
    if ":" in raw:
        return _normalise_bare_ipv6(raw, problems)
    return _normalise_name(raw, problems)


def _normalise_name(raw: str, problems: _Problems) -> str | None:
    """Normalise a domain name or IPv4 address (no brackets)."""
    ascii_host = raw if raw.isascii() else _to_punycode(raw, problems)
    if ascii_host is None:
        return None
    host = ascii_host.lower()
    if host != ascii_host:
        problems.add("has upper-case letters", fixable=True)

    if _ends_in_number(host):
        return _normalise_ipv4(host, problems)
    return _normalise_domain(host, problems)


def _to_punycode(raw: str, problems: _Problems) -> str | None:
    """Convert an internationalised host name to its ASCII (punycode) form."""
    fixable = _IDNA_DEVIATIONS.isdisjoint(raw)
    problems.add("has a non-ascii host name", fixable=fixable)
    if not fixable or not raw.isprintable():
        return None
    try:
        return raw.encode("idna").decode("ascii")
    except (UnicodeError, ValueError):
        problems.add("has an invalid internationalised host name", fixable=False)
        return None


def _normalise_domain(host: str, problems: _Problems) -> str | None:
    """Check a lower-case ASCII domain name label by label."""
    if host.endswith(".") and len(host) > 1:
        problems.add("has a trailing dot in the host", fixable=True)
        host = host[:-1]
    if _DOMAIN_CHARS.fullmatch(host) is None:
        problems.add("has an invalid character in the host", fixable=False)
        return None

    labels = host.split(".")
    if "" in labels:
        problems.add("has an empty label in the host", fixable=False)
        return None
    too_long = max(len(label) for label in labels) > _MAX_LABEL_LENGTH
    if too_long or len(host) > _MAX_HOST_LENGTH:
        problems.add("has a host name that is too long", fixable=False)
        return None
    return host


# --- IP addresses -----------------------------------------------------------


def _ends_in_number(host: str) -> bool:
    """Tell whether a URL parser would read ``host`` as an IPv4 address."""
    labels = host.split(".")
    if labels[-1] == "" and len(labels) > 1:
        labels.pop()
    last = labels[-1]
    if last.isascii() and last.isdigit():
        return True
    return last.startswith("0x") and all(c in _IPV4_DIGITS[16] for c in last[2:])


def _normalise_ipv4(host: str, problems: _Problems) -> str | None:
    """Return the dotted-quad form of an IPv4 host, flagging other spellings."""
    value = _parse_ipv4(host)
    if value is None:
        problems.add("has an invalid ipv4 address", fixable=False)
        return None
    dotted = ".".join(str((value >> shift) & 255) for shift in (24, 16, 8, 0))
    if dotted != host:
        problems.add("has a non-canonical ipv4 address", fixable=True)
    return dotted


def _parse_ipv4(host: str) -> int | None:
    """Parse an IPv4 host as browsers do (``127.1``, ``0x7f.0.0.1``)."""
    parts = host.split(".")
    if parts[-1] == "" and len(parts) > 1:
        parts.pop()
    if len(parts) > 4:
        return None
    numbers = [_parse_ipv4_number(part) for part in parts]

    value = 0
    for index, number in enumerate(numbers):
        last = index == len(numbers) - 1
        limit = 256 ** (5 - len(numbers)) if last else 256
        if number is None or number >= limit:
            return None
        value += number if last else number * 256 ** (3 - index)
    return value


def _parse_ipv4_number(part: str) -> int | None:
    """Parse one decimal, octal (``0``-prefixed) or hex (``0x``) part."""
    base, digits = 10, part
    if part.startswith("0x"):
        base, digits = 16, part[2:]
    elif len(part) > 1 and part.startswith("0"):
        base, digits = 8, part[1:]
    if not part or not all(char in _IPV4_DIGITS[base] for char in digits):
        return None

    significant = digits.lstrip("0")
    # Anything longer cannot fit in 32 bits; int() would be wasted work.
    if len(significant) > 11:
        return None
    return int(significant or "0", base)


def _normalise_bare_ipv6(raw: str, problems: _Problems) -> str | None:
    """Bracket an IPv6 address written without its brackets."""
    host = _normalise_ipv6(raw, _Problems())
    if host is None:
        problems.add("has an invalid character in the host", fixable=False)
        return None
    problems.add("has an ipv6 address without brackets", fixable=True)
    return host


def _normalise_ipv6(inner: str, problems: _Problems) -> str | None:
    """Return ``[address]`` in its canonical form, flagging other spellings."""
    address = _parse_ipv6(inner)
    if address is None:
        problems.add("has an invalid ipv6 address", fixable=False)
        return None
    canonical = _serialise_ipv6(address.packed)
    if inner.lower() != canonical:
        problems.add("has a non-canonical ipv6 address", fixable=True)
    elif inner != canonical:
        problems.add("has upper-case letters", fixable=True)
    return f"[{canonical}]"


def _parse_ipv6(inner: str) -> ipaddress.IPv6Address | None:
    """Parse an IPv6 address; zone ids and non-ASCII digits are refused."""
    if not inner or not inner.isascii() or "%" in inner:
        return None
    try:
        return ipaddress.IPv6Address(inner)
    except ValueError:
        return None


def _serialise_ipv6(packed: bytes) -> str:
    """Write an address as browsers do: lower-case hex, longest zero run cut."""
    pieces = [packed[index] << 8 | packed[index + 1] for index in range(0, 16, 2)]
    start, length = _longest_zero_run(pieces)
    if length < 2:
        return ":".join(f"{piece:x}" for piece in pieces)
    head = ":".join(f"{piece:x}" for piece in pieces[:start])
    tail = ":".join(f"{piece:x}" for piece in pieces[start + length :])
    return f"{head}::{tail}"


def _longest_zero_run(pieces: list[int]) -> tuple[int, int]:
    """Return (start, length) of the first longest run of zero pieces."""
    best_start, best_length, start = 0, 0, None
    for index, piece in enumerate([*pieces, 1]):
        if piece == 0 and start is None:
            start = index
        elif piece != 0 and start is not None:
            if index - start > best_length:
                best_start, best_length = start, index - start
            start = None
    return best_start, best_length


# --- Fixes -------------------------------------------------------------------


def _assemble_fix(
    scheme: str | None, host: str | None, port: str | None, problems: _Problems
) -> str | None:
    """Build the corrected origin, or None when no safe correction exists."""
    if problems.unfixable or scheme is None or host is None or port is None:
        return None
    if scheme == "http" and host not in LOCAL_HOSTS:
        # NOTE: moving to https keeps the port only if it is the default;
        # an explicit port was chosen for plain http, so we cannot guess.
        if port:
            return None
        scheme = "https"
    return f"{scheme}://{host}{port}"
