"""Hostile input: Python 2, syntax newer than the interpreter, broken JS and TS.

A syntax error never hides a key: a whole key is found by text, and a key
split over several literals is folded without a tree when the parser gives
up (``"sk_live_" "…"``, ``"sk_live_" + "…"``, a backslash continuation).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.hostile.harness import LIVE, check_with_sibling, position_of

PREFIX, BODY = LIVE[:8], LIVE[8:]
SPLIT = f'"{PREFIX}" "{BODY}"'
PLUS = f'"{PREFIX}" + "{BODY}"'

# (id, source): each holds one key, split or whole, after the odd syntax.
PYTHON = [
    ("py2-print-split", f'print "hello"\nKEY = ({SPLIT[:10]}\n       {SPLIT[11:]})\n'),
    ("py2-backticks", f"x = `y`\nKEY = {PLUS}\n"),
    ("py2-except-comma", f"try:\n    pass\nexcept Exception, e:\n    KEY = {SPLIT}\n"),
    ("py2-octal-ur-continuation",
     f'MODE = 0777\nS = ur"x"\nKEY = "{PREFIX}" \\\n    "{BODY}"\n'),
    ("py2-exec-whole-key", f'exec "print 1"\nKEY = "{LIVE}"\n'),
    ("py2-dict-has-key", f'if d.has_key("a"): print d\nKEYS = {{"k": {SPLIT}}}\n'),
    ("py312-type-params", f"type Alias = list[int]\ndef f[T](x: T) -> T:\n    return x\n"
                          f"KEY = ({SPLIT})\n"),
    ("py312-fstring-quotes", f'name = f"{{x["a"]}}"\nKEY = {SPLIT}\n'),
    ("py314-except-without-parens",
     f"try:\n    pass\nexcept ValueError, TypeError:\n    pass\nKEY = {SPLIT}\n"),
    ("py314-template-string", f't = t"hello {{name}}"\nKEY = {SPLIT}\n'),
    ("py315-lazy-import", f"lazy import json\nKEY = {PLUS}\n"),
    ("not-python-at-all", f"x = 1 ?? 2 ;; <<<\nKEY = {SPLIT}\n"),
    ("unterminated-triple-quote", f'KEY = {SPLIT}\ndoc = """never closed\n'),
]


@pytest.mark.parametrize("source", [s for _, s in PYTHON], ids=[i for i, _ in PYTHON])
def test_python_syntax_error_or_newer_syntax_never_hides_a_key(tmp_path: Path,
                                                               source: str) -> None:
    run = check_with_sibling(tmp_path, {"server/odd.py": source})
    assert run.exit_code == 1
    assert run.findings("server/odd.py") == [(*position_of(source), "PG103")]
    # A file the parsers cannot read says so, and says how keys were searched.
    assert all("parse Python" in message for message in run.errors("server/odd.py"))


# (id, file name, source); client/ and components/ are browser code: PG101.
SCRIPTS = [
    ("js-unterminated-string", "client/a.js", f'const a = "oops\nconst k = {PLUS};\n'),
    ("js-unterminated-template", "client/b.js", f'const a = `oops ${{\nconst k = {PLUS};\n'),
    ("js-stray-braces", "client/c.js", f"}}}}}}\nconst k = [{PLUS}];\n"),
    ("js-html-comment-and-garbage", "client/d.js", f"<!-- x\n\x7f((( {PLUS} ]]\n"),
    ("js-whole-key-in-noise", "client/e.js", f'@@@ #!! "{LIVE}" (((\n'),
    ("ts-unbalanced-function", "client/f.ts", f"export function f( {{\n  return {PLUS}\n"),
    ("ts-broken-generics", "client/g.ts",
     f"let x: Map<string, = new Map<<>();\nconst k = {PLUS};\n"),
    ("ts-decorator-unclosed-class", "client/h.ts",
     f"@Component({{ key: {PLUS} }})\nclass A {{\n"),
    ("tsx-mismatched-tags", "components/A.tsx",
     f"export const A = () => <div><span>{{{PLUS}}}</div>;\n"),
    ("tsx-unclosed-expression", "components/B.tsx", f"<div>{{ {PLUS} </span>\n"),
    ("vue-broken-script", "components/C.vue",
     f'<template><div></template>\n<script setup lang="ts">\nconst k = {PLUS} ((\n'
     "</script>\n"),
    ("svelte-broken-script", "components/D.svelte",
     f"<script>\nconst k = {PLUS}; }}}}\n</script>\n<p>{{oops</p>\n"),
    ("vue-unclosed-script", "components/E.vue", f"<script>\nconst k = {PLUS};\n"),
]


@pytest.mark.parametrize(("name", "source"), [(n, s) for _, n, s in SCRIPTS],
                         ids=[i for i, _, _ in SCRIPTS])
def test_js_and_ts_syntax_error_never_hides_a_key(tmp_path: Path, name: str,
                                                  source: str) -> None:
    run = check_with_sibling(tmp_path, {name: source})
    assert run.exit_code == 1
    assert run.findings(name) == [(*position_of(source), "PG101")]
    assert run.errors(name) == []
