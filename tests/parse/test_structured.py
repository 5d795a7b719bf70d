"""Tests for the JSON, YAML and TOML loaders that keep positions."""

from __future__ import annotations

import json
import time
from collections.abc import Callable

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from perkamo_guard.parse.structured import (
    Node,
    PathPart,
    StructuredError,
    load_json,
    load_toml,
    load_yaml,
    walk,
)
from perkamo_guard.text import LineIndex

# The case files, as their loaders receive them (BOM already removed).
C12_YAML = """\
project: rewards-web
allowed_origins:
  - https://shop.example.com/
  - https://shop.example.com/checkout
  - https://app.example.com?ref=email
  - http://staging.example.com
  - http://localhost.example.com
  - https://*.example.com
  - "*"
  - http://localhost:3000
  - http://127.0.0.1:5173
  - http://[::1]:8080
  - https://app.example.com:8443
"""
C24_JSON = '{\n  "allowedOrigins": ["*"]\n}\n'
C28_TOML = '[browser_sdk]\nallowed_origins = ["https://*.example.com"]\n'


def find(root: Node, *path: PathPart) -> Node:
    """Return the node at ``path`` below ``root``."""
    for node_path, node in walk(root):
        if node_path == path:
            return node
    raise KeyError(path)


def place(text: str, offset: int | None) -> tuple[int, int] | None:
    """Return the 1-based (line, column) of an offset, as findings show it."""
    return None if offset is None else LineIndex(text).position(offset)


def content(text: str, node: Node) -> str:
    return text[node.start : node.end]


# --- the case files ---------------------------------------------------------


@pytest.mark.parametrize(
    ("index", "line", "column", "value"),
    [
        (0, 3, 5, "https://shop.example.com/"),
        (4, 7, 5, "http://localhost.example.com"),
        (5, 8, 5, "https://*.example.com"),
        (6, 9, 6, "*"),
        (10, 13, 5, "https://app.example.com:8443"),
    ],
)
def test_c12_yaml_origin_entries_are_placed_at_their_first_character(
    index: int, line: int, column: int, value: str
) -> None:
    [document] = load_yaml(C12_YAML)
    node = find(document, "allowed_origins", index)
    assert node.value == value
    assert place(C12_YAML, node.start) == (line, column)
    assert content(C12_YAML, node) == value


def test_c12_yaml_key_of_the_origin_list_is_placed() -> None:
    [document] = load_yaml(C12_YAML)
    origins = find(document, "allowed_origins")
    assert place(C12_YAML, origins.key_start) == (2, 1)
    assert origins.key_end is not None
    assert C12_YAML[origins.key_start : origins.key_end] == "allowed_origins"
    assert isinstance(origins.value, list)
    assert len(origins.value) == 11


def test_c24_json_wildcard_is_at_line_2_column_23() -> None:
    root = load_json(C24_JSON)
    star = find(root, "allowedOrigins", 0)
    assert star.value == "*"
    assert place(C24_JSON, star.start) == (2, 23)
    assert place(C24_JSON, find(root, "allowedOrigins").key_start) == (2, 4)


def test_c28_toml_wildcard_is_at_line_2_column_21() -> None:
    root = load_toml(C28_TOML)
    entry = find(root, "browser_sdk", "allowed_origins", 0)
    assert entry.value == "https://*.example.com"
    assert place(C28_TOML, entry.start) == (2, 21)
    assert content(C28_TOML, entry) == "https://*.example.com"


# --- positions, format by format ---------------------------------------------

# (text, path, value, (line, column) of the value, of its key or None)
Position = tuple[str, tuple[PathPart, ...], object, tuple[int, int], object]

