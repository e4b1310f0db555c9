"""`/api/v1/auth` and `/api/v1/users` over real HTTP, on both stores."""

from __future__ import annotations

import logging
from collections.abc import Iterator

import httpx
import pytest

from jaring.accounts import service
from jaring.api.app import create_app
from tests.accounts.conftest import Account, make_account
from tests.accounts.server import serving

LOGIN_FAILED = "username or password is wrong, or the account is locked"


@pytest.fixture
def api(store_url: str) -> Iterator[httpx.Client]:
    with (
        serving(create_app(database_url=store_url)) as base,
        httpx.Client(base_url=base, timeout=30) as client,
    ):
        yield client


def _token(api: httpx.Client, account: Account) -> str:
    response = api.post(
        "/api/v1/auth/token", json={"username": account.username, "password": account.password}
    )
    assert response.status_code == 200, response.text
    return str(response.json()["access_token"])


def _bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def test_a_token_login_and_who_am_i(api, officer: Account):
    response = api.post("/api/v1/auth/token", json={"username": "Budi", "password": officer.password})
    assert response.status_code == 200
    body = response.json()
    assert (body["token_type"], body["role"], body["region_code"]) == ("bearer", "province_officer", "35")
    assert len(body["access_token"]) >= 40
    me = api.get("/api/v1/auth/me", headers=_bearer(body["access_token"]))
    assert me.status_code == 200
    assert me.json()["username"] == "budi"
    assert me.json()["region_code"] == "35"
    assert "member.enrol" in me.json()["permissions"]
    assert "user.manage" not in me.json()["permissions"]


def test_without_or_with_a_bad_token_the_answer_is_401_with_a_challenge(api, officer: Account):
    for headers in ({}, _bearer("not-a-token"), {"Authorization": "Basic YnVkaTp4"}):
        response = api.get("/api/v1/auth/me", headers=headers)
        assert response.status_code == 401, headers
        assert response.headers["www-authenticate"] == "Bearer"
        assert set(response.json()) == {"detail"}


def test_a_revoked_bearer_token_is_refused(api, officer: Account):
    token = _token(api, officer)
    assert api.delete("/api/v1/auth/token", headers=_bearer(token)).status_code == 204
    assert api.get("/api/v1/auth/me", headers=_bearer(token)).status_code == 401


def test_an_unknown_user_and_a_wrong_password_get_the_same_answer(api, officer: Account):
    unknown = api.post("/api/v1/auth/token", json={"username": "tidak.ada", "password": officer.password})
    wrong = api.post("/api/v1/auth/token", json={"username": officer.username, "password": "salah sekali ya"})
    for response in (unknown, wrong):
        assert response.status_code == 401
        assert response.json() == {"detail": LOGIN_FAILED}
        assert response.headers["www-authenticate"] == "Bearer"
    assert unknown.content == wrong.content


def test_a_locked_account_is_refused_over_http_and_an_admin_unlocks_it(api, officer: Account, admin: Account):
    for _ in range(service.MAX_FAILED_LOGINS):
        api.post("/api/v1/auth/token", json={"username": officer.username, "password": "salah sekali ya"})
    right = {"username": officer.username, "password": officer.password}
    refused = api.post("/api/v1/auth/token", json=right)
    assert (refused.status_code, refused.json()) == (401, {"detail": LOGIN_FAILED})
    unlocked = api.post(f"/api/v1/users/{officer.username}/unlock", headers=_bearer(_token(api, admin)))
    assert unlocked.status_code == 200
    assert unlocked.json()["locked"] is False
    assert api.post("/api/v1/auth/token", json=right).status_code == 200


