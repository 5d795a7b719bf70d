"""Secret-shaped values: card numbers, JWTs, bearer tokens, keys, token URLs.

A value is given as its pieces: literal text, and None for each part only
known at run time (an f-string or template substitution). A run-time part
counts as "some value": ``f"Bearer {token}"`` is a bearer token, and
``?invite_token=${code}`` carries one.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field

from perkamo_guard.fields import field_table
from perkamo_guard.keys import find_keys, mask
from perkamo_guard.lazy import lazy_compile

#: Stands for a run-time part inside the joined text of a value.
DYNAMIC = "\x00"

#: 13 to 19 digits, single spaces or dashes allowed between them, not part
#: of a longer word or identifier.
_CARD = lazy_compile(r"(?<![\w.-])[2-6](?:[ -]?\d){12,18}(?![\w.-])")
_JWT = lazy_compile(r"eyJ[A-Za-z0-9_-]{2,}\.eyJ[A-Za-z0-9_-]{2,}\.[A-Za-z0-9_-]*")
_BEARER = lazy_compile(r"\b[Bb]earer[ \t]+(?:\x00|[A-Za-z0-9\-._~+/]{16,}=*)")
_QUERY_PARAMETER = lazy_compile(r"[?&#;]([A-Za-z0-9_.\-\[\]]{1,64})=([^&#\s]+)")
_URL_PASSWORD = lazy_compile(r"\b[a-zA-Z][a-zA-Z0-9+.-]*://[^\s/@:?#]+:[^\s/@?#]+@")
#: A value shorter than this is hidden whole; longer ones keep their ends.
_SHORTEST_SHOWN = 16


@dataclass(frozen=True)
class SecretValue:
    """A secret found in a value: what it is, and the text to hide."""

    #: A short name of the shape: card, jwt, bearer, key, url-token, url-password.
    shape: str
    #: What the value is, for messages.
    kind: str
    #: The literal text of the secret as the value holds it ("" when the
    #: secret is a run-time part); never shown, not even in a repr.
    text: str = field(repr=False)


def find_secret_value(pieces: Sequence[str | None]) -> SecretValue | None:
    """Return the first secret in a value made of ``pieces``, or None."""
    joined = "".join(DYNAMIC if piece is None else piece for piece in pieces)
    for key in find_keys(joined):
        return SecretValue("key", f"Perkamo server key {mask(key.text)}", key.text)
    if match := _JWT.search(joined):
        return SecretValue("jwt", "JWT", match.group())
    if match := _BEARER.search(joined):
        return SecretValue("bearer", "bearer token", _literal(match.group()))
    for match in _CARD.finditer(joined):
        digits = re.sub(r"[ -]", "", match.group())
        if 13 <= len(digits) <= 19 and passes_luhn(digits):
            return SecretValue("card", "card number (passes the Luhn check)", match.group())
    if parameter := _token_parameter(joined):
        return SecretValue("url-token", f"URL whose query carries {parameter.group(1)}=",
                           _literal(parameter.group(2)))
    if match := _URL_PASSWORD.search(joined):
        return SecretValue("url-password", "URL with a password", _literal(match.group()))
    return None


def passes_luhn(digits: str) -> bool:
    """Tell whether a string of digits passes the Luhn checksum."""
    total = 0
    for index, char in enumerate(reversed(digits)):
        value = int(char)
        if index % 2:
            value = value * 2 - 9 if value > 4 else value * 2
        total += value
    return total % 10 == 0


def _literal(text: str) -> str:
    """Return ``text`` when it is all literal, else "" (nothing to hide)."""
    return "" if DYNAMIC in text else text


def _token_parameter(text: str) -> re.Match[str] | None:
    """Return the query parameter (name, value) that carries a secret, if any."""
    if "=" not in text:
        return None
    table = field_table()
    for match in _QUERY_PARAMETER.finditer(text):
        found = table.classify(match.group(1))
        if found is not None and found.rule == "PG301":
            return match
    return None


def hide(secret: str) -> str:
    """Return ``secret`` for display: its ends at most, never all of it."""
    if len(secret) < _SHORTEST_SHOWN:
        return "\u2026"
    return mask(secret)
