"""Bad input on every route: a clear 4xx in the documented shape, never a 500 or a traceback.

The routes come from the OpenAPI document, so a new route is covered without editing this
file. Each is called, as a national admin, with path parameters of the wrong form and with
bodies that are not what the route takes.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

import httpx
import pytest

from jaring.accounts import service as accounts
from jaring.api.app import create_app
from tests.accounts.conftest import make_account
from tests.accounts.server import serving

# Logout takes no input at all (and would end the test's own session).
NO_INPUT = {("delete", "/api/v1/auth/token"), ("delete", "/api/v1/auth/session")}
BAD_PATH_VALUES = ("x", "0", "-1", "1" * 40, "%00", "12345678901")
BAD_BODIES: tuple[bytes, ...] = (
    b"",
    b"{",
    b"[]",
    b'{"unexpected": [1, 2]}',
    b'"text"',
    b"null",
    "\u00e9".encode(),
    b'{"reason": "a\\u0000b"}',
)


@pytest.fixture
def api(store_url: str) -> Iterator[tuple[httpx.Client, dict[str, str], dict[str, object]]]:
    admin = make_account(store_url, "admin", "national_admin")
    token = accounts.issue_token(user_id=admin.user_id, url=store_url)
    app = create_app(database_url=store_url)
    with serving(app) as base, httpx.Client(base_url=base, timeout=30) as client:
        yield client, {"Authorization": f"Bearer {token}"}, app.openapi()


def _check(response: httpx.Response, where: str, failures: list[str]) -> None:
    if response.status_code >= 500 or response.status_code < 400:
        if response.status_code < 400 and response.request.method == "GET":
            return  # a GET may legitimately find nothing wrong (e.g. a list filter)
        failures.append(f"{where}: {response.status_code} {response.text[:120]}")
        return
    text = response.text
    if "Traceback" in text or 'File "' in text:
        failures.append(f"{where}: leaks a traceback")
    try:
        body = response.json()
    except ValueError:
        failures.append(f"{where}: {response.status_code} is not JSON: {text[:80]}")
        return
    if "detail" not in body:
        failures.append(f"{where}: no 'detail' in {text[:80]}")
    if response.status_code == 422 and isinstance(body.get("errors"), list):
        for error in body["errors"]:
            if not {"field", "reason"} <= set(error):
                failures.append(f"{where}: a 422 error without field and reason: {error}")


def test_every_route_refuses_bad_input_cleanly(
    api: tuple[httpx.Client, dict[str, str], dict[str, object]],
) -> None:
    client, headers, document = api
    failures: list[str] = []
    paths: dict[str, dict[str, object]] = document["paths"]  # type: ignore[assignment]
    for template, operations in paths.items():
        names = re.findall(r"{(\w+)}", template)
        for method in operations:
            if (method, template) in NO_INPUT:
                continue
            for value in BAD_PATH_VALUES if names else ("",):
                path = template
                for name in names:
                    path = path.replace("{" + name + "}", value)
                if method in ("post", "put", "patch"):
                    for body in BAD_BODIES:
                        answer = client.request(
                            method.upper(),
                            path,
                            content=body,
                            headers={**headers, "Content-Type": "application/json", "Idempotency-Key": "k"},
                        )
                        _check(answer, f"{method.upper()} {path} body={body[:20]!r}", failures)
                else:
                    answer = client.request(
                        method.upper(), path, headers=headers, params={"date": "31-02-2026"}
                    )
                    _check(answer, f"{method.upper()} {path}", failures)
    assert not failures, "\n".join(failures)
