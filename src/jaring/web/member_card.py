"""The printable member card: one A4 page with a card-sized box (ISO/IEC 7810 ID-1, 85.6 × 54
mm) to cut out, in the reader's language. It uses the PDF core font Helvetica, so no font
file is needed; that font only knows latin-1, so every text goes through `latin1` first."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from fpdf import FPDF

from jaring.web import text
from jaring.web.pdf_text import latin1

CARD_W, CARD_H = 85.6, 54.0
LEFT, TOP = 20.0, 20.0

text.add({
    "card_title": ("KARTU PESERTA JAMSOSTEK", "JAMSOSTEK MEMBER CARD"),
    "card_subtitle": ("Bukan penerima upah (BPU)", "Informal worker (BPU)"),
    "card_number": ("Nomor peserta", "Participant number"),
    "card_name": ("Nama", "Name"),
    "card_nik": ("NIK", "NIK"),
    "card_programs": ("Program", "Programs"),
    "card_payer": ("Pembayar", "Payer"),
    "card_status": ("Status", "Status"),
    "card_paid_through": ("lunas sampai", "paid through"),
    "card_printed": ("Dicetak (status pada tanggal ini)", "Printed (status as of this day)"),
    "card_cut": ("Gunting di sepanjang garis.", "Cut along the line."),
    "card_note": ("Status perlindungan berlaku pada tanggal cetak; cek status terkini di halaman "
                  "/status dengan nomor peserta dan tanggal lahir.",
                  "The coverage status holds on the day printed; check the current status on the "
                  "/status page with the participant number and birth date."),
})  # fmt: skip


@dataclass(frozen=True)
class Card:
    participant_number: str
    name: str
    nik_masked: str
    region_code: str
    programs: tuple[str, ...]
    payer: str
    status: str  # already in the reader's language
    paid_through: str | None  # YYYY-MM
    printed_on: date


def render_pdf(card: Card, lang: str) -> bytes:
    def t(key: str) -> str:
        return text.t(key, lang)

    pdf = FPDF(orientation="P", unit="mm", format="A4")
    pdf.set_title(latin1(f"{t('card_title')} {card.participant_number}"))
    pdf.set_creator("Jaring")
    pdf.set_auto_page_break(auto=False)
    pdf.add_page()
    _frame(pdf)
    pdf.set_xy(LEFT + 4, TOP + 3)
    pdf.set_font("Helvetica", "B", 9)
    pdf.cell(CARD_W - 8, 4, latin1(t("card_title")), new_x="LMARGIN", new_y="NEXT")
    pdf.set_x(LEFT + 4)
    pdf.set_font("Helvetica", "", 6.5)
    pdf.cell(CARD_W - 8, 3, latin1(t("card_subtitle")), new_x="LMARGIN", new_y="NEXT")
    pdf.set_xy(LEFT + 4, TOP + 12)
    pdf.set_font("Helvetica", "B", 13)
    pdf.cell(CARD_W - 8, 6, card.participant_number, new_x="LMARGIN", new_y="NEXT")
    status = f"{card.status}"
    if card.paid_through:
        status += f", {t('card_paid_through')} {card.paid_through}"
    lines = (
        (t("card_name"), card.name),
        (t("card_nik"), card.nik_masked),
        (t("card_programs"), ", ".join(card.programs)),
        (t("card_payer"), card.payer),
        (t("card_status"), status),
    )
    pdf.set_y(TOP + 20)
    for label, value in lines:
        _line(pdf, label, value)
    pdf.set_xy(LEFT + 4, TOP + CARD_H - 6)
    pdf.set_font("Helvetica", "", 6)
    pdf.cell(CARD_W - 8, 3, latin1(f"{t('card_printed')}: {text.long_date(card.printed_on, lang)}"))
    pdf.set_xy(LEFT, TOP + CARD_H + 3)
    pdf.set_font("Helvetica", "", 8)
    pdf.multi_cell(120, 4, latin1(f"{t('card_cut')} {t('card_note')}"))
    return bytes(pdf.output())


def _frame(pdf: FPDF) -> None:
    # A dashed outline to cut along, and a band across the top of the card.
    pdf.set_draw_color(120, 120, 120)
    pdf.set_dash_pattern(dash=1.5, gap=1)
    pdf.rect(LEFT, TOP, CARD_W, CARD_H)
    pdf.set_dash_pattern()
    pdf.set_fill_color(0, 104, 55)
    pdf.rect(LEFT, TOP + 10, CARD_W, 0.8, style="F")


def _line(pdf: FPDF, label: str, value: str) -> None:
    pdf.set_x(LEFT + 4)
    pdf.set_font("Helvetica", "", 6.5)
    pdf.cell(18, 4.2, latin1(label))
    width = CARD_W - 26
    shown = latin1(value)
    # A long name or status is drawn smaller rather than run over the card's edge.
    size = 7.5
    pdf.set_font("Helvetica", "B", size)
    while size > 5 and pdf.get_string_width(shown) > width:
        size -= 0.5
        pdf.set_font("Helvetica", "B", size)
    while len(shown) > 1 and pdf.get_string_width(shown) > width:
        shown = shown[:-1]
    pdf.cell(width, 4.2, shown, new_x="LMARGIN", new_y="NEXT")
