"""Region lookup by code and by name, against the full package (expectations from its CSVs)."""

from __future__ import annotations

import pytest

from jaring.kit.errors import BadInput, NotFound
from jaring.reference import load, lookup
from tests.reference.fixtures import source_rows


def _name(file: str, dotted_code: str) -> str:
    return next(row["name"] for row in source_rows(file) if row["code"] == dotted_code)


def test_a_village_by_dotted_or_plain_code_has_its_whole_chain(loaded_url):
    village = source_rows("villages.csv")[0]
    district = village["district_code"]
    regency = district[:5]
    detail = lookup.get_region(village["code"], loaded_url.url)
    assert detail == lookup.get_region(village["code"].replace(".", ""), loaded_url.url)
    assert detail.region.name == village["name"]
    assert detail.region.level == "village"
    assert [r.dotted for r in detail.chain] == [regency[:2], regency, district]
    assert [r.name for r in detail.chain] == [
        _name("provinces.csv", regency[:2]),
        _name("regencies.csv", regency),
        _name("districts.csv", district),
    ]
    assert detail.child_count == 0


def test_a_regency_knows_how_many_districts_it_has(loaded_url):
    detail = lookup.get_region("31.74", loaded_url.url)
    assert detail.region.name == _name("regencies.csv", "31.74")
    assert detail.region.type == "kota"
    expected = [row["code"] for row in source_rows("districts.csv") if row["regency_code"] == "31.74"]
    assert detail.child_count == len(expected)
    assert [r.dotted for r in lookup.children("3174", loaded_url.url)] == sorted(expected)


def test_a_region_carries_its_statistics_when_loaded(loaded_url):
    if not loaded_url.has_stats:
        pytest.skip("no stats files")
    indicators = {s.indicator for s in lookup.get_region("3174", loaded_url.url).stats}
    assert {"population_total", "area_km2", "poverty_rate_pct"} <= indicators


def test_unknown_and_malformed_codes(loaded_url):
    with pytest.raises(NotFound, match=r"region 31\.99 does not exist"):
        lookup.get_region("3199", loaded_url.url)
    with pytest.raises(NotFound):
        lookup.children("31.99", loaded_url.url)
    with pytest.raises(BadInput, match=r"'31\.7' is not valid"):
        lookup.get_region("31.7", loaded_url.url)


def test_name_search_is_case_insensitive_and_orders_by_level_then_name(loaded_url):
    found = lookup.search_regions("JAKARTA", limit=50, url=loaded_url.url)
    levels = [m.region.level for m in found]
    assert levels == sorted(levels, key=["province", "regency", "district", "village"].index)
    assert found[0].region.code == "31"
    regencies = [m.region.name for m in found if m.region.level == "regency"]
    assert regencies == sorted(regencies, key=str.casefold)
    expected = {r["code"] for r in source_rows("regencies.csv") if "jakarta" in r["name"].casefold()}
    assert {m.region.dotted for m in found if m.region.level == "regency"} == expected
    assert all(m.chain[0].code == "31" for m in found if m.region.level == "regency")


def test_name_search_with_level_and_limit(loaded_url):
    expected = sorted(r["name"] for r in source_rows("districts.csv") if "tebet" in r["name"].casefold())
    found = lookup.search_regions("tebet", level="district", url=loaded_url.url)
    assert [m.region.name for m in found] == expected
    assert len(lookup.search_regions("a", level="village", limit=7, url=loaded_url.url)) == 7


def test_wildcards_in_a_query_are_literal(loaded_url):
    assert lookup.search_regions("%", url=loaded_url.url) == []
    assert lookup.search_regions("_", url=loaded_url.url) == []


def test_without_a_query_the_provinces_are_listed(loaded_url):
    found = lookup.search_regions(None, limit=100, url=loaded_url.url)
    assert [m.region.dotted for m in found] == [r["code"] for r in source_rows("provinces.csv")]


def test_bad_level_or_limit(loaded_url):
    with pytest.raises(BadInput, match="level 'kota'"):
        lookup.search_regions("x", level="kota", url=loaded_url.url)
    with pytest.raises(BadInput, match="limit"):
        lookup.search_regions("x", limit=0, url=loaded_url.url)


def test_an_empty_store_says_to_load_first(store_url):
    for call in (
        lambda: lookup.get_region("31", store_url),
        lambda: lookup.search_regions("jakarta", url=store_url),
        lambda: lookup.children("31", store_url),
    ):
        with pytest.raises(lookup.RegionsNotLoaded, match="run 'jaring reference load'"):
            call()


def test_tiny_store_search_escapes_and_chains(store_url, tiny_area):
    load.load_regions(store_url, area_dir=tiny_area)
    found = lookup.search_regions("100%", url=store_url)
    assert [m.region.name for m in found] == ["Setia_budi 100%"]
    assert [r.name for r in found[0].chain] == [
        "DKI Jakarta",
        "Kota Administrasi Jakarta Selatan",
        "Setiabudi",
    ]
    assert lookup.search_regions("t_a", url=store_url) == []  # unescaped, "_" would match "tia"
    assert [m.region.code for m in lookup.search_regions("tebet", url=store_url)] == [
        "317401",
        "3174011001",
        "3174011002",
    ]
