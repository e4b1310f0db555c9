"""The portable SQL subset (docs/batch.md): each construct gives the same complete result on
DuckDB and Spark over the same Parquet inputs, and the result is the one expected."""

from __future__ import annotations

from collections import Counter, defaultdict
from datetime import date

import pyarrow as pa
import pytest

from jaring.batch import BatchError, load_sql

from .conftest import Data, Pair


def _age(born: date, on: date) -> int:
    return on.year - born.year - ((born.month, born.day) > (on.month, on.day))


# --- joins --------------------------------------------------------------------------------


def test_inner_join_on_binary_key_keeps_duplicates(both: Pair, data: Data) -> None:
    rows = both.agree(
        """
        SELECT p.nik_index, p.name, m.member_id, m.status
        FROM persons p JOIN members m ON m.nik_index = p.nik_index
        """,
        ordered=False,
    )
    niks = {p["nik_index"] for p in data.persons}
    expected = sorted(m["member_id"] for m in data.members if m["nik_index"] in niks)
    assert sorted(r["member_id"] for r in rows) == expected
    assert Counter(r["nik_index"] for r in rows)[data.persons[0]["nik_index"]] == 2  # two memberships


def test_left_join_keeps_every_person_with_nulls(both: Pair, data: Data) -> None:
    rows = both.agree(
        """
        SELECT p.nik_index, m.member_id
        FROM persons p LEFT JOIN members m ON m.nik_index = p.nik_index
        """,
        ordered=False,
    )
    assert len(rows) == len(data.persons) + 1  # one person has two memberships
    assert sum(r["member_id"] is None for r in rows) == len(data.persons) // 2


@pytest.mark.parametrize(
    "sql",
    [
        """
        SELECT p.nik_index FROM persons p
        WHERE NOT EXISTS (SELECT 1 FROM members m WHERE m.nik_index = p.nik_index)
        """,
        """
        SELECT p.nik_index FROM persons p
        LEFT JOIN members m ON m.nik_index = p.nik_index
        WHERE m.nik_index IS NULL
        """,
    ],
    ids=["not-exists", "left-join-is-null"],
)
def test_anti_join(both: Pair, data: Data, sql: str) -> None:
    rows = both.agree(sql, ordered=False)
    members = {m["nik_index"] for m in data.members}
    expected = sorted(p["nik_index"] for p in data.persons if p["nik_index"] not in members)
    assert sorted(r["nik_index"] for r in rows) == expected
    assert expected  # the data has non-members


def test_semi_join_exists_and_in_subquery(both: Pair, data: Data) -> None:
    exists = both.agree(
        """
        SELECT p.nik_index FROM persons p
        WHERE EXISTS (SELECT 1 FROM members m WHERE m.nik_index = p.nik_index AND m.status = 'aktif')
        """,
        ordered=False,
    )
    within = both.agree(
        "SELECT nik_index FROM persons "
        "WHERE nik_index IN (SELECT nik_index FROM members WHERE status = 'aktif')",
        ordered=False,
    )
    assert exists == within
    assert len(exists) == len(data.persons) // 2


# --- aggregation ------------------------------------------------------------------------------


def test_group_by_count_and_sum_in_bigint_rupiah(both: Pair, data: Data) -> None:
    rows = both.agree(
        """
        SELECT
            regency_code,
            COUNT(*) AS persons,
            COUNT(income) AS with_income,
            COUNT(DISTINCT kk_index) AS households,
            CAST(SUM(income) AS BIGINT) AS income,
            MIN(desil) AS lowest_desil,
            MAX(birth_date) AS youngest
        FROM persons
        GROUP BY regency_code
        HAVING COUNT(*) > 1
        ORDER BY regency_code
        """,
        ordered=True,
    )
    groups: dict[str, list[dict[str, object]]] = defaultdict(list)
    for person in data.persons:
        groups[person["regency_code"]].append(person)
    expected_income = {
        code: sum(p["income"] for p in people if p["income"] is not None) for code, people in groups.items()
    }
    assert [r["regency_code"] for r in rows] == sorted(c for c, people in groups.items() if len(people) > 1)
    for row in rows:
        assert row["persons"] == len(groups[row["regency_code"]])
        assert row["income"] == expected_income[row["regency_code"]]
    assert max(r["income"] for r in rows) > 2**31  # beyond a 32-bit integer


