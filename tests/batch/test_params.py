"""Named parameters: bound as SQL literals through the SQLGlot tree, never pasted as text."""

from __future__ import annotations

from datetime import date, datetime

import pytest

from jaring.batch import BatchError, translate

from .conftest import Data, Pair

NASTY = [
    "x' OR '1'='1",
    "O'Brien",
    "back\\slash",
    "quote\\' then more",
    "trailing backslash \\",
    "line\nbreak\ttab",
    "-- not a comment",
    "/* not a comment */",
    "$$dollar$$",
    ":not_a_parameter",
    "Ñoño – ✓",
    "",
]


def test_literals_of_each_type_for_both_dialects() -> None:
    sql = (
        "SELECT a FROM t WHERE n = :n AND m = :m AND s = :s AND b = :b AND d = :d "
        "AND x IS NOT DISTINCT FROM :x AND k = :k AND c IN (:c)"
    )
    params = {
        "n": 42,
        "m": -7,
        "s": "it's",
        "b": True,
        "d": date(2026, 3, 10),
        "x": None,
        "k": b"\x00\xff",
        "c": ["a", "b"],
    }
    assert translate(sql, "duckdb", params) == (
        "SELECT a FROM t WHERE n = 42 AND m = -7 AND s = 'it''s' AND b = TRUE "
        "AND d = CAST('2026-03-10' AS DATE) AND x IS NOT DISTINCT FROM NULL AND k = UNHEX('00ff') "
        "AND c IN ('a', 'b')"
    )
    assert translate(sql, "spark", params) == (
        "SELECT a FROM t WHERE n = 42 AND m = -7 AND s = 'it\\'s' AND b = TRUE "
        "AND d = CAST('2026-03-10' AS DATE) AND x IS NOT DISTINCT FROM NULL AND k = UNHEX('00ff') "
        "AND c IN ('a', 'b')"
    )


def test_parameters_in_any_position_and_not_inside_strings_or_casts() -> None:
    sql = "SELECT :first AS f, year(:on) AS y, ':s' AS literal, x::INTEGER AS c FROM t -- :comment\nLIMIT :n"
    out = translate(sql, "duckdb", {"first": 1, "on": date(2026, 1, 1), "n": 5})
    assert out == (
        "SELECT 1 AS f, YEAR(CAST('2026-01-01' AS DATE)) AS y, ':s' AS literal, CAST(x AS INT) AS c "
        "FROM t LIMIT 5"
    )


def test_a_list_expands_beside_other_items_and_a_tuple_works() -> None:
    assert translate("SELECT a FROM t WHERE b IN (0, :l)", "spark", {"l": (1, 2)}) == (
        "SELECT a FROM t WHERE b IN (0, 1, 2)"
    )


def test_empty_list_makes_in_false() -> None:
    assert translate("SELECT a FROM t WHERE b IN (:l)", "duckdb", {"l": []}) == "SELECT a FROM t WHERE FALSE"
    assert translate("SELECT a FROM t WHERE b NOT IN (:l)", "spark", {"l": []}) == (
        "SELECT a FROM t WHERE NOT FALSE"
    )


def test_missing_and_unknown_parameters_are_named() -> None:
    with pytest.raises(ValueError, match=r"missing parameter\(s\): :on, :region") as caught:
        translate("SELECT a FROM t WHERE d = :on AND r = :region", "duckdb", {})
    assert "unknown" not in str(caught.value)
    with pytest.raises(ValueError, match=r"missing parameter\(s\): :on.*unknown parameter\(s\).*:typo"):
        translate("SELECT a FROM t WHERE d = :on", "spark", {"typo": 1})


@pytest.mark.parametrize(
    ("sql", "params", "message"),
    [
        ("SELECT a FROM t WHERE b = :l", {"l": [1, 2]}, "allowed only as IN"),
        ("SELECT a FROM t WHERE b IN (:l)", {"l": [1, None]}, "must not contain None"),
        ("SELECT a FROM t WHERE b = :x", {"x": 1.5}, "no floats"),
        ("SELECT a FROM t WHERE b = :x", {"x": datetime(2026, 1, 1, 8)}, "not a datetime"),
        ("SELECT a FROM t WHERE b = :x", {"x": 2**63}, "64-bit"),
        ("SELECT a FROM t WHERE b = :x", {"x": object()}, "has type object"),
        ("SELECT a FROM t WHERE b = ?", {}, r"write parameters as :name"),
        ("SELECT a FROM t WHERE b = $x", {"x": 1}, r"write parameters as :name"),
    ],
)
def test_values_and_placeholders_that_are_refused(sql: str, params: dict[str, object], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        translate(sql, "duckdb", params)


@pytest.mark.parametrize(
    ("sql", "message"),
    [
        ("SELECT FROM WHERE (", "does not parse"),
        ("SELECT 1 AS a; SELECT 2 AS b", "exactly one SQL query, got 2"),
        ("DROP TABLE persons", "expected a query"),
        ("SELECT 'unterminated", "does not parse"),
    ],
)
def test_statements_that_are_not_one_query(sql: str, message: str) -> None:
    with pytest.raises(BatchError, match=message):
        translate(sql, "duckdb")


def test_unknown_dialect() -> None:
    with pytest.raises(ValueError, match="unknown dialect"):
        translate("SELECT 1 AS a", "postgres")


@pytest.mark.parametrize("value", NASTY)
def test_strings_come_back_unchanged_on_both_engines(both: Pair, value: str) -> None:
    rows = both.agree(
        "SELECT :value AS value, LENGTH(:value) = :length AS same_length",
        {
            "value": value,
            "length": len(value),
        },
        ordered=True,
        types=False,
    )
    assert rows == [{"value": value, "same_length": True}]


def test_an_injection_attempt_is_a_harmless_literal(both: Pair, data: Data) -> None:
    attack = "x' OR '1'='1"
    rows = both.agree("SELECT nik_index FROM persons WHERE name = :name", {"name": attack}, ordered=False)
    assert rows == []
    quoted = both.agree(
        "SELECT COUNT(*) AS n FROM persons WHERE name = :name", {"name": "O'Brien"}, ordered=True
    )
    assert quoted == [{"n": sum(p["name"] == "O'Brien" for p in data.persons)}]
    assert quoted[0]["n"] > 0


def test_the_same_parameter_twice_and_dates_bools_none(both: Pair) -> None:
    rows = both.agree(
        "SELECT :d AS d, :d = DATE '2028-02-29' AS leap, :t AS t, :f AS f, CAST(:none AS INTEGER) AS none",
        {"d": date(2028, 2, 29), "t": True, "f": False, "none": None},
        ordered=True,
    )
    assert rows == [{"d": date(2028, 2, 29), "leap": True, "t": True, "f": False, "none": None}]
