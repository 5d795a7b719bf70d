"""Classify: give each file a kind and a zone (browser, server or unknown)."""

from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path, PurePath, PurePosixPath
from typing import TYPE_CHECKING, NamedTuple

from perkamo_guard.config import Config
from perkamo_guard.discover import Discovered
from perkamo_guard.lazy import lazy_compile
from perkamo_guard.log import get_logger
from perkamo_guard.model import Classified, Kind, Zone

if TYPE_CHECKING:
    import pathspec

logger = get_logger(__name__)

_EXTENSION_KINDS = {
    ".py": Kind.PYTHON, ".pyi": Kind.PYTHON, ".pyw": Kind.PYTHON,
    ".js": Kind.JAVASCRIPT, ".mjs": Kind.JAVASCRIPT, ".cjs": Kind.JAVASCRIPT,
    ".jsx": Kind.JAVASCRIPT,
    ".ts": Kind.TYPESCRIPT, ".mts": Kind.TYPESCRIPT, ".cts": Kind.TYPESCRIPT,
    ".tsx": Kind.TSX,
    ".vue": Kind.VUE, ".svelte": Kind.SVELTE,
    ".json": Kind.JSON, ".jsonc": Kind.JSON, ".webmanifest": Kind.JSON,
    ".yaml": Kind.YAML, ".yml": Kind.YAML,
    ".toml": Kind.TOML,
    ".html": Kind.HTML, ".htm": Kind.HTML, ".xhtml": Kind.HTML,
    ".map": Kind.SOURCE_MAP,
}
_CODE_SUFFIXES = frozenset({".js", ".ts", ".mjs", ".cjs", ".py", ".json", ".d"})
_BUNDLE_NAME = lazy_compile(r"\.(min|bundle|chunk)\.(m?js|cjs)$|^chunk-[\w-]+\.m?js$")
#: React Native and Hermes-less bundles: ``index.android.bundle``, ``main.jsbundle``.
_NATIVE_BUNDLE = lazy_compile(r"\.(android|ios)\.bundle$|\.jsbundle$")
_EXAMPLE_ENV = lazy_compile(r"example|sample|template|dist|defaults?|tpl", re.IGNORECASE)

#: Folders whose files are build output served to browsers (multi-part first).
_BUILD_OUTPUT = (
    (".next", "static"), (".output", "public"), (".nuxt", "dist", "client"),
    (".svelte-kit", "output", "client"), ("dist",), ("build",), ("out",),
    ("storybook-static",), ("public",), ("www",), ("static",),
)
_BROWSER_PARTS = frozenset({
    "client", "frontend", "front-end", "browser", "web-client", "widget",
    "widgets", "embed", "embeds", "extension", "chrome-extension", "mobile",
    "ios", "android", "components", "composables", "spa",
})
_SERVER_PARTS = frozenset({
    "server", "servers", "backend", "back-end", "functions", "lambda",
    "lambdas", "cron", "jobs", "migrations", "management", "scripts", "bin",
    "cmd",
})
_SERVER_NAME = lazy_compile(
    r"(^|[.+])server\.[cm]?[jt]sx?$|^route\.[cm]?[jt]sx?$|^middleware\.[jt]s$"
    r"|^(manage|wsgi|asgi|settings)\.py$"
)
_TOOL_CONFIG = lazy_compile(r"\.config\.[cm]?[jt]s$|^\.?[\w-]+rc\.[cm]?js$|^gulpfile|^gruntfile")

_SPA_DEPS = ("vite", "react-scripts", "@angular/core", "vue", "svelte", "preact",
             "@vue/cli-service", "parcel", "solid-js")
_MOBILE_DEPS = ("expo", "react-native")
_NODE_SERVER_DEPS = ("express", "fastify", "koa", "@nestjs/core", "hono", "@hapi/hapi")
_FULLSTACK_DEPS = ("next", "nuxt", "@sveltejs/kit", "@remix-run/node", "astro",
                   "express", "fastify", "koa", "@nestjs/core", "hono")


