"""Monitoring reports over the coverage overview: the Inpres 2/2021 implementation report of a
region (regulation, budget, coverage, innovation, per child region) and a Paritrana-style
scorecard that ranks the child regions.

Inpres 2/2021 asks regions to issue supporting regulations, allocate APBD budget and cover
their vulnerable workers (jamsostek-rules.md §9.1); the Paritrana Award assesses regional
governments on regulation, budget, coverage and innovation, with weights that are not public
(§9.3). Jaring's scorecard therefore takes its weights from a rule parameter
(`monitoring.paritrana_weights`, Jaring's defaults) and lets the reader override them.

Everything a report shows is computed here from figures the services give (the coverage
overview, the sponsors a principal may see and their budget ledgers); the scoring itself is
pure, so it is tested on figures alone.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from jaring.kit.auth import Principal, require
from jaring.kit.errors import BadInput
from jaring.monitoring import service as monitoring
from jaring.monitoring.service import RegionRow
from jaring.rules.engine import Usage, default_rulebook
from jaring.sponsors import service as sponsors
from jaring.sponsors.ledger import budget_ledgers

WEIGHTS_PARAMETER = "monitoring.paritrana_weights"
# The scorecard's indicators, each with the Paritrana area it stands for.
INDICATORS: dict[str, str] = {
    "regulation": "regulation",  # sponsors whose budget line cites its legal basis
    "budget": "budget",  # Rupiah allocated per vulnerable worker in the universe
    "coverage": "coverage",  # BPU members protected ÷ BPU universe, %
    "vulnerable_reach": "coverage",  # sponsored members ÷ vulnerable universe, %
    "collection": "budget",  # sponsors' bills paid ÷ billed for the year, % (budget realised)
    "sponsor_kinds": "innovation",  # kinds of sponsor (province, village, CSR…) funding
}
WEIGHT_PREFIX = "w_"
MAX_WEIGHT = 1_000_000


# --------------------------------------------------------------------------- Inpres report


@dataclass(frozen=True)
class SponsorYear:
    """One sponsor's year as the budget ledger tells it."""

    code: str
    kind: str
    region_code: str
    allocated: int | None  # the budget line in force for the year (None: none recorded)
    document: str  # that line's document reference (DPA, Perkada…), "" when none
    committed: int = 0
    billed: int = 0
    paid: int = 0


@dataclass
class InpresRow:
    code: str
    name: str
    # Regulation: sponsors of the region, those with a budget for the year, and of those the
    # ones whose budget line names its legal basis.
    sponsors: int = 0
    budgeted: int = 0
    legal_basis: int = 0
    # Budget (whole Rupiah, the year).
    allocated: int = 0
    committed: int = 0
    billed: int = 0
    paid: int = 0
    # Coverage, exactly as the coverage overview counts it.
    members: int = 0
    covered: int = 0
    universe: int | None = None
    vulnerable: int | None = None
    coverage_pct: float | None = None
    sponsored: int = 0
    self_paying: int = 0
    # Innovation.
    sponsor_kinds: int = 0
    village_sponsors: int = 0
    village_funds: int = 0
    collection_pct: float | None = None
    claims_filed: int = 0
    benefits_paid: int = 0

    def as_dict(self) -> dict[str, Any]:
        return dict(vars(self))


def _pct(part: int, whole: int | None) -> float | None:
    return round(100 * part / whole, 1) if whole else None


def under(code: str, found: Iterable[SponsorYear]) -> list[SponsorYear]:
    """The sponsors whose own region lies in `code` ("" is the whole country)."""
    return [s for s in found if s.region_code.startswith(code)]


def inpres_row(region: RegionRow, found: Sequence[SponsorYear]) -> InpresRow:
    """A region's report line from its coverage row and the sponsors of the region."""
    budgeted = [s for s in found if s.allocated is not None]
    row = InpresRow(
        code=region.code,
        name=region.name,
        sponsors=len(found),
        budgeted=len(budgeted),
        legal_basis=sum(1 for s in budgeted if s.document.strip()),
        allocated=sum(s.allocated or 0 for s in budgeted),
        committed=sum(s.committed for s in found),
        billed=sum(s.billed for s in found),
        paid=sum(s.paid for s in found),
        members=region.members,
        covered=region.covered,
        universe=region.universe,
        vulnerable=region.vulnerable,
        coverage_pct=region.coverage_pct,
        sponsored=region.sponsored,
        self_paying=region.self_paying,
        sponsor_kinds=len({s.kind for s in budgeted}),
        village_sponsors=sum(1 for s in budgeted if s.kind == "village"),
        village_funds=sum(s.allocated or 0 for s in budgeted if s.kind == "village"),
        claims_filed=region.claims_filed,
        benefits_paid=region.benefits_paid,
    )
    row.collection_pct = _pct(row.paid, row.billed)
    return row


