"""Accounts: who may log in, with which role and region, and the tokens a login hands out.

A login failure says the same thing whatever went wrong (unknown name, wrong password,
locked or deactivated account) and costs the same time, so neither the reply nor its timing
tells a guesser which usernames exist. Five wrong passwords in a row lock the account for
fifteen minutes. Tokens are random; only their SHA-256 is stored.
"""

from __future__ import annotations

import hashlib
import re
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Final

from sqlalchemy import Connection, select, update
from sqlalchemy.exc import IntegrityError

from jaring.accounts import passwords
from jaring.accounts.model import auth_tokens, users
from jaring.kit import audit, db
from jaring.kit.auth import (
    CLAIMS_OFFICER,
    CLAIMS_SUPERVISOR,
    MEMBER,
    REGION_LENGTH,
    ROLES,
    SPONSOR_FINANCE,
    Principal,
    check_region,
    region_filter,
    require,
)
from jaring.kit.errors import BadInput, Conflict, NotFound, Unauthenticated
from jaring.sponsors.service import sponsor_in

MAX_FAILED_LOGINS: Final = 5
LOCKOUT: Final = timedelta(minutes=15)
TOKEN_KINDS: Final = ("bearer", "session")
TOKEN_TTL: Final = {"bearer": timedelta(hours=12), "session": timedelta(hours=8)}

LOGIN_FAILED: Final = "username or password is wrong, or the account is locked"
TOKEN_INVALID: Final = "the credentials are missing, expired or revoked; log in again"

# Lower case so "Budi" and "budi" cannot be two accounts.
_USERNAME = re.compile(r"[a-z0-9][a-z0-9._@-]{2,59}")
# A NIK must never become a username: usernames appear in the audit trail and in logs.
_NIK_LIKE = re.compile(r"[0-9]{16}")
_REGION_LENGTHS = (2, 4, 6, 10)
# Roles whose records are reached through a region; without one they would see nothing.
_NEEDS_REGION = frozenset({*REGION_LENGTH, CLAIMS_OFFICER, CLAIMS_SUPERVISOR})


@dataclass(frozen=True)
class User:
    id: int
    username: str
    role: str
    region_code: str | None
    member_id: int | None
    sponsor_id: int | None
    active: bool
    failed_logins: int
    locked_until: datetime | None
    created_at: datetime

    def locked(self, now: datetime | None = None) -> bool:
        return self.locked_until is not None and self.locked_until > (now or _now())

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "username": self.username,
            "role": self.role,
            "region_code": self.region_code,
            "member_id": self.member_id,
            "sponsor_id": self.sponsor_id,
            "active": self.active,
            "locked": self.locked(),
            "locked_until": None if self.locked_until is None else self.locked_until.isoformat(),
            "failed_logins": self.failed_logins,
            "created_at": self.created_at.isoformat(),
        }


@dataclass(frozen=True)
class Issued:
    """A token just handed out; `token` is shown once and never stored."""

    token: str
    kind: str
    expires_at: datetime
    principal: Principal


def _now() -> datetime:
    # One place for the clock, so tests can move past a lockout or an expiry without waiting.
    return datetime.now(UTC)


def _utc(moment: datetime) -> datetime:
    # SQLite gives back naive datetimes; every stored moment is UTC.
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def _user(row: Any) -> User:
    return User(
        id=row.id,
        username=row.username,
        role=row.role,
        region_code=row.region_code,
        member_id=row.member_id,
        sponsor_id=row.sponsor_id,
        active=bool(row.active),
        failed_logins=int(row.failed_logins),
        locked_until=None if row.locked_until is None else _utc(row.locked_until),
        created_at=_utc(row.created_at),
    )


def _principal(row: Any) -> Principal:
    return Principal(
        username=row.username,
        role=row.role,
        region_code=row.region_code,
        user_id=row.id,
        member_id=row.member_id,
        sponsor_id=row.sponsor_id,
    )


def _actor(row: Any) -> str:
    return f"{row.role}:{row.username}"


# ---------------------------------------------------------------------------- validation


