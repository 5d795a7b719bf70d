"""Payload rules PG301-PG303: what an event payload must not carry."""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from dataclasses import replace
from typing import NamedTuple

from perkamo_guard.checks import Context
from perkamo_guard.fields import FieldTable, field_table
from perkamo_guard.lazy import lazy_compile
from perkamo_guard.model import Finding, SourceFile
from perkamo_guard.sinks import (
    PConst,
    PDict,
    PList,
    PNode,
    PStr,
    PTemplate,
    SinkCall,
    find_sinks,
)
from perkamo_guard.values import find_secret_value, hide, passes_luhn

#: How a message names each category of PG301 field, and what events never carry.
_CATEGORIES = {
    "password": ("a password or PIN", "passwords or PINs"),
    "card data": ("card data", "card data"),
    "authentication token": ("a credential", "authentication tokens or keys"),
}
#: What to send instead of each shape of secret value.
_ADVICE = {
    "card": "send last4 or your payment provider's card token instead",
    "jwt": "send the user id instead, never the token",
    "bearer": "send the user id instead, never the token",
    "key": "never send a key; rotate it",
    "url-token": "strip the query string before sending the URL",
    "url-password": "remove the credentials from the URL",
}
#: A literal that only stands in for a value: "", "***", "[REDACTED]".
_REDACTED = lazy_compile(
    r"[\W_xX]*(?:redacted|filtered|hidden|masked|removed|omitted)?[\W_]*", re.IGNORECASE)
#: Words of a snippet that may be pieces of a secret cut by the window.
_SNIPPET_WORD = lazy_compile(r"[A-Za-z0-9_\-.~+/]{8,}")


class _Hit(NamedTuple):
    """One finding to report, before it is placed and masked."""

    code: str
    start: int
    end: int
    message: str
    secrets: tuple[str, ...] = ()


def check(file: SourceFile, ctx: Context) -> Iterator[Finding]:
    """Report sensitive fields and values in the event payloads of one file."""
    from perkamo_guard.parse.python import PythonSyntaxError

    try:
        sinks = find_sinks(file, ctx.config)
    except PythonSyntaxError as exc:
        ctx.file_error(file, f"{exc}; the payload rules (PG3xx) skipped this file")
        return
    table = field_table(ctx.config.sensitive_fields, ctx.config.personal_fields)
    hits: dict[tuple[str, int], _Hit] = {}
    for sink in sinks:
        if sink.is_event and sink.payload is not None:
            for hit in _walk(sink.payload, table, _where(sink)):
                hits.setdefault((hit.code, hit.start), hit)
    # NOTE: a snippet shows the whole line, so it hides every secret we found
    # in the file, not only the one its finding is about.
    secrets = tuple({secret for hit in hits.values() for secret in hit.secrets})
    for hit in hits.values():
        yield _finding(file, ctx, hit, secrets)


def _where(sink: SinkCall) -> str:
    return f"a {sink.route} payload" if sink.route else f"the payload of {sink.callee}"


def _walk(node: PNode, table: FieldTable, where: str, key: str = "",
          personal: bool = False) -> Iterator[_Hit]:
    """Yield the hits of a payload tree, depth first, in source order."""
    if isinstance(node, PDict):
        for entry in node.entries:
            found = table.classify(entry.key) if entry.key else None
            if found is not None and _carries_value(entry.value):
                if found.rule == "PG301":
                    yield _Hit("PG301", entry.key_start, entry.key_end,
                               _field_message(entry.key, found.category, where),
                               _literal(entry.value))
                    continue
                if not personal:
                    yield _Hit("PG303", entry.key_start, entry.key_end,
                               _personal_message(entry.key, found.category, where),
                               _literal(entry.value))
                    yield from _walk(entry.value, table, where, entry.key, True)
                    continue
            yield from _walk(entry.value, table, where, entry.key, personal)
    elif isinstance(node, PList):
        for item in node.items:
            yield from _walk(item, table, where, key, personal)
    else:
        hit = _value_hit(node, key, where)
        if hit is not None:
            yield hit


def _value_hit(node: PNode, key: str, where: str) -> _Hit | None:
    if isinstance(node, PStr):
        pieces: Sequence[str | None] = (node.value,)
    elif isinstance(node, PTemplate):
        pieces = node.pieces
    elif isinstance(node, PConst) and type(node.value) is int and passes_luhn(str(node.value)):
        pieces = (str(node.value),)
    else:
        return None
    secret = find_secret_value(pieces)
    if secret is None:
        return None
    of = f" as the value of {key!r}" if key else ""
    message = f"{secret.kind}{of} in {where}; {_ADVICE[secret.shape]}"
    return _Hit("PG302", node.start, node.end, message,
                (secret.text,) if secret.text else ())


def _carries_value(node: PNode) -> bool:
    """Tell whether a field's value can hold data: not a flag, null or mask."""
    if isinstance(node, PConst):
        return not (node.value is None or isinstance(node.value, bool))
    if isinstance(node, PStr):
        return _REDACTED.fullmatch(node.value) is None
    return True


def _literal(node: PNode) -> tuple[str, ...]:
    return (node.value,) if isinstance(node, PStr) and node.value else ()


def _field_message(key: str, category: str, where: str) -> str:
    noun, never = _CATEGORIES.get(category, ("a configured sensitive value", "it"))
    return (f"{key!r} looks like {noun} in {where}; remove the field: Perkamo "
            f"events must not carry {never}")


def _personal_message(key: str, category: str, where: str) -> str:
    return (f"{key!r} is personal data ({category}) in {where}; send it only if a "
            "rule needs it, or a coarser form (a birth year, a country)")


def _finding(file: SourceFile, ctx: Context, hit: _Hit, secrets: tuple[str, ...]) -> Finding:
    finding = ctx.finding(file, hit.code, hit.start, hit.end, hit.message)
    if not secrets:
        return finding
    return replace(finding, snippet=hide_in(finding.snippet, secrets))


def hide_in(text: str, secrets: Sequence[str]) -> str:
    """Return ``text`` with each secret hidden, and pieces of them too."""
    for secret in secrets:
        text = text.replace(secret, hide(secret))

    def piece(match: re.Match[str]) -> str:
        word = match.group()
        return "\u2026" if any(word in secret for secret in secrets) else word

    return _SNIPPET_WORD.sub(piece, text)
