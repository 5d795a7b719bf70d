"""Tests for the JavaScript and TypeScript parse stage."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from enum import Enum
from pathlib import Path

import pytest

from perkamo_guard.parse.javascript import (
    EnvRead,
    JsModule,
    StringValue,
    parse_file,
    script_blocks,
    walk,
)

REPO = Path(__file__).resolve().parents[2]


def line_col(text: str, offset: int) -> tuple[int, int]:
    """Return the 1-based line and character column of an offset."""
    line_start = text.rfind("\n", 0, offset) + 1
    return text.count("\n", 0, offset) + 1, offset - line_start + 1


def only_module(text: str, kind: str) -> JsModule:
    modules = parse_file(text, kind)
    assert len(modules) == 1
    return modules[0]


def all_strings(text: str, kind: str = "javascript") -> list[StringValue]:
    return [s for module in parse_file(text, kind) for s in module.strings()]


def all_env_reads(text: str, kind: str = "javascript") -> list[EnvRead]:
    return [e for module in parse_file(text, kind) for e in module.env_reads()]


def string_with(text: str, kind: str, prefix: str) -> StringValue:
    found = [s for s in all_strings(text, kind) if s.value.startswith(prefix)]
    assert len(found) == 1, [s.value[:12] for s in found]
    return found[0]


# The real inputs of the cases ----------------------------------------------

C09_REDEEM_BUTTON = """\
// Redeem button (interactive)
'use client';

export function RedeemButton({ memberId }: { memberId: string }) {
  const key = process.env.PERKAMO_SECRET_KEY;
  return <button onClick={() => redeem(memberId, key)}>Redeem</button>;
}
"""

C09_HELP = """\
const hint = "add 'use client' at the top to make this interactive";
export const key = process.env.PERKAMO_SECRET_KEY;
"""

C09_PAGE = """\
import { Perkamo } from "perkamo";

export default async function Page() {
  const perkamo = new Perkamo(process.env.PERKAMO_SECRET_KEY!);
  const tiers = await perkamo.tiers.list();
  return <pre>{JSON.stringify(tiers)}</pre>;
}
"""

C08_NEXT_CONFIG = """\
module.exports = {
  env: {
    PERKAMO_PUBLISHABLE_KEY: process.env.PERKAMO_PUBLISHABLE_KEY,
    PERKAMO_SECRET_KEY: process.env.PERKAMO_SECRET_KEY,
  },
};
"""

C08_LIB = """\
import { Perkamo } from "perkamo";
export const perkamo = new Perkamo(process.env.NEXT_PUBLIC_PERKAMO_SECRET_KEY!);
"""

C11_APP_CONFIG = """\
export default {
  name: "perkamo-rewards",
  extra: { perkamoKey: process.env.PERKAMO_SECRET_KEY },
};
"""

C11_BUNDLE = (
    '"use strict";(self.webpackChunk=self.webpackChunk||[]).push([[179],'
    '{42:function(e){e.exports={serverKey:"sk_live_eeJIAwncovoQHyphBteod68X"}}}]);\n'
)

C21_CONFIG = """\
import type { PerkamoConfig } from "perkamo";

export default {
  allowedOrigins: ["https://*.example.com", "https://shop.example.com"],
  publishableKey: "pk_live_M3heY2nf6CqJpgD7m5gvS1iV",
} satisfies PerkamoConfig;
"""

C23_VUE = """\
<!-- <script>export default {}</script> -->
<template><table /></template>
<script setup lang=ts generic="T extends Record<string, unknown>">
import { ref } from "vue";
const rows = ref<T[]>([]);
const serverKey = "sk_live_Giq0x2RTM0XW2XmYiyAepFvT";
</script>
"""

C23_SVELTE = """\
<script lang="ts" context="module">
  export const prerender = true;
</script>
<script lang="ts">
  const k: string = "sk_live_gp7j5fhRVeMHJyqr6tDdhO3x";
