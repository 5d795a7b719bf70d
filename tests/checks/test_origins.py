"""Origin rules PG201-PG205: where origin lists are found, and where each entry is."""

from __future__ import annotations

from pathlib import Path

import pytest

from perkamo_guard.engine import RunResult
from tests.conftest import scan, write_tree

Found = set[tuple[str, str, int, int]]
LIVE = "sk_live_" + "9Qv2Lr7Tx4Pz8Wm3Nb6Kc1Hd"


def _scan(tmp_path: Path, files: dict[str, str | bytes], select: str = "ALL") -> RunResult:
    write_tree(tmp_path, files)
    return scan(tmp_path, select=select)


def _found(tmp_path: Path, files: dict[str, str | bytes], select: str = "ALL") -> Found:
    result = _scan(tmp_path, files, select)
    assert result.errors == []
    return {(f.rule, f.path, f.line, f.column) for f in result.findings
            if f.rule.startswith("PG2")}


# --- Data documents ----------------------------------------------------------


@pytest.mark.parametrize(
    ("files", "expected"),
    [
        # YAML: a block list, one finding per bad entry, at its first character.
        ({"perkamo.yaml": "allowed_origins:\n  - https://a.example/\n  - '*'\n"},
         {("PG202", "perkamo.yaml", 2, 5), ("PG201", "perkamo.yaml", 3, 6)}),
        # A flow list, and a key nested under browser_sdk in any file name.
        ({"config/app.yaml": "browser_sdk: {allowedOrigins: [https://a.example, "
                             "http://b.example]}\n"},
         {("PG204", "config/app.yaml", 1, 51)}),
        # One string holding several entries, comma and space separated.
        ({"perkamo.yml": "origins: https://a.example, https://*.b.example  c.example\n"},
         {("PG201", "perkamo.yml", 1, 29), ("PG205", "perkamo.yml", 1, 50)}),
        # A folded block scalar: the value's text is not the file's text.
        ({"perkamo.yaml": "allowed_origins: >\n  https://a.example\n  https://b.example/\n"},
         {("PG202", "perkamo.yaml", 3, 3)}),
        # Two YAML documents, an anchor and an alias: the alias is the same
        # node, reported where it is written.
        ({"perkamo.yaml": "---\nsites: &s [\"https://a.example/\"]\n---\norigins: ok\n"},
         {("PG205", "perkamo.yaml", 4, 10)}),
        # JSON: the same string twice; only the entry under the key is reported.
        ({"perkamo.json": '{"docs": "https://a.example/",\n'
                          ' "allowedOrigins": ["https://a.example/"]}\n'},
         {("PG202", "perkamo.json", 2, 22)}),
        # JSON with escapes: placed at the literal's first character.
        ({"perkamo.json": '{"origins": ["https:\\/\\/a.example\\/"]}'},
         {("PG202", "perkamo.json", 1, 15)}),
        # JSONC, as editors write it.
        ({"perkamo.json": '{\n  // staging\n  "origins": ["http://s.example",],\n}\n'},
         {("PG204", "perkamo.json", 3, 16)}),
        # TOML: dotted keys, a multi-line array and a literal string.
        ({"perkamo.toml": "browser_sdk.allowed_origins = [\n  'https://a.example/x',\n]\n"},
         {("PG202", "perkamo.toml", 2, 4)}),
        # TOML: an inline table and an array of tables under tool.perkamo.
        ({"pyproject.toml": "[[tool.perkamo.sites]]\nname = 'shop'\n"
                            "sdk = { origins = \"https://A.example\" }\n"},
         {("PG205", "pyproject.toml", 3, 20)}),
        # A document that says it is Perkamo config.
        ({"deploy/sdk.json": '{"$schema": "https://schemas.perkamo.com/browser-sdk.json",'
                             ' "allowed_origins": ["*"]}'},
         {("PG201", "deploy/sdk.json", 1, 82)}),
        # A name that says Perkamo and origins needs no other context.
        ({"docker-compose.yml": "services:\n  api:\n    environment:\n"
                                "      PERKAMO_ALLOWED_ORIGINS: https://a.example/\n"},
         {("PG202", "docker-compose.yml", 4, 32)}),
        # Env lists of compose files and Kubernetes manifests.
        ({"docker-compose.yml": "services:\n  api:\n    environment:\n"
                                "      - PERKAMO_ALLOWED_ORIGINS=https://a.example/\n"},
         {("PG202", "docker-compose.yml", 4, 33)}),
        ({"k8s/api.yaml": "env:\n  - name: PERKAMO_ALLOWED_ORIGINS\n"
                          "    value: \"https://ok.example,http://a.example\"\n"},
         {("PG204", "k8s/api.yaml", 3, 32)}),
    ],
)
def test_data_document_entries_are_found_at_their_first_character(
        tmp_path: Path, files: dict[str, str | bytes], expected: Found) -> None:
    assert _found(tmp_path, files) == expected


