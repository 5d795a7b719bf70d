"""Key shapes, placeholders and masking."""

from __future__ import annotations

from pathlib import Path

import pytest

from perkamo_guard.keys import find_encoded_keys, find_keys, is_placeholder, mask, mask_keys
from tests.conftest import scan, write_tree

# Invented keys: random-looking bodies that must read as real keys.
LIVE = "sk_live_" + "9Qv2Lr7Tx4Pz8Wm3Nb6Kc1Hd"
TEST = "sk_test_" + "Zr8Yq2Wx6Vu4Ts0Rp9On3Ml7"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (f'key = "{LIVE}"', [(7, True)]),
        (f"key={TEST}", [(4, False)]),
        (f"{LIVE} and {TEST}", [(0, True), (37, False)]),
        ("risk_live_ScoreThresholdGoldTier2024", []),
        ("desk_live_multiplier2024 disk_test_2024110500", []),
        ("sk_live_...", []),
        ("sk_live_\u2026", []),
        ("sk_live_" + "x" * 24, []),
        ("sk_live_" + "X" * 24, []),
        ("sk_test_<your test key>", []),
        ("sk_live_YOUR_SECRET_KEY", []),
        ("sk_live_REPLACE_ME", []),
        ("sk_test_FAKEKEY_FOR_LOADER_TESTS_42", []),
        ("sk_live_abc", []),
        ("sk_live_{{ secret }}", []),
        ("pk_live_9Qv2Lr7Tx4Pz8Wm3Nb6Kc1Hd", []),
        (f"?key={LIVE}&x=1", [(5, True)]),
    ],
)
def test_find_keys_reports_real_keys_only(text: str, expected: list[tuple[int, bool]]) -> None:
    assert [(k.start, k.live) for k in find_keys(text)] == expected


@pytest.mark.parametrize(
    "body",
    ["...", "x" * 24, "<your key>", "YOUR_KEY", "REPLACE_ME", "0000000000000000",
     "changeme_changeme", "exampleKeyGoesHere1234", "aaaaaaaaaabbbbbbbbbb"],
)
def test_placeholder_bodies_are_recognised(body: str) -> None:
    assert is_placeholder(body)


@pytest.mark.parametrize("body", ["9Qv2Lr7Tx4Pz8Wm3Nb6Kc1Hd", "TkifVXAun08s4P8riUhaTZvI"])
def test_random_bodies_are_not_placeholders(body: str) -> None:
    assert not is_placeholder(body)


def test_mask_keeps_prefix_and_last_four_only() -> None:
    assert mask(LIVE) == "sk_live_\u2026c1Hd"
    assert mask(TEST) == "sk_test_\u20263Ml7"


def test_mask_of_short_secret_shows_no_tail() -> None:
    assert mask("sk_live_abcdefgh") == "sk_live_\u2026"


def test_mask_keys_hides_every_key_in_a_line() -> None:
    masked = mask_keys(f"a={LIVE} b={TEST} c=sk_live_...")
    assert LIVE not in masked and TEST not in masked
    assert masked == "a=sk_live_\u2026c1Hd b=sk_test_\u20263Ml7 c=sk_live_..."


def test_base64_literal_that_decodes_to_a_key_is_found() -> None:
    import base64

    encoded = base64.b64encode(LIVE.encode()).decode()
    text = f'const K = atob("{encoded}");'
    keys = list(find_encoded_keys(text))
    assert [(k.start, k.live, k.encoded) for k in keys] == [(16, True, True)]
    assert encoded not in mask_keys(text)


def test_base64_of_ordinary_text_is_silent() -> None:
    assert list(find_encoded_keys('atob("V2VsY29tZSBiYWNrIQ==")')) == []
def test_env_files_are_parsed_without_loading_the_rest_of_python_dotenv() -> None:
    import subprocess
    import sys

    probe = (
        "import sys, io\n"
        "from perkamo_guard.checks.keys import dotenv_parser\n"
        "parser = dotenv_parser()\n"
        "keys = [b.key for b in parser.parse_stream(io.StringIO('A=1\\nexport B=\"x\"\\n'))]\n"
        "print(keys, 'dotenv.main' in sys.modules, 'logging' in sys.modules)\n"
    )
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True,
                         check=True, timeout=60).stdout
    assert out.strip() == "['A', 'B'] False False"


ENV_KEY = "sk_live_" + "Qq7Ww1Ee2Rr3Tt4Yy5Uu6Ii8"


@pytest.mark.parametrize(("text", "position"), [
    (f"{ENV_KEY}\n", (1, 1)),  # a bare line: the parser reads a name, no value
    (f"A=1 # old: {ENV_KEY}\n", (1, 12)),  # a trailing comment
    (f'A="""\n{ENV_KEY}\n"""\n', (2, 1)),  # a quoted block the parser cannot read
    (f"# {ENV_KEY}\n", (1, 3)),
], ids=["bare-line", "trailing-comment", "quoted-block", "comment-line"])
def test_a_live_key_anywhere_in_a_committed_env_file_is_reported(
        tmp_path: Path, text: str, position: tuple[int, int]) -> None:
    # Found by a newcomer: a line the parser read as a variable was taken as
    # searched, so a key in its name or comment went unreported.
    write_tree(tmp_path, {".env": text})
    assert [(f.rule, f.line, f.column) for f in scan(tmp_path).findings] == [
        ("PG104", *position)]


def test_an_exported_variable_is_reported_at_its_name(tmp_path: Path) -> None:
    write_tree(tmp_path, {".env": f"# keys\nexport xp={ENV_KEY}\n"})
    assert [(f.rule, f.line, f.column) for f in scan(tmp_path).findings] == [("PG104", 2, 8)]