JSON_POSITIONS: list[Position] = [
    ('{"a": "x", "b": "x"}', ("a",), "x", (1, 8), (1, 3)),
    ('{"a": "x", "b": "x"}', ("b",), "x", (1, 18), (1, 13)),
    ('["x",\n "x"]', (1,), "x", (2, 3), None),
    ('{"k\\"ey": 1}', ('k"ey',), 1, (1, 11), (1, 3)),
    ('{"e": "a\\u00e9\\ud83d\\ude00\\"b"}', ("e",), 'aé😀"b', (1, 8), (1, 3)),
    ('{"😀": "ü", "z": "after"}', ("z",), "after", (1, 18), (1, 13)),
    ('{"n": -1.5e3, "i": 42}', ("n",), -1500.0, (1, 7), (1, 3)),
    ('{"n": -1.5e3, "i": 42}', ("i",), 42, (1, 20), (1, 16)),
    ("[true, false, null]", (2,), None, (1, 15), None),
    ('{\r\n  "a": "x"\r\n}', ("a",), "x", (2, 9), (2, 4)),
    ('{"a": {"b": ["deep"]}}', ("a", "b", 0), "deep", (1, 15), None),
    ('// c\n{"a": /* "x" */ "y",}', ("a",), "y", (2, 18), (2, 3)),
]


@pytest.mark.parametrize(("text", "path", "value", "at", "key_at"), JSON_POSITIONS)
def test_json_positions_are_exact(
    text: str,
    path: tuple[PathPart, ...],
    value: object,
    at: tuple[int, int],
    key_at: tuple[int, int] | None,
) -> None:
    node = find(load_json(text), *path)
    assert node.value == value
    assert place(text, node.start) == at
    assert place(text, node.key_start) == key_at


def test_json_container_spans_run_from_bracket_to_bracket() -> None:
    text = '{"a": [1, {"b": 2}]}'
    root = load_json(text)
    assert (root.start, root.end) == (0, len(text))
    assert content(text, find(root, "a")) == '[1, {"b": 2}]'
    assert content(text, find(root, "a", 1)) == '{"b": 2}'


def test_json_duplicate_key_keeps_the_last_value() -> None:
    text = '{"a": 1, "a": 2}'
    node = find(load_json(text), "a")
    assert node.value == 2
    assert place(text, node.key_start) == (1, 11)


@pytest.mark.parametrize(
    "text",
    ['{"a": 1, // note\n}', "[1, /* x */ 2]", "[1, 2,]", '{"a": 1,}'],
)
def test_json_comments_and_trailing_commas_load_unless_strict(text: str) -> None:
    assert isinstance(load_json(text).value, (dict, list))
    with pytest.raises(StructuredError):
        load_json(text, strict=True)


YAML_POSITIONS: list[Position] = [
    ("a: 'x'\nb: 'x'\n", ("b",), "x", (2, 5), (2, 1)),
    ('"k": "v"\n', ("k",), "v", (1, 7), (1, 2)),
    ("a: \"\\u00e9\\\"x\"\n", ("a",), 'é"x', (1, 5), (1, 1)),
    ("a: &anchor !!str value\n", ("a",), "value", (1, 18), (1, 1)),
    ("a: |\n  first\n  second\n", ("a",), "first\nsecond\n", (2, 3), (1, 1)),
    ("a: >-\n  folded\n  text\n", ("a",), "folded text", (2, 3), (1, 1)),
    ("a:\r\n  - x\r\n  - y\r\n", ("a", 1), "y", (3, 5), None),
    ("é: ü\nz: after\n", ("z",), "after", (2, 4), (2, 1)),
    ("{a: [1, 2.5, true, null, yes]}", ("a", 1), 2.5, (1, 9), None),
    ("{a: [1, 2.5, true, null, yes]}", ("a", 4), "yes", (1, 26), None),
    ("a: 0o17\nb: 0x1F\n", ("b",), 31, (2, 4), (2, 1)),
    ("d: 2024-01-02\n", ("d",), "2024-01-02", (1, 4), (1, 1)),
    ("r: !Ref bucket\n", ("r",), "bucket", (1, 9), (1, 1)),
    ("? complex key\n: v\n", ("complex key",), "v", (2, 3), (1, 3)),
    ("8080: port\n", ("8080",), "port", (1, 7), (1, 1)),
]


