"""A printable sponsor invoice for one month, as billing has it: the sponsor, the month, the
members billed, the premium per person, the total in Rupiah and the billed charges.

Core Helvetica only (no font files to ship), so every text is made latin-1 safe. The PDF is
written uncompressed: an invoice is small, and its text stays searchable by simple tools."""

from __future__ import annotations

from collections import Counter
from datetime import date

from fpdf import FPDF
from fpdf.enums import XPos, YPos

from jaring.contributions.billing import InvoiceDetail, InvoiceLine
from jaring.sponsors.service import Sponsor
from jaring.web import text
from jaring.web.pdf_text import latin1

MAX_LINES = 2000  # charges listed one by one; a larger invoice lists the first ones and says so
LINE_COLUMNS = (
    ("pdf_participant", 44),
    ("region", 30),
    ("pdf_jkk", 22),
    ("pdf_jkm", 22),
    ("pdf_jht", 22),
    ("pdf_relief", 24),
    ("pdf_amount", 26),
)

text.add(
    {
        "pdf_title": ("TAGIHAN IURAN PEMBERI DANA", "SPONSOR CONTRIBUTION INVOICE"),
        "pdf_number": ("Nomor tagihan", "Invoice number"),
        "pdf_sponsor": ("Pemberi dana", "Sponsor"),
        "pdf_month": ("Bulan iuran", "Contribution month"),
        "pdf_members": ("Jumlah peserta", "Number of members"),
        "pdf_premium": ("Iuran per orang per bulan", "Premium per person per month"),
        "pdf_total": ("Total tagihan", "Total due"),
        "pdf_charges": ("Rincian iuran yang ditagihkan", "Billed charges"),
        "pdf_participant": ("No. peserta", "Participant no."),
        "pdf_jkk": ("JKK", "JKK"),
        "pdf_jkm": ("JKM", "JKM"),
        "pdf_jht": ("JHT", "JHT"),
        "pdf_relief": ("Keringanan", "Relief"),
        "pdf_amount": ("Jumlah", "Amount"),
        "pdf_more": (
            "... dan {n} baris lagi (lihat ekspor tagihan)",
            "... and {n} more lines (see the invoice export)",
        ),
        "pdf_control": ("Total kendali dari rincian", "Control totals from the charges"),
        "pdf_balanced": ("sesuai", "balanced"),
        "pdf_unbalanced": ("TIDAK SESUAI", "NOT BALANCED"),
        "pdf_printed": ("Dicetak", "Printed"),
    }
)


def premium_text(lines: list[InvoiceLine], lang: str) -> str:
    """One amount when every member pays the same, else each amount with its count."""
    counts = Counter(line.amount for line in lines)
    if not counts:
        return "-"
    if len(counts) == 1:
        return text.rupiah(next(iter(counts)), lang)
    return "; ".join(f"{text.number(n, lang)} x {text.rupiah(a, lang)}" for a, n in sorted(counts.items()))


def _pair(pdf: FPDF, label: str, value: str, bold: bool = False) -> None:
    pdf.set_font("Helvetica", "", 10)
    pdf.cell(60, 7, latin1(label), new_x=XPos.RIGHT, new_y=YPos.TOP)
    pdf.set_font("Helvetica", "B" if bold else "", 11 if bold else 10)
    pdf.cell(0, 7, latin1(value), new_x=XPos.LMARGIN, new_y=YPos.NEXT)


def _charges(pdf: FPDF, lines: list[InvoiceLine], lang: str) -> None:
    pdf.set_font("Helvetica", "B", 8)
    for key, width in LINE_COLUMNS:
        pdf.cell(width, 6, latin1(text.t(key, lang)), border="B", align="L" if width > 28 else "R")
    pdf.ln()
    pdf.set_font("Helvetica", "", 8)
    for line in lines[:MAX_LINES]:
        relief = line.jkk_relief + line.jkm_relief
        cells = (
            line.participant_number,
            line.region_code,
            text.number(line.jkk, lang),
            text.number(line.jkm, lang),
            text.number(line.jht, lang),
            text.number(relief, lang),
            text.number(line.amount, lang),
        )
        for (_, width), value in zip(LINE_COLUMNS, cells, strict=True):
            pdf.cell(width, 5, latin1(value), align="L" if width > 28 else "R")
        pdf.ln()
    if len(lines) > MAX_LINES:
        pdf.cell(0, 6, latin1(text.t("pdf_more", lang).format(n=text.number(len(lines) - MAX_LINES, lang))))
        pdf.ln()


def invoice_pdf(detail: InvoiceDetail, sponsor: Sponsor, lang: str, printed: date | None = None) -> bytes:
    invoice = detail.invoice
    pdf = FPDF(format="A4")
    pdf.set_compression(False)
    pdf.set_title(latin1(f"{invoice.number} {sponsor.name}"))
    pdf.set_auto_page_break(True, margin=15)
    pdf.add_page()
    pdf.set_font("Helvetica", "B", 14)
    pdf.cell(0, 10, latin1(text.t("pdf_title", lang)), new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.ln(2)
    month = text.long_date(invoice.period.first_day, lang).split(" ", 1)[1]
    _pair(pdf, text.t("pdf_number", lang), invoice.number)
    _pair(pdf, text.t("pdf_sponsor", lang), f"{sponsor.name} ({sponsor.code}, {sponsor.region_code})")
    _pair(pdf, text.t("pdf_month", lang), month)
    _pair(pdf, text.t("pdf_members", lang), text.number(invoice.members, lang))
    _pair(pdf, text.t("pdf_premium", lang), premium_text(detail.lines, lang))
    _pair(pdf, text.t("pdf_total", lang), text.rupiah(invoice.total, lang), bold=True)
    state = text.t("pdf_balanced" if detail.balanced else "pdf_unbalanced", lang)
    control = (
        f"{text.number(detail.charged_members, lang)} / {text.rupiah(detail.charged_total, lang)} ({state})"
    )
    _pair(pdf, text.t("pdf_control", lang), control)
    pdf.ln(4)
    pdf.set_font("Helvetica", "B", 11)
    pdf.cell(0, 8, latin1(text.t("pdf_charges", lang)), new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    _charges(pdf, detail.lines, lang)
    pdf.ln(4)
    pdf.set_font("Helvetica", "", 8)
    pdf.cell(0, 5, latin1(f"{text.t('pdf_printed', lang)}: {text.long_date(printed or date.today(), lang)}"))
    return bytes(pdf.output())
