"""Accounts, login with lockout, and tokens, on both stores."""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from jaring.accounts import passwords, service
from jaring.accounts.model import auth_tokens, users
from jaring.kit import db
from jaring.kit.audit import audit_events, verify
from jaring.kit.auth import Principal, system
from jaring.kit.errors import BadInput, Conflict, Forbidden, NotFound, Unauthenticated
from jaring.sponsors.service import create_sponsor
from tests.accounts.conftest import Account, make_account


def _events(url: str, action: str | None = None) -> list[dict]:
    query = select(audit_events).order_by(audit_events.c.seq)
    if action:
        query = query.where(audit_events.c.action == action)
    with db.store(url).connect() as conn:
        return [dict(row._mapping) for row in conn.execute(query)]


def _refused(url: str, username: str, password: str) -> str:
    with pytest.raises(Unauthenticated) as caught:
        service.authenticate(username=username, password=password, url=url)
    return str(caught.value)


class Clock:
    """Stands in for the service's clock so a test can move past a lockout or an expiry."""

    def __init__(self) -> None:
        self.now = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, delta: timedelta) -> None:
        self.now += delta


@pytest.fixture
def clock(monkeypatch) -> Clock:
    fake = Clock()
    monkeypatch.setattr(service, "_now", fake)
    return fake


# ---------------------------------------------------------------------------- creating accounts


def test_create_user_keeps_the_role_and_region(store_url):
    user = service.create_user(
        principal=system(),
        username="  Siti.Rahma ",
        role="regency_officer",
        password="sebelas huruf",
        region_code="35.07",
        url=store_url,
    )
    assert (user.username, user.role, user.region_code, user.active) == (
        "siti.rahma",
        "regency_officer",
        "3507",
        True,
    )
    assert [u.username for u in service.list_users(principal=system(), url=store_url)] == ["siti.rahma"]
    principal = service.authenticate(username="SITI.RAHMA", password="sebelas huruf", url=store_url)
    assert principal == Principal("siti.rahma", "regency_officer", "3507", user_id=user.id)


@pytest.mark.parametrize(
    ("changes", "field", "says"),
    [
        ({"role": "boss"}, "role", "role 'boss' is not known"),
        ({"role": "province_officer"}, "region_code", "needs the region"),
        ({"role": "province_officer", "region_code": "3507"}, "region_code", "2 digits, not 4"),
        ({"role": "regency_officer", "region_code": "35"}, "region_code", "4 digits, not 2"),
        ({"role": "claims_officer"}, "region_code", "needs the region"),
        ({"role": "auditor", "region_code": "35x"}, "region_code", "not a region code"),
        ({"role": "member"}, "member_id", "needs the member's number"),
        ({"role": "member", "member_id": 7, "region_code": "35"}, "region_code", "has no region"),
        ({"role": "auditor", "member_id": 7}, "member_id", "only a member account"),
        ({"role": "sponsor_finance"}, "sponsor_id", "needs the sponsor"),
        ({"role": "sponsor_finance", "sponsor_id": 999}, "sponsor_id", "sponsor 999 does not exist"),
        ({"role": "auditor", "sponsor_id": 1}, "sponsor_id", "only a sponsor finance account"),
        ({"username": "ab"}, "username", "3 to 60"),
        ({"username": "budi santoso"}, "username", "3 to 60"),
        ({"username": "3507012345670001"}, "username", "may not contain a 16-digit number"),
        ({"password": "pendek"}, "password", "at least 10 characters"),
    ],
)
def test_create_user_refuses_what_the_role_does_not_allow(store_url, changes, field, says):
    values = {"username": "someone", "role": "auditor", "password": "cukup panjang"} | changes
    with pytest.raises(BadInput, match=says) as caught:
        service.create_user(principal=system(), url=store_url, **values)
    assert caught.value.field == field
    assert service.list_users(principal=system(), url=store_url) == []


def test_national_roles_may_have_no_region_and_an_auditor_one(store_url):
    national = make_account(store_url, "pusat", "national_admin")
    regional = make_account(store_url, "audit.jatim", "auditor", region_code="35")
    found = {u.username: u.region_code for u in service.list_users(principal=system(), url=store_url)}
    assert found == {national.username: None, regional.username: "35"}


def test_a_member_account_belongs_to_a_member(store_url):
    user = service.create_user(
        principal=system(),
        username="peserta1",
        role="member",
        password="rahasia sekali",
        member_id=41,
        url=store_url,
    )
    principal = service.authenticate(username="peserta1", password="rahasia sekali", url=store_url)
    assert (user.member_id, principal.member_id, principal.region_code) == (41, 41, None)


