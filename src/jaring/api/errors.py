"""How errors leave the API: one JSON shape, the right status, nothing personal.

A caller's mistake is a 4xx whose `detail` says what to fix, with `errors` naming each field
at fault. Anything else is a bug: the caller gets a 500 with a reference to quote, the server
log gets the details under that reference. Submitted values are never echoed (a value may be
a NIK), the request body is never logged, and 16-digit numbers are masked in every log line.
"""

from __future__ import annotations

import logging
import re
import secrets
import traceback
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from sqlalchemy.exc import DataError, DBAPIError
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from jaring.kit.errors import BadInput, Conflict, Forbidden, JaringError, NotFound, Unauthenticated
from jaring.kit.money import MoneyError
from jaring.kit.periods import PeriodError
from jaring.rules.errors import RulesError

log = logging.getLogger("jaring.api")

STATUS: dict[type[Exception], int] = {
    JaringError: 422,
    BadInput: 422,
    NotFound: 404,
    Unauthenticated: 401,
    Forbidden: 403,
    Conflict: 409,
    # The calculators' input errors are the caller's to fix too, as on the command line.
    RulesError: 422,
    MoneyError: 422,
    PeriodError: 422,
}
# RFC 9110: a 401 names the scheme that would be accepted.
CHALLENGE = {"WWW-Authenticate": "Bearer"}

_NIK_LIKE = re.compile(r"(?<![0-9])([0-9]{6})[0-9]{10}(?![0-9])")
# SQLAlchemy appends the statement's bound values to its messages; they may be personal.
_SQL_PARAMETERS = re.compile(r"\[parameters: .*?\](?=\n|$)", re.MULTILINE)


def scrub(text: str) -> str:
    """`text` fit for a log: 16-digit numbers masked, SQL parameter values dropped."""
    return _NIK_LIKE.sub(r"\1**********", _SQL_PARAMETERS.sub("[parameters hidden]", text))


def field_name(location: Sequence[Any]) -> str:
    return ".".join(str(part) for part in location)


def _reason(error: Mapping[str, Any]) -> str:
    if error.get("type") == "json_invalid":
        return "the body is not valid JSON"
    message = str(error.get("msg", "is not valid"))
    return message[:1].lower() + message[1:]


def validation_errors(errors: Iterable[Mapping[str, Any]]) -> list[dict[str, str]]:
    """Field and reason of each error, leaving out `input`: the value may be a NIK."""
    return [{"field": field_name(error.get("loc", ())), "reason": _reason(error)} for error in errors]


def _summary(errors: list[dict[str, str]]) -> str:
    parts = [f"{error['field']}: {error['reason']}" for error in errors[:5]]
    more = f" (and {len(errors) - 5} more)" if len(errors) > 5 else ""
    return "the request is not valid: " + "; ".join(parts) + more


async def _invalid_request(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    errors = validation_errors(exc.errors())
    return JSONResponse(status_code=422, content={"detail": _summary(errors), "errors": errors})


def error_body(exc: Exception) -> dict[str, Any]:
    detail = str(exc)
    body: dict[str, Any] = {"detail": detail}
    field = getattr(exc, "field", None)
    if field:
        body["errors"] = [{"field": field, "reason": detail}]
    return body


async def _caller_error(_request: Request, exc: Exception) -> JSONResponse:
    # Starlette picks the handler of the most specific class in the exception's MRO.
    status = next(STATUS[cls] for cls in type(exc).__mro__ if cls in STATUS)
    headers = CHALLENGE if status == 401 else None
    return JSONResponse(status_code=status, content=error_body(exc), headers=headers)


def _log_internal(reference: str, scope: Scope, exc: BaseException) -> None:
    where = f"{scope.get('method', '?')} {scope.get('path', '?')}"
    details = "".join(traceback.format_exception(type(exc), exc, exc.__traceback__))
    log.error("internal error %s on %s\n%s", reference, scrub(where), scrub(details))


class InternalErrors:
    """Turns an unexpected exception into a 500 with a reference, logging it once, scrubbed.

    A middleware rather than an exception handler: Starlette re-raises after calling a 500
    handler, and the server would then log the exception again, unscrubbed."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        if "\x00" in scope.get("path", "") or b"%00" in scope.get("query_string", b""):
            # PostgreSQL cannot store NUL in text; refuse it here rather than fail in the store.
            body = {
                "detail": "the address contains a NUL character",
                "errors": [{"field": "path", "reason": "NUL characters are not allowed"}],
            }
            await JSONResponse(status_code=422, content=body)(scope, receive, send)
            return
        started = False

        async def watch(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, receive, watch)
        except Exception as exc:
            reference = secrets.token_hex(6)
            lost = isinstance(exc, DBAPIError) and exc.connection_invalidated
            if lost:  # the server dropped a pooled connection (restart, fail-over)
                log.warning(
                    "store connection lost %s on %s; the pool reconnects", reference, scope.get("method")
                )
            else:
                _log_internal(reference, scope, exc)
            if started:  # too late for a clean reply; the server closes the connection
                return
            if lost:
                body = {
                    "detail": "the connection to the store was reset; retry the request",
                    "reference": reference,
                }
                response = JSONResponse(status_code=503, content=body, headers={"Retry-After": "1"})
            else:
                response = JSONResponse(
                    status_code=500, content={"detail": "internal error", "reference": reference}
                )
            await response(scope, receive, send)


def _openapi_route(app: FastAPI) -> None:
    async def openapi(_request: Request) -> JSONResponse:
        return JSONResponse(app.openapi())

    app.add_route("/openapi.json", openapi, include_in_schema=False)


async def _store_refused(_request: Request, exc: Exception) -> JSONResponse:
    if "NUL" in str(getattr(exc, "orig", exc)) or "\\x00" in str(exc):
        body = {
            "detail": "text may not contain NUL characters",
            "errors": [{"field": "body", "reason": "NUL characters are not allowed"}],
        }
        return JSONResponse(status_code=422, content=body)
    raise exc


def install(app: FastAPI) -> None:
    """Error handlers, the 500 guard, and the OpenAPI document at /openapi.json too."""
    app.add_exception_handler(DataError, _store_refused)
    app.add_exception_handler(RequestValidationError, _invalid_request)
    for cls in STATUS:
        app.add_exception_handler(cls, _caller_error)
    app.add_middleware(InternalErrors)
    _openapi_route(app)


class ScrubFilter(logging.Filter):
    """Masks 16-digit numbers in a log record, e.g. a NIK in an access log's query string."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.msg, str):
            record.msg = scrub(record.msg)
        if isinstance(record.args, tuple):
            record.args = tuple(scrub(arg) if isinstance(arg, str) else arg for arg in record.args)
        return True