class Project(NamedTuple):
    """What the nearest package.json says about a JS project."""

    root: Path
    deps: frozenset[str]

    def uses(self, *names: str) -> bool:
        return any(name in self.deps for name in names)


def kind_of(path: PurePath, in_build_output: bool = False) -> Kind:
    """Tell a file's kind from its name (and whether it is build output)."""
    return kind_of_name(path.name, in_build_output)


def kind_of_name(name: str, in_build_output: bool = False) -> Kind:
    """Tell a file's kind from its name, as ``kind_of`` does, without a path."""
    name = name.lower()
    if is_env_name(name):
        return Kind.ENV
    if _NATIVE_BUNDLE.search(name):
        return Kind.BUNDLE
    dot = name.rfind(".")
    suffix = name[dot:] if 0 < dot < len(name) - 1 else ""  # PurePosixPath(name).suffix
    kind = _EXTENSION_KINDS.get(suffix, Kind.TEXT)
    if kind is Kind.JAVASCRIPT and (in_build_output or _BUNDLE_NAME.search(name)):
        return Kind.BUNDLE
    return kind


def is_env_name(name: str) -> bool:
    """Tell whether a file name is an env file (``.env``, ``.env.*``, ``*.env``)."""
    if name == ".env" or name.endswith(".env"):
        return True
    if name.startswith(".env."):
        return PurePosixPath(name).suffix not in _CODE_SUFFIXES
    return False


def is_example_env(name: str) -> bool:
    """Tell whether an env file is a template meant to be committed."""
    return bool(_EXAMPLE_ENV.search(name.replace(".env", "", 1)))


class _Folder(NamedTuple):
    """What classification needs to know about a file's folder."""

    project: Project | None
    #: The folder's parts below the project (or scan) root.
    parts: tuple[str, ...]
    in_build_output: bool
    outer: tuple[str, ...]


class Classifier:
    """Give files their kind and zone; config globs override the guess."""

    def __init__(self, config: Config) -> None:
        self._root = config.root.resolve()
        self._browser = _glob_spec(config.browser)
        self._server = _glob_spec(config.server)
        # NOTE: files share folders; the folder facts (project, build
        # output, outer folders) cost path arithmetic worth doing once.
        self._folders: dict[Path, _Folder] = {}

    def classify(self, found: Discovered) -> Classified:
        path = found.path
        folder = self._folder(path.parent)
        parts = (*folder.parts, path.name)
        kind = kind_of(path, folder.in_build_output)
        zone, reason = self._zone(path, kind, parts, folder)
        example = kind is Kind.ENV and is_example_env(path.name)
        logger.debug("%s: %s, %s zone (%s)", found.display, kind.value, zone.value, reason)
        return Classified(path, found.display, kind, zone, reason, example)

    def kind(self, found: Discovered) -> Kind:
        """The kind ``classify`` gives the file, without its zone."""
        return kind_of(found.path, self._folder(found.path.parent).in_build_output)

    def _folder(self, directory: Path) -> _Folder:
        folder = self._folders.get(directory)
        if folder is None:
            project = find_project(directory)
            base = project.root if project else self._root
            parts = _relative_parts(directory / "_", base)[:-1]
            folder = _Folder(project, parts, _in_build_output((*parts, "_")),
                             _outer_folders(directory / "_", base))
            self._folders[directory] = folder
        return folder

    def _zone(self, path: Path, kind: Kind, parts: tuple[str, ...],
              folder: _Folder) -> tuple[Zone, str]:
        if self._server is not None or self._browser is not None:
            relative = "/".join(_relative_parts(path, self._root))
            if self._server is not None and self._server.match_file(relative):
                return Zone.SERVER, "configured server glob"
            if self._browser is not None and self._browser.match_file(relative):
                return Zone.BROWSER, "configured browser glob"
        return guess_zone(kind, parts, folder.project, folder.in_build_output, folder.outer)


