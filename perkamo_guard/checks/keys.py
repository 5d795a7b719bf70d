"""Key rules PG101-PG104: server keys that leak or reach the browser."""

from __future__ import annotations

import importlib.util
import io
import json
import os
import re
from collections.abc import Iterator
from functools import cache
from types import ModuleType
from typing import NamedTuple

from perkamo_guard.checks import Context
from perkamo_guard.envnames import (
    PUBLIC_PERKAMO_NAME,
    has_public_prefix,
    names_secret_key,
)
from perkamo_guard.keys import KEY_PREFIX, KeyMatch, find_encoded_keys, find_keys, mask
from perkamo_guard.lazy import lazy_compile
from perkamo_guard.model import SCRIPT_KINDS, Finding, Kind, SourceFile, Zone

#: A key prefix that ends a literal: the key may continue in the next piece.
_SPLIT_HINT = lazy_compile(r"""sk_(?:live|test)_["'`]""")
#: What may join two pieces of a split key: ``+``, a line continuation, nothing.
_JOIN = lazy_compile(r"""\s*(?:\+|\\)?\s*""")
_PIECE = lazy_compile(r"""(["'`])([A-Za-z0-9]*)\1""")
#: ``process.env.NAME``, ``process.env["NAME"]``, ``import.meta.env.NAME``.
_ENV_READ = lazy_compile(
    r"""(?:process\.env|import\.meta\.env)\s*(?:\?\.|\.)\s*([A-Za-z_]\w*)"""
    r"""|(?:process\.env|import\.meta\.env)\s*\[\s*["'`]([A-Za-z_]\w*)["'`]\s*\]"""
)
_ENV_DESTRUCTURE = lazy_compile(r"\{([^{}]{1,2000})\}\s*=\s*(?:process\.env|import\.meta\.env)\b")
_DESTRUCTURED_NAME = lazy_compile(r"(?:^|,)\s*([A-Za-z_]\w*)")
_COMMENT_START = ("#", "//", "/*", "*", "<!--")
_SOURCES_CONTENT = lazy_compile(r'"sourcesContent"\s*:\s*\[')
_JSON_STRING = lazy_compile(r'"(?:[^"\\]|\\.)*"', re.DOTALL)
#: A line break inside a JSON string (CRLF, CR or LF), or an escaped backslash.
_JSON_ESCAPE = lazy_compile(r"\\\\|\\r\\n|\\r|\\n")


def check(file: SourceFile, ctx: Context) -> Iterator[Finding]:
    """Report the keys and key names of one file."""
    if file.kind is Kind.ENV:
        yield from _check_env(file, ctx)
    elif file.kind is Kind.SOURCE_MAP:
        yield from _check_source_map(file, ctx)
    else:
        yield from _check_literals(file, ctx)
        if file.kind is not Kind.TEXT:
            yield from _check_names(file, ctx)


# -- keys in code, config, markup and bundles ---------------------------------


def _check_literals(file: SourceFile, ctx: Context) -> Iterator[Finding]:
    keys = [*find_keys(file.text), *find_encoded_keys(file.text)]
    if _SPLIT_HINT.search(file.text):
        found = {key.start for key in keys}
        for key in split_keys(file, ctx):
            if key.start not in found:
                found.add(key.start)
                keys.append(key)
    committed: bool | None = None
    for key in keys:
        code = key_rule(file.zone, key.live)
        if code == "PG103":
            # NOTE: PG103 is about files that would be committed; an ignored
            # local settings file is where a key may live.
            committed = ctx.is_committed(file.path) if committed is None else committed
            code = code if committed else None
        if code:
            yield ctx.finding(file, code, key.start, key.end,
                              _key_message(code, key), [key.text])


def key_rule(zone: Zone, live: bool) -> str | None:
    """Which rule a key in a file of ``zone`` breaks, if any."""
    if zone is Zone.BROWSER:
        return "PG101"
    return "PG103" if live else None


def _key_message(code: str, key: KeyMatch, where: str = "") -> str:
    kind = "live" if key.live else "test"
    how = " (base64-encoded)" if key.encoded else ""
    if code == "PG101":
        return (f"Perkamo {kind} server key {mask(key.text)}{how} in browser code"
                f"{where}; call Perkamo from your backend and rotate the key")
    return (f"hardcoded live Perkamo server key {mask(key.text)}{how}{where}; read it "
            "from the environment or a secrets manager and rotate the key")


def split_keys(file: SourceFile, ctx: Context) -> Iterator[KeyMatch]:
    """Find keys split over several literals (``"sk_live_" "…"``, ``+``).

    Only here do we need a tree; the key is placed at its first piece.
    """
    for value, start in _folded_strings(file, ctx):
        for key in find_keys(value):
            if key.start == 0:
                yield KeyMatch(start, start + len("sk_live_"), key.live, key.text)


