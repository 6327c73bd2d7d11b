"""CQL2 LIKE without backtracking, and the bounds on what a filter may ask."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from locator.operations import feature_query as fq
from locator.values.errors import InvalidQuery


def like_reference(pattern: str, text: str, nocase: bool = False) -> bool:
    """CQL2 LIKE by dynamic programming over (pattern token, text position): the plain
    definition, O(len(pattern) x len(text)), to check the matcher against."""
    tokens: list[tuple[str, str | None]] = []  # ("%", None), ("_", None) or ("c", char)
    chars = iter(pattern)
    for ch in chars:
        if ch == "\\":
            tokens.append(("c", next(chars, "\\")))
        elif ch in "%_":
            tokens.append((ch, None))
        else:
            tokens.append(("c", ch))
    if nocase:
        text = text.casefold()
        tokens = [(k, c.casefold() if c else c) for k, c in tokens]
        flat: list[tuple[str, str | None]] = []
        for kind, c in tokens:
            flat.extend([(kind, x) for x in c] if c else [(kind, c)])
        tokens = flat
    reach = {0}  # text positions reachable after the tokens so far
    for kind, c in tokens:
        if kind == "%":
            reach = set(range(min(reach), len(text) + 1)) if reach else set()
        elif kind == "_":
            reach = {i + 1 for i in reach if i < len(text)}
        else:
            reach = {i + 1 for i in reach if i < len(text) and text[i] == c}
    return len(text) in reach


ALPHABET = st.sampled_from("ab%_\\")


@settings(max_examples=400, deadline=None)
@given(pattern=st.text(ALPHABET, max_size=12), text=st.text(st.sampled_from("ab%_\\"), max_size=14))
def test_like_agrees_with_the_definition(pattern, text):
    assert fq._like(pattern, False)(text) == like_reference(pattern, text)


@settings(max_examples=150, deadline=None)
@given(pattern=st.text(st.sampled_from("aAß%_"), max_size=10), text=st.text("aAßs", max_size=10))
def test_like_without_case_agrees_with_the_definition(pattern, text):
    assert fq._like(pattern, True)(text) == like_reference(pattern, text, nocase=True)


@pytest.mark.parametrize(
    ("pattern", "text", "expected"),
    [
        ("%社区%", "白沙社区书屋", True),
        ("440781___", "440781001", True),
        ("440781___", "4407810011", False),
        ("100\\%", "100%", True),
        ("100\\%", "1000", False),
        ("a\\_b", "a_b", True),
        ("a\\_b", "axb", False),
        ("%_%_%_%_%_%_%_%_!", "x" * 60, False),
        ("%_%_%_%_%_%_%_%_!", "x" * 60 + "!", True),
        ("", "", True),
        ("%", "", True),
        ("_", "", False),
    ],
)
def test_like_examples(pattern, text, expected):
    assert fq._like(pattern, False)(text) is expected


@pytest.mark.parametrize(
    ("pattern", "unit", "tail", "expected"),
    [
        ("%_%_%_%_%_%_%_%_!", "x", "", False),  # issue #22's
        ("%_%_%_%_%_%_%_%_!", "x", "!", True),
        ("%a_c%a_c%a_c%a_c%!", "a", "!", False),
        ("%ab%ab%ab%ab%ab%!", "a", "b!", False),
        ("%a%b%a%b%a%b%a%b%a%b%a%b!", "ab", "", False),
    ],
)
def test_like_work_grows_linearly_with_the_text(pattern, unit, tail, expected):
    """Hostile patterns against a text 100 times longer make at most about 100 times the
    work (a backtracking matcher: a power of the length), counted as the searches the
    matcher makes (each one ``str.find``, itself linear)."""
    calls = []

    class Counting(str):
        def find(self, *args):  # type: ignore[override]
            calls.append(1)
            return str.find(self, *args)

    match = fq._like(pattern, False)
    counts = []
    for n in (100, 10_000):
        calls.clear()
        assert match(Counting(unit * n + tail)) is expected
        counts.append(len(calls))
    assert counts[1] <= 100 * max(counts[0], 1) + 10, counts


def test_like_bounds():
    with pytest.raises(InvalidQuery, match=f"at most {fq.MAX_LIKE_CHARS} characters"):
        fq._like("a" * (fq.MAX_LIKE_CHARS + 1), False)
    with pytest.raises(InvalidQuery, match=f"at most {fq.MAX_LIKE_WILDCARDS} wildcards"):
        fq._like("%" * (fq.MAX_LIKE_WILDCARDS + 1), False)
    fq._like("%" * fq.MAX_LIKE_WILDCARDS, False)  # at the bound: accepted
