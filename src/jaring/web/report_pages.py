"""Monitoring reports: the Inpres 2/2021 implementation report of a region and the
Paritrana-style scorecard of its child regions (figures and scoring in monitoring/reports.py;
scope as on the dashboard: another region answers 404 like one that does not exist)."""

from __future__ import annotations

from datetime import date
from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Request
from fastapi.responses import Response

from jaring.api.deps import store_url
from jaring.kit.auth import Principal
from jaring.kit.errors import BadInput
from jaring.monitoring import reports
from jaring.monitoring.reports import INDICATORS, InpresReport, Scored, Weights
from jaring.web import text
from jaring.web.render import day_param, guarded, lang_of, render
from jaring.web.tables import Column, Kind, Table, requested_export

router = APIRouter(include_in_schema=False)

text.add({
    "rep_title": ("Laporan pemantauan", "Monitoring reports"),
    "rep_inpres": ("Laporan pelaksanaan Inpres 2/2021", "Inpres 2/2021 implementation report"),
    "rep_inpres_about": (
        "Regulasi, anggaran, cakupan dan inovasi daerah dalam perlindungan jaminan sosial ketenagakerjaan "
        "pekerja rentan, per wilayah di bawahnya.",
        "Regulation, budget, coverage and innovation of the region in protecting vulnerable workers, "
        "per region below it.",
    ),
    "rep_paritrana": ("Kartu skor gaya Paritrana", "Paritrana-style scorecard"),
    "rep_paritrana_about": (
        "Peringkat wilayah di bawahnya: tiap indikator dinormalkan 0-100 terhadap wilayah terbaik, lalu "
        "dirata-rata dengan bobot.",
        "The regions below ranked: each indicator scaled 0-100 against the best region, then averaged "
        "with the weights.",
    ),
    "rep_year": ("Tahun", "Year"),
    "rep_show": ("Tampilkan", "Show"),
    "rep_regulation": ("Regulasi", "Regulation"),
    "rep_budget": ("Anggaran", "Budget"),
    "rep_innovation": ("Inovasi", "Innovation"),
    "rep_sponsors": ("Pemberi dana", "Sponsors"),
    "rep_budgeted": ("Pemberi dana dengan anggaran tahun ini", "Sponsors with a budget this year"),
    "rep_legal_basis": ("Anggaran dengan dasar hukum (dokumen)", "Budgets citing a legal basis (document)"),
    "rep_allocated": ("Dialokasikan", "Allocated"),
    "rep_committed": ("Terikat", "Committed"),
    "rep_billed": ("Ditagih", "Billed"),
    "rep_paid": ("Dibayar", "Paid"),
    "rep_sponsor_kinds": ("Jenis pemberi dana", "Kinds of sponsor"),
    "rep_village_sponsors": ("Desa yang mendanai", "Villages funding"),
    "rep_village_funds": ("Dana desa dialokasikan", "Village funds allocated"),
    "rep_collection": ("Tagihan pemberi dana terbayar", "Sponsors' bills paid"),
    "rep_total": ("Seluruh wilayah", "Whole region"),
    "rep_no_budgets": ("Anggaran tidak ditampilkan: peran Anda tidak dapat membaca anggaran pemberi dana.",
                       "Budgets are not shown: your role may not read sponsors' budgets."),
    "rep_rank": ("Peringkat", "Rank"),
    "rep_score": ("Skor", "Score"),
    "rep_weights": ("Bobot yang dipakai", "Weights used"),
    "rep_weight": ("Bobot", "Weight"),
    "rep_share": ("Porsi", "Share"),
    "rep_indicator": ("Indikator", "Indicator"),
    "rep_area": ("Bidang Paritrana", "Paritrana area"),
    "rep_weights_default": ("Bobot bawaan Jaring", "Jaring's default weights"),
    "rep_weights_custom": ("Bobot pilihan Anda", "Your weights"),
    "rep_weights_note": (
        "Bobot resmi Paritrana Award tidak dipublikasikan; bobot ini adalah bawaan Jaring dan dapat diubah.",
        "The Paritrana Award's official weights are not public; these are Jaring's defaults, "
        "and can be changed.",
    ),
    "rep_apply": ("Hitung ulang", "Recompute"),
    "rep_reset": ("Bobot bawaan", "Default weights"),
    "rep_on": ("Cakupan per", "Coverage as of"),
    "ind_regulation": ("Regulasi: anggaran berdasar hukum", "Regulation: budgets citing a legal basis"),
    "ind_budget": ("Anggaran per pekerja rentan (Rp)", "Budget per vulnerable worker (Rp)"),
    "ind_coverage": ("Cakupan BPU (%)", "BPU coverage (%)"),
    "ind_vulnerable_reach": ("Pekerja rentan didanai (%)", "Vulnerable workers sponsored (%)"),
    "ind_collection": ("Tagihan pemberi dana terbayar (%)", "Sponsors' bills paid (%)"),
    "ind_sponsor_kinds": ("Jenis pemberi dana", "Kinds of sponsor"),
    "area_regulation": ("Regulasi", "Regulation"),
    "area_budget": ("Anggaran", "Budget"),
    "area_coverage": ("Cakupan", "Coverage"),
    "area_innovation": ("Inovasi", "Innovation"),
})  # fmt: skip
text.add({
    "sc_regulation": ("Skor regulasi", "Regulation score"),
    "sc_budget": ("Skor anggaran", "Budget score"),
    "sc_coverage": ("Skor cakupan", "Coverage score"),
    "sc_vulnerable_reach": ("Skor rentan didanai", "Vulnerable sponsored score"),
    "sc_collection": ("Skor tagihan terbayar", "Bills paid score"),
    "sc_sponsor_kinds": ("Skor jenis pemberi dana", "Sponsor kinds score"),
})  # fmt: skip


