"""CLI: `jaring users create|list|unlock|deactivate|set-password` and `jaring serve`.

The console operator acts as `kit.auth.system()`: a national admin named after the OS user.
A password is read from standard input or typed at a hidden prompt, never taken as an
argument (arguments end up in shell history and process lists).
"""

from __future__ import annotations

import json
import sys
from typing import TYPE_CHECKING, Any

import click

from jaring.kit.i18n import language

if TYPE_CHECKING:
    from jaring.accounts.service import User

_TEXT: dict[str, tuple[str, str]] = {
    "password": ("Kata sandi", "Password"),
    "again": ("Ulangi kata sandi", "Repeat the password"),
    "empty_stdin": (
        "tidak ada kata sandi pada stdin; kirim satu baris, mis. printf '%s\\n' \"$SANDI\" | jaring ...",
        "no password on stdin; send one line, e.g. printf '%s\\n' \"$PASSWORD\" | jaring ...",
    ),
    "created": ("Pengguna {name} dibuat: {role}{where}.", "User {name} created: {role}{where}."),
    "region": (", wilayah {code}", ", region {code}"),
    "unlocked": ("Pengguna {name} dibuka kuncinya.", "User {name} unlocked."),
    "deactivated": ("Pengguna {name} dinonaktifkan; tokennya tidak berlaku lagi.", "User {name} deactivated; "
                    "its tokens no longer work."),
    "password_set": ("Kata sandi {name} diganti; semua tokennya dicabut.", "Password of {name} changed; all "
                     "its tokens were revoked."),
    "none": ("Belum ada pengguna.", "No users yet."),
    "username": ("Nama pengguna", "Username"),
    "role": ("Peran", "Role"),
    "region_col": ("Wilayah", "Region"),
    "link": ("Peserta/pemberi dana", "Member/sponsor"),
    "status": ("Status", "Status"),
    "active": ("aktif", "active"),
    "inactive": ("nonaktif", "deactivated"),
    "locked": ("terkunci s.d. {until}", "locked until {until}"),
    "national": ("nasional", "national"),
    "serving": ("Jaring melayani di http://{host}:{port} (API: /api/v1/docs). Ctrl+C untuk berhenti.",
                "Jaring serving at http://{host}:{port} (API: /api/v1/docs). Ctrl+C to stop."),
}  # fmt: skip


def _t(key: str, **values: Any) -> str:
    pair = _TEXT[key]
    return (pair[1] if language() == "en" else pair[0]).format(**values)


def _role_label(role: str) -> str:
    from jaring.kit.auth import ROLE_LABELS

    labels = ROLE_LABELS.get(role, (role, role))
    return labels[1] if language() == "en" else labels[0]


def _read_password(from_stdin: bool) -> str:
    from jaring.kit.errors import BadInput

    if from_stdin:
        line = sys.stdin.readline().rstrip("\r\n")
        if not line:
            raise BadInput(_t("empty_stdin"))
        return line
    password: str = click.prompt(
        _t("password"),
        hide_input=True,
        confirmation_prompt=_t("again"),
    )
    return password


password_stdin_option = click.option(
    "--password-stdin", is_flag=True, help="Read the password from the first line of standard input."
)
json_option = click.option("--json", "as_json", is_flag=True, help="Print JSON instead of text.")


@click.group()
def users() -> None:
    """Accounts that may log in to the API and the web UI (Akun pengguna)."""


@users.command("create")
@click.option("--username", required=True, help="3–60 of a-z 0-9 . _ - @ (stored in lower case).")
@click.option("--role", required=True, help="national_admin, province_officer, regency_officer, "
              "sponsor_finance, claims_officer, claims_supervisor, auditor or member.")  # fmt: skip
@click.option("--region", help="Region code: 2 digits for a province officer, 4 for a regency officer.")
@click.option("--member", "member_id", type=int, help="The member's number (role member).")
@click.option("--sponsor", "sponsor_id", type=int, help="The sponsor's id (role sponsor_finance).")
@password_stdin_option
@json_option
def users_create(
    username: str,
    role: str,
    region: str | None,
    member_id: int | None,
    sponsor_id: int | None,
    password_stdin: bool,
    as_json: bool,
) -> None:
    """Create an account; the password is asked for twice (hidden) or read from stdin."""
    from jaring.accounts import service
    from jaring.kit.auth import ROLES, system
    from jaring.kit.errors import BadInput

    if role not in ROLES:  # before the password is typed, not after
        raise BadInput(f"role {role!r} is not known; use one of: {', '.join(ROLES)}")
    user = service.create_user(
        principal=system(),
        username=username,
        role=role,
        password=_read_password(password_stdin),
        region_code=region,
        member_id=member_id,
        sponsor_id=sponsor_id,
    )
    if as_json:
        click.echo(json.dumps(user.to_json()))
        return
    where = _t("region", code=user.region_code) if user.region_code else ""
    click.echo(_t("created", name=user.username, role=_role_label(user.role), where=where))