@pytest.mark.parametrize(("text", "path", "value", "at", "key_at"), YAML_POSITIONS)
def test_yaml_positions_are_exact(
    text: str,
    path: tuple[PathPart, ...],
    value: object,
    at: tuple[int, int],
    key_at: tuple[int, int] | None,
) -> None:
    [document] = load_yaml(text)
    node = find(document, *path)
    assert node.value == value
    assert place(text, node.start) == at
    assert place(text, node.key_start) == key_at


def test_yaml_alias_shares_the_anchor_but_keeps_its_own_key() -> None:
    text = "base: &o [https://*.example.com]\nprod:\n  allowed: *o\n"
    [document] = load_yaml(text)
    alias = find(document, "prod", "allowed")
    assert alias.value is find(document, "base").value
    assert place(text, alias.key_start) == (3, 3)
    assert place(text, alias.start) == (1, 10)
    # The shared list is walked once, under its first path.
    paths = [path for path, _ in walk(document)]
    assert ("base", 0) in paths
    assert ("prod", "allowed", 0) not in paths


def test_yaml_multi_document_stream_gives_one_node_a_document() -> None:
    text = "a: 1\n---\nb: 2\n...\n---\n- c\n"
    documents = load_yaml(text)
    assert len(documents) == 3
    assert find(documents[0], "a").value == 1
    assert place(text, find(documents[1], "b").start) == (3, 4)
    assert find(documents[2], 0).value == "c"


@pytest.mark.parametrize("text", ["", "# only a comment\n"])
def test_yaml_empty_stream_has_no_documents(text: str) -> None:
    assert load_yaml(text) == []


def test_yaml_unsafe_tags_are_never_constructed() -> None:
    text = "a: !!python/object/apply:os.system ['echo hi']\nb: !!python/name:os.sep\n"
    [document] = load_yaml(text)
    assert find(document, "a", 0).value == "echo hi"
    assert find(document, "b").value == ""


TOML_POSITIONS: list[Position] = [
    # A key with an inline array of strings on one line.
    ('origins = ["https://a.example", "https://b.example"]\n',
     ("origins", 1), "https://b.example", (1, 34), None),
    # A multi-line array, with a comment and a trailing comma.
    ('origins = [\n  "https://a.example",  # first\n  "https://b.example",\n]\n',
     ("origins", 1), "https://b.example", (3, 4), None),
    # The same string twice in the file.
    ('a = "same"\n[t]\nb = "same"\n', ("t", "b"), "same", (3, 6), (3, 1)),
    ('a = "same"\n[t]\nb = "same"\n', ("a",), "same", (1, 6), (1, 1)),
    # Dotted keys.
    ('browser_sdk.allowed_origins = ["https://*.example.com"]\n',
     ("browser_sdk", "allowed_origins", 0), "https://*.example.com", (1, 33), None),
    ('browser_sdk.allowed_origins = ["x"]\n',
     ("browser_sdk", "allowed_origins"), None, (1, 31), (1, 13)),
    ('  a . "b.c" = 1\n', ("a", "b.c"), 1, (1, 15), (1, 8)),
    # Tables and arrays of tables.
    ('[a]\nx = 1\n[b.c]\ny = "v"\n', ("b", "c", "y"), "v", (4, 6), (4, 1)),
    ('[[srv]]\nn = "a"\n[[srv]]\nn = "b"\n', ("srv", 1, "n"), "b", (4, 6), (4, 1)),
    ('[[a]]\n[[a.b]]\nx = 1\n[[a]]\n[[a.b]]\nx = 2\n', ("a", 1, "b", 0, "x"), 2,
     (6, 5), (6, 1)),
    ('[t]\nx = 1\n[u]\n[t.v]\ny = 2\n', ("t", "v", "y"), 2, (5, 5), (5, 1)),
    # Literal strings and basic strings with escapes.
    ("p = 'C:\\path\\*'\n", ("p",), "C:\\path\\*", (1, 6), (1, 1)),
    ('e = "a\\u00e9\\"\\t*"\n', ("e",), 'aé"\t*', (1, 6), (1, 1)),
    ('m = """\nfirst\n  second"""\n', ("m",), "first\n  second", (2, 1), (1, 1)),
    ("l = '''\r\nraw\\n'''\r\n", ("l",), "raw\\n", (2, 1), (1, 1)),
    # Quoted keys, inline tables, other scalars, CRLF, wide characters.
    ('"k.1" = { inner = "v" }\n', ("k.1", "inner"), "v", (1, 20), (1, 11)),
    ("n = 0xff\nf = -1.5\nb = true\n", ("n",), 255, (1, 5), (1, 1)),
    ("d = 1979-05-27T07:32:00Z\n", ("d",), "1979-05-27T07:32:00Z", (1, 5), (1, 1)),
    ('a = 1\r\n[t]\r\nb = "x"\r\n', ("t", "b"), "x", (3, 6), (3, 1)),
    ('# 😀\n"é" = "ü"\nz = "after"\n', ("z",), "after", (3, 6), (3, 1)),
]