</script>
<p>{k.length}</p>
"""

C06_WIDGET = """\
// "obfuscated" so it is not in the source
const K = atob("c2tfbGl2ZV9mNGV3cW0zeVpBZVB2T0t6YVJKSUdpOUQ=");
const banner = atob("V2VsY29tZSBiYWNrIQ==");
export default { perkamoKey: K, banner };
"""


@pytest.mark.parametrize(
    ("text", "kind", "name", "position"),
    [
        (C09_REDEEM_BUTTON, "tsx", "PERKAMO_SECRET_KEY", (5, 27)),
        (C09_PAGE, "tsx", "PERKAMO_SECRET_KEY", (4, 43)),
        (C08_NEXT_CONFIG, "javascript", "PERKAMO_SECRET_KEY", (4, 37)),
        (C08_LIB, "typescript", "NEXT_PUBLIC_PERKAMO_SECRET_KEY", (2, 48)),
        (C11_APP_CONFIG, "typescript", "PERKAMO_SECRET_KEY", (3, 36)),
    ],
)
def test_env_read_is_placed_at_the_variable_name(
    text: str, kind: str, name: str, position: tuple[int, int]
) -> None:
    reads = [e for e in all_env_reads(text, kind) if e.name == name]

    assert [line_col(text, e.start) for e in reads] == [position]
    assert text[reads[0].start : reads[0].end] == name
    assert reads[0].source == "process.env"


@pytest.mark.parametrize(
    ("text", "kind", "prefix", "position"),
    [
        (C21_CONFIG, "typescript", "https://*.", (4, 21)),
        (C21_CONFIG, "typescript", "https://shop", (4, 46)),
        (C21_CONFIG, "typescript", "pk_live_", (5, 20)),
        (C23_VUE, "vue", "sk_live_", (6, 20)),
        (C23_SVELTE, "svelte", "sk_live_", (5, 22)),
        (C11_BUNDLE, "javascript", "sk_live_", (1, 106)),
        (C06_WIDGET, "javascript", "c2tf", (2, 17)),
    ],
)
def test_string_is_placed_at_its_first_character_inside_the_quotes(
    text: str, kind: str, prefix: str, position: tuple[int, int]
) -> None:
    found = string_with(text, kind, prefix)

    assert line_col(text, found.start) == position
    assert text[found.start : found.end] == found.value


@pytest.mark.parametrize(
    "text",
    [
        C21_CONFIG,
        C21_CONFIG.replace("export default {", "export default ({").replace(
            "} satisfies", "}) satisfies"
        ),
    ],
)
def test_satisfies_expression_parses_without_error_nodes(text: str) -> None:
    module = only_module(text, "typescript")

    assert not module.has_errors
    origins = [s for s in module.strings() if s.value.startswith("https://")]
    assert [s.context for s in origins] == [("export default", "allowedOrigins")] * 2


@pytest.mark.parametrize(
    "text",
    [
        C21_CONFIG,
        'export default ({\n  origins: ["https://*.example.com"],\n}) satisfies C\n',
    ],
)
def test_strings_inside_error_nodes_are_still_found(text: str) -> None:
    # The JavaScript grammar knows no ``satisfies``: it makes an error node.
    module = only_module(text, "javascript")

    assert module.has_errors
    assert "https://*.example.com" in [s.value for s in module.strings()]


def test_unterminated_string_is_still_found() -> None:
    text = 'const ok = 1;\nfoo("sk_live_abc'

    found = string_with(text, "javascript", "sk_live_")

    assert found.value == "sk_live_abc"
    assert text[found.start : found.end] == "sk_live_abc"


# Character offsets ---------------------------------------------------------


@pytest.mark.parametrize(
    "prefix",
    [
        "const café = 'crème';",
        "// 日本語のコメント\n",
        "const e = '😀🎉';  /* astral plane: four bytes each */",
        "const mixed = 'é' + `ü${x}` + '日本';\n",
        "const el = <p title='ünï'>ü</p>;\n",
    ],
)
def test_offsets_count_characters_after_non_ascii_text(prefix: str) -> None:
    text = prefix + '\nconst key = "sk_test_abc123";'

    found = string_with(text, "tsx", "sk_test_")

    assert found.start == text.index("sk_test_")
    assert text[found.start : found.end] == "sk_test_abc123"


def test_offsets_in_a_component_count_from_the_file_start() -> None:
    text = "<template><p>héllo wörld 日本</p></template>\n" + C23_VUE

    found = string_with(text, "vue", "sk_live_")

    assert found.start == text.index("sk_live_")


def test_node_text_and_span_match_the_file_text() -> None:
    text = "<script>\nconst é = 'ü' + process.env.KEY;\n</script>\n"
    module = only_module(text, "svelte")
    statement = module.root.children[0]

    start, end = module.span(statement)

    assert text[start:end] == "const é = 'ü' + process.env.KEY;"
    assert module.node_text(statement) == text[start:end]


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ('"a\x00b"; const k = "sk_live_x";', "sk_live_x"),
        ('"a\ud800b"; const k = "sk_live_x";', "sk_live_x"),
        ('"\\ud800"; const k = "sk_live_x";', "sk_live_x"),
        ("\x00" * 50 + '\nconst k = "sk_live_x";', "sk_live_x"),
        ("x = '" + "a" * 200_000 + '\'; const k = "sk_live_x";', "sk_live_x"),
    ],
)
def test_hostile_input_does_not_crash_and_keeps_positions(
    text: str, value: str
) -> None:
    found = string_with(text, "javascript", value)

    assert found.start == text.index(value)


@pytest.mark.parametrize(
    ("kind", "garbage"),
    [
        # Both loop for ever in tree-sitter-typescript 0.23 (see its issue 323).
        ("tsx", "<a {{b:>c:d(e f)"),
        ("typescript", "[!a.,!/`+\n.s}?!->w->\\"),
    ],
)
def test_parser_that_loops_is_cut_off_and_literals_are_still_found(
    kind: str, garbage: str
) -> None:
    text = 'const key = "sk_live_abc";\n' + garbage

    module = only_module(text, kind)

    assert module.has_errors
    assert [s.value for s in module.strings()] == ["sk_live_abc"]
    # The cancelled parser must not resume the old parse on its next call.
    after = only_module('const ok = "yes";', kind)
    assert not after.has_errors
    assert [s.value for s in after.strings()] == ["yes"]


def test_garbage_input_sets_has_errors_instead_of_raising() -> None:
    module = only_module(")]}>{[(\x00\ud800 @@@ <<< `${", "tsx")

    assert module.has_errors
    list(module.strings())
    list(module.env_reads())
    list(module.calls())
    module.directives()


# Directives ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (C09_REDEEM_BUTTON, ["use client"]),
        (C09_HELP, []),
        (C09_PAGE, []),
        ('"use client";\nexport default 1;', ["use client"]),
        ("/* header */\n// more\n'use client'\nfoo()", ["use client"]),
        ('#!/usr/bin/env node\n"use strict";', ["use strict"]),
        (
            '"use strict";\n"use client";\nx();\n"use server";',
            ["use strict", "use client"],
        ),
        ('("use client");', []),
        ('"use client".trim();', []),
        ('import x from "y";\n"use client";', []),
        ("", []),
    ],
)
def test_directives_are_the_leading_string_statements(
    text: str, expected: list[str]
) -> None:
    assert only_module(text, "tsx").directives() == expected


def test_each_script_block_has_its_own_directives() -> None:
    text = "<script>'use strict'; x()</script><script>y()</script>"

    modules = parse_file(text, "html")

    assert [m.directives() for m in modules] == [["use strict"], []]


# Script blocks -------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "kind", "expected"),
    [
        pytest.param(
            C23_VUE,
            "vue",
            [("typescript", 'import { ref } from "vue";')],
            id="vue-case",
        ),
        pytest.param(
            C23_SVELTE,
            "svelte",
            [("typescript", "export const prerender"), ("typescript", "const k")],
            id="two-svelte-blocks",
        ),
        pytest.param(
            "<!-- <script>a()</script> --><script>b()</script>",
            "vue",
            [("javascript", "b()")],
            id="script-in-comment-ignored",
        ),
        pytest.param(
            '<script lang="ts" generic="T extends Map<string, A>">x()</script>',
            "vue",
            [("typescript", "x()")],
            id="gt-inside-quoted-attribute",
        ),
        pytest.param(
            "<script setup lang=ts>let a: number</script>",
            "vue",
            [("typescript", "let a: number")],
            id="unquoted-lang",
        ),
        pytest.param(
            "<script lang='tsx'>x</script>",
            "vue",
            [("tsx", "x")],
            id="single-quoted-tsx",
        ),
        pytest.param(
            '<SCRIPT LANG="TS">a</Script >b</script>',
            "svelte",
            [("typescript", "a")],
            id="tags-case-insensitive",
        ),
        pytest.param("<template><p>hi</p></template>", "vue", [], id="no-block"),
        pytest.param("", "svelte", [], id="empty-file"),
        pytest.param(
            "<p>x</p><script>\nconst a = 1;\n",
            "svelte",
            [("javascript", "const a = 1;")],
            id="unterminated-block-runs-to-end",
        ),
        pytest.param(
            '<script type="application/ld+json">{"a": 1}</script><script>c</script>',
            "html",
            [("javascript", "c")],
            id="data-block-skipped",
        ),
        pytest.param(
            '<script type="module">m</script><script src="a.js" />',
            "html",
            [("javascript", "m")],
            id="module-kept-self-closing-skipped",
        ),
        pytest.param(
            '<div title="<script>no()</script>"></div>'
            '<style>p::after{content:"<script>"}</style>',
            "vue",
            [],
            id="script-text-in-attribute-or-style",
        ),
        pytest.param(
            '<script lang="coffee">x</script>', "vue", [], id="unknown-lang-skipped"
        ),
        pytest.param("<!-- <script>x</script>", "vue", [], id="unterminated-comment"),
        pytest.param("<script", "vue", [], id="unterminated-open-tag"),
    ],
)
def test_script_blocks_are_found_with_their_dialect(
    text: str, kind: str, expected: list[tuple[str, str]]
) -> None:
    blocks = script_blocks(text, kind)

    assert [block.dialect for block in blocks] == [dialect for dialect, _ in expected]
    for block, (_, head) in zip(blocks, expected, strict=True):
        assert block.text.strip().startswith(head)
        assert text[block.offset : block.offset + len(block.text)] == block.text


@pytest.mark.parametrize("kind", ["javascript", "typescript", "tsx"])
def test_script_file_is_one_block_at_offset_zero(kind: str) -> None:
    assert [(b.offset, b.dialect) for b in script_blocks("x", kind)] == [(0, kind)]


def test_kind_may_be_a_string_enum() -> None:
    class Kind(str, Enum):
        TSX = "tsx"

    assert script_blocks("x", Kind.TSX)[0].dialect == "tsx"


def test_unknown_kind_is_refused() -> None:
    with pytest.raises(ValueError, match="python"):
        script_blocks("x", "python")


def test_many_unclosed_tags_are_scanned_in_linear_time() -> None:
    text = "<a " * 50_000 + "<script>x</script>"

    assert script_blocks(text, "vue") == []


# String values -------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ('x = "sk_" + "live_" + "abc"', [("sk_live_abc", 3, False)]),
        ("x = ('a' + \"b\") + `c`", [("abc", 3, False)]),
        ('x = "a" + y + "b"', [("a", 1, True), ("b", 1, False)]),
        (
            'x = "a" + y.z("q") + "b" + "c"',
            [("a", 1, True), ("q", 1, False), ("bc", 2, False)],
        ),
        ("x = `a${y}b`", [("a", 1, True)]),
        ('x = "a" + `b${y}c` + "d"', [("ab", 2, True), ("d", 1, False)]),
        ("x = `plain`", [("plain", 1, False)]),
        ('x = "a" - "b"', [("a", 1, False), ("b", 1, False)]),
        ('x = 1 + "a"', [("a", 1, False)]),
        ('x = ""', [("", 1, False)]),
        (
            'x = "\\x41\\u0042\\u{43}\\n\\t\\\'\\"\\\\\\q"',
            [("ABC\n\t'\"\\q", 1, False)],
        ),
        ('x = "\\uD83D\\uDE00 line\\\ncontinued"', [("😀 linecontinued", 1, False)]),
        ('x = <a b="x&amp;y" />', [("x&y", 1, False)]),
    ],
)
def test_string_values_are_cooked_and_folded(
    text: str, expected: list[tuple[str, int, bool]]
) -> None:
    found = all_strings(text, "javascript")

    assert [(s.value, s.pieces, s.partial) for s in found] == expected


def test_folded_string_spans_from_first_to_last_piece() -> None:
    text = 'const k = "sk_live_" +\n  "abc";'

    (found,) = all_strings(text)

    assert (found.start, found.end) == (text.index("sk_live_"), text.index('abc"') + 3)


def test_template_substitution_is_walked_for_env_reads() -> None:
    text = "const url = `https://x/${process.env.PERKAMO_SPACE}/v1`;"

    (read,) = all_env_reads(text)

    assert (read.name, read.context) == ("PERKAMO_SPACE", ("url",))


# Environment reads ---------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "kind", "expected"),
    [
        ("a = process.env.X", "javascript", [("X", "process.env")]),
        ('a = process.env["X"]', "javascript", [("X", "process.env")]),
        ("a = process.env['X']", "javascript", [("X", "process.env")]),
        ("a = import.meta.env.VITE_X", "javascript", [("VITE_X", "import.meta.env")]),
        (
            "a = process?.env?.X ?? process.env?.['Y']",
            "javascript",
            [("X", "process.env"), ("Y", "process.env")],
        ),
        ("const a = process.env.X!;", "typescript", [("X", "process.env")]),
        ("const a = (process.env as Env).X;", "typescript", [("X", "process.env")]),
        ("const a = process.env.X as string;", "typescript", [("X", "process.env")]),
        (
            "const a = { k: process.env.X } satisfies C;",
            "typescript",
            [("X", "process.env")],
        ),
        ("const a = <A k={process.env.X} />;", "tsx", [("X", "process.env")]),
        (
            'const { X, Y: y, Z = "d", "W": w, ...rest } = process.env;',
            "javascript",
            [
                ("X", "process.env"),
                ("Y", "process.env"),
                ("Z", "process.env"),
                ("W", "process.env"),
            ],
        ),
        ("({ X } = process.env);", "javascript", [("X", "process.env")]),
        ("const { X } = import.meta.env;", "typescript", [("X", "import.meta.env")]),
        ("a = process.env.X.trim()", "javascript", [("X", "process.env")]),
        ("Object.keys(process.env); env.X; process.environment.X", "javascript", []),
        ("a = process.env[name]", "javascript", []),
    ],
)
def test_env_reads_are_found_in_every_form(
    text: str, kind: str, expected: list[tuple[str, str]]
) -> None:
    reads = all_env_reads(text, kind)

    assert [(e.name, e.source) for e in reads] == expected
    for read in reads:
        assert text[read.start : read.end] == read.name


# Context tuples ------------------------------------------------------------

VITE_CONFIG = """\
import { defineConfig } from "vite";
export default defineConfig({
  define: {
    "process.env.PERKAMO_SECRET_KEY": JSON.stringify(process.env.PERKAMO_SECRET_KEY),
  },
});
"""

WEBPACK_CONFIG = """\
module.exports = {
  plugins: [
    new webpack.DefinePlugin({
      PERKAMO_KEY: JSON.stringify(process.env.PERKAMO_SECRET_KEY),
    }),
  ],
};
"""

EXPO_CONFIG = """\
export default ({ config }) => ({
  ...config,
  extra: { perkamo: { key: process.env.PERKAMO_SECRET_KEY } },
});
"""


@pytest.mark.parametrize(
    ("text", "kind", "context"),
    [
        (
            C08_NEXT_CONFIG,
            "javascript",
            ("module.exports", "env", "PERKAMO_SECRET_KEY"),
        ),
        (C11_APP_CONFIG, "typescript", ("export default", "extra", "perkamoKey")),
        (
            VITE_CONFIG,
            "typescript",
            (
                "export default",
                "defineConfig",
                "define",
                "process.env.PERKAMO_SECRET_KEY",
                "JSON.stringify",
            ),
        ),
        (
            WEBPACK_CONFIG,
            "javascript",
            (
                "module.exports",
                "plugins",
                "new webpack.DefinePlugin",
                "PERKAMO_KEY",
                "JSON.stringify",
            ),
        ),
        (EXPO_CONFIG, "javascript", ("export default", "extra", "perkamo", "key")),
        (C09_PAGE, "tsx", ("export default", "perkamo", "new Perkamo")),
        (C09_REDEEM_BUTTON, "tsx", ("key",)),
    ],
)
def test_env_read_context_names_the_enclosing_keys_and_calls(
    text: str, kind: str, context: tuple[str, ...]
) -> None:
    reads = [e for e in all_env_reads(text, kind) if e.name == "PERKAMO_SECRET_KEY"]

    assert [e.context for e in reads] == [context]


def test_string_key_has_the_context_of_its_object() -> None:
    key = string_with(VITE_CONFIG, "typescript", "process.env.")

    assert key.context == ("export default", "defineConfig", "define")


def test_jsx_attribute_names_its_value_context() -> None:
    (found,) = all_strings('<Widget apiKey="sk_test_x" />', "tsx")

    assert found.context == ("apiKey",)


# Calls ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "callee", "arguments"),
    [
        ('fetch("https://api.perkamo.com/v1/events")', "fetch", 1),
        ("axios.post(url, body)", "axios.post", 2),
        ("new webpack.DefinePlugin({})", "new webpack.DefinePlugin", 1),
        ("new Perkamo", "new Perkamo", 0),
        ("this.client.events.send(a, b, c)", "this.client.events.send", 3),
        ("axios.create({}).post(u)", "axios.create().post", 1),
        ("client?.events?.send?.(e)", "client.events.send", 1),
        ("(perkamo as Client).track(e)", "perkamo.track", 1),
        ("await import('./x')", "import", 1),
    ],
)
def test_calls_name_their_callee(text: str, callee: str, arguments: int) -> None:
    calls = list(only_module(text, "typescript").calls())

    assert (calls[0].callee, len(calls[0].arguments)) == (callee, arguments)


def test_call_arguments_are_nodes_of_the_call() -> None:
    text = 'perkamo.events.send({ password: "hunter2" }, opts)'
    module = only_module(text, "javascript")

    (call,) = module.calls()

    assert [module.node_text(a) for a in call.arguments] == [
        '{ password: "hunter2" }',
        "opts",
    ]
    assert (call.start, call.end) == (0, len(text))


# Robustness and cost -------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        pytest.param("x = " + "[" * 100_000 + '"deep"' + "]" * 100_000, id="arrays"),
        pytest.param("x = " + "(" * 100_000 + '"deep"' + ")" * 100_000, id="parens"),
        pytest.param("x = " + "{a:" * 20_000 + '"deep"' + "}" * 20_000, id="objects"),
        pytest.param("x = " + "f(" * 20_000 + '"deep"' + ")" * 20_000, id="calls"),
        pytest.param("x = " + " + ".join(['"deep"'] * 20_000), id="concatenation"),
    ],
)
def test_deep_nesting_does_not_raise_recursion_error(text: str) -> None:
    module = only_module(text, "javascript")

    found = list(module.strings())

    assert found[0].value.startswith("deep")
    assert len(found[0].context) <= 32


def test_walk_visits_deep_trees_in_source_order() -> None:
    module = only_module("x = " + "[" * 50_000 + "1" + "]" * 50_000, "javascript")

    starts = [node.start_byte for node in walk(module.root)]

    assert len(starts) > 100_000
    assert starts == sorted(starts)


def test_each_block_is_parsed_and_walked_once() -> None:
    module = only_module(C21_CONFIG, "typescript")

    assert module.root == module.root
    assert list(module.strings()) == list(module.strings())
    assert next(module.strings()) is next(module.strings())


def test_import_does_not_load_tree_sitter_until_a_tree_is_needed() -> None:
    script = textwrap.dedent(
        """
        import sys
        from perkamo_guard.parse import javascript
        assert "tree_sitter" not in sys.modules, "imported at module import"
        modules = javascript.parse_file("<script>x = 1</script>", "vue")
        assert "tree_sitter" not in sys.modules, "imported before a tree was needed"
        assert not modules[0].has_errors
        assert "tree_sitter" in sys.modules
        """
    )

    result = subprocess.run(
        [sys.executable, "-c", script],
        cwd=REPO,
        env={"PYTHONPATH": str(REPO)},
        capture_output=True,
        text=True,
        check=False,
    )

    assert result.returncode == 0, result.stderr
