"""The dashboard's table views, each exportable as CSV or XLSX: the regions below the one shown,
the month-by-month trend, the sponsors paying there and the coming ends of their funding."""

from __future__ import annotations

from dataclasses import asdict

from jaring.monitoring.service import Overview
from jaring.web import text
from jaring.web.tables import Column, Table

text.add({
    "trend": ("Tren 12 bulan", "Twelve-month trend"),
    "region_code": ("Kode wilayah", "Region code"),
    "trend_coverage": ("Peserta terlindungi per akhir bulan", "Members protected at each month's end"),
    "trend_claims": ("Klaim diajukan dan manfaat dibayar per bulan",
                     "Claims filed and benefits paid each month"),
    "month": ("Bulan", "Month"),
    "month_open": ("bulan berjalan", "this month so far"),
    "no_history": ("Bulan tanpa angka tercatat tampil kosong: angka ditutup saat bulan berganti.",
                   "Months with no recorded figures are left empty: figures are closed as each month turns."),
    "funding": ("Pemberi dana dan anggaran", "Sponsors and budgets"),
    "fiscal_year": ("Tahun anggaran", "Fiscal year"),
    "allocated": ("Pagu", "Allocated"),
    "billed": ("Ditagih", "Billed"),
    "paid": ("Dibayar", "Paid"),
    "paid_pct": ("Realisasi (% pagu)", "Paid (% of allocation)"),
    "funded": ("Dibiayai bulan ini", "Funded this month"),
    "sponsor": ("Pemberi dana", "Sponsor"),
    "next_end": ("Pendanaan berakhir", "Funding ends"),
    "ending": ("Kehilangan pendanaan", "Losing their funding"),
    "undecided": ("Belum diputuskan", "Without a decision"),
    "cliffs": ("Tebing pendanaan dalam {days} hari", "Funding cliffs within {days} days"),
    "cliff_month": ("Bulan pertama tanpa dana", "First unfunded month"),
    "no_cliffs": ("Tidak ada pendanaan yang berakhir dalam jendela ini.",
                  "No funding ends within this window."),
    "all_sponsors": ("Semua pemberi dana", "All sponsors"),
    "sponsors_shown": ("{shown} dari {total} pemberi dana, tebing terdekat lebih dulu",
                       "{shown} of {total} sponsors, nearest cliff first"),
    "budget_whole": ("Pagu, tagihan dan pembayaran untuk pemberi dana secara keseluruhan.",
                     "Allocation, billing and payments are the sponsor's as a whole."),
})  # fmt: skip

SPONSORS_SHOWN = 10

# Who pays, status and claims: the same columns for a region and for a month.
FIGURE_COLUMNS = (
    Column("sponsored", "sponsored", "int"),
    Column("self_paying", "self_paying", "int"),
    Column("arrears", "at_risk", "int"),
    Column("lapsed", "lapsed", "int"),
    Column("claims_filed", "claims_filed", "int"),
    Column("benefits_paid", "benefits_paid", "rupiah"),
)
REGION_COLUMNS = (
    Column("code", "region_code"),
    Column("name", "region"),
    Column("members", "members", "int"),
    Column("covered", "covered", "int"),
    Column("universe", "universe", "int"),
    Column("coverage_pct", "coverage", "pct"),
    *FIGURE_COLUMNS,
)
TREND_COLUMNS = (Column("month", "month"), Column("covered", "covered", "int"), *FIGURE_COLUMNS)
SPONSOR_COLUMNS = (
    Column("name", "sponsor", link="/sponsors/{code}"),
    Column("funded", "funded", "int"),
    Column("allocated", "allocated", "rupiah"),
    Column("billed", "billed", "rupiah"),
    Column("paid", "paid", "rupiah"),
    Column("paid_pct", "paid_pct", "pct"),
    Column("next_end", "next_end"),
    Column("ending", "ending", "int"),
    Column("undecided", "undecided", "int"),
)
CLIFF_COLUMNS = (
    Column("month", "cliff_month"),
    Column("members", "ending", "int"),
    Column("undecided", "undecided", "int"),
)


def dashboard_tables(view: Overview, *, everything: bool = False) -> dict[str, Table]:
    """The page's tables by id. The sponsors table shows the nearest cliffs first and at most
    SPONSORS_SHOWN rows on the page; its export (`everything`) holds them all."""
    stem = f"dasbor-{view.code or 'nasional'}"
    tables = {
        "regions": Table(f"{stem}-wilayah", REGION_COLUMNS, [asdict(r) for r in view.rows], id="regions"),
        "trend": Table(f"{stem}-tren", TREND_COLUMNS, [asdict(p) for p in view.trend], id="trend-table"),
    }
    if view.funding is not None:
        shown = view.funding.sponsors if everything else view.funding.sponsors[:SPONSORS_SHOWN]
        tables["sponsors"] = Table(
            f"{stem}-pemberi-dana", SPONSOR_COLUMNS, [asdict(s) for s in shown], id="sponsor-funding"
        )
        tables["cliffs"] = Table(
            f"{stem}-tebing", CLIFF_COLUMNS, [asdict(c) for c in view.funding.cliffs], id="cliffs"
        )
    return tables
