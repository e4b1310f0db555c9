"""The FastAPI application factory: `uvicorn --factory jaring.api.app:create_app`."""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from jaring.kit.errors import JaringError, NotFound


def _version() -> str:
    try:
        return version("jaring")
    except PackageNotFoundError:
        return "0.0.0"


async def _not_found(_request: Request, exc: Exception) -> JSONResponse:
    return JSONResponse(status_code=404, content={"detail": str(exc)})


async def _user_error(_request: Request, exc: Exception) -> JSONResponse:
    # A JaringError is the caller's to fix (bad code, nothing loaded yet), never a 500.
    return JSONResponse(status_code=422, content={"detail": str(exc)})


def create_app(*, database_url: str | None = None) -> FastAPI:
    """The API; `database_url` overrides JARING_DATABASE_URL (tests serve a store of their own)."""
    from jaring.reference.routes import router as regions_router

    app = FastAPI(
        title="Jaring",
        version=_version(),
        summary="Jamsostek administration for informal and vulnerable workers",
        openapi_url="/api/v1/openapi.json",
        docs_url="/api/v1/docs",
        redoc_url=None,
    )
    app.state.database_url = database_url
    # Starlette picks the handler of the most specific class, so NotFound wins over JaringError.
    app.add_exception_handler(NotFound, _not_found)
    app.add_exception_handler(JaringError, _user_error)
    app.include_router(regions_router)
    return app