@pytest.mark.parametrize(("text", "path", "value", "at", "key_at"), TOML_POSITIONS)
def test_toml_positions_are_exact(
    text: str,
    path: tuple[PathPart, ...],
    value: object,
    at: tuple[int, int],
    key_at: tuple[int, int] | None,
) -> None:
    node = find(load_toml(text), *path)
    if value is not None:
        assert node.value == value
    assert place(text, node.start) == at
    assert place(text, node.key_start) == key_at


def test_toml_table_spans_its_header_and_content() -> None:
    text = '[[srv]]\nn = "a"\n[[srv]]\nn = "b"\n[t.u]\nx = 1\n'
    root = load_toml(text)
    assert content(text, find(root, "srv", 0)) == '[[srv]]\nn = "a"\n'
    assert content(text, find(root, "srv", 1)) == '[[srv]]\nn = "b"\n'
    assert content(text, find(root, "t", "u")) == "[t.u]\nx = 1\n"
    assert content(text, find(root, "t")) == "t"


def test_toml_every_scalar_slice_matches_its_source() -> None:
    text = '''\
a = "x"
b = 'y'
c = [1, "two", 'three', [4.5, true]]
d = { e = "f", g.h = "i" }
[[j]]
k = """l"""
'''
    root = load_toml(text)
    for _path, node in walk(root):
        if isinstance(node.value, str):
            assert content(text, node) == node.value
        elif not isinstance(node.value, (dict, list)):
            assert content(text, node) in {"1", "4.5", "true"}


# --- errors -----------------------------------------------------------------

Loader = Callable[[str], object]

MALFORMED: list[tuple[str, Loader, str, tuple[int, int]]] = [
    ("json-empty", load_json, "", (1, 1)),
    ("json-unclosed", load_json, '{"a": [1, 2', (1, 12)),
    ("json-missing-colon", load_json, '{"a" 1}', (1, 6)),
    ("json-missing-comma", load_json, "[1 2]", (1, 4)),
    ("json-bad-after-comma", load_json, '{"a": 1,\n  @}', (2, 3)),
    ("json-bad-escape", load_json, '["ok", "\\q"]', (1, 9)),
    ("json-lone-backslash-u", load_json, '"\\u12"', (1, 3)),
    ("json-raw-control", load_json, '"a\x00b"', (1, 1)),
    ("json-nul", load_json, "\x00", (1, 1)),
    ("json-leading-zero", load_json, "[01]", (1, 3)),
    ("json-trailing-text", load_json, "{} x", (1, 4)),
    ("json-key-not-string", load_json, "{1: 2}", (1, 2)),
    ("json-mismatched", load_json, "[1}", (1, 3)),
    ("json-nan", load_json, "NaN", (1, 1)),
    ("json-unterminated-comment", load_json, "[1 /* x", (1, 4)),
    ("json-long-number", load_json, "9" * 5000, (1, 1)),
    ("yaml-unclosed", load_yaml, "a: [1, 2", (1, 9)),
    ("yaml-nested-mapping", load_yaml, "a: b: c", (1, 5)),
    ("yaml-nul", load_yaml, "a: \x00", (1, 4)),
    ("yaml-bad-escape", load_yaml, 'a: "\\q"', (1, 6)),
    ("yaml-tab", load_yaml, "a:\n\t- x", (2, 1)),
    ("yaml-undefined-alias", load_yaml, "a: *nope", (1, 4)),
    ("yaml-recursive-alias", load_yaml, "a: &x [1, *x]", (1, 11)),
    ("toml-missing-value", load_toml, "a = \n", (1, 5)),
    ("toml-unclosed-string", load_toml, 'a = "x', (1, 5)),
    ("toml-duplicate-key", load_toml, "a = 1\na = 2\n", (2, 1)),
    ("toml-duplicate-table", load_toml, "[a]\nx = 1\n[a]\ny = 2\n", (3, 1)),
    ("toml-bad-escape", load_toml, 'a = "\\q"', (1, 5)),
    ("toml-nul", load_toml, "a = \x00", (1, 5)),
    ("toml-bad-date", load_toml, "a = 1979-13-40", (1, 15)),
    ("toml-two-values", load_toml, "a = 1 b = 2", (1, 7)),
]