def test_sum_of_payments_joined_to_members(both: Pair, data: Data) -> None:
    rows = both.agree(
        """
        SELECT
            m.status,
            COUNT(pay.member_id) AS payments,
            CAST(COALESCE(SUM(pay.amount), 0) AS BIGINT) AS paid
        FROM members m LEFT JOIN payments pay ON pay.member_id = m.member_id
        GROUP BY m.status
        ORDER BY m.status
        """,
        ordered=True,
    )
    total = sum(p["amount"] for p in data.payments)
    assert sum(r["paid"] for r in rows) == total


# --- expressions ------------------------------------------------------------------------------


def test_case_and_coalesce(both: Pair) -> None:
    rows = both.agree(
        """
        SELECT
            nik_index,
            CASE
                WHEN desil IS NULL THEN 'unknown'
                WHEN desil <= 4 THEN 'poor'
                ELSE 'other'
            END AS band,
            COALESCE(deceased, FALSE) AS deceased,
            CAST(COALESCE(income, 0) AS BIGINT) AS income
        FROM persons
        ORDER BY nik_index
        """,
        ordered=True,
    )
    assert {r["band"] for r in rows} == {"unknown", "poor", "other"}
    assert all(r["deceased"] is not None for r in rows)


def _div(a: int, b: int) -> int:
    """Integer division truncating toward zero, as both engines do."""
    quotient = abs(a) // abs(b)
    return quotient if (a >= 0) == (b > 0) else -quotient


def test_integer_division_and_modulo(both: Pair, data: Data) -> None:
    rows = both.agree(
        """
        SELECT
            nik_index,
            CAST(income // 12 AS BIGINT) AS monthly,
            CAST((income * 3) // 100 AS BIGINT) AS three_percent,
            CAST(income % 7 AS BIGINT) AS remainder,
            CAST((0 - income) // 7 AS BIGINT) AS negative
        FROM persons
        ORDER BY nik_index
        """,
        ordered=True,
    )
    incomes = {p["nik_index"]: p["income"] for p in data.persons}
    for row in rows:
        income = incomes[row["nik_index"]]
        if income is None:
            assert row["monthly"] is row["negative"] is None
            continue
        assert row["monthly"] == income // 12
        assert row["three_percent"] == income * 3 // 100
        assert row["remainder"] == income - 7 * _div(income, 7)
        assert row["negative"] == _div(-income, 7)
    assert -107142 in {r["negative"] for r in rows}  # -750000 // 7 truncates; floor would be -107143


def test_integer_division_truncates_toward_zero(both: Pair) -> None:
    rows = both.agree(
        "SELECT CAST(-7 // 2 AS BIGINT) AS q, CAST(-7 % 2 AS BIGINT) AS r, CAST(7 // -2 AS BIGINT) AS s",
        ordered=True,
    )
    assert rows == [{"q": -3, "r": -1, "s": -3}]


def test_string_equality_in_lists_and_prefixes(both: Pair, data: Data) -> None:
    rows = both.agree(
        """
        SELECT nik_index, name, village_code
        FROM persons
        WHERE sex = 'P'
          AND village_code IN (:villages)
          AND substr(village_code, 1, 4) = regency_code
          AND village_code LIKE '31%'
          AND name <> 'O''Brien'
        """,
        {"villages": ["3171010001", "3172020001", "3273030001"]},
        ordered=False,
    )
    expected = [
        p
        for p in data.persons
        if p["sex"] == "P" and p["village_code"] in ("3171010001", "3172020001") and p["name"] != "O'Brien"
    ]
    assert len(rows) == len(expected) > 0


def test_concatenation_and_cast_to_text(both: Pair) -> None:
    both.agree(
        """
        SELECT nik_index, regency_code || '-' || CAST(desil AS VARCHAR) AS label
        FROM persons
        ORDER BY nik_index
        """,
        ordered=True,
    )


def test_union_all_distinct_and_ctes(both: Pair) -> None:
    both.agree(
        """
        WITH poor AS (SELECT nik_index, regency_code FROM persons WHERE desil <= 2),
             old AS (SELECT nik_index, regency_code FROM persons WHERE birth_date < DATE '1970-01-01')
        SELECT 'poor' AS why, regency_code FROM poor
        UNION ALL
        SELECT DISTINCT 'old' AS why, regency_code FROM old
        """,
        ordered=False,
    )


# --- windows and ordering ---------------------------------------------------------------------


