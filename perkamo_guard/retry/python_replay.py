"""PG502 and PG504 in Python: ids made per attempt, ``duplicate`` taken as failure."""

from __future__ import annotations

import ast
from collections.abc import Iterator, Sequence
from typing import TYPE_CHECKING

from perkamo_guard.fields import split_words
from perkamo_guard.retry import Hit, duplicate_hit, is_transaction_name, transaction_hit
from perkamo_guard.retry.python_block import block_nodes, dotted, own_nodes

if TYPE_CHECKING:
    from perkamo_guard.retry.python import PyModule, Scope

_ID_MAKERS = frozenset({
    "uuid.uuid1", "uuid.uuid4", "uuid.uuid6", "uuid.uuid7", "secrets.token_hex",
    "secrets.token_urlsafe", "secrets.token_bytes", "time.time", "time.time_ns",
    "datetime.datetime.now", "datetime.datetime.utcnow", "random.random",
    "random.randint", "random.getrandbits", "os.urandom", "ulid.new", "ulid.ULID",
    "nanoid.generate", "shortuuid.uuid",
})
_ERROR_LOGS = frozenset({"error", "exception", "critical", "fatal",
                         "capture_exception", "capture_message"})
_FUNCTIONS = (ast.FunctionDef, ast.AsyncFunctionDef)


# -- PG502 -----------------------------------------------------------------------


def transaction_hits(module: PyModule, body: Sequence[ast.stmt]) -> list[Hit]:
    """PG502: an id made in the retried block and used as the transaction id."""
    hits: list[Hit] = []
    made: dict[str, ast.Call] = {}
    for node in block_nodes(body):
        for name, value in _named_values(node):
            maker = _id_maker(module, value)
            if maker is None:
                continue
            if not is_transaction_name(name):
                if isinstance(node, ast.Assign):
                    made[name] = maker
            elif not _reuses(module, node, name, value):
                hits.append(_hit(module, maker))
    return hits + _indirect_ids(module, body, made)


def _indirect_ids(module: PyModule, body: Sequence[ast.stmt],
                  made: dict[str, ast.Call]) -> list[Hit]:
    """An id bound to a name in the block, then used as the transaction id."""
    hits = []
    for node in block_nodes(body):
        for name, value in _named_values(node):
            if not is_transaction_name(name):
                continue
            for used in ast.walk(value):
                if isinstance(used, ast.Name) and used.id in made:
                    hits.append(_hit(module, made.pop(used.id)))
    return hits


def _hit(module: PyModule, maker: ast.Call) -> Hit:
    return transaction_hit(module.span(maker), module.text(maker.func) + "()")


def _named_values(node: ast.AST) -> Iterator[tuple[str, ast.expr]]:
    """Yield (name, value) for each value a node binds to a name or key."""
    if isinstance(node, (ast.Assign, ast.AnnAssign)) and node.value is not None:
        targets = node.targets if isinstance(node, ast.Assign) else [node.target]
        for target in targets:
            name = _target_name(target)
            if name:
                yield name, node.value
    elif isinstance(node, ast.Dict):
        for key, value in zip(node.keys, node.values):
            if isinstance(key, ast.Constant) and isinstance(key.value, str):
                yield key.value, value
    elif isinstance(node, ast.Call) and not (
            isinstance(node.func, ast.Attribute) and node.func.attr == "setdefault"):
        for keyword in node.keywords:
            if keyword.arg:
                yield keyword.arg, keyword.value


def _id_maker(module: PyModule, value: ast.expr) -> ast.Call | None:
    for node in ast.walk(value):
        if isinstance(node, ast.Call) and module.canonical(node.func) in _ID_MAKERS:
            return node
    return None


def _reuses(module: PyModule, node: ast.AST, name: str, value: ast.expr) -> bool:
    """Tell whether an assignment keeps an id it has: ``x = x or uuid4()``."""
    if not isinstance(node, (ast.Assign, ast.AnnAssign)):
        return False
    if isinstance(value, ast.BoolOp) and isinstance(value.op, ast.Or):
        if any(name in ast.unparse(operand) for operand in value.values[:-1]):
            return True
    current = module.parents.get(id(node))
    while isinstance(current, ast.If):
        if name in ast.unparse(current.test):
            return True
        current = module.parents.get(id(current))
    return False


