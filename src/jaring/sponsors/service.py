"""Sponsor use cases the core needs: register a sponsor, look one up, read its funding source."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection, select

from jaring.kit import audit, db
from jaring.kit.auth import Principal, check_region, region_filter, require
from jaring.kit.errors import BadInput, Conflict, NotFound
from jaring.sponsors.model import SPONSOR_KINDS, sponsors

FUNDINGS = ("apbd", "apbn", "self")
# A government sponsor's money is APBD/APBN by law; the rest default to "self" (not excluded
# from relief). An operator may say otherwise when registering.
DEFAULT_FUNDING = {"province": "apbd", "regency": "apbd", "village": "apbd", "dbh_cht": "apbd"}


@dataclass(frozen=True)
class Sponsor:
    id: int
    code: str
    name: str
    kind: str
    region_code: str
    funding: str

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


def _sponsor(row: Any) -> Sponsor:
    return Sponsor(row.id, row.code, row.name, row.kind, row.region_code, row.funding)


def create_sponsor(
    *,
    principal: Principal,
    code: str,
    name: str,
    kind: str,
    region_code: str,
    funding: str | None = None,
    url: str | None = None,
) -> Sponsor:
    require(principal, "payer.assign")
    if kind not in SPONSOR_KINDS:
        raise BadInput(f"sponsor kind {kind!r} is not known; use one of: {', '.join(SPONSOR_KINDS)}")
    funding = funding or DEFAULT_FUNDING.get(kind, "self")
    if funding not in FUNDINGS:
        raise BadInput(f"funding {funding!r} is not known; use one of: {', '.join(FUNDINGS)}")
    code, name = code.strip(), name.strip()
    if not code or not name:
        raise BadInput("a sponsor needs a code and a name")
    if not region_code.isdigit() or len(region_code) not in (2, 4, 6, 10):
        raise BadInput(f"region {region_code!r} is not an undotted region code (e.g. 35 or 3507)")
    check_region(principal, region_code, "region")
    with db.transaction(url) as conn:
        if conn.execute(select(sponsors.c.id).where(sponsors.c.code == code)).first():
            raise Conflict(f"a sponsor with code {code!r} exists already")
        values = {
            "code": code,
            "name": name,
            "kind": kind,
            "region_code": region_code,
            "funding": funding,
            "created_at": datetime.now(UTC),
        }
        sponsor_id: int = conn.execute(sponsors.insert().values(values).returning(sponsors.c.id)).scalar_one()
        audit.record(
            conn,
            actor=principal.actor,
            action="sponsor.create",
            entity="sponsor",
            entity_id=str(sponsor_id),
            region_code=region_code,
            after={k: v for k, v in values.items() if k != "created_at"},
        )
    return Sponsor(sponsor_id, code, name, kind, region_code, funding)


def sponsor_in(conn: Connection, sponsor_id: int) -> Sponsor | None:
    """A sponsor by id inside a caller's transaction, without scope (for other services)."""
    row = conn.execute(select(sponsors).where(sponsors.c.id == sponsor_id)).first()
    return None if row is None else _sponsor(row)


def sponsors_in(conn: Connection, ids: Iterable[int]) -> dict[int, Sponsor]:
    """Sponsors by id in one query, without scope (for other services)."""
    wanted = sorted(set(ids))
    if not wanted:
        return {}
    return {
        int(row.id): _sponsor(row) for row in conn.execute(select(sponsors).where(sponsors.c.id.in_(wanted)))
    }


def fundings_in(conn: Connection) -> dict[int, str]:
    """Every sponsor's funding source, for billing (sponsors are few)."""
    return {row.id: row.funding for row in conn.execute(select(sponsors.c.id, sponsors.c.funding))}


def visible_sponsor_in(conn: Connection, principal: Principal, code_or_id: str | int) -> Sponsor:
    """A sponsor by code or id if the principal may see it (its region; a sponsor's finance
    officer only their own); otherwise NotFound, as for a sponsor nobody registered."""
    text = str(code_or_id).strip()
    query = select(sponsors).where(region_filter(principal, sponsors.c.region_code))
    if text.isdigit() and len(text) <= 9:  # an id fits the INTEGER column; longer is only a code
        query = query.where((sponsors.c.id == int(text)) | (sponsors.c.code == text)).order_by(
            (sponsors.c.code == text).desc()
        )
    else:
        query = query.where(sponsors.c.code == text)
    if principal.sponsor_id is not None:
        query = query.where(sponsors.c.id == principal.sponsor_id)
    row = conn.execute(query).first()
    if row is None:
        raise NotFound(f"sponsor {text!r} not found")
    return _sponsor(row)


def get_sponsor(*, principal: Principal, code_or_id: str, url: str | None = None) -> Sponsor:
    require(principal, "member.read")
    with db.reading(url) as conn:
        return visible_sponsor_in(conn, principal, code_or_id)


def list_sponsors(*, principal: Principal, url: str | None = None) -> list[Sponsor]:
    require(principal, "member.read")
    query = select(sponsors).where(region_filter(principal, sponsors.c.region_code)).order_by(sponsors.c.code)
    if principal.sponsor_id is not None:
        query = query.where(sponsors.c.id == principal.sponsor_id)
    with db.store(url).connect() as conn:
        return [_sponsor(row) for row in conn.execute(query)]
