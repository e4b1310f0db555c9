"""Registry snapshots with their import reports and diffs, and targeting runs with their
exclusion counts, ranked lists and the "explain rank" form.

The registry is national (one DTSEN extract for the whole country); its pages are for the
roles that run targeting over it, as the navigation says. A diff's per-regency counts are cut
to the reader's region. Runs are read through the targeting service, so a run of another
region answers 404 like one that does not exist."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response

from jaring.api.deps import store_url
from jaring.kit.auth import Principal, in_scope
from jaring.kit.errors import BadInput, JaringError, NotFound
from jaring.membership.numbers import participant_number
from jaring.registry import diff as registry_diff
from jaring.registry import service as registry
from jaring.registry.codes import OCCUPATIONS, SEXES
from jaring.registry.diff import CHANGES
from jaring.registry.reasons import REJECTIONS, WARNINGS
from jaring.sponsors import service as sponsors
from jaring.targeting import service as targeting
from jaring.targeting.rules import EXCLUSIONS, PRIORITY_KEYS
from jaring.web import text
from jaring.web.render import guarded, lang_of, render
from jaring.web.tables import Column, Table, requested_export, table_links

router = APIRouter(include_in_schema=False)
PAGE_SIZE = 50

text.add({
    "reg_title": ("Snapshot registri (DTSEN)", "Registry snapshots (DTSEN)"),
    "reg_snapshot": ("Snapshot", "Snapshot"),
    "reg_snapshot_date": ("Tanggal snapshot", "Snapshot date"),
    "reg_rows_in": ("Baris dibaca", "Rows read"),
    "reg_accepted": ("Diterima", "Accepted"),
    "reg_rejected": ("Ditolak", "Rejected"),
    "reg_imported_at": ("Diimpor pada", "Imported at"),
    "reg_import_report": ("Laporan impor", "Import report"),
    "reg_reason": ("Alasan", "Reason"),
    "reg_code": ("Kode", "Code"),
    "reg_count": ("Jumlah", "Count"),
    "reg_rejections": ("Baris ditolak menurut alasan", "Rows rejected by reason"),
    "reg_warnings": ("Baris diterima dengan peringatan", "Rows accepted with a warning"),
    "reg_diff": ("Perubahan dibanding snapshot sebelumnya", "Changes since the previous snapshot"),
    "reg_no_diff": ("Perbedaan dengan snapshot sebelumnya belum dihitung (jaring registry diff).",
                    "The diff against the previous snapshot has not been computed (jaring registry diff)."),
    "reg_first": ("Ini snapshot pertama: tidak ada pembanding.",
                  "This is the first snapshot: nothing to compare."),
    "reg_change": ("Perubahan", "Change"),
    "reg_diff_regions": ("Perubahan per kabupaten/kota", "Changes by regency"),
    "reg_regency": ("Kabupaten/kota", "Regency"),
    "reg_diff_scope": ("Hanya wilayah akun Anda yang dihitung.", "Only your account's region is counted."),
    "tgt_runs": ("Proses penargetan", "Targeting runs"),
    "tgt_run": ("Proses penargetan", "Targeting run"),
    "tgt_sponsor": ("Pemberi dana", "Sponsor"),
    "tgt_start_month": ("Bulan mulai", "Start month"),
    "tgt_in_scope": ("Dalam cakupan wilayah", "In scope"),
    "tgt_eligible": ("Memenuhi syarat", "Eligible"),
    "tgt_excluded": ("Dikecualikan", "Excluded"),
    "tgt_digest": ("Sidik hasil (SHA-256)", "Output digest (SHA-256)"),
    "tgt_created": ("Dijalankan pada", "Run at"),
    "tgt_exclusions": ("Dikecualikan menurut alasan", "Excluded by reason"),
    "tgt_sum_check": ("dalam cakupan = memenuhi syarat + jumlah dikecualikan",
                      "in scope = eligible + sum of excluded"),
    "tgt_ranked": ("Daftar peringkat", "Ranked list"),
    "tgt_rank": ("Peringkat", "Rank"),
    "tgt_nik": ("NIK (disamarkan)", "NIK (masked)"),
    "tgt_village": ("Desa/kelurahan", "Village"),
    "tgt_sex": ("Jenis kelamin", "Sex"),
    "tgt_age": ("Usia", "Age"),
    "tgt_desil": ("Desil", "Desil"),
    "tgt_occupation": ("Pekerjaan", "Occupation"),
    "tgt_hazard": ("Tingkat risiko", "Hazard grade"),
    "tgt_female_head": ("KK perempuan", "Female-headed"),
    "tgt_member": ("Nomor peserta (jika pernah jadi peserta)", "Participant number (returning member)"),
    "tgt_page": ("Halaman", "Page"),
    "tgt_prev": ("Sebelumnya", "Previous"),
    "tgt_next": ("Berikutnya", "Next"),
    "tgt_explain": ("Jelaskan peringkat", "Explain a rank"),
    "tgt_explain_help": ("Isi NIK (16 digit) atau nomor peringkat dalam daftar.",
                         "Give a NIK (16 digits) or a rank number from the list."),
    "tgt_explain_go": ("Jelaskan", "Explain"),
    "tgt_explain_one": ("Isi NIK atau nomor peringkat, salah satu saja.",
                        "Give a NIK or a rank, one of them."),
    "tgt_rank_number": ("Peringkat harus berupa bilangan bulat.", "The rank must be a whole number."),
    "tgt_ranked_as": ("Berperingkat", "Ranked"),
    "tgt_of": ("dari", "of"),
    "tgt_key": ("Kunci prioritas", "Priority key"),
    "tgt_value": ("Nilai", "Value"),
    "tgt_ahead": ("Orang di depan karena kunci ini", "Persons ahead because of this key"),
    "tgt_tie_break": ("Kunci sama: indeks buta menentukan", "Same keys: the blind index decides"),
    "tgt_excluded_as": ("Dikecualikan oleh proses ini", "Excluded by this run"),
    "tgt_not_in_scope": ("Orang ini tidak berada dalam cakupan wilayah proses ini.",
                         "This person is not in the run's scope."),
    "tgt_snapshot_link": ("Snapshot", "Snapshot"),
    "yes": ("Ya", "Yes"),
    "no": ("Tidak", "No"),
})  # fmt: skip


def _pick(pair: tuple[str, ...], lang: str) -> str:
    return pair[1] if lang == "en" else pair[0]


@dataclass
class Views:
    """The table views of one page: each exports on its own (`?table=ID&export=csv`), and
    `primary` is the one a bare `?export=` gives."""

    tables: dict[str, Table]
    primary: str

    def exported(self, request: Request) -> Response | None:
        return requested_export(request, self.tables, self.primary)

    def links(self, request: Request) -> dict[str, Any]:
        """Each table's export links; the primary table's need no `table=`."""
        return {name: table_links(request, None if name == self.primary else name) for name in self.tables}


# --------------------------------------------------------------------------- snapshots

SNAPSHOT_COLUMNS = (
    Column("snapshot_id", "reg_snapshot", link="/registry/snapshots/{snapshot_id}"),
    Column("snapshot_date", "reg_snapshot_date", "date"),
    Column("rows_in", "reg_rows_in", "int"),
    Column("accepted", "reg_accepted", "int"),
    Column("rejected", "reg_rejected", "int"),
    Column("imported_at", "reg_imported_at"),
)


def snapshots_table(found: list[registry.ImportResult]) -> Table:
    rows = [
        {
            "snapshot_id": s.snapshot_id,
            "snapshot_date": s.snapshot_date,
            "rows_in": s.rows_in,
            "accepted": s.accepted,
            "rejected": s.rejected,
            "imported_at": s.imported_at.strftime("%Y-%m-%d %H:%M UTC") if s.imported_at else None,
        }
        for s in reversed(found)  # newest first
    ]
    return Table("snapshots", SNAPSHOT_COLUMNS, rows, id="snapshots")


@router.get("/registry", response_model=None)
def registry_index(request: Request) -> Response:
    def build(principal: Principal) -> Response:
        url = store_url(request)
        found = registry.list_snapshots(url)
        views = Views({"snapshots": snapshots_table(found)}, "snapshots")
        return views.exported(request) or render(
            request,
            "registry_index.html",
            principal=principal,
            views=views.tables,
            links=views.links(request),
        )

    return guarded(request, "targeting.run", build)


def counts_table(name: str, counts: dict[str, int], labels: dict[str, tuple[str, str]], lang: str) -> Table:
    columns = (
        Column("code", "reg_code"),
        Column("reason", "reg_reason"),
        Column("count", "reg_count", "int"),
    )
    rows = [
        {"code": key, "reason": _pick(labels.get(key, (key, key)), lang), "count": count}
        for key, count in counts.items()
        if count
    ]
    return Table(name, columns, rows, id=name)


def scoped_diff(
    principal: Principal, found: registry_diff.DiffResult
) -> tuple[dict[str, int], list[dict[str, Any]]]:
    """The diff's counts as the reader may see them: everything for a national account, only
    the regencies of their region otherwise (totals recounted from those)."""
    regions = {
        code: changes
        for code, changes in found.by_region.items()
        if principal.national or (code and in_scope(principal, code))
    }
    if principal.national:
        totals = dict(found.counts)
    else:
        totals = {change: sum(c.get(change, 0) for c in regions.values()) for change in CHANGES}
    rows = [
        {"regency": code or "–", **{c: changes.get(c, 0) for c in CHANGES}}
        for code, changes in regions.items()
    ]
    return totals, rows


def previous_of(found: list[registry.ImportResult], snapshot_id: str) -> registry.ImportResult | None:
    ordered = sorted(found, key=lambda s: (s.snapshot_date, s.snapshot_id))
    ids = [s.snapshot_id for s in ordered]
    where = ids.index(snapshot_id)
    return ordered[where - 1] if where > 0 else None


@router.get("/registry/snapshots/{snapshot_id}", response_model=None)
def snapshot_page(request: Request, snapshot_id: str) -> Response:
    def build(principal: Principal) -> Response:
        url, lang = store_url(request), lang_of(request)
        found = registry.list_snapshots(url)
        snapshot = next((s for s in found if s.snapshot_id == snapshot_id), None)
        if snapshot is None:
            raise NotFound(f"no snapshot {snapshot_id}")
        tables = {
            "rejections": counts_table("rejections", snapshot.by_reason, REJECTIONS, lang),
            "warnings": counts_table("warnings", snapshot.warnings, WARNINGS, lang),
        }
        before = previous_of(found, snapshot_id)
        changes = None if before is None else registry_diff.stored_diff(before.snapshot_id, snapshot_id, url)
        totals: dict[str, int] = {}
        if changes is not None:
            totals, regions = scoped_diff(principal, changes)
            tables["diff"] = counts_table("diff", totals, CHANGES, lang)
            columns = [Column("regency", "reg_regency"), *(Column(c, f"chg_{c}", "int") for c in CHANGES)]
            tables["diff_regions"] = Table("diff-regions", columns, regions, id="diff-regions")
        views = Views(tables, "rejections")
        return views.exported(request) or render(
            request,
            "registry_snapshot.html",
            principal=principal,
            snapshot=snapshot,
            before=before,
            changes=changes,
            views=views.tables,
            links=views.links(request),
        )

    return guarded(request, "targeting.run", build)


text.add({f"chg_{key}": pair for key, pair in CHANGES.items()})


# --------------------------------------------------------------------------- targeting runs

RUN_COLUMNS = (
    Column("run_id", "tgt_run", "int", link="/targeting/runs/{run_id}"),
    Column("sponsor", "tgt_sponsor"),
    Column("snapshot_id", "reg_snapshot"),
    Column("start_month", "tgt_start_month"),
    Column("in_scope", "tgt_in_scope", "int"),
    Column("eligible", "tgt_eligible", "int"),
    *(Column(f"x_{reason}", f"x_{reason}", "int") for reason in EXCLUSIONS),
    Column("output_sha256", "tgt_digest"),
)
text.add({f"x_{key}": pair for key, pair in EXCLUSIONS.items()})


def runs_table(found: list[targeting.RunSummary]) -> Table:
    rows = []
    for item in found:
        run = item.run
        rows.append(
            {
                "run_id": run.id,
                "sponsor": f"{item.sponsor_code} · {item.sponsor_name}",
                "snapshot_id": run.snapshot_id,
                "start_month": str(run.start_month),
                "in_scope": run.in_scope,
                "eligible": run.eligible,
                **{f"x_{reason}": run.excluded.get(reason, 0) for reason in EXCLUSIONS},
                "output_sha256": run.output_sha256,
            }
        )
    return Table("targeting-runs", RUN_COLUMNS, rows, id="runs")


@router.get("/targeting/runs", response_model=None)
def runs_index(request: Request) -> Response:
    def build(principal: Principal) -> Response:
        views = Views(
            {"runs": runs_table(targeting.list_runs(principal=principal, url=store_url(request)))}, "runs"
        )
        return views.exported(request) or render(
            request,
            "targeting_runs.html",
            principal=principal,
            views=views.tables,
            links=views.links(request),
        )

    return guarded(request, "sponsor.read", build)


RANKED_COLUMNS = (
    Column("rank", "tgt_rank", "int"),
    Column("nik_masked", "tgt_nik"),
    Column("village_code", "tgt_village"),
    Column("sex", "tgt_sex"),
    Column("age", "tgt_age", "int"),
    Column("desil", "tgt_desil", "int"),
    Column("occupation", "tgt_occupation"),
    Column("hazard", "tgt_hazard", "int"),
    Column("female_head", "tgt_female_head"),
    Column("participant_number", "tgt_member"),
)


def ranked_table(page: targeting.RankedPage, lang: str) -> Table:
    rows = [
        {
            "rank": row["rank"],
            "nik_masked": row["nik_masked"],
            "village_code": row["village_code"],
            "sex": _pick(SEXES[row["sex"]], lang) if row["sex"] in SEXES else row["sex"],
            "age": row["age"],
            "desil": row["desil"],
            "occupation": _pick(OCCUPATIONS[row["occupation"]], lang)
            if row["occupation"] in OCCUPATIONS
            else row["occupation"],
            "hazard": row["hazard"],
            "female_head": text.t("yes" if row["female_head"] else "no", lang),
            "participant_number": participant_number(row["member_id"]) if row["member_id"] else None,
        }
        for row in page.rows
    ]
    return Table(f"targeting-run-{page.run_id}", RANKED_COLUMNS, rows, id="ranked")


def exclusions_table(run: targeting.RunRef, lang: str) -> Table:
    return counts_table("exclusions", run.excluded, EXCLUSIONS, lang)


def page_number(request: Request) -> int:
    raw = request.query_params.get("page", "1")
    return int(raw) if raw.isdigit() and int(raw) >= 1 else 1


@dataclass
class RunView:
    run: targeting.RunRef
    sponsor: sponsors.Sponsor
    page: int
    pages: int
    views: Views


def run_view(request: Request, principal: Principal, run_id: int) -> RunView:
    url, lang = store_url(request), lang_of(request)
    run = targeting.get_run(principal=principal, run_id=run_id, url=url)
    sponsor = sponsors.get_sponsor(principal=principal, code_or_id=str(run.sponsor_id), url=url)
    pages = max(1, -(-run.eligible // PAGE_SIZE))
    page = min(page_number(request), pages)
    ranked = targeting.ranked_page(
        principal=principal, run_id=run_id, offset=(page - 1) * PAGE_SIZE, limit=PAGE_SIZE, url=url
    )
    views = Views({"ranked": ranked_table(ranked, lang), "exclusions": exclusions_table(run, lang)}, "ranked")
    return RunView(run, sponsor, page, pages, views)


def _run_page(
    request: Request, principal: Principal, view: RunView, status: int = 200, **extra: Any
) -> Response:
    return render(
        request,
        "targeting_run.html",
        status=status,
        principal=principal,
        run=view.run,
        sponsor=view.sponsor,
        page=view.page,
        pages=view.pages,
        excluded_total=sum(view.run.excluded.values()),
        views=view.views.tables,
        links=view.views.links(request),
        **extra,
    )


@router.get("/targeting/runs/{run_id}", response_model=None)
def run_page(request: Request, run_id: int) -> Response:
    def build(principal: Principal) -> Response:
        view = run_view(request, principal, run_id)
        return view.views.exported(request) or _run_page(request, principal, view)

    return guarded(request, "sponsor.read", build)


def explain_answer(
    principal: Principal, run_id: int, nik: str, rank: str, url: str | None
) -> targeting.Explanation:
    """Explain by NIK or by rank, whichever the officer gave (exactly one)."""
    nik, rank = nik.strip(), rank.strip()
    if bool(nik) == bool(rank):
        raise BadInput("tgt_explain_one")
    if rank:
        if not rank.isdigit():
            raise BadInput("tgt_rank_number")
        return targeting.explain_rank(principal=principal, run_id=run_id, rank=int(rank), url=url)
    return targeting.explain(principal=principal, run_id=run_id, nik=nik, url=url)


def explanation_rows(answer: targeting.Explanation, lang: str) -> list[dict[str, Any]]:
    """The explanation's priority keys side by side with the persons each put ahead."""
    values = {k["key"]: k["value"] for k in answer.keys}
    rows = []
    for item in answer.ahead:
        key = item["key"]
        rule = text.t("tgt_tie_break", lang) if key == "tie_break" else _pick(PRIORITY_KEYS[key][2:], lang)
        rows.append({"key": key, "rule": rule, "value": values.get(key), "ahead": item["persons_ahead"]})
    return rows


