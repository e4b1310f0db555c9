"""Who a sponsor targets (scope and rule), in what order (priority) and what it buys
(package): versioned, so every targeting run names the version it applied."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection, func, select

from jaring.kit import audit, db
from jaring.kit.auth import Principal, require
from jaring.kit.errors import BadInput, NotFound
from jaring.sponsors.model import sponsor_targets
from jaring.sponsors.service import Sponsor, visible_sponsor_in
from jaring.targeting.rules import Package, TargetRule, parse_package, parse_priority, parse_rule


@dataclass(frozen=True)
class Target:
    id: int
    sponsor_id: int
    version: int
    scope: tuple[str, ...]
    rule: TargetRule
    priority: tuple[str, ...]
    package: Package

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "sponsor_id": self.sponsor_id,
            "version": self.version,
            "scope": list(self.scope),
            "rule": self.rule.to_json(),
            "priority": list(self.priority),
            "package": self.package.to_json(),
        }


def _target(row: Any) -> Target:
    return Target(
        int(row.id),
        int(row.sponsor_id),
        int(row.version),
        tuple(row.scope),
        parse_rule(row.rule),
        tuple(row.priority),
        parse_package(row.package, check=False),
    )


def check_scope(sponsor: Sponsor, scope: list[str] | tuple[str, ...] | str | None) -> tuple[str, ...]:
    """Region codes (prefixes) inside the sponsor's own region; default: all of it."""
    if scope is None:
        return (sponsor.region_code,)
    if isinstance(scope, str):
        scope = [s.strip() for s in scope.split(",") if s.strip()]
    codes = []
    for code in scope:
        code = str(code).replace(".", "").strip()
        if not code.isdigit() or len(code) not in (2, 4, 6, 10):
            raise BadInput(f"{code!r} is not a region code (e.g. 35, 3507, 350701)", field="scope")
        if not code.startswith(sponsor.region_code):
            raise BadInput(
                f"region {code} is outside the sponsor's region {sponsor.region_code}", field="scope"
            )
        codes.append(code)
    if not codes:
        raise BadInput("the scope names at least one region", field="scope")
    # A code inside another listed code adds nothing.
    kept = sorted(c for c in set(codes) if not any(c != o and c.startswith(o) for o in codes))
    return tuple(kept)


def set_target(
    *,
    principal: Principal,
    sponsor: str | int,
    scope: list[str] | str | None = None,
    rule: dict[str, Any] | None = None,
    priority: list[str] | str | None = None,
    package: dict[str, Any] | None = None,
    url: str | None = None,
) -> Target:
    """A new version of the sponsor's target; earlier runs keep the version they used."""
    require(principal, "sponsor.manage")
    parsed_rule = parse_rule(rule)
    parsed_priority = parse_priority(priority)
    parsed_package = parse_package(package)
    with db.transaction(url) as conn:
        found = visible_sponsor_in(conn, principal, sponsor)
        codes = check_scope(found, scope)
        version = (
            int(
                conn.execute(
                    select(func.coalesce(func.max(sponsor_targets.c.version), 0)).where(
                        sponsor_targets.c.sponsor_id == found.id
                    )
                ).scalar_one()
            )
            + 1
        )
        values = {
            "sponsor_id": found.id,
            "version": version,
            "scope": list(codes),
            "rule": parsed_rule.to_json(),
            "priority": list(parsed_priority),
            "package": parsed_package.to_json(),
        }
        target_id = int(
            conn.execute(
                sponsor_targets.insert()
                .values(**values, created_at=datetime.now(UTC), created_by=principal.actor)
                .returning(sponsor_targets.c.id)
            ).scalar_one()
        )
        audit.record(
            conn,
            actor=principal.actor,
            action="sponsor.target",
            entity="sponsor",
            entity_id=str(found.id),
            region_code=found.region_code,
            after=values,
        )
    return Target(target_id, found.id, version, codes, parsed_rule, parsed_priority, parsed_package)


def current_target_in(conn: Connection, sponsor: Sponsor) -> Target:
    row = conn.execute(
        select(sponsor_targets)
        .where(sponsor_targets.c.sponsor_id == sponsor.id)
        .order_by(sponsor_targets.c.version.desc())
        .limit(1)
    ).first()
    if row is None:
        raise NotFound(
            f"sponsor {sponsor.code} has no target yet: set one with `jaring sponsors target {sponsor.code}`"
        )
    return _target(row)


def target_in(conn: Connection, target_id: int) -> Target:
    row = conn.execute(select(sponsor_targets).where(sponsor_targets.c.id == target_id)).first()
    if row is None:
        raise NotFound(f"target {target_id} not found")
    return _target(row)


def get_target(*, principal: Principal, sponsor: str | int, url: str | None = None) -> Target:
    require(principal, "sponsor.read")
    with db.reading(url) as conn:
        return current_target_in(conn, visible_sponsor_in(conn, principal, sponsor))
