"""Members, their bills and payments, and the member card: the officer's view of one worker and
of a region's billing. Every figure comes from the services behind `/api/v1/members`,
`/api/v1/invoices`, `/api/v1/payments` and the coverage look-up, called with the signed-in
principal, so region scope, the masked NIK and a sponsor officer's narrower view hold exactly
as in the API."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response

from jaring.api.deps import store_url
from jaring.contributions import billing, coverage, payments
from jaring.kit import db
from jaring.kit.auth import Principal
from jaring.kit.errors import BadInput, JaringError, NotFound
from jaring.kit.periods import Month, PeriodError
from jaring.membership import numbers as numbers_of
from jaring.membership import service as membership
from jaring.sponsors import service as sponsors
from jaring.web import member_card, text
from jaring.web.render import day_param, guarded, lang_of, refusal_status, render
from jaring.web.tables import Column, Table, export, requested_export, table_links, wanted_export

router = APIRouter(include_in_schema=False)

# Each listed member costs a member and a coverage look-up: enough rows to browse, few enough
# to answer at once. A search narrows it.
LIST_LIMIT = 100
PAYMENTS_LIMIT = 100
INVOICES_LIMIT = 200

text.add({
    "mb_title": ("Peserta", "Members"),
    "mb_search": ("Cari nama atau nomor peserta", "Search by name or participant number"),
    "mb_search_button": ("Cari", "Search"),
    "mb_recent": ("Menampilkan {n} peserta terbaru. Cari untuk mempersempit.",
                  "Showing the {n} most recent members. Search to narrow it down."),
    "mb_found": ("Hasil pencarian (paling banyak {n}).", "Search results (at most {n})."),
    "mb_number": ("Nomor peserta", "Participant number"),
    "mb_name": ("Nama", "Name"),
    "mb_nik": ("NIK (disamarkan)", "NIK (masked)"),
    "mb_segment": ("Segmen", "Segment"),
    "mb_status": ("Status perlindungan", "Coverage status"),
    "mb_status_on": ("Status pada", "Status on"),
    "mb_payer": ("Pembayar", "Payer"),
    "mb_payer_self": ("Mandiri (peserta sendiri)", "Self (the member)"),
    "mb_identity": ("Identitas", "Identity"),
    "mb_birth_date": ("Tanggal lahir", "Birth date"),
    "mb_sex": ("Jenis kelamin", "Sex"),
    "mb_category": ("Kategori", "Category"),
    "mb_sector": ("Sektor", "Sector"),
    "mb_registered_on": ("Terdaftar sejak", "Registered on"),
    "mb_channel": ("Saluran pendaftaran", "Registered through"),
    "mb_terms": ("Ketentuan yang berlaku", "Terms in force"),
    "mb_income": ("Penghasilan yang dilaporkan", "Declared income"),
    "mb_programs": ("Program", "Programs"),
    "mb_terms_history": ("Riwayat ketentuan", "Terms over time"),
    "mb_from_month": ("Mulai bulan", "From month"),
    "mb_to_month": ("Sampai sebelum", "Until (exclusive)"),
    "mb_payer_record": ("Pembayar tercatat", "Payer of record"),
    "mb_payer_periods": ("Periode pemberi dana", "Sponsor periods"),
    "mb_no_sponsor": ("Tidak ada pemberi dana: peserta membayar sendiri.",
                      "No sponsor: the member pays."),
    "mb_coverage": ("Perlindungan", "Coverage"),
    "mb_paid_through": ("Lunas sampai", "Paid through"),
    "mb_months_in_arrears": ("Bulan menunggak", "Months in arrears"),
    "mb_lapses_on": ("Putus pada (bila tidak membayar)", "Lapses on (unless paid)"),
    "mb_first_paid_on": ("Pertama membayar", "First paid on"),
    "mb_card": ("Kartu peserta (PDF)", "Member card (PDF)"),
    "mb_bills": ("Tagihan", "Bills"),
    "mb_payments": ("Pembayaran", "Payments"),
    "mb_no_billing_role": ("Peran Anda tidak dapat melihat tagihan dan pembayaran.",
                           "Your role may not see bills and payments."),
    "mb_sponsor_payments": ("Pembayaran oleh pemberi dana tercatat pada tagihan (invoice) pemberi dana.",
                            "Payments by a sponsor are recorded against the sponsor's invoice."),
    "mb_month": ("Bulan", "Month"),
    "mb_invoice": ("Nomor tagihan pemberi dana", "Sponsor invoice"),
    "mb_relief": ("Keringanan", "Relief"),
    "mb_amount": ("Jumlah", "Amount"),
    "mb_paid": ("Dibayar", "Paid"),
    "mb_status_month_end": ("Status akhir bulan", "Status at month end"),
    "mb_payment_id": ("No. pembayaran", "Payment no."),
    "mb_paid_at": ("Tanggal bayar", "Paid on"),
    "mb_kind": ("Jenis", "Kind"),
    "mb_channel_pay": ("Kanal", "Channel"),
    "mb_allocated": ("Dialokasikan", "Allocated"),
    "mb_credit": ("Sisa (kredit)", "Left over (credit)"),
    "mb_months_paid": ("Bulan yang dibayar", "Months paid"),
    "mb_reference": ("Referensi", "Reference"),
    "mb_members_count": ("Jumlah peserta", "Members"),
    "mb_back": ("Kembali ke daftar peserta", "Back to the members"),
    "mb_st_active": ("Aktif", "Active"),
    "mb_st_arrears": ("Menunggak", "In arrears"),
    "mb_st_lapsed": ("Putus", "Lapsed"),
    "mb_st_not_started": ("Belum mulai (belum ada iuran lunas)", "Not started (nothing paid yet)"),
    "mb_kind_payment": ("Pembayaran", "Payment"),
    "mb_kind_reversal": ("Pembatalan", "Reversal"),
    "bl_title": ("Tagihan & pembayaran", "Bills & payments"),
    "bl_invoices": ("Tagihan pemberi dana (invoice)", "Sponsor invoices"),
    "bl_payments": ("Pembayaran terbaru", "Recent payments"),
    "bl_period": ("Periode (TTTT-BB)", "Period (YYYY-MM)"),
    "bl_sponsor": ("Pemberi dana", "Sponsor"),
    "bl_sponsor_code": ("Kode pemberi dana", "Sponsor code"),
    "bl_total": ("Total", "Total"),
    "bl_created": ("Diterbitkan", "Issued"),
    "bl_filter": ("Saring", "Filter"),
    "bl_invoices_limit": ("Menampilkan paling banyak {n} tagihan, periode terbaru dulu.",
                          "Showing at most {n} invoices, newest period first."),
    "bl_payments_limit": ("Menampilkan {n} pembayaran terbaru.", "Showing the {n} most recent payments."),
    "bl_self_note": ("Tagihan peserta yang membayar sendiri ada di halaman masing-masing peserta.",
                     "Self-paying members' bills are on each member's page."),
})  # fmt: skip

STATUS_KEYS = {
    coverage.ACTIVE: "mb_st_active",
    coverage.ARREARS: "mb_st_arrears",
    coverage.LAPSED: "mb_st_lapsed",
    coverage.NOT_STARTED: "mb_st_not_started",
}
MEMBER_COLUMNS = (
    Column("participant_number", "mb_number", link="/members/{participant_number}"),
    Column("name", "mb_name"),
    Column("nik_masked", "mb_nik"),
    Column("region_code", "region"),
    Column("segment", "mb_segment"),
    Column("status", "mb_status"),
    Column("payer", "mb_payer"),
)
BILL_COLUMNS = (
    Column("month", "mb_month"),
    Column("payer", "mb_payer"),
    Column("invoice_number", "mb_invoice"),
    Column("relief", "mb_relief", "rupiah"),
    Column("amount", "mb_amount", "rupiah"),
    Column("paid", "mb_paid", "rupiah"),
    Column("status_at_month_end", "mb_status_month_end"),
)
PAYMENT_COLUMNS = (
    Column("payment_id", "mb_payment_id", "int"),
    Column("paid_at", "mb_paid_at", "date"),
    Column("kind", "mb_kind"),
    Column("channel", "mb_channel_pay"),
    Column("reference", "mb_reference"),
    Column("amount", "mb_amount", "rupiah"),
    Column("allocated", "mb_allocated", "rupiah"),
    Column("credit", "mb_credit", "rupiah"),
    Column("months", "mb_months_paid"),
)
INVOICE_COLUMNS = (
    Column("number", "mb_invoice"),
    Column("sponsor_code", "bl_sponsor_code"),
    Column("sponsor_name", "bl_sponsor"),
    Column("period", "bl_period"),
    Column("region_code", "region"),
    Column("members", "mb_members_count", "int"),
    Column("total", "bl_total", "rupiah"),
    Column("created_at", "bl_created", "date"),
)


# ------------------------------------------------------------------ small helpers


def status_label(status: str, lang: str) -> str:
    return text.t(STATUS_KEYS.get(status, "mb_st_not_started"), lang)


def sponsor_names(view: membership.MemberView, url: str | None) -> dict[str, str]:
    """code → name of the sponsors that pay (or paid) for a member the principal has been
    shown: the API names them by code already, whatever region the sponsor is in."""
    with db.store(url).connect() as conn:
        found = sponsors.sponsors_in(conn, {p.sponsor_id for p in view.payers})
    return {s.code: s.name for s in found.values()}


def payer_on(view: membership.MemberView, on: date) -> membership.PayerPeriod | None:
    month = Month.of(on).first_day
    return next((p for p in view.payers if p.from_month <= month < p.to_month), None)


def payer_label(period: membership.PayerPeriod | None, names: dict[str, str], lang: str) -> str:
    if period is None:
        return text.t("mb_payer_self", lang)
    return names.get(period.sponsor_code, period.sponsor_code)


def _member_lookup(principal: Principal, number: str, url: str | None) -> membership.MemberView:
    # A mistyped number is answered like one outside the region: the 404 page.
    try:
        return membership.get_member(principal=principal, participant_number=number, url=url)
    except BadInput as error:
        raise NotFound("participant not found") from error


# ------------------------------------------------------------------ the members list


def payers_of(numbers: list[str], on: date, url: str | None, lang: str) -> dict[str, str]:
    """The payer of record in the month of `on` for each listed member: the sponsor's name, or
    the member. Only for numbers a scoped search has just returned (the `*_in` look-ups take
    no principal); one connection for the whole list instead of a member view per row."""
    month = Month.of(on).first_day
    with db.store(url).connect() as conn:
        paying = {n: membership.payer_in(conn, numbers_of.serial_of(n), month) for n in numbers}
        found = sponsors.sponsors_in(conn, {s for s in paying.values() if s is not None})
    self_paid = text.t("mb_payer_self", lang)
    return {
        n: self_paid if s is None else (found[s].name if s in found else str(s)) for n, s in paying.items()
    }


def member_rows(
    principal: Principal, found: list[membership.MemberSummary], on: date, url: str | None, lang: str
) -> list[dict[str, Any]]:
    """The list's rows: each member's status on `on` (the API's coverage look-up, in scope)
    and payer of record that month."""
    payers = payers_of([m.participant_number for m in found], on, url, lang)
    rows = []
    for summary in found:
        number = summary.participant_number
        cover = coverage.check(principal=principal, participant_number=number, on=on, url=url)
        rows.append(
            {**summary.to_json(), "status": status_label(cover.status, lang), "payer": payers[number]}
        )
    return rows


@router.get("/members", response_model=None)
def members_page(request: Request) -> Response:
    def build(principal: Principal) -> Response:
        lang = lang_of(request)
        url = store_url(request)
        query = (request.query_params.get("q") or "").strip()
        on = day_param(request) or date.today()
        table = Table("peserta", MEMBER_COLUMNS, id="members")
        problem = None
        status = 200
        try:
            found = membership.search_members(
                principal=principal, query=query or None, limit=LIST_LIMIT, newest_first=not query, url=url
            )
            table.rows = member_rows(principal, found, on, url, lang)
        except JaringError as error:
            problem, status = str(error), refusal_status(error)
        fmt = wanted_export(request)
        if fmt and problem is None:
            return export(table, fmt, lang)
        return render(
            request,
            "members_list.html",
            status=status,
            principal=principal,
            table=table,
            query=query,
            day=on,
            limit=LIST_LIMIT,
            problem=problem,
        )

    return guarded(request, "member.read", build)


# ------------------------------------------------------------------ one member


@dataclass
class MemberDetail:
    member: membership.MemberView
    cover: coverage.Coverage
    payer: str
    periods: list[tuple[membership.PayerPeriod, str]]
    tables: dict[str, Table] = field(default_factory=dict)

    @property
    def lapses_on(self) -> date | None:
        return date.fromisoformat(self.cover.lapses_on) if self.cover.lapses_on else None


def bill_rows(
    principal: Principal, number: str, url: str | None, lang: str, names: dict[str, str]
) -> list[dict[str, Any]]:
    """The member's charges month by month with what is paid of each and the status at the
    month's end as it was known then (coverage history)."""
    charged = billing.member_charges(principal=principal, participant_number=number, url=url)
    months = {r.month: r for r in coverage.history(principal=principal, participant_number=number, url=url)}
    rows = []
    for charge in charged.charges:
        month = str(charge.month)
        record = months.get(month)
        payer = text.t("mb_payer_self", lang)
        if charge.sponsor_code is not None:
            payer = names.get(charge.sponsor_code, charge.sponsor_code)
        rows.append(
            {
                "month": month,
                "payer": payer,
                "invoice_number": charge.invoice_number,
                "relief": charge.jkk_relief + charge.jkm_relief,
                "amount": charge.amount,
                "paid": None if record is None else record.paid,
                "status_at_month_end": None
                if record is None
                else status_label(record.status_at_month_end, lang),
            }
        )
    return rows


def payment_rows(found: list[payments.PaymentResult], lang: str) -> list[dict[str, Any]]:
    return [
        {
            "payment_id": p.payment_id,
            "paid_at": datetime.fromisoformat(p.paid_at),
            "kind": text.t(f"mb_kind_{p.kind}", lang) if f"mb_kind_{p.kind}" in text.TEXT else p.kind,
            "channel": p.channel,
            "reference": p.reference,
            "amount": p.amount,
            "allocated": p.allocated,
            "credit": p.credit,
            "months": ", ".join(p.months),
        }
        for p in found
    ]


def member_detail(principal: Principal, number: str, on: date, url: str | None, lang: str) -> MemberDetail:
    view = _member_lookup(principal, number, url)
    number = view.participant_number
    cover = coverage.check(principal=principal, participant_number=number, on=on, url=url)
    names = sponsor_names(view, url)
    detail = MemberDetail(
        member=view,
        cover=cover,
        payer=payer_label(payer_on(view, on), names, lang),
        periods=[(p, names.get(p.sponsor_code, p.sponsor_code)) for p in view.payers],
    )
    if principal.may("billing.read"):
        detail.tables["bills"] = Table(
            f"tagihan-{number}", BILL_COLUMNS, bill_rows(principal, number, url, lang, names), id="bills"
        )
    if principal.may("payment.read"):
        found = payments.list_payments(principal=principal, reference=number, limit=PAYMENTS_LIMIT, url=url)
        detail.tables["payments"] = Table(
            f"pembayaran-{number}", PAYMENT_COLUMNS, payment_rows(found, lang), id="payments"
        )
    return detail


@router.get("/members/{number}", response_model=None)
def member_page(request: Request, number: str) -> Response:
    def build(principal: Principal) -> Response:
        lang = lang_of(request)
        on = day_param(request) or date.today()
        detail = member_detail(principal, number, on, store_url(request), lang)
        if (file := requested_export(request, detail.tables, "bills")) is not None:
            return file
        return render(
            request,
            "members_detail.html",
            principal=principal,
            d=detail,
            day=on,
            table_requests={name: table_links(request, name) for name in detail.tables},
            status_label=lambda s: status_label(s, lang),
        )

    return guarded(request, "member.read", build)


# ------------------------------------------------------------------ the member card


def card_of(principal: Principal, number: str, on: date, url: str | None, lang: str) -> member_card.Card:
    view = _member_lookup(principal, number, url)
    cover = coverage.check(principal=principal, participant_number=view.participant_number, on=on, url=url)
    return member_card.Card(
        participant_number=view.participant_number,
        name=view.name,
        nik_masked=view.nik_masked,
        region_code=view.region_code,
        programs=tuple(p.upper() for p in view.programs),
        payer=payer_label(payer_on(view, on), sponsor_names(view, url), lang),
        status=status_label(cover.status, lang),
        paid_through=cover.paid_through,
        printed_on=on,
    )


@router.get("/members/{number}/card.pdf", response_model=None)
def member_card_pdf(request: Request, number: str) -> Response:
    def build(principal: Principal) -> Response:
        lang = lang_of(request)
        card = card_of(principal, number, date.today(), store_url(request), lang)
        return Response(
            member_card.render_pdf(card, lang),
            media_type="application/pdf",
            headers={"Content-Disposition": f'inline; filename="kartu-{card.participant_number}.pdf"'},
        )

    return guarded(request, "member.read", build)


# ------------------------------------------------------------------ bills and payments of the region


@dataclass
class BillsFilter:
    period: str = ""
    reference: str = ""

    def month(self) -> Month | None:
        return Month.parse(self.period) if self.period else None


def invoice_rows(found: list[billing.Invoice]) -> list[dict[str, Any]]:
    return [{**invoice.to_json(), "created_at": invoice.created_at} for invoice in found[:INVOICES_LIMIT]]


def bills_tables(principal: Principal, wanted: BillsFilter, url: str | None, lang: str) -> dict[str, Table]:
    try:
        period = wanted.month()
    except PeriodError as error:
        raise BadInput(str(error), field="period") from error
    found = billing.list_invoices(principal=principal, period=period, url=url)
    tables = {"invoices": Table("tagihan-pemberi-dana", INVOICE_COLUMNS, invoice_rows(found), id="invoices")}
    if principal.may("payment.read"):
        paid = payments.list_payments(
            principal=principal, reference=wanted.reference or None, limit=PAYMENTS_LIMIT, url=url
        )
        tables["payments"] = Table("pembayaran", PAYMENT_COLUMNS, payment_rows(paid, lang), id="payments")
    return tables


@router.get("/bills", response_model=None)
def bills_page(request: Request) -> Response:
    def build(principal: Principal) -> Response:
        lang = lang_of(request)
        wanted = BillsFilter(
            period=(request.query_params.get("period") or "").strip(),
            reference=(request.query_params.get("reference") or "").strip(),
        )
        tables: dict[str, Table] = {}
        problem, status = None, 200
        try:
            tables = bills_tables(principal, wanted, store_url(request), lang)
        except JaringError as error:
            problem, status = str(error), refusal_status(error)
        if problem is None and (file := requested_export(request, tables, "invoices")) is not None:
            return file
        return render(
            request,
            "bills_list.html",
            status=status,
            principal=principal,
            tables=tables,
            wanted=wanted,
            problem=problem,
            table_requests={name: table_links(request, name) for name in tables},
            invoices_limit=INVOICES_LIMIT,
            payments_limit=PAYMENTS_LIMIT,
        )

    return guarded(request, "billing.read", build)
