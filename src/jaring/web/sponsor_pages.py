"""Sponsor pages: the sponsors one may see, a sponsor's budgets, ledger, cliffs, target and
targeting runs, the budget simulator with scenarios side by side, enrolment of a scenario's
funded list, and the monthly sponsor invoice as a PDF.

Every figure comes from the same service functions the JSON API calls, with the signed-in
principal, so region scope and permissions hold exactly as in the API."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response

from jaring.api.deps import store_url
from jaring.contributions import billing
from jaring.kit.auth import Principal
from jaring.kit.errors import BadInput, JaringError, NotFound
from jaring.kit.periods import Month, PeriodError
from jaring.membership.bulk import BulkReport
from jaring.reference import lookup
from jaring.sponsors import budgets, cliffs, ledger, service, targets
from jaring.sponsors.budgets import Budget
from jaring.sponsors.cliffs import CliffReport
from jaring.sponsors.ledger import BudgetLedger
from jaring.sponsors.service import Sponsor
from jaring.sponsors.targets import Target
from jaring.targeting import budget as simulation
from jaring.targeting import service as targeting
from jaring.targeting.rules import parse_package
from jaring.targeting.service import get_run
from jaring.web import text
from jaring.web.invoice_pdf import invoice_pdf
from jaring.web.render import error_page, guarded, lang_of, refusal_status, render
from jaring.web.tables import Column, Table, requested_export, table_links

router = APIRouter(include_in_schema=False)

MAX_SIDE = 8  # scenarios compared at once: more columns stop being readable
RECENT_RUNS = 10
PACKAGES = {"": None, "jkk,jkm": ("jkk", "jkm"), "jkk,jkm,jht": ("jkk", "jkm", "jht")}
BREAKDOWN_LABELS = {"region": "sp_by_region", "sex": "sp_by_sex", "desil": "sp_by_desil"}

text.add(
    {
        "sp_sponsors": ("Pemberi dana", "Sponsors"),
        "sp_name": ("Nama", "Name"),
        "sp_code": ("Kode", "Code"),
        "sp_kind": ("Jenis", "Kind"),
        "sp_funding": ("Sumber dana", "Funding source"),
        "sp_year": ("Tahun anggaran", "Fiscal year"),
        "sp_allocated": ("Pagu", "Allocated"),
        "sp_committed": ("Komitmen", "Committed"),
        "sp_billed": ("Ditagihkan", "Billed"),
        "sp_paid": ("Dibayar", "Paid"),
        "sp_members_funded": ("Peserta dibiayai", "Members funded"),
        "sp_kind_province": ("Provinsi", "Province"),
        "sp_kind_regency": ("Kabupaten/kota", "Regency/city"),
        "sp_kind_village": ("Desa (Dana Desa/ADD)", "Village (village funds)"),
        "sp_kind_dbh_cht": ("DBH CHT", "Tobacco-excise fund (DBH CHT)"),
        "sp_kind_csr": ("CSR perusahaan", "Company CSR"),
        "sp_kind_other": ("Lainnya", "Other"),
        "sp_show": ("Tampilkan", "Show"),
        "sp_budgets": ("Anggaran per tahun", "Budgets by fiscal year"),
        "sp_stage": ("Tahap", "Stage"),
        "sp_stage_apbd": ("APBD", "APBD"),
        "sp_stage_apbd_p": ("APBD-P (perubahan)", "APBD-P (revision)"),
        "sp_stage_other": ("Lainnya", "Other"),
        "sp_amount": ("Jumlah", "Amount"),
        "sp_from": ("Dari bulan", "From month"),
        "sp_to": ("Sampai bulan", "To month"),
        "sp_months": ("Bulan", "Months"),
        "sp_document": ("Dokumen", "Document"),
        "sp_ledger": ("Buku anggaran", "Budget ledger"),
        "sp_month": ("Bulan", "Month"),
        "sp_members": ("Peserta", "Members"),
        "sp_burn": ("Laju realisasi per bulan", "Burn rate per month"),
        "sp_projected": ("Proyeksi dibayar akhir tahun", "Projected paid by year end"),
        "sp_in_force": ("tahap berlaku", "stage in force"),
        "sp_cliffs": ("Akhir pendanaan mendatang", "Coming funding cliffs"),
        "sp_within": ("dalam (hari)", "within (days)"),
        "sp_ends_on": ("Bulan pertama tanpa dana", "First unfunded month"),
        "sp_renew": ("Diperpanjang", "Renewed"),
        "sp_handover": ("Dialihkan", "Handed over"),
        "sp_self_pay": ("Bayar sendiri", "Self-pay"),
        "sp_undecided": ("Belum diputuskan", "Undecided"),
        "sp_lapse_from": ("Putus sejak (bila tidak ada keputusan)", "Lapsed from (if undecided)"),
        "sp_target": ("Sasaran", "Target"),
        "sp_no_target": ("Belum ada sasaran.", "No target set yet."),
        "sp_version": ("Versi", "Version"),
        "sp_scope": ("Wilayah sasaran", "Scope"),
        "sp_rule": ("Aturan", "Rule"),
        "sp_priority": ("Prioritas", "Priority"),
        "sp_package": ("Paket", "Package"),
        "sp_income": ("Penghasilan", "Income"),
        "sp_runs": ("Penargetan terakhir", "Recent targeting runs"),
        "sp_run": ("Penargetan", "Run"),
        "sp_snapshot": ("Snapshot registri", "Registry snapshot"),
        "sp_start_month": ("Bulan mulai", "Start month"),
        "sp_in_scope": ("Dalam wilayah", "In scope"),
        "sp_eligible": ("Memenuhi syarat", "Eligible"),
        "sp_created": ("Dibuat", "Created"),
        "sp_invoices": ("Tagihan pemberi dana", "Sponsor invoices"),
        "sp_invoice": ("Nomor tagihan", "Invoice number"),
        "sp_total": ("Total", "Total"),
        "sp_pdf": ("PDF", "PDF"),
        "sp_simulate": ("Simulasi anggaran", "Budget simulator"),
        "sp_budget": ("Anggaran (Rp)", "Budget (Rp)"),
        "sp_package_target": ("Paket sasaran", "The target's package"),
        "sp_package_basic": ("JKK + JKM", "JKK + JKM"),
        "sp_package_jht": ("JKK + JKM + JHT", "JKK + JKM + JHT"),
        "sp_desil_max": ("Batas desil", "Desil cut-off"),
        "sp_desil_rule": ("sesuai aturan sasaran", "as the target's rule"),
        "sp_scenario_name": ("Nama skenario (opsional)", "Scenario name (optional)"),
        "sp_add_scenario": ("Tambah skenario", "Add scenario"),
        "sp_over_run": ("Atas penargetan terakhir", "Over the latest targeting run"),
        "sp_no_run": (
            "Pemberi dana ini belum punya penargetan: jalankan penargetan dahulu.",
            "This sponsor has no targeting run yet: run targeting first.",
        ),
        "sp_scenarios": ("Skenario berdampingan", "Scenarios side by side"),
        "sp_no_scenarios": (
            "Belum ada skenario: isi formulir untuk menambahkan.",
            "No scenarios yet: fill in the form to add one.",
        ),
        "sp_metric": ("Ukuran", "Measure"),
        "sp_scenario_id": ("Nomor skenario", "Scenario number"),
        "sp_cost_per_person": ("Biaya per orang", "Cost per person"),
        "sp_funded": ("Didanai", "Funded"),
        "sp_waitlist": ("Daftar tunggu", "Waitlist"),
        "sp_cost_per_month": ("Biaya per bulan (bulan pertama)", "Cost per month (first month)"),
        "sp_total_cost": ("Total biaya", "Total cost"),
        "sp_budget_left": ("Sisa anggaran", "Budget left"),
        "sp_cost_all": ("Biaya menanggung semua yang memenuhi syarat", "Cost of covering everyone eligible"),
        "sp_last_rank": ("Peringkat terakhir yang didanai", "Last funded rank"),
        "sp_warning": ("Catatan", "Note"),
        "sp_remove": ("hapus", "remove"),
        "sp_by_region": ("Menurut kabupaten/kota", "By regency"),
        "sp_by_sex": ("Menurut jenis kelamin", "By sex"),
        "sp_by_desil": ("Menurut desil", "By desil"),
        "sp_value": ("Kelompok", "Group"),
        "sp_sex_M": ("Laki-laki", "Male"),
        "sp_sex_F": ("Perempuan", "Female"),
        "sp_enrol": ("Daftarkan yang didanai", "Enrol the funded list"),
        "sp_enrolled_notice": (
            "Skenario #{scenario}: {enrolled} didaftarkan, {assigned} peserta lama kini dibiayai, "
            "{rejected} dilewati.",
            "Scenario #{scenario}: {enrolled} enrolled, {assigned} existing members now funded, "
            "{rejected} skipped.",
        ),
        "sp_repeat_notice": (
            "Skenario ini sudah didaftarkan sebelumnya; tidak ada yang berubah.",
            "This scenario was enrolled before; nothing changed.",
        ),
        "sp_reasons": ("Alasan dilewati", "Reasons skipped"),
    }
)
for _n in range(1, MAX_SIDE + 1):
    text.add(
        {
            f"sp_scenario_{_n}": (f"Skenario {_n}", f"Scenario {_n}"),
            f"sp_scenario_{_n}_funded": (f"Skenario {_n}: didanai", f"Scenario {_n}: funded"),
            f"sp_scenario_{_n}_eligible": (f"Skenario {_n}: memenuhi syarat", f"Scenario {_n}: eligible"),
        }
    )


# ---------------------------------------------------------------- shared helpers


def exported(request: Request, tables: list[Table]) -> Response | None:
    """The export the address asks for; a bare `?export=` gives the page's first table."""
    return requested_export(request, {t.id: t for t in tables}, tables[0].id)


