"""`load_regions`: the full idn-area-data package on both stores, and faults in small copies."""

from __future__ import annotations

import shutil
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from jaring.kit.db import store
from jaring.kit.errors import BadInput, JaringError
from jaring.reference import load, stats
from jaring.reference.model import reference_loads, regions
from tests.reference.fixtures import TINY, write_csv


def _count(url: str, *where: Any) -> int:
    with store(url).connect() as connection:
        return int(connection.execute(select(func.count()).select_from(regions).where(*where)).scalar_one())


def _snapshot(url: str) -> tuple[list[Any], list[Any]]:
    with store(url).connect() as connection:
        rows = [tuple(r) for r in connection.execute(select(regions).order_by(regions.c.code))]
        loads = [tuple(r) for r in connection.execute(select(reference_loads.c.id, reference_loads.c.sha256))]
    return rows, loads


# ----------------------------------------------------------------- the real package


def test_full_load_has_the_counts_of_the_2025_edition(loaded_url):
    # Counts from SOURCES.md (Kepmendagri 300.2.2-2430/2025).
    result = loaded_url.result.regions
    assert result.counts == {"province": 38, "regency": 514, "district": 7285, "village": 83762}
    assert result.types == {"kab": 416, "kota": 98, "desa": 75252, "kelurahan": 8496, "desa_adat": 14}
    assert _count(loaded_url.url) == 38 + 514 + 7285 + 83762
    assert _count(loaded_url.url, regions.c.level == "village", regions.c.type == "desa_adat") == 14


def test_the_edition_comes_from_package_json(loaded_url):
    assert loaded_url.result.regions.edition == "idn-area-data 4.0.1"
    assert _count(loaded_url.url, regions.c.edition != "idn-area-data 4.0.1") == 0


def test_every_child_points_at_an_existing_parent(loaded_url):
    parent = regions.alias("parent")
    with store(loaded_url.url).connect() as connection:
        orphans = connection.execute(
            select(func.count())
            .select_from(regions.outerjoin(parent, parent.c.code == regions.c.parent_code))
            .where(regions.c.parent_code.is_not(None), parent.c.code.is_(None))
        ).scalar_one()
    assert orphans == 0
    assert _count(loaded_url.url, regions.c.parent_code.is_(None)) == 38


def test_loading_the_same_files_again_changes_nothing(loaded_url):
    before = _snapshot(loaded_url.url)
    again = load.load_regions(loaded_url.url)
    assert again.status == "unchanged"
    assert again.counts == loaded_url.result.regions.counts
    assert _snapshot(loaded_url.url) == before


# ----------------------------------------------------------------- small copies


def test_tiny_load_normalises_names_and_records_the_load(store_url, tiny_area):
    result = load.load_regions(store_url, area_dir=tiny_area)
    assert result.status == "loaded"
    assert result.edition == "idn-area-data 0.0.1-test"
    assert result.counts == {"province": 2, "regency": 3, "district": 3, "village": 4}
    with store(store_url).connect() as connection:
        row = connection.execute(select(regions).where(regions.c.code == "3174")).mappings().one()
        loads = connection.execute(select(reference_loads)).mappings().all()
    assert row["name"] == "Kota Administrasi Jakarta Selatan"
    assert row["name_key"] == "kota administrasi jakarta selatan"
    assert (row["level"], row["parent_code"], row["province_code"], row["type"]) == (
        "regency",
        "31",
        "31",
        "kota",
    )
    assert [(lo["kind"], lo["rows"], lo["sha256"]) for lo in loads] == [("regions", 12, result.sha256)]


def test_changed_files_replace_the_regions(store_url, tiny_area):
    load.load_regions(store_url, area_dir=tiny_area)
    write_csv(tiny_area / "villages.csv", TINY["villages.csv"][:2])
    result = load.load_regions(store_url, area_dir=tiny_area)
    assert result.status == "loaded"
    assert result.counts["village"] == 1
    assert _count(store_url, regions.c.level == "village") == 1
    assert load.load_regions(store_url, area_dir=tiny_area).status == "unchanged"


def test_without_package_json_the_edition_says_so(store_url, tiny_area):
    (tiny_area.parent / "package.json").unlink()
    assert load.load_regions(store_url, area_dir=tiny_area).edition == "idn-area-data (version unknown)"