def test_a_browser_session_sets_an_httponly_lax_cookie_and_logs_out(api, officer: Account):
    response = api.post(
        "/api/v1/auth/session", data={"username": officer.username, "password": officer.password}
    )
    assert response.status_code == 200, response.text
    assert response.json()["role"] == "province_officer"
    cookie = response.headers["set-cookie"]
    assert cookie.startswith("jaring_session=")
    assert "HttpOnly" in cookie
    assert "SameSite=lax" in cookie
    assert "Path=/" in cookie
    assert "Max-Age=28800" in cookie
    session = api.cookies["jaring_session"]

    assert api.get("/api/v1/auth/me").json()["username"] == "budi"
    api.cookies.clear()
    assert api.get("/api/v1/auth/me", headers=_bearer(session)).status_code == 401  # not a bearer token

    as_cookie = {"Cookie": f"jaring_session={session}"}
    logout = api.delete("/api/v1/auth/session", headers=as_cookie)
    assert logout.status_code == 204
    assert "Max-Age=0" in logout.headers["set-cookie"]
    assert api.get("/api/v1/auth/me", headers=as_cookie).status_code == 401
    assert api.delete("/api/v1/auth/session").status_code == 204


def test_a_session_login_also_takes_json_and_validates_it(api, officer: Account):
    response = api.post(
        "/api/v1/auth/session", json={"username": officer.username, "password": officer.password}
    )
    assert response.status_code == 200
    missing = api.post("/api/v1/auth/session", data={"username": officer.username})
    assert missing.status_code == 422
    assert missing.json()["errors"] == [{"field": "body.password", "reason": "field required"}]
    wrong = api.post(
        "/api/v1/auth/session", data={"username": officer.username, "password": "salah sekali ya"}
    )
    assert (wrong.status_code, wrong.json()) == (401, {"detail": LOGIN_FAILED})
    assert "set-cookie" not in wrong.headers


def test_a_bad_login_body_is_422_naming_the_field_and_the_reason(api):
    response = api.post("/api/v1/auth/token", json={"username": "budi"})
    assert response.status_code == 422
    body = response.json()
    assert body["errors"] == [{"field": "body.password", "reason": "field required"}]
    assert body["detail"] == "the request is not valid: body.password: field required"


def test_a_422_never_echoes_the_submitted_value(api):
    nik = 3507012345670001
    response = api.post("/api/v1/auth/token", json={"username": nik, "password": ["x"]})
    assert response.status_code == 422
    fields = {error["field"]: error["reason"] for error in response.json()["errors"]}
    assert fields == {
        "body.username": "input should be a valid string",
        "body.password": "input should be a valid string",
    }
    assert str(nik) not in response.text


def test_a_body_that_is_not_json_is_422(api):
    response = api.post(
        "/api/v1/auth/token", content=b"{username: budi", headers={"Content-Type": "application/json"}
    )
    assert response.status_code == 422
    assert response.json()["errors"][0]["reason"] == "the body is not valid JSON"


def test_a_national_admin_creates_and_lists_users(api, admin: Account):
    headers = _bearer(_token(api, admin))
    new = {
        "username": "rina",
        "role": "regency_officer",
        "password": "kata sandi rina",
        "region_code": "35.07",
    }
    created = api.post("/api/v1/users", json=new, headers=headers)
    assert created.status_code == 201, created.text
    assert (created.json()["username"], created.json()["region_code"]) == ("rina", "3507")
    assert "password" not in created.text
    listed = api.get("/api/v1/users", headers=headers).json()["users"]
    assert [u["username"] for u in listed] == ["admin", "rina"]
    again = api.post("/api/v1/users", json=new, headers=headers)
    assert again.status_code == 409
    short = api.post("/api/v1/users", json={**new, "username": "rini", "password": "pendek"}, headers=headers)
    assert short.status_code == 422
    assert short.json()["errors"][0]["field"] == "password"
    assert "at least 10 characters" in short.json()["detail"]
    rina = {"username": "rina", "password": "kata sandi rina"}
    assert api.post("/api/v1/auth/token", json=rina).json()["region_code"] == "3507"