def int_param(request: Request, name: str, default: int, low: int, high: int) -> int:
    raw = request.query_params.get(name, "")
    return min(high, max(low, int(raw))) if raw.isdigit() else default


def kind_label(kind: str, lang: str) -> str:
    key = f"sp_kind_{kind}"
    return text.t(key, lang) if key in text.TEXT else kind


def funded_now(book: BudgetLedger, today: date) -> int:
    """Members the sponsor pays for this month (the year's first or last month outside it)."""
    if not book.months:
        return 0
    index = min(11, max(0, (today.year - book.fiscal_year) * 12 + today.month - 1))
    return book.months[index].members


# ---------------------------------------------------------------- the sponsor list

SPONSOR_COLUMNS = (
    Column("name", "sp_name", link="/sponsors/{id}"),
    Column("code", "sp_code"),
    Column("kind", "sp_kind"),
    Column("region_code", "region"),
    Column("allocated", "sp_allocated", "rupiah"),
    Column("committed", "sp_committed", "rupiah"),
    Column("billed", "sp_billed", "rupiah"),
    Column("paid", "sp_paid", "rupiah"),
    Column("members", "sp_members_funded", "int"),
)


def sponsor_rows(principal: Principal, year: int, lang: str, url: str | None) -> list[dict[str, Any]]:
    today = date.today()
    rows = []
    for found, book in ledger.budget_ledgers(principal=principal, fiscal_year=year, url=url):
        rows.append(
            {
                "id": found.id,
                "name": found.name,
                "code": found.code,
                "kind": kind_label(found.kind, lang),
                "region_code": found.region_code,
                "allocated": book.allocated,
                "committed": book.committed,
                "billed": book.billed,
                "paid": book.paid,
                "members": funded_now(book, today),
            }
        )
    return rows


