"""Benchmark corpora: real packages, pinned, downloaded and laid out as trees.

Nothing here is committed: tarballs and wheels go to ``.corpora/downloads``
and the trees to ``.corpora/trees``. Each tree holds an empty ``.git``
folder so that it is a repository of its own (perkamo-guard reads the
``.gitignore`` files up to the repository root, and ours ignores
``.corpora/``).
"""

from __future__ import annotations

import io
import json
import shutil
import subprocess
import sys
import tarfile
import zipfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

from planted import plant_monorepo, plant_python_web

CACHE = Path(__file__).resolve().parent / ".corpora"
DOWNLOADS = CACHE / "downloads"
TREES = CACHE / "trees"

#: A Next.js app's vendored UI stack: component libraries and frameworks.
FRONTEND_NPM = ("@mui/material@5.16.7", "react-dom@18.3.1", "vue@3.4.38", "rxjs@7.8.1")
#: Python web frameworks and the libraries around them (about 36 MB of .py).
PYTHON_WEB_PYPI = (
    "django==5.0.7", "flask==3.0.3", "fastapi==0.111.1", "starlette==0.37.2",
    "sqlalchemy==2.0.31", "werkzeug==3.0.3", "pydantic==2.8.2", "celery==5.4.0",
    "djangorestframework==3.15.2", "jinja2==3.1.4", "kombu==5.3.7", "alembic==1.13.2",
    "tornado==6.4.1", "twisted==24.3.0", "uvicorn==0.30.5", "httpx==0.27.0",
    "requests==2.32.3", "aiohttp==3.9.5",
)
#: A Django CMS backend (with its built admin JS) and a TypeScript front end.
MONOREPO_PYPI = ("wagtail==6.1.3",)
MONOREPO_NPM = (
    "@tanstack/query-core@5.51.21", "@tanstack/react-query@5.51.21",
    "@reduxjs/toolkit@2.2.7", "react-hook-form@7.52.2", "react-router@6.26.0",
    "zod@3.23.8",
)
#: Packages that ship minified bundles and source maps; only those are kept.
BUILD_OUTPUT_NPM = (
    "pdfjs-dist@4.5.136", "swagger-ui-dist@5.17.14", "bootstrap@5.3.3", "chart.js@4.4.3",
    "three@0.167.1", "mermaid@10.9.1",
)
_BUILD_SUFFIXES = (".js", ".mjs", ".cjs", ".map", ".css")
_BUILD_FOLDERS = frozenset({"dist", "build"})
#: Files we add to a tree for the tools' sake, not counted as corpus.
_OURS = frozenset({".built", ".semgrepignore"})


@dataclass(frozen=True)
class Corpus:
    """A built tree and what it holds."""

    name: str
    root: Path
    files: int
    size: int


def build_all(names: Iterable[str], copies: int = 4) -> dict[str, Corpus]:
    """Download what is missing and build the named trees (and the copies)."""
    builders = {"frontend": build_frontend, "python-web": build_python_web,
                "monorepo": build_monorepo, "build-output": build_build_output}
    built = {}
    for name in names:
        root = TREES / name
        if not (root / ".built").exists():
            _reset(root)
            builders[name](root)
            (root / ".built").write_text("ok\n")
        mark_root(root)
        built[name] = measure_tree(name, root)
    if copies and "frontend" in built:
        build_copies(built["frontend"].root, copies)
    return built


def build_frontend(root: Path) -> None:
    _write_json(root / "package.json", {
        "name": "shop-web", "private": True,
        "dependencies": {"next": "14.2.5", "react": "18.3.1", "react-dom": "18.3.1"},
    })
    for spec in FRONTEND_NPM:
        _unpack_npm(spec, root / "vendor" / _npm_name(spec))


def build_python_web(root: Path) -> None:
    for spec in PYTHON_WEB_PYPI:
        _unpack_wheel(spec, root / "site")
    plant_python_web(root / "shop")


def build_monorepo(root: Path) -> None:
    (root / ".gitignore").write_text("node_modules/\n.env\n*.pyc\n")
    for spec in MONOREPO_PYPI:
        _unpack_wheel(spec, root / "backend")
    _write_json(root / "frontend" / "package.json", {
        "name": "web", "private": True,
        "dependencies": {"next": "14.2.5", "react": "18.3.1", "zod": "3.23.8"},
    })
    for spec in MONOREPO_NPM:
        _unpack_npm(spec, root / "frontend" / "packages" / _npm_name(spec))
    plant_monorepo(root)


def build_build_output(root: Path) -> None:
    for spec in BUILD_OUTPUT_NPM:
        target = root / "public" / "assets" / _npm_name(spec)
        _unpack_npm(spec, target, keep=_is_build_output)