@dataclass
class InpresReport:
    level: str
    code: str | None
    name: str
    year: int
    on: date
    chain: list[dict[str, str]]
    rows: list[InpresRow]
    total: InpresRow
    universe_source: str | None
    budgets_visible: bool
    notes: list[str] = field(default_factory=list)


def report_day(year: int, today: date | None = None) -> date:
    """The day a year's report counts coverage on: its last day, or today for the current
    year. A year still to come has nothing to report."""
    today = today or date.today()
    if not 2000 <= year <= today.year:
        raise BadInput(f"the year must be between 2000 and {today.year}, got {year}", field="year")
    return min(today, date(year, 12, 31))


def sponsor_years(principal: Principal, year: int, url: str | None) -> tuple[list[SponsorYear], bool]:
    """The sponsors the principal may see with their year's ledger; budgets only for a role
    that may read them (the second value says whether it could)."""
    if not principal.may("sponsor.read"):
        visible = sponsors.list_sponsors(principal=principal, url=url)
        return [SponsorYear(s.code, s.kind, s.region_code, None, "") for s in visible], False
    out = []
    for sponsor, ledger in budget_ledgers(principal=principal, fiscal_year=year, url=url):
        out.append(
            SponsorYear(
                code=sponsor.code,
                kind=sponsor.kind,
                region_code=sponsor.region_code,
                allocated=ledger.allocated,
                document=ledger.budget_document,
                committed=ledger.committed,
                billed=ledger.billed,
                paid=ledger.paid,
            )
        )
    return out, True


def inpres_report(
    *,
    principal: Principal,
    region: str | None,
    year: int,
    on: date | None = None,
    url: str | None = None,
) -> InpresReport:
    """The Inpres 2/2021 implementation report of a region for a year, one line per child
    region (scope as in the coverage overview: another region is not found)."""
    require(principal, "monitoring.read")
    day = on or report_day(year)
    view = monitoring.overview(principal=principal, region=region, on=day, url=url, details=False)
    found, visible = sponsor_years(principal, year, url)
    rows = [inpres_row(child, under(child.code, found)) for child in view.rows]
    total = inpres_row(view.total, under(view.code or "", found))
    notes = list(view.notes)
    if not visible:
        notes.append("budgets are not shown: your role may not read sponsors' budgets")
    above = [s for s in found if view.code and not s.region_code.startswith(view.code)]
    if above:
        notes.append(
            f"{len(above)} sponsor(s) of a wider region may also fund members here; "
            "they are reported in their own region"
        )
    return InpresReport(
        level=view.level,
        code=view.code,
        name=view.name,
        year=year,
        on=day,
        chain=view.chain,
        rows=rows,
        total=total,
        universe_source=view.universe_source,
        budgets_visible=visible,
        notes=notes,
    )


# --------------------------------------------------------------------------- scorecard


def indicator_values(row: InpresRow) -> dict[str, float | None]:
    """Each scorecard indicator's raw value for a region (None: cannot be measured, e.g. no
    registry universe for the region)."""
    return {
        "regulation": float(row.legal_basis),
        "budget": round(row.allocated / row.vulnerable, 1) if row.vulnerable else None,
        "coverage": row.coverage_pct,
        "vulnerable_reach": _pct(row.sponsored, row.vulnerable),
        "collection": row.collection_pct,
        "sponsor_kinds": float(row.sponsor_kinds),
    }


def normalise(values: Sequence[float | None]) -> list[float]:
    """0-100 against the best region: value ÷ the highest value × 100. A region that cannot
    be measured scores 0, and when nobody scores above 0 everyone scores 0 (nothing to rank
    on). Distance to the best keeps zero at zero, so a region doing nothing never looks
    middling, unlike a min-max scale."""
    best = max((v for v in values if v is not None), default=0.0)
    if best <= 0:
        return [0.0 for _ in values]
    return [0.0 if v is None or v <= 0 else round(100 * v / best, 1) for v in values]


