"""The prefilter: both engines say exactly which trigger texts occur."""

from __future__ import annotations

import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from perkamo_guard.checks import load_families
from perkamo_guard.checks.origins import _has_context_hint
from perkamo_guard.config import Config
from perkamo_guard.hygiene import TRIGGER
from perkamo_guard.prefilter import Prefilter, _Hyperscan

TEXTS = sorted({t for f in load_families() for t in f.all_triggers(Config())} | {TRIGGER})
HAS_HYPERSCAN = _Hyperscan.build((b"x",), (b"x",)) is not None


def _plain() -> Prefilter:
    return Prefilter(TEXTS, upgrade_after=10**12)


def _fast() -> Prefilter:
    prefilter = Prefilter(TEXTS, upgrade_after=0)
    prefilter.may_fire(b"")  # loads the engine
    return prefilter


pieces = st.one_of(
    st.sampled_from(TEXTS),
    st.sampled_from([t[:-1] for t in TEXTS]),  # near misses
    st.binary(max_size=20),
)
buffers = st.lists(pieces, max_size=12).map(b"".join)


@given(buffers)
@settings(max_examples=300)
def test_plain_engine_finds_exactly_the_texts_that_occur(data: bytes) -> None:
    prefilter = _plain()
    expected = frozenset(t for t in TEXTS if t in data)
    assert prefilter.hits(data) == expected
    assert prefilter.may_fire(data) is bool(expected)


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
    assert _has_context_hint(text) is bool(_IGNORECASE_HINT.search(text))


@pytest.mark.parametrize("text", ["PER\u212aAMO", "browſer-sdk", "BrowserSDK", "a perkamo b"])
def test_context_hint_sees_unicode_case_folds(text: str) -> None:
    assert _has_context_hint(text)
