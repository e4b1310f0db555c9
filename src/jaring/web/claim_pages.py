"""The claims pages: the queue of the officer's region, one claim with its amounts, documents,
clock and workflow, the actions its status and the reader's role allow, and filing a claim.

Every page calls the same service functions as /api/v1/claims with the signed-in principal, so
region scope and maker-checker hold exactly as in the API: a claim of another region is the
404 page, and a refused action shows the service's own message on the claim page.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import RedirectResponse, Response

from jaring.api.deps import store_url
from jaring.claims import heirs, kinds, reports, service
from jaring.claims.payout_clock import WIB
from jaring.claims.states import (
    APPROVED,
    COMPLETE,
    OPEN,
    PARTLY_PAID,
    STATUSES,
    SUBMITTED,
    VERIFIED,
    status_label,
)
from jaring.claims.views import ClaimLine, ClaimView
from jaring.kit.auth import ROLE_LABELS, Principal
from jaring.kit.errors import BadInput, JaringError, NotFound
from jaring.membership.numbers import FIRST_SERIAL, LAST_SERIAL
from jaring.membership.numbers import participant_number as number_of
from jaring.rules.formulas.benefits import JHT_REASONS
from jaring.web import text
from jaring.web.render import guarded, lang_of, refusal_status, render
from jaring.web.tables import Column, Table, export, wanted_export

router = APIRouter(include_in_schema=False)

text.add({
    "claim_queue": ("Antrean klaim", "Claims queue"),
    "claim_no": ("No. klaim", "Claim no."),
    "claim_type": ("Jenis klaim", "Claim type"),
    "claim_participant": ("No. peserta", "Participant no."),
    "claim_event_date": ("Tanggal kejadian", "Event date"),
    "claim_status": ("Status", "Status"),
    "claim_amount": ("Jumlah manfaat", "Benefit amount"),
    "claim_due_on": ("Batas bayar", "Payout deadline"),
    "claim_filed_at": ("Diajukan", "Filed"),
    "claim_all": ("Semua", "All"),
    "claim_filter": ("Saring", "Filter"),
    "claim_new": ("Ajukan klaim", "File a claim"),
    "claim_title": ("Klaim", "Claim"),
    "claim_member": ("Peserta", "Member"),
    "claim_program": ("Program", "Program"),
    "claim_report": ("Laporan kecelakaan tahap I", "Stage-I accident report"),
    "claim_claimant": ("Pemohon", "Claimant"),
    "claim_heirs": ("Ahli waris yang diketahui", "Known heirs"),
    "claim_details": ("Rincian", "Details"),
    "claim_amounts": ("Manfaat yang diputuskan", "Benefits decided"),
    "claim_component": ("Komponen", "Component"),
    "claim_sum": ("Jumlah", "Amount"),
    "claim_reference": ("Dasar hukum", "Legal basis"),
    "claim_total": ("Total", "Total"),
    "claim_now": ("Dibayar segera", "Payable now"),
    "claim_rest": ("Menunggu tunggakan dilunasi", "Waiting for the arrears"),
    "claim_rules_date": ("Aturan yang berlaku pada", "Rules in force on"),
    "claim_no_amounts": ("Belum ada perhitungan manfaat.", "No benefit calculated."),
    "claim_assessment": ("Penilaian", "Assessment"),
    "claim_coverage": ("Kepesertaan pada tanggal kejadian", "Coverage on the event date"),
    "claim_arrears": ("Bulan menunggak", "Months in arrears"),
    "claim_contribution_months": ("Bulan iuran", "Contribution months"),
    "claim_window": ("Batas pengajuan klaim", "Claim window closes"),
    "claim_documents": ("Dokumen", "Documents"),
    "claim_received": ("diterima", "received"),
    "claim_missing": ("belum ada", "missing"),
    "claim_receive": ("Catat dokumen diterima", "Record documents received"),
    "claim_clock": ("Jam pembayaran", "Payout clock"),
    "claim_complete_at": ("Dokumen lengkap", "Documents complete"),
    "claim_working_days": ("hari kerja", "working days"),
    "claim_overdue": ("Terlambat", "Late"),
    "claim_days": ("hari", "days"),
    "claim_compensation_so_far": ("Kompensasi keterlambatan sejauh ini", "Late compensation so far"),
    "claim_paid_on": ("Dibayar", "Paid"),
    "claim_late_days": ("Hari terlambat", "Days late"),
    "claim_clock_not_started": ("Jam berjalan setelah dokumen lengkap.",
                                "The clock starts when the documents are complete."),
    "claim_timeline": ("Riwayat", "History"),
    "claim_step_filed": ("Diajukan", "Filed"),
    "claim_step_complete": ("Dokumen lengkap", "Documents complete"),
    "claim_step_verified": ("Diverifikasi", "Verified"),
    "claim_step_approved": ("Disetujui", "Approved"),
    "claim_step_paid": ("Dibayar", "Paid"),
    "claim_step_rejected": ("Ditolak", "Rejected"),
    "claim_by": ("oleh", "by"),
    "claim_recorded_by": ("Dicatat oleh", "Recorded by"),
    "claim_payouts": ("Pembayaran", "Payouts"),
    "claim_part": ("Bagian", "Part"),
    "claim_part_now": ("segera", "now"),
    "claim_part_rest": ("sisa", "rest"),
    "claim_benefit": ("Manfaat", "Benefit"),
    "claim_compensation": ("Kompensasi", "Compensation"),
    "claim_paid_amount": ("Dibayarkan", "Paid out"),
    "claim_transfer_ref": ("Referensi transfer", "Transfer reference"),
    "claim_rejection": ("Penolakan", "Rejection"),
    "claim_reason": ("Alasan", "Reason"),
    "claim_duplicate_of": ("Duplikat dari klaim", "Duplicate of claim"),
    "claim_actions": ("Tindakan", "Actions"),
    "claim_verify": ("Verifikasi", "Verify"),
    "claim_approve": ("Setujui", "Approve"),
    "claim_reject": ("Tolak", "Reject"),
    "claim_pay": ("Catat pembayaran", "Record the payout"),
    "claim_pay_date": ("Tanggal bayar (kosong = hari ini)", "Payout date (empty = today)"),
    "claim_no_actions": ("Tidak ada tindakan untuk peran Anda pada status ini.",
                         "Nothing for your role to do at this status."),
    "claim_you_verified": ("Anda memverifikasi klaim ini: persetujuan harus oleh orang lain (maker-checker).",
                           "You verified this claim: someone else must approve it (maker-checker)."),
    "claim_done_filed": ("Klaim diajukan.", "The claim is filed."),
    "claim_done_documents": ("Dokumen dicatat.", "The documents are recorded."),
    "claim_done_verified": ("Klaim diverifikasi.", "The claim is verified."),
    "claim_done_approved": ("Klaim disetujui.", "The claim is approved."),
    "claim_done_rejected": ("Klaim ditolak.", "The claim is rejected."),
    "claim_done_paid": ("Pembayaran dicatat.", "The payout is recorded."),
    "claim_done_reported": ("Laporan kecelakaan dicatat; nomornya sudah diisi di bawah.",
                            "The accident report is recorded; its number is filled in below."),
    "claim_choose_type": ("Pilih jenis klaim", "Choose the claim type"),
    "claim_choose": ("Pilih", "Choose"),
    "claim_participant_or_id": ("No. peserta (11 digit) atau ID peserta",
                                "Participant no. (11 digits) or member id"),
    "claim_report_id": ("No. laporan kecelakaan", "Accident report no."),
    "claim_documents_given": ("Dokumen yang diserahkan", "Documents handed in"),
    "claim_claimant_relationship": ("Hubungan pemohon", "Claimant's relationship"),
    "claim_claimant_name": ("Nama pemohon", "Claimant's name"),
    "claim_submit": ("Ajukan", "File"),
    "claim_report_new": ("Laporkan kecelakaan kerja (tahap I)", "Report a work accident (stage I)"),
    "claim_accident_at": ("Waktu kecelakaan (WIB)", "When it happened (WIB)"),
    "claim_reporter": ("Pelapor", "Reporter"),
    "claim_report_kind": ("Jenis", "Kind"),
    "claim_report_submit": ("Catat laporan", "Record the report"),
    "claim_field": ("Isian", "Field"),
    "claim_not_a_date": ("bukan tanggal (TTTT-BB-HH)", "is not a date (YYYY-MM-DD)"),
    "claim_not_a_number": ("bukan nomor", "is not a number"),
    "claim_rules_actor": ("Jaring (aturan)", "Jaring (the rules)"),
})  # fmt: skip

# What each claim type asks for beyond the event date (kinds.read_details checks the values).
DETAIL_FIELDS: dict[str, tuple[tuple[str, str], str]] = {
    "cost": (("Biaya (Rp)", "Cost (Rp)"), "number"),
    "invoice": (("No. kuitansi", "Invoice no."), "text"),
    "mode": (("Moda (darat, laut, udara)", "Mode (darat, laut, udara)"), "text"),
    "months": (("Bulan tidak mampu bekerja", "Months unable to work"), "number"),
    "percent": (("Persentase cacat", "Disability percent"), "text"),
    "function_loss_percent": (("Persentase kehilangan fungsi", "Function loss percent"), "text"),
    "wage": (("Upah (Rp)", "Wage (Rp)"), "number"),
    "reason": (("Alasan JHT", "JHT reason"), "text"),
    "return_amount": (("Hasil pengembangan (Rp)", "Returns (Rp)"), "number"),
    "contribution_months": (("Bulan iuran", "Contribution months"), "number"),
    "consecutive_months": (("Bulan iuran berturut-turut", "Consecutive months"), "number"),
    "parent_claim": (("No. klaim induk", "Parent claim no."), "number"),
    "child_order": (("Anak ke-", "Child order"), "number"),
    "child_birth_date": (("Tanggal lahir anak", "Child's birth date"), "date"),
    "level": (("Jenjang (TK-SD, SMP, SMA, PT)", "Level (TK-SD, SMP, SMA, PT)"), "text"),
    "school_year": (("Tahun ajaran", "School year"), "number"),
}
KIND_FIELDS: dict[str, tuple[str, ...]] = {
    "jkk_medical": ("cost", "invoice"),
    "jkk_transport": ("mode", "cost", "invoice"),
    "jkk_stmb": ("months", "wage"),
    "jkk_disability": ("percent", "function_loss_percent", "wage"),
    "jkk_death": ("wage",),
    "jkm_death": (),
    "jht": ("reason", "return_amount"),
    "jkp": ("wage", "contribution_months", "consecutive_months"),
    "pmi_jkm": (),
    "scholarship": ("parent_claim", "child_order", "child_birth_date", "level", "school_year"),
}
MONEY_DETAILS = ("cost", "wage", "return_amount")
RELATIONSHIP_LABELS: dict[str, tuple[str, str]] = {
    "spouse": ("suami/istri", "widow/widower"),
    "child": ("anak", "child"),
    "parent": ("orang tua", "parent"),
    "grandchild": ("cucu", "grandchild"),
    "grandparent": ("kakek/nenek", "grandparent"),
    "sibling": ("saudara kandung", "sibling"),
    "parent_in_law": ("mertua", "parent-in-law"),
    "testamentary": ("ahli waris wasiat", "testamentary heir"),
    "funeral_handler": ("pengurus pemakaman", "funeral handler"),
}
COVERAGE_LABELS: dict[str, tuple[str, str]] = {
    "active": ("aktif", "active"),
    "arrears": ("menunggak 1-3 bulan", "1-3 months in arrears"),
    "lapsed": ("putus (menunggak lebih dari 3 bulan)", "lapsed (more than 3 months in arrears)"),
    "not_started": ("belum terlindungi (belum ada iuran lunas)", "not covered (no contribution paid yet)"),
}
# The form's own words for the fields the service names when it refuses input.
FIELD_LABELS: dict[str, str] = {
    "participant_number": "claim_participant_or_id",
    "event_date": "claim_event_date",
    "report_id": "claim_report_id",
    "kind": "claim_type",
    "claimant": "claim_claimant",
    "claimant.relationship": "claim_claimant_relationship",
    "claimant.name": "claim_claimant_name",
    "heirs": "claim_heirs",
    "documents": "claim_documents_given",
    "codes": "claim_documents",
    "reason": "claim_reason",
    "transfer_ref": "claim_transfer_ref",
    "paid_on": "claim_pay_date",
    "accident_at": "claim_accident_at",
    "reporter": "claim_reporter",
}
DONE = ("filed", "documents", "verified", "approved", "rejected", "paid", "reported")
QUEUE_COLUMNS = (
    Column("id", "claim_no", link="/claims/{id}"),
    Column("kind_label", "claim_type"),
    Column("participant_number", "claim_participant"),
    Column("region_code", "region"),
    Column("event_date", "claim_event_date", "date"),
    Column("status_label", "claim_status"),
    Column("amount_total", "claim_amount", "rupiah"),
    Column("due_on", "claim_due_on", "date"),
    Column("filed_at", "claim_filed_at", "date"),
)


def form_field(field: str | None) -> str | None:
    """The form input a service's field name points at: details.cost → cost, heirs[2] → heirs."""
    if not field:
        return None
    name = field.split("[")[0]
    if name.startswith("details."):
        return name.removeprefix("details.")
    return {
        "participant_number": "participant",
        "claimant.relationship": "claimant_relationship",
        "claimant.name": "claimant_name",
        "codes": "documents",
    }.get(name, name)


