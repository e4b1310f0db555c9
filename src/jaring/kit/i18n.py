"""Words shown to people: Indonesian by default, English on request."""

from __future__ import annotations

import os
from datetime import date

_MONTHS_ID = (
    "Januari",
    "Februari",
    "Maret",
    "April",
    "Mei",
    "Juni",
    "Juli",
    "Agustus",
    "September",
    "Oktober",
    "November",
    "Desember",
)
_MONTHS_EN = (
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)

TEXT: dict[str, tuple[str, str]] = {
    "component": ("Komponen", "Component"),
    "amount": ("Jumlah", "Amount"),
    "reference": ("Dasar hukum", "Legal reference"),
    "total": ("Total", "Total"),
    "paid_by": ("Dibayar oleh", "Paid by"),
    "worker": ("pekerja", "worker"),
    "employer": ("pemberi kerja", "employer"),
    "government": ("pemerintah (APBN/APBD)", "government (APBN/APBD)"),
    "due": ("Jatuh tempo", "Due"),
    "warning": ("Peringatan", "Warning"),
    "note": ("Catatan", "Note"),
    "allocation": ("Alokasi dana (tidak mengubah tagihan)", "Fund allocation (bill unchanged)"),
    "deferred": ("Ditunda (tetap terutang)", "Deferred (still owed)"),
    "per_month": ("Per bulan", "Per month"),
    "payable_now": ("Dibayar sekarang", "Payable now"),
    "not_entitled": ("Tidak berhak", "Not entitled"),
    "scholarship": (
        "Beasiswa pendidikan anak (dibayar per tahun, di luar total)",
        "Children's scholarship (paid yearly, not in the total)",
    ),
    "claim_deadline": ("Batas pengajuan klaim", "Claim deadline"),
    "payable_from": ("Dapat dibayar mulai", "Payable from"),
    "rules_date": ("Aturan yang berlaku pada", "Rules in force on"),
    "contribution": ("Iuran", "Contribution"),
    "benefit": ("Manfaat", "Benefit"),
    "unknown": ("belum diketahui", "not known yet"),
    "yes": ("ya", "yes"),
    "no": ("tidak", "no"),
    "eligible": ("Berhak", "Eligible"),
}


def language() -> str:
    lang = os.environ.get("JARING_LANG", "id").strip().lower()
    return "en" if lang.startswith("en") else "id"


def t(key: str, lang: str) -> str:
    pair = TEXT[key]
    return pair[1] if lang == "en" else pair[0]


def format_date(day: date, lang: str) -> str:
    months = _MONTHS_EN if lang == "en" else _MONTHS_ID
    return f"{day.day} {months[day.month - 1]} {day.year}"
