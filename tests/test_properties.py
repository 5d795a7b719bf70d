"""Properties of the pure parts: placeholders, masking, snippets, Luhn, field words,
fingerprints and origins (what tests/test_origin.py does not already cover).
"""

from __future__ import annotations

import re
import string

from hypothesis import assume, given, settings
from hypothesis import strategies as st

from perkamo_guard.fields import split_words
from perkamo_guard.fingerprint import fingerprint, fingerprint_findings
from perkamo_guard.keys import MIN_BODY, find_keys, is_placeholder, mask, mask_keys
from perkamo_guard.model import Finding
from perkamo_guard.origin import check_origin, split_origin_list
from perkamo_guard.snippet import MAX_LINE, make_snippet, neutralise
from perkamo_guard.text import LineIndex
from perkamo_guard.values import passes_luhn

ALNUM = string.ascii_letters + string.digits
PREFIXES = st.sampled_from(["sk_live_", "sk_test_"])
BODIES = st.text(alphabet=ALNUM, min_size=MIN_BODY, max_size=48)
REAL_BODIES = BODIES.filter(lambda body: not is_placeholder(body))
KEYS = st.tuples(PREFIXES, REAL_BODIES).map("".join)
RAW_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069\ud800-\udfff]")

# -- placeholders ------------------------------------------------------------------


@given(st.sampled_from(ALNUM), st.integers(MIN_BODY, 60))
def test_one_repeated_character_is_a_placeholder(char: str, length: int) -> None:
    assert is_placeholder(char * length)


@given(st.text(alphabet=ALNUM, max_size=MIN_BODY - 1))
def test_short_body_is_a_placeholder(body: str) -> None:
    assert is_placeholder(body)


@given(BODIES, st.sampled_from(["your", "EXAMPLE", "Fake", "dummy", "REPLACE", "xxx",
                                 "placeholder", "changeme", "redacted", "000000"]),
       st.integers(0, 48))
def test_a_placeholder_word_anywhere_makes_a_placeholder(body: str, word: str,
                                                         at: int) -> None:
    assert is_placeholder(body[:at] + word + body[at:])


@given(REAL_BODIES, st.sampled_from(["...", "\u2026", "<", "{", "$", "*", "[", "%"]))
def test_a_placeholder_tail_makes_a_placeholder(body: str, tail: str) -> None:
    assert is_placeholder(body, tail)
    assert list(find_keys(f"sk_live_{body}{tail}")) == []


@given(PREFIXES, REAL_BODIES, st.sampled_from(['"', "'", " ", "\n", ";", ",", ")", ""]))
def test_a_real_key_is_found_whole_wherever_it_ends(prefix: str, body: str, end: str) -> None:
    text = f'x = "{prefix}{body}{end}'
    assert [(k.start, k.text, k.live) for k in find_keys(text)] == [
        (5, prefix + body, prefix == "sk_live_")]


@given(KEYS, st.sampled_from(list("abcXYZ019_")))
def test_a_key_glued_to_an_identifier_is_not_a_key(key: str, before: str) -> None:
    assert list(find_keys(before + key)) == []


# -- masking and snippets ------------------------------------------------------------------

TEXT_AROUND = st.text(alphabet=ALNUM + " =:\"'`;,.(){}[]/\\-_+\t\x1b\x07\u202e", max_size=80)


@st.composite
def texts_with_keys(draw: st.DrawFn) -> tuple[str, list[str]]:
    """Draw text with zero to three keys between arbitrary pieces."""
    keys = draw(st.lists(KEYS, max_size=3))
    pieces = [draw(TEXT_AROUND) for _ in range(len(keys) + 1)]
    text = pieces[0]
    for key, piece in zip(keys, pieces[1:]):
        text += " " + key + " " + piece
    return text, keys


@given(st.text(min_size=0, max_size=60))
def test_mask_shows_at_most_the_prefix_and_four_characters(secret: str) -> None:
    shown = mask(secret).replace("\u2026", "")
    hidden = len(secret) - len(shown)
    assert hidden >= 0 and (len(secret) < 12 or hidden >= len(secret) - 12)


@given(KEYS)
def test_mask_of_a_key_keeps_its_prefix_and_last_four(key: str) -> None:
    assert mask(key) == f"{key[:8]}\u2026{key[-4:]}"


