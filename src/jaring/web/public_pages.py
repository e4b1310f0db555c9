"""Public self-service, no login: a worker checks their own coverage with their participant
number and birth date.

The answer is masked (initials of the name, no NIK, no region) and given only when both the
number and the birth date match; anything else gets one answer that never says which field
was wrong, so the form cannot be used to learn whether a number exists. Tries are limited per
client address (`JARING_STATUS_TRIES_PER_MINUTE`, default 5) and nothing a visitor types is
logged.
"""

from __future__ import annotations

import math
import os
import threading
import time
from collections import deque
from dataclasses import dataclass
from datetime import date

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, Response

from jaring.api.deps import store_url
from jaring.contributions import coverage
from jaring.kit.auth import Principal, system
from jaring.kit.errors import JaringError
from jaring.kit.periods import PeriodError, parse_date
from jaring.membership import service as membership
from jaring.web import text
from jaring.web.render import lang_of, render

router = APIRouter(include_in_schema=False)

TRIES_ENV = "JARING_STATUS_TRIES_PER_MINUTE"
DEFAULT_TRIES = 5
WINDOW_SECONDS = 60.0
# Past this many remembered addresses the idle ones are forgotten, so a flood of addresses
# cannot grow the table without bound.
MAX_CLIENTS = 10_000

text.add({
    "pub_title": ("Cek status kepesertaan", "Check your membership status"),
    "pub_intro": ("Masukkan nomor peserta (11 angka) dan tanggal lahir Anda.",
                  "Enter your participant number (11 digits) and your birth date."),
    "pub_number": ("Nomor peserta", "Participant number"),
    "pub_birth_date": ("Tanggal lahir", "Birth date"),
    "pub_check": ("Cek status", "Check status"),
    "pub_not_found": ("Data tidak ditemukan. Periksa kembali nomor peserta dan tanggal lahir.",
                      "No match found. Check the participant number and the birth date."),
    "pub_too_many": ("Terlalu banyak percobaan. Coba lagi dalam {n} detik.",
                     "Too many tries. Try again in {n} seconds."),
    "pub_result": ("Status kepesertaan", "Membership status"),
    "pub_name": ("Nama", "Name"),
    "pub_programs": ("Program", "Programs"),
    "pub_status": ("Status hari ini", "Status today"),
    "pub_paid_through": ("Lunas sampai", "Paid through"),
    "pub_none_yet": ("belum ada iuran lunas", "nothing paid yet"),
    "pub_active": ("Aktif: terlindungi", "Active: protected"),
    "pub_arrears": ("Menunggak: manfaat terbatas sampai tunggakan dibayar",
                    "In arrears: limited benefits until the arrears are paid"),
    "pub_lapsed": ("Putus: tidak terlindungi", "Lapsed: not protected"),
    "pub_not_started": ("Terdaftar, belum terlindungi (iuran pertama belum lunas)",
                        "Registered, not yet protected (first contribution not paid)"),
    "pub_login": ("Masuk untuk petugas", "Officers' login"),
})  # fmt: skip

PUBLIC_STATUS = {
    coverage.ACTIVE: "pub_active",
    coverage.ARREARS: "pub_arrears",
    coverage.LAPSED: "pub_lapsed",
    coverage.NOT_STARTED: "pub_not_started",
}


# ------------------------------------------------------------------ rate limit


def tries_per_minute() -> int:
    """The configured limit; read on every try so an operator's (or a test's) setting applies
    without a restart. A value that is not a positive whole number falls back to the default."""
    raw = os.environ.get(TRIES_ENV, "").strip()
    return int(raw) if raw.isdigit() and int(raw) > 0 else DEFAULT_TRIES