@router.get("/sponsors", response_model=None)
def sponsors_page(request: Request) -> Response:
    def build(principal: Principal) -> Response:
        year = int_param(request, "year", date.today().year, 2000, 2100)
        lang = lang_of(request)
        table = Table(
            "sponsors",
            SPONSOR_COLUMNS,
            sponsor_rows(principal, year, lang, store_url(request)),
            id="sponsors",
        )
        return exported(request, [table]) or render(
            request, "sponsors_list.html", principal=principal, table=table, year=year
        )

    return guarded(request, "sponsor.read", build)


# ---------------------------------------------------------------- one sponsor


@dataclass
class SponsorView:
    sponsor: Sponsor
    year: int
    within_days: int
    book: BudgetLedger
    cliff: CliffReport
    target: Target | None
    tables: list[Table] = field(default_factory=list)


def recent_runs(principal: Principal, sponsor: Sponsor, url: str | None) -> list[dict[str, Any]]:
    """The sponsor's latest targeting runs, scoped as the targeting service scopes them."""
    found = targeting.list_runs(principal=principal, sponsor_id=sponsor.id, limit=RECENT_RUNS, url=url)
    return [
        {
            "run_id": r.run.id,
            "snapshot_id": r.run.snapshot_id,
            "start_month": str(r.run.start_month),
            "in_scope": r.run.in_scope,
            "eligible": r.run.eligible,
            "engine": r.run.engine,
            "created_at": r.created_at,
        }
        for r in found
    ]