@pytest.mark.parametrize(
    ("loader", "text", "at"),
    [case[1:] for case in MALFORMED],
    ids=[case[0] for case in MALFORMED],
)
def test_malformed_input_raises_structured_error_with_its_place(
    loader: Loader, text: str, at: tuple[int, int]
) -> None:
    with pytest.raises(StructuredError) as caught:
        loader(text)
    assert (caught.value.line, caught.value.column) == at
    assert f"line {at[0]}, column {at[1]}" in str(caught.value)


# --- hostile input ------------------------------------------------------------


def test_json_100k_levels_deep_loads_without_recursion() -> None:
    depth = 100_000
    root = load_json("[" * depth + '"bottom"' + "]" * depth)
    node = root
    for _ in range(depth):
        assert isinstance(node.value, list)
        node = node.value[0]
    assert node.value == "bottom"
    assert node.start == depth + 1


def test_json_deep_nesting_takes_linear_time() -> None:
    started = time.perf_counter()
    load_json('{"a":' * 20_000 + "1" + "}" * 20_000)
    small = time.perf_counter() - started
    started = time.perf_counter()
    load_json('{"a":' * 80_000 + "1" + "}" * 80_000)
    large = time.perf_counter() - started
    # Four times the input; quadratic work would take sixteen times as long.
    assert large < small * 12 + 1.0


def test_walk_stops_descending_at_max_depth() -> None:
    root = load_json("[" * 5000 + "]" * 5000)
    depths = [len(path) for path, _ in walk(root, max_depth=100)]
    assert max(depths) == 100
    assert len(depths) == 101


@pytest.mark.parametrize("loader", [load_yaml, load_toml])
@pytest.mark.parametrize("depth", [500, 100_000])
def test_deep_yaml_and_toml_are_refused_quickly(loader: Loader, depth: int) -> None:
    prefix = "a = " if loader is load_toml else ""
    started = time.perf_counter()
    with pytest.raises(StructuredError, match="nested"):
        loader(prefix + "[" * depth + "]" * depth)
    assert time.perf_counter() - started < 10


def test_deep_block_yaml_is_refused() -> None:
    text = "".join(" " * i + "k:\n" for i in range(400)) + " " * 400 + "v: 1\n"
    with pytest.raises(StructuredError, match="nested"):
        load_yaml(text)


def test_yaml_alias_bomb_is_not_expanded() -> None:
    lines = ['a: &a ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]']
    for level in range(1, 12):
        name, previous = chr(ord("a") + level), chr(ord("a") + level - 1)
        lines.append(f"{name}: &{name} [" + ", ".join([f"*{previous}"] * 8) + "]")
    text = "\n".join(lines) + "\n"  # 8**12 strings if expanded

    started = time.perf_counter()
    [document] = load_yaml(text)
    count = sum(1 for _ in walk(document))
    assert time.perf_counter() - started < 2
    assert count < 200
    deepest = find(document, "l", 7)
    assert deepest.value is find(document, "k").value