def year_of(request: Request) -> int:
    raw = request.query_params.get("year") or str(date.today().year)
    if not raw.strip().isdigit():
        raise BadInput(f"the year must be a number such as {date.today().year}", field="year")
    return int(raw)


def region_of(request: Request) -> str | None:
    return request.query_params.get("region") or None


def _exported(request: Request, table: Table) -> Response | None:
    return requested_export(request, {table.id: table}, table.id)


@router.get("/reports", response_model=None)
def reports_index(request: Request) -> Response:
    def build(principal: Principal) -> Response:
        return render(
            request,
            "reports_index.html",
            principal=principal,
            region=region_of(request) or "",
            year=request.query_params.get("year") or date.today().year,
        )

    return guarded(request, "monitoring.read", build)


# --------------------------------------------------------------------------- Inpres 2/2021

BUDGET_KEYS = ("allocated", "committed", "billed", "paid", "village_funds", "collection_pct")


def inpres_columns(report: InpresReport) -> list[Column]:
    link = None if report.level == "regency" else "/reports/inpres?region={code}&year={year}"
    columns = [
        Column("code", "reg_code"),
        Column("name", "region", link=link),
        Column("sponsors", "rep_sponsors", "int"),
        Column("budgeted", "rep_budgeted", "int"),
        Column("legal_basis", "rep_legal_basis", "int"),
        Column("allocated", "rep_allocated", "rupiah"),
        Column("committed", "rep_committed", "rupiah"),
        Column("billed", "rep_billed", "rupiah"),
        Column("paid", "rep_paid", "rupiah"),
        Column("members", "members", "int"),
        Column("covered", "covered", "int"),
        Column("universe", "universe", "int"),
        Column("vulnerable", "vulnerable", "int"),
        Column("coverage_pct", "coverage", "pct"),
        Column("sponsored", "sponsored", "int"),
        Column("self_paying", "self_paying", "int"),
        Column("sponsor_kinds", "rep_sponsor_kinds", "int"),
        Column("village_sponsors", "rep_village_sponsors", "int"),
        Column("village_funds", "rep_village_funds", "rupiah"),
        Column("collection_pct", "rep_collection", "pct"),
        Column("claims_filed", "claims_filed", "int"),
        Column("benefits_paid", "benefits_paid", "rupiah"),
    ]
    if not report.budgets_visible:
        columns = [c for c in columns if c.key not in (*BUDGET_KEYS, "budgeted", "legal_basis")]
    return columns


def inpres_table(report: InpresReport) -> Table:
    rows = [{**row.as_dict(), "year": report.year} for row in report.rows]
    name = f"inpres-{report.code or 'nasional'}-{report.year}"
    return Table(name, inpres_columns(report), rows, id="inpres")