def _broken(tiny_area: Path, name: str, rows: Sequence[Sequence[str]]) -> None:
    write_csv(tiny_area / name, rows)


@pytest.mark.parametrize(
    ("name", "rows", "message"),
    [
        (
            "villages.csv",
            [*TINY["villages.csv"], ("31.74.09.1001", "31.74.09", "Nowhere")],
            r"villages.csv line 6: parent district 31.74.09 of 31.74.09.1001 does not exist",
        ),
        (
            "districts.csv",
            [*TINY["districts.csv"][:2], ("31.74.1", "31.74", "Broken"), *TINY["districts.csv"][2:]],
            r"districts.csv line 3, column code: region code '31.74.1' is not valid",
        ),
        (
            "regencies.csv",
            [*TINY["regencies.csv"], ("11.01", "11", "Again")],
            r"regencies.csv line 5: code 11.01 appears twice \(first on line 2\)",
        ),
        (
            "districts.csv",
            [*TINY["districts.csv"], ("31.74.03", "31.71", "Misfiled")],
            r"districts.csv line 5: regency_code 31.71 does not match code 31.74.03",
        ),
        (
            "villages.csv",
            [*TINY["villages.csv"], ("31.74.01.4001", "31.74.01", "Odd")],
            r"villages.csv line 6: .*starts with 1 \(kelurahan\)",
        ),
        (
            "regencies.csv",
            [("code", "name"), ("11.01", "Kabupaten Aceh Selatan")],
            r"regencies.csv line 1: missing column\(s\) province_code",
        ),
        (
            "provinces.csv",
            [*TINY["provinces.csv"], ("3174", "Not a province")],
            r"provinces.csv line 4, column code: '3174' is not a province code",
        ),
        (
            "villages.csv",
            [*TINY["villages.csv"], ("31.74.01.1003", "31.74.01", "  ")],
            r"line 6: .* has no name",
        ),
    ],
)
def test_a_fault_is_named_with_file_and_line_and_the_store_is_unchanged(
    store_url, tiny_area, name, rows, message
):
    load.load_regions(store_url, area_dir=tiny_area)
    before = _snapshot(store_url)
    _broken(tiny_area, name, rows)
    with pytest.raises(BadInput, match=message):
        load.load_regions(store_url, area_dir=tiny_area)
    assert _snapshot(store_url) == before


def test_a_fault_on_first_load_leaves_the_store_empty(store_url, tiny_area):
    _broken(tiny_area, "villages.csv", [*TINY["villages.csv"], ("11.01.02.2001", "11.01.02", "Orphan")])
    with pytest.raises(BadInput, match=r"villages\.csv line 6"):
        load.load_regions(store_url, area_dir=tiny_area)
    assert _count(store_url) == 0


def test_a_missing_file_says_where_to_get_the_package(store_url, tiny_area):
    (tiny_area / "districts.csv").unlink()
    with pytest.raises(JaringError, match=r"districts.csv; set JARING_AREA_DATA"):
        load.load_regions(store_url, area_dir=tiny_area)


def test_load_all_without_stats_leaves_stats_alone(store_url, tiny_area, tmp_path):
    result = load.load_all(store_url, area_dir=tiny_area, reference_dir=tmp_path / "none", with_stats=False)
    assert result.stats is None
    assert result.boundaries is None
    assert load.status(store_url).loads.keys() == {"regions"}


def test_status_reports_counts_and_loads(store_url, tiny_area, tmp_path):
    empty = load.status(store_url)
    assert empty.counts == {"province": 0, "regency": 0, "district": 0, "village": 0}
    assert empty.loads == {}
    shutil.copytree(tiny_area, tmp_path / "copy")
    load.load_all(store_url, area_dir=tiny_area, reference_dir=tmp_path / "none")
    current = load.status(store_url)
    assert current.counts == {"province": 2, "regency": 3, "district": 3, "village": 4}
    assert current.loads["regions"]["detail"]["edition"] == "idn-area-data 0.0.1-test"
    assert current.to_json()["loads"]["regions"]["loaded_at"].endswith("+00:00")
    assert stats.known_codes(store_url).source == "store"