def test_window_functions_with_ties_and_nulls(both: Pair) -> None:
    rows = both.agree(
        """
        SELECT
            nik_index,
            CAST(
                ROW_NUMBER() OVER (
                    PARTITION BY regency_code ORDER BY desil ASC NULLS LAST, nik_index
                ) AS BIGINT
            ) AS position,
            CAST(
                RANK() OVER (PARTITION BY regency_code ORDER BY desil ASC NULLS FIRST) AS BIGINT
            ) AS desil_rank,
            COUNT(*) OVER (PARTITION BY kk_index) AS household_size,
            COUNT(*) OVER (PARTITION BY regency_code ORDER BY desil DESC NULLS LAST) AS running
        FROM persons
        ORDER BY nik_index
        """,
        ordered=True,
    )
    assert any(r["household_size"] > 1 for r in rows)
    ranks = Counter(r["desil_rank"] for r in rows)
    assert any(n > 1 for n in ranks.values())  # ties share a rank


@pytest.mark.parametrize(
    "order",
    [
        "desil ASC NULLS FIRST, nik_index",
        "desil ASC NULLS LAST, nik_index",
        "desil DESC NULLS FIRST, nik_index DESC",
        "desil DESC NULLS LAST, nik_index",
        "birth_date DESC NULLS LAST, kk_index, nik_index",
        "income ASC NULLS FIRST, name DESC, nik_index",
    ],
)
def test_total_order_with_explicit_nulls(both: Pair, order: str) -> None:
    rows = both.agree(
        f"SELECT nik_index, desil, birth_date, income FROM persons ORDER BY {order}", ordered=True
    )
    column = order.split()[0]
    values = [r[column] for r in rows]
    nulls_first = "NULLS FIRST" in order
    assert (values[0] is None) == nulls_first
    assert (values[-1] is None) == (not nulls_first)


def test_binary_keys_order_as_unsigned_bytes(both: Pair, data: Data) -> None:
    rows = both.agree("SELECT nik_index FROM persons ORDER BY nik_index", ordered=True)
    assert [r["nik_index"] for r in rows] == sorted(p["nik_index"] for p in data.persons)
    keys = [r["nik_index"] for r in rows]
    assert keys.index(b"\x7f" + b"\xff" * 15) < keys.index(b"\x80" + b"\x00" * 15)  # unsigned
    assert keys[0] == b"\x00" * 16
    assert keys[-1] == b"\xff" * 16


def test_binary_keys_join_compare_and_bind(both: Pair) -> None:
    rows = both.agree(
        """
        SELECT nik_index FROM persons
        WHERE nik_index >= :low AND nik_index < unhex(:high_hex) AND nik_index <> :skip
        ORDER BY nik_index DESC
        """,
        {"low": b"\x41" * 15 + b"\x01", "high_hex": "80", "skip": b"\x41" * 15 + b"\xfe"},
        ordered=True,
    )
    keys = [r["nik_index"] for r in rows]
    assert b"\x41" * 15 + b"\x01" in keys
    assert b"\x41" * 15 + b"\xfe" not in keys
    assert b"\x7f" + b"\xff" * 15 in keys
    assert b"\x80" + b"\x00" * 15 not in keys


# --- dates, booleans, small integers ----------------------------------------------------------


def test_date_comparisons(both: Pair, data: Data) -> None:
    rows = both.agree(
        """
        SELECT nik_index, birth_date FROM persons
        WHERE birth_date <= :cutoff AND birth_date BETWEEN DATE '1960-01-01' AND :last
           OR birth_date IS NULL
        """,
        {"cutoff": date(2008, 2, 28), "last": date(2026, 12, 31)},
        ordered=False,
    )
    expected = [
        p
        for p in data.persons
        if p["birth_date"] is None or date(1960, 1, 1) <= p["birth_date"] <= date(2008, 2, 28)
    ]
    assert len(rows) == len(expected)


@pytest.mark.parametrize(
    "on",
    [
        date(2026, 3, 10),
        date(2026, 3, 9),
        date(2027, 2, 28),
        date(2027, 3, 1),
        date(2028, 2, 28),
        date(2028, 2, 29),
    ],
)
def test_age_in_completed_years(both: Pair, data: Data, on: date) -> None:
    rows = both.agree(load_sql("_portable_check"), {"on": on}, ordered=True)
    by_key = {p["nik_index"]: p["birth_date"] for p in data.persons}
    for row in rows:
        born = by_key[row["nik_index"]]
        assert row["age"] == (None if born is None else _age(born, on))