def _report(request: Request, principal: Principal) -> InpresReport:
    return reports.inpres_report(
        principal=principal,
        region=region_of(request),
        year=year_of(request),
        on=day_param(request),
        url=store_url(request),
    )


@router.get("/reports/inpres", response_model=None)
def inpres_page(request: Request) -> Response:
    def build(principal: Principal) -> Response:
        try:
            report = _report(request, principal)
        except BadInput as refused:
            return render(
                request, "reports_inpres.html", status=422, principal=principal, report=None,
                problem=str(refused), year=request.query_params.get("year", ""),
            )  # fmt: skip
        table = inpres_table(report)
        return _exported(request, table) or render(
            request, "reports_inpres.html", principal=principal, report=report, table=table, year=report.year
        )

    return guarded(request, "monitoring.read", build)


# --------------------------------------------------------------------------- Paritrana


class ScoreTable(Table):
    """Scores and measured values with one decimal (the standard kinds round to whole
    numbers or add a percent sign); files keep the raw numbers."""

    def cell(self, column: Column, row: dict[str, Any], lang: str) -> str:
        value = row.get(column.key)
        if column.kind == "text" and isinstance(value, float):
            return text.number(value, lang, 1)
        return super().cell(column, row, lang)


INDICATOR_KINDS: dict[str, Kind] = {
    "regulation": "int",
    "budget": "rupiah",
    "coverage": "pct",
    "vulnerable_reach": "pct",
    "collection": "pct",
    "sponsor_kinds": "int",
}


def score_columns(level: str) -> list[Column]:
    link = None if level == "regency" else "/reports/paritrana?region={code}&year={year}{weights}"
    columns = [
        Column("rank", "rep_rank", "int"),
        Column("code", "reg_code"),
        Column("name", "region", link=link),
        Column("score", "rep_score"),
    ]
    for key in INDICATORS:
        columns.append(Column(key, f"ind_{key}", INDICATOR_KINDS[key]))
        columns.append(Column(f"{key}_score", f"sc_{key}"))
    return columns


def score_table(report: InpresReport, ranked: list[Scored], weights: Weights) -> ScoreTable:
    # A drill-down keeps the reader's weights.
    kept = (
        ""
        if not weights.overridden
        else "&" + urlencode({f"{reports.WEIGHT_PREFIX}{k}": f"{v:g}" for k, v in weights.values.items()})
    )
    rows = [{**item.as_dict(), "year": report.year, "weights": kept} for item in ranked]
    name = f"paritrana-{report.code or 'nasional'}-{report.year}"
    return ScoreTable(name, score_columns(report.level), rows, id="paritrana")


def weight_rows(weights: Weights, lang: str) -> list[dict[str, Any]]:
    """The weights used, each with its indicator, Paritrana area and share of the total."""
    total = sum(weights.values.values())
    return [
        {
            "key": key,
            "indicator": text.t(f"ind_{key}", lang),
            "area": text.t(f"area_{INDICATORS[key]}", lang),
            "weight": weights.values[key],
            "share": round(100 * weights.values[key] / total, 1),
        }
        for key in INDICATORS
    ]


def typed_weights(request: Request, defaults: Weights) -> dict[str, str]:
    """The weights as the form shows them: what the reader typed, else the default."""
    return {
        key: request.query_params.get(f"{reports.WEIGHT_PREFIX}{key}") or f"{defaults.values[key]:g}"
        for key in INDICATORS
    }


@router.get("/reports/paritrana", response_model=None)
def paritrana_page(request: Request) -> Response:
    def build(principal: Principal) -> Response:
        defaults = reports.default_weights(date.today())
        context: dict[str, Any] = {
            "principal": principal,
            "defaults": defaults,
            "typed": typed_weights(request, defaults),
            "region": region_of(request) or "",
            "year": request.query_params.get("year", ""),
        }
        try:
            weights = reports.weights_from(dict(request.query_params), defaults)
            report = _report(request, principal)
        except BadInput as refused:
            return render(request, "reports_paritrana.html", status=422, problem=str(refused), **context)
        table = score_table(report, reports.scorecard(report.rows, weights.values), weights)
        return _exported(request, table) or render(
            request,
            "reports_paritrana.html",
            **{**context, "year": report.year},
            report=report,
            table=table,
            weights=weights,
            weight_rows=weight_rows(weights, lang_of(request)),
        )

    return guarded(request, "monitoring.read", build)
