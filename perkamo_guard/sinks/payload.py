"""Payload trees: merging and changing them as the code builds a payload."""

from __future__ import annotations

from collections.abc import Iterable
from typing import NamedTuple

from perkamo_guard.sinks import PDict, PEntry, PList, PNode


class Key(NamedTuple):
    """A key of a path such as ``payload["a"]["b"]``: its text and span."""

    text: str
    start: int
    end: int


def merge(first: PNode | None, second: PNode | None, override: bool = True) -> PNode | None:
    """Merge two values as ``{**first, **second}`` would, or keep both sides.

    :param override:
        True for spreads and updates (a later key replaces an earlier one);
        False for values that come from different branches (keep both).
    """
    if first is None:
        return second
    if second is None:
        return first
    if isinstance(first, PDict) and isinstance(second, PDict):
        if not override:
            return PDict(first.entries + second.entries)
        keys = {entry.key for entry in second.entries if entry.key}
        kept = tuple(entry for entry in first.entries if entry.key not in keys)
        return PDict(kept + second.entries)
    if isinstance(first, PList) and isinstance(second, PList):
        return PList(first.items + second.items)
    # An unknown value (a parameter, a call) adds nothing to a known dict or list.
    first_known = isinstance(first, (PDict, PList))
    if first_known != isinstance(second, (PDict, PList)):
        return first if first_known else second
    return second if override else first


def merge_all(values: Iterable[PNode | None]) -> PNode | None:
    """Merge values in order; an unknown part (a parameter spread) adds nothing."""
    merged: PNode | None = None
    for value in values:
        if value is None:
            continue
        if merged is None or isinstance(value, (PDict, PList)):
            merged = merge(merged, value)
    return merged


def set_path(current: PNode | None, path: tuple[Key, ...], value: PNode,
             replace: bool = True) -> PNode:
    """Return ``current`` with ``value`` set at ``path``.

    :param replace:
        False for ``setdefault`` and for merging a dict into the one at
        ``path`` (``payload["a"].update(...)``).
    """
    if not path:
        merged = merge(current, value) if not replace else value
        return merged if merged is not None else value
    base = current if isinstance(current, PDict) else PDict()
    head, rest = path[0], path[1:]
    index = _find(base, head.text)
    if index is None:
        child = set_path(None, rest, value, replace) if rest else value
        return PDict(base.entries + (PEntry(head.text, head.start, head.end, child),))
    old = base.entries[index]
    if not rest and not replace and not isinstance(value, PDict):
        return base
    child = set_path(old.value, rest, value, replace)
    if not rest and replace:
        new = PEntry(head.text, head.start, head.end, child)
    else:
        new = replace_value(old, child)
    return PDict(base.entries[:index] + (new,) + base.entries[index + 1:])


def delete(current: PNode | None, path: tuple[Key, ...]) -> PNode | None:
    """Return ``current`` without the entry at ``path``."""
    if not path or not isinstance(current, PDict):
        return current
    index = _find(current, path[0].text)
    if index is None:
        return current
    old = current.entries[index]
    rest = current.entries[:index] + current.entries[index + 1:]
    if len(path) == 1:
        return PDict(rest)
    child = delete(old.value, path[1:])
    return PDict(current.entries[:index] + (replace_value(old, child),)
                 + current.entries[index + 1:]) if child is not None else PDict(rest)


def append(current: PNode | None, path: tuple[Key, ...], value: PNode,
           spread: bool = False) -> PNode:
    """Return ``current`` with ``value`` added to the list at ``path``."""
    if path:
        base = current if isinstance(current, PDict) else PDict()
        index = _find(base, path[0].text)
        old = base.entries[index].value if index is not None else None
        return set_path(base, path[:1], append(old, path[1:], value, spread))
    items = current.items if isinstance(current, PList) else ()
    added = value.items if spread and isinstance(value, PList) else (value,)
    return PList(items + added)


def replace_value(entry: PEntry, value: PNode) -> PEntry:
    return entry._replace(value=value)


def _find(node: PDict, key: str) -> int | None:
    if not key:
        return None
    for index in range(len(node.entries) - 1, -1, -1):
        if node.entries[index].key == key:
            return index
    return None