def _target_name(target: ast.expr) -> str:
    if isinstance(target, ast.Name):
        return target.id
    if isinstance(target, ast.Attribute):
        return target.attr
    if isinstance(target, ast.Subscript):
        key = target.slice
        if isinstance(key, ast.Constant) and isinstance(key.value, str):
            return key.value
    return ""


# -- PG504 -----------------------------------------------------------------------


def duplicate_hits(module: PyModule, scope: Scope) -> list[Hit]:
    """PG504: a branch taken on ``duplicate: true`` that raises, retries or errs."""
    hits = []
    recursive: set[int] = set()
    if isinstance(scope, _FUNCTIONS):
        recursive = module.recursive_calls(scope)
    for node in own_nodes(scope):
        if isinstance(node, ast.If):
            read = duplicate_read(node.test)
            if read is None:
                continue
            branch = node.body if read[1] else node.orelse
            how = _failure(module, branch, recursive)
            if how:
                hits.append(duplicate_hit(module.span(read[0]), how))
        elif isinstance(node, ast.Assert):
            read = duplicate_read(node.test)
            if read is not None and not read[1]:
                hits.append(duplicate_hit(module.span(read[0]), "raised"))
    return hits


def duplicate_read(test: ast.expr) -> tuple[ast.expr, bool] | None:
    """Find the read of ``duplicate`` in a condition: (its condition, polarity)."""
    parents: dict[int, ast.expr] = {}
    for node in ast.walk(test):
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.expr) and isinstance(node, ast.expr):
                parents[id(child)] = node
        if not isinstance(node, ast.expr) or not _reads_duplicate(node):
            continue
        current, positive = node, True
        parent = parents.get(id(current))
        while parent is not None:
            if isinstance(parent, ast.UnaryOp) and isinstance(parent.op, ast.Not):
                positive = not positive
            elif isinstance(parent, ast.Compare) and len(parent.ops) == 1:
                positive = positive == _compares_true(parent)
            else:
                break
            current, parent = parent, parents.get(id(parent))
        return current, positive
    return None


def _failure(module: PyModule, branch: Sequence[ast.stmt], recursive: set[int]) -> str:
    for node in block_nodes(branch):
        if isinstance(node, ast.Raise):
            return "raised"
        if isinstance(node, ast.Continue) and module.in_retry_loop(node):
            return "retried"
        if isinstance(node, ast.Call):
            if id(node) in recursive:
                return "retried"
            if _logs_error(node):
                return "logged as an error"
    return ""


def _reads_duplicate(node: ast.expr) -> bool:
    if isinstance(node, ast.Subscript):
        key = node.slice
        return isinstance(key, ast.Constant) and key.value == "duplicate"
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
        return (node.func.attr == "get" and bool(node.args)
                and isinstance(node.args[0], ast.Constant)
                and node.args[0].value == "duplicate")
    if isinstance(node, ast.Attribute):
        return node.attr == "duplicate"
    if isinstance(node, ast.Name):
        return "duplicate" in split_words(node.id)
    return False


def _compares_true(compare: ast.Compare) -> bool:
    """Tell whether ``x == True`` style: the read is true when the comparison is."""
    other = compare.comparators[0]
    value = other.value if isinstance(other, ast.Constant) else True
    positive = isinstance(compare.ops[0], (ast.Eq, ast.Is))
    return positive == bool(value)


def _logs_error(call: ast.Call) -> bool:
    func = call.func
    if not isinstance(func, ast.Attribute):
        return False
    if func.attr in _ERROR_LOGS:
        return True
    if func.attr == "log" and call.args:
        level = dotted(call.args[0]) or ""
        return level.endswith(("ERROR", "CRITICAL", "FATAL"))
    return False