def test_json_with_a_byte_order_mark_is_read_with_columns_after_it(tmp_path: Path) -> None:
    files = {"perkamo.json": b'\xef\xbb\xbf{\n  "allowedOrigins": ["*"]\n}\n'}
    assert _found(tmp_path, files) == {("PG201", "perkamo.json", 2, 23)}


# --- Env files -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("line", "column"),
    [
        ("PERKAMO_ALLOWED_ORIGINS=https://a.example/", 25),
        ("PERKAMO_ALLOWED_ORIGINS = https://a.example/", 27),
        ('PERKAMO_ALLOWED_ORIGINS="https://a.example/"', 26),
        ("export PERKAMO_ALLOWED_ORIGINS='https://a.example/'", 33),
        ("NEXT_PUBLIC_PERKAMO_ORIGINS=https://b.example https://a.example/", 47),
        ("PERKAMO_ALLOWED_ORIGIN=https://ok.example,https://a.example/", 43),
        ("PERKAMO_BROWSER_SDK_ORIGINS=https://ok.example,,https://a.example/", 49),
    ],
)
def test_env_entries_are_placed_inside_the_value(tmp_path: Path, line: str,
                                                 column: int) -> None:
    files = {".env": f"PERKAMO_SPACE=rewards\n{line}\n"}
    assert _found(tmp_path, files) == {("PG202", ".env", 2, column)}


@pytest.mark.parametrize(
    "line",
    [
        "PERKAMO_ALLOWED_ORIGINS=https://a.example,http://localhost:3000",
        "PERKAMO_ALLOWED_ORIGINS=${SHOP_ORIGIN},https://a.example",
        "PERKAMO_ALLOWED_ORIGINS=",
        "PERKAMO_ALLOWED_ORIGINS=<your shop's origins, comma-separated>",
        "CORS_ALLOWED_ORIGINS=*",
        "ALLOWED_ORIGINS=*",
        "PERKAMO_ORIGIN_HEADER_CHECK=true",
    ],
)
def test_env_lines_without_a_bad_perkamo_origin_are_silent(tmp_path: Path,
                                                          line: str) -> None:
    assert _found(tmp_path, {".env": f"{line}\n"}) == set()


