"""Kinds and zones: paths, frameworks, directives and config globs."""

from __future__ import annotations

from pathlib import Path, PurePosixPath

import pytest

from perkamo_guard.model import Kind, Zone
from tests.conftest import scan, write_tree

NEXT = '{"dependencies": {"next": "14.2.3", "react": "18.3.1"}}'
VITE = '{"devDependencies": {"vite": "5.2.0"}, "dependencies": {"react": "18.3.1"}}'
EXPO = '{"dependencies": {"expo": "51.0.0", "react-native": "0.74.0"}}'
KIT = '{"devDependencies": {"@sveltejs/kit": "2.5.0", "svelte": "4.2.0"}}'
NUXT = '{"dependencies": {"nuxt": "3.11.0"}}'


def _zones(tmp_path: Path, files: dict[str, str]) -> dict[str, tuple[str, str]]:
    write_tree(tmp_path, files)
    return {c.display: (c.kind.value, c.zone.value) for c in scan(tmp_path).zones}


@pytest.mark.parametrize(
    ("manifest", "path", "content", "kind", "zone"),
    [
        (NEXT, "pages/api/redeem.ts", "", Kind.TYPESCRIPT, Zone.SERVER),
        (NEXT, "pages/rewards.tsx", "", Kind.TSX, Zone.BROWSER),
        (NEXT, "app/rewards/page.tsx", "", Kind.TSX, Zone.SERVER),
        (NEXT, "app/api/points/route.ts", "", Kind.TYPESCRIPT, Zone.SERVER),
        (NEXT, "app/rewards/Button.tsx", "'use client';\n", Kind.TSX, Zone.BROWSER),
        (NEXT, "app/actions.ts", '"use server";\n', Kind.TYPESCRIPT, Zone.SERVER),
        (NEXT, "lib/perkamo.ts", 'import "server-only";\n', Kind.TYPESCRIPT, Zone.SERVER),
        (NEXT, "lib/perkamo.server.ts", "", Kind.TYPESCRIPT, Zone.SERVER),
        (NEXT, "middleware.ts", "", Kind.TYPESCRIPT, Zone.SERVER),
        (NEXT, ".next/static/chunks/app/page-1a2b.js", "", Kind.BUNDLE, Zone.BROWSER),
        (NEXT, ".next/server/app/page.js.map", "", Kind.SOURCE_MAP, Zone.SERVER),
        (NEXT, "next.config.js", "", Kind.JAVASCRIPT, Zone.SERVER),
        (VITE, "src/lib/perkamo.ts", "", Kind.TYPESCRIPT, Zone.BROWSER),
        (VITE, "dist/assets/index-7c1d2e.js", "", Kind.BUNDLE, Zone.BROWSER),
        (VITE, "dist/assets/index-7c1d2e.js.map", "", Kind.SOURCE_MAP, Zone.BROWSER),
        (VITE, "vite.config.ts", "", Kind.TYPESCRIPT, Zone.SERVER),
        (EXPO, "App.tsx", "", Kind.TSX, Zone.BROWSER),
        (EXPO, "android/app/src/main/assets/index.android.bundle", "", Kind.BUNDLE,
         Zone.BROWSER),
        (KIT, "src/routes/+page.svelte", "", Kind.SVELTE, Zone.BROWSER),
        (KIT, "src/routes/+page.server.ts", "", Kind.TYPESCRIPT, Zone.SERVER),
        (KIT, "src/routes/api/+server.ts", "", Kind.TYPESCRIPT, Zone.SERVER),
        (KIT, "src/lib/server/perkamo.ts", "", Kind.TYPESCRIPT, Zone.SERVER),
        (NUXT, "pages/index.vue", "", Kind.VUE, Zone.BROWSER),
        (NUXT, "server/api/points.ts", "", Kind.TYPESCRIPT, Zone.SERVER),
        (None, "public/index.html", "", Kind.HTML, Zone.BROWSER),
        (None, "storybook-static/main.min.js", "", Kind.BUNDLE, Zone.BROWSER),
        (None, "src/widget/config.js", "", Kind.JAVASCRIPT, Zone.BROWSER),
        (None, "extension/popup.js", "", Kind.JAVASCRIPT, Zone.BROWSER),
        (None, "backend/app/main.py", "", Kind.PYTHON, Zone.SERVER),
        (None, "static/js/app.py", "", Kind.PYTHON, Zone.SERVER),
        (None, "tools/thing.js", "", Kind.JAVASCRIPT, Zone.UNKNOWN),
        (None, ".env.production", "", Kind.ENV, Zone.UNKNOWN),
        (None, "config/settings.env", "", Kind.ENV, Zone.UNKNOWN),
        (None, "src/env.d.ts", "", Kind.TYPESCRIPT, Zone.UNKNOWN),
        (None, "package-lock.json", "", Kind.JSON, Zone.UNKNOWN),
    ],
)
def test_file_gets_kind_and_zone(tmp_path: Path, manifest: str | None, path: str,
                                 content: str, kind: Kind, zone: Zone) -> None:
    files = {path: content or "x = 1\n"}
    if manifest:
        files["package.json"] = manifest
    assert _zones(tmp_path, files)[path] == (kind.value, zone.value)