def budget_rows(found: list[Budget], lang: str) -> list[dict[str, Any]]:
    return [
        {
            "fiscal_year": str(b.fiscal_year),
            "stage": text.t(f"sp_stage_{b.stage}", lang),
            "amount": b.amount,
            "from_month": str(b.from_month),
            "to_month": str(b.to_month.plus(-1)),
            "months": b.months,
            "document": b.document,
        }
        for b in sorted(found, key=lambda b: (-b.fiscal_year, -b.id))
    ]


def cliff_rows(report: CliffReport) -> list[dict[str, Any]]:
    return [
        {
            "ends_on": m.ends_on,
            "members": m.members,
            "renew": m.decided.get("renew", 0),
            "handover": m.decided.get("handover", 0),
            "self_pay": m.decided.get("self_pay", 0),
            "undecided": m.undecided,
            "lapse_from": date.fromisoformat(m.lapse_from),
        }
        for m in report.months
    ]


def invoice_rows(principal: Principal, found: Sponsor, url: str | None) -> list[dict[str, Any]]:
    if not principal.may("billing.read"):
        return []
    return [
        {
            "sponsor_id": found.id,
            "number": i.number,
            "period": str(i.period),
            "members": i.members,
            "total": i.total,
            "pdf": text.t("sp_pdf", "id"),
        }
        for i in billing.list_invoices(principal=principal, sponsor=found.code, url=url)
    ]


def sponsor_view(principal: Principal, code: str, request: Request) -> SponsorView:
    url, lang = store_url(request), lang_of(request)
    year = int_param(request, "year", date.today().year, 2000, 2100)
    within = int_param(request, "within_days", 365, 0, cliffs.MAX_WINDOW_DAYS)
    found = service.get_sponsor(principal=principal, code_or_id=code, url=url)
    book = ledger.budget_ledger(principal=principal, sponsor=found.id, fiscal_year=year, url=url)
    cliff = cliffs.cliffs(principal=principal, sponsor=found.id, within_days=within, url=url)
    try:
        target: Target | None = targets.get_target(principal=principal, sponsor=found.id, url=url)
    except NotFound:  # the sponsor is visible (found above): it just has no target yet
        target = None
    view = SponsorView(found, year, within, book, cliff, target)
    view.tables = [
        Table(f"ledger-{found.code}-{year}", LEDGER_COLUMNS, [vars(m) for m in book.months], id="ledger"),
        Table(
            f"budgets-{found.code}",
            BUDGET_COLUMNS,
            budget_rows(budgets.list_budgets(principal=principal, sponsor=found.id, url=url), lang),
            id="budgets",
        ),
        Table(f"cliffs-{found.code}", CLIFF_COLUMNS, cliff_rows(cliff), id="cliffs"),
        Table(f"runs-{found.code}", RUN_COLUMNS, recent_runs(principal, found, url), id="runs"),
        Table(f"invoices-{found.code}", INVOICE_COLUMNS, invoice_rows(principal, found, url), id="invoices"),
    ]
    return view