def test_age_around_birthdays_and_29_february(both: Pair) -> None:
    sql = load_sql("_portable_check").replace("FROM persons", "FROM births")
    cases = [
        (date(2000, 3, 10), date(2026, 3, 9), 25),
        (date(2000, 3, 10), date(2026, 3, 10), 26),
        (date(1999, 12, 31), date(2000, 1, 1), 0),  # date_diff('year', …) says 1 in DuckDB
        (date(2004, 2, 29), date(2027, 2, 28), 22),
        (date(2004, 2, 29), date(2027, 3, 1), 23),
        (date(2004, 2, 29), date(2028, 2, 28), 23),
        (date(2004, 2, 29), date(2028, 2, 29), 24),
        (date(2008, 3, 1), date(2028, 2, 29), 19),
    ]
    for born, on, expected in cases:
        births = pa.table({"nik_index": [b"\x01" * 16], "birth_date": pa.array([born], pa.date32())})
        both.register("births", births)
        rows = both.agree(sql, {"on": on}, ordered=True)
        assert rows[0]["age"] == expected == _age(born, on), (born, on)


def test_booleans(both: Pair, data: Data) -> None:
    rows = both.agree(
        """
        SELECT
            CAST(COUNT(*) FILTER (WHERE deceased) AS BIGINT) AS dead,
            CAST(COUNT(*) FILTER (WHERE NOT deceased) AS BIGINT) AS alive,
            CAST(COUNT(*) FILTER (WHERE deceased IS NULL) AS BIGINT) AS unknown,
            CAST(
                SUM(CASE WHEN COALESCE(deceased, FALSE) = FALSE THEN 1 ELSE 0 END) AS BIGINT
            ) AS not_known_dead
        FROM persons
        """,
        ordered=True,
    )
    flags = [p["deceased"] for p in data.persons]
    assert rows == [
        {
            "dead": flags.count(True),
            "alive": flags.count(False),
            "unknown": flags.count(None),
            "not_known_dead": flags.count(False) + flags.count(None),
        }
    ]


def test_int8_and_int16_columns_from_parquet(both: Pair, data: Data) -> None:
    rows = both.agree(
        """
        SELECT
            nik_index,
            desil,
            jamsostek,
            warning_flags,
            CAST(desil + 1 AS INTEGER) AS next_desil,
            CAST(warning_flags * 1000 AS INTEGER) AS scaled,
            desil <= 4 AS poor
        FROM persons
        WHERE jamsostek = 0 OR warning_flags IN (2, 6)
        ORDER BY nik_index
        """,
        ordered=True,
    )
    duck, _ = both.fetch("SELECT desil, warning_flags FROM persons LIMIT 1")
    assert [str(t) for t in duck.schema.types] == ["int8", "int16"]
    expected = [p for p in data.persons if p["jamsostek"] == 0 or p["warning_flags"] in (2, 6)]
    assert len(rows) == len(expected)


def test_empty_in_list_is_false_and_not_in_is_true(both: Pair, data: Data) -> None:
    none = both.agree("SELECT nik_index FROM persons WHERE desil IN (:none)", {"none": []}, ordered=False)
    every = both.agree(
        "SELECT nik_index FROM persons WHERE desil NOT IN (:none)", {"none": []}, ordered=False
    )
    assert none == []
    assert len(every) == len(data.persons)


# --- what does NOT translate (docs/batch.md, "Avoid") ----------------------------------------


def test_avoid_date_diff_year_counts_boundaries_in_duckdb_only(both: Pair) -> None:
    duck, spark = both.fetch("SELECT date_diff('year', DATE '1999-12-31', DATE '2000-01-01') AS years")
    assert duck.to_pylist() == [{"years": 1}]  # a year boundary crossed
    assert spark.to_pylist() == [{"years": 0}]  # Spark's DATEDIFF(YEAR, …): completed years


def test_avoid_sum_without_cast_gives_different_types(both: Pair) -> None:
    duck, spark = both.fetch("SELECT SUM(income) AS total FROM persons")
    assert duck.column("total").to_pylist() == spark.column("total").to_pylist()
    assert str(duck.schema.field("total").type) == "decimal128(38, 0)"  # HUGEINT
    assert str(spark.schema.field("total").type) == "int64"


def test_avoid_float_division_by_zero(both: Pair) -> None:
    duck = both.duck.fetch("SELECT 1 / 0 AS x")
    assert duck.to_pylist() == [{"x": float("inf")}]
    with pytest.raises(BatchError, match="DIVIDE_BY_ZERO"):
        both.spark.fetch("SELECT 1 / 0 AS x")
