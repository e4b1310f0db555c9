"""Statistics and boundaries: the operator's real files, and small files for every fault."""

from __future__ import annotations

import csv
import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from jaring.kit.db import store
from jaring.kit.errors import BadInput
from jaring.reference import load, stats
from jaring.reference.model import region_boundaries, region_stats
from tests.reference.fixtures import TINY, Loaded, write_csv


def _stats(url: str) -> dict[tuple[str, str, str], float]:
    with store(url).connect() as connection:
        rows = connection.execute(
            select(region_stats.c.code, region_stats.c.indicator, region_stats.c.period, region_stats.c.value)
        ).all()
    return {(str(r[0]), str(r[1]), str(r[2])): float(r[3]) for r in rows}


def _needs(loaded: Loaded, what: str) -> None:
    if not getattr(loaded, f"has_{what}"):
        pytest.skip(f"no {what} files in {loaded.reference_dir} (JARING_REFERENCE_DIR)")


def _reference_csv(loaded: Loaded, name: str) -> list[dict[str, str]]:
    with (loaded.reference_dir / "stats" / name).open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


# ----------------------------------------------------------------- the operator's files


def test_real_files_have_no_unknown_codes(loaded_url):
    _needs(loaded_url, "stats")
    reports = {r.name: r for r in loaded_url.result.stats.files}
    assert reports["region_population_area.csv"].status == "imported"
    assert reports["national_reference.csv"].status == "not_per_region"
    assert all(r.unknown == 0 for r in reports.values()), {n: r.unknown_examples for n, r in reports.items()}


def test_population_weights_cover_every_regency_and_sum_to_the_national_total(loaded_url):
    _needs(loaded_url, "stats")
    weights = stats.population_weights(loaded_url.url)
    assert len(weights) == 514
    assert sum(weights.values()) == 284_973_643  # Dukcapil total, SOURCES.md
    assert sum(stats.population_weights(loaded_url.url, level="province").values()) == 284_973_643


def test_poverty_rates_match_the_regency_file(loaded_url):
    _needs(loaded_url, "stats")
    rates = stats.poverty_rates(loaded_url.url)
    expected = {
        row["regency_code"]: float(row["poverty_rate_pct_2025_03"])
        for row in _reference_csv(loaded_url, "regency_poverty_bps_2025.csv")
    }
    assert rates == expected


def test_empty_cells_are_not_invented(loaded_url):
    _needs(loaded_url, "stats")
    values = _stats(loaded_url.url)
    # Jakarta has no rural area: its rural poverty line is left empty in the source.
    assert ("31", "poverty_line_rural_idr_per_capita_month", "2025-03") not in values
    assert ("31", "poverty_line_urban_idr_per_capita_month", "2025-03") in values
    welfare = next(r for r in loaded_url.result.stats.files if r.name.startswith("province_welfare"))
    assert welfare.empty == 1


def test_partial_participant_table_stays_partial(loaded_url):
    _needs(loaded_url, "stats")
    values = _stats(loaded_url.url)
    provinces = {code for code, indicator, _p in values if indicator == "bpjstk_active_participants"}
    rows = _reference_csv(loaded_url, "bpjstk_participants_province_2023-12_partial.csv")
    assert provinces == {row["province_code"] for row in rows}
    assert len(provinces) == 28
    assert {p for _c, i, p in values if i.startswith("bpjstk_")} == {"2023-12"}


def test_boundaries_for_every_province_and_regency(loaded_url):
    _needs(loaded_url, "geo")
    assert loaded_url.result.boundaries.rows == 38 + 514
    collection = stats.boundary_collection("province", loaded_url.url)
    assert collection is not None
    assert len(collection["features"]) == 38
    aceh = next(f for f in collection["features"] if f["properties"]["code"] == "11")
    assert aceh["properties"]["name"] == "Aceh"
    assert aceh["geometry"]["type"] == "MultiPolygon"
    assert stats.boundary_collection("district", loaded_url.url) is None


def test_reimport_of_the_same_files_is_unchanged(loaded_url):
    _needs(loaded_url, "stats")
    before = _stats(loaded_url.url)
    again = stats.import_stats(loaded_url.url, reference_dir=loaded_url.reference_dir)
    assert again.status == "unchanged"
    assert again.rows == len(before)
    assert {r.name for r in again.files} == {r.name for r in loaded_url.result.stats.files}
    assert (
        stats.import_boundaries(loaded_url.url, reference_dir=loaded_url.reference_dir).status == "unchanged"
    )
    assert _stats(loaded_url.url) == before