class RateLimiter:
    """At most `limit` tries per client in any `window` seconds (a sliding log)."""

    def __init__(self, window: float = WINDOW_SECONDS) -> None:
        self.window = window
        self._seen: dict[str, deque[float]] = {}
        self._lock = threading.Lock()

    def try_once(self, client: str, limit: int, now: float | None = None) -> float:
        """0 when the try is allowed (and counted); otherwise the seconds until one is."""
        now = time.monotonic() if now is None else now
        with self._lock:
            if len(self._seen) > MAX_CLIENTS:
                self._forget_idle(now)
            tries = self._seen.setdefault(client, deque())
            while tries and tries[0] <= now - self.window:
                tries.popleft()
            if len(tries) >= limit:
                return tries[len(tries) - limit] + self.window - now
            tries.append(now)
            return 0.0

    def _forget_idle(self, now: float) -> None:
        for client in [c for c, tries in self._seen.items() if not tries or tries[-1] <= now - self.window]:
            del self._seen[client]


_limiter_lock = threading.Lock()


def limiter_of(request: Request) -> RateLimiter:
    # One limiter per app: kept on the app's state, so each app (and each test's) counts apart.
    with _limiter_lock:
        found = getattr(request.app.state, "status_limiter", None)
        if found is None:
            found = RateLimiter()
            request.app.state.status_limiter = found
        return found


# ------------------------------------------------------------------ the look-up


@dataclass(frozen=True)
class PublicStatus:
    name_masked: str
    programs: tuple[str, ...]
    status: str
    paid_through: str | None
    on: date


def mask_name(name: str) -> str:
    """'Siti Wahyuni' → 'S*** W******': each word's first letter, the rest hidden."""
    return " ".join(word[0] + "*" * (len(word) - 1) for word in name.split())


def _public_principal() -> Principal:
    # The look-up acts as the system; it answers only after the birth date has matched.
    return system("public-status")


def look_up(participant_number: str, birth_date: str, on: date, url: str | None) -> PublicStatus | None:
    """The masked status when the number and the birth date both match; otherwise None, the
    same for a mistyped number, an unknown one and a wrong birth date."""
    try:
        born = parse_date(birth_date.strip())
    except PeriodError:
        return None
    principal = _public_principal()
    try:
        member = membership.get_member(principal=principal, participant_number=participant_number, url=url)
        if member.birth_date != born:
            return None
        cover = coverage.check(
            principal=principal, participant_number=member.participant_number, on=on, url=url
        )
    except JaringError:
        return None
    return PublicStatus(
        name_masked=mask_name(member.name),
        programs=tuple(cover.programs),
        status=cover.status,
        paid_through=cover.paid_through,
        on=on,
    )


# ------------------------------------------------------------------ pages


def _form(
    request: Request,
    *,
    status: int = 200,
    number: str = "",
    birth_date: str = "",
    found: PublicStatus | None = None,
    problem: str | None = None,
) -> HTMLResponse:
    return render(
        request,
        "public_status.html",
        status=status,
        principal=None,
        number=number,
        birth_date=birth_date,
        found=found,
        problem=problem,
        status_key=PUBLIC_STATUS,
    )


@router.get("/status", response_class=HTMLResponse)
def status_form(request: Request) -> HTMLResponse:
    return _form(request)


@router.post("/status", response_class=HTMLResponse)
def status_check(
    request: Request, participant_number: str = Form(""), birth_date: str = Form("")
) -> Response:
    lang = lang_of(request)
    # Cut, not refused: an over-long field simply does not match.
    participant_number, birth_date = participant_number[:40], birth_date[:20]
    client = request.client.host if request.client else "unknown"
    wait = limiter_of(request).try_once(client, tries_per_minute())
    if wait > 0:
        seconds = max(1, math.ceil(wait))
        page = _form(
            request,
            status=429,
            number=participant_number,
            birth_date=birth_date,
            problem=text.t("pub_too_many", lang).replace("{n}", str(seconds)),
        )
        page.headers["Retry-After"] = str(seconds)
        return page
    found = look_up(participant_number, birth_date, date.today(), store_url(request))
    if found is None:
        return _form(
            request,
            status=404,
            number=participant_number,
            birth_date=birth_date,
            problem=text.t("pub_not_found", lang),
        )
    return _form(request, found=found)