def _folded_strings(file: SourceFile, ctx: Context) -> Iterator[tuple[str, int]]:
    if file.kind is Kind.PYTHON:
        yield from _python_folds(file, ctx)
    elif file.kind in SCRIPT_KINDS:
        from perkamo_guard.parse.scripts import script_modules

        broken = False
        for module in script_modules(file):
            for string in module.strings():
                if string.pieces > 1:
                    yield string.value, string.start
            broken = broken or module.has_errors
        if broken:
            # Error recovery may have torn a concatenation apart.
            yield from lexical_folds(file.text)


def lexical_folds(text: str) -> Iterator[tuple[str, int]]:
    """Fold ``"sk_live_" + "…"`` without a tree, for files that do not parse.

    Each literal ending in a key prefix is joined with the plain literals
    that follow it; the fold starts at the prefix.
    """
    for hint in _SPLIT_HINT.finditer(text):
        pieces = [hint.group()[:-1]]
        position = hint.end()
        while True:
            join = _JOIN.match(text, position)
            piece = _PIECE.match(text, join.end() if join else position)
            if piece is None:
                break
            pieces.append(piece.group(2))
            position = piece.end()
        if len(pieces) > 1:
            yield "".join(pieces), hint.start()


def _python_folds(file: SourceFile, ctx: Context) -> Iterator[tuple[str, int]]:
    from perkamo_guard.parse import python

    try:
        strings = list(python.ast_strings(file, python.parse_ast(file)))
    except python.PythonSyntaxError:
        try:
            strings = list(python.cst_strings(file))
        except Exception as exc:  # noqa: BLE001 - any parser failure is a file error
            ctx.file_error(file, f"cannot parse Python ({type(exc).__name__}); "
                           "keys split over several strings were searched as text only")
            yield from lexical_folds(file.text)
            return
    for string in strings:
        if "sk_" in string.value:
            # The first piece starts at the first key prefix inside the node.
            offset = file.text.find("sk_", string.start, string.end)
            if offset >= 0:
                yield string.value[string.value.find("sk_"):], offset


# -- key names: public prefixes and browser reads ----------------------------


def _check_names(file: SourceFile, ctx: Context) -> Iterator[Finding]:
    seen: set[int] = set()
    for match in PUBLIC_PERKAMO_NAME.finditer(file.text):
        if names_secret_key(match.group()) and not _in_comment(file, match.start()):
            seen.add(match.start())
            yield ctx.finding(file, "PG102", match.start(), match.end(),
                              _public_name_message(match.group()))
    if file.kind in SCRIPT_KINDS and _BUNDLER_HINT.search(file.path.name + "\n" + file.text):
        for start, end, name, how in _bundler_inlined(file):
            if start not in seen:
                seen.add(start)
                yield ctx.finding(
                    file, "PG102", start, end,
                    f"{how} copies {name} into what ships to browsers and devices; keep "
                    "the server key out of bundler config and call your backend instead",
                )
    if file.zone is not Zone.BROWSER or file.kind not in SCRIPT_KINDS | {Kind.HTML}:
        return
    reads = [(start, name) for start, name in _env_reads(file.text)
             if start not in seen and names_secret_key(name) and not _in_comment(file, start)]
    server_only = _server_only_spans(file) if reads and _DATA_FUNCTION.search(file.text) else []
    for start, name in reads:
        if not any(a <= start < b for a, b in server_only):
            yield ctx.finding(
                file, "PG102", start, start + len(name),
                f"browser code reads the server key variable {name}; the bundler "
                "inlines it or it is empty, so call your backend instead",
            )


#: Bundler settings that copy values into client code, by config file name.
_INLINING_KEYS = (
    (re.compile(r"^next\.config\."), ("env", "publicRuntimeConfig"), "next.config `env`"),
    (re.compile(r"^(vite|vitest|astro|svelte|remix)\.config\.|^vite\."), ("define",),
     "Vite `define`"),
    (re.compile(r"^nuxt\.config\."), ("public", "publicRuntimeConfig"), "Nuxt public runtime config"),
    (re.compile(r"^app\.config\."), ("extra",), "Expo `extra`"),
)
_INLINING_CALLS = (("DefinePlugin", "webpack DefinePlugin"),
                   ("EnvironmentPlugin", "webpack EnvironmentPlugin"))
_BUNDLER_HINT = lazy_compile(r"^(next|vite|vitest|astro|svelte|remix|nuxt|app)\.config\."
                           r"|DefinePlugin|EnvironmentPlugin", re.MULTILINE)