def test_known_codes_from_the_store(loaded_url):
    known = stats.known_codes(loaded_url.url)
    assert known.source == "store"
    assert (len(known.provinces), len(known.regencies), len(known.districts), len(known.villages)) == (
        38,
        514,
        7285,
        83762,
    )
    assert "3174" in known
    assert "3199" not in known
    assert stats.known_codes(loaded_url.url) is known  # cached


# ----------------------------------------------------------------- small files


@pytest.fixture
def tiny_store(store_url, tiny_area):
    load.load_regions(store_url, area_dir=tiny_area)
    return store_url


POPULATION = [
    (
        "level",
        "code",
        "code_dotted",
        "province_code",
        "name",
        "population_male",
        "population_female",
        "population_total",
        "area_km2",
    ),
    ("province", "31", "31", "31", "DKI", "5", "5", "10", "660.98"),
    ("regency", "3174", "31.74", "31", "Jaksel", "3", "4", "7", "144.94"),
    ("regency", "1101", "11.01", "11", "Aceh Selatan", "1", "1", "2", "4174.2"),
    ("regency", "9999", "99.99", "99", "Nowhere", "1", "1", "2", "1"),
    ("regency", "31.0", "31.0", "31", "Truncated", "1", "1", "2", "1"),
    ("province", "3171", "31.71", "31", "Wrong level", "1", "1", "2", "1"),
]


def _report(result: stats.ImportResult, name: str) -> stats.FileReport:
    return next(r for r in result.files if r.name == name)


def _reference(tmp_path: Path, files: dict[str, Sequence[Sequence[str]]]) -> Path:
    folder = tmp_path / "reference"
    for name, rows in files.items():
        write_csv(folder / "stats" / name, rows)
    return folder


def test_unknown_codes_are_counted_and_shown_not_dropped_silently(tiny_store, tmp_path):
    folder = _reference(tmp_path, {"region_population_area.csv": POPULATION})
    result = stats.import_stats(tiny_store, reference_dir=folder)
    report = next(r for r in result.files if r.name == "region_population_area.csv")
    assert (report.rows, report.unknown) == (6, 3)
    assert report.unknown_examples == ["9999 (line 5)", "31.0 (line 6)", "3171 (line 7)"]
    assert report.values == 12
    assert stats.population_weights(tiny_store) == {"3174": 7, "1101": 2}
    assert stats.population_weights(tiny_store, level="province") == {"31": 10}


def test_missing_reference_folder_is_not_an_error(tiny_store, tmp_path):
    result = stats.import_stats(tiny_store, reference_dir=tmp_path / "nowhere")
    assert result.status == "missing"
    assert result.rows == 0
    assert set(result.missing_features) == {"weights", "targeting", "welfare", "baseline"}
    geo = stats.import_boundaries(tiny_store, reference_dir=tmp_path / "nowhere")
    assert (geo.status, geo.missing_features) == ("missing", ["maps"])
    assert stats.population_weights(tiny_store) == {}
    assert stats.poverty_rates(tiny_store) == {}
    assert stats.boundary_collection("province", tiny_store) is None


def test_a_partial_folder_names_only_what_is_missing(tiny_store, tmp_path):
    folder = _reference(
        tmp_path, {"region_population_area.csv": POPULATION[:3], "notes.csv": [("a",), ("b",)]}
    )
    result = stats.import_stats(tiny_store, reference_dir=folder)
    statuses = {r.name: r.status for r in result.files}
    assert statuses["region_population_area.csv"] == "imported"
    assert statuses["notes.csv"] == "unrecognised"
    assert statuses["regency_poverty_bps_*.csv"] == "missing"
    assert "weights" not in result.missing_features
    assert "targeting" in result.missing_features


