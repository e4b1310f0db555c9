"""The port itself on both engines: register, stage, fetch, write, map_batches, errors, settings."""

from __future__ import annotations

import os
import random
import re
import stat
from collections.abc import Iterator
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from jaring.batch import BatchEngine, BatchError, EngineUnavailable, engine, load_sql, spark_engine

from . import formulas
from .conftest import Data, Pair

ENGINES = ["duckdb", "spark"]


@pytest.fixture(params=ENGINES)
def batch(request: pytest.FixtureRequest, duck: BatchEngine) -> BatchEngine:
    """Each engine in turn (Spark's from the shared session)."""
    if request.param == "duckdb":
        return duck
    spark: BatchEngine = request.getfixturevalue("spark")
    return spark


def _big_table(rows: int) -> pa.Table:
    rng = random.Random(5)
    return pa.table(
        {
            "k": pa.array([rng.randbytes(16) for _ in range(rows)], pa.binary(16)),
            "v": pa.array([rng.randrange(50) for _ in range(rows)], pa.int64()),
        }
    )


# --- write ------------------------------------------------------------------------------------


def test_write_gives_one_parquet_file_in_query_order(batch: BatchEngine, tmp_path: Path) -> None:
    table = _big_table(6_000)
    batch.register("big", table)
    out = tmp_path / "out" / "ranked.parquet"
    written = batch.write("SELECT k, v FROM big WHERE v < :top ORDER BY v DESC, k", out, {"top": 40})
    rows = sorted(
        ((r["v"], r["k"]) for r in table.to_pylist() if r["v"] < 40), key=lambda item: (-item[0], item[1])
    )
    assert written == len(rows) > 4_000
    assert sorted(os.listdir(out.parent)) == ["ranked.parquet"]  # one file, no leftovers
    result = pq.read_table(out)
    assert result.column_names == ["k", "v"]
    assert list(zip(result.column("v").to_pylist(), result.column("k").to_pylist(), strict=True)) == rows


def test_stream_gives_batches_in_query_order(batch: BatchEngine) -> None:
    table = _big_table(150_000)
    batch.register("big", table)
    got = list(batch.stream("SELECT k, v FROM big WHERE v < :top ORDER BY v DESC, k", {"top": 40}))
    rows = sorted(
        ((r["v"], r["k"]) for r in table.to_pylist() if r["v"] < 40), key=lambda item: (-item[0], item[1])
    )
    assert len(got) > 1  # more rows than one batch holds
    assert all(b.num_rows <= 65_536 for b in got)
    joined = pa.Table.from_batches(got)
    assert list(zip(joined.column("v").to_pylist(), joined.column("k").to_pylist(), strict=True)) == rows
    with pytest.raises(BatchError):
        list(batch.stream("SELECT nothing FROM big"))
    # The engine is usable again after a stream is consumed.
    assert batch.fetch("SELECT COUNT(*) AS n FROM big").to_pylist() == [{"n": 150_000}]


def test_spark_write_keeps_the_order_across_many_sorted_partitions(spark_work: Path, tmp_path: Path) -> None:
    # Without adaptive execution the sort really ends in 8 range partitions, which
    # coalesce(1) must join in order.
    table = _big_table(8_000)
    settings = {"spark.sql.adaptive.enabled": "false"}
    with engine("spark", work_dir=spark_work, shuffle_partitions=8, settings=settings) as spark:
        spark.register("big", table)
        parts = "SELECT spark_partition_id() AS part FROM (SELECT k FROM big ORDER BY k DESC)"
        assert spark.fetch(f"SELECT COUNT(DISTINCT part) AS n FROM ({parts})").to_pylist() == [{"n": 8}]
        out = tmp_path / "ordered.parquet"
        assert spark.write("SELECT k, v FROM big ORDER BY k DESC", out) == 8_000
    keys = pq.read_table(out).column("k").to_pylist()
    assert keys == sorted(table.column("k").to_pylist(), reverse=True)


def test_write_of_an_empty_result_keeps_the_columns(batch: BatchEngine, data: Data, tmp_path: Path) -> None:
    batch.register("persons", data.paths["persons"])
    out = tmp_path / "empty.parquet"
    assert batch.write("SELECT nik_index, desil FROM persons WHERE desil > 100 ORDER BY nik_index", out) == 0
    assert pq.read_table(out).column_names == ["nik_index", "desil"]
    assert pq.read_metadata(out).num_rows == 0


