"""Registry drift: when a new snapshot arrives, the sponsored members it says died, left the
registry, moved out of the sponsor's scope or rose above its desil cut-off go on a review
list. Nothing is cut off automatically: each member keeps the sponsor as payer to the end of
the funded period, unless an officer decides to end it now (audited).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import asdict, dataclass, field
from datetime import UTC, date, datetime
from typing import Any

import duckdb
import pyarrow as pa
import pyarrow.compute as pc
from sqlalchemy import select

from jaring.kit import audit, db
from jaring.kit.auth import Principal, require
from jaring.kit.errors import BadInput, NotFound
from jaring.kit.periods import Month
from jaring.membership import service as membership
from jaring.membership.numbers import participant_number
from jaring.registry.diff import diff_snapshots
from jaring.sponsors.model import DRIFT_DECISIONS, DRIFTS, drift_reviews
from jaring.sponsors.service import visible_sponsor_in
from jaring.sponsors.targets import current_target_in


@dataclass
class DriftItem:
    id: int
    participant_number: str
    change: str
    details: dict[str, Any]
    funded_to: str | None  # the last funded month
    decision: str | None


@dataclass
class DriftReview:
    sponsor: str
    diff_id: str
    counts: dict[str, int]
    undecided: int
    items: list[DriftItem] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


# The diff's changes that concern a sponsor, as review items (a person has one row per change).
DRIFT_SQL = """
SELECT m.member_id, m.funded_to, c.change, c.old_village_code, c.new_village_code, c.old_desil, c.new_desil
FROM sponsored m JOIN read_parquet(?) c ON c.nik_index = m.nik_index
WHERE c.change IN ('deceased', 'removed', 'moved', 'desil_up')
ORDER BY m.member_id, c.change
"""


def _items(
    changes_path: str, sponsored: pa.Table, scope: tuple[str, ...], desil_max: int
) -> list[dict[str, Any]]:
    con = duckdb.connect()
    try:
        con.register("sponsored", sponsored)
        rows = con.execute(DRIFT_SQL, [changes_path]).fetchall()
    finally:
        con.close()
    items = []
    for member_id, funded_to, change, old_village, new_village, old_desil, new_desil in rows:
        if change == "moved" and any(str(new_village).startswith(code) for code in scope):
            continue  # moved within the sponsor's area: nothing to review
        if change == "desil_up" and (new_desil is None or int(new_desil) <= desil_max):
            continue
        kind = {
            "removed": "left_registry",
            "moved": "moved_out_of_scope",
            "desil_up": "desil_above_cutoff",
        }.get(change, change)
        details = {
            "deceased": {},
            "left_registry": {},
            "moved_out_of_scope": {"from": old_village, "to": new_village},
            "desil_above_cutoff": {"from": old_desil, "to": new_desil, "cut_off": desil_max},
        }[kind]
        items.append(
            {"member_id": int(member_id), "change": kind, "details": details, "funded_to": funded_to}
        )
    return items


def review_drift(
    *,
    principal: Principal,
    sponsor: str | int,
    old: str,
    new: str,
    on: date | None = None,
    url: str | None = None,
) -> DriftReview:
    """Compare two snapshots (the diff is computed once and kept) and list the sponsor's
    members it concerns; a repeat keeps the decisions already taken."""
    require(principal, "sponsor.read")
    with db.reading(url) as conn:  # who may look comes first, before any snapshot is read
        found = visible_sponsor_in(conn, principal, sponsor)
        target = current_target_in(conn, found)
    diff = diff_snapshots(old=old, new=new, url=url)
    with db.store(url).connect() as conn:
        index = membership.member_index_in(conn, Month.of(on or date.today()))
    mask = pc.equal(index.column("sponsor_id"), found.id)
    sponsored = index.filter(pc.fill_null(mask, False)).select(["member_id", "nik_index", "funded_to"])
    found_items = _items(diff.path, sponsored, target.scope, target.rule.desil_max)
    now = datetime.now(UTC)
    with db.transaction(url) as conn:
        stored = {
            (int(r.member_id), r.change)
            for r in conn.execute(
                select(drift_reviews.c.member_id, drift_reviews.c.change).where(
                    drift_reviews.c.diff_id == diff.diff_id, drift_reviews.c.sponsor_id == found.id
                )
            )
        }
        fresh = [i for i in found_items if (i["member_id"], i["change"]) not in stored]
        if fresh:
            conn.execute(
                drift_reviews.insert(),
                [
                    {
                        "diff_id": diff.diff_id,
                        "sponsor_id": found.id,
                        "member_id": i["member_id"],
                        "change": i["change"],
                        "details": i["details"],
                        "funded_to": i["funded_to"],
                        "region_code": found.region_code,
                        "created_at": now,
                    }
                    for i in fresh
                ],
            )
            audit.record(
                conn,
                actor=principal.actor,
                action="sponsor.drift_review",
                entity="sponsor",
                entity_id=str(found.id),
                region_code=found.region_code,
                after={"diff": diff.diff_id, "new_items": dict(Counter(i["change"] for i in fresh))},
            )
        rows = conn.execute(
            select(drift_reviews)
            .where(drift_reviews.c.diff_id == diff.diff_id, drift_reviews.c.sponsor_id == found.id)
            .order_by(drift_reviews.c.id)
        ).all()
    items = [
        DriftItem(
            id=int(r.id),
            participant_number=participant_number(int(r.member_id)),
            change=r.change,
            details=dict(r.details),
            funded_to=None if r.funded_to is None else str(Month.of(r.funded_to).plus(-1)),
            decision=r.decision,
        )
        for r in rows
    ]
    counts = Counter(i.change for i in items)
    return DriftReview(
        sponsor=found.code,
        diff_id=diff.diff_id,
        counts={k: counts[k] for k in DRIFTS if counts[k]},
        undecided=sum(1 for i in items if i.decision is None),
        items=items,
    )


def decide_drift(
    *, principal: Principal, sponsor: str | int, item_ids: list[int], decision: str, url: str | None = None
) -> int:
    """Keep (to the end of the funded period) or end now (the sponsor stops paying from next
    month). Returns how many items were decided; items decided already are left as they are."""
    require(principal, "payer.assign")
    if decision not in DRIFT_DECISIONS:
        raise BadInput(f"decision must be one of {', '.join(DRIFT_DECISIONS)}", field="decision")
    if not item_ids:
        raise BadInput("name at least one review item", field="item_ids")
    with db.reading(url) as conn:
        found = visible_sponsor_in(conn, principal, sponsor)
        rows = conn.execute(
            select(drift_reviews).where(
                drift_reviews.c.id.in_(sorted(set(item_ids))), drift_reviews.c.sponsor_id == found.id
            )
        ).all()
    missing = sorted(set(item_ids) - {int(r.id) for r in rows})
    if missing:
        raise NotFound(f"review items not found: {', '.join(map(str, missing[:5]))}")
    open_rows = [r for r in rows if r.decision is None]
    if decision == "end_now":
        until = Month.of(date.today()).plus(1)
        for member_id in sorted({int(r.member_id) for r in open_rows}):
            membership.end_payer(
                principal=principal,
                participant_number=participant_number(member_id),
                sponsor_id=found.id,
                until=until,
                url=url,
            )
    now = datetime.now(UTC)
    with db.transaction(url) as conn:
        for r in open_rows:
            conn.execute(
                drift_reviews.update()
                .where(drift_reviews.c.id == r.id, drift_reviews.c.decision.is_(None))
                .values(decision=decision, decided_at=now, decided_by=principal.actor)
            )
        if open_rows:
            audit.record(
                conn,
                actor=principal.actor,
                action="sponsor.drift_decision",
                entity="sponsor",
                entity_id=str(found.id),
                region_code=found.region_code,
                after={"decision": decision, "items": [int(r.id) for r in open_rows]},
            )
    return len(open_rows)