def test_a_sponsor_finance_account_works_in_its_sponsors_region(store_url):
    sponsor = create_sponsor(
        principal=system(),
        code="JATIM",
        name="Pemprov Jatim",
        kind="province",
        region_code="35",
        url=store_url,
    )
    user = service.create_user(
        principal=system(), username="keu.jatim", role="sponsor_finance", password="rahasia sekali",
        sponsor_id=sponsor.id, url=store_url,
    )  # fmt: skip
    assert (user.sponsor_id, user.region_code) == (sponsor.id, "35")
    with pytest.raises(BadInput, match=r"its sponsor's region \(35\)"):
        service.create_user(
            principal=system(), username="keu.lain", role="sponsor_finance", password="rahasia sekali",
            sponsor_id=sponsor.id, region_code="36", url=store_url,
        )  # fmt: skip


def test_usernames_are_unique_whatever_the_case(store_url, officer: Account):
    with pytest.raises(Conflict, match="exists already"):
        make_account(store_url, officer.username.upper(), "auditor")


@pytest.mark.parametrize("role", ["auditor", "province_officer", "claims_supervisor", "member"])
def test_only_a_national_admin_manages_users(store_url, role):
    acting = Principal("x", role, region_code="35" if role != "member" else None, member_id=1)
    with pytest.raises(Forbidden, match=r"user\.manage"):
        service.create_user(
            principal=acting, username="baru", role="auditor", password="cukup panjang", url=store_url
        )
    with pytest.raises(Forbidden):
        service.list_users(principal=acting, url=store_url)
    with pytest.raises(Forbidden):
        service.unlock_user(principal=acting, username="baru", url=store_url)


def test_creation_is_audited_without_the_password(store_url):
    make_account(store_url, "dewi", "province_officer", password="kata sandi dewi", region_code="35")
    (event,) = _events(store_url, "user.create")
    assert event["after"] == {
        "username": "dewi",
        "role": "province_officer",
        "region_code": "35",
        "member_id": None,
        "sponsor_id": None,
        "active": True,
    }
    assert event["region_code"] == "35"
    assert event["actor"].startswith("national_admin:cli:")
    assert "kata sandi dewi" not in json.dumps(_events(store_url), default=str)
    assert "$argon2" not in json.dumps(_events(store_url), default=str)


# ---------------------------------------------------------------------------- login and lockout


def test_five_failures_lock_the_account_even_against_the_right_password(store_url, officer: Account, clock):
    for _ in range(service.MAX_FAILED_LOGINS):
        _refused(store_url, officer.username, "salah sekali ya")
    assert service.get_user(principal=system(), username=officer.username, url=store_url).locked(clock.now)

    assert _refused(store_url, officer.username, officer.password) == service.LOGIN_FAILED

    clock.advance(service.LOCKOUT - timedelta(seconds=1))
    _refused(store_url, officer.username, officer.password)
    clock.advance(timedelta(seconds=1))
    assert (
        service.authenticate(username=officer.username, password=officer.password, url=store_url).username
        == "budi"
    )


def test_a_lock_that_ran_out_starts_a_fresh_count(store_url, officer: Account, clock):
    for _ in range(service.MAX_FAILED_LOGINS):
        _refused(store_url, officer.username, "salah sekali ya")
    clock.advance(service.LOCKOUT)
    _refused(store_url, officer.username, "salah lagi nih")
    user = service.get_user(principal=system(), username=officer.username, url=store_url)
    assert (user.failed_logins, user.locked(clock.now)) == (1, False)
    service.authenticate(username=officer.username, password=officer.password, url=store_url)


def test_unlock_lets_the_right_password_in_at_once(store_url, officer: Account):
    for _ in range(service.MAX_FAILED_LOGINS):
        _refused(store_url, officer.username, "salah sekali ya")
    _refused(store_url, officer.username, officer.password)
    unlocked = service.unlock_user(principal=system(), username=officer.username, url=store_url)
    assert (unlocked.failed_logins, unlocked.locked_until) == (0, None)
    service.authenticate(username=officer.username, password=officer.password, url=store_url)
    assert [e["after"] for e in _events(store_url, "user.unlock")] == [
        {"failed_logins": 0, "locked_until": None}
    ]


