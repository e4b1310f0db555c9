"""Indonesian (default) and English labels for calculation lines."""

from __future__ import annotations

import re

LABELS: dict[str, tuple[str, str]] = {
    "jkk": ("Iuran JKK", "JKK contribution"),
    "jkm": ("Iuran JKM", "JKM contribution"),
    "jht": ("Iuran JHT", "JHT contribution"),
    "jht_employer": ("Iuran JHT pemberi kerja", "JHT, employer"),
    "jht_worker": ("Iuran JHT pekerja", "JHT, worker"),
    "jp_employer": ("Iuran JP pemberi kerja", "JP, employer"),
    "jp_worker": ("Iuran JP pekerja", "JP, worker"),
    "jkk_relief": ("Keringanan iuran JKK", "JKK relief"),
    "jkm_relief": ("Keringanan iuran JKM", "JKM relief"),
    "jp_employer_deferral": ("Penundaan iuran JP pemberi kerja", "JP deferral, employer"),
    "jp_worker_deferral": ("Penundaan iuran JP pekerja", "JP deferral, worker"),
    "late_fine": ("Denda keterlambatan", "Late-payment fine"),
    "pmi_pre_departure": ("Iuran PMI sebelum bekerja", "PMI, before work"),
    "pmi_placement": ("Iuran PMI selama dan setelah bekerja", "PMI, during and after work"),
    "pmi_extension": ("Iuran perpanjangan PMI", "PMI extension"),
    "jkm_lump_sum": ("Santunan sekaligus JKM", "JKM lump sum"),
    "jkm_periodic": ("Santunan berkala JKM", "JKM periodic benefit"),
    "jkm_funeral": ("Biaya pemakaman", "Funeral cost"),
    "jkk_death": ("Santunan kematian JKK", "JKK death benefit"),
    "jkk_funeral": ("Biaya pemakaman", "Funeral cost"),
    "jkk_periodic": ("Santunan berkala", "Periodic benefit"),
    "jkk_total_disability": ("Santunan cacat total tetap", "Total permanent disability"),
    "jkk_partial_disability": ("Santunan cacat sebagian", "Partial disability"),
    "jht_balance": ("Saldo JHT", "JHT balance"),
    "jht_partial": ("Pengambilan sebagian JHT", "JHT partial withdrawal"),
    "pmi_jkm_lump_sum": ("Santunan kematian PMI", "PMI death benefit"),
    "pmi_jkm_funeral": ("Biaya pemakaman PMI", "PMI funeral cost"),
    "jkk_medical": ("Perawatan medis JKK", "JKK medical care"),
    "jkk_transport": ("Biaya transportasi JKK", "JKK transport"),
    "scholarship": ("Beasiswa pendidikan anak", "Children's scholarship"),
}

_TIER = re.compile(r"^(stmb|jkp)_(\d+)(?:_(\d+))?pct$")


def label(code: str, language: str = "id") -> str:
    pair = LABELS.get(code)
    if pair is None:
        match = _TIER.match(code)
        if not match:
            return code
        percent = match.group(2) + ("," + match.group(3) if match.group(3) else "")
        if match.group(1) == "stmb":
            pair = (f"STMB {percent}% upah", f"STMB at {percent}% of wage")
        else:
            pair = (f"Manfaat uang tunai JKP {percent}% upah", f"JKP cash at {percent}% of wage")
    return pair[0] if language == "id" else pair[1]