# --- Python -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("code", "expected"),
    [
        # A parenthesised string is one origin, never a list of characters.
        ('PERKAMO_ALLOWED_ORIGINS = ("https://a.example")\n', set()),
        ('PERKAMO_ALLOWED_ORIGINS = ("https://a.example/")\n', {(1, 29)}),
        ('PERKAMO_ALLOWED_ORIGINS = ("https://a.example/",)\n', {(1, 29)}),
        ('PERKAMO_ALLOWED_ORIGINS = "https://ok.example https://a.example/".split()\n',
         {(1, 47)}),
        # Implicit concatenation and escapes: found inside the literal.
        ('PERKAMO_ORIGINS = ["https://ok.example" "/x"]\n', {(1, 21)}),
        ('PERKAMO_ORIGINS = ["https://a.example\\x2f"]\n', {(1, 21)}),
        ('PERKAMO_ORIGINS = [r"https://a.example/", """https://b.example/"""]\n',
         {(1, 22), (1, 46)}),
        # A key under a Perkamo name, a class, a call and a subscript target.
        ('PERKAMO = {"browser_sdk": {"origins": ["https://a.example/"]}}\n', {(1, 41)}),
        ("class PerkamoSettings:\n    allowed_origins: list[str] = ['https://a.example/']\n",
         {(2, 36)}),
        ('perkamo.configure(allowed_origins=["https://a.example/"])\n', {(1, 37)}),
        ('app.config["PERKAMO_ALLOWED_ORIGINS"] = "https://a.example/"\n', {(1, 42)}),
        # Admin config upload: the payload in a variable of the same scope.
        ('def push():\n    body = {"allowed_origins": ["https://a.example/"]}\n'
         '    requests.post(f"{API}/v1/admin/config/browser_sdk", json=body)\n',
         {(2, 34)}),
        # Computed values are not followed; comparisons are not entries.
        ('PERKAMO_ALLOWED_ORIGINS = os.environ.get("X", "https://a.example/")\n', set()),
        ('PERKAMO_ALLOWED_ORIGINS = [f"https://{HOST}/"]\n', set()),
        ('PERKAMO_ALLOWED_ORIGINS = [o for o in ORIGINS if o != "*"]\n', set()),
        # Unrelated CORS settings and unrelated keys stay silent.
        ('CORS_ALLOWED_ORIGINS = ["*"]\nALLOWED_ORIGINS = ["*"]\n', set()),
        ('app.add_middleware(CORSMiddleware, allow_origins=["*"])\n', set()),
        ('PERKAMO_RETURN_URL = "https://a.example/rewards"\n', set()),
    ],
)
def test_python_entries_are_found_in_constants_config_and_uploads(
        tmp_path: Path, code: str, expected: set[tuple[int, int]]) -> None:
    found = _found(tmp_path, {"server/settings.py": code})
    assert {(line, column) for _, _, line, column in found} == expected


def test_python_cors_in_a_perkamo_module_stays_silent(tmp_path: Path) -> None:
    code = 'CORS(app, origins=["*"])\nperkamoRouter = CORS(app, origins=["*"])\n'
    assert _found(tmp_path, {"server/perkamo_proxy.py": code}) == set()


def test_python_newer_syntax_still_yields_the_constants_around_it(tmp_path: Path) -> None:
    code = 'type Shops = list[str]\nPERKAMO_ALLOWED_ORIGINS = ["*"]\n'
    assert _found(tmp_path, {"settings.py": code}) == {("PG201", "settings.py", 2, 29)}


def test_python_statement_that_no_parser_reads_is_a_file_error(tmp_path: Path) -> None:
    code = 'PERKAMO_ALLOWED_ORIGINS = ["*"\nprint "origins"\n'
    result = _scan(tmp_path, {"settings.py": code})
    assert [e.message for e in result.errors] == [
        "cannot parse the Python statements at line 1, 2; "
        "allowed origins in them are not checked"
    ]


# --- JS, TS and components ----------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "code", "expected"),
    [
        ("src/perkamo.config.ts",
         'export default {\n  allowedOrigins: ["https://*.a.example", "https://a.example"],\n'
         "} satisfies PerkamoConfig;\n", {("PG201", 2, 21)}),
        ("perkamo.config.js",
         'module.exports = { allowedOrigins: "https://a.example https://b.example/" };\n',
         {("PG202", 1, 55)}),
        ("src/app.ts",
         'Perkamo.init({ browserSdk: { origins: ["http://a.example"] } });\n',
         {("PG204", 1, 41)}),
        ("src/config.ts",
         'export const PERKAMO_ALLOWED_ORIGINS = ["https://a.example/" + "x"];\n',
         {("PG202", 1, 42)}),
        ("scripts/push.mjs",
         'const body = { allowedOrigins: ["*"] };\n'
         'await fetch(`${API}/v1/admin/config/browser_sdk`, { method: "POST", '
         "body: JSON.stringify(body) });\n", {("PG201", 1, 34)}),
        ("src/App.vue",
         '<template><div /></template>\n<script setup lang="ts">\n'
         'const perkamo = { allowedOrigins: ["https://a.example/"] };\n</script>\n',
         {("PG202", 3, 37)}),
        ("public/index.html",
         '<meta http-equiv="Content-Security-Policy" content="connect-src \'self\'">\n'
         '<script>Perkamo.init({ allowedOrigins: ["https://a.example/"] });</script>\n',
         {("PG202", 2, 42)}),
        # Templates with substitutions, CORS options and CSP headers are silent.
        ("src/perkamo.ts", "export const perkamo = { origins: [`https://${host}/`] };\n", set()),
        ("server/perkamo.ts", 'app.use(cors({ origins: ["*"] }));\n', set()),
        ("server/app.ts", 'app.use(cors({ origin: "*" }));\n', set()),
        ("next.config.js",
         'module.exports = { headers: async () => [{ source: "/(.*)", headers: [\n'
         '  { key: "Content-Security-Policy", value: "connect-src \'self\' '
         "https://api.perkamo.com\" }] }],\n"
         '  experimental: { serverActions: { allowedOrigins: ["*.proxy.example"] } } };\n',
         set()),
    ],
)
def test_script_entries_are_found_in_perkamo_objects_and_constants(
        tmp_path: Path, path: str, code: str, expected: set[tuple[str, int, int]]) -> None:
    found = _found(tmp_path, {path: code})
    assert {(rule, line, column) for rule, _, line, column in found} == expected


