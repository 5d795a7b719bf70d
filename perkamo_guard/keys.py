"""Server keys: how one looks, how a placeholder looks, and how to mask one."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import NamedTuple

from perkamo_guard.lazy import lazy_compile

#: A key starts where no identifier character comes before ``sk_`` (so that
#: ``risk_live_score`` is not a key) and runs over identifier-ish characters;
#: placeholders such as ``sk_live_<your key>`` or ``sk_live_...`` stop early.
KEY_PATTERN = lazy_compile(r"(?<![A-Za-z0-9_])sk_(live|test)_([A-Za-z0-9_\-]*)")
KEY_PREFIX = lazy_compile(r"(?<![A-Za-z0-9_])sk_(live|test)_")

#: Bodies of real keys are long runs of letters and digits.
MIN_BODY = 16

_PLACEHOLDER_WORDS = lazy_compile(
    r"x{3}|your|example|fake|dummy|replace|placeholder|changeme|change_me"
    r"|redacted|sample|secret|insert|here|todo|0{6}|1234567|abcdef",
    re.IGNORECASE,
)
#: Characters right after the body that show the author meant a placeholder.
_PLACEHOLDER_TAILS = ("...", "\u2026", "<", "{", "$", "*", "[", "%")

#: Base64 of "sk_live_" and "sk_test_" at the start of an encoded literal.
#: A key whose underscores a string literal escapes ("sk\u005flive_…"): the
#: rules do not read it as a key, but no output may show it whole either.
_UNDERSCORE = r"(?:_|\\u005[fF]|\\x5[fF]|\\137)"
_ESCAPED_KEY = lazy_compile(
    rf"(?<![A-Za-z0-9_])sk{_UNDERSCORE}(live|test){_UNDERSCORE}([A-Za-z0-9\-]{{5,}})")
_B64_LITERAL = lazy_compile(r"[\"'`](c2tf(?:bGl2ZV|dGVzdF)[A-Za-z0-9+/_\-]{16,120}={0,2})[\"'`]")
B64_TRIGGERS = (b"c2tfbGl2ZV", b"c2tfdGVzdF")


class KeyMatch(NamedTuple):
    """A server key found in a text."""

    start: int
    end: int
    live: bool
    text: str
    #: Set when the key was found by decoding a base64 literal at ``start``.
    encoded: bool = False

    @property
    def masked(self) -> str:
        return mask(self.text)


def is_placeholder(body: str, tail: str = "") -> bool:
    """Tell whether a key body (the part after ``sk_live_``) is a placeholder.

    :param tail:
        The text right after the body, which shows ``sk_live_...`` or
        ``sk_live_<your key>`` for what they are.
    """
    if tail.startswith(_PLACEHOLDER_TAILS) or "_" in body or "-" in body:
        return True
    if len(body) < MIN_BODY or len(set(body.lower())) < 6:
        return True
    return bool(_PLACEHOLDER_WORDS.search(body))


def find_keys(text: str, start: int = 0, end: int | None = None) -> Iterator[KeyMatch]:
    """Yield every real (non-placeholder) server key in ``text[start:end]``."""
    stop = len(text) if end is None else end
    for match in KEY_PATTERN.finditer(text, start, stop):
        body = match.group(2)
        if is_placeholder(body, text[match.end() : match.end() + 3]):
            continue
        yield KeyMatch(match.start(), match.end(), match.group(1) == "live", match.group())


def find_encoded_keys(text: str, limit: int = 50) -> Iterator[KeyMatch]:
    """Yield keys hidden in base64 string literals, one level deep.

    Only literals that start with the encoding of a key prefix are decoded,
    at most ``limit`` per text, and only the exact key matcher runs on the
    result: there is no entropy rule.
    """
    for count, match in enumerate(_B64_LITERAL.finditer(text)):
        if count >= limit:
            return
        decoded = _decode_base64(match.group(1))
        for key in find_keys(decoded) if decoded else ():
            if key.start == 0:
                yield KeyMatch(match.start(1), match.end(1), key.live, key.text, True)


def _decode_base64(literal: str) -> str | None:
    import base64  # NOTE: only files with a base64 key prefix get here
    import binascii

    padded = literal + "=" * (-len(literal) % 4)
    try:
        raw = base64.urlsafe_b64decode(padded.replace("+", "-").replace("/", "_"))
        return raw.decode("ascii")
    except (binascii.Error, ValueError):
        return None


def mask(secret: str) -> str:
    """Return ``secret`` with its middle hidden: ``sk_live_…9f2a``.

    Every path that shows a key goes through here.
    """
    match = KEY_PATTERN.match(secret)
    prefix = secret[: match.end(1) + 1] if match else secret[:3]
    if len(secret) - len(prefix) < 12:
        return prefix + "\u2026"
    return f"{prefix}\u2026{secret[-4:]}"


def mask_keys(text: str) -> str:
    """Return ``text`` with every key-shaped string in it masked."""
    def replace(match: re.Match[str]) -> str:
        return mask(match.group()) if len(match.group(2)) > 4 else match.group()

    masked = KEY_PATTERN.sub(replace, text)
    masked = _ESCAPED_KEY.sub(lambda m: mask(f"sk_{m.group(1)}_{m.group(2)}"), masked)
    return _B64_LITERAL.sub(lambda m: m.group()[0] + "c2tf\u2026" + m.group()[0], masked)