def _bundler_inlined(file: SourceFile) -> Iterator[tuple[int, int, str, str]]:
    """Find secret key names that bundler configuration inlines into clients.

    This is the one place the key rules need a JS tree: the enclosing keys
    tell ``env: {...}`` of next.config apart from a server-only setting.
    """
    from perkamo_guard.parse.scripts import script_modules

    name = file.path.name.lower()
    for module in script_modules(file):
        for read in module.env_reads():
            how = _inlining_setting(name, read.context)
            if how and names_secret_key(read.name):
                yield read.start, read.end, read.name, how
        for string in module.strings():
            how = _inlining_setting(name, string.context)
            if how and "EnvironmentPlugin" in how and names_secret_key(string.value):
                yield string.start, string.end, string.value, how


def _inlining_setting(file_name: str, context: tuple[str, ...]) -> str | None:
    for callee, how in _INLINING_CALLS:
        if any(part.endswith(callee) for part in context):
            return how
    for pattern, keys, how in _INLINING_KEYS:
        if pattern.search(file_name) and any(key in context for key in keys):
            return how
    return None


#: Next.js data functions: they run on the server only, and the bundler
#: removes them from the page's client code.
_DATA_FUNCTIONS = frozenset({"getServerSideProps", "getStaticProps", "getStaticPaths"})
_DATA_FUNCTION = lazy_compile(r"\b(?:getServerSideProps|getStaticProps|getStaticPaths)\b")


def _server_only_spans(file: SourceFile) -> list[tuple[int, int]]:
    """Spans of a page's server-only data functions, minus what they return as props.

    Reads inside ``props`` are kept: props are serialised into the page.
    """
    from perkamo_guard.parse.javascript import walk
    from perkamo_guard.parse.scripts import script_modules

    spans = []
    for module in script_modules(file):
        for node in walk(module.root):
            if node.type not in ("function_declaration", "variable_declarator"):
                continue
            name = node.child_by_field_name("name")
            if name is not None and module.node_text(name) in _DATA_FUNCTIONS:
                spans.append(module.span(node))
    props = [read.start for module in script_modules(file) for read in module.env_reads()
             if "props" in read.context]
    return [(a, b) for a, b in spans if not any(a <= p < b for p in props)]


def _env_reads(text: str) -> Iterator[tuple[int, str]]:
    for match in _ENV_READ.finditer(text):
        group = 1 if match.group(1) else 2
        yield match.start(group), match.group(group)
    for match in _ENV_DESTRUCTURE.finditer(text):
        for name in _DESTRUCTURED_NAME.finditer(match.group(1)):
            yield match.start(1) + name.start(1), name.group(1)


def _public_name_message(name: str) -> str:
    return (f"{name} puts the Perkamo server key under a public prefix that the "
            "bundler ships to every browser; keep it server-only without the prefix")


def _in_comment(file: SourceFile, offset: int) -> bool:
    line, _ = file.lines.position(offset)
    start, _ = file.lines.line_span(line)
    return file.text[start:offset].lstrip().startswith(_COMMENT_START)


# -- env files -----------------------------------------------------------------


class EnvEntry(NamedTuple):
    """One ``NAME=value`` line of an env file, with the name's offset."""

    name: str
    value: str
    name_start: int
    line_end: int


#: The ``export`` a line may start with, before its variable's name.
_EXPORT = lazy_compile(r"\s*export\s+")


def env_entries(file: SourceFile) -> Iterator[EnvEntry]:
    """Parse an env file with python-dotenv's parser, keeping name offsets."""
    for binding in dotenv_parser().parse_stream(io.StringIO(file.text)):
        if binding.error or binding.key is None:
            continue
        line = binding.original.line
        if line > len(file.lines.starts):
            continue
        line_start, _ = file.lines.line_span(line)
        exported = _EXPORT.match(binding.original.string)
        column = binding.original.string.find(binding.key, exported.end() if exported else 0)
        start = line_start + max(column, 0)
        yield EnvEntry(binding.key, binding.value or "", start,
                       line_start + len(binding.original.string))