def _glob_spec(globs: tuple[str, ...]) -> pathspec.GitIgnoreSpec | None:
    """Compile zone globs; None when there are none (pathspec stays unimported)."""
    if not globs:
        return None
    import pathspec

    return pathspec.GitIgnoreSpec.from_lines(globs)


def guess_zone(kind: Kind, parts: tuple[str, ...], project: Project | None,
               output: bool, outer: tuple[str, ...] = ()) -> tuple[Zone, str]:
    """Guess a zone from the kind, the path inside its project and the project.

    :param outer:
        Folders between the repository root and the project (or scan) root,
        so that ``widget/`` still counts when it holds its own package.json
        or when the scan starts inside it.
    """
    name = parts[-1].lower() if parts else ""
    folders = tuple(p.lower() for p in parts[:-1])
    if kind in (Kind.SOURCE_MAP, Kind.BUNDLE) and _is_server_output(folders):
        return Zone.SERVER, "server build output"
    if kind in (Kind.SOURCE_MAP, Kind.BUNDLE) and _is_node_service(project):
        return Zone.SERVER, "build output of a Node.js service"
    if kind in (Kind.HTML, Kind.SOURCE_MAP, Kind.BUNDLE):
        return Zone.BROWSER, f"{kind.value} file"
    if kind is Kind.PYTHON:
        return Zone.SERVER, "Python code"
    if kind in (Kind.ENV, Kind.JSON, Kind.YAML, Kind.TOML, Kind.TEXT):
        return Zone.UNKNOWN, "configuration or text"
    if output:
        return Zone.BROWSER, "build output folder"
    return _script_zone(kind, name, folders, project, tuple(p.lower() for p in outer))


def _script_zone(kind: Kind, name: str, folders: tuple[str, ...],
                 project: Project | None, outer: tuple[str, ...] = ()) -> tuple[Zone, str]:
    if _SERVER_NAME.search(name) or "server" in folders and "lib" in folders:
        return Zone.SERVER, "server-only module name"
    if _TOOL_CONFIG.search(name) or name in ("app.config.ts", "app.config.js"):
        return Zone.SERVER, "build tool configuration"
    if "pages" in folders and "api" in folders or folders[:1] == ("api",):
        return Zone.SERVER, "API route"
    if kind in (Kind.VUE, Kind.SVELTE):
        return Zone.BROWSER, f"{kind.value} component"
    server = _SERVER_PARTS.intersection(folders) or _SERVER_PARTS.intersection(outer)
    browser = _BROWSER_PARTS.intersection(folders) or _BROWSER_PARTS.intersection(outer)
    if server and not browser:
        return Zone.SERVER, f"server folder {sorted(server)[0]}/"
    if browser and not server:
        return Zone.BROWSER, f"browser folder {sorted(browser)[0]}/"
    if project is None:
        return Zone.UNKNOWN, "no package.json"
    return _framework_zone(name, folders, project)


def _framework_zone(name: str, folders: tuple[str, ...],
                    project: Project) -> tuple[Zone, str]:
    if project.uses(*_MOBILE_DEPS):
        return Zone.BROWSER, "React Native/Expo app"
    if project.uses("next"):
        if "pages" in folders:
            return Zone.BROWSER, "Next.js page"
        if "app" in folders:
            return Zone.SERVER, "Next.js server component (no \"use client\")"
        return Zone.UNKNOWN, "Next.js module outside pages/ and app/"
    if project.uses("nuxt") and folders[:1] in (("pages",), ("plugins",), ("layouts",)):
        return Zone.BROWSER, "Nuxt page"
    if project.uses("@sveltejs/kit") and "routes" in folders:
        return Zone.BROWSER, "SvelteKit universal module"
    if project.uses(*_SPA_DEPS) and not project.uses(*_FULLSTACK_DEPS):
        if folders[:1] == ("src",):
            return Zone.BROWSER, "single-page app source"
    return Zone.UNKNOWN, "no zone signal"