LEDGER_COLUMNS = (
    Column("month", "sp_month"),
    Column("members", "sp_members", "int"),
    Column("committed", "sp_committed", "rupiah"),
    Column("billed", "sp_billed", "rupiah"),
    Column("paid", "sp_paid", "rupiah"),
)
BUDGET_COLUMNS = (
    Column("fiscal_year", "sp_year"),
    Column("stage", "sp_stage"),
    Column("amount", "sp_amount", "rupiah"),
    Column("from_month", "sp_from"),
    Column("to_month", "sp_to"),
    Column("months", "sp_months", "int"),
    Column("document", "sp_document"),
)
CLIFF_COLUMNS = (
    Column("ends_on", "sp_ends_on"),
    Column("members", "sp_members", "int"),
    Column("renew", "sp_renew", "int"),
    Column("handover", "sp_handover", "int"),
    Column("self_pay", "sp_self_pay", "int"),
    Column("undecided", "sp_undecided", "int"),
    Column("lapse_from", "sp_lapse_from", "date"),
)
RUN_COLUMNS = (
    Column("run_id", "sp_run", link="/targeting/runs/{run_id}"),
    Column("snapshot_id", "sp_snapshot"),
    Column("start_month", "sp_start_month"),
    Column("in_scope", "sp_in_scope", "int"),
    Column("eligible", "sp_eligible", "int"),
    Column("created_at", "sp_created", "date"),
)
INVOICE_COLUMNS = (
    Column("number", "sp_invoice"),
    Column("period", "sp_month"),
    Column("members", "sp_members", "int"),
    Column("total", "sp_total", "rupiah"),
    Column("pdf", "sp_pdf", link="/sponsors/{sponsor_id}/invoice.pdf?month={period}"),
)


@router.get("/sponsors/{code}", response_model=None)
def sponsor_page(request: Request, code: str) -> Response:
    def build(principal: Principal) -> Response:
        view = sponsor_view(principal, code, request)
        return exported(request, view.tables) or render(
            request,
            "sponsors_detail.html",
            principal=principal,
            view=view,
            tables={t.id: t for t in view.tables},
            for_table=lambda table_id: table_links(request, table_id),
        )

    return guarded(request, "sponsor.read", build)


# ---------------------------------------------------------------- the budget simulator


class ScenarioTable(Table):
    """Scenarios as columns and measures as rows: each row formats its values by its own kind
    (the page), while the export keeps the raw values."""

    def cell(self, column: Column, row: dict[str, Any], lang: str) -> str:
        if column.key == "metric":
            return str(row["metric"])
        return super().cell(Column(column.key, column.label, row["kind"]), row, lang)


SCENARIO_MEASURES: tuple[tuple[str, str], ...] = (
    ("sp_name", "text"),
    ("sp_scenario_id", "text"),
    ("sp_budget", "rupiah"),
    ("sp_months", "int"),
    ("sp_package", "text"),
    ("sp_desil_max", "int"),
    ("sp_cost_per_person", "rupiah"),
    ("sp_eligible", "int"),
    ("sp_funded", "int"),
    ("sp_waitlist", "int"),
    ("sp_cost_per_month", "rupiah"),
    ("sp_total_cost", "rupiah"),
    ("sp_budget_left", "rupiah"),
    ("sp_cost_all", "rupiah"),
    ("sp_last_rank", "int"),
    ("sp_warning", "text"),
)


def measure(result: simulation.ScenarioResult, key: str) -> Any:
    values: dict[str, Any] = {
        "sp_name": result.name,
        "sp_scenario_id": f"#{result.scenario_id}",
        "sp_budget": result.budget,
        "sp_months": result.months,
        "sp_package": ", ".join(p.upper() for p in result.package.get("programs", [])),
        "sp_desil_max": result.desil_max,
        "sp_cost_per_person": result.cost_per_person,
        "sp_eligible": result.eligible,
        "sp_funded": result.funded,
        "sp_waitlist": result.waitlist,
        "sp_cost_per_month": next(iter(result.cost_per_month.values()), 0),
        "sp_total_cost": result.total_cost,
        "sp_budget_left": result.budget_left,
        "sp_cost_all": result.cost_to_cover_all,
        "sp_last_rank": result.last_funded_rank,
        "sp_warning": result.warning,
    }
    return values[key]