def _username(text: str) -> str:
    name = text.strip().lower()
    if _NIK_LIKE.search(name):
        raise BadInput("a username may not contain a 16-digit number such as a NIK", field="username")
    if not _USERNAME.fullmatch(name):
        raise BadInput(
            f"username {name!r} is not valid: use 3 to 60 letters, digits, '.', '_', '-' or '@', "
            "starting with a letter or digit",
            field="username",
        )
    return name


def _login_name(text: str) -> str | None:
    """The stored form of a username typed at login, or None when it cannot be one."""
    try:
        return _username(text)
    except BadInput:
        return None


def _region(text: str | None) -> str | None:
    if text is None or not text.strip():
        return None
    plain = text.strip().replace(".", "")
    if not plain.isdigit() or len(plain) not in _REGION_LENGTHS:
        raise BadInput(
            f"region {text.strip()!r} is not a region code: use 2, 4, 6 or 10 digits (e.g. 35 or 35.07)",
            field="region_code",
        )
    return plain


def _check_role(role: str) -> None:
    if role not in ROLES:
        raise BadInput(f"role {role!r} is not known; use one of: {', '.join(ROLES)}", field="role")


def _check_links(role: str, member_id: int | None, sponsor_id: int | None) -> None:
    if role == MEMBER and member_id is None:
        raise BadInput("a member account needs the member's number (member_id)", field="member_id")
    if role != MEMBER and member_id is not None:
        raise BadInput("only a member account belongs to a member; leave member_id out", field="member_id")
    if role == SPONSOR_FINANCE and sponsor_id is None:
        raise BadInput(
            "a sponsor finance account needs the sponsor it works for (sponsor_id)", field="sponsor_id"
        )
    if role != SPONSOR_FINANCE and sponsor_id is not None:
        raise BadInput(
            "only a sponsor finance account belongs to a sponsor; leave sponsor_id out", field="sponsor_id"
        )


def _check_region_for_role(role: str, region: str | None) -> None:
    if role == MEMBER and region is not None:
        raise BadInput(
            "a member account has no region: it sees only the member's own records", field="region_code"
        )
    length = REGION_LENGTH.get(role)
    if role in _NEEDS_REGION and region is None:
        raise BadInput(f"a {role} account needs the region it works in (region_code)", field="region_code")
    if length is not None and region is not None and len(region) != length:
        raise BadInput(
            f"a {role} account works in a region of {length} digits, not {len(region)}", field="region_code"
        )


def _sponsor_region(conn: Connection, sponsor_id: int, region: str | None) -> str:
    sponsor = sponsor_in(conn, sponsor_id)
    if sponsor is None:
        raise BadInput(f"sponsor {sponsor_id} does not exist", field="sponsor_id")
    if region is not None and region != sponsor.region_code:
        raise BadInput(
            f"a sponsor finance account works in its sponsor's region ({sponsor.region_code}); "
            "leave region_code out",
            field="region_code",
        )
    return sponsor.region_code


# ---------------------------------------------------------------------------- user management


def create_user(
    *,
    principal: Principal,
    username: str,
    role: str,
    password: str,
    region_code: str | None = None,
    member_id: int | None = None,
    sponsor_id: int | None = None,
    url: str | None = None,
) -> User:
    require(principal, "user.manage")
    name = _username(username)
    _check_role(role)
    region = _region(region_code)
    _check_links(role, member_id, sponsor_id)
    _check_region_for_role(role, region)
    password_hash = passwords.hash_password(password)
    with db.transaction(url) as conn:
        if sponsor_id is not None:
            region = _sponsor_region(conn, sponsor_id, region)
        if not principal.national:
            check_region(principal, region, "region")
        if conn.execute(select(users.c.id).where(users.c.username == name)).first():
            raise Conflict(f"a user named {name!r} exists already")
        values = {
            "username": name,
            "role": role,
            "region_code": region,
            "member_id": member_id,
            "sponsor_id": sponsor_id,
            "active": True,
        }
        try:
            user_id: int = conn.execute(
                users.insert()
                .values(**values, password_hash=password_hash, failed_logins=0, created_at=_now())
                .returning(users.c.id)
            ).scalar_one()
        except IntegrityError as exc:  # the same name created at the same moment
            raise Conflict(f"a user named {name!r} exists already") from exc
        audit.record(
            conn,
            actor=principal.actor,
            action="user.create",
            entity="user",
            entity_id=str(user_id),
            region_code=region,
            after=values,
        )
        return _user(conn.execute(select(users).where(users.c.id == user_id)).one())