def test_upload_with_a_route_built_from_pieces_is_found_through_the_sinks(
        tmp_path: Path) -> None:
    code = ('const PATH = "/v1/admin/" + "config/browser_sdk";\n'
            "export async function push(extra) {\n"
            '  const body = { ...extra, allowedOrigins: ["*"] };\n'
            '  body.allowedOrigins.push("https://a.example/");\n'
            '  await axios.post("https://api.perkamo.com" + PATH, body);\n}\n')
    assert _found(tmp_path, {"scripts/push.ts": code}) == {
        ("PG201", "scripts/push.ts", 3, 46),
        ("PG202", "scripts/push.ts", 4, 29),
    }


# --- Context, silence and configuration ---------------------------------------------------


@pytest.mark.parametrize(
    ("files"),
    [
        # No Perkamo context: another product's config and a generic name.
        {"config/cors.yaml": "allowed_origins:\n  - '*'\n"},
        {"package.json": '{"name": "shop", "origins": ["*"]}'},
        # Correct entries, and CSP where it belongs.
        {"perkamo.yaml": "allowed_origins: [https://a.example, 'http://[::1]:8080']\n"
                         "csp: \"connect-src 'self' https://api.perkamo.com\"\n"},
        {"public/index.html": '<meta http-equiv="Content-Security-Policy" '
                              "content=\"connect-src 'self' https://api.perkamo.com\">\n"},
        # Values that are not strings, and templated entries.
        {"perkamo.yaml": "origins: [1, null, true]\nallowed_origins:\n"},
        {"perkamo.yaml": "origins: ['{{ shop_origin }}', '${SHOP}', '$SHOP']\n"},
        # Lock files are never parsed.
        {"package-lock.json": '{"packages": {"perkamo": {"origins": ["*"]}}}'},
        {"pnpm-lock.yaml": "perkamo:\n  origins: ['*']\n"},
        # A mapping under an origin key is not a list of origins.
        {"perkamo.yaml": "origins:\n  production: {enabled: true}\n"},
    ],
)
def test_correct_or_unrelated_origin_settings_are_silent(
        tmp_path: Path, files: dict[str, str | bytes]) -> None:
    assert _found(tmp_path, files) == set()


def test_configured_keys_and_context_opt_settings_in(tmp_path: Path) -> None:
    files = {
        ".perkamo-guard.toml": 'origin-keys = ["CORS_ALLOWED_ORIGINS", "sdk_hosts"]\n'
                               'origin-context = ["loyalty"]\n',
        "backend/settings.py": 'CORS_ALLOWED_ORIGINS = ["*"]\n',
        "config/app.yaml": "sdk-hosts: https://a.example/\n",
        "config/loyalty.json": '{"allowedOrigins": ["http://a.example"]}',
        "config/other.json": '{"allowedOrigins": ["http://a.example"]}',
    }
    assert _found(tmp_path, files) == {
        ("PG201", "backend/settings.py", 1, 26),
        ("PG202", "config/app.yaml", 1, 12),
        ("PG204", "config/loyalty.json", 1, 22),
    }


