"""Origin rules PG201-PG205: allowed request origins that are not exact origins.

We find the places where a Perkamo origin list is written down, cut each
into entries and let `perkamo_guard.origin.check_origin` judge every entry:
one finding per entry, at the entry's first character.

Where an origin list is:

- under an *origin key*: a key, variable or keyword named ``origins``,
  ``allowed_origins``, ``allowed_origin``, ``allowed_request_origins``,
  ``request_origins``, ``browser_origins`` or ``allowed_browser_origins``,
  compared with case and ``_ - .`` separators ignored (``allowedOrigins``,
  ``ALLOWED-ORIGINS``); the configuration's ``origin-keys`` adds names;
- in a *Perkamo context*: the file's path names Perkamo (``perkamo.yaml``,
  ``config/perkamo/…``, ``src/perkamo.config.ts``) or its browser SDK
  (``browser_sdk.json``); an enclosing key, variable, class or call names
  Perkamo or ``browser_sdk``/``browserSdk``; a data document declares
  itself Perkamo config (``$schema``, ``apiVersion`` or ``kind`` naming
  Perkamo); or a code file uploads config to ``/v1/admin/config/``. The
  configuration's ``origin-context`` adds words.

Two kinds of name need no context: a name that says both Perkamo and
origin (``PERKAMO_ALLOWED_ORIGINS``, ``perkamoOrigins``), and a name listed
in ``origin-keys``, which is how a user opts other settings in (Django's
``CORS_ALLOWED_ORIGINS``, for example, is silent until listed there).

NOTE: in code, a call or key that names CORS (``cors(…)``, ``CORS(app)``,
``corsOptions``) below the Perkamo signal marks the web framework's own CORS
settings, which allow wildcards and are not Perkamo's; they stay silent.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import replace
from functools import lru_cache
from typing import TYPE_CHECKING, NamedTuple

from perkamo_guard.checks import Context
from perkamo_guard.config import Config
from perkamo_guard.keys import mask_keys
from perkamo_guard.lazy import lazy_compile
from perkamo_guard.log import get_logger
from perkamo_guard.model import SCRIPT_KINDS, Finding, Kind, SourceFile
from perkamo_guard.origin import OriginVerdict, check_origin, split_origin_list
from perkamo_guard.originnames import (
    CONTEXT_WORDS,
    Places,
    context_path,
    has_context_hint,
    longest_word,
    normalise,
    places_for,
)
from perkamo_guard.snippet import neutralise

if TYPE_CHECKING:
    from perkamo_guard.parse.javascript import JsModule
    from perkamo_guard.parse.structured import Node

logger = get_logger(__name__)

#: Top-level keys by which a document says what it is.
_DECLARING_KEYS = ("$schema", "schema", "apiversion", "kind")
#: The route of Perkamo's admin config upload.
ADMIN_CONFIG_ROUTE = "/v1/admin/config"

#: An entry that a template or the shell fills in: not ours to judge.
_TEMPLATE = lazy_compile(r"\$\{|\{\{|\{%|%\(|^\$[A-Za-z_]")
_PLACEHOLDER = lazy_compile(r"<[^<>]*>")
_USERINFO = lazy_compile(r"(//[^/@\s:]*:)([^/@\s]+)@")
_ENV_ASSIGN = lazy_compile(r"[ \t]*=[ \t]*")
_ENV_NAME = lazy_compile(r"[A-Za-z_][A-Za-z0-9_]*")
#: Lock files (package-lock.json, pnpm-lock.yaml, poetry.lock): read as text
#: by the key rules, never parsed.
_LOCK_FILE = lazy_compile(r"(?:^|[-.])lock(?:\.json|\.ya?ml)?$|^npm-shrinkwrap\.json$")
_MAX_SHOWN = 60
#: Code: Python, and JS/TS on its own or in the script blocks of a page.
_CODE_KINDS = frozenset({Kind.PYTHON, Kind.HTML, *SCRIPT_KINDS})

_ADVICE = {
    "PG201": "list every origin in full, without wildcards",
    "PG202": "keep only scheme://host[:port]",
    "PG203": "list exact origins here and keep CSP in your site's "
             "Content-Security-Policy header",
    "PG204": "serve the site over https and list its https:// origin",
    "PG205": "write it as scheme://host[:port], such as https://shop.example.com",
}


class Site(NamedTuple):
    """A string that holds one origin entry (an item) or a list of them."""

    value: str
    #: Offset of the value's first character in the file, inside quotes.
    start: int
    #: Where the literal ends; entries are searched for no further.
    end: int
    #: True when the file holds the value verbatim at ``start``.
    exact: bool
    #: An item of a list is one entry; a whole string is split into entries.
    item: bool


def check(file: SourceFile, ctx: Context) -> Iterator[Finding]:
    """Report every allowed-origin entry of a file that is not an exact origin."""
    if _LOCK_FILE.search(file.path.name.lower()):
        return  # thousands of package entries, never an origin list
    places = places_for(ctx.config)
    path_context = places.path_context(context_path(file.display, ctx.config.root))
    if not (path_context or _may_hold_context(file, places)):
        return
    sites = list(_sites(file, ctx, places, path_context))
    if file.kind in _CODE_KINDS:
        sites += _upload_sites(file, ctx, places)
    seen: set[int] = set()
    for site in sites:
        # A payload literal is found both as a labelled string and as a sink.
        if site.start not in seen:
            seen.add(site.start)
            yield from _judge(file, ctx, site)


def _sites(file: SourceFile, ctx: Context, places: Places,
           path_context: bool) -> Iterable[Site]:
    if file.kind is Kind.ENV:
        return _env_sites(file, places, path_context)
    if file.kind in (Kind.JSON, Kind.YAML, Kind.TOML):
        return _document_sites(file, ctx, places, path_context)
    base = path_context or ADMIN_CONFIG_ROUTE in file.text
    if file.kind is Kind.PYTHON:
        return _python_sites(file, ctx, places, base)
    return _script_sites(file, places, base)


def _may_hold_context(file: SourceFile, places: Places) -> bool:
    """Tell cheaply, before any parse, whether a file could be in scope."""
    text = file.text
    if has_context_hint(text) or ADMIN_CONFIG_ROUTE in text:
        return True
    extra_words = places.words[len(CONTEXT_WORDS):]
    if not (extra_words or places.configured):
        return False
    folded = normalise(text)
    return any(word in folded for word in (*extra_words, *places.configured))


# --- Data documents: JSON, YAML, TOML -----------------------------------------


def _document_sites(file: SourceFile, ctx: Context, places: Places,
                    path_context: bool) -> Iterator[Site]:
    from perkamo_guard.parse.structured import StructuredError

    try:
        roots = _load(file)
    except StructuredError as exc:
        if file.kind is Kind.YAML and "{{" in file.text:
            # A Helm or Jinja template is YAML only once rendered.
            logger.info("%s: not YAML before rendering (%s); skipped",
                        file.display, exc)
            return
        ctx.file_error(file, f"cannot parse {file.kind.value.upper()}: {exc}; "
                             "allowed origins in it are not checked")
        return
    for root in roots:
        base = path_context or _declares_perkamo(root.value)
        yield from _tree_sites(file, root, places, base)


def _load(file: SourceFile) -> list[Node]:
    from perkamo_guard.parse.structured import load_json, load_toml, load_yaml

    if file.kind is Kind.JSON:
        return [load_json(file.text)]
    if file.kind is Kind.YAML:
        return load_yaml(file.text)
    return [load_toml(file.text)]


def _tree_sites(file: SourceFile, root: Node, places: Places,
                base: bool) -> Iterator[Site]:
    """Yield the origin strings of one document: under keys, or env-style."""
    from perkamo_guard.parse.structured import walk

    for path, node in walk(root):
        if isinstance(node.value, dict):
            yield from _name_value_site(file, node.value, places)
            continue
        if not isinstance(node.value, str):
            continue
        key_at = max((i for i, p in enumerate(path) if isinstance(p, str)), default=-1)
        if key_at < len(path) - 1:
            yield from _assignment_site(file, node, places)
        if key_at < 0 or not places.is_origin_key(str(path[key_at])):
            continue
        labels = [part for part in path[:key_at] if isinstance(part, str)]
        if places.needs_no_context(str(path[key_at])) or places.in_context(
                labels, base, False):
            yield _node_site(file, node, item=key_at < len(path) - 1)


def _node_site(file: SourceFile, node: Node, item: bool, skip: int = 0) -> Site:
    """Return a site for a string node, from ``skip`` characters into it."""
    assert isinstance(node.value, str)
    value = node.value[skip:]
    exact = file.text[node.start : node.end] == node.value
    start = node.start + skip if exact else node.start
    return Site(value, start, node.end, exact, item)


def _name_value_site(file: SourceFile, mapping: dict[str, Node],
                     places: Places) -> Iterator[Site]:
    """Kubernetes-style env: ``{name: PERKAMO_ALLOWED_ORIGINS, value: "…"}``."""
    name, value = mapping.get("name"), mapping.get("value")
    if name is None or value is None or not isinstance(name.value, str):
        return
    if isinstance(value.value, str) and places.needs_no_context(name.value):
        yield _node_site(file, value, item=False)


def _assignment_site(file: SourceFile, node: Node, places: Places) -> Iterator[Site]:
    """Compose-style env list item: ``- PERKAMO_ALLOWED_ORIGINS=https://…``."""
    assert isinstance(node.value, str)
    name, equals, _ = node.value.partition("=")
    if equals and _ENV_NAME.fullmatch(name) and places.needs_no_context(name):
        yield _node_site(file, node, item=False, skip=len(name) + 1)