def test_yaml_merge_key_bomb_is_not_expanded() -> None:
    lines = ["a0: &a0 {k: v}"]
    for level in range(1, 40):
        lines.append(f"a{level}: &a{level} {{<<: [*a{level - 1}, *a{level - 1}]}}")
    [document] = load_yaml("\n".join(lines))
    assert sum(1 for _ in walk(document)) < 400


@pytest.mark.parametrize("loader", [load_json, load_yaml, load_toml])
def test_huge_string_loads(loader: Loader) -> None:
    big = "x" * 1_000_000
    text = {load_json: f'{{"k": "{big}"}}', load_yaml: f"k: {big}\n"}.get(
        loader, f'k = "{big}"\n'
    )
    result = loader(text)
    root = result[0] if isinstance(result, list) else result
    assert isinstance(root, Node)
    node = find(root, "k")
    assert node.value == big
    assert node.end - node.start == len(big)


HOSTILE = [
    "\x00",
    "\x00" * 100,
    "a\x00b",
    '"\\',
    "\\u",
    '{"a": "\\ud800"}',
    '["\\uDFFF\\uD800"]',
    "\ud800",
    "[" * 300,
    "]" * 300,
    "{" * 300,
    "'''" * 50,
    '"""' * 50,
    "&a [*a]",
    "*a",
    "? ? ? ? x",
    "!!binary ====",
    "%TAG ! tag:x,2000:\n--- !foo x",
    "a = [1, [2, {b = [3]}]]",
    "[[a]]\n[a]\n",
    "a.b = 1\na.b.c = 2",
    "a = { b = 1 }\n[a.c]\n",
]


@pytest.mark.parametrize("loader", [load_json, load_yaml, load_toml])
@pytest.mark.parametrize("text", HOSTILE)
def test_hostile_input_loads_or_raises_structured_error(
    loader: Loader, text: str
) -> None:
    try:
        loader(text)
    except StructuredError:
        pass


@settings(max_examples=300, deadline=None)
@given(text=st.text(alphabet=st.sampled_from(list('{}[],:"\\ute01-.#=\'\n\t *&!|>?')),
                    max_size=40))
@pytest.mark.parametrize("loader", [load_json, load_yaml, load_toml])
def test_random_syntax_loads_or_raises_structured_error(
    loader: Loader, text: str
) -> None:
    try:
        loader(text)
    except StructuredError:
        pass


# --- agreement with the standard library -------------------------------------

JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=8)
    | st.floats(allow_nan=False, allow_infinity=False),
    lambda inner: st.lists(inner, max_size=4)
    | st.dictionaries(st.text(max_size=5), inner, max_size=4),
    max_leaves=20,
)


def plain(node: Node) -> object:
    """Turn a tree back into plain Python values."""
    if isinstance(node.value, dict):
        return {key: plain(child) for key, child in node.value.items()}
    if isinstance(node.value, list):
        return [plain(child) for child in node.value]
    return node.value


@settings(max_examples=200, deadline=None)
@given(value=JSON_VALUES, ascii_only=st.booleans(), indent=st.none() | st.just(2))
def test_json_values_and_string_slices_agree_with_the_json_module(
    value: object, ascii_only: bool, indent: int | None
) -> None:
    text = json.dumps(value, ensure_ascii=ascii_only, indent=indent)
    root = load_json(text)
    assert plain(root) == json.loads(text)
    for _path, node in walk(root):
        if isinstance(node.value, str):
            assert json.loads(f'"{content(text, node)}"') == node.value
        if node.key_start is not None and node.key_end is not None:
            raw_key = text[node.key_start : node.key_end]
            assert text[node.key_start - 1] == '"' == text[node.key_end]
            assert isinstance(json.loads(f'"{raw_key}"'), str)


def test_walk_yields_paths_in_document_order() -> None:
    root = load_json('{"b": [1, {"c": 2}], "a": 3}')
    assert [path for path, _ in walk(root)] == [
        (), ("b",), ("b", 0), ("b", 1), ("b", 1, "c"), ("a",)
    ]


def test_node_repr_is_shallow() -> None:
    root = load_json("[" * 5000 + "]" * 5000)
    assert repr(root) == "Node([1 items], start=0, end=10000)"