def test_a_successful_login_resets_the_count(store_url, officer: Account):
    for _ in range(service.MAX_FAILED_LOGINS - 1):
        _refused(store_url, officer.username, "salah sekali ya")
    assert service.get_user(principal=system(), username=officer.username, url=store_url).failed_logins == 4
    service.authenticate(username=officer.username, password=officer.password, url=store_url)
    assert service.get_user(principal=system(), username=officer.username, url=store_url).failed_logins == 0
    for _ in range(service.MAX_FAILED_LOGINS - 1):
        _refused(store_url, officer.username, "salah sekali ya")
    service.authenticate(username=officer.username, password=officer.password, url=store_url)


def test_every_refusal_says_the_same(store_url, officer: Account):
    make_account(store_url, "pergi", "auditor", password="sudah pergi ya")
    service.deactivate_user(principal=system(), username="pergi", url=store_url)
    messages = {
        "unknown user": _refused(store_url, "tidak.ada", officer.password),
        "not a username": _refused(store_url, "#$%", officer.password),
        "wrong password": _refused(store_url, officer.username, "salah sekali ya"),
        "deactivated": _refused(store_url, "pergi", "sudah pergi ya"),
    }
    for _ in range(service.MAX_FAILED_LOGINS):
        _refused(store_url, officer.username, "salah sekali ya")
    messages["locked"] = _refused(store_url, officer.username, officer.password)
    assert set(messages.values()) == {"username or password is wrong, or the account is locked"}


def test_an_unknown_username_costs_one_verification_like_a_known_one(
    store_url, officer: Account, monkeypatch
):
    calls: list[str] = []

    class Counting(type(passwords.HASHER)):  # type: ignore[misc]
        def verify(self, hash, password):
            calls.append("verify")
            return super().verify(hash, password)

    monkeypatch.setattr(passwords, "HASHER", Counting())
    for username in ("tidak.ada", officer.username, "#$%"):
        calls.clear()
        _refused(store_url, username, "salah sekali ya")
        assert calls == ["verify"], username


def test_failures_and_lockouts_are_audited_without_the_password(store_url, officer: Account):
    _refused(store_url, "tidak.ada", "tebakan pertama")
    for attempt in range(service.MAX_FAILED_LOGINS):
        _refused(store_url, officer.username, f"tebakan ke-{attempt}")
    _refused(store_url, officer.username, officer.password)

    failed = _events(store_url, "auth.login_failed")
    assert [e["after"]["reason"] for e in failed] == ["unknown_user"] + ["wrong_password"] * 5 + ["locked"]
    assert [e["after"]["failed_logins"] for e in failed[1:6]] == [1, 2, 3, 4, 5]
    assert failed[0]["entity_id"] == "tidak.ada"
    assert {e["entity_id"] for e in failed[1:]} == {str(officer.user_id)}
    (locked,) = _events(store_url, "auth.locked")
    assert locked["after"]["failed_logins"] == 5
    text = json.dumps(_events(store_url), default=str)
    assert "tebakan" not in text
    assert officer.password not in text
    assert verify(store_url).intact


def test_a_nik_typed_as_username_is_not_recorded(store_url):
    _refused(store_url, "3507012345670001", "tebakan pertama")
    (event,) = _events(store_url, "auth.login_failed")
    assert "3507012345670001" not in json.dumps(event, default=str)


# ---------------------------------------------------------------------------- tokens


def test_a_token_resolves_to_its_account_and_only_its_hash_is_stored(store_url, officer: Account):
    token = service.issue_token(user_id=officer.user_id, url=store_url)
    principal = service.principal_for_token(token, "bearer", store_url)
    assert (principal.username, principal.region_code, principal.user_id) == ("budi", "35", officer.user_id)
    with db.store(store_url).connect() as conn:
        rows = conn.execute(select(auth_tokens)).all()
    assert [row.token_hash for row in rows] == [hashlib.sha256(token.encode()).hexdigest()]
    assert token not in json.dumps([dict(row._mapping) for row in rows], default=str)


def test_a_token_is_only_good_for_its_kind(store_url, officer: Account):
    session = service.issue_token(user_id=officer.user_id, kind="session", url=store_url)
    assert service.principal_for_token(session, "session", store_url).username == "budi"
    with pytest.raises(Unauthenticated):
        service.principal_for_token(session, "bearer", store_url)