def _declares_perkamo(value: object) -> bool:
    """Tell whether a document's own ``$schema``/``kind`` says it is Perkamo's."""
    if not isinstance(value, dict):
        return False
    for key, node in value.items():
        if normalise(key) in _DECLARING_KEYS or key in _DECLARING_KEYS:
            if isinstance(node.value, str) and "perkamo" in node.value.lower():
                return True
    return False


# --- Env files --------------------------------------------------------------


def _env_sites(file: SourceFile, places: Places, path_context: bool) -> Iterator[Site]:
    from perkamo_guard.checks.keys import env_entries

    for entry in env_entries(file):
        if not places.is_origin_key(entry.name):
            continue
        if not (path_context or places.needs_no_context(entry.name)):
            continue
        after_name = entry.name_start + len(entry.name)
        equals = _ENV_ASSIGN.match(file.text, after_name, entry.line_end)
        start = equals.end() if equals else after_name
        if file.text[start : start + 1] in ("'", '"'):
            start += 1
        exact = file.text.startswith(entry.value, start)
        yield Site(entry.value, start, entry.line_end, exact, item=False)


# --- Code: Python, JS/TS and component scripts --------------------------------


def _python_sites(file: SourceFile, ctx: Context, places: Places,
                  base: bool) -> Iterator[Site]:
    from perkamo_guard.parse.python_values import labelled_strings

    found = labelled_strings(file, _key_hint(ctx.config))
    # Only statements that could hold an origin list are worth a file error.
    lines = [str(line) for line, text in found.unparsed if _TRIGGER.search(text)]
    if lines:
        ctx.file_error(file, f"cannot parse the Python statements at line "
                             f"{', '.join(lines[:5])}; allowed origins in them "
                             "are not checked")
    for string in found.strings:
        if _is_entry(places, string.labels, base):
            yield Site(string.value, string.start, string.end, string.exact,
                       string.item)