def _status(user: User) -> str:
    if not user.active:
        return _t("inactive")
    if user.locked() and user.locked_until is not None:
        return _t("locked", until=user.locked_until.strftime("%Y-%m-%d %H:%M UTC"))
    return _t("active")


def _link(user: User) -> str:
    if user.member_id is not None:
        return f"#{user.member_id}"
    return "" if user.sponsor_id is None else f"sponsor {user.sponsor_id}"


@users.command("list")
@json_option
def users_list(as_json: bool) -> None:
    """Every account with its role, region and whether it can log in."""
    from rich.console import Console
    from rich.table import Table

    from jaring.accounts import service
    from jaring.kit.auth import system

    found = service.list_users(principal=system())
    if as_json:
        click.echo(json.dumps({"users": [user.to_json() for user in found]}, ensure_ascii=False))
        return
    if not found:
        click.echo(_t("none"))
        return
    table = Table(_t("username"), _t("role"), _t("region_col"), _t("link"), _t("status"))
    for user in found:
        table.add_row(
            user.username, _role_label(user.role), user.region_code or "—", _link(user), _status(user)
        )
    Console(width=None if sys.stdout.isatty() else 140).print(table)


@users.command("unlock")
@click.argument("username")
def users_unlock(username: str) -> None:
    """Lift the lock that five failed logins put on an account."""
    from jaring.accounts import service
    from jaring.kit.auth import system

    user = service.unlock_user(principal=system(), username=username)
    click.echo(_t("unlocked", name=user.username))


@users.command("deactivate")
@click.argument("username")
def users_deactivate(username: str) -> None:
    """Stop an account from logging in; its tokens stop working at once."""
    from jaring.accounts import service
    from jaring.kit.auth import system

    user = service.deactivate_user(principal=system(), username=username)
    click.echo(_t("deactivated", name=user.username))


@users.command("set-password")
@click.argument("username")
@password_stdin_option
def users_set_password(username: str, password_stdin: bool) -> None:
    """Give an account a new password; every token it holds is revoked."""
    from jaring.accounts import service
    from jaring.kit.auth import system

    user = service.set_password(
        principal=system(), username=username, password=_read_password(password_stdin)
    )
    click.echo(_t("password_set", name=user.username))


def log_config() -> dict[str, Any]:
    """uvicorn's logging, with 16-digit numbers (a NIK in a query string) masked everywhere."""
    import copy

    from uvicorn.config import LOGGING_CONFIG

    config = copy.deepcopy(LOGGING_CONFIG)
    config.setdefault("filters", {})["scrub"] = {"()": "jaring.api.errors.ScrubFilter"}
    for handler in config["handlers"].values():
        handler.setdefault("filters", []).append("scrub")
    config["loggers"]["jaring"] = {"handlers": ["default"], "level": "INFO", "propagate": False}
    return config


@click.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", default=8000, show_default=True, type=click.IntRange(1, 65535), help="Port.")
@click.option("--workers", default=1, show_default=True, type=click.IntRange(min=1), help="Worker processes.")
def serve(host: str, port: int, workers: int) -> None:
    """Serve the web app and the API (/api/v1) with uvicorn."""
    import uvicorn

    from jaring.kit import db

    # Migrate once here, so several workers starting together do not race to do it.
    db.store()
    db.dispose_all()
    click.echo(_t("serving", host=host, port=port), err=True)
    if workers == 1:
        uvicorn.run("jaring.api.app:create_app", factory=True, host=host, port=port, log_config=log_config())
        return
    from uvicorn.supervisors import Multiprocess

    config = uvicorn.Config(
        "jaring.api.app:create_app",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        log_config=log_config(),
    )
    Multiprocess(config, sockets=[_listening_socket(host, port)]).run()


def _listening_socket(host: str, port: int) -> Any:
    """The socket the workers share, created with protocol IPPROTO_TCP. uvicorn's own one has
    protocol 0, and asyncio then never sets TCP_NODELAY on accepted connections: every
    keep-alive response waits out the client's delayed ACK (about 40 ms)."""
    import socket

    family, kind, proto, _, address = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)[0]
    sock = socket.socket(family, kind, proto or socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(address)
    sock.listen(2048)
    sock.set_inheritable(True)
    return sock