@given(texts_with_keys())
def test_mask_keys_leaves_no_key_and_is_stable(drawn: tuple[str, list[str]]) -> None:
    text, keys = drawn
    masked = mask_keys(text)
    assert list(find_keys(masked)) == []
    assert all(key not in masked for key in keys)
    assert mask_keys(masked) == masked


@given(texts_with_keys(), st.integers(0, 400), st.integers(0, 400), st.data())
def test_snippet_is_short_neutral_and_keyless(drawn: tuple[str, list[str]], pad_left: int,
                                              pad_right: int, data: st.DataObject) -> None:
    text, keys = drawn
    line = "a" * pad_left + text + "b" * pad_right
    source = "first line\n" + line + "\nlast line\n"
    offset = data.draw(st.integers(11, 11 + len(line)))
    snippet = make_snippet(LineIndex(source), offset, keys[:1])
    assert len(snippet) <= MAX_LINE + 2
    assert not RAW_CONTROL.search(snippet)
    assert list(find_keys(snippet)) == []
    assert all(key not in snippet for key in keys)


def test_snippet_stays_short_when_escapes_lengthen_it() -> None:
    # Found by the property above: "\x1b" shows as four characters.
    line = " sk_live_0000010000012345 " + "\x1b" * 40 + "b" * 152
    source = "first line\n" + line + "\nlast line\n"
    snippet = make_snippet(LineIndex(source), 11 + 30, ["sk_live_0000010000012345"])
    assert len(snippet) <= MAX_LINE + 2 and snippet.endswith("\u2026")
    assert "0000010000012345" not in snippet


@given(st.text())
def test_neutralise_leaves_no_raw_control_and_is_idempotent(text: str) -> None:
    shown = neutralise(text)
    assert not RAW_CONTROL.search(shown.replace("\n", ""))
    assert neutralise(shown) == shown


# -- Luhn and field words -----------------------------------------------------------------


def _reference_luhn(digits: str) -> bool:
    """Luhn as the standard states it: double every second digit from the right."""
    total = 0
    for position, char in enumerate(reversed(digits)):
        value = int(char) * (2 if position % 2 else 1)
        total += value // 10 + value % 10
    return total % 10 == 0


def _check_digit(payload: str) -> str:
    return next(d for d in string.digits if _reference_luhn(payload + d))


DIGITS = st.text(alphabet=string.digits, min_size=1, max_size=25)


@given(DIGITS)
def test_luhn_agrees_with_the_reference(digits: str) -> None:
    assert passes_luhn(digits) == _reference_luhn(digits)


@given(DIGITS)
def test_luhn_accepts_its_check_digit(payload: str) -> None:
    assert passes_luhn(payload + _check_digit(payload))


@given(DIGITS, st.data())
def test_luhn_catches_every_single_digit_error(payload: str, data: st.DataObject) -> None:
    number = payload + _check_digit(payload)
    where = data.draw(st.integers(0, len(number) - 1))
    wrong = data.draw(st.sampled_from([d for d in string.digits if d != number[where]]))
    assert not passes_luhn(number[:where] + wrong + number[where + 1:])


# NOTE: one-letter words are ambiguous in PascalCase ("AA"), so words have two.
WORDS = st.lists(st.text(alphabet=string.ascii_lowercase, min_size=2, max_size=8),
                 min_size=1, max_size=5)


@given(WORDS)
def test_field_words_do_not_depend_on_the_naming_style(words: list[str]) -> None:
    camel = words[0] + "".join(w.capitalize() for w in words[1:])
    pascal = "".join(w.capitalize() for w in words)
    styles = ["_".join(words), "-".join(words), ".".join(words), " ".join(words),
              "_".join(words).upper(), camel, pascal]
    assert {split_words(name) for name in styles} == {tuple(words)}


@given(st.text(max_size=40))
def test_field_words_are_lower_case_and_stable(name: str) -> None:
    words = split_words(name)
    assert all(word and word == word.lower() for word in words)
    assert split_words(" ".join(words)) == words


# -- fingerprints ------------------------------------------------------------------------