def test_write_replaces_an_existing_file(batch: BatchEngine, tmp_path: Path) -> None:
    out = tmp_path / "x.parquet"
    out.write_bytes(b"old")
    assert batch.write("SELECT 1 AS one", out) == 1
    assert pq.read_table(out).to_pylist() == [{"one": 1}]


# --- register and stage -----------------------------------------------------------------------


def test_stage_counts_and_is_visible_and_can_replace_itself(batch: BatchEngine, data: Data) -> None:
    batch.register("persons", data.paths["persons"])
    staged = batch.stage("poor", "SELECT nik_index, desil FROM persons WHERE desil <= :max", {"max": 4})
    expected = sum(1 for p in data.persons if p["desil"] is not None and p["desil"] <= 4)
    assert staged == expected > 0
    assert batch.fetch("SELECT COUNT(*) AS n FROM poor").to_pylist() == [{"n": expected}]
    poorest = batch.stage("poor", "SELECT nik_index, desil FROM poor WHERE desil <= 2")
    assert poorest == sum(1 for p in data.persons if p["desil"] is not None and p["desil"] <= 2) < expected
    assert batch.stage("nobody", "SELECT nik_index FROM poor WHERE desil > 4") == 0


def test_a_view_is_computed_by_each_query_over_it(batch: BatchEngine, data: Data) -> None:
    batch.register("persons", data.paths["persons"])
    batch.view("poor", "SELECT nik_index, desil FROM persons WHERE desil <= :max", {"max": 4})
    expected = sum(1 for p in data.persons if p["desil"] is not None and p["desil"] <= 4)
    assert batch.fetch("SELECT COUNT(*) AS n FROM poor").to_pylist() == [{"n": expected}]
    poorest = sum(1 for p in data.persons if p["desil"] is not None and p["desil"] <= 2)
    assert batch.fetch("SELECT COUNT(*) AS n FROM poor WHERE desil <= 2").to_pylist() == [{"n": poorest}]
    with pytest.raises(ValueError, match="max"):
        batch.view("bad", "SELECT * FROM persons WHERE desil <= :max")


def test_a_name_can_be_registered_again_as_another_kind(batch: BatchEngine, data: Data) -> None:
    batch.register("t", data.paths["members"])
    batch.stage("t", "SELECT member_id FROM t WHERE member_id >= 2000")
    assert batch.fetch("SELECT COUNT(*) AS n FROM t").to_pylist() == [{"n": 3}]
    batch.register("t", pa.table({"member_id": pa.array([7], pa.int64())}))
    assert batch.fetch("SELECT member_id FROM t").to_pylist() == [{"member_id": 7}]
    batch.register("t", data.paths["payments"])
    assert batch.fetch("SELECT COUNT(*) AS n FROM t").to_pylist() == [{"n": len(data.payments)}]


def test_register_a_directory_of_parquet_files(batch: BatchEngine, tmp_path: Path) -> None:
    folder = tmp_path / "parts"
    folder.mkdir()
    pq.write_table(pa.table({"a": pa.array([1, 2], pa.int64())}), folder / "part-0.parquet")
    pq.write_table(pa.table({"a": pa.array([3], pa.int64())}), folder / "part-1.parquet")
    batch.register("parts", folder)
    assert batch.fetch("SELECT CAST(SUM(a) AS BIGINT) AS s, COUNT(*) AS n FROM parts").to_pylist() == [
        {"s": 6, "n": 3}
    ]


def test_register_an_arrow_table_with_fixed_size_binary(both: Pair) -> None:
    keys = [b"\x10" * 16, b"\x90" * 16, None]
    both.register("keys", pa.table({"k": pa.array(keys, pa.binary(16))}))
    rows = both.agree(
        "SELECT k, p.nik_index IS NOT NULL AS known FROM keys LEFT JOIN persons p ON p.nik_index = k "
        "ORDER BY k NULLS FIRST",
        ordered=True,
    )
    assert [r["k"] for r in rows] == [None, b"\x10" * 16, b"\x90" * 16]


def test_register_a_missing_path(batch: BatchEngine, tmp_path: Path) -> None:
    with pytest.raises(BatchError, match="no such file or directory"):
        batch.register("nothing", tmp_path / "missing.parquet")