def list_users(*, principal: Principal, url: str | None = None) -> list[User]:
    require(principal, "user.manage")
    query = select(users).order_by(users.c.username)
    if not principal.national:
        query = query.where(region_filter(principal, users.c.region_code))
    with db.store(url).connect() as conn:
        return [_user(row) for row in conn.execute(query)]


def get_user(*, principal: Principal, username: str, url: str | None = None) -> User:
    require(principal, "user.manage")
    with db.store(url).connect() as conn:
        return _user(_managed_row(conn, principal, username, lock=False))


def _managed_row(conn: Connection, principal: Principal, username: str, *, lock: bool = True) -> Any:
    name = _login_name(username)
    query = select(users).where(users.c.username == name)
    if not principal.national:
        query = query.where(region_filter(principal, users.c.region_code))
    if lock:
        query = query.with_for_update()
    row = None if name is None else conn.execute(query).first()
    if row is None:
        raise NotFound(f"user {username.strip()!r} not found" if name else "user not found")
    return row


def _change_user(
    conn: Connection,
    principal: Principal,
    row: Any,
    action: str,
    values: dict[str, Any],
    note: dict[str, Any],
) -> User:
    conn.execute(update(users).where(users.c.id == row.id).values(**values))
    audit.record(
        conn,
        actor=principal.actor,
        action=action,
        entity="user",
        entity_id=str(row.id),
        region_code=row.region_code,
        before={key: _plain(getattr(row, key)) for key in values if key != "password_hash"},
        after={**{key: _plain(value) for key, value in values.items() if key != "password_hash"}, **note},
    )
    return _user(conn.execute(select(users).where(users.c.id == row.id)).one())


def _plain(value: Any) -> Any:
    return _utc(value).isoformat() if isinstance(value, datetime) else value


def set_password(*, principal: Principal, username: str, password: str, url: str | None = None) -> User:
    """A new password chosen by an admin; every token of the account stops working."""
    require(principal, "user.manage")
    password_hash = passwords.hash_password(password)
    with db.transaction(url) as conn:
        row = _managed_row(conn, principal, username)
        revoked = _revoke_all_in(conn, row.id)
        return _change_user(
            conn,
            principal,
            row,
            "user.password_set",
            {"password_hash": password_hash},
            {"tokens_revoked": revoked},
        )


def unlock_user(*, principal: Principal, username: str, url: str | None = None) -> User:
    require(principal, "user.manage")
    with db.transaction(url) as conn:
        row = _managed_row(conn, principal, username)
        if row.failed_logins == 0 and row.locked_until is None:
            return _user(row)
        return _change_user(
            conn, principal, row, "user.unlock", {"failed_logins": 0, "locked_until": None}, {}
        )


def deactivate_user(*, principal: Principal, username: str, url: str | None = None) -> User:
    """The account can no longer log in, and its tokens stop working at once."""
    require(principal, "user.manage")
    with db.transaction(url) as conn:
        row = _managed_row(conn, principal, username)
        if principal.user_id is not None and principal.user_id == row.id:
            raise BadInput("you cannot deactivate your own account; ask another national admin")
        if not row.active:
            return _user(row)
        revoked = _revoke_all_in(conn, row.id)
        return _change_user(
            conn, principal, row, "user.deactivate", {"active": False}, {"tokens_revoked": revoked}
        )


# ---------------------------------------------------------------------------- login


def authenticate(*, username: str, password: str, url: str | None = None) -> Principal:
    """The principal of a correct username and password; Unauthenticated otherwise, always
    with the same message."""
    attempt = _check_password(username, password, url)
    with db.transaction(url) as conn:
        principal = _settle_in(conn, attempt, password, kind=None)
    if principal is None:
        raise Unauthenticated(LOGIN_FAILED)
    return principal


