"""What every page shares: the templates, the reader's language, the signed-in principal (or the
way to the login page), and the error pages. A page module builds its view and calls `page`."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any
from urllib.parse import quote

from fastapi import Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates

from jaring.api.deps import principal_from_request
from jaring.kit.auth import ROLE_LABELS, Principal
from jaring.kit.errors import Forbidden, JaringError, NotFound, Unauthenticated
from jaring.kit.periods import PeriodError, parse_date
from jaring.web import text

HERE = Path(__file__).resolve().parent
LANG_COOKIE = "jaring_lang"

templates = Jinja2Templates(directory=str(HERE / "templates"))
templates.env.globals.update(role_labels=ROLE_LABELS)


def lang_of(request: Request) -> str:
    asked = request.query_params.get("lang") or request.cookies.get(LANG_COOKIE) or "id"
    return asked if asked in text.LANGUAGES else "id"


def render(request: Request, name: str, status: int = 200, **context: Any) -> HTMLResponse:
    lang = lang_of(request)
    page = templates.TemplateResponse(
        request,
        name,
        {
            "lang": lang,
            "t": lambda key: text.t(key, lang),
            "num": lambda value, decimals=0: text.number(value, lang, decimals),
            "compact": lambda value: text.compact(value, lang),
            "rupiah": lambda value: text.rupiah(value, lang),
            "long_date": lambda day: text.long_date(day, lang),
            "other_lang": "en" if lang == "id" else "id",
            "lang_href": _lang_href(request, "en" if lang == "id" else "id"),
            **context,
        },
        status_code=status,
    )
    if request.query_params.get("lang") in text.LANGUAGES:
        page.set_cookie(LANG_COOKIE, lang, max_age=365 * 86400, path="/", samesite="lax")
    return page


def _lang_href(request: Request, other: str) -> str:
    # The same page and query in the other language.
    kept = [(k, v) for k, v in request.query_params.multi_items() if k not in ("lang", "export")]
    kept.append(("lang", other))
    return "?" + "&".join(f"{quote(k)}={quote(v)}" for k, v in kept)


def who(request: Request) -> Principal | None:
    try:
        return principal_from_request(request)
    except Unauthenticated:
        return None


def to_login(request: Request) -> RedirectResponse:
    target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    return RedirectResponse(f"/login?next={quote(target, safe='')}", status_code=303)


def error_page(request: Request, principal: Principal | None, status: int) -> HTMLResponse:
    title = {404: "not_found", 403: "forbidden"}.get(status, "bad_request")
    return render(request, "error.html", status=status, principal=principal, title=title)


def guarded(request: Request, permission: str | None, build: Callable[[Principal], Response]) -> Response:
    """Run `build` for the signed-in principal: to the login page when nobody is, the 403 page
    when the role lacks `permission`, and the 404 page for a record or region the principal may
    not see (the same answer as one that does not exist, so nothing leaks)."""
    principal = who(request)
    if principal is None:
        return to_login(request)
    if permission is not None and not principal.may(permission):
        return error_page(request, principal, 403)
    try:
        return build(principal)
    except NotFound:
        return error_page(request, principal, 404)
    except Forbidden:
        return error_page(request, principal, 403)


def day_param(request: Request, name: str = "date") -> date | None:
    raw = request.query_params.get(name)
    if not raw:
        return None
    try:
        return parse_date(raw)
    except PeriodError:
        return None


def refusal_status(error: JaringError) -> int:
    """The HTTP status the API gives the same refusal (kit/errors → api/errors.STATUS)."""
    from jaring.api.errors import STATUS

    return next((STATUS[cls] for cls in type(error).__mro__ if cls in STATUS), 400)