@router.post("/targeting/runs/{run_id}/explain", response_model=None)
def run_explain(request: Request, run_id: int, nik: str = Form(""), rank: str = Form("")) -> Response:
    def build(principal: Principal) -> Response:
        url, lang = store_url(request), lang_of(request)
        view = run_view(request, principal, run_id)
        typed = {"nik": nik, "rank": rank}
        try:
            answer = explain_answer(principal, run_id, nik, rank, url)
        except NotFound:
            raise
        except JaringError as refused:
            message = str(refused)
            shown = text.t(message, lang) if message in text.TEXT else message
            return _run_page(request, principal, view, status=422, problem=shown, typed=typed)
        reason = _pick(EXCLUSIONS[answer.reason], lang) if answer.reason in EXCLUSIONS else answer.reason
        return _run_page(
            request,
            principal,
            view,
            answer=answer,
            answer_rows=explanation_rows(answer, lang),
            reason=reason,
            typed={"nik": "", "rank": rank},
        )

    return guarded(request, "sponsor.read", build)


@router.get("/targeting/runs/{run_id}/explain", response_model=None)
def run_explain_again(request: Request, run_id: int) -> Response:
    # The explain answer's page links (exports, paging) are relative to the form's address:
    # a GET there goes back to the run page with the same query.
    query = urlencode([(k, v) for k, v in request.query_params.multi_items()])
    return RedirectResponse(f"/targeting/runs/{run_id}" + (f"?{query}" if query else ""), status_code=303)
