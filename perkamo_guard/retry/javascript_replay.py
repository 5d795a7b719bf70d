"""PG502 and PG504 in JS/TS: ids made per attempt, ``duplicate`` taken as failure."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import TYPE_CHECKING

from perkamo_guard.fields import split_words
from perkamo_guard.retry import Hit, duplicate_hit, is_transaction_name, transaction_hit
from perkamo_guard.retry.javascript_block import (
    FUNCTIONS,
    Key,
    arguments,
    descendants,
    field,
    node_key,
    own_nodes,
    unwrap,
)

if TYPE_CHECKING:
    from tree_sitter import Node

    from perkamo_guard.retry.javascript import ScriptReader

_ID_PACKAGES = frozenset({"uuid", "nanoid", "ulid", "cuid", "@paralleldrive/cuid2",
                          "short-uuid", "ulidx"})
_ID_CALLS = frozenset({"crypto.randomUUID", "randomUUID", "Date.now", "Math.random",
                       "performance.now", "uuidv4", "uuid", "nanoid", "ulid", "cuid",
                       "createId", "crypto.randomBytes", "randomBytes",
                       "self.crypto.randomUUID", "window.crypto.randomUUID"})
_ERROR_LOGS = frozenset({"error", "fatal", "critical", "exception", "captureException",
                         "captureMessage"})
_NAMES = ("identifier", "shorthand_property_identifier")
_TRANSPARENT = frozenset({"parenthesized_expression", "non_null_expression",
                          "as_expression", "satisfies_expression", "await_expression"})


# -- PG502 ---------------------------------------------------------------------------


def transaction_hits(reader: ScriptReader, body: Node | None) -> list[Hit]:
    """PG502: an id made in the retried block and used as the transaction id."""
    if body is None:
        return []
    hits: list[Hit] = []
    made: dict[str, Node] = {}
    for node in own_nodes(body):
        for name, value, guarded in _named_values(reader, node):
            maker = _id_maker(reader, value)
            if maker is None:
                continue
            if not is_transaction_name(name):
                if node.type == "variable_declarator":
                    made[name] = maker
            elif not guarded:
                hits.append(_hit(reader, maker))
    return hits + _indirect_ids(reader, body, made)


def _indirect_ids(reader: ScriptReader, body: Node, made: dict[str, Node]) -> list[Hit]:
    """An id bound to a name in the block, then used as the transaction id."""
    hits = []
    for node in own_nodes(body):
        for name, value, _ in _named_values(reader, node):
            if not is_transaction_name(name):
                continue
            for used in descendants(value):
                text = reader.text(used)
                if used.type in _NAMES and text in made:
                    hits.append(_hit(reader, made.pop(text)))
    return hits


def _hit(reader: ScriptReader, maker: Node) -> Hit:
    return transaction_hit(reader.span(maker), _maker_name(reader, maker))


def _named_values(reader: ScriptReader, node: Node) -> Iterator[tuple[str, Node, bool]]:
    """Yield (name, value, keeps an id it has) for what a node binds."""
    if node.type == "pair":
        key, value = field(node, "key"), field(node, "value")
        if key is not None and value is not None:
            yield reader.text(key).strip("'\"`"), value, False
    elif node.type == "shorthand_property_identifier":
        yield reader.text(node), node, False
    elif node.type == "variable_declarator":
        name, value = field(node, "name"), field(node, "value")
        if name is not None and value is not None:
            yield reader.text(name), value, False
    elif node.type in ("assignment_expression", "augmented_assignment_expression"):
        left, right = field(node, "left"), field(node, "right")
        if left is None or right is None:
            return
        operator = reader.text(field(node, "operator"))
        guarded = operator in ("??=", "||=") or _keeps(reader, node,
                                                       reader.text(left), right)
        yield _last_name(reader.text(left)), right, guarded
    elif node.type == "call_expression":
        func = field(node, "function")
        args = arguments(node)
        if reader.text(func).endswith((".set", ".append")) and len(args) == 2 \
                and args[0].type == "string":
            yield reader.text(args[0]).strip("'\"`"), args[1], False


def _keeps(reader: ScriptReader, node: Node, target: str, value: Node) -> bool:
    unwrapped = unwrap(value)
    if unwrapped is not None and unwrapped.type == "binary_expression" and reader.text(
            field(unwrapped, "operator")) in ("??", "||"):
        if target in reader.text(field(unwrapped, "left")):
            return True
    current = node.parent
    while current is not None and current.type not in FUNCTIONS:
        if current.type == "if_statement" and target in reader.text(
                field(current, "condition")):
            return True
        current = current.parent
    return False


def _id_maker(reader: ScriptReader, value: Node) -> Node | None:
    for node in descendants(value):
        if node.type == "call_expression":
            callee = reader.text(field(node, "function"))
            root = callee.split(".", 1)[0]
            if callee in _ID_CALLS or reader.package(root) in _ID_PACKAGES or (
                    reader.package(root) in ("crypto", "node:crypto")
                    and callee.endswith(("randomUUID", "randomBytes"))):
                return node
        elif node.type == "new_expression" and reader.text(
                field(node, "constructor")) == "Date":
            return node
    return None


def _maker_name(reader: ScriptReader, maker: Node) -> str:
    if maker.type == "new_expression":
        return "new Date()"
    return reader.text(field(maker, "function")) + "()"


# -- PG504 -------------------------------------------------------------------------


def duplicate_hits(reader: ScriptReader, scope: Node, recursive: set[Key]) -> list[Hit]:
    hits = []
    for node in own_nodes(scope):
        if node.type != "if_statement":
            continue
        read = _duplicate_read(reader, field(node, "condition"))
        if read is None:
            continue
        if read[1]:
            branch = field(node, "consequence")
        else:
            branch = field(node, "alternative")
        how = _failure(reader, branch, recursive) if branch is not None else ""
        if how:
            hits.append(duplicate_hit(reader.span(read[0]), how))
    return hits


def _duplicate_read(reader: ScriptReader,
                    test: Node | None) -> tuple[Node, bool] | None:
    if test is None:
        return None
    for node in descendants(test):
        if not _reads_duplicate(reader, node):
            continue
        current, positive = node, True
        while current.parent is not None and current != test:
            parent = current.parent
            if parent.type == "unary_expression" and reader.text(
                    field(parent, "operator")) == "!":
                positive = not positive
            elif parent.type == "binary_expression" and reader.text(
                    field(parent, "operator")) in ("===", "==", "!==", "!="):
                positive = positive == _compares_true(reader, parent)
            elif parent.type not in _TRANSPARENT:
                break
            current = parent
        if current.type == "parenthesized_expression" and current.named_children:
            current = current.named_children[0]
        return current, positive
    return None


def _reads_duplicate(reader: ScriptReader, node: Node) -> bool:
    if node.type == "member_expression":
        return reader.text(field(node, "property")) == "duplicate"
    if node.type == "subscript_expression":
        return reader.text(field(node, "index")).strip("'\"`") == "duplicate"
    if node.type == "identifier":
        return "duplicate" in split_words(reader.text(node)) and (
            node.parent is None or node.parent.type != "member_expression")
    return False


def _compares_true(reader: ScriptReader, compare: Node) -> bool:
    operator = reader.text(field(compare, "operator"))
    right = reader.text(field(compare, "right"))
    value = right != "false" and right not in ("null", "undefined", "0")
    return (operator in ("===", "==")) == value


def _failure(reader: ScriptReader, branch: Node, recursive: set[Key]) -> str:
    for node in descendants(branch):
        if node.type in FUNCTIONS:
            continue
        if node.type == "throw_statement":
            return "raised"
        if node.type == "continue_statement" and reader.in_retry_loop(node):
            return "retried"
        if node.type == "call_expression":
            if node_key(node) in recursive:
                return "retried"
            func = field(node, "function")
            if func is not None and func.type == "member_expression" and reader.text(
                    field(func, "property")) in _ERROR_LOGS:
                return "logged as an error"
    return ""


def _last_name(target: str) -> str:
    return re.split(r"[.\[\]'\"`]+", target.strip("]'\"` "))[-1] if target else ""