def field_label(field: str, lang: str) -> str:
    """The label the reader saw on the form for a field the service names."""
    name = field.split("[")[0]
    index = 1 if lang == "en" else 0
    detail = DETAIL_FIELDS.get(name.removeprefix("details."))
    if name.startswith("details.") and detail is not None:
        return detail[0][index]
    return text.t(FIELD_LABELS[name], lang) if name in FIELD_LABELS else field


def problem_text(error: JaringError, lang: str) -> str:
    """The service's message, after the name of the field at fault as the form labels it."""
    field = getattr(error, "field", None)
    return f"{field_label(field, lang)}: {error}" if field else str(error)


def labelled(pairs: Mapping[str, tuple[str, str]], code: str | None, lang: str) -> str:
    pair = pairs.get(code or "")
    return (pair[1] if lang == "en" else pair[0]) if pair else (code or "–")


def detail_rows(details: Mapping[str, Any], lang: str) -> list[tuple[str, str]]:
    """The claim's details under the form's labels, amounts in Rupiah."""
    rows = []
    for key, value in details.items():
        label = DETAIL_FIELDS[key][0][1 if lang == "en" else 0] if key in DETAIL_FIELDS else key
        shown = text.rupiah(int(value), lang) if key in MONEY_DETAILS and value is not None else str(value)
        rows.append((label, shown))
    return rows