RULES = st.sampled_from(["PG101", "PG103", "PG201", "PG301"])
PATHS = st.sampled_from(["a.py", "web/b.ts", "c d.json", "\u00e9/\U0001f511.env"])
SECRETS = st.text(max_size=40)


@st.composite
def findings(draw: st.DrawFn) -> Finding:
    line = draw(st.integers(1, 500))
    return Finding(draw(PATHS), line, draw(st.integers(1, 200)), draw(RULES), line,
                   draw(st.integers(1, 300)), draw(st.text(max_size=20)),
                   draw(st.text(max_size=20)), draw(SECRETS))


#: Two findings never share a place and a rule.
FINDING_LISTS = st.lists(findings(), max_size=12,
                         unique_by=lambda f: (f.path, f.line, f.column, f.rule))


@given(FINDING_LISTS, st.randoms())
def test_fingerprints_ignore_order_lines_columns_messages_and_snippets(
        found: list[Finding], random: object) -> None:
    shuffled = list(found)
    random.shuffle(shuffled)  # type: ignore[attr-defined]
    assert fingerprint_findings(found) == fingerprint_findings(shuffled)
    moved = [Finding(f.path, f.line + 1000, f.column + 7, f.rule, f.end_line + 1000, 1,
                     "other", "other", f.secret_text) for f in found]
    assert sorted(fp for _, fp in fingerprint_findings(found)) == sorted(
        fp for _, fp in fingerprint_findings(moved))


@given(FINDING_LISTS)
def test_fingerprints_of_distinct_findings_are_distinct(found: list[Finding]) -> None:
    prints = [fp for _, fp in fingerprint_findings(found)]
    assert len(set(prints)) == len(prints)
    assert all(re.fullmatch(r"[0-9a-f]{32}", fp) for fp in prints)


@given(RULES, PATHS, SECRETS, st.integers(0, 5), RULES, PATHS, SECRETS, st.integers(0, 5))
def test_fingerprint_changes_with_any_part(rule: str, path: str, text: str, n: int,
                                           rule2: str, path2: str, text2: str,
                                           n2: int) -> None:
    assume((rule, path, text, n) != (rule2, path2, text2, n2))
    assert fingerprint(rule, path, text, n) != fingerprint(rule2, path2, text2, n2)


@given(KEYS, RULES, PATHS)
def test_fingerprint_holds_no_part_of_the_secret(key: str, rule: str, path: str) -> None:
    value = fingerprint(rule, path, key, 0)
    assert not any(key[i:i + 6] in value for i in range(len(key) - 5))


# -- origins: what tests/test_origin.py leaves out --------------------------------------

ORIGINISH = st.lists(st.sampled_from(
    ["https://", "http://", "app", ".example.com", ":8443", "/", "*", "localhost",
     "127.0.0.1", "[::1]", "?q=1", "#x", "'self'", "connect-src", "HTTPS://", "@", " "]),
    max_size=6).map("".join)
SPACE = st.text(alphabet=" \t\n\r\u00a0", max_size=3)


@settings(max_examples=300)
@given(st.one_of(ORIGINISH, st.text(max_size=30)), SPACE, SPACE)
def test_surrounding_whitespace_changes_nothing_but_the_offset(entry: str, before: str,
                                                               after: str) -> None:
    bare, padded = check_origin(entry.strip()), check_origin(before + entry.strip() + after)
    assert (bare is None) == (padded is None)
    if bare is not None and padded is not None and entry.strip():
        assert (padded.rule, padded.reason, padded.fix) == (bare.rule, bare.reason, bare.fix)
        assert padded.offset == len(before + entry.strip()) - len(
            (before + entry.strip()).lstrip())


@settings(max_examples=300)
@given(ORIGINISH, st.integers(0, 20))
def test_a_star_is_always_a_wildcard_unless_the_entry_is_csp(entry: str, at: int) -> None:
    starred = entry[:at] + "*" + entry[at:]
    verdict = check_origin(starred)
    assert verdict is not None and verdict.rule in {"PG201", "PG203"}


@settings(max_examples=300)
@given(st.text(max_size=60))
def test_split_offsets_index_the_value_for_any_text(value: str) -> None:
    for offset, entry in split_origin_list(value):
        assert entry and value[offset:offset + len(entry)] == entry
