"""Property tests: build → parse is the identity, and the parser fails only with GS1Error."""

import datetime as dt

from hypothesis import given, settings
from hypothesis import strategies as st

from labels.element_string import build_element_string
from labels.errors import GS1Error
from labels.gs1 import append_check_digit
from labels.gs1_ai import AI_TABLE, CSET82, AIDef
from labels.gs1_parse import parse_gs1

TODAY = dt.date(2026, 3, 1)
CSET82_TEXT = "".join(sorted(CSET82))


def _value_for(ai: AIDef) -> st.SearchStrategy[str]:
    if ai.date:
        return st.builds(lambda y, m, d: f"{y:02d}{m:02d}{d:02d}", st.integers(0, 99), st.integers(1, 12), st.integers(0, 28))
    if ai.check_digit is not None:
        start, end = ai.check_digit
        body = st.text("0123456789", min_size=end - start - 1, max_size=end - start - 1).map(append_check_digit)
        head = st.text("0123456789", min_size=start, max_size=start)
        tail_max = ai.max_length - end
        tail = st.text(CSET82_TEXT, max_size=min(tail_max, 5)) if tail_max else st.just("")
        return st.tuples(head, body, tail).map("".join)
    if ai.numeric_prefix:
        return st.tuples(
            st.text("0123456789", min_size=ai.numeric_prefix, max_size=ai.numeric_prefix),
            st.text(CSET82_TEXT, max_size=ai.max_length - ai.numeric_prefix),
        ).map("".join)
    alphabet = "0123456789" if ai.numeric else CSET82_TEXT
    if ai.fixed:
        return st.text(alphabet, min_size=ai.max_length, max_size=ai.max_length)
    return st.text(alphabet, min_size=1, max_size=ai.max_length)


element = st.sampled_from(sorted(AI_TABLE)).flatmap(lambda ai: _value_for(AI_TABLE[ai]).map(lambda v: (ai, v)))


@settings(max_examples=300, deadline=None)
@given(st.lists(element, min_size=1, max_size=6))
def test_building_then_parsing_gives_back_the_same_pairs(elements):
    raw = build_element_string(elements)
    assert list(parse_gs1("]C1" + raw, today=TODAY).elements) == elements


@settings(max_examples=500, deadline=None)
@given(st.text(alphabet=st.sampled_from("0123456789\x1d]CdQ1239AZaz+/= Ж"), max_size=120) | st.text(max_size=60))
def test_parser_raises_nothing_but_gs1_error_on_any_text(text):
    try:
        parse_gs1(text, today=TODAY)
    except GS1Error as err:
        assert err.code