def _done(request: Request) -> str | None:
    # Only a word of ours: the notice never echoes what the address says.
    done = request.query_params.get("done")
    return f"claim_done_{done}" if done in DONE else None


# ------------------------------------------------------------------ the queue


@dataclass(frozen=True)
class QueueFilter:
    status: str | None
    kind: str | None
    participant: str | None

    @classmethod
    def of(cls, params: Mapping[str, str]) -> QueueFilter:
        def pick(name: str) -> str | None:
            return (params.get(name) or "").strip() or None

        return cls(pick("status"), pick("kind"), pick("participant"))


def queue_rows(lines: list[ClaimLine], wanted: QueueFilter, lang: str) -> list[dict[str, Any]]:
    """The service's lines as table rows, narrowed to the claim type asked for (the service
    filters by status and member; the type is narrowed here, within what it returned)."""
    index = 1 if lang == "en" else 0
    rows = []
    for line in lines:
        if wanted.kind is not None and line.kind != wanted.kind:
            continue
        kind = kinds.KINDS.get(line.kind)
        rows.append({
            "id": line.id,
            "kind_label": kind.label[index] if kind else line.kind,
            "participant_number": line.participant_number,
            "region_code": line.region_code,
            "event_date": date.fromisoformat(line.event_date),
            "status_label": status_label(line.status, lang),
            "amount_total": line.amount_total,
            "due_on": date.fromisoformat(line.due_on) if line.due_on else None,
            "filed_at": datetime.fromisoformat(line.filed_at).astimezone(WIB),
        })  # fmt: skip
    return rows