def login(
    *,
    username: str,
    password: str,
    kind: str = "bearer",
    ttl: timedelta | None = None,
    url: str | None = None,
) -> Issued:
    """Authenticate and hand out a token of `kind` in one unit of work."""
    ttl = _ttl(kind, ttl)
    attempt = _check_password(username, password, url)
    with db.transaction(url) as conn:
        principal = _settle_in(conn, attempt, password, kind=kind)
        issued = None if principal is None else _issue_in(conn, principal, kind, ttl)
    if issued is None:
        raise Unauthenticated(LOGIN_FAILED)
    return issued


@dataclass(frozen=True)
class _Attempt:
    name: str | None  # None: what was typed cannot be a username
    seen: Any  # the account as read before hashing, or None
    matched: bool


def _check_password(username: str, password: str, url: str | None) -> _Attempt:
    # The slow hash runs outside the write transaction, so logins do not hold the store's
    # write lock; every path pays for exactly one verification.
    name = _login_name(username)
    seen = None
    if name is not None:
        with db.store(url).connect() as conn:
            seen = conn.execute(select(users).where(users.c.username == name)).first()
    if seen is None:
        passwords.burn(password)
        return _Attempt(name, None, False)
    return _Attempt(name, seen, passwords.verify(seen.password_hash, password))


def _settle_in(conn: Connection, attempt: _Attempt, password: str, *, kind: str | None) -> Principal | None:
    """Record the attempt on the account as it is now (locked rows, fresh counts); the
    failure is committed and only then reported by the caller."""
    row = None
    if attempt.seen is not None:
        row = conn.execute(select(users).where(users.c.id == attempt.seen.id).with_for_update()).first()
    if row is None or not row.active:
        _audit_failure(conn, attempt.name, row, "unknown_user" if row is None else "inactive")
        return None
    now = _now()
    if row.locked_until is not None and _utc(row.locked_until) > now:
        _audit_failure(conn, attempt.name, row, "locked")
        return None
    matched = attempt.matched
    if matched and row.password_hash != attempt.seen.password_hash:  # changed meanwhile (rare)
        matched = passwords.verify(row.password_hash, password)
    if not matched:
        _record_failure(conn, row, now)
        return None
    _record_success(conn, row, password, kind)
    return _principal(row)


def _audit_failure(
    conn: Connection, name: str | None, row: Any, reason: str, failures: int | None = None
) -> None:
    shown = name or "(not a valid username)"
    audit.record(
        conn,
        actor=f"login:{shown}",
        action="auth.login_failed",
        entity="user",
        entity_id=shown if row is None else str(row.id),
        region_code=None if row is None else row.region_code,
        after={"reason": reason, "failed_logins": failures},
    )


def _record_failure(conn: Connection, row: Any, now: datetime) -> None:
    # A lock that has run out starts a fresh count rather than locking again at once.
    failures = (0 if row.locked_until is not None else int(row.failed_logins)) + 1
    locked_until = now + LOCKOUT if failures >= MAX_FAILED_LOGINS else None
    conn.execute(
        update(users).where(users.c.id == row.id).values(failed_logins=failures, locked_until=locked_until)
    )
    _audit_failure(conn, row.username, row, "wrong_password", failures)
    if locked_until is not None:
        audit.record(
            conn,
            actor=f"login:{row.username}",
            action="auth.locked",
            entity="user",
            entity_id=str(row.id),
            region_code=row.region_code,
            after={"failed_logins": failures, "locked_until": locked_until.isoformat()},
        )


def _record_success(conn: Connection, row: Any, password: str, kind: str | None) -> None:
    values: dict[str, Any] = {}
    if row.failed_logins or row.locked_until is not None:
        values.update(failed_logins=0, locked_until=None)
    if passwords.needs_rehash(row.password_hash):
        # The password is known right now, so the hash can follow the current parameters.
        values["password_hash"] = passwords.rehash(password)
    if values:
        conn.execute(update(users).where(users.c.id == row.id).values(**values))
    audit.record(
        conn,
        actor=_actor(row),
        action="auth.login",
        entity="user",
        entity_id=str(row.id),
        region_code=row.region_code,
        after={"kind": kind, "rehashed": "password_hash" in values},
    )


