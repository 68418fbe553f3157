"""``catalog.string_list``: the one check of a catalog field that lists words (the snapshot,
sysstat, sadf -j and event log catalogs each had their own copy)."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from hbtriage.catalog import string_list

_VALUES = st.one_of(
    st.none(),
    st.integers(),
    st.text(max_size=5),
    st.lists(st.one_of(st.text(max_size=5), st.integers(), st.none()), max_size=4),
)


@given(_VALUES, st.booleans())
def test_a_word_list_is_taken_whole_or_not_at_all(value: object, single: bool) -> None:
    got = string_list(value, single=single)
    words = isinstance(value, list) and bool(value)
    words = words and all(isinstance(v, str) and v.strip() for v in value)  # type: ignore[union-attr]
    one = single and isinstance(value, str) and bool(value.strip())
    if words:
        assert got == tuple(value)  # type: ignore[arg-type]
    elif one:
        assert got == (value,)
    else:
        assert got is None