def test_module_imported_by_a_client_component_is_browser(tmp_path: Path) -> None:
    zones = _zones(tmp_path, {
        "package.json": NEXT,
        "app/Button.tsx": '"use client";\nimport { k } from "../lib/points";\n'
                          'import { t } from "@/lib/tiers";\n',
        "lib/points.ts": 'import { h } from "./helpers";\nexport const k = 1;\n',
        "lib/helpers.ts": "export const h = 1;\n",
        "lib/tiers.ts": "export const t = 1;\n",
        "lib/server.ts": 'import "server-only";\nexport const s = 1;\n',
        "lib/unused.ts": "export const u = 1;\n",
    })
    assert zones["lib/points.ts"][1] == "browser"
    assert zones["lib/helpers.ts"][1] == "browser"
    assert zones["lib/tiers.ts"][1] == "browser"
    assert zones["lib/server.ts"][1] == "server"
    assert zones["lib/unused.ts"][1] == "unknown"


def test_config_globs_override_the_guess(tmp_path: Path) -> None:
    zones = _zones(tmp_path, {
        ".perkamo-guard.toml": 'browser = ["tools/**"]\nserver = ["public/ssr/**"]\n',
        "tools/embed.js": "x\n",
        "public/ssr/render.js": "x\n",
    })
    assert zones["tools/embed.js"][1] == "browser"
    assert zones["public/ssr/render.js"][1] == "server"


def test_show_zones_lists_every_file_with_a_reason(tmp_path: Path) -> None:
    from tests.conftest import run_cli

    write_tree(tmp_path, {"package.json": NEXT, "app/page.tsx": "x\n"})
    proc = run_cli("check", ".", "--show-zones", cwd=tmp_path)
    assert "app/page.tsx: tsx, server (Next.js server component" in proc.stdout


@pytest.mark.parametrize(("head", "expected"), [
    ("/* license */\n" * 40 + "export const a = 1;\n", None),
    ("/* license */\n" * 40 + "'use client';\n", Zone.BROWSER),
    ("// note\n" * 200 + "\"use server\";\n", Zone.SERVER),
    ("/* a */ run(); /* b */ \"use client\";\n", None),
])
def test_directive_after_many_comments_is_read_in_linear_time(
        head: str, expected: Zone | None) -> None:
    from perkamo_guard.classify import directive_zone

    declared = directive_zone(head)
    assert (declared[0] if declared else None) is expected


def test_folder_signals_above_a_package_root_still_count(tmp_path: Path) -> None:
    import subprocess

    subprocess.run(["git", "init", "-q", str(tmp_path)], check=True)
    zones = _zones(tmp_path, {
        "packages/widget/package.json": '{"name": "widget"}',
        "packages/widget/src/loader.js": "x\n",
        "server/package.json": '{"name": "api"}',
        "server/index.js": "x\n",
    })
    assert zones["packages/widget/src/loader.js"][1] == "browser"
    assert zones["server/index.js"][1] == "server"


def test_scan_started_inside_a_browser_folder_keeps_its_zone(tmp_path: Path) -> None:
    import subprocess

    subprocess.run(["git", "init", "-q", str(tmp_path)], check=True)
    write_tree(tmp_path, {"widget/loader.js": "x\n"})
    zones = {c.display: c.zone.value for c in scan(tmp_path / "widget").zones}
    assert zones == {"loader.js": "browser"}


def test_build_output_of_a_node_service_is_server(tmp_path: Path) -> None:
    zones = _zones(tmp_path, {"api/package.json": '{"dependencies": {"express": "4.19.0"}}',
                              "api/dist/index.js": "x\n"})
    assert zones["api/dist/index.js"] == ("bundle", "server")


@pytest.mark.parametrize("name", ["a.py", ".env", ".bashrc", "foo.", "..x", "a.b.c.ts",
                                  "App.TSX", "x.min.js", "bundle.js.map", "noext", ".env.local",
                                  "weird..js", "a.d.ts", "index.vue"])
def test_kind_from_a_name_reads_the_suffix_as_pathlib_does(name: str) -> None:
    from perkamo_guard.classify import _EXTENSION_KINDS, kind_of_name

    kind = kind_of_name(name)
    expected = _EXTENSION_KINDS.get(PurePosixPath(name.lower()).suffix, Kind.TEXT)
    assert kind == expected or kind in (Kind.ENV, Kind.BUNDLE)


@pytest.mark.parametrize("size", [20_000, 20_999, 21_000, 50_000, 1_000_003])
@pytest.mark.parametrize("breaks", [0, 1, 19, 20, 21, 49, 50, 51, 999, 1000, 1001])
def test_minified_means_lines_of_a_thousand_bytes_on_average(size: int, breaks: int) -> None:
    from perkamo_guard.engine import _is_minified

    step = size // (breaks + 1)
    data = bytearray(b"x" * size)
    for index in range(1, breaks + 1):
        data[index * step] = ord("\n")
    expected = size // (breaks + 1) >= 1000
    assert _is_minified(bytes(data)) is expected
    assert _is_minified(b"x" * 19_999) is False