def directive_zone(text: str) -> tuple[Zone, str] | None:
    """Read the zone a module declares: ``"use client"``, ``server-only``, …

    A directive is a string statement at the top of the module, before any
    other statement; comments may precede it.
    """
    match = _DIRECTIVE.match(text)
    if match:
        which = match.group(1)
        zone = Zone.BROWSER if which == "client" else Zone.SERVER
        return zone, f"\"use {which}\" directive"
    marker = _ONLY_IMPORT.search(text)
    if marker:
        zone = Zone.BROWSER if marker.group(1) == "client" else Zone.SERVER
        return zone, f"imports {marker.group(1)}-only"
    return None


# NOTE: the possessive loop reads comments as tokens, once each; a
# backtracking loop tried every way to split them and never ended on long
# license headers.
_DIRECTIVE = lazy_compile(
    r"""\A\ufeff?(?:\s+|//[^\n]*+|/\*.*?\*/|["']use strict["'];?)*+["']use (client|server)["']""",
    re.DOTALL,
)
_ONLY_IMPORT = lazy_compile(r"""^\s*import\s+["'](client|server)-only["']""", re.MULTILINE)


@lru_cache(maxsize=4096)
def find_project(directory: Path) -> Project | None:
    """Find and read the nearest package.json at or above ``directory``."""
    manifest = directory / "package.json"
    if manifest.is_file():
        return Project(directory, _read_deps(manifest))
    if directory.parent == directory:
        return None
    return find_project(directory.parent)


def _read_deps(manifest: Path) -> frozenset[str]:
    import json  # NOTE: 2 ms of every start; most runs read no package.json

    try:
        data = json.loads(manifest.read_text(encoding="utf-8-sig"))
    except (OSError, ValueError) as exc:
        logger.info("cannot read %s: %s", manifest, exc)
        return frozenset()
    if not isinstance(data, dict):
        return frozenset()
    deps: set[str] = set()
    for table in ("dependencies", "devDependencies", "peerDependencies"):
        if isinstance(data.get(table), dict):
            deps.update(data[table])
    return frozenset(deps)


def _is_server_output(folders: tuple[str, ...]) -> bool:
    """Tell ``.next/server/`` and ``.output/server/`` (server bundles) apart."""
    return any(folders[i : i + 2] in ((".next", "server"), (".output", "server"),
                                      (".svelte-kit", "output"))
               and folders[i + 2 : i + 3] != ("client",)
               for i in range(len(folders)))


def _in_build_output(parts: tuple[str, ...]) -> bool:
    folders = [p.lower() for p in parts[:-1]]
    for pattern in _BUILD_OUTPUT:
        width = len(pattern)
        if any(tuple(folders[i : i + width]) == pattern for i in range(len(folders))):
            return True
    return False


def _is_node_service(project: Project | None) -> bool:
    """A Node.js server project with no front-end framework: its dist/ is server code."""
    return (project is not None and project.uses(*_NODE_SERVER_DEPS)
            and not project.uses(*_SPA_DEPS, *_MOBILE_DEPS, "next", "nuxt", "@sveltejs/kit",
                                 "react", "react-dom", "astro", "@remix-run/react"))


def _outer_folders(path: Path, inner_root: Path) -> tuple[str, ...]:
    """Folders from the repository root down to ``inner_root`` (exclusive)."""
    repository = _repository_root(path.parent)
    if repository is None:
        return ()
    try:
        return _resolved(inner_root).relative_to(repository).parts
    except ValueError:
        return ()


@lru_cache(maxsize=1024)
def _resolved(root: Path) -> Path:
    """Resolve a project or scan root once: many folders share one."""
    return root.resolve()


@lru_cache(maxsize=4096)
def _repository_root(directory: Path) -> Path | None:
    if (directory / ".git").exists():
        return directory
    if directory.parent == directory:
        return None
    return _repository_root(directory.parent)


def _relative_parts(path: Path, root: Path) -> tuple[str, ...]:
    try:
        return path.relative_to(root).parts
    except ValueError:
        return path.parts[-3:]
