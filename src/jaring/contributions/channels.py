"""Payment channels and the HMAC signature that proves a request came from one.

A channel signs `<timestamp>.<Idempotency-Key>.<body>` with HMAC-SHA256 under its secret and
sends the hex digest as `X-Jaring-Signature: sha256=<hex>`, with `X-Jaring-Channel` and
`X-Jaring-Timestamp` (Unix seconds). The timestamp must be within five minutes, so a
captured request cannot be replayed later under a new key; the key is signed, so it cannot
be swapped. The secret is shown once at creation and kept sealed under the master key.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import select

from jaring.contributions.model import payment_channels
from jaring.kit import audit, db
from jaring.kit.auth import Principal, require
from jaring.kit.errors import BadInput, Conflict, Unauthenticated
from jaring.kit.protect import seal, unseal

MAX_AGE_SECONDS = 300
_CODE = re.compile(r"[A-Z0-9][A-Z0-9_-]{1,39}")
_PURPOSE = "payment-channel"


@dataclass(frozen=True)
class NewChannel:
    code: str
    name: str
    secret: str  # hex; shown once


def create_channel(*, principal: Principal, code: str, name: str, url: str | None = None) -> NewChannel:
    require(principal, "payment.reconcile")
    code = code.strip().upper()
    if not _CODE.fullmatch(code):
        raise BadInput(
            "a channel code is 2-40 capital letters, digits, - or _ (e.g. BANK-JATIM)", field="code"
        )
    if not name.strip():
        raise BadInput("a channel needs a name", field="name")
    secret = secrets.token_hex(32)
    with db.transaction(url) as conn:
        if conn.execute(select(payment_channels.c.code).where(payment_channels.c.code == code)).first():
            raise Conflict(f"channel {code} exists already")
        conn.execute(
            payment_channels.insert().values(
                code=code,
                name=name.strip(),
                secret_cipher=seal(bytes.fromhex(secret), _PURPOSE),
                active=1,
                created_at=datetime.now(UTC),
            )
        )
        audit.record(
            conn,
            actor=principal.actor,
            action="channel.create",
            entity="payment_channel",
            entity_id=code,
            after={"name": name.strip()},
        )
    return NewChannel(code, name.strip(), secret)


def sign(secret_hex: str, timestamp: str, idempotency_key: str, body: bytes) -> str:
    message = timestamp.encode() + b"." + idempotency_key.encode() + b"." + body
    return "sha256=" + hmac.new(bytes.fromhex(secret_hex), message, hashlib.sha256).hexdigest()


def _secret(code: str, url: str | None) -> bytes | None:
    with db.store(url).connect() as conn:
        row = conn.execute(
            select(payment_channels.c.secret_cipher).where(
                payment_channels.c.code == code, payment_channels.c.active == 1
            )
        ).first()
    return None if row is None else unseal(bytes(row.secret_cipher), _PURPOSE)


def verify(
    *,
    channel: str | None,
    timestamp: str | None,
    signature: str | None,
    idempotency_key: str,
    body: bytes,
    url: str | None = None,
    now: datetime | None = None,
) -> str:
    """The channel code, if the signature holds; every failure gives one message, so a
    caller cannot learn which channel codes exist."""
    refused = Unauthenticated("the payment request is not signed by a known channel")
    if not channel or not timestamp or not signature or not timestamp.isdigit():
        raise refused
    current = (now or datetime.now(UTC)).timestamp()
    if abs(current - int(timestamp)) > MAX_AGE_SECONDS:
        raise Unauthenticated("the payment request's timestamp is more than 5 minutes off; check the clock")
    secret = _secret(channel.strip().upper(), url)
    if secret is None:
        raise refused
    expected = sign(secret.hex(), timestamp, idempotency_key, body)
    if not hmac.compare_digest(expected, signature.strip()):
        raise refused
    return channel.strip().upper()
