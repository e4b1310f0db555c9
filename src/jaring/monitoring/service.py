"""Coverage monitoring, national → province → regency: BPU members protected (JKK + JKM) against
the BPU universe of the registry, sponsored and self-paying, members at risk of lapsing, claims
and benefits paid, and progress toward the national target of vulnerable workers covered.

Coverage = BPU participants in JKK + JKM ÷ the BPU universe × 100 (Kemnaker indicator
06.02.02.01.01). The universe is named with its source on every answer, because the number
depends on it.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import date
from typing import Any

from jaring.claims.ledger import RegionClaims, totals_by_region_in
from jaring.contributions.coverage import RegionCoverage, counts_by_region_in
from jaring.kit import db
from jaring.kit.auth import Principal, in_scope, require
from jaring.kit.errors import NotFound
from jaring.kit.periods import Month
from jaring.monitoring import rollup
from jaring.monitoring.funding import FundingPanel, funding_panel_in
from jaring.monitoring.trends import TrendPoint, trend_in
from jaring.reference import codes, lookup
from jaring.registry.universe import Universe, latest_universe
from jaring.rules.engine import Usage, default_rulebook

CHILD_LENGTH = {0: 2, 2: 4, 4: 6}
LEVEL_OF_LENGTH = {0: "national", 2: "province", 4: "regency"}


@dataclass
class RegionRow:
    code: str
    name: str
    members: int = 0
    covered: int = 0
    active: int = 0
    arrears: int = 0  # protected, 1-3 months behind: at risk of lapsing
    lapsed: int = 0
    not_started: int = 0
    sponsored: int = 0
    self_paying: int = 0
    universe: int | None = None
    vulnerable: int | None = None
    coverage_pct: float | None = None  # covered ÷ universe × 100, one decimal
    claims_filed: int = 0
    claims_open: int = 0
    benefits_paid: int = 0


@dataclass
class Overview:
    level: str  # national | province | regency
    code: str | None
    name: str
    on: str
    chain: list[dict[str, str]]  # the regions above, for the breadcrumb
    rows: list[RegionRow]
    total: RegionRow
    universe_source: str | None
    target: dict[str, Any] | None = None  # national only
    notes: list[str] = field(default_factory=list)
    trend: list[TrendPoint] = field(default_factory=list)  # the last twelve months, oldest first
    funding: FundingPanel | None = None  # for those who may read sponsors, on current days
    updating: bool = False  # the figures are being recounted after many changes: a minute old

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


def _row(
    code: str, name: str, counts: RegionCoverage, claims: RegionClaims, universe: Universe | None
) -> RegionRow:
    row = RegionRow(
        code=code,
        name=name,
        members=counts.members,
        covered=counts.covered,
        active=counts.active,
        arrears=counts.arrears,
        lapsed=counts.lapsed,
        not_started=counts.not_started,
        sponsored=counts.sponsored,
        self_paying=counts.covered - counts.sponsored,
        claims_filed=claims.filed,
        claims_open=claims.open,
        benefits_paid=claims.paid,
    )
    if universe is not None and len(code) <= 4:
        row.universe = universe.total(code)
        row.vulnerable = universe.total(code, vulnerable=True)
        if row.universe:
            row.coverage_pct = round(100 * row.covered / row.universe, 1)
    return row


def _scope(principal: Principal, region: str | None) -> str:
    """The region asked for, or the principal's own; another region is answered like one that
    does not exist."""
    if region is None or region == "":
        if principal.national:
            return ""
        if principal.region_code is None:
            raise NotFound("no region to show: this account has no region")
        return principal.region_code[:4]
    plain = codes.undotted(region)
    if not principal.national and not in_scope(principal, plain):
        raise NotFound(f"region {codes.dotted(plain)} not found")
    if len(plain) not in CHILD_LENGTH:
        raise NotFound(f"region {codes.dotted(plain)} has no monitoring view below it")
    return plain


def overview(
    *,
    principal: Principal,
    region: str | None = None,
    on: date | None = None,
    url: str | None = None,
    details: bool = True,
) -> Overview:
    """The figures of the regions one level below `region` (the principal's own, or the nation)
    on a day; `details` adds the trend and the sponsor panel (the map and reports need only the
    regions)."""
    require(principal, "monitoring.read")
    day = on or date.today()
    prefix = _scope(principal, region)
    length = CHILD_LENGTH[len(prefix)]
    if prefix:
        here = lookup.get_region(prefix, url)
        name, chain = here.region.name, [{"code": r.code, "name": r.name} for r in here.chain]
        children = lookup.children(prefix, url)
    else:
        name, chain, children = "Indonesia", [], lookup.provinces(url)
    universe = latest_universe(url)
    # Nation and provinces read the roll-up (thousands of rows, not millions of members); a
    # regency's districts and past days are counted from the members of that region.
    current = rollup.serves(day)
    lagging = current and _bring_up_to_date(url, day)
    built = lagging is not None
    if lagging is None:
        lagging = False  # never built: count the members this once
    rolled = current and built and length <= 4
    with db.reading(url) as conn:
        if rolled:
            counts = rollup.counts_by_region_in(conn, prefix, length, day)
        else:
            counts = counts_by_region_in(conn, prefix, length, day)
        claims = totals_by_region_in(conn, prefix, length)
        everything = RegionCoverage()
        for found in counts.values():
            everything.add(found)
        points = trend_in(conn, prefix, day, everything) if details else []
        funding = (
            funding_panel_in(conn, principal, prefix, day)
            if details and current and built and principal.may("sponsor.read")
            else None
        )
    rows = [
        _row(
            c.code, c.name, counts.get(c.code, RegionCoverage()), claims.get(c.code, RegionClaims()), universe
        )
        for c in children
    ]
    paid = RegionClaims(
        sum(c.filed for c in claims.values()),
        sum(c.open for c in claims.values()),
        sum(c.paid for c in claims.values()),
    )
    total = _row(prefix, name, everything, paid, universe if len(prefix) <= 4 else None)
    if not prefix and universe is not None:
        total.universe = sum(universe.informal.values())
        total.vulnerable = sum(universe.vulnerable.values())
        total.coverage_pct = round(100 * total.covered / total.universe, 1) if total.universe else None
    out = Overview(
        level=LEVEL_OF_LENGTH[len(prefix)],
        code=prefix or None,
        name=name,
        on=day.isoformat(),
        chain=chain,
        rows=rows,
        total=total,
        universe_source=None if universe is None else universe.source,
        trend=points,
        funding=funding,
    )
    if universe is None:
        out.notes.append("no registry snapshot is imported: coverage has no universe to be measured against")
    if lagging or (current and not built):
        # Lagging: the figures are a few minutes old. Never built: they are counted from the
        # members this once, without the sponsor panel, until the first build is done.
        out.updating = True
    if not prefix:
        out.target = _target(day, total.covered)
    return out


def _bring_up_to_date(url: str | None, day: date) -> bool | None:
    """Refresh the roll-up before reading it when that is quick; otherwise start a refresh in
    the background and say the figures lag (True). None: it was never built for any month."""
    now = rollup.state(url)
    if now.month == Month.of(day).first_day and now.quick():
        rollup.refresh(url)
        return False
    rollup.refresh_in_background(url)
    return None if now.month is None else True


def _target(day: date, covered: int) -> dict[str, Any]:
    parameter = default_rulebook()["monitoring.vulnerable_target"]
    entry = parameter.find(day)
    value = int(parameter.value(day, Usage(allow_unconfirmed=False)))
    return {
        "value": value,
        "covered": covered,
        "progress_pct": round(100 * covered / value, 2) if value else None,
        "reference": "" if entry is None else entry.cite(),
    }