def _queue(request: Request, principal: Principal) -> Response:
    lang = lang_of(request)
    wanted = QueueFilter.of(request.query_params)
    table = Table("klaim", QUEUE_COLUMNS, id="claims")
    problem, status = None, 200
    try:
        if wanted.kind is not None and wanted.kind not in kinds.KINDS:
            kinds.kind_of(wanted.kind)  # raises, naming the types there are
        lines = service.list_claims(
            principal=principal,
            status=wanted.status,
            participant_number=participant_of(wanted.participant) if wanted.participant else None,
            limit=service.MAX_LIST,
            url=store_url(request),
        )
        table.rows = queue_rows(lines, wanted, lang)
    except JaringError as error:
        problem, status = problem_text(error, lang), refusal_status(error)
    fmt = wanted_export(request)
    if fmt is not None and problem is None:
        return export(table, fmt, lang)
    return render(
        request, "claims_queue.html", status=status, principal=principal, table=table, wanted=wanted,
        statuses=[(s, status_label(s, lang)) for s in STATUSES], kinds=_kind_choices(lang), problem=problem,
    )  # fmt: skip


def _kind_choices(lang: str) -> list[tuple[str, str]]:
    return [(k.code, k.label[1 if lang == "en" else 0]) for k in kinds.KINDS.values()]