@dataclass(frozen=True)
class Scored:
    code: str
    name: str
    rank: int
    score: float  # the weighted mean of the indicators' scores, 0-100
    values: dict[str, float | None]
    scores: dict[str, float]

    def as_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"code": self.code, "name": self.name, "rank": self.rank, "score": self.score}
        for key in INDICATORS:
            out[key] = self.values[key]
            out[f"{key}_score"] = self.scores[key]
        return out


def scorecard(rows: Sequence[InpresRow], weights: Mapping[str, float]) -> list[Scored]:
    """Rank regions by the weighted mean of their normalised indicators. Regions with the
    same score share a rank (1, 1, 3), listed by code."""
    check_weights(weights)
    total_weight = sum(weights.values())
    values = [indicator_values(row) for row in rows]
    scores: list[dict[str, float]] = [{} for _ in rows]
    for key in INDICATORS:
        for i, score in enumerate(normalise([v[key] for v in values])):
            scores[i][key] = score
    totals = [round(sum(weights[k] * s[k] for k in INDICATORS) / total_weight, 1) for s in scores]
    order = sorted(range(len(rows)), key=lambda i: (-totals[i], rows[i].code))
    ranked: list[Scored] = []
    for place, i in enumerate(order, start=1):
        rank = ranked[-1].rank if ranked and ranked[-1].score == totals[i] else place
        ranked.append(Scored(rows[i].code, rows[i].name, rank, totals[i], values[i], scores[i]))
    return ranked


@dataclass(frozen=True)
class Weights:
    values: dict[str, float]
    overridden: bool  # the reader gave some in the query
    reference: str  # the default weights' legal reference
    note: str  # why they are Jaring's own


def default_weights(on: date) -> Weights:
    """Jaring's default weights from the rule parameter in force on `on` (unconfirmed by
    design: the official ones are not public, which the page says)."""
    parameter = default_rulebook()[WEIGHTS_PARAMETER]
    entry = parameter.entry(on)
    records = parameter.value(on, Usage(allow_unconfirmed=True))
    values = {str(r["indicator"]): float(r["weight"]) for r in records}
    if set(values) != set(INDICATORS):
        raise RuntimeError(f"{WEIGHTS_PARAMETER} must weigh exactly {', '.join(INDICATORS)}")
    check_weights(values)
    return Weights(values, False, entry.cite(), entry.note or "")


def check_weights(weights: Mapping[str, float]) -> None:
    missing = set(INDICATORS) - set(weights)
    if missing:
        raise BadInput(f"no weight for {', '.join(sorted(missing))}", field="weights")
    bad = [k for k, w in weights.items() if not math.isfinite(w) or w < 0 or w > MAX_WEIGHT]
    if bad:
        raise BadInput(
            f"weights are numbers from 0 to {MAX_WEIGHT:,}; not so for {', '.join(sorted(bad))}",
            field="weights",
        )
    if not any(w > 0 for w in weights.values()):
        raise BadInput("at least one weight must be above 0", field="weights")


def parse_weight(raw: str) -> float | None:
    """A weight as typed ("25", "2.5" or "2,5"), None when it is not a number."""
    text = raw.strip().replace(",", ".")
    try:
        return float(text)
    except ValueError:
        return None


def weights_from(query: Mapping[str, str], defaults: Weights) -> Weights:
    """The defaults with the reader's `w_<indicator>` values over them; each must be a
    number ≥ 0 and at least one above 0, else BadInput naming the indicators at fault."""
    given = {k[len(WEIGHT_PREFIX) :]: v for k, v in query.items() if k.startswith(WEIGHT_PREFIX)}
    unknown = sorted(set(given) - set(INDICATORS))
    if unknown:
        raise BadInput(f"no indicator called {', '.join(unknown)}", field="weights")
    given = {k: v for k, v in given.items() if v.strip() != ""}
    if not given:
        return defaults
    values = dict(defaults.values)
    not_numbers = []
    for key, raw in given.items():
        number = parse_weight(raw)
        if number is None:
            not_numbers.append(key)
        else:
            values[key] = number
    if not_numbers:
        raise BadInput(f"a weight is a number; not so for {', '.join(sorted(not_numbers))}", field="weights")
    check_weights(values)
    return Weights(values, values != defaults.values, defaults.reference, defaults.note)
