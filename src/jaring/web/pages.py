"""The officers' web app: server-rendered pages (Jinja2, HTMX) on the same principal, roles and
region scope as the API. Indonesian by default; `?lang=en` switches and is remembered.

Front-end packages come from npm at build time (`make install` puts them in node_modules) and
are served from here: nothing is loaded from a CDN at run time.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

from fastapi import APIRouter, Form, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import FileResponse, HTMLResponse, JSONResponse, RedirectResponse, Response

from jaring.accounts import service as accounts
from jaring.api.deps import (
    SESSION_COOKIE,
    clear_session_cookie,
    set_session_cookie,
    store_url,
)
from jaring.kit import config
from jaring.kit.auth import Principal
from jaring.kit.errors import Forbidden, JaringError, NotFound, Unauthenticated
from jaring.monitoring import service as monitoring
from jaring.reference.stats import boundary_collection
from jaring.web.dashboard_tables import SPONSORS_SHOWN, dashboard_tables
from jaring.web.render import HERE, day_param, guarded, render, who
from jaring.web.tables import requested_export, table_links

# The npm files the pages load, by the name they are served under.
VENDOR = {
    "echarts.min.js": ("echarts", "dist/echarts.min.js"),
    "htmx.min.js": ("htmx.org", "dist/htmx.min.js"),
}
# Where each province sits on the tile-grid map used when no boundary file is loaded.
TILES = {
    "11": (0, 0), "12": (1, 1), "13": (2, 1), "14": (2, 2), "21": (1, 3), "15": (3, 2), "17": (3, 1),
    "16": (4, 2), "19": (3, 3), "18": (5, 2), "36": (6, 3), "31": (5, 4), "32": (6, 4), "33": (6, 5),
    "34": (7, 5), "35": (6, 6), "51": (7, 7), "52": (7, 8), "53": (7, 9), "61": (3, 5), "62": (4, 6),
    "63": (5, 7), "64": (3, 7), "65": (2, 7), "71": (2, 11), "75": (3, 10), "72": (4, 9), "76": (4, 8),
    "73": (5, 9), "74": (5, 10), "82": (3, 12), "81": (5, 12), "96": (3, 13), "92": (4, 13),
    "94": (4, 14), "91": (4, 16), "95": (5, 15), "93": (6, 16),
}  # fmt: skip

router = APIRouter(include_in_schema=False)


def _safe_next(value: str | None) -> str:
    # Only a path of this site: never an open redirect to another host.
    if not value or not value.startswith("/") or value.startswith("//"):
        return "/dashboard"
    return value


@router.get("/", response_class=RedirectResponse)
def home() -> RedirectResponse:
    return RedirectResponse("/dashboard", status_code=303)


@router.get("/login", response_class=HTMLResponse)
def login_page(request: Request) -> HTMLResponse:
    return render(request, "login.html", next=_safe_next(request.query_params.get("next")), failed=False)


@router.post("/login", response_model=None)
async def login(
    request: Request, username: str = Form(""), password: str = Form(""), next: str = Form("/dashboard")
) -> Response:
    try:
        issued = await run_in_threadpool(
            accounts.login, username=username, password=password, kind="session", url=store_url(request)
        )
    except (Unauthenticated, JaringError):
        return render(request, "login.html", status=401, next=_safe_next(next), failed=True)
    response = RedirectResponse(_safe_next(next), status_code=303)
    set_session_cookie(request, response, issued.token)
    return response


@router.post("/logout", response_class=RedirectResponse)
def logout(request: Request) -> RedirectResponse:
    presented = request.cookies.get(SESSION_COOKIE)
    if presented:
        accounts.revoke_token(presented, store_url(request))
    response = RedirectResponse("/login", status_code=303)
    clear_session_cookie(response)
    return response


@router.get("/dashboard", response_model=None)
def dashboard(request: Request) -> Response:
    def build(principal: Principal) -> Response:
        view = monitoring.overview(
            principal=principal,
            region=request.query_params.get("region"),
            on=day_param(request),
            url=store_url(request),
        )
        exported = requested_export(request, dashboard_tables(view, everything=True), "regions")
        if exported is not None:
            return exported
        tables = dashboard_tables(view)
        return render(
            request,
            "dashboard.html",
            principal=principal,
            view=view,
            day=date.fromisoformat(view.on),
            tables=tables,
            links={name: table_links(request, name) for name in tables},
            sponsors_shown=SPONSORS_SHOWN,
        )

    return guarded(request, "monitoring.read", build)


@router.get("/dashboard/map.json", response_model=None)
def dashboard_map(request: Request) -> Response:
    """The shapes of the regions one level below the one shown: boundaries when they are
    loaded, otherwise (provinces only) a tile grid."""
    principal = who(request)
    if principal is None:
        return JSONResponse({"detail": "log in first"}, status_code=401)
    region = request.query_params.get("region") or ""
    try:
        view = monitoring.overview(
            principal=principal, region=region or None, url=store_url(request), details=False
        )
    except (NotFound, Forbidden):
        return JSONResponse({"detail": "region not found"}, status_code=404)
    level = {"national": "province", "province": "regency", "regency": "district"}[view.level]
    wanted = {row.code for row in view.rows}
    shapes = None
    if level in ("province", "regency"):
        collection = boundary_collection(level, store_url(request))
        if collection is not None:
            features = [f for f in collection["features"] if f["properties"]["code"] in wanted]
            shapes = {"type": "FeatureCollection", "features": features} if features else None
    if shapes is None:
        return JSONResponse({"kind": "tiles", "tiles": _tiles(view.rows)})
    return JSONResponse({"kind": "geo", "geojson": shapes})


def _tiles(rows: list[monitoring.RegionRow]) -> list[dict[str, Any]]:
    placed = []
    for i, row in enumerate(rows):
        y, x = TILES.get(row.code, (8 + i // 12, i % 12))
        placed.append({"code": row.code, "name": row.name, "x": x, "y": y})
    return placed


@router.get("/assets/vendor/{name}", response_model=None)
def vendor(name: str) -> Response:
    found = VENDOR.get(name)
    if found is None:
        return Response(status_code=404)
    package, inner = found
    for base in (Path.cwd(), config.project_root()):
        path = base / "node_modules" / package / inner
        if path.is_file():
            return FileResponse(
                path, media_type="text/javascript", headers={"Cache-Control": "max-age=86400"}
            )
    return Response(f"{package} is not installed: run make install", status_code=404, media_type="text/plain")


@router.get("/assets/{name}", response_model=None)
def asset(name: str) -> Response:
    path = HERE / "static" / name
    if "/" in name or not path.is_file():
        return Response(status_code=404)
    media = "text/css" if name.endswith(".css") else "text/javascript"
    return FileResponse(path, media_type=media)