@router.get("/claims", response_model=None)
def claims_queue(request: Request) -> Response:
    return guarded(request, "claim.read", lambda principal: _queue(request, principal))


# ------------------------------------------------------------------ filing


def participant_of(raw: str) -> str:
    """A participant number as typed, or the one of a member id (its serial)."""
    typed = raw.strip()
    if typed.isdigit() and len(typed) <= 10 and FIRST_SERIAL <= int(typed) <= LAST_SERIAL:
        return number_of(int(typed))
    if not typed:
        raise BadInput("give the participant number or the member id", field="participant_number")
    return typed


def _day(raw: str, field: str, lang: str) -> date | None:
    typed = raw.strip()
    if not typed:
        return None
    try:
        return date.fromisoformat(typed)
    except ValueError:
        raise BadInput(f"{typed!r} {text.t('claim_not_a_date', lang)}", field=field) from None


def _whole_number(raw: str, field: str, lang: str) -> int | None:
    typed = raw.strip()
    if not typed:
        return None
    if not typed.isdigit() or len(typed) > 10:
        raise BadInput(f"{typed!r} {text.t('claim_not_a_number', lang)}", field=field)
    return int(typed)


@dataclass(frozen=True)
class Filing:
    """A filing form as typed: single values, and the repeated ones (documents, heirs)."""

    values: dict[str, str]
    documents: list[str]
    heirs: list[str]

    def get(self, name: str) -> str:
        return self.values.get(name, "")


async def _filing_of(request: Request) -> Filing:
    form = await request.form()
    values = {k: str(v) for k, v in form.items() if k not in ("documents", "heirs")}
    return Filing(
        values,
        [str(v) for v in form.getlist("documents")],
        [str(v) for v in form.getlist("heirs")],
    )


