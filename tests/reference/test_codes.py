"""Region code helpers: properties over generated codes, and the documented examples."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from jaring.kit.errors import BadInput
from jaring.reference import codes


def _segment(size: int) -> st.SearchStrategy[str]:
    return st.integers(1, 10**size - 1).map(lambda n: str(n).zfill(size))


valid_codes = st.integers(1, 4).flatmap(
    lambda depth: st.tuples(*(_segment(size) for size in (2, 2, 2, 4)[:depth])).map("".join)
)


@given(valid_codes)
def test_dotted_and_undotted_are_inverse(code):
    shown = codes.dotted(code)
    assert codes.undotted(shown) == code
    assert shown.replace(".", "") == code
    assert codes.dotted(shown) == shown
    assert [len(part) for part in shown.split(".")] == [2, 2, 2, 4][: shown.count(".") + 1]


@given(valid_codes)
def test_level_follows_the_length(code):
    assert codes.level_of(code) == {2: "province", 4: "regency", 6: "district", 10: "village"}[len(code)]


@given(valid_codes)
def test_parent_and_ancestors_are_the_prefixes(code):
    chain = codes.ancestors(code)
    assert all(code.startswith(a) for a in chain)
    assert [len(a) for a in chain] == [n for n in (2, 4, 6) if n < len(code)]
    assert codes.parent_of(code) == (chain[-1] if chain else None)


@given(st.integers(1, 99), st.integers(1, 99))
def test_regency_type_follows_the_numbering_rule(province, number):
    code = f"{province:02d}{number:02d}"
    if number <= 69:
        assert codes.regency_type(code) == "kab"
    elif number >= 71:
        assert codes.regency_type(code) == "kota"
    else:
        with pytest.raises(BadInput, match="01–69"):
            codes.regency_type(code)


@given(valid_codes.filter(lambda c: len(c) == 10))
def test_village_type_follows_the_first_digit_of_the_village_part(code):
    expected = {"1": "kelurahan", "2": "desa", "3": "desa_adat"}.get(code[6])
    if expected:
        assert codes.village_type(code) == expected
        assert codes.region_type(code) == expected
    else:
        with pytest.raises(BadInput, match="starts with 1"):
            codes.village_type(code)


@given(st.text(alphabet="0123456789", min_size=1, max_size=12).filter(lambda t: len(t) not in (2, 4, 6, 10)))
def test_other_lengths_are_rejected(text):
    with pytest.raises(BadInput, match="not valid"):
        codes.undotted(text)
    assert not codes.is_code(text)


@pytest.mark.parametrize(
    ("given_code", "expected"),
    [
        ("31", "31"),
        ("3174", "31.74"),
        ("317401", "31.74.01"),
        ("3174011001", "31.74.01.1001"),
        ("31.74.01.1001", "31.74.01.1001"),
        (" 31.74 ", "31.74"),
    ],
)
def test_documented_examples(given_code, expected):
    assert codes.dotted(given_code) == expected


@pytest.mark.parametrize(
    "bad",
    ["", "3", "31.7", "317.4", "31.74.1", "31.74.01.101", "31-74", "31.74.", "ab", "00", "3100", "31.74.00"],
)
def test_malformed_codes_say_what_a_code_looks_like(bad):
    with pytest.raises(BadInput) as caught:
        codes.undotted(bad)
    assert repr(bad) in str(caught.value)
    assert "31.74.01.1001" in str(caught.value)


def test_types_and_levels_of_known_codes():
    assert codes.regency_type("3174") == "kota"
    assert codes.regency_type("1101") == "kab"
    assert codes.region_type("31") is None
    assert codes.region_type("317401") is None
    assert codes.village_type("3174011001") == "kelurahan"
    with pytest.raises(BadInput, match="4 digits"):
        codes.regency_type("317401")


@pytest.mark.parametrize(
    ("text", "expected"), [("31.74", True), ("3174", True), ("Jakarta", False), ("31a", False)]
)
def test_looks_like_code(text, expected):
    assert codes.looks_like_code(text) is expected