def test_one_entry_gets_one_finding_in_contract_order(tmp_path: Path) -> None:
    files = {"perkamo.yaml": "origins:\n  - \"connect-src https://*.a.example/\"\n"
                             "  - http://*.a.example/x\n  - HTTP://a.example/\n"}
    assert _found(tmp_path, files) == {
        ("PG203", "perkamo.yaml", 2, 6),
        ("PG201", "perkamo.yaml", 3, 5),
        ("PG202", "perkamo.yaml", 4, 5),
    }


def test_message_names_the_entry_and_gives_the_fix(tmp_path: Path) -> None:
    result = _scan(tmp_path, {"perkamo.yaml": "origins: ['https://shop.example.com/']\n"})
    [finding] = result.findings
    assert finding.message == ('allowed origin "https://shop.example.com/" has a trailing '
                               "slash; use https://shop.example.com")
    assert (finding.end_line, finding.end_column) == (1, 37)


# --- Hostile and malformed input ----------------------------------------------------


@pytest.mark.parametrize(
    ("path", "text", "error"),
    [
        ("perkamo.json", '{"allowedOrigins": ["*"', "cannot parse JSON: expected"),
        ("perkamo.yaml", "origins: [a\n  b: c\n", "cannot parse YAML:"),
        ("perkamo.toml", "origins = [\n", "cannot parse TOML:"),
    ],
)
def test_malformed_document_is_a_file_error_and_keeps_key_findings(
        tmp_path: Path, path: str, text: str, error: str) -> None:
    marker = {"perkamo.json": "", "perkamo.yaml": "# ", "perkamo.toml": "# "}[path]
    result = _scan(tmp_path, {path: f"{marker}{LIVE}\n{text}" if marker else text,
                              "key.json": f'{{"origins": 1, "k": "{LIVE}"}}'})
    assert [e.message[: len(error)] for e in result.errors] == [error]
    assert result.errors[0].message.endswith("allowed origins in it are not checked")
    assert "PG103" in {f.rule for f in result.findings}


def test_malformed_document_outside_perkamo_context_is_never_parsed(tmp_path: Path) -> None:
    result = _scan(tmp_path, {"config/site.json": '{"allowedOrigins": ["*"'})
    assert (result.errors, result.findings) == ([], [])


def test_helm_template_is_skipped_without_an_error(tmp_path: Path) -> None:
    text = "perkamo:\n  origins: {{ .Values.origins | toJson }}\n  {{- end }}\n"
    result = _scan(tmp_path, {"chart/templates/perkamo.yaml": text})
    assert (result.errors, result.findings) == ([], [])


@pytest.mark.parametrize(
    ("files"),
    [
        {"perkamo.json": '{"origins": ' + "[" * 5000 + "]" * 5000 + "}"},
        {"perkamo.yaml": "a: &a [origins, origins]\n"
                         + "".join(f"{c}: &{c} [*{p}, *{p}]\n"
                                   for p, c in zip("abcdefgh", "bcdefghi"))
                         + "origins: *i\n"},
        {"perkamo.py": "PERKAMO_ORIGINS = " + "[" * 3000 + "]" * 3000 + "\n"},
        {"perkamo.ts": "const perkamo = { origins: " + "[" * 3000 + "]" * 3000 + " };\n"},
        {"perkamo.py": "PERKAMO_ORIGINS = " + " + ".join(['"a"'] * 5000) + "\n"},
        {".env": "PERKAMO_ORIGINS=\"unterminated\n"},
    ],
)
def test_hostile_input_never_crashes(tmp_path: Path,
                                     files: dict[str, str | bytes]) -> None:
    result = _scan(tmp_path, files)
    assert not [e for e in result.errors if "internal error" in e.message]


def test_entry_with_a_password_control_characters_or_great_length_is_shown_safely(
        tmp_path: Path) -> None:
    files = {"perkamo.yaml": 'origins:\n  - "https://shop:hunter2secret@a.example"\n'
                             '  - "https://a.example/\\u001b[31m"\n'
                             f'  - "https://a.example/{"x" * 200}"\n'}
    result = _scan(tmp_path, files)
    shown = " ".join(f.message + f.snippet for f in result.findings)
    assert len(result.findings) == 3
    assert "hunter2secret" not in shown and "\x1b" not in shown
    assert max(len(f.message) for f in result.findings) < 200