def test_poverty_rate_falls_back_to_the_province(tiny_store, tmp_path):
    folder = _reference(
        tmp_path,
        {
            "province_poverty_bps.csv": [
                ("province_code", "name", "poverty_rate_pct_2024_03", "poverty_rate_pct_2025_03"),
                ("11", "Aceh", "14.23", "12.33"),
                ("31", "DKI", "4.30", "4.28"),
            ],
            "regency_poverty_bps_2025.csv": [
                (
                    "regency_code",
                    "name_kemendagri",
                    "poverty_rate_pct_2025_03",
                    "poor_population_thousands_2025_03",
                ),
                ("3174", "Jaksel", "3.23", "75.66"),
            ],
        },
    )
    stats.import_stats(tiny_store, reference_dir=folder)
    assert stats.poverty_rates(tiny_store) == {"3174": 3.23, "3171": 4.28, "1101": 12.33}
    values = _stats(tiny_store)
    assert values[("11", "poverty_rate_pct", "2024-03")] == 14.23
    assert values[("3174", "poor_population_thousands", "2025-03")] == 75.66


def test_period_comes_from_the_file_name_or_the_column_suffix(tiny_store, tmp_path):
    folder = _reference(
        tmp_path,
        {
            "bpjstk_participants_province_2023-12_partial.csv": [
                (
                    "province_code",
                    "name",
                    "active_participants",
                    "non_active_participants",
                    "total_registered",
                ),
                ("31", "DKI", "100", "", "100"),
            ],
            "province_welfare_labour_bps_2025.csv": [
                (
                    "province_code",
                    "mean_years_schooling_age15plus_2025",
                    "open_unemployment_rate_pct_2025_02",
                ),
                ("31", "11.58", "6.18"),
            ],
        },
    )
    result = stats.import_stats(tiny_store, reference_dir=folder)
    assert _stats(tiny_store) == {
        ("31", "bpjstk_active_participants", "2023-12"): 100.0,
        ("31", "bpjstk_registered_total", "2023-12"): 100.0,
        ("31", "mean_years_schooling_age15plus", "2025"): 11.58,
        ("31", "open_unemployment_rate_pct", "2025-02"): 6.18,
    }
    assert next(r for r in result.files if r.name.startswith("bpjstk")).empty == 1


def test_a_bad_number_names_file_line_and_column_and_keeps_the_previous_import(tiny_store, tmp_path):
    folder = _reference(tmp_path, {"region_population_area.csv": POPULATION[:3]})
    stats.import_stats(tiny_store, reference_dir=folder)
    before = _stats(tiny_store)
    broken = [*POPULATION[:3], ("regency", "1101", "11.01", "11", "Aceh Selatan", "1", "1", "dua", "4174.2")]
    write_csv(folder / "stats" / "region_population_area.csv", broken)
    with pytest.raises(BadInput, match=r"region_population_area.csv line 4, column population_total: 'dua'"):
        stats.import_stats(tiny_store, reference_dir=folder)
    assert _stats(tiny_store) == before


def test_two_files_disagreeing_on_one_value_is_an_error(tiny_store, tmp_path):
    folder = _reference(
        tmp_path,
        {
            "province_poverty_bps.csv": [("province_code", "poverty_rate_pct_2025_03"), ("31", "4.28")],
            "province_welfare_labour_bps_2025.csv": [
                ("province_code", "poverty_rate_pct_2025_03"),
                ("31", "4.29"),
            ],
        },
    )
    with pytest.raises(
        BadInput, match=r"province_welfare_labour_bps_2025.csv line 2: .*province_poverty_bps.csv"
    ):
        stats.import_stats(tiny_store, reference_dir=folder)
    write_csv(
        folder / "stats" / "province_welfare_labour_bps_2025.csv",
        [("province_code", "poverty_rate_pct_2025_03"), ("31", "4.28")],
    )
    result = stats.import_stats(tiny_store, reference_dir=folder)
    assert next(r for r in result.files if r.name.startswith("province_welfare")).duplicates == 1
    assert _stats(tiny_store) == {("31", "poverty_rate_pct", "2025-03"): 4.28}


def test_the_store_mirrors_the_folder(tiny_store, tmp_path):
    folder = _reference(tmp_path, {"region_population_area.csv": POPULATION[:3]})
    assert stats.import_stats(tiny_store, reference_dir=folder).status == "loaded"
    assert stats.import_stats(tiny_store, reference_dir=folder).status == "unchanged"
    write_csv(folder / "stats" / "region_population_area.csv", POPULATION[:2])
    assert stats.import_stats(tiny_store, reference_dir=folder).rows == 4
    assert stats.population_weights(tiny_store) == {}
    (folder / "stats" / "region_population_area.csv").unlink()
    result = stats.import_stats(tiny_store, reference_dir=folder)
    assert (result.status, result.rows) == ("loaded", 0)
    assert _stats(tiny_store) == {}


