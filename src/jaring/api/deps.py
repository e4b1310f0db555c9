"""What every route needs: who is calling, and which store to use.

A protected route takes `principal: CurrentPrincipal`; the caller proves who they are with
`Authorization: Bearer <token>` (programs) or the `jaring_session` cookie (the browser UI).
The two kinds of token are not interchangeable: a bearer token never arrives by itself
with a cross-site request, and a session token is never accepted as a bearer token.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request, Response
from fastapi.security import APIKeyCookie, HTTPAuthorizationCredentials, HTTPBearer

from jaring.accounts import service
from jaring.kit.auth import Principal
from jaring.kit.errors import Unauthenticated

SESSION_COOKIE = "jaring_session"


def set_session_cookie(request: Request, response: Response, token: str) -> None:
    """The browser session: not readable by scripts, not sent by other sites' forms, and only
    over TLS when the site is served over TLS."""
    response.set_cookie(
        SESSION_COOKIE,
        token,
        max_age=int(service.TOKEN_TTL["session"].total_seconds()),
        path="/",
        httponly=True,
        samesite="lax",
        secure=request.url.scheme == "https",
    )


def clear_session_cookie(response: Response) -> None:
    response.delete_cookie(SESSION_COOKIE, path="/", httponly=True, samesite="lax")


bearer_scheme = HTTPBearer(
    scheme_name="bearer",
    description="A token from POST /api/v1/auth/token, sent as `Authorization: Bearer <token>`.",
    auto_error=False,
)
session_scheme = APIKeyCookie(
    name=SESSION_COOKIE,
    scheme_name="session",
    description="The browser session cookie set by POST /api/v1/auth/session.",
    auto_error=False,
)


def store_url(request: Request) -> str | None:
    """The store this app serves; None means the configured default (JARING_DATABASE_URL)."""
    url: str | None = request.app.state.database_url
    return url


async def database_url(request: Request) -> str | None:
    # Dependencies declared `async` run on the event loop; a plain `def` would cost a hop
    # to the thread pool (and back) on every request for reading one attribute.
    return store_url(request)


DatabaseUrl = Annotated[str | None, Depends(database_url)]


def principal_from_request(request: Request) -> Principal | None:
    """The caller of `request`, or None when no credentials came; invalid ones are refused.
    Usable outside dependency injection (pages, middleware)."""
    url = store_url(request)
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() == "bearer" and token.strip():
        return service.principal_for_token(token.strip(), "bearer", url)
    session = request.cookies.get(SESSION_COOKIE)
    if session:
        return service.principal_for_token(session, "session", url)
    return None


# The scheme parameters below only tell OpenAPI how to authenticate; the request is read once.
_Bearer = Annotated[HTTPAuthorizationCredentials | None, Depends(bearer_scheme)]
_Session = Annotated[str | None, Depends(session_scheme)]


# Async on purpose: the token look-up is one indexed read that never waits for a lock (MVCC
# on PostgreSQL, WAL on SQLite), cheaper to run on the event loop than to hand to a thread;
# with threads, every request of a busy worker also queued for the GIL behind the others.
async def optional_principal(
    request: Request, _bearer: _Bearer = None, _session: _Session = None
) -> Principal | None:
    return principal_from_request(request)


async def current_principal(
    request: Request, _bearer: _Bearer = None, _session: _Session = None
) -> Principal:
    """The caller; 401 with `WWW-Authenticate: Bearer` when credentials are missing or invalid."""
    principal = principal_from_request(request)
    if principal is None:
        raise Unauthenticated("log in first: send a bearer token or the session cookie")
    return principal


CurrentPrincipal = Annotated[Principal, Depends(current_principal)]
MaybePrincipal = Annotated[Principal | None, Depends(optional_principal)]
