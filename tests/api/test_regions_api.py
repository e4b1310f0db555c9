"""`/api/v1/regions` over real HTTP: uvicorn serving `create_app()` on a free port."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from jaring.api.app import create_app
from tests.accounts.server import serving
from tests.reference.fixtures import Loaded, source_rows


@pytest.fixture(scope="module")
def api(loaded_url: Loaded) -> Iterator[httpx.Client]:
    with (
        serving(create_app(database_url=loaded_url.url)) as base,
        httpx.Client(base_url=base, timeout=30) as client,
    ):
        yield client


def test_a_region_with_its_chain_and_stats(api, loaded_url):
    response = api.get("/api/v1/regions/31.74")
    assert response.status_code == 200
    body = response.json()
    regency = next(r for r in source_rows("regencies.csv") if r["code"] == "31.74")
    assert (body["code"], body["code_dotted"], body["name"], body["type"]) == (
        "3174",
        "31.74",
        regency["name"],
        "kota",
    )
    assert [c["code"] for c in body["chain"]] == ["31"]
    assert body["child_count"] == sum(1 for r in source_rows("districts.csv") if r["regency_code"] == "31.74")
    if loaded_url.has_stats:
        population = [s for s in body["stats"] if s["indicator"] == "population_total"]
        assert [(s["period"], s["value"] > 0) for s in population] == [("2024-12", True)]
    assert api.get("/api/v1/regions/3174").json() == body


def test_a_village_chain_over_http(api):
    village = source_rows("villages.csv")[-1]
    body = api.get(f"/api/v1/regions/{village['code']}").json()
    assert body["name"] == village["name"]
    assert [c["code_dotted"] for c in body["chain"]] == [
        village["code"][:2],
        village["code"][:5],
        village["district_code"],
    ]


def test_unknown_region_is_404_and_malformed_code_is_422(api):
    missing = api.get("/api/v1/regions/3199")
    assert missing.status_code == 404
    assert missing.json() == {"detail": "region 31.99 does not exist in the loaded edition"}
    bad = api.get("/api/v1/regions/319")
    assert bad.status_code == 422
    assert "'319' is not valid" in bad.json()["detail"]
    assert api.get("/api/v1/regions/31.99/children").status_code == 404


def test_search_by_name(api):
    body = api.get("/api/v1/regions", params={"q": "tebet", "level": "district"}).json()
    expected = sorted(r["name"] for r in source_rows("districts.csv") if "tebet" in r["name"].casefold())
    assert [r["name"] for r in body["regions"]] == expected
    assert all(r["chain"][-1]["level"] == "regency" for r in body["regions"])
    assert api.get("/api/v1/regions", params={"q": "zzzqqq"}).json() == {"regions": []}


def test_search_without_query_lists_provinces(api):
    body = api.get("/api/v1/regions", params={"limit": 100}).json()
    assert [r["code"] for r in body["regions"]] == [r["code"] for r in source_rows("provinces.csv")]


def test_invalid_query_parameters_name_the_field(api):
    response = api.get("/api/v1/regions", params={"q": "x", "level": "kota"})
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "query.level"
    response = api.get("/api/v1/regions", params={"limit": 0})
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "query.limit"


def test_children(api):
    body = api.get("/api/v1/regions/3174/children").json()
    assert body["parent"]["code"] == "3174"
    expected = sorted(r["code"] for r in source_rows("districts.csv") if r["regency_code"] == "31.74")
    assert [c["code_dotted"] for c in body["children"]] == expected
    village = source_rows("villages.csv")[0]["code"]
    assert api.get(f"/api/v1/regions/{village}/children").json()["children"] == []


def test_openapi_is_published(api):
    spec = api.get("/api/v1/openapi.json").json()
    assert {"/api/v1/regions", "/api/v1/regions/{code}", "/api/v1/regions/{code}/children"} <= set(
        spec["paths"]
    )


def test_an_empty_store_answers_422_saying_to_load(store_url):
    with serving(create_app(database_url=store_url)) as base:
        response = httpx.get(f"{base}/api/v1/regions/31", timeout=30)
        assert response.status_code == 422
        assert "run 'jaring reference load' first" in response.json()["detail"]