def test_tokens_expire_after_their_lifetime(store_url, officer: Account, clock):
    bearer = service.issue_token(user_id=officer.user_id, url=store_url)
    session = service.issue_token(user_id=officer.user_id, kind="session", url=store_url)
    clock.advance(timedelta(hours=8) - timedelta(seconds=1))
    service.principal_for_token(session, "session", store_url)
    clock.advance(timedelta(seconds=1))
    with pytest.raises(Unauthenticated, match="expired"):
        service.principal_for_token(session, "session", store_url)
    clock.advance(timedelta(hours=4) - timedelta(seconds=1))
    service.principal_for_token(bearer, "bearer", store_url)
    clock.advance(timedelta(seconds=1))
    with pytest.raises(Unauthenticated):
        service.principal_for_token(bearer, "bearer", store_url)


def test_login_hands_out_a_token_until_the_default_lifetime(store_url, officer: Account, clock):
    issued = service.login(username=officer.username, password=officer.password, url=store_url)
    assert issued.expires_at == clock.now + timedelta(hours=12)
    assert service.principal_for_token(issued.token, "bearer", store_url) == issued.principal
    (event,) = _events(store_url, "auth.login")
    assert event["after"] == {"kind": "bearer", "rehashed": False}
    with pytest.raises(Unauthenticated):
        service.login(username=officer.username, password="salah sekali ya", url=store_url)


def test_a_revoked_token_stops_working(store_url, officer: Account):
    token = service.issue_token(user_id=officer.user_id, url=store_url)
    assert service.revoke_token(token, store_url) is True
    with pytest.raises(Unauthenticated):
        service.principal_for_token(token, "bearer", store_url)
    assert service.revoke_token(token, store_url) is False
    assert service.revoke_token("never-issued", store_url) is False
    assert len(_events(store_url, "auth.logout")) == 1


def test_deactivation_and_a_new_password_end_every_token(store_url, officer: Account):
    first = service.issue_token(user_id=officer.user_id, url=store_url)
    service.set_password(
        principal=system(), username=officer.username, password="kata sandi baru", url=store_url
    )
    with pytest.raises(Unauthenticated):
        service.principal_for_token(first, "bearer", store_url)
    _refused(store_url, officer.username, officer.password)
    service.authenticate(username=officer.username, password="kata sandi baru", url=store_url)

    second = service.issue_token(user_id=officer.user_id, url=store_url)
    service.deactivate_user(principal=system(), username=officer.username, url=store_url)
    with pytest.raises(Unauthenticated):
        service.principal_for_token(second, "bearer", store_url)
    with pytest.raises(BadInput, match="deactivated"):
        service.issue_token(user_id=officer.user_id, url=store_url)


def test_a_token_for_a_principal_needs_an_account(store_url, officer: Account):
    principal = service.authenticate(username=officer.username, password=officer.password, url=store_url)
    token = service.issue_token(principal=principal, kind="session", ttl=timedelta(minutes=5), url=store_url)
    assert service.principal_for_token(token, "session", store_url) == principal
    with pytest.raises(BadInput, match="no account"):
        service.issue_token(principal=system(), url=store_url)
    with pytest.raises(NotFound):
        service.issue_token(user_id=9999, url=store_url)
    with pytest.raises(BadInput, match="kind"):
        service.issue_token(user_id=officer.user_id, kind="cookie", url=store_url)


def test_an_admin_cannot_deactivate_their_own_account(store_url, admin: Account):
    me = service.authenticate(username=admin.username, password=admin.password, url=store_url)
    with pytest.raises(BadInput, match="your own account"):
        service.deactivate_user(principal=me, username=admin.username, url=store_url)
    with pytest.raises(NotFound, match="'nobody' not found"):
        service.deactivate_user(principal=me, username="nobody", url=store_url)


def test_a_regional_admin_manages_only_accounts_of_their_region(store_url, officer: Account):
    make_account(store_url, "sumut", "province_officer", region_code="12")
    regional = Principal("reg", "national_admin", region_code="35")
    assert [u.username for u in service.list_users(principal=regional, url=store_url)] == [officer.username]
    with pytest.raises(NotFound):
        service.unlock_user(principal=regional, username="sumut", url=store_url)
    with pytest.raises(NotFound):
        service.create_user(
            principal=regional, username="baru", role="province_officer", region_code="12",
            password="cukup panjang", url=store_url,
        )  # fmt: skip


def test_the_users_table_never_holds_a_password_in_clear(store_url, officer: Account):
    with db.store(store_url).connect() as conn:
        row = conn.execute(select(users)).one()
    assert officer.password not in json.dumps(dict(row._mapping), default=str)