@pytest.mark.parametrize("name", ["1st", "a-b", "x; DROP TABLE y", "", "ä"])
def test_table_names_are_plain_identifiers(batch: BatchEngine, name: str) -> None:
    with pytest.raises(ValueError, match="letters, digits and underscores"):
        batch.stage(name, "SELECT 1 AS one")


# --- map_batches ------------------------------------------------------------------------------


@pytest.fixture
def small_batches(tmp_path: Path, spark_work: Path) -> Iterator[Pair]:
    """Both engines with 7-row batches, so a formula sees many of them."""
    with (
        engine("duckdb", temp_dir=tmp_path / "duckdb", batch_rows=7) as duck,
        engine("spark", work_dir=spark_work, batch_rows=7) as spark,
    ):
        yield Pair(duck, spark)


def test_map_batches_with_numpy_agrees_on_both(small_batches: Pair, data: Data) -> None:
    small_batches.register("persons", data.paths["persons"])
    for batch in (small_batches.duck, small_batches.spark):
        batch.stage("src", "SELECT nik_index, income, desil FROM persons WHERE deceased IS NOT TRUE")
        mapped = batch.map_batches("monthly", "src", formulas.monthly_contribution, formulas.SCHEMA)
        assert mapped == sum(p["deceased"] is not True for p in data.persons)
    rows = small_batches.agree(
        "SELECT nik_index, monthly, band FROM monthly ORDER BY nik_index", ordered=True
    )
    by_key = {p["nik_index"]: p for p in data.persons}
    for row in rows:
        person = by_key[row["nik_index"]]
        assert (row["monthly"], row["band"]) == formulas.expected(person["income"], person["desil"])
    assert any(r["monthly"] is None for r in rows)
    assert max(r["monthly"] for r in rows if r["monthly"] is not None) > 2**24


def test_map_batches_output_can_be_joined_and_written(batch: BatchEngine, data: Data, tmp_path: Path) -> None:
    batch.register("persons", data.paths["persons"])
    batch.map_batches("monthly", "persons", formulas.monthly_contribution, formulas.SCHEMA)
    out = tmp_path / "m.parquet"
    n = batch.write(
        "SELECT p.regency_code, CAST(SUM(m.monthly) AS BIGINT) AS monthly FROM persons p "
        "JOIN monthly m ON m.nik_index = p.nik_index GROUP BY p.regency_code ORDER BY p.regency_code",
        out,
    )
    assert n == len({p["regency_code"] for p in data.persons})


def test_map_batches_function_failure_is_a_batch_error(batch: BatchEngine, data: Data) -> None:
    batch.register("persons", data.paths["persons"])
    with pytest.raises(BatchError, match=r"the batch function failed: ValueError: boom") as caught:
        batch.map_batches("out", "persons", formulas.boom, formulas.SCHEMA)
    assert "\n" not in str(caught.value)


def test_map_batches_wrong_columns_is_a_batch_error(batch: BatchEngine, data: Data) -> None:
    batch.register("persons", data.paths["persons"])
    with pytest.raises(BatchError, match=r"returned columns \['other'\]"):
        batch.map_batches("out", "persons", formulas.wrong_columns, formulas.SCHEMA)


# --- errors -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("sql", "pattern"),
    [
        ("SELECT no_such_column FROM persons", "no_such_column"),
        ("SELECT name FROM no_such_table", "no_such_table"),
        ("SELECT CAST(name AS INTEGER) AS n FROM persons", "convert|cast"),
    ],
)
def test_a_bad_statement_is_one_line_batch_error(
    batch: BatchEngine, data: Data, tmp_path: Path, sql: str, pattern: str
) -> None:
    batch.register("persons", data.paths["persons"])
    attempts = {
        "fetch": lambda: batch.fetch(sql),
        "stage": lambda: batch.stage("x", sql),
        "write": lambda: batch.write(sql, tmp_path / "bad.parquet"),
    }
    for how, attempt in attempts.items():
        with pytest.raises(BatchError) as caught:
            attempt()
        message = str(caught.value)
        assert message.startswith(f"{batch.name}: "), how
        assert "\n" not in message, how
        assert re.search(pattern, message, re.IGNORECASE), (how, message)
        assert caught.value.__cause__ is not None
    assert not (tmp_path / "bad.parquet").exists()


