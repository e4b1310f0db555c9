"""`jaring reference …` and `jaring region …` as a person runs them: a real process."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.reference.fixtures import TINY, Loaded, load_once, source_rows, write_csv

JARING = str(Path(sys.executable).parent / "jaring")


def run(*args: str, url: str, tmp_path: Path, **env: str) -> subprocess.CompletedProcess[str]:
    environment = {
        **os.environ,
        "JARING_LANG": "id",
        "JARING_DATA_DIR": str(tmp_path / "var"),
        "JARING_DATABASE_URL": url,
        **env,
    }
    return subprocess.run([JARING, *args], capture_output=True, text=True, env=environment, check=False)


def _one_line_error(done: subprocess.CompletedProcess[str]) -> str:
    assert done.returncode == 2, done.stdout + done.stderr
    assert "Traceback" not in done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1, done.stderr
    assert lines[0].startswith("jaring: error: ")
    return lines[0]


# The process boundary (arguments, env vars, exit codes) is what these tests are about; the
# stores are covered in depth in-process, so only the load runs on both.
@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'cli.db'}"


@pytest.fixture
def loaded_sqlite(tmp_path_factory: pytest.TempPathFactory) -> Loaded:
    return load_once("sqlite", tmp_path_factory)


@pytest.fixture
def folders(tiny_area: Path, tmp_path: Path) -> dict[str, str]:
    population = [
        ("level", "code", "population_male", "population_female", "population_total", "area_km2"),
        ("regency", "3174", "3", "4", "7", "144.94"),
        ("regency", "9999", "1", "1", "2", "1"),
    ]
    write_csv(tmp_path / "ref" / "stats" / "region_population_area.csv", population)
    return {"JARING_AREA_DATA": str(tiny_area), "JARING_REFERENCE_DIR": str(tmp_path / "ref")}


def test_load_reports_counts_then_unchanged(store_url, tmp_path, folders):
    first = run("reference", "load", "--json", url=store_url, tmp_path=tmp_path, **folders)
    assert first.returncode == 0, first.stderr
    body = json.loads(first.stdout)
    assert body["regions"]["status"] == "loaded"
    assert body["regions"]["counts"] == {"province": 2, "regency": 3, "district": 3, "village": 4}
    population = next(f for f in body["stats"]["files"] if f["name"] == "region_population_area.csv")
    assert (population["values"], population["unknown_codes"]) == (4, 1)
    assert body["boundaries"]["status"] == "missing"
    assert "maps" in body["boundaries"]["missing_features"]

    again = run("reference", "load", url=store_url, tmp_path=tmp_path, **folders)
    assert again.returncode == 0, again.stderr
    assert "idn-area-data 0.0.1-test (tidak berubah)" in again.stdout
    assert "Kabupaten/Kota" in again.stdout
    assert "1 kabupaten, 2 kota" in again.stdout
    assert "1 kode wilayah tidak dikenal" in again.stdout
    assert "9999 (line 3)" in again.stdout
    assert "peta koroplet" in again.stdout  # what is missing and what it costs
    assert again.stderr == ""  # no progress bar when stderr is not a terminal


def test_load_in_english_and_without_stats(sqlite_url, tmp_path, folders):
    done = run(
        "reference", "load", "--no-stats", "--lang", "en", url=sqlite_url, tmp_path=tmp_path, **folders
    )
    assert done.returncode == 0, done.stderr
    assert "Regency/city" in done.stdout
    assert "1 regencies, 2 cities" in done.stdout
    assert "not imported (--no-stats)" in done.stdout
    status = run("reference", "status", "--json", url=sqlite_url, tmp_path=tmp_path, **folders)
    assert json.loads(status.stdout)["loads"].keys() == {"regions"}


def test_a_broken_file_is_one_line_naming_file_and_line(sqlite_url, tmp_path, folders, tiny_area):
    write_csv(tiny_area / "villages.csv", [*TINY["villages.csv"], ("31.74.09.1001", "31.74.09", "Nowhere")])
    line = _one_line_error(run("reference", "load", url=sqlite_url, tmp_path=tmp_path, **folders))
    assert "villages.csv line 6" in line
    assert "31.74.09 of 31.74.09.1001 does not exist" in line


def test_region_show_before_any_load_says_what_to_run(sqlite_url, tmp_path):
    line = _one_line_error(run("region", "show", "31", url=sqlite_url, tmp_path=tmp_path))
    assert "run 'jaring reference load' first" in line


def test_region_show_by_code(loaded_sqlite, tmp_path):
    done = run("region", "show", "31.74", url=loaded_sqlite.url, tmp_path=tmp_path)
    assert done.returncode == 0, done.stderr
    regency = next(r for r in source_rows("regencies.csv") if r["code"] == "31.74")
    province = next(r for r in source_rows("provinces.csv") if r["code"] == "31")
    assert f"31.74  {regency['name']}" in done.stdout
    assert province["name"] in done.stdout
    assert "Rantai wilayah" in done.stdout
    body = json.loads(
        run("region", "show", "3174", "--json", url=loaded_sqlite.url, tmp_path=tmp_path).stdout
    )
    assert (body["code"], body["code_dotted"], body["type"]) == ("3174", "31.74", "kota")
    assert [c["code"] for c in body["chain"]] == ["31"]
    assert body["child_count"] == sum(1 for r in source_rows("districts.csv") if r["regency_code"] == "31.74")


def test_region_show_by_name_lists_matches(loaded_sqlite, tmp_path):
    done = run(
        "region",
        "show",
        "tebet",
        "--level",
        "district",
        "--lang",
        "en",
        url=loaded_sqlite.url,
        tmp_path=tmp_path,
    )
    assert done.returncode == 0, done.stderr
    assert "Matching regions" in done.stdout
    for row in source_rows("districts.csv"):
        if "tebet" in row["name"].casefold():
            assert row["code"] in done.stdout
    body = json.loads(
        run("region", "show", "jakarta", "--json", url=loaded_sqlite.url, tmp_path=tmp_path).stdout
    )
    assert body["matches"][0]["code"] == "31"


def test_region_errors_exit_2(loaded_sqlite, tmp_path):
    assert "region 31.99 does not exist" in _one_line_error(
        run("region", "show", "3199", url=loaded_sqlite.url, tmp_path=tmp_path)
    )
    assert "'319' is not valid" in _one_line_error(
        run("region", "show", "319", url=loaded_sqlite.url, tmp_path=tmp_path)
    )
    assert "no region has a name containing 'xyzzy'" in _one_line_error(
        run("region", "show", "xyzzy", url=loaded_sqlite.url, tmp_path=tmp_path)
    )


def test_region_children(loaded_sqlite, tmp_path):
    done = run("region", "children", "31.74", "--json", url=loaded_sqlite.url, tmp_path=tmp_path)
    assert done.returncode == 0, done.stderr
    expected = sorted(r["code"] for r in source_rows("districts.csv") if r["regency_code"] == "31.74")
    assert [c["code_dotted"] for c in json.loads(done.stdout)["children"]] == expected
