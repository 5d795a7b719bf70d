"""The prefilter: both engines say exactly which trigger texts occur."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from perkamo_guard.checks import TRIGGER_ANCHORS, load_families
from perkamo_guard.originnames import has_context_hint
from perkamo_guard.config import Config
from perkamo_guard.hygiene import TRIGGER
from perkamo_guard.model import Zone
from perkamo_guard.prefilter import Prefilter, _Hyperscan

WAKES = [f.wake(Config()) for f in load_families()]
LEADS = sorted({t for wake in WAKES for t in wake.leads} | {TRIGGER})
CASELESS = sorted({t for wake in WAKES for t in wake.caseless})
COMPANIONS = sorted({t for wake in WAKES for t in wake.companions})
TEXTS = sorted({*LEADS, *COMPANIONS})
HAS_HYPERSCAN = _Hyperscan.build((b"x",), 1) is not None


def _plain() -> Prefilter:
    return Prefilter(LEADS, upgrade_after=10**12, anchors=TRIGGER_ANCHORS,
                     companions=COMPANIONS, caseless=CASELESS)


def _fast() -> Prefilter:
    prefilter = Prefilter(LEADS, upgrade_after=0, companions=COMPANIONS, caseless=CASELESS)
    prefilter.may_fire(b"")  # loads the engine
    return prefilter


pieces = st.one_of(
    st.sampled_from(TEXTS),
    st.sampled_from([t[:-1] for t in TEXTS]),  # near misses
    st.sampled_from([t[1:] for t in TEXTS]),
    st.sampled_from([t.upper() for t in TEXTS] + [t.title() for t in TEXTS]),
    st.binary(max_size=20),
)
buffers = st.lists(pieces, max_size=12).map(b"".join)


@given(buffers)
@settings(max_examples=300)
def test_plain_engine_finds_exactly_the_texts_that_occur(data: bytes) -> None:
    prefilter = _plain()
    def occurs(text: bytes) -> bool:
        return text in data.lower() if text in CASELESS else text in data

    leads = any(occurs(t) for t in LEADS)
    expected = frozenset(t for t in TEXTS if occurs(t)) if leads else frozenset()
    assert prefilter.hits(data) == expected
    assert prefilter.may_fire(data) is leads


@pytest.mark.skipif(not HAS_HYPERSCAN, reason="Hyperscan is not installed here")
@given(buffers)
@settings(max_examples=300)
def test_hyperscan_engine_agrees_with_the_plain_one(data: bytes) -> None:
    plain, fast = _plain(), _fast()
    assert fast._engine is not None
    assert fast.hits(data) == plain.hits(data)
    assert fast.may_fire(data) is plain.may_fire(data)


def test_shortest_texts_stand_for_the_texts_that_hold_them() -> None:
    prefilter = Prefilter([b"perkamo", b"api.perkamo.com", b"/v1", b"/v1/client"])
    assert prefilter.shortest == (b"/v1", b"perkamo")
    assert prefilter.hits(b"GET https://api.perkamo.com/v1/client") == {
        b"perkamo", b"api.perkamo.com", b"/v1", b"/v1/client"}
    assert prefilter.hits(b"perkamo /v2") == {b"perkamo"}


def test_engine_is_loaded_only_after_the_byte_budget() -> None:
    prefilter = Prefilter([b"needle"], upgrade_after=100)
    assert not prefilter.may_fire(b"x" * 60)
    assert prefilter._engine is None  # the pre-commit path stays import-free
    assert prefilter.may_fire(b"x" * 60 + b"needle")
    assert prefilter.may_fire(b"a needle") and not prefilter.may_fire(b"a pin")


def test_no_texts_never_fire() -> None:
    for budget in (0, 10**9):
        prefilter = Prefilter([], upgrade_after=budget)
        assert not prefilter.may_fire(b"anything") and prefilter.hits(b"x") == frozenset()


_IGNORECASE_HINT = re.compile(r"perkamo|browser[_\-]?sdk", re.IGNORECASE)
_FOLDING = "ſKkKSsPpEeRrMmAaOoBbWwDd_-İı "


@given(st.text(alphabet=st.sampled_from(list(_FOLDING)) | st.characters(), max_size=30))
@settings(max_examples=500)
def test_context_hint_folds_case_as_a_case_insensitive_regex_does(text: str) -> None:
    assert has_context_hint(text) is bool(_IGNORECASE_HINT.search(text))


@pytest.mark.parametrize("text", ["PER\u212aAMO", "browſer-sdk", "BrowserSDK", "a perkamo b"])
def test_context_hint_sees_unicode_case_folds(text: str) -> None:
    assert has_context_hint(text)


_GATE_PIECES = st.one_of(
    st.sampled_from(["origin", "allowedOrigins", "PERKAMO", "per\u212aamo", "browser_sdk",
                     "Browser-SDK", "browſer sdk", "BROWſER-sdk", "\u212a", "/v1/admin/config",
                     "é", "\u017f", " "]),
    st.text(max_size=8),
)


@given(st.lists(_GATE_PIECES, max_size=8).map("".join),
       st.sampled_from(["src/app.js", "config/perkamo/cors.json", "perkamo.yaml", "a/b.py"]))
@settings(max_examples=400)
def test_origin_gate_says_no_only_where_the_check_finds_no_context(text: str, path: str) -> None:
    from perkamo_guard.checks.origins import _may_hold_context
    from perkamo_guard.model import Kind, SourceFile
    from perkamo_guard.originnames import context_path, may_be_in_context, places_for

    config = Config()
    data = text.encode("utf-8", "surrogatepass")
    places = places_for(config)
    file = SourceFile(Path(path), path, Kind.TEXT, Zone.UNKNOWN, text, False)
    expected = (places.path_context(context_path(path, config.root))
                or _may_hold_context(file, places))
    # The gate may say yes where the check then finds nothing, never the reverse.
    assert may_be_in_context(data, path, config) or not expected


@pytest.mark.skipif(not HAS_HYPERSCAN, reason="Hyperscan is not installed here")
@given(st.lists(st.one_of(_GATE_PIECES, st.sampled_from(["origin", "RIGIN", "sk_live_"])),
                max_size=10).map("".join))
@settings(max_examples=400)
def test_probes_answer_as_the_mention_itself_does(text: str) -> None:
    from perkamo_guard.originnames import CONTEXT_MENTION

    data = text.encode("utf-8", "surrogatepass")
    plain = Prefilter(LEADS, upgrade_after=10**12, anchors=TRIGGER_ANCHORS,
                      companions=COMPANIONS, caseless=CASELESS, probes=[CONTEXT_MENTION])
    fast = Prefilter(LEADS, upgrade_after=0, companions=COMPANIONS, caseless=CASELESS,
                     probes=[CONTEXT_MENTION])
    hits, mentioned = fast.probe(data)
    assert fast._engine is not None
    # The plain engine leaves the probes to the gate that needs them.
    assert plain.probe(data) == (hits, None)
    assert (hits, mentioned) == (
        plain.hits(data), frozenset({CONTEXT_MENTION} if hits and CONTEXT_MENTION.occurs(data)
                                    else ()))


def test_a_probe_word_does_not_pass_for_an_exact_text_spelled_alike() -> None:
    from perkamo_guard.prefilter import Mention

    mention = Mention([b"perkamo"])
    plain = Prefilter([b"origin", b"PERKAMO"], upgrade_after=10**12, probes=[mention])
    fast = Prefilter([b"origin", b"PERKAMO"], upgrade_after=0, probes=[mention])
    for data, hits, mentioned in ((b"origin perkamo", {b"origin"}, {mention}),
                                  (b"PERKAMO", {b"PERKAMO"}, {mention}),
                                  (b"perkamo alone", set(), set())):
        assert fast.probe(data) == (hits, mentioned)
        assert plain.probe(data) == (hits, None)


def test_families_of_a_bundle_are_families_of_javascript() -> None:
    # The engine's first pass relies on it: a JavaScript file nothing fires
    # on by its name is quiet whatever its lines say.
    from perkamo_guard.model import Kind

    for family in load_families():
        assert family.applies_to(Kind.JAVASCRIPT) or not family.applies_to(Kind.BUNDLE)


def test_origin_gate_lets_declared_codecs_through_to_the_check() -> None:
    from perkamo_guard.originnames import may_be_in_context

    declared = "# -*- coding: latin-1 -*-\nallowed_origins = 'x'  # café\n"
    assert may_be_in_context(declared.encode("latin-1"), "a.py", Config())
    # Valid UTF-8 is read as UTF-8 whatever it declares: the bytes tell all.
    assert not may_be_in_context(declared.encode("utf-8"), "a.py", Config())
    assert not may_be_in_context(b"transformOrigin: 'top'", "a.js", Config())
    assert may_be_in_context(b"transformOrigin: 'top'", "perkamo/a.js", Config())


@pytest.mark.skipif(not HAS_HYPERSCAN, reason="Hyperscan is not installed here")
def test_texts_holding_nul_bytes_are_searched_whole_by_both_engines() -> None:
    from perkamo_guard.prefilter import Mention

    wide = "sk_live_".encode("utf-16-le")[:-1]
    samples = [b"s", b"s\x00k\x00", b"x" + wide + b"\x00z", "sk_live_1".encode("utf-16-be"),
               b"sk_live_", b"\x00" * 64]
    expected = [False, False, True, True, False, False]
    for budget in (10**12, 0):
        mention = Mention((), [wide], upgrade_after=budget)
        assert [mention.occurs(s) for s in samples] == expected
    assert mention._database is not None


def test_mention_engines_agree() -> None:
    from perkamo_guard.prefilter import Mention

    samples = [b"", b"PerKamo", b"x browser-SDK y", b"browser sdk", b"/v1/admin/config",
               b"/V1/ADMIN/CONFIG", "\u212a".encode(), b"nothing here" * 100]
    plain = Mention([b"perkamo", b"browser-sdk"], [b"/v1/admin/config", "\u212a".encode()],
                    upgrade_after=10**12)
    fast = Mention([b"perkamo", b"browser-sdk"], [b"/v1/admin/config", "\u212a".encode()],
                   upgrade_after=0)
    expected = [False, True, True, False, True, False, True, False]
    assert [plain.occurs(s) for s in samples] == expected
    assert [fast.occurs(s) for s in samples] == expected


# Pieces of URL code as people write them: literals of any quote, names,
# f-string and template holes, and the words of Perkamo routes.
_URL_WORDS = ["/", "v1", "/v1", "v1/", "/v1/", "events", "/events", "identify", "profile/",
              "admin/config/", "client/", "rewards/redeem", "usage", "x", "api/", "",
              "\\/v1\\/events", "/api/v1/events"]


def _url_code(parts: list[tuple[str, str]], holes: tuple[str, str]) -> str:
    """Join the parts with "+"; ``holes`` make a literal with a hole after
    the word, and one with a hole before it."""
    code = []
    for form, word in parts:
        if form == "name":
            code.append("route")
        elif form in ("after", "before"):
            code.append(holes[form == "before"].format(word=word))
        else:
            code.append(f"{form}{word}{form}")
    return " + ".join(code)


_PYTHON_HOLES = ('f"{word}{{route}}"', 'f"{{route}}{word}"')
_SCRIPT_HOLES = ("`{word}${{route}}`", "`${{route}}{word}`")
_URL_PARTS = st.lists(
    st.tuples(st.sampled_from(['"', "'", "after", "before", "name"]),
              st.sampled_from(_URL_WORDS)),
    min_size=1, max_size=4)


@given(_URL_PARTS, st.sampled_from(["", "events", "identify", "v1", "/v1/events"]), st.booleans())
@example([('"', "v1"), ('"', "/events")], "", False)
@example([('"', "/v1/"), ("name", "")], "events", True)
@example([("after", "/"), ('"', "/events")], "v1", True)
@example([("before", "v1/events")], "", False)
@example([('"', "v1"), ('"', "/"), ('"', "events")], "", False)
@settings(max_examples=300, deadline=None)
def test_every_hostless_perkamo_route_holds_a_route_trigger(
        parts: list[tuple[str, str]], bound: str, python: bool) -> None:
    """The payload, retry and scope families see a file only through their
    triggers: a call that the sink reader takes for a Perkamo route must hold one."""
    from perkamo_guard.checks import family
    from perkamo_guard.model import Kind, SourceFile
    from perkamo_guard.sinks import find_sinks

    if python:
        code = (f'import requests\nroute = "{bound}"\n'
                f"requests.post({_url_code(parts, _PYTHON_HOLES)}, json={{'a': 1}})\n")
        path, kind = "client.py", Kind.PYTHON
    else:
        code = (f'const route = "{bound}";\n'
                f"fetch({_url_code(parts, _SCRIPT_HOLES)}, {{method: 'POST', body: JSON.stringify({{a: 1}})}});\n")
        path, kind = "client.ts", Kind.TYPESCRIPT
    file = SourceFile(Path(path), path, kind, Zone.SERVER, code, False)
    routes = [sink.route for sink in find_sinks(file, Config()) if not sink.host]
    if routes:
        data = code.encode()
        for name in ("payloads", "retries", "scopes"):
            wake = family(name).wake(Config())
            assert wake(frozenset(t for t in wake.texts if t in data)), (name, code, routes)


@pytest.mark.skipif(not HAS_HYPERSCAN, reason="Hyperscan is not installed here")
def test_upgrade_loads_the_engine_at_once_and_answers_the_same() -> None:
    prefilter = Prefilter([b"needle"])
    prefilter.upgrade()
    assert prefilter._engine is not None
    assert prefilter.may_fire(b"a needle") and not prefilter.may_fire(b"a pin")
    assert prefilter.hits(b"needle") == {b"needle"}


@pytest.mark.skipif(not HAS_HYPERSCAN, reason="Hyperscan is not installed here")
def test_mention_folds_agree_before_and_after_upgrade() -> None:
    from perkamo_guard.prefilter import Mention

    samples = [b"PER\xe2\x84\xaaAMO", b"per kamo", b"\xe2\x84\xaa perkam", b"PerKamo",
               b"browser\xc5\xbfdk", b"\xc5\xbf"]
    folds = {ord("k"): "\u212a".encode(), ord("s"): "\u017f".encode()}
    mention = Mention([b"perkamo", b"browsersdk"], upgrade_after=10**12, folds=folds)
    plain = [mention.occurs(s) for s in samples]
    mention = Mention([b"perkamo", b"browsersdk"], upgrade_after=0, folds=folds)
    fast = [mention.occurs(s) for s in samples]
    assert mention._database is not None
    assert fast == plain == [True, False, False, True, True, False]


def test_the_host_with_a_kelvin_sign_wakes_the_families_that_read_it(tmp_path: Path) -> None:
    # Found by a newcomer: browsers and the checks read "api.per\u212aamo.com"
    # as the Perkamo host; the first pass folded ASCII letters only.
    from tests.conftest import scan, write_tree

    host = "api.per\u212aamo.com"
    write_tree(tmp_path, {
        "public/app.js": f'fetch("https://{host}/v1/rewards/redeem", {{method: "POST"}});\n',
        "srv/ev.py": f'import requests\nrequests.post("https://{host}/v1/events", '
                     'json={"password": pw})\n',
    })
    assert {(f.path, f.rule) for f in scan(tmp_path).findings} >= {
        ("public/app.js", "PG401"), ("srv/ev.py", "PG301")}


@pytest.mark.parametrize("host", ["ap\u0130.perkamo.com", "ap\u0131.perkamo.com"])
def test_a_host_spelled_with_another_unicode_fold_is_not_the_perkamo_host(
        tmp_path: Path, host: str) -> None:
    # "i" folds to these under Unicode case rules, but IDNA reads them as
    # other hosts; the checks agreed with the first pass only on the Kelvin sign.
    from tests.conftest import scan, write_tree

    write_tree(tmp_path, {"public/app.js": f'fetch("https://{host}/v1/client/profile");\n'})
    assert scan(tmp_path).findings == []