def test_a_closed_engine_refuses_work(tmp_path: Path, spark_work: Path) -> None:
    for batch in (engine("duckdb", temp_dir=tmp_path), engine("spark", work_dir=spark_work)):
        with batch:
            pass
        with pytest.raises(BatchError, match="closed"):
            batch.fetch("SELECT 1 AS one")
        batch.close()  # twice is fine


def test_unknown_engine() -> None:
    with pytest.raises(ValueError, match="unknown batch engine 'sqlite'"):
        engine("sqlite")


# --- SQL files --------------------------------------------------------------------------------


def test_load_sql_reads_package_data() -> None:
    assert "FROM persons" in load_sql("_portable_check")


@pytest.mark.parametrize("name", ["no_such_file", "../engine", "x.sql"])
def test_load_sql_refuses_unknown_names(name: str) -> None:
    with pytest.raises(ValueError, match=r"no SQL file|letters, digits"):
        load_sql(name)


# --- settings ---------------------------------------------------------------------------------


def _settings(batch: BatchEngine) -> dict[str, object]:
    rows = batch.fetch(
        "SELECT current_setting('memory_limit') AS memory, current_setting('threads') AS threads, "
        "current_setting('temp_directory') AS spill, current_setting('preserve_insertion_order') AS ordered"
    ).to_pylist()
    return dict(rows[0])


def test_duckdb_memory_limit_spill_folder_and_threads(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("JARING_DUCKDB_MEMORY", "300MB")
    monkeypatch.setenv("JARING_DATA_DIR", str(tmp_path / "data"))
    with engine("duckdb") as default, engine("duckdb", memory_limit="300MB", temp_dir=tmp_path) as explicit:
        got = _settings(default)
        assert got["memory"] == _settings(explicit)["memory"]
        assert str(got["spill"]).startswith(str((tmp_path / "data" / "tmp" / "duckdb").resolve()))
        assert got["threads"] == len(os.sched_getaffinity(0))
        assert got["ordered"] is True
        folder = Path(str(got["spill"])).parent
        assert folder.is_dir()
    assert not folder.exists()  # removed on close
    with engine("duckdb", temp_dir=tmp_path, memory_limit="1GB", threads=1) as other:
        assert _settings(other)["memory"] != got["memory"]
        assert _settings(other)["threads"] == 1


def test_spark_runs_locally_without_ui(spark: BatchEngine) -> None:
    conf = spark_engine.session().sparkContext.getConf()
    assert conf.get("spark.master") == "local[2]"
    assert conf.get("spark.ui.enabled") == "false"
    assert conf.get("spark.driver.bindAddress") == "127.0.0.1"
    with pytest.raises(BatchError, match="started once per process"):
        spark_engine.session(master="local[1]")


def _fake_java(folder: Path, version_line: str) -> Path:
    home = folder / "jdk"
    (home / "bin").mkdir(parents=True)
    java = home / "bin" / "java"
    java.write_text(f"#!/bin/sh\necho '{version_line}' >&2\n")
    java.chmod(java.stat().st_mode | stat.S_IEXEC)
    return home


@pytest.mark.parametrize(
    ("line", "major"),
    [
        ('openjdk version "17.0.15" 2025-04-15', 17),
        ('openjdk version "21" 2023-09-19', 21),
        ('java version "1.8.0_392"', 8),
        ('openjdk version "11.0.22" 2024-01-16', 11),
    ],
)
def test_java_version_is_read(tmp_path: Path, line: str, major: int) -> None:
    home = _fake_java(tmp_path, line)
    assert spark_engine.java_major(str(home / "bin" / "java")) == major


def test_old_or_missing_java_says_to_run_ensure_java(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("JAVA_HOME", str(_fake_java(tmp_path, 'openjdk version "11.0.22" 2024-01-16')))
    with pytest.raises(EngineUnavailable, match=r"found Java 11 .*run scripts/ensure-java"):
        spark_engine.check_java()
    monkeypatch.setenv("JAVA_HOME", str(tmp_path / "nowhere"))
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(EngineUnavailable, match=r"none was found; run scripts/ensure-java"):
        spark_engine.check_java()


def test_the_real_java_is_new_enough() -> None:
    java = spark_engine.java_executable()
    assert java is not None
    major = spark_engine.java_major(java)
    assert major is not None
    assert major >= 17