def scenario_table(results: list[simulation.ScenarioResult], lang: str) -> ScenarioTable:
    columns = [Column("metric", "sp_metric")]
    # "int" right-aligns the figures; each row still formats its values by its own kind.
    columns += [Column(f"s{i}", f"sp_scenario_{i}", "int") for i in range(1, len(results) + 1)]
    rows = []
    for key, kind in SCENARIO_MEASURES:
        row: dict[str, Any] = {"metric": text.t(key, lang), "measure": key, "kind": kind}
        row.update({f"s{i}": measure(r, key) for i, r in enumerate(results, start=1)})
        rows.append(row)
    return ScenarioTable("scenarios", columns, rows, id="scenarios")


def region_names(sponsor: Sponsor, url: str | None) -> dict[str, str]:
    """Regency names of the sponsor's province (public reference data); codes alone when the
    region list is not loaded."""
    try:
        return {r.code: r.name for r in lookup.children(sponsor.region_code[:2], url)}
    except JaringError:
        return {}


def group_label(breakdown: str, value: str, names: dict[str, str], lang: str) -> str:
    if breakdown == "region" and value in names:
        return f"{value} {names[value]}"
    if breakdown == "sex" and f"sp_sex_{value}" in text.TEXT:
        return text.t(f"sp_sex_{value}", lang)
    return value


def breakdown_tables(
    results: list[simulation.ScenarioResult], names: dict[str, str], lang: str
) -> list[Table]:
    tables = []
    for name, label in BREAKDOWN_LABELS.items():
        rows: dict[str, dict[str, Any]] = {}
        for i, result in enumerate(results, start=1):
            for entry in result.by.get(name, []):
                value = str(entry["value"])
                shown = group_label(name, value, names, lang)
                row = rows.setdefault(value, {"value": shown})
                row[f"s{i}_funded"] = entry["funded"]
                row[f"s{i}_eligible"] = entry["eligible"]
        columns = [Column("value", label)]
        for i in range(1, len(results) + 1):
            columns += [
                Column(f"s{i}_funded", f"sp_scenario_{i}_funded", "int"),
                Column(f"s{i}_eligible", f"sp_scenario_{i}_eligible", "int"),
            ]
        ordered = [rows[k] for k in sorted(rows, key=lambda v: (len(v), v))]
        tables.append(Table(f"scenarios-by-{name}", columns, ordered, id=f"by-{name}"))
    return tables


def chart_data(results: list[simulation.ScenarioResult], tables: list[Table], lang: str) -> dict[str, Any]:
    """Funded persons per group and scenario, for the bar charts."""
    return {
        "lang": lang,
        "charts": [
            {
                "id": table.id,
                "groups": [row["value"] for row in table.rows],
                "series": [
                    {"name": r.name, "data": [row.get(f"s{i}_funded", 0) for row in table.rows]}
                    for i, r in enumerate(results, start=1)
                ],
            }
            for table in tables
        ],
    }


def scenario_ids(values: list[str]) -> list[int]:
    """Kept scenario numbers from the address (or the form), in order, once each; the newest
    MAX_SIDE when there are more."""
    ids: list[int] = []
    for value in values:
        if value.isdigit() and 0 < int(value) < 2**31 and int(value) not in ids:
            ids.append(int(value))
    return ids[-MAX_SIDE:]


def kept_scenarios(
    principal: Principal, sponsor: Sponsor, ids: list[int], url: str | None
) -> list[simulation.ScenarioResult]:
    """Kept scenarios, each only if it was made over this sponsor's run (another sponsor's
    scenario is NotFound here, as one outside the principal's scope is in the service)."""
    results = []
    for scenario_id in ids:
        result = simulation.get_scenario(principal=principal, scenario_id=scenario_id, url=url)
        if get_run(principal=principal, run_id=result.run_id, url=url).sponsor_id != sponsor.id:
            raise NotFound(f"scenario {scenario_id} not found")
        results.append(result)
    return results