def file_from_form(principal: Principal, filing: Filing, url: str | None, lang: str) -> ClaimView:
    """The claim the form describes, filed through the service; a detail the claim type does
    not take is left out, a typed value the service refuses names its field."""
    kind = kinds.kind_of(filing.get("kind"))
    details = {key: filing.get(key).strip() for key in KIND_FIELDS[kind.code] if filing.get(key).strip()}
    death = kinds.claimed_by_heirs(kind, details)
    relationship, name = filing.get("claimant_relationship").strip(), filing.get("claimant_name").strip()
    claimant = {"relationship": relationship, "name": name} if death or relationship or name else None
    return service.file_claim(
        principal=principal,
        participant_number=participant_of(filing.get("participant")),
        kind=kind.code,
        event_date=_day(filing.get("event_date"), "event_date", lang),
        report_id=_whole_number(filing.get("report_id"), "report_id", lang) if kind.needs_report else None,
        details=details,
        claimant=claimant,
        heirs_known=filing.heirs if death else None,
        documents=filing.documents,
        url=url,
        language=lang,
    )


def _filing_page(
    request: Request, principal: Principal, filing: Filing, *, problem: JaringError | None = None
) -> Response:
    lang = lang_of(request)
    kind = kinds.KINDS.get(filing.get("kind"))
    index = 1 if lang == "en" else 0
    documents: tuple[str, ...] = ()
    if kind is not None:
        documents = kind.documents + (
            tuple(d for extra in kinds.JHT_DOCUMENTS.values() for d in extra) if kind.code == "jht" else ()
        )
    return render(
        request,
        "claims_new.html",
        status=refusal_status(problem) if problem else 200,
        principal=principal,
        filing=filing,
        kind=kind,
        kinds=_kind_choices(lang),
        detail_fields=[
            (key, DETAIL_FIELDS[key][0][index], DETAIL_FIELDS[key][1])
            for key in (KIND_FIELDS[kind.code] if kind else ())
        ],
        documents=[(code, kinds.DOCUMENTS[code][index]) for code in dict.fromkeys(documents)],
        relationships=[(r, labelled(RELATIONSHIP_LABELS, r, lang)) for r in heirs.RELATIONSHIPS],
        jht_reasons=JHT_REASONS,
        reporters=reports.REPORTERS,
        report_kinds=reports.REPORT_KINDS,
        problem=problem_text(problem, lang) if problem else None,
        bad_field=form_field(getattr(problem, "field", None)) if problem else None,
        notice=_done(request),
    )


@router.get("/claims/new", response_model=None)
def new_claim(request: Request) -> Response:
    filing = Filing(dict(request.query_params), [], [])
    return guarded(request, "claim.file", lambda principal: _filing_page(request, principal, filing))


@router.post("/claims", response_model=None)
async def file_claim(request: Request) -> Response:
    filing = await _filing_of(request)
    url, lang = store_url(request), lang_of(request)

    def build(principal: Principal) -> Response:
        try:
            view = file_from_form(principal, filing, url, lang)
        except JaringError as error:
            # A member nobody has (or of another region) is a problem with what was typed here.
            return _filing_page(request, principal, filing, problem=error)
        return RedirectResponse(f"/claims/{view.id}?done=filed", status_code=303)

    return await _in_thread(request, "claim.file", build)


@router.post("/claims/reports", response_model=None)
async def report_accident(request: Request) -> Response:
    """A stage-I report, so a JKK claim can follow it from the same page."""
    filing = await _filing_of(request)
    url, lang = store_url(request), lang_of(request)

    def build(principal: Principal) -> Response:
        try:
            participant = participant_of(filing.get("participant"))
            at = filing.get("accident_at").strip()
            report = reports.report_accident(
                principal=principal,
                participant_number=participant,
                accident_at=_moment(at, lang),
                reporter=filing.get("reporter"),
                kind=filing.get("report_kind") or "accident",
                url=url,
            )
        except JaringError as error:
            return _filing_page(request, principal, filing, problem=error)
        query = {
            "kind": filing.get("kind"),
            "participant": participant,
            "report_id": report.id,
            "done": "reported",
        }
        return RedirectResponse(f"/claims/new?{urlencode(query)}", status_code=303)

    return await _in_thread(request, "claim.file", build)