def _check_env(file: SourceFile, ctx: Context) -> Iterator[Finding]:
    committed = file.is_example_env or ctx.is_committed(file.path)
    #: The lines whose live key was reported at its variable's name.
    covered: list[tuple[int, int]] = []
    for entry in env_entries(file):
        keys = list(find_keys(entry.value))
        end = entry.name_start + len(entry.name)
        # NOTE: a public variable holding even a placeholder key teaches the
        # mistake, so any key shape counts here, not only real keys.
        holds_key = bool(KEY_PREFIX.search(entry.value))
        if has_public_prefix(entry.name) and (_names_secret(entry) or holds_key):
            yield ctx.finding(file, "PG102", entry.name_start, end,
                              _public_name_message(entry.name), [k.text for k in keys])
        live = [k for k in keys if k.live]
        if live and committed:
            covered.append((entry.name_start, entry.line_end))
            yield ctx.finding(file, "PG104", entry.name_start, end,
                              _env_message(file, live[0]), [k.text for k in keys])
    if committed:
        # NOTE: a key the parser did not read as a value (a bare line, a
        # trailing comment, a line of a quoted block it could not read) is
        # still a key in a committed file.
        for key in find_keys(file.text):
            if key.live and not any(a <= key.start < b for a, b in covered):
                yield ctx.finding(file, "PG104", key.start, key.end,
                                  _env_message(file, key), [key.text])


def _names_secret(entry: EnvEntry) -> bool:
    """A secret-sounding name, unless its value shows a publishable key."""
    publishable = entry.value.strip().startswith("pk_")
    return names_secret_key(entry.name) and not (publishable and "SECRET" not in entry.name.upper())


def _env_message(file: SourceFile, key: KeyMatch) -> str:
    where = "an example env file" if file.is_example_env else "an env file git would commit"
    return (f"live Perkamo server key {mask(key.text)} in {where}; add the file to "
            ".gitignore (git rm --cached it if tracked) or use a placeholder, and "
            "rotate the key")


# -- source maps -------------------------------------------------------------------


def _check_source_map(file: SourceFile, ctx: Context) -> Iterator[Finding]:
    """Scan a source map as text; name the original source and line."""
    contents = _sources_content_spans(file.text)
    sources = _sources(file.text)
    for key in find_keys(file.text):
        code = key_rule(file.zone, key.live)
        if code is None:
            continue
        where = _original_position(file.text, contents, sources, key.start)
        yield ctx.finding(file, code, key.start, key.end,
                          _key_message(code, key, where), [key.text])
    for match in PUBLIC_PERKAMO_NAME.finditer(file.text):
        if names_secret_key(match.group()):
            where = _original_position(file.text, contents, sources, match.start())
            yield ctx.finding(file, "PG102", match.start(), match.end(),
                              _public_name_message(match.group()) + where)


def _sources_content_spans(text: str) -> list[tuple[int, int]]:
    """The (start, end) offsets of each ``sourcesContent`` string, in order."""
    head = _SOURCES_CONTENT.search(text)
    if head is None:
        return []
    spans = []
    position = head.end()
    while True:
        while position < len(text) and text[position] in " \t\r\n,":
            position += 1
        if text.startswith("null", position):
            spans.append((position, position))
            position += 4
            continue
        match = _JSON_STRING.match(text, position)
        if match is None:
            return spans
        spans.append((match.start(), match.end()))
        position = match.end()


def _sources(text: str) -> list[str]:
    head = re.search(r'"sources"\s*:\s*(?=\[)', text)
    if head is None:
        return []
    try:
        value, _ = json.JSONDecoder().raw_decode(text, head.end())
    except ValueError:
        return []
    return [s if isinstance(s, str) else "?" for s in value] if isinstance(value, list) else []


def _original_position(text: str, contents: list[tuple[int, int]],
                       sources: list[str], offset: int) -> str:
    for index, (start, end) in enumerate(contents):
        if start <= offset < end:
            name = sources[index] if index < len(sources) else f"source #{index + 1}"
            breaks = _JSON_ESCAPE.finditer(text, start, offset)
            line = sum(m.group() != "\\\\" for m in breaks) + 1
            return f" (original source {name} line {line})"
    return ""


@cache
def dotenv_parser() -> ModuleType:
    """python-dotenv's parser module, loaded without the package around it.

    NOTE: ``import dotenv.parser`` first runs the package's ``__init__``,
    which imports ``dotenv.main`` and with it logging, tempfile and shutil:
    9 ms for a parser that needs only codecs and re. The parser's file is
    loaded on its own where the package keeps it, else imported as usual.
    """
    try:
        spec = importlib.util.find_spec("dotenv")  # finds the package, runs nothing
        if spec is not None and spec.submodule_search_locations:
            path = os.path.join(spec.submodule_search_locations[0], "parser.py")
            own = importlib.util.spec_from_file_location("perkamo_guard._dotenv_parser", path)
            if own is not None and own.loader is not None:
                module = importlib.util.module_from_spec(own)
                own.loader.exec_module(module)
                if callable(getattr(module, "parse_stream", None)):
                    return module
    except Exception:  # noqa: BLE001 - another layout or version: the usual import
        pass
    import dotenv.parser

    return dotenv.parser