def test_new_regions_trigger_a_new_check_of_unchanged_files(store_url, tiny_area, tmp_path):
    load.load_regions(store_url, area_dir=tiny_area)
    folder = _reference(tmp_path, {"region_population_area.csv": POPULATION[:4]})
    first = stats.import_stats(store_url, reference_dir=folder)
    assert _report(first, "region_population_area.csv").unknown == 0
    write_csv(tiny_area / "regencies.csv", [r for r in TINY["regencies.csv"] if r[0] != "11.01"])
    write_csv(tiny_area / "districts.csv", [r for r in TINY["districts.csv"] if r[1] != "11.01"])
    write_csv(tiny_area / "villages.csv", [r for r in TINY["villages.csv"] if not r[0].startswith("11.")])
    load.load_regions(store_url, area_dir=tiny_area)
    second = stats.import_stats(store_url, reference_dir=folder)
    assert second.status == "loaded"
    assert _report(second, "region_population_area.csv").unknown_examples == ["1101 (line 4)"]


def _geojson(path: Path, features: list[dict[str, Any]]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps({"type": "FeatureCollection", "features": features}))


def _feature(code: str, kind: str = "MultiPolygon") -> dict[str, Any]:
    ring = [[106.8, -6.2], [106.9, -6.2], [106.9, -6.3], [106.8, -6.2]]
    coordinates: list[Any] = [[ring]] if kind == "MultiPolygon" else [106.8, -6.2]
    return {
        "type": "Feature",
        "properties": {"code": code},
        "geometry": {"type": kind, "coordinates": coordinates},
    }


def test_boundaries_report_unknown_codes_and_reject_bad_geometry(tiny_store, tmp_path):
    geo = tmp_path / "reference" / "geo"
    _geojson(geo / "regencies.geojson", [_feature("3174"), _feature("31.71"), _feature("9999")])
    result = stats.import_boundaries(tiny_store, reference_dir=tmp_path / "reference")
    report = next(r for r in result.files if r.name == "regencies.geojson")
    assert (result.rows, report.unknown, report.unknown_examples) == (2, 1, ["9999 (feature 3)"])
    assert [r.name for r in result.files if r.status == "missing"] == ["provinces.geojson"]
    with store(tiny_store).connect() as connection:
        assert connection.execute(select(func.count()).select_from(region_boundaries)).scalar_one() == 2
    _geojson(geo / "regencies.geojson", [_feature("3174"), _feature("3171", kind="Point")])
    with pytest.raises(
        BadInput, match=r"regencies\.geojson feature 2: geometry must be a Polygon or MultiPolygon"
    ):
        stats.import_boundaries(tiny_store, reference_dir=tmp_path / "reference")
    collection = stats.boundary_collection("regency", tiny_store)
    assert collection is not None
    assert collection["features"][0]["properties"] == {
        "code": "3171",
        "name": "Kota Administrasi Jakarta Pusat",
    }


def test_known_codes_before_any_load_come_from_the_package_files(store_url, tiny_area):
    known = stats.known_codes(store_url, area_dir=tiny_area)
    assert known.source == "idn-area-data"
    assert known.regencies == {"1101", "3171", "3174"}
    assert known.villages == {"1101012001", "3174011001", "3174011002", "3174021001"}
    load.load_regions(store_url, area_dir=tiny_area)
    after = stats.known_codes(store_url)
    assert after.source == "store"
    assert after.districts == known.districts


def test_a_period_column_overrides_the_default_and_is_checked(tiny_store, tmp_path):
    header = ("level", "code", "population_total", "period")
    folder = _reference(
        tmp_path, {"region_population_area.csv": [header, ("regency", "3174", "7", "2025-06")]}
    )
    stats.import_stats(tiny_store, reference_dir=folder)
    assert _stats(tiny_store) == {("3174", "population_total", "2025-06"): 7.0}
    write_csv(
        folder / "stats" / "region_population_area.csv", [header, ("regency", "3174", "7", "Juni 2025")]
    )
    with pytest.raises(BadInput, match=r"line 2, column period: 'Juni 2025' is not YYYY or YYYY-MM"):
        stats.import_stats(tiny_store, reference_dir=folder)