def latest_run(principal: Principal, sponsor: Sponsor, url: str | None) -> dict[str, Any] | None:
    runs = recent_runs(principal, sponsor, url)
    return runs[0] if runs else None


def parse_budget(raw: str) -> int:
    """Rupiah as people type it: 2.016.000.000, 2016000000 or Rp 2.016.000.000."""
    cleaned = raw.strip().removeprefix("Rp").replace(".", "").replace(" ", "").replace("_", "")
    if not cleaned.isdigit() or int(cleaned) <= 0 or len(cleaned) > 16:
        raise BadInput(f"budget {raw.strip()!r} is not a positive whole number of Rupiah", field="budget")
    return int(cleaned)


def parse_scenario(typed: dict[str, str], position: int) -> simulation.Scenario:
    months = typed.get("months", "").strip()
    if not months.isdigit():
        raise BadInput(f"months {months!r} is not a whole number", field="months")
    package = typed.get("package", "")
    if package not in PACKAGES:
        raise BadInput(f"package {package!r} is not one offered", field="package")
    programs = PACKAGES[package]
    desil = typed.get("desil_max", "").strip()
    if desil and not desil.isdigit():
        raise BadInput(f"desil cut-off {desil!r} is not a number from 1 to 10", field="desil_max")
    return simulation.Scenario(
        budget=parse_budget(typed.get("budget", "")),
        months=int(months),
        package=None if programs is None else parse_package({"programs": list(programs)}),
        desil_max=int(desil) if desil else None,
        # Named after its column unless the officer named it: the service would call each S1.
        name=typed.get("name", "").strip()[:100] or f"S{position}",
    )


def simulate_address(sponsor: Sponsor, ids: list[int], **extra: Any) -> str:
    query = [("scenario", str(i)) for i in ids] + [(k, str(v)) for k, v in extra.items()]
    return f"/sponsors/{sponsor.id}/simulate" + (f"?{urlencode(query)}" if query else "")


def enrolment_notice(request: Request, lang: str) -> dict[str, Any] | None:
    """The enrolment outcome the redirect after POST /enrol carries in its address."""
    params = request.query_params
    if not params.get("enrolled_scenario", "").isdigit():
        return None
    counts = {k: params.get(k, "0") for k in ("enrolled", "assigned", "rejected")}
    if not all(v.isdigit() for v in counts.values()):
        return None
    message = text.t("sp_enrolled_notice", lang).format(scenario=params["enrolled_scenario"], **counts)
    reasons = [r.split(":", 1) for r in params.getlist("reason") if ":" in r]
    return {"message": message, "repeat": params.get("repeat") == "1", "reasons": reasons}


def simulate_page(
    request: Request,
    principal: Principal,
    sponsor: Sponsor,
    ids: list[int],
    *,
    typed: dict[str, str] | None = None,
    problem: JaringError | None = None,
) -> Response:
    url, lang = store_url(request), lang_of(request)
    results = kept_scenarios(principal, sponsor, ids, url)
    side = scenario_table(results, lang)
    by = breakdown_tables(results, region_names(sponsor, url), lang)
    tables: list[Table] = [side, *by]
    if problem is None:
        answer = exported(request, tables)
        if answer is not None:
            return answer
    return render(
        request,
        "sponsors_simulate.html",
        status=200 if problem is None else refusal_status(problem),
        principal=principal,
        sponsor=sponsor,
        run=latest_run(principal, sponsor, url),
        results=results,
        ids=ids,
        scenarios=side,
        breakdowns=by,
        chart=chart_data(results, by, lang),
        typed=typed or {"budget": "", "months": "12", "package": "", "desil_max": "", "name": ""},
        problem=None if problem is None else str(problem),
        notice=enrolment_notice(request, lang),
        may_simulate=principal.may("targeting.run"),
        may_enrol=principal.may("member.enrol") and principal.may("payer.assign"),
        without=lambda drop: simulate_address(sponsor, [i for i in ids if i != drop]),
        for_table=lambda table_id: table_links(request, table_id),
    )


