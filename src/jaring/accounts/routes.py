"""`/api/v1/auth` (log in and out, who am I) and `/api/v1/users` (accounts, national admins)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Request, Response, status
from fastapi.exceptions import RequestValidationError
from pydantic import BaseModel, Field, ValidationError
from starlette.concurrency import run_in_threadpool

from jaring.accounts import passwords, service
from jaring.api.deps import (
    SESSION_COOKIE,
    CurrentPrincipal,
    DatabaseUrl,
    clear_session_cookie,
    set_session_cookie,
)
from jaring.kit.auth import PERMISSIONS, ROLES, Principal

router = APIRouter()

_UNAUTHORIZED: dict[int | str, dict[str, Any]] = {
    401: {"description": "Not logged in, or the token is invalid"}
}
_FORBIDDEN: dict[int | str, dict[str, Any]] = {
    **_UNAUTHORIZED,
    403: {"description": "Your role may not do this"},
}


class Credentials(BaseModel):
    username: str = Field(min_length=1, max_length=200)
    password: str = Field(min_length=1, max_length=passwords.MAX_LENGTH)


class TokenOut(BaseModel):
    access_token: str
    token_type: str = Field(default="bearer", description="Always 'bearer'")
    expires_at: datetime
    role: str
    region_code: str | None


class SessionOut(BaseModel):
    username: str
    role: str
    region_code: str | None
    expires_at: datetime


class MeOut(BaseModel):
    username: str
    role: str
    region_code: str | None = Field(
        description="Undotted region code; null is national (or none, for a member)"
    )
    member_id: int | None
    sponsor_id: int | None
    permissions: list[str] = Field(description="What this role may do")

    @classmethod
    def of(cls, principal: Principal) -> MeOut:
        return cls(
            username=principal.username,
            role=principal.role,
            region_code=principal.region_code,
            member_id=principal.member_id,
            sponsor_id=principal.sponsor_id,
            permissions=sorted(name for name in PERMISSIONS if principal.may(name)),
        )


class UserIn(BaseModel):
    username: str = Field(max_length=60, description="3–60 of a-z 0-9 . _ - @; stored in lower case")
    role: Annotated[str, Field(json_schema_extra={"enum": list(ROLES)})]
    password: str = Field(
        max_length=passwords.MAX_LENGTH, description=f"At least {passwords.MIN_LENGTH} characters"
    )
    region_code: str | None = Field(
        default=None, max_length=13, description="Province (2 digits) or regency (4) for officers"
    )
    member_id: int | None = Field(default=None, description="Required for role member")
    sponsor_id: int | None = Field(default=None, description="Required for role sponsor_finance")


class UserOut(BaseModel):
    id: int
    username: str
    role: str
    region_code: str | None
    member_id: int | None
    sponsor_id: int | None
    active: bool
    locked: bool
    locked_until: datetime | None
    failed_logins: int
    created_at: datetime

    @classmethod
    def of(cls, user: service.User) -> UserOut:
        return cls.model_validate(user.to_json())


class UserListOut(BaseModel):
    users: list[UserOut]


# ---------------------------------------------------------------------------- /api/v1/auth


@router.post(
    "/api/v1/auth/token",
    response_model=TokenOut,
    tags=["auth"],
    summary="Log in and get a bearer token",
    responses={401: {"description": "Wrong username or password, or the account is locked"}},
)
def token(credentials: Credentials, url: DatabaseUrl) -> TokenOut:
    issued = service.login(
        username=credentials.username, password=credentials.password, kind="bearer", url=url
    )
    return TokenOut(
        access_token=issued.token,
        expires_at=issued.expires_at,
        role=issued.principal.role,
        region_code=issued.principal.region_code,
    )


@router.delete(
    "/api/v1/auth/token",
    status_code=status.HTTP_204_NO_CONTENT,
    tags=["auth"],
    summary="Revoke the bearer token sent with this request",
    responses=_UNAUTHORIZED,
)
def revoke(request: Request, _principal: CurrentPrincipal, url: DatabaseUrl) -> Response:
    scheme, _, presented = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() == "bearer" and presented.strip():
        service.revoke_token(presented.strip(), url)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


_CREDENTIALS_BODY = {
    "requestBody": {
        "required": True,
        "content": {
            "application/json": {"schema": Credentials.model_json_schema()},
            "application/x-www-form-urlencoded": {"schema": Credentials.model_json_schema()},
        },
    }
}


async def _read_credentials(request: Request) -> Credentials:
    """From a JSON body or an HTML form, validated like any other body."""
    data: Any
    if request.headers.get("content-type", "").startswith("application/json"):
        try:
            data = await request.json()
        except ValueError:
            raise RequestValidationError(
                [{"type": "json_invalid", "loc": ("body",), "msg": "JSON decode error"}]
            ) from None
    else:
        form = await request.form()
        data = {key: value for key, value in form.items() if isinstance(value, str)}
    try:
        return Credentials.model_validate(data)
    except ValidationError as exc:
        errors = [{**error, "loc": ("body", *error["loc"])} for error in exc.errors(include_input=False)]
        raise RequestValidationError(errors) from None


@router.post(
    "/api/v1/auth/session",
    response_model=SessionOut,
    tags=["auth"],
    summary="Log in the browser: sets the HttpOnly session cookie",
    openapi_extra=_CREDENTIALS_BODY,
    responses={401: {"description": "Wrong username or password, or the account is locked"}},
)
async def open_session(request: Request, response: Response, url: DatabaseUrl) -> SessionOut:
    credentials = await _read_credentials(request)
    issued = await run_in_threadpool(
        service.login, username=credentials.username, password=credentials.password, kind="session", url=url
    )
    set_session_cookie(request, response, issued.token)
    principal = issued.principal
    return SessionOut(
        username=principal.username,
        role=principal.role,
        region_code=principal.region_code,
        expires_at=issued.expires_at,
    )


@router.delete(
    "/api/v1/auth/session",
    status_code=status.HTTP_204_NO_CONTENT,
    tags=["auth"],
    summary="Log out the browser (safe to repeat)",
)
def close_session(request: Request, url: DatabaseUrl) -> Response:
    presented = request.cookies.get(SESSION_COOKIE)
    if presented:
        service.revoke_token(presented, url)
    response = Response(status_code=status.HTTP_204_NO_CONTENT)
    clear_session_cookie(response)
    return response


@router.get(
    "/api/v1/auth/me", response_model=MeOut, tags=["auth"], summary="Who am I", responses=_UNAUTHORIZED
)
def me(principal: CurrentPrincipal) -> MeOut:
    return MeOut.of(principal)


# ---------------------------------------------------------------------------- /api/v1/users


@router.post(
    "/api/v1/users",
    response_model=UserOut,
    status_code=status.HTTP_201_CREATED,
    tags=["users"],
    summary="Create an account (national admin)",
    responses={**_FORBIDDEN, 409: {"description": "The username is taken"}},
)
def create(body: UserIn, principal: CurrentPrincipal, url: DatabaseUrl) -> UserOut:
    user = service.create_user(
        principal=principal,
        username=body.username,
        role=body.role,
        password=body.password,
        region_code=body.region_code,
        member_id=body.member_id,
        sponsor_id=body.sponsor_id,
        url=url,
    )
    return UserOut.of(user)


@router.get(
    "/api/v1/users", response_model=UserListOut, tags=["users"], summary="List accounts", responses=_FORBIDDEN
)
def list_(principal: CurrentPrincipal, url: DatabaseUrl) -> UserListOut:
    return UserListOut(users=[UserOut.of(user) for user in service.list_users(principal=principal, url=url)])


@router.post(
    "/api/v1/users/{username}/unlock",
    response_model=UserOut,
    tags=["users"],
    summary="Lift a lockout after failed logins",
    responses=_FORBIDDEN,
)
def unlock(username: str, principal: CurrentPrincipal, url: DatabaseUrl) -> UserOut:
    return UserOut.of(service.unlock_user(principal=principal, username=username, url=url))


@router.post(
    "/api/v1/users/{username}/deactivate",
    response_model=UserOut,
    tags=["users"],
    summary="Stop an account from logging in; its tokens end at once",
    responses=_FORBIDDEN,
)
def deactivate(username: str, principal: CurrentPrincipal, url: DatabaseUrl) -> UserOut:
    return UserOut.of(service.deactivate_user(principal=principal, username=username, url=url))
