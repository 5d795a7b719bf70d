"""The pre-commit case: ten staged files of mixed kinds, laid out as a project."""

from __future__ import annotations

import shutil
from pathlib import Path

from corpora import TREES, mark_root
from planted import PYTHON_CLIENT, TS_CLIENT

#: Staged path -> (corpus, file in it). None of them holds Perkamo code.
STAGED = {
    "backend/app/views.py": ("python-web", "site/flask/app.py"),
    "backend/app/settings.py": ("python-web", "site/django/conf/global_settings.py"),
    "web/components/Button.js": ("frontend", "vendor/mui-material/Button/Button.js"),
    "web/components/Button.d.ts": ("frontend", "vendor/mui-material/Button/Button.d.ts"),
    "web/src/Observable.ts": ("frontend", "vendor/rxjs/src/internal/Observable.ts"),
    "web/src/ApiProvider.tsx": ("monorepo",
                                "frontend/packages/reduxjs-toolkit/src/query/react/ApiProvider.tsx"),
    "web/package.json": ("frontend", "vendor/vue/package.json"),
    "backend/templates/list.html": ("python-web",
                                    "site/rest_framework/templates/rest_framework/admin/list.html"),
    "docs/README.md": ("python-web", "site/flask/sansio/README.md"),
}
COMPOSE = """\
services:
  web:
    build: ./web
    ports: ["3000:3000"]
    environment:
      API_URL: http://backend:8000
  backend:
    build: ./backend
    environment:
      DATABASE_URL: postgres://shop@db/shop
  db:
    image: postgres:16
"""
#: Files replaced, in the second case, by Perkamo client modules.
PERKAMO = {"backend/app/views.py": ("backend/app/perkamo.py", PYTHON_CLIENT),
           "web/src/Observable.ts": ("web/src/perkamo.server.ts", TS_CLIENT)}


def hook_files() -> tuple[Path, dict[str, list[str]]]:
    """Build the hook project; return it and the staged paths of each case."""
    root = TREES / "hook"
    shutil.rmtree(root, ignore_errors=True)
    mark_root(root)
    for staged, (corpus, source) in STAGED.items():
        target = root / staged
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(TREES / corpus / source, target)
    (root / "deploy").mkdir()
    (root / "deploy" / "compose.yaml").write_text(COMPOSE)
    plain = [*STAGED, "deploy/compose.yaml"]
    for path, text in PERKAMO.values():
        (root / path).write_text(text)
    with_perkamo = [PERKAMO[p][0] if p in PERKAMO else p for p in plain]
    return root, {"10 files": plain, "10 files, 2 Perkamo": with_perkamo}