def _moment(raw: str, lang: str) -> datetime:
    try:
        return datetime.fromisoformat(raw)
    except ValueError:
        raise BadInput(f"{raw!r} {text.t('claim_not_a_date', lang)}", field="accident_at") from None


async def _in_thread(request: Request, permission: str, build: Callable[[Principal], Response]) -> Response:
    # The form is read on the event loop; the service's blocking work runs in the thread pool.
    return await run_in_threadpool(guarded, request, permission, build)


# ------------------------------------------------------------------ one claim


def actor_label(actor: str | None, lang: str) -> str:
    """'claims_officer:andi' → 'andi (Petugas klaim)'."""
    if not actor:
        return "–"
    if actor == "jaring:rules":
        return text.t("claim_rules_actor", lang)
    role, _, name = actor.partition(":")
    labels = ROLE_LABELS.get(role)
    return f"{name} ({labels[1 if lang == 'en' else 0]})" if labels and name else actor


def moment_text(iso: str | None, lang: str) -> str:
    """An ISO moment as the reader's date and the WIB time."""
    if not iso:
        return "–"
    moment = datetime.fromisoformat(iso).astimezone(WIB)
    return f"{text.long_date(moment.date(), lang)} {moment:%H:%M} WIB"


def timeline(view: ClaimView) -> list[dict[str, Any]]:
    """The steps the claim has been through, in order: filed, documents complete, verified,
    approved, each payout, or rejected."""
    flow = view.workflow
    steps = [{"step": "filed", "at": flow["filed_at"], "by": flow["filed_by"]}]
    if view.clock.get("documents_complete_at"):
        steps.append({"step": "complete", "at": view.clock["documents_complete_at"], "by": None})
    if flow.get("verified_at"):
        steps.append({"step": "verified", "at": flow["verified_at"], "by": flow["verified_by"]})
    if flow.get("approved_at"):
        steps.append({"step": "approved", "at": flow["approved_at"], "by": flow["approved_by"]})
    for payout in view.payouts:
        steps.append({"step": "paid", "day": payout["paid_on"], "by": payout["recorded_by"]})
    if view.rejection:
        steps.append({"step": "rejected", "at": view.rejection["at"], "by": view.rejection["by"]})
    return steps


def actions(principal: Principal, view: ClaimView) -> dict[str, bool]:
    """The forms shown: what the role may do at the claim's status (the service decides)."""
    return {
        "documents": principal.may("claim.file") and view.status == SUBMITTED,
        "verify": principal.may("claim.verify") and view.status == COMPLETE,
        "reject": principal.may("claim.verify") and view.status in OPEN,
        "approve": principal.may("claim.approve") and view.status == VERIFIED,
        "pay": principal.may("claim.pay") and view.status in (APPROVED, PARTLY_PAID),
    }


def claim_number(raw: str) -> int:
    # Anything but a claim number is a claim that does not exist: the same 404 page.
    if not raw.isdigit() or not 1 <= int(raw) <= 2_147_483_647:
        raise NotFound(f"claim {raw} not found")
    return int(raw)


def _claim_page(
    request: Request,
    principal: Principal,
    claim_id: int,
    *,
    problem: JaringError | None = None,
    typed: Mapping[str, Any] | None = None,
) -> Response:
    lang = lang_of(request)
    view = service.get_claim(principal=principal, claim_id=claim_id, url=store_url(request), language=lang)
    return render(
        request,
        "claims_detail.html",
        status=refusal_status(problem) if problem else 200,
        principal=principal,
        view=view,
        steps=timeline(view),
        can=actions(principal, view),
        you_verified=view.workflow.get("verified_by") == principal.actor,
        actor=lambda actor: actor_label(actor, lang),
        when=lambda iso: moment_text(iso, lang),
        day=lambda iso: text.long_date(date.fromisoformat(iso), lang) if iso else "–",
        problem=problem_text(problem, lang) if problem else None,
        notice=_done(request),
        typed=typed or {},
        details=detail_rows(view.details, lang),
        relationship=lambda code: labelled(RELATIONSHIP_LABELS, code, lang),
        coverage=lambda code: labelled(COVERAGE_LABELS, code, lang),
    )