# ---------------------------------------------------------------------------- tokens


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _ttl(kind: str, ttl: timedelta | None) -> timedelta:
    if kind not in TOKEN_KINDS:
        raise BadInput(
            f"token kind {kind!r} is not known; use one of: {', '.join(TOKEN_KINDS)}", field="kind"
        )
    ttl = TOKEN_TTL[kind] if ttl is None else ttl
    if ttl <= timedelta(0):
        raise BadInput("a token's lifetime must be positive", field="ttl")
    return ttl


def _issue_in(conn: Connection, principal: Principal, kind: str, ttl: timedelta) -> Issued:
    token = secrets.token_urlsafe(32)
    now = _now()
    conn.execute(
        auth_tokens.insert().values(
            token_hash=_digest(token),
            user_id=principal.user_id,
            kind=kind,
            created_at=now,
            expires_at=now + ttl,
            revoked_at=None,
        )
    )
    return Issued(token=token, kind=kind, expires_at=now + ttl, principal=principal)


def issue_token(
    *,
    principal: Principal | None = None,
    user_id: int | None = None,
    kind: str = "bearer",
    ttl: timedelta | None = None,
    url: str | None = None,
) -> str:
    """A new token for an account, named by a principal that has one (from `authenticate`)
    or by the account's id. For trusted callers (tests, tools): routes use `login`."""
    ttl = _ttl(kind, ttl)
    if (principal is None) == (user_id is None):
        raise ValueError("name the account by principal or by user_id, exactly one")
    account = user_id if principal is None else principal.user_id
    if account is None:
        raise BadInput("this principal has no account to issue a token for (the CLI operator has none)")
    with db.transaction(url) as conn:
        row = conn.execute(select(users).where(users.c.id == account)).first()
        if row is None:
            raise NotFound(f"user {account} not found")
        if not row.active:
            raise BadInput(f"user {row.username!r} is deactivated; no token can be issued")
        issued = _issue_in(conn, _principal(row), kind, ttl)
        audit.record(
            conn,
            actor=_actor(row),
            action="auth.token_issue",
            entity="user",
            entity_id=str(row.id),
            region_code=row.region_code,
            after={"kind": kind, "expires_at": issued.expires_at.isoformat()},
        )
    return issued.token


def principal_for_token(token: str, kind: str = "bearer", url: str | None = None) -> Principal:
    """Who a token belongs to; Unauthenticated when it is unknown, of another kind, expired,
    revoked, or its account was deactivated."""
    if not token or len(token) > 200:
        raise Unauthenticated(TOKEN_INVALID)
    query = (
        select(users, auth_tokens.c.kind, auth_tokens.c.expires_at, auth_tokens.c.revoked_at)
        .join(users, users.c.id == auth_tokens.c.user_id)
        .where(auth_tokens.c.token_hash == _digest(token))
    )
    with db.reading(url) as conn:
        row = conn.execute(query).first()
    if (
        row is None
        or row.kind != kind
        or row.revoked_at is not None
        or _utc(row.expires_at) <= _now()
        or not row.active
    ):
        raise Unauthenticated(TOKEN_INVALID)
    return _principal(row)


def revoke_token(token: str, url: str | None = None) -> bool:
    """End a token now (logout); False when it was not a live token. Safe to repeat."""
    digest = _digest(token)
    with db.transaction(url) as conn:
        row = conn.execute(
            select(users.c.id, users.c.username, users.c.role, users.c.region_code, auth_tokens.c.kind)
            .join(users, users.c.id == auth_tokens.c.user_id)
            .where(auth_tokens.c.token_hash == digest, auth_tokens.c.revoked_at.is_(None))
        ).first()
        if row is None:
            return False
        conn.execute(update(auth_tokens).where(auth_tokens.c.token_hash == digest).values(revoked_at=_now()))
        audit.record(
            conn,
            actor=_actor(row),
            action="auth.logout",
            entity="user",
            entity_id=str(row.id),
            region_code=row.region_code,
            after={"kind": row.kind},
        )
    return True


def _revoke_all_in(conn: Connection, user_id: int) -> int:
    result = conn.execute(
        update(auth_tokens)
        .where(auth_tokens.c.user_id == user_id, auth_tokens.c.revoked_at.is_(None))
        .values(revoked_at=_now())
    )
    return int(result.rowcount)
