"""Each kind of error leaves the API with its status and one JSON shape, over real HTTP."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from typing import Annotated

import httpx
import pytest
from fastapi import Query
from pydantic import BaseModel

from jaring.api.app import create_app
from jaring.api.errors import ScrubFilter, scrub
from jaring.kit.errors import BadInput, Conflict, Forbidden, JaringError, NotFound, Unauthenticated
from jaring.kit.periods import Month
from tests.accounts.server import serving

RAISED = {
    "not-found": NotFound("member 12 not found"),
    "bad-input": BadInput("income must be at least Rp 1.000.000", field="income"),
    "bad-input-plain": BadInput("the file is empty"),
    "forbidden": Forbidden("your role (auditor) may not do this (member.enrol)"),
    "conflict": Conflict("a sponsor with code 'X' exists already"),
    "unauthenticated": Unauthenticated("log in first"),
    "jaring": JaringError("regions are not loaded"),
}


class Body(BaseModel):
    income: int
    month: str


@pytest.fixture(scope="module")
def api(tmp_path_factory) -> Iterator[httpx.Client]:
    # The routes below never touch the store; the URL only has to be one.
    app = create_app(database_url=f"sqlite:///{tmp_path_factory.mktemp('errors') / 'unused.db'}")

    @app.get("/test-only/raise/{kind}")
    def raise_(kind: str) -> None:
        raise RAISED[kind]

    @app.get("/test-only/month")
    def month(value: Annotated[str, Query()]) -> str:
        return str(Month.parse(value))

    @app.post("/test-only/body")
    def body(payload: Body) -> int:
        return payload.income

    with serving(app) as base, httpx.Client(base_url=base, timeout=30) as client:
        yield client


@pytest.mark.parametrize(
    ("kind", "status"),
    [
        ("not-found", 404),
        ("bad-input-plain", 422),
        ("forbidden", 403),
        ("conflict", 409),
        ("unauthenticated", 401),
        ("jaring", 422),
    ],
)
def test_each_error_has_its_status_and_says_why(api, kind, status):
    response = api.get(f"/test-only/raise/{kind}")
    assert response.status_code == status
    assert response.json() == {"detail": str(RAISED[kind])}
    assert ("www-authenticate" in response.headers) == (status == 401)


def test_an_error_naming_a_field_lists_it(api):
    response = api.get("/test-only/raise/bad-input")
    assert response.status_code == 422
    assert response.json() == {
        "detail": "income must be at least Rp 1.000.000",
        "errors": [{"field": "income", "reason": "income must be at least Rp 1.000.000"}],
    }


def test_a_calculator_input_error_is_the_callers_to_fix(api):
    response = api.get("/test-only/month", params={"value": "2025-13"})
    assert response.status_code == 422
    assert "2025-13" in response.json()["detail"]
    assert api.get("/test-only/month", params={"value": "2025-05"}).json() == "2025-05"


def test_validation_names_every_field_at_fault_without_echoing_values(api):
    response = api.post("/test-only/body", json={"income": "3507012345670001x"})
    assert response.status_code == 422
    body = response.json()
    assert body["errors"] == [
        {
            "field": "body.income",
            "reason": "input should be a valid integer, unable to parse string as an integer",
        },
        {"field": "body.month", "reason": "field required"},
    ]
    assert body["detail"].startswith("the request is not valid: body.income: input should be a valid integer")
    assert "3507012345670001" not in response.text


def test_a_missing_query_parameter_is_named(api):
    response = api.get("/test-only/month")
    assert response.status_code == 422
    assert response.json()["errors"] == [{"field": "query.value", "reason": "field required"}]


def test_an_unknown_path_is_still_a_plain_404(api):
    response = api.get("/no/such/path")
    assert (response.status_code, response.json()) == (404, {"detail": "Not Found"})


def test_scrub_masks_nik_like_numbers_and_sql_parameters():
    text = "lookup 3507012345670001 failed\n[SQL: SELECT 1]\n[parameters: ('Budi', '3507012345670001')]\n"
    assert scrub(text) == "lookup 350701********** failed\n[SQL: SELECT 1]\n[parameters hidden]\n"
    # Longer digit runs (an account number) and shorter ones are left alone.
    assert scrub("ref 12345678901234567 and 123456") == "ref 12345678901234567 and 123456"


def test_the_log_filter_masks_a_nik_in_an_access_log_line():
    record = logging.LogRecord(
        "uvicorn.access", logging.INFO, __file__, 1, '%s - "%s %s HTTP/%s" %d',
        ("127.0.0.1:5000", "GET", "/api/v1/members?nik=3507012345670001", "1.1", 200), None,
    )  # fmt: skip
    assert ScrubFilter().filter(record)
    assert record.getMessage() == '127.0.0.1:5000 - "GET /api/v1/members?nik=350701********** HTTP/1.1" 200'