@lru_cache(maxsize=8)
def _key_hint(config: Config) -> re.Pattern[str]:
    """Match any text that could name an origin key: a cheap filter on statements."""
    words = {"rigin", *(longest_word(key) for key in config.origin_keys)}
    return re.compile("|".join(sorted(map(re.escape, words))), re.IGNORECASE)


def _script_sites(file: SourceFile, places: Places, base: bool) -> Iterator[Site]:
    for module in _script_modules(file):
        for string in module.strings():
            # A template with substitutions has no value we could judge.
            if string.partial or not _is_entry(places, string.context, base):
                continue
            exact = file.text[string.start : string.end] == string.value
            yield Site(string.value, string.start, string.end, exact,
                       _is_list_item(file.text, string.start))


def _upload_sites(file: SourceFile, ctx: Context, places: Places) -> list[Site]:
    """Return the origin entries of payloads uploaded to ``/v1/admin/config/``.

    The shared sink detection follows what labels cannot: a route built
    from pieces, and a payload changed after it was written
    (``body.allowedOrigins.push(…)``).
    """
    if "admin" not in file.text:
        return []
    from perkamo_guard.sinks import find_sinks

    try:
        sinks = find_sinks(file, ctx.config)
    except Exception:  # noqa: BLE001 - labelled strings already cover this file
        logger.debug("no sinks for %s", file.display, exc_info=True)
        return []
    return [
        site for sink in sinks
        if sink.route.startswith(ADMIN_CONFIG_ROUTE) and sink.payload is not None
        for site in _payload_sites(file, sink.payload, places)
    ]