@router.get("/claims/{claim_id}", response_model=None)
def claim_page(request: Request, claim_id: str) -> Response:
    return guarded(
        request, "claim.read", lambda principal: _claim_page(request, principal, claim_number(claim_id))
    )


Action = Callable[[Principal, int, Mapping[str, Any], str | None, str], ClaimView]


async def _act(request: Request, raw_id: str, permission: str, done: str, action: Action) -> Response:
    """Run one workflow step; back to the claim with a notice, or the claim page again with
    the service's refusal and what was typed, nothing changed."""
    form = await request.form()
    typed: dict[str, Any] = {k: str(v) for k, v in form.items()}
    typed["codes"] = [str(v) for v in form.getlist("codes")]
    url, lang = store_url(request), lang_of(request)

    def build(principal: Principal) -> Response:
        claim_id = claim_number(raw_id)
        try:
            action(principal, claim_id, typed, url, lang)
        except NotFound:
            raise  # another region's claim: the 404 page, as for one that does not exist
        except JaringError as error:
            return _claim_page(request, principal, claim_id, problem=error, typed=typed)
        return RedirectResponse(f"/claims/{claim_id}?done={done}", status_code=303)

    return await _in_thread(request, permission, build)


@router.post("/claims/{claim_id}/documents", response_model=None)
async def receive_documents(request: Request, claim_id: str) -> Response:
    def act(
        principal: Principal, number: int, form: Mapping[str, Any], url: str | None, lang: str
    ) -> ClaimView:
        return service.receive_documents(
            principal=principal, claim_id=number, codes=form["codes"], url=url, language=lang
        )

    return await _act(request, claim_id, "claim.file", "documents", act)


@router.post("/claims/{claim_id}/verify", response_model=None)
async def verify(request: Request, claim_id: str) -> Response:
    def act(
        principal: Principal, number: int, _form: Mapping[str, Any], url: str | None, lang: str
    ) -> ClaimView:
        return service.verify(principal=principal, claim_id=number, url=url, language=lang)

    return await _act(request, claim_id, "claim.verify", "verified", act)


@router.post("/claims/{claim_id}/approve", response_model=None)
async def approve(request: Request, claim_id: str) -> Response:
    def act(
        principal: Principal, number: int, _form: Mapping[str, Any], url: str | None, lang: str
    ) -> ClaimView:
        return service.approve(principal=principal, claim_id=number, url=url, language=lang)

    return await _act(request, claim_id, "claim.approve", "approved", act)


@router.post("/claims/{claim_id}/reject", response_model=None)
async def reject(request: Request, claim_id: str) -> Response:
    def act(
        principal: Principal, number: int, form: Mapping[str, Any], url: str | None, lang: str
    ) -> ClaimView:
        reason = str(form.get("reason", ""))
        return service.reject(principal=principal, claim_id=number, reason=reason, url=url, language=lang)

    return await _act(request, claim_id, "claim.verify", "rejected", act)


@router.post("/claims/{claim_id}/pay", response_model=None)
async def pay(request: Request, claim_id: str) -> Response:
    def act(
        principal: Principal, number: int, form: Mapping[str, Any], url: str | None, lang: str
    ) -> ClaimView:
        return service.pay(
            principal=principal,
            claim_id=number,
            transfer_ref=str(form.get("transfer_ref", "")),
            paid_on=_day(str(form.get("paid_on", "")), "paid_on", lang),
            url=url,
            language=lang,
        )

    return await _act(request, claim_id, "claim.pay", "paid", act)
