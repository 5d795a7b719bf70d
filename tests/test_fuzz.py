"""Fuzz every file-kind entry point: whatever a file holds, no exception escapes.

Each example writes one file of a kind (arbitrary bytes, or a soup of the
tokens the rule families look for) and scans it through ``Scanner.scan_file``
with every family selected. The invariant: the call returns, every problem
is a FileError, no family reports an internal error, and every finding has
a sane position and no whole key.

The normal suite replays a short bounded fuzz (25 examples a kind, a few
seconds); ``PG_FUZZ_EXAMPLES`` sets the examples per file kind for a longer,
random run, for instance::

    PG_FUZZ_EXAMPLES=5000 python -m pytest tests/test_fuzz.py -p no:cacheprovider
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from perkamo_guard.catalogue import expand_codes
from perkamo_guard.config import Config
from perkamo_guard.discover import Discovered
from perkamo_guard.engine import RunResult, Scanner
from perkamo_guard.keys import find_keys
from perkamo_guard.model import FileError

EXAMPLES = int(os.environ.get("PG_FUZZ_EXAMPLES", "25"))
#: The short run in the suite replays the same examples; a long run explores.
REPLAY = "PG_FUZZ_EXAMPLES" not in os.environ

#: One file name per kind (and the zones that change which rules run).
NAMES = ["server/app.py", "client/app.js", "client/app.ts", "components/App.tsx",
         "components/App.vue", "components/App.svelte", "backend/.env", "web/.env.local",
         "config/perkamo.json", "config/perkamo.yaml", "pyproject.toml",
         "public/index.html", "dist/app.js.map", "dist/app.min.js", "docs/README.md",
         "next.config.js", "package.json"]

#: What the families trigger on and parse around, with the syntax between.
TOKENS = [
    "sk_live_", "sk_test_", "9Qv2Lr7Tx4Pz8Wm3Nb6Kc1Hd", "PERKAMO_SECRET_KEY", "NEXT_PUBLIC_",
    "c2tfbGl2ZV", "allowed_origins", "origins", "https://", "http://", "*", "localhost",
    "'self'", "connect-src", "api.perkamo.com", "/v1/events", "/v1/identify", "/v1/client/",
    "/v1/events:batch", "fetch(", "requests.post(", "axios.post(", "json=", "body:",
    "JSON.stringify(", "password", "card_number", "4111111111111111", "Bearer ",
    "eyJhbGciOi.eyJzdWIi.x", "retry", "for attempt in range(3):", "while True:",
    "status_code", "429", "401", "time.sleep(", "uuid4()", "transaction_id", "duplicate",
    "raise", "except", "catch", "if", "def f(", "function f(", "=>", "async", "await",
    "import ", "from ", "export ", "const ", "let ", "class ", "return ", "process.env.",
    "import.meta.env.", "os.environ[", "perkamo-guard: ignore[PG101]", "until=2000-01-01",
    "<script>", "</script>", "<template>", "<div>", '"sourcesContent":[', '"sources":[',
    "{", "}", "[", "]", "(", ")", ",", ":", ";", "=", "+", "'", '"', "`", "${", "#", "//",
    "/*", "*/", "\\", "\n", "\r\n", "\r", "\t", " ", "  - ", "[tool.perkamo-guard]", "---",
    "&a", "*a", "<<:", "!!python/object/apply:os.system", "\x00", "\x1b[31m", "\u202e",
    "\ufeff", "\U0001f511", "\udcff",
]

SOUP = st.lists(st.sampled_from(TOKENS), max_size=60).map("".join)
CONTENT = st.one_of(
    st.binary(max_size=400),
    SOUP.map(lambda text: text.encode("utf-8", "surrogatepass")),
    SOUP.map(lambda text: text.encode("utf-16", "surrogatepass")),
    st.text(max_size=200).map(lambda text: text.encode("utf-8", "surrogatepass")),
)


@pytest.fixture(scope="module")
def scanner(tmp_path_factory: pytest.TempPathFactory) -> tuple[Scanner, Path]:
    root = tmp_path_factory.mktemp("fuzz")
    return Scanner(Config(root=root), expand_codes(["ALL"])), root


@pytest.mark.parametrize("name", NAMES)
def test_any_content_of_any_kind_scans_without_an_exception(
        scanner: tuple[Scanner, Path], name: str) -> None:
    engine, root = scanner

    @settings(max_examples=EXAMPLES, deadline=None, derandomize=REPLAY, database=None,
              suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
    @given(CONTENT)
    def scan_one(content: bytes) -> None:
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(content)
        result = RunResult()
        engine.scan_file(Discovered(path, name), result)

        assert all(isinstance(error, FileError) for error in result.errors)
        assert not [e for e in result.errors if "internal error" in e.message]
        for finding in result.findings:
            assert finding.line >= 1 and finding.column >= 1
            assert (finding.end_line, finding.end_column) >= (finding.line, finding.column)
            assert list(find_keys(finding.snippet + " " + finding.message)) == []

    scan_one()