def _payload_sites(file: SourceFile, payload: object, places: Places) -> Iterator[Site]:
    """Yield the strings under origin keys of a sink's payload tree."""
    from perkamo_guard.sinks import PDict, PList, PStr

    # (node, under an origin key, an item of a list there)
    todo: list[tuple[object, bool, bool]] = [(payload, False, False)]
    while todo:
        node, under_key, item = todo.pop()
        if isinstance(node, PStr) and under_key:
            exact = file.text[node.start : node.end] == node.value
            yield Site(node.value, node.start, node.end, exact, item)
        elif isinstance(node, PList):
            todo += [(child, under_key, True) for child in node.items]
        elif isinstance(node, PDict):
            todo += [(entry.value, places.is_origin_key(entry.key), False)
                     for entry in node.entries]


def _script_modules(file: SourceFile) -> list[JsModule]:
    """Return the file's script modules, parsed once for every family."""
    from perkamo_guard.parse.scripts import script_modules

    return script_modules(file)


def _is_entry(places: Places, labels: Sequence[str], base: bool) -> bool:
    """Tell whether a string under these labels is an origin list or entry."""
    if not labels or not places.is_origin_key(labels[-1]):
        return False
    return places.needs_no_context(labels[-1]) or places.in_context(
        labels[:-1], base, True
    )


def _is_list_item(text: str, start: int) -> bool:
    """Tell whether the literal whose content starts at ``start`` is an array item."""
    position = start - 2  # before the opening quote
    while position >= 0 and text[position].isspace():
        position -= 1
    return position >= 0 and text[position] in "[,"


# --- Judging entries ------------------------------------------------------------


def _judge(file: SourceFile, ctx: Context, site: Site) -> Iterator[Finding]:
    """Yield one finding for each entry of a site that is not an exact origin."""
    if _PLACEHOLDER.search(site.value):
        return  # an example file's "<your origins>", not a value yet
    entries = [(0, site.value)] if site.item else split_origin_list(site.value)
    for offset, entry in entries:
        if _TEMPLATE.search(entry):
            continue
        verdict = check_origin(entry)
        if verdict is None:
            continue
        start, end = _place(file, site, offset, entry, verdict)
        finding = ctx.finding(file, verdict.rule, start, end,
                              _message(entry, verdict))
        yield _hide_password(finding)


def _place(file: SourceFile, site: Site, offset: int, entry: str,
           verdict: OriginVerdict) -> tuple[int, int]:
    """Return the span of an entry's text in the file."""
    text = entry.strip()
    if site.exact:
        start = site.start + offset + verdict.offset
        return start, start + len(text)
    # Escapes or folded lines: the raw text differs from the value, so we
    # look for the entry inside the literal, or fall back to its start.
    found = file.text.find(text, site.start, site.end) if text else -1
    if found < 0:
        return site.start, site.start
    return found, found + len(text)


def _message(entry: str, verdict: OriginVerdict) -> str:
    """Say what is wrong with an entry and how to fix it, on one line."""
    if verdict.fix:
        advice = f"use {verdict.fix}"
    elif verdict.reason == "holds several origins":
        advice = "give each origin its own list item"
    else:
        advice = _ADVICE[verdict.rule]
    return f"allowed origin {_show(entry)} {verdict.reason}; {advice}"


def _show(entry: str) -> str:
    """Quote an entry for a message: short, one line, no password, no key."""
    text = _USERINFO.sub(r"\1…@", entry.strip())
    text = neutralise(mask_keys(text)).replace("\n", "\\n").replace("\r", "\\r")
    if len(text) > _MAX_SHOWN:
        text = text[: _MAX_SHOWN - 1] + "…"
    return f'"{text}"'


def _hide_password(finding: Finding) -> Finding:
    """Mask a password written into an origin (``https://user:pw@host``)."""
    snippet = _USERINFO.sub(r"\1…@", finding.snippet)
    return finding if snippet == finding.snippet else replace(finding, snippet=snippet)


_TRIGGER = lazy_compile(r"rigin|RIGIN")