def test_a_role_without_user_manage_is_403(api, store_url):
    auditor = make_account(store_url, "auditor1", "auditor")
    headers = _bearer(_token(api, auditor))
    new = {"username": "rina", "role": "auditor", "password": "kata sandi rina"}
    response = api.post("/api/v1/users", json=new, headers=headers)
    assert response.status_code == 403
    assert "user.manage" in response.json()["detail"]
    assert api.get("/api/v1/users", headers=headers).status_code == 403
    assert api.post("/api/v1/users", json=new).status_code == 401


def test_deactivation_over_http_ends_the_accounts_tokens(api, admin: Account, officer: Account):
    token = _token(api, officer)
    response = api.post(f"/api/v1/users/{officer.username}/deactivate", headers=_bearer(_token(api, admin)))
    assert (response.status_code, response.json()["active"]) == (200, False)
    assert api.get("/api/v1/auth/me", headers=_bearer(token)).status_code == 401


def test_an_unexpected_error_is_a_500_with_a_reference_and_no_details(store_url, caplog):
    app = create_app(database_url=store_url)

    @app.get("/test-only/boom")
    def boom() -> None:
        raise RuntimeError("secret detail for NIK 3507012345670001")

    with caplog.at_level(logging.ERROR, logger="jaring.api"), serving(app) as base:
        response = httpx.get(f"{base}/test-only/boom", timeout=30)
    assert response.status_code == 500
    body = response.json()
    assert set(body) == {"detail", "reference"}
    assert body["detail"] == "internal error"
    assert len(body["reference"]) == 12
    for leak in ("Traceback", "RuntimeError", "secret detail", "3507012345670001"):
        assert leak not in response.text
    (record,) = [r for r in caplog.records if r.name == "jaring.api"]
    logged = record.getMessage()
    assert body["reference"] in logged
    assert "RuntimeError: secret detail for NIK 350701**********" in logged
    assert "3507012345670001" not in logged


def test_the_openapi_document_is_served_with_the_bearer_scheme(api):
    spec = api.get("/openapi.json")
    assert spec.status_code == 200
    assert spec.json() == api.get("/api/v1/openapi.json").json()
    document = spec.json()
    schemes = document["components"]["securitySchemes"]
    assert schemes["bearer"] == {
        "type": "http",
        "scheme": "bearer",
        "description": schemes["bearer"]["description"],
    }
    assert schemes["session"]["in"] == "cookie"
    assert {"bearer": []} in document["paths"]["/api/v1/auth/me"]["get"]["security"]
    assert "security" not in document["paths"]["/api/v1/auth/token"]["post"]
    session_body = document["paths"]["/api/v1/auth/session"]["post"]["requestBody"]["content"]
    assert set(session_body) == {"application/json", "application/x-www-form-urlencoded"}
    assert {"/api/v1/users", "/api/v1/users/{username}/unlock", "/api/v1/regions"} <= set(document["paths"])


def test_a_store_connection_dropped_by_the_server_is_a_503_and_the_next_request_reconnects(
    api, officer: Account, store_url: str
):
    if not store_url.startswith("postgresql"):
        pytest.skip("only a server can drop a connection")
    from sqlalchemy import create_engine, text

    token = _token(api, officer)
    assert api.get("/api/v1/auth/me", headers=_bearer(token)).status_code == 200  # a pooled connection
    killer = create_engine(store_url, isolation_level="AUTOCOMMIT")
    with killer.connect() as conn:
        dropped = conn.execute(
            text(
                "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity"
                " WHERE datname = current_database() AND pid <> pg_backend_pid()"
            )
        ).scalar()
    killer.dispose()
    assert dropped >= 1
    lost = api.get("/api/v1/auth/me", headers=_bearer(token))
    assert lost.status_code == 503, lost.text
    assert lost.headers["retry-after"] == "1"
    assert "retry" in lost.json()["detail"]
    assert api.get("/api/v1/auth/me", headers=_bearer(token)).json()["username"] == "budi"
