"""`jaring users ...` and `jaring serve` through Click's runner, on both stores."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from jaring.accounts import service
from jaring.cli import cli
from jaring.kit.errors import BadInput, Unauthenticated


@pytest.fixture
def run(jaring_env, monkeypatch):
    monkeypatch.setenv("JARING_LANG", "id")
    runner = CliRunner()

    def invoke(*args: str, input: str | None = None):
        return runner.invoke(cli, list(args), input=input)

    return invoke


def test_create_with_the_password_on_stdin(run, store_url):
    done = run(
        "users", "create", "--username", "Budi", "--role", "province_officer", "--region", "35",
        "--password-stdin", input="kuda baterai staples\n",
    )  # fmt: skip
    assert done.exit_code == 0, done.output
    assert done.output == "Pengguna budi dibuat: Petugas provinsi, wilayah 35.\n"
    principal = service.authenticate(username="budi", password="kuda baterai staples", url=store_url)
    assert (principal.role, principal.region_code) == ("province_officer", "35")


def test_create_asks_twice_at_a_hidden_prompt(run, store_url):
    done = run(
        "users", "create", "--username", "rina", "--role", "auditor", input="rahasia rina\nrahasia rina\n"
    )
    assert done.exit_code == 0, done.output
    assert "rahasia rina" not in done.output
    service.authenticate(username="rina", password="rahasia rina", url=store_url)


def test_a_password_is_never_an_argument(run):
    done = run("users", "create", "--username", "budi", "--role", "auditor", "--password", "rahasia sekali")
    assert done.exit_code == 2
    assert "No such option" in done.output


def test_create_refuses_a_short_password_and_an_empty_stdin(run, store_url):
    done = run(
        "users", "create", "--username", "budi", "--role", "auditor", "--password-stdin", input="pendek\n"
    )
    assert isinstance(done.exception, BadInput)
    assert "at least 10 characters" in str(done.exception)
    done = run("users", "create", "--username", "budi", "--role", "auditor", "--password-stdin", input="")
    assert isinstance(done.exception, BadInput)
    assert "tidak ada kata sandi" in str(done.exception)
    assert run("users", "list", "--json").output == '{"users": []}\n'


def test_list_unlock_and_deactivate(run, store_url):
    secret = "kuda baterai staples\n"
    run("users", "create", "--username", "budi", "--role", "regency_officer", "--region", "3507",
        "--password-stdin", input=secret)  # fmt: skip
    for _ in range(service.MAX_FAILED_LOGINS):
        with pytest.raises(Unauthenticated):
            service.authenticate(username="budi", password="salah sekali ya", url=store_url)

    listed = json.loads(run("users", "list", "--json").output)["users"]
    assert [(u["username"], u["region_code"], u["locked"], u["failed_logins"]) for u in listed] == [
        ("budi", "3507", True, 5)
    ]
    assert "terkunci s.d." in run("users", "list").output

    done = run("users", "unlock", "budi")
    assert (done.exit_code, done.output) == (0, "Pengguna budi dibuka kuncinya.\n")
    service.authenticate(username="budi", password=secret.strip(), url=store_url)

    done = run("users", "deactivate", "budi")
    assert done.exit_code == 0, done.output
    assert "nonaktif" in run("users", "list").output
    with pytest.raises(Unauthenticated):
        service.authenticate(username="budi", password=secret.strip(), url=store_url)


def test_set_password(run, store_url):
    run(
        "users",
        "create",
        "--username",
        "budi",
        "--role",
        "auditor",
        "--password-stdin",
        input="lama sekali ya\n",
    )
    done = run("users", "set-password", "budi", "--password-stdin", input="baru sekali ya\n")
    assert done.exit_code == 0, done.output
    service.authenticate(username="budi", password="baru sekali ya", url=store_url)


def test_serve_runs_the_app_factory_with_uvicorn(run, monkeypatch):
    import uvicorn

    seen: dict = {}
    monkeypatch.setattr(uvicorn, "run", lambda app, **kwargs: seen.update(app=app, **kwargs))
    done = run("serve", "--port", "8123")
    assert done.exit_code == 0, done.output
    assert seen["app"] == "jaring.api.app:create_app"
    assert (seen["factory"], seen["host"], seen["port"]) == (True, "127.0.0.1", 8123)
    filters = seen["log_config"]["handlers"]["access"]["filters"]
    assert filters == ["scrub"]


def test_serve_with_workers_shares_a_tcp_socket(run, monkeypatch):
    import socket

    import uvicorn.supervisors

    seen: dict = {}

    class Supervisor:
        def __init__(self, config, sockets):
            seen.update(config=config, sockets=sockets)

        def run(self):
            seen["ran"] = True

    monkeypatch.setattr(uvicorn.supervisors, "Multiprocess", Supervisor)
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    done = run("serve", "--port", str(port), "--workers", "2")
    assert done.exit_code == 0, done.output
    (sock,) = seen["sockets"]
    try:
        # Protocol IPPROTO_TCP is what makes asyncio set TCP_NODELAY on accepted connections.
        assert (sock.type, sock.proto) == (socket.SOCK_STREAM, socket.IPPROTO_TCP)
        assert seen["config"].workers == 2
        assert seen["config"].factory
        assert seen["ran"]
    finally:
        sock.close()
