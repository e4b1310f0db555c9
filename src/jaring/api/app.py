"""The FastAPI application factory: `uvicorn --factory jaring.api.app:create_app`."""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version

from fastapi import FastAPI

from jaring.api import errors


def _version() -> str:
    try:
        return version("jaring")
    except PackageNotFoundError:
        return "0.0.0"


def create_app(*, database_url: str | None = None) -> FastAPI:
    """The API; `database_url` overrides JARING_DATABASE_URL (tests serve a store of their own)."""
    from jaring.accounts.routes import router as accounts_router
    from jaring.claims.routes import accidents as accidents_router
    from jaring.claims.routes import router as claims_router
    from jaring.contributions.billing_routes import router as billing_router
    from jaring.contributions.payment_routes import router as payments_router
    from jaring.membership.routes import router as members_router
    from jaring.reference.routes import router as regions_router
    from jaring.sponsors.routes import router as sponsors_router
    from jaring.targeting.budget_routes import router as budget_router
    from jaring.targeting.routes import rounds as targeting_rounds
    from jaring.targeting.routes import router as targeting_router
    from jaring.web import (
        claim_pages,
        member_pages,
        pages,
        public_pages,
        registry_pages,
        report_pages,
        sponsor_pages,
    )

    app = FastAPI(
        title="Jaring",
        version=_version(),
        summary="Jamsostek administration for informal and vulnerable workers",
        openapi_url="/api/v1/openapi.json",
        docs_url="/api/v1/docs",
        redoc_url=None,
    )
    app.state.database_url = database_url
    # A caller's mistake is a 4xx naming the field; anything else a 500 with a reference.
    errors.install(app)
    app.include_router(accounts_router)
    app.include_router(regions_router)
    app.include_router(billing_router)
    app.include_router(payments_router)
    app.include_router(members_router)
    app.include_router(sponsors_router)
    app.include_router(targeting_router)
    app.include_router(targeting_rounds)
    app.include_router(budget_router)
    app.include_router(accidents_router)
    app.include_router(claims_router)
    for web in (pages, registry_pages, sponsor_pages, member_pages, claim_pages, report_pages, public_pages):
        app.include_router(web.router)
    return app