@router.get("/sponsors/{code}/simulate", response_model=None)
def simulate_get(request: Request, code: str) -> Response:
    def build(principal: Principal) -> Response:
        found = service.get_sponsor(principal=principal, code_or_id=code, url=store_url(request))
        return simulate_page(
            request, principal, found, scenario_ids(request.query_params.getlist("scenario"))
        )

    return guarded(request, "sponsor.read", build)


@router.post("/sponsors/{code}/simulate", response_model=None)
def simulate_post(
    request: Request,
    code: str,
    budget: Annotated[str, Form()] = "",
    months: Annotated[str, Form()] = "12",
    package: Annotated[str, Form()] = "",
    desil_max: Annotated[str, Form()] = "",
    name: Annotated[str, Form()] = "",
    scenario: Annotated[list[str] | None, Form()] = None,
) -> Response:
    typed = {"budget": budget, "months": months, "package": package, "desil_max": desil_max, "name": name}

    def build(principal: Principal) -> Response:
        url = store_url(request)
        found = service.get_sponsor(principal=principal, code_or_id=code, url=url)
        ids = scenario_ids(scenario or [])
        try:
            wanted = parse_scenario(typed, len(ids) + 1)
            [made] = simulation.simulate(principal=principal, sponsor=found.id, scenarios=[wanted], url=url)
        except JaringError as refused:
            return simulate_page(request, principal, found, ids, typed=typed, problem=refused)
        return RedirectResponse(
            simulate_address(found, [*ids, made.scenario_id][-MAX_SIDE:]), status_code=303
        )

    return guarded(request, "targeting.run", build)


def enrolled_address(sponsor: Sponsor, ids: list[int], scenario_id: int, report: BulkReport) -> str:
    extra: dict[str, Any] = {
        "enrolled_scenario": scenario_id,
        "enrolled": report.enrolled,
        "assigned": report.assigned_existing,
        "rejected": report.rejected,
        "repeat": int(report.repeat),
    }
    address = simulate_address(sponsor, ids, **extra)
    reasons = [("reason", f"{k}:{v}") for k, v in sorted(report.by_reason.items())]
    return address + (f"&{urlencode(reasons)}" if reasons else "")


@router.post("/sponsors/{code}/enrol", response_model=None)
def enrol_post(
    request: Request,
    code: str,
    scenario_id: Annotated[str, Form()] = "",
    scenario: Annotated[list[str] | None, Form()] = None,
) -> Response:
    def build(principal: Principal) -> Response:
        url = store_url(request)
        found = service.get_sponsor(principal=principal, code_or_id=code, url=url)
        ids = scenario_ids(scenario or [])
        chosen = scenario_ids([scenario_id])
        if not chosen:
            return simulate_page(
                request,
                principal,
                found,
                ids,
                problem=BadInput("choose a scenario to enrol", field="scenario_id"),
            )
        kept_scenarios(principal, found, chosen, url)  # another sponsor's scenario is not found here
        try:
            report = simulation.enrol_scenario(principal=principal, scenario_id=chosen[0], url=url)
        except JaringError as refused:
            return simulate_page(request, principal, found, ids, problem=refused)
        return RedirectResponse(enrolled_address(found, ids, chosen[0], report), status_code=303)

    return guarded(request, "member.enrol", build)


# ---------------------------------------------------------------- the invoice


@router.get("/sponsors/{code}/invoice.pdf", response_model=None)
def invoice(request: Request, code: str) -> Response:
    def build(principal: Principal) -> Response:
        url = store_url(request)
        try:
            month = Month.parse(request.query_params.get("month", ""))
        except PeriodError:
            return error_page(request, principal, 400)
        found = service.get_sponsor(principal=principal, code_or_id=code, url=url)
        listed = billing.list_invoices(principal=principal, sponsor=found.code, period=month, url=url)
        if not listed:
            raise NotFound(f"no invoice for {found.code} in {month}")
        detail = billing.get_invoice(principal=principal, number=listed[0].number, limit=None, url=url)
        body = invoice_pdf(detail, found, lang_of(request))
        return Response(
            body,
            media_type="application/pdf",
            headers={"Content-Disposition": f'inline; filename="{detail.invoice.number}.pdf"'},
        )

    return guarded(request, "billing.read", build)