def build_copies(source: Path, copies: int) -> list[Path]:
    """Lay out ``copies`` copies of a tree under ``trees/scaled``."""
    paths = []
    for index in range(1, copies + 1):
        target = TREES / "scaled" / f"copy{index}"
        if not (target / ".built").exists():
            shutil.rmtree(target, ignore_errors=True)
            shutil.copytree(source, target, symlinks=True)
        paths.append(target)
    mark_root(TREES / "scaled")
    return paths


def measure_tree(name: str, root: Path) -> Corpus:
    files = list(files_of(root))
    return Corpus(name, root, len(files), sum(p.stat().st_size for p in files))


def files_of(root: Path) -> Iterator[Path]:
    """Every file of a tree, outside ``.git``."""
    for path in root.rglob("*"):
        if path.is_file() and ".git" not in path.parts and path.name not in _OURS:
            yield path


def mark_root(root: Path) -> None:
    """Make ``root`` a repository root that no tool skips parts of.

    An empty ``.semgrepignore`` replaces Semgrep's default one, which skips
    ``build/``, ``dist/``, ``vendor/``, tests and ``*.min.js``: every tool
    scans the same files, as ripgrep does with ``--no-ignore --hidden``.
    """
    (root / ".git").mkdir(parents=True, exist_ok=True)
    (root / ".semgrepignore").touch()


def _reset(root: Path) -> None:
    shutil.rmtree(root, ignore_errors=True)
    mark_root(root)


def _npm_name(spec: str) -> str:
    name = spec.rsplit("@", 1)[0]
    return name.lstrip("@").replace("/", "-")


def _is_build_output(member: str) -> bool:
    parts = member.split("/")
    in_output = bool(_BUILD_FOLDERS.intersection(parts[:-1])) or len(parts) == 2
    return in_output and member.endswith(_BUILD_SUFFIXES)


def _unpack_npm(spec: str, target: Path, keep: object = None) -> None:
    """Unpack an npm tarball's ``package/`` folder into ``target``."""
    tarball = _download_npm(spec)
    with tarfile.open(tarball) as archive:
        for member in archive.getmembers():
            if not member.isfile():
                continue
            relative = member.name.split("/", 1)[1] if "/" in member.name else member.name
            if callable(keep) and not keep(member.name):
                continue
            _write_member(target / relative, archive.extractfile(member))


def _unpack_wheel(spec: str, target: Path) -> None:
    with zipfile.ZipFile(_download_wheel(spec)) as archive:
        for info in archive.infolist():
            if info.is_dir() or ".dist-info/" in info.filename:
                continue
            _write_member(target / info.filename, archive.open(info))


def _write_member(path: Path, handle: io.BufferedIOBase | None) -> None:
    if handle is None or ".." in path.parts:
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    with handle, path.open("wb") as out:
        shutil.copyfileobj(handle, out)


def _download_npm(spec: str) -> Path:
    folder = DOWNLOADS / "npm"
    name, version = spec.rsplit("@", 1)
    expected = folder / f"{name.lstrip('@').replace('/', '-')}-{version}.tgz"
    if not expected.exists():
        folder.mkdir(parents=True, exist_ok=True)
        _run(["npm", "pack", "--silent", spec], folder)
    return expected


def _download_wheel(spec: str) -> Path:
    folder = DOWNLOADS / "pypi"
    name, version = spec.split("==")
    found = _find_wheel(folder, name, version)
    if found is None:
        folder.mkdir(parents=True, exist_ok=True)
        # Wheels of one platform and Python, so that the tree is the same
        # wherever the benchmark runs; a wheel needs no build step.
        _run([sys.executable, "-m", "pip", "download", "--quiet", "--no-deps",
              "--only-binary", ":all:", "--python-version", "3.11", "--implementation",
              "cp", "--platform", "manylinux2014_x86_64", "-d", str(folder), spec], folder)
        found = _find_wheel(folder, name, version)
    if found is None:
        raise RuntimeError(f"pip download left no wheel for {spec}")
    return found


def _find_wheel(folder: Path, name: str, version: str) -> Path | None:
    wanted = name.lower().replace("-", "_")
    for wheel in folder.glob("*.whl") if folder.exists() else ():
        project, wheel_version = wheel.name.split("-")[:2]
        if project.lower().replace("-", "_") == wanted and wheel_version == version:
            return wheel
    return None


def _write_json(path: Path, data: object) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data, indent=2) + "\n")


def _run(command: list[str], cwd: Path) -> None:
    done = subprocess.run(command, cwd=cwd, capture_output=True, text=True)
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(command)} failed:\n{done.stderr[-2000:]}")
